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
pub mod dictionary;
pub mod fold;
pub mod trace;

pub use dictionary::{offsets, Dictionary, SweepToken, ABOVE, ABOVE_RIGHT, LEFT};
pub use trace::{decode_row, DecodeError, DecodedRow, ReferenceTrace, RowEnd};

pub use fold::{Fold, FoldedMachine, StayLoops};

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::contract::{Encoding, EncodingInfo, WindowKind};
use crate::encoding::halt::RowHalt;
use crate::machine::{Input, Machine};
use crate::predictor::TokenId;
use crate::weights::{with_dense, DenseWeights, Weights};
use crate::window::{Window, WindowConfig, WindowError};

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
    use crate::encoding::cells;
    use crate::machine::load::from_standard;
    use crate::machine::{Move, StateId, Stop, SymbolId};
    use crate::window::{TraceEnd, WindowConfig};

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
