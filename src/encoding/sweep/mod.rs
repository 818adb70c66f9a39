//! The `sweep` encoding: one row per run of right moves, time-invariant (see `proofs/sweep.md`).
//!
//! Dictionary: the `cells` dictionary plus one start marker ⟨▸s⟩ per symbol. A row spells the
//! **path** of the head: every cell it passes while moving right carries ⟨state on arrival,
//! symbol read⟩; a left move ends the row, and the next row starts the head one cell to the
//! left. Stay moves are folded in advance ([`FoldedMachine`]). The prompt is `SEP` and the
//! start tape with the marker on the start cell; a predictor generates the rest, R·(S+1)
//! tokens with R = (left moves) + [the run ends final] (proofs/sweep.md#length).
//!
//! Cell i of row r+1 depends only on cell i−1 of its own row (offset 1) and cells i+1 and i of
//! row r (offsets S and S+1); [`FoldedMachine::next_token`] is that local rule, written from
//! the machine's semantics alone. [`ReferenceTrace`] produces the trace by stepping the machine
//! one step at a time on the window, never through the folds.

pub mod certify;
pub mod compile;
pub mod fold;

pub use fold::{Fold, FoldedMachine, StayLoops};

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::cells;
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use crate::encoding::halt::RowHalt;
use crate::encoding::contract::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
use crate::machine::{Input, Machine, Move, StateId, Stop, SymbolId};
use crate::predictor::TokenId;
use crate::weights::{with_dense, DenseWeights, Weights};

/// Index of the offset 1 (the left cell, in the row being generated) in the predictor's offsets.
pub const LEFT: usize = 0;
/// Index of the offset S (the cell above-right, in the previous row).
pub const ABOVE_RIGHT: usize = 1;
/// Index of the offset S+1 (the cell above, in the previous row).
pub const ABOVE: usize = 2;

/// The offsets a `sweep` predictor reads on a window of `size` cells: [1, S, S+1]
/// (proofs/sweep.md#offsets).
pub fn offsets(size: usize) -> [usize; 3] {
    [1, size, size + 1]
}

/// A token of the `sweep` dictionary, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SweepToken {
    /// Row separator.
    Sep,
    /// A cell: its symbol and, if the head's path passes it in this row, the arrival state.
    Cell {
        /// The cell's symbol (before the head writes it).
        symbol: SymbolId,
        /// The state the head arrived in, if the row's path passes this cell.
        head: Option<StateId>,
    },
    /// The start marker (prompt only): the next row starts the head here, in the start state.
    Start(SymbolId),
    /// What positions before the start of the trace read as.
    Pad,
}

/// The `sweep` dictionary of a machine: the `cells` ids, then one start marker per symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dictionary {
    cells: cells::Dictionary,
    symbols: usize,
}

impl Dictionary {
    /// The dictionary of `machine`.
    pub fn new(machine: &Machine) -> Dictionary {
        Dictionary {
            cells: cells::Dictionary::new(machine),
            symbols: machine.num_symbols(),
        }
    }

    /// |D| = 1 + |Γ|·(|Q| + 2).
    pub fn len(&self) -> usize {
        self.cells.len() + self.symbols
    }

    /// Never true: SEP is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The padding token's id (`len()`, outside the dictionary).
    pub fn pad(&self) -> TokenId {
        TokenId(self.len() as u32)
    }

    /// The id of a token.
    #[inline]
    pub fn encode(&self, t: SweepToken) -> TokenId {
        match t {
            SweepToken::Sep => self.cells.encode(CellToken::Sep),
            SweepToken::Cell { symbol, head } => {
                self.cells.encode(CellToken::Cell { symbol, head })
            }
            SweepToken::Start(s) => TokenId((self.cells.len() + s.index()) as u32),
            SweepToken::Pad => self.pad(),
        }
    }

    /// The token of an id (ids past the dictionary read as padding).
    #[inline]
    pub fn decode(&self, id: TokenId) -> SweepToken {
        let i = id.index();
        if i >= self.len() {
            SweepToken::Pad
        } else if i >= self.cells.len() {
            SweepToken::Start(SymbolId((i - self.cells.len()) as u8))
        } else {
            match self.cells.decode(id) {
                CellToken::Sep => SweepToken::Sep,
                CellToken::Cell { symbol, head } => SweepToken::Cell { symbol, head },
                CellToken::Pad => SweepToken::Pad,
            }
        }
    }

    /// A token's name: `SEP`, `⟨1⟩`, `⟨A,1⟩`, `⟨▸1⟩`, `PAD`.
    pub fn name(&self, machine: &Machine, id: TokenId) -> String {
        match self.decode(id) {
            SweepToken::Start(s) => format!("⟨▸{}⟩", machine.symbol_char(s)),
            SweepToken::Pad => "PAD".into(),
            _ => self.cells.name(machine, id),
        }
    }

    /// Every token's name, indexed by id.
    pub fn names(&self, machine: &Machine) -> Vec<String> {
        (0..self.len())
            .map(|i| self.name(machine, TokenId(i as u32)))
            .collect()
    }

    /// Every token but SEP: the cell tokens, then the start markers.
    pub fn tokens(&self) -> impl Iterator<Item = SweepToken> + '_ {
        (1..self.len()).map(|i| self.decode(TokenId(i as u32)))
    }

    /// The cell tokens (no SEP, no markers): what a generated row holds.
    pub fn cells(&self) -> impl Iterator<Item = SweepToken> + '_ {
        (1..self.cells.len()).map(|i| self.decode(TokenId(i as u32)))
    }
}

/// The interpreter's run as a stream of `sweep` tokens, produced row by row by stepping the
/// machine on the window one step at a time: memory is one row, whatever the length of the run.
///
/// A row is emitted only once its path is complete (a left move or a final configuration); a
/// step limit or a step that leaves the window in the middle of a path ends the trace before
/// that row (proofs/sweep.md#length).
#[derive(Clone, Debug)]
pub struct ReferenceTrace<'m> {
    machine: &'m Machine,
    dict: Dictionary,
    /// The configuration at the end of the last complete row (C0 before row 1).
    config: WindowConfig,
    max_steps: u64,
    /// Steps up to the end of the last complete row.
    steps: u64,
    left_moves: u64,
    rows: u64,
    last_row_final: bool,
    /// The row being emitted: SEP, then S tokens.
    row: Vec<TokenId>,
    col: usize,
    end: Option<TraceEnd>,
}

impl<'m> ReferenceTrace<'m> {
    /// The trace of `machine` on `input` in `window`, at most `max_steps` steps.
    pub fn new(
        machine: &'m Machine,
        input: &Input,
        window: Window,
        max_steps: u64,
    ) -> Result<ReferenceTrace<'m>, WindowError> {
        let config = WindowConfig::initial(machine, input, window)?;
        let dict = Dictionary::new(machine);
        let mut row = vec![dict.encode(SweepToken::Sep)];
        row.extend(config.cells.iter().enumerate().map(|(i, &symbol)| {
            dict.encode(if i == config.head {
                SweepToken::Start(symbol)
            } else {
                SweepToken::Cell { symbol, head: None }
            })
        }));
        Ok(ReferenceTrace {
            machine,
            dict,
            config,
            max_steps,
            steps: 0,
            left_moves: 0,
            rows: 0,
            last_row_final: false,
            row,
            col: 0,
            end: None,
        })
    }

    /// How the trace ended (`None` while tokens remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    /// Steps of the run covered by the complete rows so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Left moves among those steps (each ended a row).
    pub fn left_moves(&self) -> u64 {
        self.left_moves
    }

    /// Rows after the prompt emitted (or being emitted) so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The configuration at the end of the last complete row's path (C0 before row 1); once
    /// the trace has ended by step limit or by leaving the window, where the run stopped.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Computes the next row from the configuration at the end of the last one.
    fn advance(&mut self) -> Result<(), TraceEnd> {
        let m = self.machine;
        if self.last_row_final {
            let stop = if m.is_halting(self.config.state) {
                Stop::Halted
            } else {
                Stop::NoRule
            };
            return Err(TraceEnd::Final(stop));
        }
        let c = &mut self.config;
        for (slot, &symbol) in self.row[1..].iter_mut().zip(&c.cells) {
            *slot = self.dict.encode(SweepToken::Cell { symbol, head: None });
        }
        let mut steps = self.steps;
        let mut left = false;
        'path: loop {
            // The head arrives on a cell: the row shows the state and the symbol it reads.
            let h = c.head;
            self.row[1 + h] = self.dict.encode(SweepToken::Cell {
                symbol: c.cells[h],
                head: Some(c.state),
            });
            loop {
                if c.is_final(m) {
                    break 'path;
                }
                if steps >= self.max_steps {
                    return Err(TraceEnd::StepLimit);
                }
                c.step(m, steps + 1).map_err(TraceEnd::LeftWindow)?;
                steps += 1;
                if c.head > h {
                    continue 'path;
                }
                if c.head < h {
                    left = true;
                    break 'path;
                }
            }
        }
        self.steps = steps;
        self.rows += 1;
        self.left_moves += left as u64;
        self.last_row_final = !left;
        Ok(())
    }
}

impl Iterator for ReferenceTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        if self.col == self.row.len() {
            if self.end.is_some() {
                return None;
            }
            if let Err(end) = self.advance() {
                self.end = Some(end);
                return None;
            }
            self.col = 0;
        }
        let t = self.row[self.col];
        self.col += 1;
        Some(t)
    }
}

/// How a row's path ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowEnd {
    /// The prompt: no path, the marker says where the first one starts.
    Prompt,
    /// A left move: the next row starts one cell to the left.
    Left,
    /// A final configuration: the run is over.
    Final,
}

/// A row decoded: the configuration at the end of its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedRow {
    /// The configuration at the end of the row's path (C0 for the prompt).
    pub config: WindowConfig,
    /// Steps the path takes (0 for the prompt).
    pub steps: u64,
    /// How the path ends.
    pub end: RowEnd,
}

/// A row of tokens that is not a `sweep` row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The row does not have S+1 tokens, or does not start with SEP.
    #[error("a row must be SEP followed by {size} cell tokens")]
    Shape {
        /// Window size.
        size: usize,
    },
    /// A cell position holds SEP or padding.
    #[error("cell {0} of the row is not a cell token")]
    NotACell(usize),
    /// The row mixes start markers with heads, or has several markers.
    #[error("a row holds either one start marker and no head (the prompt) or no marker; this one has {markers} markers and {heads} heads")]
    Markers {
        /// Markers found.
        markers: usize,
        /// Heads found.
        heads: usize,
    },
    /// The row has no head (and no marker).
    #[error("the row has no head")]
    NoHead,
    /// The heads are not one path: a gap, or a head that does not move right into the next.
    #[error("the heads do not form one path: the head on cell {0} does not lead to the next one")]
    Broken(usize),
    /// The path leaves the window (right off the last cell, or left off cell 0).
    #[error("the path leaves the window from cell {0}")]
    LeavesWindow(usize),
}

/// Decodes one row `SEP …` back into the configuration at the end of its path
/// (proofs/sweep.md#rows); the prompt row decodes to C0.
pub fn decode_row(
    folded: &FoldedMachine,
    dict: &Dictionary,
    row: &[TokenId],
) -> Result<DecodedRow, DecodeError> {
    let size = row.len().saturating_sub(1);
    if row.first().map(|&t| dict.decode(t)) != Some(SweepToken::Sep) || size == 0 {
        return Err(DecodeError::Shape { size });
    }
    let mut cells = Vec::with_capacity(size);
    let mut heads = Vec::new();
    let mut markers = Vec::new();
    for (i, &t) in row[1..].iter().enumerate() {
        match dict.decode(t) {
            SweepToken::Cell { symbol, head } => {
                cells.push(symbol);
                if let Some(q) = head {
                    heads.push((i, q));
                }
            }
            SweepToken::Start(symbol) => {
                cells.push(symbol);
                markers.push(i);
            }
            SweepToken::Sep | SweepToken::Pad => return Err(DecodeError::NotACell(i)),
        }
    }
    match (&markers[..], heads.is_empty()) {
        (&[head], true) => {
            return Ok(DecodedRow {
                config: WindowConfig {
                    cells,
                    head,
                    state: folded.start(),
                },
                steps: 0,
                end: RowEnd::Prompt,
            })
        }
        ([], false) => {}
        ([], true) => return Err(DecodeError::NoHead),
        _ => {
            return Err(DecodeError::Markers {
                markers: markers.len(),
                heads: heads.len(),
            })
        }
    }
    let mut steps = 0u64;
    for (j, &(i, q)) in heads.iter().enumerate() {
        let fold = folded.fold(q, cells[i]);
        let last = j + 1 == heads.len();
        match fold {
            Fold::Move {
                write,
                movement: Move::R,
                next,
                steps: n,
            } => {
                if last {
                    return Err(DecodeError::LeavesWindow(i));
                }
                if heads[j + 1] != (i + 1, next) {
                    return Err(DecodeError::Broken(i));
                }
                cells[i] = write;
                steps += n as u64;
            }
            Fold::Move {
                write,
                next,
                steps: n,
                ..
            } => {
                if !last {
                    return Err(DecodeError::Broken(i));
                }
                if i == 0 {
                    return Err(DecodeError::LeavesWindow(i));
                }
                cells[i] = write;
                return Ok(DecodedRow {
                    config: WindowConfig {
                        cells,
                        head: i - 1,
                        state: next,
                    },
                    steps: steps + n as u64,
                    end: RowEnd::Left,
                });
            }
            Fold::Final {
                state,
                symbol,
                steps: n,
            } => {
                if !last {
                    return Err(DecodeError::Broken(i));
                }
                cells[i] = symbol;
                return Ok(DecodedRow {
                    config: WindowConfig {
                        cells,
                        head: i,
                        state,
                    },
                    steps: steps + n as u64,
                    end: RowEnd::Final,
                });
            }
        }
    }
    // Not reached: `heads` is not empty and the loop returns at its last element.
    Err(DecodeError::NoHead)
}

/// The `sweep` encoding of one machine's runs on one window (proofs/sweep.md): a machine whose
/// stay moves never end has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    window: Window,
    dict: Dictionary,
    folded: FoldedMachine,
}

impl Sweep {
    /// The encoding of `machine`'s runs on `window`.
    pub fn new(machine: &Machine, window: Window) -> Result<Sweep, StayLoops> {
        Ok(Sweep {
            window,
            dict: Dictionary::new(machine),
            folded: FoldedMachine::new(machine)?,
        })
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }

    /// The machine with its stay moves folded.
    pub fn folded(&self) -> &FoldedMachine {
        &self.folded
    }
}

impl Trace for ReferenceTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    /// `(left moves + [final])·(S+1)` (proofs/sweep.md#length).
    fn expected_tokens(&self) -> u64 {
        let is_final = matches!(self.end, Some(TraceEnd::Final(_)));
        (self.left_moves + is_final as u64) * (self.config.cells.len() as u64 + 1)
    }

    fn formula(&self) -> String {
        let is_final = matches!(self.end, Some(TraceEnd::Final(_)));
        format!(
            "(L+[final])·(S+1) = ({}+{})·{}",
            self.left_moves,
            is_final as u64,
            self.config.cells.len() + 1
        )
    }

    fn extras(&self) -> TraceExtras {
        TraceExtras {
            left_moves: Some(self.left_moves),
            ..TraceExtras::default()
        }
    }
}

/// What `sweep` is (proofs/sweep.md).
pub const INFO: EncodingInfo = EncodingInfo {
    name: "sweep",
    token_unit: "tokens",
    offsets_text: "1, S, S+1",
    proof: "proofs/sweep.md",
    context_names: "S+1, S, 1",
    length_formula: "(L+[final])·(S+1)",
    time_invariant: true,
    sparse_weights: false,
    colour: (44, 160, 44),
};

impl Encoding for Sweep {
    type Trace<'m> = ReferenceTrace<'m>;

    fn info(&self) -> &'static EncodingInfo {
        &INFO
    }

    /// The fold was checked for stay loops once; it does not depend on the window.
    fn on_window(&self, _: &Machine, window: Window) -> Sweep {
        Sweep {
            window,
            ..self.clone()
        }
    }

    fn window(&self) -> Window {
        self.window
    }

    fn vocab(&self) -> usize {
        self.dict.len()
    }

    fn token_names(&self, machine: &Machine) -> Vec<String> {
        self.dict.names(machine)
    }

    fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        self.dict.name(machine, t)
    }

    fn row_len(&self) -> usize {
        self.window.size + 1
    }

    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<ReferenceTrace<'m>, WindowError> {
        ReferenceTrace::new(machine, input, self.window, max_steps)
    }

    /// The run is over at the end of a row holding a head whose fold is final
    /// (proofs/sweep.md#theorem).
    fn halt(&self, _: &Machine) -> RowHalt {
        let folds_final = (0..self.dict.len())
            .map(|i| match self.dict.decode(TokenId(i as u32)) {
                SweepToken::Cell {
                    symbol,
                    head: Some(q),
                } => self.folded.folds_final(q, symbol),
                _ => false,
            })
            .collect();
        RowHalt::new(self.window.size + 1, 1, folds_final)
    }

    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        let p = compile::folded_to_sweep_predictor(machine, &self.folded, self.window);
        Ok(Weights::Dense(DenseWeights::Int(p)))
    }

    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        _input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        let d = crate::certify::dense_weights(weights, "sweep")?;
        let w = self.window;
        with_dense!(d, p => certify::certify_sweep_reporting(machine, p, w, progress))
            .map(CertifyReport::Local)
    }

    /// The step of a divergence is its row.
    fn locate(&self, _: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        let (row, cell) = crate::encoding::divergence::locate(self.window, position);
        (row, cell, None)
    }

    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        decode_row(&self.folded, &self.dict, row)
            .ok()
            .map(|r| r.config)
    }

    /// `local`: 1, S, S+1 (the row's left neighbour, above-right, above); `all`: 1 … S+1.
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        match kind {
            WindowKind::All => (1..=self.window.size + 1).collect(),
            WindowKind::Local => offsets(self.window.size).to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    fn bb2() -> Machine {
        from_standard("1RB1LB_1LA1RZ", "bb2").unwrap()
    }

    #[test]
    fn dictionary_round_trips() {
        let m = from_standard("1RB2LB1RZ_2LA2RB1LB", "bb2x3").unwrap();
        let d = Dictionary::new(&m);
        assert_eq!(d.len(), 1 + 3 * (3 + 2));
        for i in 0..=d.len() {
            let id = TokenId(i as u32);
            assert_eq!(d.encode(d.decode(id)), id);
        }
        assert_eq!(d.name(&m, d.encode(SweepToken::Start(SymbolId(2)))), "⟨▸2⟩");
        // The cells ids keep their values.
        let cells = cells::Dictionary::new(&m);
        assert_eq!(d.names(&m)[..cells.len()], cells.names(&m)[..]);
        assert_eq!(d.cells().count(), cells.len() - 1);
        assert_eq!(d.tokens().count(), d.len() - 1);
    }

    #[test]
    fn stay_chains_fold_and_loops_are_reported() {
        // A0 → 1 S B; B1 → 0 R A; B0 → halt via S into Z.
        let m = from_standard("1SB---_1SZ0RA", "stays").unwrap();
        let f = FoldedMachine::new(&m).unwrap();
        let (a, b) = (StateId(0), StateId(1));
        assert_eq!(
            f.fold(a, SymbolId(0)),
            Fold::Move {
                write: SymbolId(0),
                movement: Move::R,
                next: a,
                steps: 2
            }
        );
        // B0 writes 1 and stays in Z: final after one stay.
        assert_eq!(
            f.fold(b, SymbolId(0)),
            Fold::Final {
                state: StateId(2),
                symbol: SymbolId(1),
                steps: 1
            }
        );
        // A1 has no rule: final itself.
        assert!(f.folds_final(a, SymbolId(1)));

        // A0 → 1 S B, B1 → 0 S A: A0 ↔ B1 forever; B0 → 1 S B reaches the same cycle.
        let m = from_standard("1SB---_1SB0SA", "loops").unwrap();
        let e = FoldedMachine::new(&m).unwrap_err();
        assert_eq!(e.cycles, ["(A,0) → (B,1) → (A,0)"]);
        assert_eq!(e.pairs.len(), 3);
        assert!(e.to_string().contains("never ends"), "{e}");
    }

    #[test]
    fn the_local_rule_moves_heads_by_role() {
        let m = bb2();
        let f = FoldedMachine::new(&m).unwrap();
        let (a, b) = (StateId(0), StateId(1));
        let cell = |s: u8, h: Option<StateId>| SweepToken::Cell {
            symbol: SymbolId(s),
            head: h,
        };
        // The marker starts A on its cell.
        assert_eq!(
            f.next_token(
                SweepToken::Sep,
                cell(0, None),
                SweepToken::Start(SymbolId(0))
            ),
            cell(0, Some(a))
        );
        // A0 → 1RB: the head continues right, and the cell is written 1.
        assert_eq!(
            f.next_token(cell(0, Some(a)), cell(0, None), cell(0, None)),
            cell(0, Some(b))
        );
        assert_eq!(
            f.next_token(SweepToken::Sep, cell(0, None), cell(0, Some(a))),
            cell(1, None)
        );
        // B0 → 1LA: the next row starts A one cell to the left.
        assert_eq!(
            f.next_token(SweepToken::Sep, cell(0, Some(b)), cell(1, None)),
            cell(1, Some(a))
        );
        assert_eq!(
            f.next_token(cell(1, None), SweepToken::Sep, SweepToken::Sep),
            SweepToken::Sep
        );
    }

    /// bb2 from the blank tape: A0→1RB, B0→1LA | A1→1LB | B0→1LA | A0→1RB, B1→1RZ: three left
    /// moves, four rows, the last ending on the halting state Z.
    #[test]
    fn bb2_rows_are_paths() {
        let m = bb2();
        let w = Window { size: 4, origin: 2 };
        let d = Dictionary::new(&m);
        let f = FoldedMachine::new(&m).unwrap();
        let mut tr = ReferenceTrace::new(&m, &Input::default(), w, 100).unwrap();
        let tokens: Vec<TokenId> = tr.by_ref().collect();
        let rows: Vec<String> = tokens
            .chunks(5)
            .map(|r| {
                r.iter()
                    .map(|&t| d.name(&m, t))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            rows,
            [
                "SEP ⟨0⟩ ⟨0⟩ ⟨▸0⟩ ⟨0⟩",
                "SEP ⟨0⟩ ⟨0⟩ ⟨A,0⟩ ⟨B,0⟩",
                "SEP ⟨0⟩ ⟨0⟩ ⟨A,1⟩ ⟨1⟩",
                "SEP ⟨0⟩ ⟨B,0⟩ ⟨1⟩ ⟨1⟩",
                "SEP ⟨A,0⟩ ⟨B,1⟩ ⟨Z,1⟩ ⟨1⟩",
            ]
        );
        assert_eq!(tr.end(), Some(&TraceEnd::Final(Stop::Halted)));
        assert_eq!((tr.steps(), tr.left_moves(), tr.rows()), (6, 3, 4));
        // Each row decodes to the configuration at the end of its path.
        let last = decode_row(&f, &d, &tokens[20..25]).unwrap();
        assert_eq!(last.end, RowEnd::Final);
        assert_eq!(
            (last.config.head, last.config.state, last.steps),
            (2, StateId(2), 2)
        );
        assert_eq!(
            decode_row(&f, &d, &tokens[0..5]).unwrap().config,
            WindowConfig::initial(&m, &Input::default(), w).unwrap()
        );
        // The stop rule fires exactly after the last row.
        let mut halt = Sweep::new(&m, w).unwrap().halt(&m);
        let fired: Vec<usize> = tokens
            .iter()
            .enumerate()
            .filter(|&(_, &t)| crate::executor::StopRule::after(&mut halt, t))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(fired, [24]);
    }

    #[test]
    fn broken_rows_do_not_decode() {
        let m = bb2();
        let d = Dictionary::new(&m);
        let f = FoldedMachine::new(&m).unwrap();
        let t = |s: SweepToken| d.encode(s);
        let cell = |s: u8, h: Option<u16>| {
            t(SweepToken::Cell {
                symbol: SymbolId(s),
                head: h.map(StateId),
            })
        };
        let sep = t(SweepToken::Sep);
        assert_eq!(
            decode_row(&f, &d, &[sep, cell(0, None), cell(0, None)]),
            Err(DecodeError::NoHead)
        );
        // A0 moves R into B, but the next head is A: not one path.
        assert_eq!(
            decode_row(&f, &d, &[sep, cell(0, Some(0)), cell(0, Some(0))]),
            Err(DecodeError::Broken(0))
        );
        // A0 moves R off the last cell.
        assert_eq!(
            decode_row(&f, &d, &[sep, cell(0, None), cell(0, Some(0))]),
            Err(DecodeError::LeavesWindow(1))
        );
        assert!(matches!(
            decode_row(
                &f,
                &d,
                &[sep, t(SweepToken::Start(SymbolId(0))), cell(0, Some(1))]
            ),
            Err(DecodeError::Markers { .. })
        ));
        assert_eq!(
            decode_row(&f, &d, &[cell(0, None), sep]),
            Err(DecodeError::Shape { size: 1 })
        );
    }

    #[test]
    fn step_limit_and_window_cut_before_an_incomplete_row() {
        let m = bb2();
        // Step 2 is the first left move: the limit 1 stops in the middle of row 1.
        let mut tr =
            ReferenceTrace::new(&m, &Input::default(), Window { size: 4, origin: 2 }, 1).unwrap();
        assert_eq!(tr.by_ref().count(), 5);
        assert_eq!(tr.end(), Some(&TraceEnd::StepLimit));
        assert_eq!((tr.steps(), tr.rows()), (0, 0));
        // A window of 2 from cell 0: step 3 moves left off cell 0, ending row 2's path.
        let mut tr =
            ReferenceTrace::new(&m, &Input::default(), Window { size: 2, origin: 0 }, 100).unwrap();
        assert_eq!(tr.by_ref().count(), 2 * 3);
        assert!(matches!(
            tr.end(),
            Some(TraceEnd::LeftWindow(WindowError::LeftWindow {
                step: 3,
                ..
            }))
        ));
        assert_eq!((tr.steps(), tr.left_moves()), (2, 1));
    }
}
