//! The trace format a learner reads: what `cells` and `gates` traces look like to `learn`.
//!
//! Used by every stage after the inputs: the reference stream of an input (the interpreter's
//! trace, produced row by row), the prompt, the stop rule, the decoding of a row for the answer,
//! the dictionary's names, the offsets of `--window all|local`, and the compiled predictor that
//! the learned one is compared with.
//! - `cells`: rows `SEP enc(C)` of S+1 tokens over the `cells` dictionary; the compiled
//!   predictor is time-invariant at offsets S, S+1, S+2 (proofs/cells.md);
//! - `gates`: rows of R = S·B one-hot bits (B bits per cell) over {0, 1}; the compiled predictor
//!   is time-dependent, its gate k of a row reading bits of the previous row's three cells at
//!   offsets R − 2B + 1 … R + 2B − 1, and its threshold as a bias at offset 1
//!   (proofs/gates.md).

use crate::compiler::machine_to_cells_predictor;
use crate::encoding::cells::{
    decode_row, CellsHalt, Dictionary, ReferenceTrace, TraceEnd, Window, WindowConfig, WindowError,
};
use crate::encoding::gates::{self, machine_to_gates_predictor, BitLayout, BitTrace, GatesHalt};
use crate::encoding::EncodingKind;
use crate::executor::StopRule;
use crate::machine::{Machine, SymbolId};
use crate::predictor::{LinearAr, Predictor, TokenId};
use crate::time_dependent::TimeDependentAr;

use super::dataset::WindowKind;

/// The interpreter's trace of one input, in an encoding.
#[derive(Clone, Debug)]
pub enum Reference<'m> {
    /// A `cells` trace.
    Cells(ReferenceTrace<'m>),
    /// A `gates` trace.
    Gates(BitTrace<'m>),
}

impl Reference<'_> {
    /// How the run ended (`None` while tokens remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        match self {
            Reference::Cells(t) => t.end(),
            Reference::Gates(t) => t.end(),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        match self {
            Reference::Cells(t) => t.steps(),
            Reference::Gates(t) => t.steps(),
        }
    }
}

impl Iterator for Reference<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        match self {
            Reference::Cells(t) => t.next(),
            Reference::Gates(t) => t.next(),
        }
    }
}

/// The stop rule of an encoding.
#[derive(Clone, Debug)]
pub enum Halt {
    /// `cells`: after a row with a final head.
    Cells(CellsHalt),
    /// `gates`: after a row with a final head's bit set.
    Gates(GatesHalt),
}

impl StopRule for Halt {
    #[inline]
    fn after(&mut self, token: TokenId) -> bool {
        match self {
            Halt::Cells(h) => h.after(token),
            Halt::Gates(h) => h.after(token),
        }
    }
}

/// A compiled predictor, of either kind.
#[derive(Clone, Debug)]
pub enum Compiled {
    /// The `cells` predictor.
    Cells(LinearAr),
    /// The `gates` predictor.
    Gates(TimeDependentAr),
}

impl Compiled {
    /// The predictor, for the executor.
    pub fn as_predictor(&mut self) -> &mut dyn Predictor {
        match self {
            Compiled::Cells(p) => p,
            Compiled::Gates(p) => p,
        }
    }
}

/// Traces of one machine on one window in one encoding.
#[derive(Clone, Debug)]
pub struct TraceFormat {
    kind: EncodingKind,
    window: Window,
    dict: Dictionary,
    bits: BitLayout,
}

/// Why an encoding cannot be learned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("learn reads cells and gates traces; {0} is not supported")]
pub struct UnsupportedEncoding(pub &'static str);

impl TraceFormat {
    /// The format of `machine`'s `kind` traces on `window`.
    pub fn new(
        machine: &Machine,
        kind: EncodingKind,
        window: Window,
    ) -> Result<TraceFormat, UnsupportedEncoding> {
        match kind {
            EncodingKind::Cells | EncodingKind::Gates => Ok(TraceFormat {
                kind,
                window,
                dict: Dictionary::new(machine),
                bits: BitLayout::new(machine, window),
            }),
            other => Err(UnsupportedEncoding(other.name())),
        }
    }

    /// The encoding.
    pub fn kind(&self) -> EncodingKind {
        self.kind
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Tokens per row; the prompt is one row.
    pub fn row(&self) -> usize {
        match self.kind {
            EncodingKind::Gates => self.bits.row_bits(),
            _ => self.window.size + 1,
        }
    }

    /// Dictionary size (the padding token is `TokenId(vocab)`).
    pub fn vocab(&self) -> usize {
        match self.kind {
            EncodingKind::Gates => crate::time_dependent::VOCAB,
            _ => self.dict.len(),
        }
    }

    /// Token names.
    pub fn token_names(&self, machine: &Machine) -> Vec<String> {
        match self.kind {
            EncodingKind::Gates => vec!["0".into(), "1".into()],
            _ => self.dict.names(machine),
        }
    }

    /// A token's name.
    pub fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        match self.kind {
            EncodingKind::Gates => t.0.to_string(),
            _ => self.dict.name(machine, t),
        }
    }

    /// The offsets a learner with `kind` reads: `all` = 1 … the compiled predictor's deepest
    /// offset; `local` = the compiled predictor's span (S, S+1, S+2 for `cells`; for `gates`,
    /// the previous row's three cells, R − 2B + 1 … R + 2B − 1, and offset 1, where the
    /// compiled gates read their threshold as a bias).
    pub fn offsets(&self, kind: WindowKind) -> Vec<usize> {
        match self.kind {
            EncodingKind::Gates => {
                let (r, b) = (self.bits.row_bits(), self.bits.bits_per_cell());
                let deepest = r + 2 * b - 1;
                match kind {
                    WindowKind::All => (1..=deepest).collect(),
                    WindowKind::Local => {
                        let first = (r + 1).saturating_sub(2 * b).max(2);
                        std::iter::once(1).chain(first..=deepest).collect()
                    }
                }
            }
            _ => kind.offsets(self.window.size),
        }
    }

    /// The interpreter's trace of `input`.
    pub fn reference<'m>(
        &self,
        machine: &'m Machine,
        input: &[SymbolId],
        max_steps: u64,
    ) -> Result<Reference<'m>, WindowError> {
        Ok(match self.kind {
            EncodingKind::Gates => {
                Reference::Gates(BitTrace::new(machine, input, self.window, max_steps)?)
            }
            _ => Reference::Cells(ReferenceTrace::new(machine, input, self.window, max_steps)?),
        })
    }

    /// The stop rule.
    pub fn halt(&self, machine: &Machine) -> Halt {
        match self.kind {
            EncodingKind::Gates => Halt::Gates(GatesHalt::new(machine, self.window)),
            _ => Halt::Cells(CellsHalt::new(machine, self.window)),
        }
    }

    /// The compiled predictor.
    pub fn compiled(&self, machine: &Machine) -> Result<Compiled, WindowError> {
        Ok(match self.kind {
            EncodingKind::Gates => {
                Compiled::Gates(machine_to_gates_predictor(machine, self.window)?)
            }
            _ => Compiled::Cells(machine_to_cells_predictor(machine, self.window)),
        })
    }

    /// The configuration of one row of tokens, if it is one.
    pub fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        match self.kind {
            EncodingKind::Gates => {
                let bits: Vec<bool> = row.iter().map(|t| t.0 == 1).collect();
                gates::decode_row(&self.bits, &bits).ok()
            }
            _ => decode_row(&self.dict, row).ok(),
        }
    }

    /// (step, cell, bit name) of a trace position: the cell is `None` for a `cells` SEP, the
    /// bit `Some` for `gates`.
    pub fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        match self.kind {
            EncodingKind::Gates => {
                let (step, cell, bit) = self.bits.locate(position);
                (step, Some(cell), Some(self.bits.bit_name(machine, bit)))
            }
            _ => {
                let (step, cell) = crate::encoding::cells::locate(self.window, position);
                (step, cell, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn both_formats_stream_the_same_run() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let cells = TraceFormat::new(&m, EncodingKind::Cells, w).unwrap();
        let gates = TraceFormat::new(&m, EncodingKind::Gates, w).unwrap();
        let c: Vec<TokenId> = cells.reference(&m, &[], 100).unwrap().collect();
        let g: Vec<TokenId> = gates.reference(&m, &[], 100).unwrap().collect();
        assert_eq!(c.len(), 7 * cells.row());
        assert_eq!(g.len(), 7 * gates.row());
        // Row by row, both decode to the same configuration.
        for (rc, rg) in c.chunks(cells.row()).zip(g.chunks(gates.row())) {
            assert_eq!(cells.decode_row(rc), gates.decode_row(rg));
            assert!(cells.decode_row(rc).is_some());
        }
        assert_eq!(gates.vocab(), 2);
        // The local gates window is the compiled predictor's span.
        let Compiled::Gates(p) = gates.compiled(&m).unwrap() else {
            panic!("gates compile to a time-dependent predictor")
        };
        let local = gates.offsets(WindowKind::Local);
        assert!(p
            .csr()
            .1
            .iter()
            .all(|e| local.contains(&(e.offset as usize))));
        assert!(p.max_offset() <= *local.last().unwrap());
        assert!(TraceFormat::new(&m, EncodingKind::Sweep, w).is_err());
    }
}
