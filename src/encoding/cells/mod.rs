//! The `cells` encoding: a run as rows of cell tokens, time-invariant (see `proofs/cells.md`).
//!
//! Dictionary D = {SEP} ∪ {⟨s⟩ : s ∈ Γ} ∪ {⟨q,s⟩ : q ∈ Q, s ∈ Γ}. A configuration on a tape
//! window of S cells is the row of its S cell tokens (the head cell carries the state), and a
//! run C0..CT is the trace `SEP enc(C0) SEP enc(C1) … SEP enc(CT)`. The prompt is
//! `SEP enc(C0)`; a predictor generates the remaining T·(S+1) tokens.
//!
//! Cell i of row t+1 depends only on cells i-1, i, i+1 of row t, which stand S+2, S+1 and S
//! tokens back; [`next_cell`] is that local rule, written from the machine's semantics alone
//! (the compiler's weights are checked against it by the certificate, never the other way).

pub mod certify;
pub mod compile;

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::halt::RowHalt;
use crate::encoding::contract::{Encoding, EncodingInfo, Trace, WindowKind};
use crate::encoding::divergence::locate;
use crate::machine::{Input, Machine, StateId, Stop, SymbolId};
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use crate::predictor::TokenId;
use crate::weights::{with_dense, DenseWeights, Weights};
use serde::Serialize;

/// The `cells` dictionary of a machine: token ids and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dictionary {
    symbols: usize,
    states: usize,
}

impl Dictionary {
    /// The dictionary of `machine`.
    pub fn new(machine: &Machine) -> Dictionary {
        Dictionary {
            symbols: machine.num_symbols(),
            states: machine.num_states(),
        }
    }

    /// |D| = 1 + |Γ| + |Q|·|Γ|.
    pub fn len(&self) -> usize {
        1 + self.symbols * (self.states + 1)
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
    pub fn encode(&self, t: CellToken) -> TokenId {
        TokenId(match t {
            CellToken::Sep => 0,
            CellToken::Cell { symbol, head: None } => 1 + symbol.0 as u32,
            CellToken::Cell {
                symbol,
                head: Some(q),
            } => 1 + ((1 + q.0 as usize) * self.symbols + symbol.index()) as u32,
            CellToken::Pad => self.len() as u32,
        })
    }

    /// The token of an id (ids past the dictionary read as padding).
    #[inline]
    pub fn decode(&self, id: TokenId) -> CellToken {
        let i = id.index();
        if i == 0 {
            CellToken::Sep
        } else if i >= self.len() {
            CellToken::Pad
        } else {
            let c = i - 1;
            let (h, s) = (c / self.symbols, c % self.symbols);
            CellToken::Cell {
                symbol: SymbolId(s as u8),
                head: (h > 0).then(|| StateId((h - 1) as u16)),
            }
        }
    }

    /// A token's name: `SEP`, `⟨1⟩`, `⟨A,1⟩`, `PAD`.
    pub fn name(&self, machine: &Machine, id: TokenId) -> String {
        match self.decode(id) {
            CellToken::Sep => "SEP".into(),
            CellToken::Pad => "PAD".into(),
            CellToken::Cell { symbol, head: None } => format!("⟨{}⟩", machine.symbol_char(symbol)),
            CellToken::Cell {
                symbol,
                head: Some(q),
            } => {
                format!(
                    "⟨{},{}⟩",
                    machine.state_name(q),
                    machine.symbol_char(symbol)
                )
            }
        }
    }

    /// Every token's name, indexed by id.
    pub fn names(&self, machine: &Machine) -> Vec<String> {
        (0..self.len())
            .map(|i| self.name(machine, TokenId(i as u32)))
            .collect()
    }

    /// Every cell token (every token but SEP).
    pub fn cells(&self) -> impl Iterator<Item = CellToken> + '_ {
        (1..self.len()).map(|i| self.decode(TokenId(i as u32)))
    }
}

/// The local rule: the token of cell i in row t+1 from cells i-1, i, i+1 of row t.
///
/// `left`/`right` are [`CellToken::Sep`] at the window's edges. The new symbol is the centre's
/// (rewritten if its head has a rule); the new head comes from the centre (a stay move, or a
/// final head, which is absorbing), from the left (it moved R), from the right (it moved L),
/// or from nowhere. With at most one head among the three, at most one of these applies.
pub fn next_cell(
    machine: &Machine,
    left: CellToken,
    centre: CellToken,
    right: CellToken,
) -> CellToken {
    let CellToken::Cell { symbol, head } = centre else {
        return CellToken::Sep;
    };
    let mut new_symbol = symbol;
    let mut new_head = None;
    if let Some(q) = head {
        match machine.rule(q, symbol).filter(|_| !machine.is_halting(q)) {
            None => new_head = Some(q),
            Some(t) => {
                new_symbol = t.write;
                if t.movement == crate::machine::Move::S {
                    new_head = Some(t.next);
                }
            }
        }
    }
    let sent = |neighbour: CellToken, towards: crate::machine::Move| match neighbour {
        CellToken::Cell {
            symbol: s,
            head: Some(q),
        } if !machine.is_final(q, s) => machine
            .rule(q, s)
            .filter(|t| t.movement == towards)
            .map(|t| t.next),
        _ => None,
    };
    if let Some(q) = sent(left, crate::machine::Move::R) {
        new_head = Some(q);
    }
    if let Some(q) = sent(right, crate::machine::Move::L) {
        new_head = Some(q);
    }
    CellToken::Cell {
        symbol: new_symbol,
        head: new_head,
    }
}

/// The interpreter's run as a stream of `cells` tokens, produced row by row: memory is one
/// row, whatever the length of the run.
#[derive(Clone, Debug)]
pub struct ReferenceTrace<'m> {
    machine: &'m Machine,
    dict: Dictionary,
    config: WindowConfig,
    max_steps: u64,
    /// Steps applied so far (= index of the row being emitted).
    row: u64,
    /// Column within the row: 0 = SEP, 1..=S = cells.
    col: usize,
    /// The current row, encoded: a step changes two cells, so two tokens are re-encoded per
    /// row and a token costs one load.
    tokens: Vec<TokenId>,
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
        let dict = Dictionary::new(machine);
        let config = WindowConfig::initial(machine, input, window)?;
        let tokens = std::iter::once(dict.encode(CellToken::Sep))
            .chain((0..window.size).map(|i| dict.encode(config.token(i))))
            .collect();
        Ok(ReferenceTrace {
            machine,
            dict,
            config,
            max_steps,
            row: 0,
            col: 0,
            tokens,
            end: None,
        })
    }

    /// How the trace ended (`None` while tokens remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    /// Steps taken so far (rows emitted after the first).
    pub fn steps(&self) -> u64 {
        self.row
    }

    /// The configuration of the row being emitted.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Steps to the next row once the current one is emitted, re-encoding the two cells a step
    /// changes; `None` (with `end` set) when the run is over. Returns the changed cells.
    #[inline]
    fn advance(&mut self) -> Option<[usize; 2]> {
        // The next row exists only if the run goes on.
        if self.end.is_some() {
            return None;
        }
        if self.config.is_final(self.machine) {
            let stop = if self.machine.is_halting(self.config.state) {
                Stop::Halted
            } else {
                Stop::NoRule
            };
            self.end = Some(TraceEnd::Final(stop));
            return None;
        }
        if self.row >= self.max_steps {
            self.end = Some(TraceEnd::StepLimit);
            return None;
        }
        let from = self.config.head;
        if let Err(e) = self.config.step(self.machine, self.row + 1) {
            self.end = Some(TraceEnd::LeftWindow(e));
            return None;
        }
        let changed = [from, self.config.head];
        for i in changed {
            self.tokens[1 + i] = self.dict.encode(self.config.token(i));
        }
        self.row += 1;
        Some(changed)
    }
}

impl Iterator for ReferenceTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        if self.col > self.config.cells.len() {
            self.advance()?;
            self.col = 0;
        }
        let t = self.tokens[self.col];
        self.col += 1;
        Some(t)
    }
}

/// A row of tokens that is not a configuration.
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
    /// The row has no head, or more than one.
    #[error("the row has {0} heads; a configuration has exactly one")]
    Heads(usize),
}

/// Decodes one row `SEP enc(C)` back into the configuration C (the inverse of the encoding).
pub fn decode_row(dict: &Dictionary, row: &[TokenId]) -> Result<WindowConfig, DecodeError> {
    let size = row.len().saturating_sub(1);
    if row.first().map(|&t| dict.decode(t)) != Some(CellToken::Sep) || size == 0 {
        return Err(DecodeError::Shape { size });
    }
    let mut cells = Vec::with_capacity(size);
    let mut heads = Vec::new();
    for (i, &t) in row[1..].iter().enumerate() {
        match dict.decode(t) {
            CellToken::Cell { symbol, head } => {
                cells.push(symbol);
                if let Some(q) = head {
                    heads.push((i, q));
                }
            }
            _ => return Err(DecodeError::NotACell(i)),
        }
    }
    match heads[..] {
        [(head, state)] => Ok(WindowConfig { cells, head, state }),
        _ => Err(DecodeError::Heads(heads.len())),
    }
}

/// The `cells` encoding of one machine's runs on one window (proofs/cells.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cells {
    window: Window,
    dict: Dictionary,
}

impl Cells {
    /// The encoding of `machine`'s runs on `window`.
    pub fn new(machine: &Machine, window: Window) -> Cells {
        Cells {
            window,
            dict: Dictionary::new(machine),
        }
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }
}

impl Trace for ReferenceTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    fn steps(&self) -> u64 {
        self.row
    }

    fn expected_tokens(&self) -> u64 {
        self.row * (self.config.cells.len() as u64 + 1)
    }

    fn formula(&self) -> String {
        format!("T·(S+1) = {}·{}", self.row, self.config.cells.len() + 1)
    }

    /// At a row's end, one step rewrites the two cells it changes (BB(5)'s rows are 12,000
    /// tokens, its steps change two).
    fn next_row(&mut self, row: &mut [u8]) -> bool {
        if self.col <= self.config.cells.len() || row.len() != self.tokens.len() {
            return crate::encoding::contract::fill_row(self, row);
        }
        let Some(changed) = self.advance() else {
            return false;
        };
        for i in changed {
            row[1 + i] = self.tokens[1 + i].0 as u8;
        }
        true
    }
}

/// What `cells` is (proofs/cells.md).
pub const INFO: EncodingInfo = EncodingInfo {
    name: "cells",
    token_unit: "tokens",
    offsets_text: "S, S+1, S+2",
    proof: "proofs/cells.md",
    context_names: "S+2, S+1, S",
    length_formula: "T·(S+1)",
    time_invariant: true,
    sparse_weights: false,
    colour: (31, 119, 180),
};

impl Encoding for Cells {
    type Trace<'m> = ReferenceTrace<'m>;

    fn info(&self) -> &'static EncodingInfo {
        &INFO
    }

    fn on_window(&self, _: &Machine, window: Window) -> Cells {
        Cells {
            window,
            dict: self.dict.clone(),
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

    /// The run is over at the end of a row whose head is final.
    fn halt(&self, machine: &Machine) -> RowHalt {
        let is_final_token = (0..self.dict.len())
            .map(|i| match self.dict.decode(TokenId(i as u32)) {
                CellToken::Cell {
                    symbol,
                    head: Some(q),
                } => machine.is_final(q, symbol),
                _ => false,
            })
            .collect();
        RowHalt::new(self.window.size + 1, 1, is_final_token)
    }

    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        let p = compile::machine_to_cells_predictor(machine, self.window);
        Ok(Weights::Dense(DenseWeights::Int(p)))
    }

    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        _input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        let d = crate::certify::dense_weights(weights, "cells")?;
        let w = self.window;
        with_dense!(d, p => certify::certify_cells_reporting(machine, p, w, progress))
            .map(CertifyReport::Local)
    }

    fn locate(&self, _: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        let (step, cell) = locate(self.window, position);
        (step, cell, None)
    }

    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        decode_row(&self.dict, row).ok()
    }

    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        kind.offsets(self.window.size)
    }

    /// S, S+1 and S+2 read the cells above-right, above and above-left (proofs/cells.md);
    /// offsets from S on are named from S, the rest by number.
    fn offset_name(&self, offset: usize) -> String {
        match offset.checked_sub(self.window.size) {
            Some(0) => "S".to_string(),
            Some(k) => format!("S+{k}"),
            None => offset.to_string(),
        }
    }

    /// S+k reads the same cell as S'+k on a window of S' cells, for k = 0, 1, 2; no other
    /// offset reads a fixed cell of the previous row on both.
    fn move_offset(&self, offset: usize, to: Window) -> Option<usize> {
        let k = offset.checked_sub(self.window.size).filter(|&k| k <= 2)?;
        Some(to.size + k)
    }

    fn cell_of(&self, t: TokenId) -> Option<CellToken> {
        Some(self.dict.decode(t))
    }
}

/// One row of a rendered trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRow {
    /// The step (row 0 is the prompt).
    pub step: u64,
    /// The state's name.
    pub state: String,
    /// The head's window cell.
    pub head: usize,
    /// The row: compact (`c.render`), or the token names with `SEP` first.
    pub row: String,
}

/// How a rendered trace ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedTrace {
    /// Steps rendered after the prompt row.
    pub steps: u64,
    /// Whether the last row is final (halted or no rule).
    pub is_final: bool,
    /// Why the run left the window, when it did.
    pub left_window: Option<WindowError>,
}

/// Renders the `cells` trace of `input` on `window` row by row, handing each row to `row`
/// (streaming: nothing is kept), up to `max_steps` steps; `tokens` spells token names instead
/// of the compact row. This is `arsim trace`.
pub fn render_trace(
    machine: &Machine,
    input: &Input,
    window: Window,
    max_steps: u64,
    tokens: bool,
    row: &mut dyn FnMut(TraceRow),
) -> Result<RenderedTrace, WindowError> {
    let mut config = WindowConfig::initial(machine, input, window)?;
    let dict = Dictionary::new(machine);
    let render = |c: &WindowConfig| {
        if tokens {
            let mut names = vec!["SEP".to_string()];
            names.extend((0..window.size).map(|i| dict.name(machine, dict.encode(c.token(i)))));
            names.join(" ")
        } else {
            c.render(machine)
        }
    };
    let mut left = None;
    let mut step = 0u64;
    loop {
        row(TraceRow {
            step,
            state: machine.state_name(config.state).to_string(),
            head: config.head,
            row: render(&config),
        });
        if step >= max_steps {
            break;
        }
        match config.step(machine, step + 1) {
            Ok(true) => step += 1,
            Ok(false) => break,
            Err(e) => {
                left = Some(e);
                break;
            }
        }
    }
    Ok(RenderedTrace {
        steps: step,
        is_final: config.is_final(machine),
        left_window: left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn dictionary_round_trips() {
        let m = from_standard("1RB2LB1RZ_2LA2RB1LB", "bb2x3").unwrap();
        let d = Dictionary::new(&m);
        assert_eq!(d.len(), 1 + 3 * 4);
        for i in 0..=d.len() {
            let id = TokenId(i as u32);
            assert_eq!(d.encode(d.decode(id)), id);
        }
        assert_eq!(d.name(&m, TokenId(0)), "SEP");
        assert_eq!(
            d.name(
                &m,
                d.encode(CellToken::Cell {
                    symbol: SymbolId(2),
                    head: Some(StateId(1))
                })
            ),
            "⟨B,2⟩"
        );
    }

    #[test]
    fn reference_trace_has_t_plus_one_rows() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let mut tr = ReferenceTrace::new(&m, &Input::default(), w, 100).unwrap();
        let n = tr.by_ref().count();
        assert_eq!(n, 7 * 5);
        assert_eq!(tr.end(), Some(&TraceEnd::Final(Stop::Halted)));
        assert_eq!(locate(w, 5 + 2), (1, Some(1)));
    }

    #[test]
    fn rows_decode_back_to_configurations() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let dict = Dictionary::new(&m);
        let tokens: Vec<TokenId> = ReferenceTrace::new(&m, &Input::default(), w, 100)
            .unwrap()
            .collect();
        let mut config = WindowConfig::initial(&m, &Input::default(), w).unwrap();
        for (t, row) in tokens.chunks(5).enumerate() {
            assert_eq!(decode_row(&dict, row).unwrap(), config, "row {t}");
            config.step(&m, t as u64 + 1).unwrap();
        }
        assert_eq!(
            decode_row(&dict, &tokens[1..6]),
            Err(DecodeError::Shape { size: 4 })
        );
        let mut two_heads = tokens[..5].to_vec();
        two_heads[1] = two_heads[3];
        assert_eq!(decode_row(&dict, &two_heads), Err(DecodeError::Heads(2)));
    }

    #[test]
    fn leaving_the_window_is_reported() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let mut tr =
            ReferenceTrace::new(&m, &Input::default(), Window { size: 2, origin: 0 }, 100).unwrap();
        let _ = tr.by_ref().count();
        assert!(
            matches!(
                tr.end(),
                Some(TraceEnd::LeftWindow(WindowError::LeftWindow {
                    step: 3,
                    ..
                }))
            ),
            "{:?}",
            tr.end()
        );
    }

    #[test]
    fn the_head_starts_on_its_cell_and_must_lie_in_the_window() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let input = Input::new(vec![SymbolId(1), SymbolId(0)], 2);
        let c = WindowConfig::initial(&m, &input, Window { size: 5, origin: 1 }).unwrap();
        assert_eq!(c.head, 3);
        assert_eq!(c.cells, [0, 1, 0, 0, 0].map(SymbolId));
        // Cell 2 is right of the input: a window of 3 cells from origin 1 ends before it.
        assert_eq!(
            WindowConfig::initial(&m, &input, Window { size: 3, origin: 1 }),
            Err(WindowError::HeadOutside {
                head: 2,
                origin: 1,
                size: 3
            })
        );
    }
}
