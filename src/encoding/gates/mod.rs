//! The `gates` encoding: a run as the one-hot bits of its `cells` tableau, each bit of row t+1
//! one threshold gate over the bits of three cells of row t (see `proofs/gates.md`).
//!
//! Dictionary {0, 1}. A cell is `B = |Γ|·(|Q|+1)` bits, one per `cells` token ⟨h, σ⟩ (bit
//! `id − 1` for the token of id `id`: the one bit of the cell's token is 1); a row is the
//! `R = S·B` bits of its S cells, with no separator. The trace of C0..CT is row 0 (the prompt,
//! the circuit's inputs) followed by rows 1..T, generated: length complexity `T·S·|Γ|·(|Q|+1)`.
//!
//! Pipeline: [`row_template`] (the gates of one row, over the row before) →
//! [`machine_to_circuit`] (T rows unrolled into a [`ThresholdCircuit`](crate::circuit::ThresholdCircuit)) →
//! [`circuit_to_predictor`](crate::circuit::circuit_to_predictor); or, without materialising
//! the circuit, [`machine_to_gates_predictor`]: the same maps, stored once and served
//! periodically (row t+1 reads row t at the same offsets for every t). [`BitTrace`] is the
//! interpreter's run as bits, [`Gates`] the encoding (stop rule, certificate), [`decode_row`] turns bits back into
//! a configuration.

pub mod certify;
pub mod compile;
pub mod layout;
pub mod trace;

pub use compile::{
    machine_to_circuit, machine_to_gates_predictor, row_template, RowTemplate, TemplateGate,
};
pub use layout::{decode_row, BitLayout, DecodeError};
pub use trace::BitTrace;

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::cells::Dictionary;
use crate::encoding::contract::{Encoding, EncodingInfo, WindowKind};
use crate::encoding::divergence::DivergenceReport;
use crate::encoding::halt::RowHalt;
use crate::machine::{Input, Machine};
use crate::predictor::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use crate::window::{CellToken, Window, WindowConfig, WindowError};

/// The `gates` encoding of one machine's runs on one window (proofs/gates.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gates {
    layout: BitLayout,
    dict: Dictionary,
}

impl Gates {
    /// The encoding of `machine`'s runs on `window`.
    pub fn new(machine: &Machine, window: Window) -> Gates {
        Gates {
            layout: BitLayout::new(machine, window),
            dict: Dictionary::new(machine),
        }
    }

    /// Where the bits stand.
    pub fn layout(&self) -> &BitLayout {
        &self.layout
    }
}

/// What `gates` is (proofs/gates.md).
pub const INFO: EncodingInfo = EncodingInfo {
    name: "gates",
    token_unit: "bits",
    offsets_text: "the previous row's three cells and offset 1, per gate",
    proof: "proofs/gates.md",
    context_names: "cells i-1, i, i+1 of the previous row",
    length_formula: "T·S·|Γ|(|Q|+1)",
    time_invariant: false,
    sparse_weights: true,
    colour: (214, 39, 40),
};

impl Encoding for Gates {
    type Trace<'m> = BitTrace<'m>;

    fn info(&self) -> &'static EncodingInfo {
        &INFO
    }

    fn on_window(&self, machine: &Machine, window: Window) -> Gates {
        Gates::new(machine, window)
    }

    fn window(&self) -> Window {
        self.layout.window()
    }

    fn vocab(&self) -> usize {
        crate::predictor::time_dependent::VOCAB
    }

    fn token_names(&self, _: &Machine) -> Vec<String> {
        vec!["0".into(), "1".into()]
    }

    fn token_name(&self, _: &Machine, t: TokenId) -> String {
        t.0.to_string()
    }

    fn row_len(&self) -> usize {
        self.layout.row_bits()
    }

    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<BitTrace<'m>, WindowError> {
        BitTrace::new(machine, input, self.window(), max_steps)
    }

    /// The run is over at the end of a row in which a final head's bit is set.
    fn halt(&self, machine: &Machine) -> RowHalt {
        let b = self.layout.bits_per_cell();
        // Token 0 marks nothing; token 1 at place p marks a final head when bit p is one.
        let mut final_at = vec![false; 2 * b];
        for (p, slot) in final_at[b..].iter_mut().enumerate() {
            *slot = match self.layout.token_of(p) {
                CellToken::Cell {
                    symbol,
                    head: Some(q),
                } => machine.is_final(q, symbol),
                _ => false,
            };
        }
        RowHalt::new(self.layout.row_bits(), b, final_at)
    }

    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        machine_to_gates_predictor(machine, self.window()).map(Weights::Sparse)
    }

    /// Runs the interpreter on `input` (at most [`certify::CERTIFY_MAX_STEPS`] steps) to size
    /// the circuit it unrolls; a row's certificate holds for every T.
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        let Weights::Sparse(p) = weights else {
            return Err(CertifyError::WeightsKind {
                encoding: "gates",
                wants: "sparse",
                found: "dense",
            });
        };
        let steps = crate::interpreter::run(machine, input, certify::CERTIFY_MAX_STEPS).steps;
        certify::certify_gates_with(machine, p, self.window(), steps)
            .map(CertifyReport::Gates)
            .map_err(|source| CertifyError::Gates {
                machine: machine.name().to_string(),
                source,
            })
    }

    /// The context is the previous row's cells cell−1, cell, cell+1, decoded from their
    /// one-hot bits.
    fn divergence(&self, machine: &Machine, d: Divergence, _: &[usize]) -> DivergenceReport {
        let (r, b) = (self.layout.row_bits(), self.layout.bits_per_cell());
        let size = self.window().size;
        let (step, cell, bit) = self.layout.locate(d.position);
        let k = d.context.len();
        let bit_name = |t: TokenId| t.0.to_string();
        let context = [cell.checked_sub(1), Some(cell), Some(cell + 1)]
            .into_iter()
            .map(|c| match c.filter(|&c| c < size) {
                None => "SEP".to_string(),
                Some(c) => {
                    let ones: Vec<usize> = (0..b)
                        .filter(|&b2| {
                            let j = r + cell * b + bit - (c * b + b2);
                            j <= k && d.context[k - j].0 == 1
                        })
                        .collect();
                    match ones[..] {
                        [one] => self.dict.name(machine, TokenId(one as u32 + 1)),
                        _ => format!("invalid({} bits set)", ones.len()),
                    }
                }
            })
            .collect();
        DivergenceReport {
            position: d.position,
            step,
            cell: Some(cell),
            expected: d.expected.map(bit_name),
            got: d.got.map(bit_name),
            top: d.top.iter().map(|&(t, s)| (bit_name(t), s)).collect(),
            context,
            bit: Some(self.layout.bit_name(machine, bit)),
        }
    }

    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        let (step, cell, bit) = self.layout.locate(position);
        (step, Some(cell), Some(self.layout.bit_name(machine, bit)))
    }

    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        let bits: Vec<bool> = row.iter().map(|t| t.0 == 1).collect();
        decode_row(&self.layout, &bits).ok()
    }

    /// `local`: the previous row's three cells, R − 2B + 1 … R + 2B − 1, and offset 1, where
    /// the compiled gates read their threshold as a bias; `all`: 1 … R + 2B − 1.
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        let (r, b) = (self.layout.row_bits(), self.layout.bits_per_cell());
        let deepest = r + 2 * b - 1;
        match kind {
            WindowKind::All => (1..=deepest).collect(),
            WindowKind::Local => {
                let first = (r + 1).saturating_sub(2 * b).max(2);
                std::iter::once(1).chain(first..=deepest).collect()
            }
        }
    }

    fn write_metadata(&self, meta: &mut Metadata) {
        let l = &self.layout;
        meta.extra
            .insert("bits_per_cell".into(), l.bits_per_cell().to_string());
        meta.extra
            .insert("row_bits".into(), l.row_bits().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::circuit::circuit_to_predictor;
    use crate::executor::{Executor, StopRule};
    use crate::machine::load::from_standard;
    use crate::window::WindowConfig;

    fn bb2() -> Machine {
        from_standard("1RB1LB_1LA1RZ", "bb2").unwrap()
    }

    #[test]
    fn layout_counts_bits() {
        let m = bb2();
        let l = BitLayout::new(&m, Window { size: 4, origin: 2 });
        // |Γ| = 2, |Q| = 3 (A, B, Z): B = 2·4 = 8, R = 32.
        assert_eq!((l.bits_per_cell(), l.row_bits()), (8, 32));
        assert_eq!(l.length(6), 192);
        assert_eq!(l.locate(32 + 8 + 3), (1, 1, 3));
        assert_eq!(l.bit_name(&m, 2), "⟨A,0⟩");
        assert_eq!(l.gate_name(&m, 1, 1, 2), "t1.c1=⟨A,0⟩");
    }

    #[test]
    fn rows_encode_and_decode() {
        let m = bb2();
        let w = Window { size: 4, origin: 2 };
        let l = BitLayout::new(&m, w);
        let mut c = WindowConfig::initial(&m, &Input::default(), w).unwrap();
        c.step(&m, 1).unwrap();
        assert_eq!(decode_row(&l, &l.encode_row(&c)).unwrap(), c);
        let mut bits = l.encode_row(&c);
        bits[1] = true; // cell 0 is ⟨0⟩ (bit 0): now also ⟨1⟩
        assert_eq!(
            decode_row(&l, &bits),
            Err(DecodeError::NotOneHot { cell: 0, ones: 2 })
        );
        assert_eq!(
            decode_row(&l, &bits[1..]),
            Err(DecodeError::Length {
                expected: 32,
                got: 31
            })
        );
    }

    #[test]
    fn bit_trace_spreads_cells_and_halt_fires_on_the_last_row() {
        let m = bb2();
        let w = Window { size: 4, origin: 2 };
        let tr: Vec<TokenId> = BitTrace::new(&m, &Input::default(), w, 100)
            .unwrap()
            .collect();
        assert_eq!(tr.len(), 7 * 32);
        // Each cell has exactly one bit set.
        for cell in tr.chunks(8) {
            assert_eq!(cell.iter().filter(|t| t.0 == 1).count(), 1);
        }
        let mut halt = Gates::new(&m, w).halt(&m);
        let stops: Vec<usize> = tr
            .iter()
            .enumerate()
            .filter(|&(_, &t)| halt.after(t))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(stops, [7 * 32 - 1]);
    }

    #[test]
    fn periodic_predictor_is_the_unrolled_circuit_compiled() {
        let m = bb2();
        let w = Window { size: 4, origin: 2 };
        let circuit = machine_to_circuit(&m, w, 6);
        assert_eq!(circuit.gates().len(), 6 * 32);
        let seq = circuit_to_predictor(&circuit).unwrap();
        let per = machine_to_gates_predictor(&m, w).unwrap();
        for p in 32..32 + 6 * 32 {
            let (a, b) = (seq.map_at(p).unwrap(), per.map_at(p).unwrap());
            assert_eq!(seq.map(a), per.map(b), "position {p}");
        }
    }

    #[test]
    fn predictor_reproduces_bb2() {
        let m = bb2();
        let w = Window { size: 4, origin: 2 };
        let reference: Vec<TokenId> = BitTrace::new(&m, &Input::default(), w, 100)
            .unwrap()
            .collect();
        let mut ex = Executor::new(machine_to_gates_predictor(&m, w).unwrap());
        for &t in &reference[..32] {
            ex.feed(t);
        }
        for (p, &t) in reference.iter().enumerate().skip(32) {
            assert_eq!(ex.step(), t, "position {p}");
        }
        let circuit = machine_to_circuit(&m, w, 6);
        let x: Vec<bool> = reference[..32].iter().map(|t| t.0 == 1).collect();
        let y: Vec<bool> = reference[32..].iter().map(|t| t.0 == 1).collect();
        assert_eq!(circuit.evaluate(&x).unwrap(), y);
    }
}
