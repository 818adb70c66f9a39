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
pub mod dictionary;
pub mod render;
pub mod rule;
pub mod trace;

pub use dictionary::Dictionary;
pub use render::{render_trace, RenderedTrace, TraceRow};
pub use rule::next_cell;
pub use trace::{decode_row, DecodeError, ReferenceTrace};

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::contract::{Encoding, EncodingInfo, WindowKind};
use crate::encoding::divergence::locate;
use crate::encoding::halt::RowHalt;
use crate::machine::{Input, Machine};
use crate::predictor::TokenId;
use crate::weights::{with_dense, DenseWeights, Weights};
use crate::window::{CellToken, Window, WindowConfig, WindowError};

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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::machine::load::from_standard;
    use crate::machine::{StateId, Stop, SymbolId};
    use crate::window::{CellToken, TraceEnd, WindowConfig};

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
