//! The `gates` encoding: a run as the one-hot bits of its `cells` tableau, each bit of row t+1
//! one threshold gate over the bits of three cells of row t (see `proofs/gates.md`).
//!
//! Dictionary {0, 1}. A cell is `B = |Γ|·(|Q|+1)` bits, one per `cells` token ⟨h, σ⟩ (bit
//! `id − 1` for the token of id `id`: the one bit of the cell's token is 1); a row is the
//! `R = S·B` bits of its S cells, with no separator. The trace of C0..CT is row 0 (the prompt,
//! the circuit's inputs) followed by rows 1..T, generated: length complexity `T·S·|Γ|·(|Q|+1)`.
//!
//! Pipeline: [`row_template`] (the gates of one row, over the row before) →
//! [`machine_to_circuit`] (T rows unrolled into a [`ThresholdCircuit`]) →
//! [`circuit_to_predictor`](crate::circuit::circuit_to_predictor); or, without materialising
//! the circuit, [`machine_to_gates_predictor`]: the same maps, stored once and served
//! periodically (row t+1 reads row t at the same offsets for every t). [`BitTrace`] is the
//! interpreter's run as bits, [`Gates`] the encoding (stop rule, certificate), [`decode_row`] turns bits back into
//! a configuration.

pub mod certify;

use crate::certify::{CertifyError, CertifyReport};
use crate::circuit::{threshold_map, NodeId, ThresholdCircuit};
use crate::encoding::divergence::DivergenceReport;
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use crate::encoding::cells::{Dictionary, ReferenceTrace};
use crate::encoding::halt::RowHalt;
use crate::encoding::contract::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
use crate::machine::{Input, Machine, Move, StateId, SymbolId};
use crate::predictor::TokenId;
use crate::time_dependent::{Schedule, TimeDependentAr};
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use serde::Serialize;

/// Where bits stand in a `gates` trace of one machine on one window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitLayout {
    dict: Dictionary,
    symbols: usize,
    window: Window,
}

impl BitLayout {
    /// The layout of `machine`'s rows on `window`.
    pub fn new(machine: &Machine, window: Window) -> BitLayout {
        BitLayout {
            dict: Dictionary::new(machine),
            symbols: machine.num_symbols(),
            window,
        }
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Bits per cell B = |Γ|·(|Q|+1).
    pub fn bits_per_cell(&self) -> usize {
        self.dict.len() - 1
    }

    /// Bits per row R = S·B.
    pub fn row_bits(&self) -> usize {
        self.window.size * self.bits_per_cell()
    }

    /// Length complexity of `steps` steps: T·R gates.
    pub fn length(&self, steps: u64) -> u64 {
        steps * self.row_bits() as u64
    }

    /// The bit (within a cell) of a cell token; `None` for SEP and padding.
    pub fn bit_of(&self, t: CellToken) -> Option<usize> {
        match t {
            CellToken::Cell { .. } => Some(self.dict.encode(t).index() - 1),
            _ => None,
        }
    }

    /// The cell token whose bit (within a cell) is `b`.
    pub fn token_of(&self, b: usize) -> CellToken {
        self.dict.decode(TokenId(b as u32 + 1))
    }

    /// A bit's token name, e.g. `⟨B,1⟩`.
    pub fn bit_name(&self, machine: &Machine, b: usize) -> String {
        self.dict.name(machine, TokenId(b as u32 + 1))
    }

    /// A bit's name within a row: `c2=⟨B,1⟩` is bit ⟨B,1⟩ of cell 2.
    pub fn cell_bit_name(&self, machine: &Machine, cell: usize, b: usize) -> String {
        format!("c{cell}={}", self.bit_name(machine, b))
    }

    /// A gate's (or input's) name: `t3.c2=⟨B,1⟩` is bit ⟨B,1⟩ of cell 2 in row 3.
    pub fn gate_name(&self, machine: &Machine, row: u64, cell: usize, b: usize) -> String {
        format!("t{row}.{}", self.cell_bit_name(machine, cell, b))
    }

    /// (row, cell, bit) of a trace position.
    pub fn locate(&self, position: u64) -> (u64, usize, usize) {
        let r = self.row_bits() as u64;
        let within = (position % r) as usize;
        let b = self.bits_per_cell();
        (position / r, within / b, within % b)
    }

    /// The bits of a configuration's row.
    pub fn encode_row(&self, config: &WindowConfig) -> Vec<bool> {
        let b = self.bits_per_cell();
        let mut bits = vec![false; self.row_bits()];
        for i in 0..config.cells.len() {
            if let Some(k) = self.bit_of(config.token(i)) {
                bits[i * b + k] = true;
            }
        }
        bits
    }
}

/// Why a row of bits is not a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum DecodeError {
    /// The row has the wrong number of bits.
    #[error("a row has {expected} bits, not {got}")]
    Length {
        /// R.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// A cell's bits are not one-hot.
    #[error("cell {cell} has {ones} bits set; exactly one is needed")]
    NotOneHot {
        /// The cell.
        cell: usize,
        /// Bits set.
        ones: usize,
    },
    /// The row has no head, or more than one.
    #[error("the row has {0} heads; exactly one is needed")]
    Heads(usize),
}

/// Decodes a row of bits back to the configuration it spells.
pub fn decode_row(layout: &BitLayout, bits: &[bool]) -> Result<WindowConfig, DecodeError> {
    if bits.len() != layout.row_bits() {
        return Err(DecodeError::Length {
            expected: layout.row_bits(),
            got: bits.len(),
        });
    }
    let b = layout.bits_per_cell();
    let mut cells = Vec::with_capacity(layout.window.size);
    let mut heads = Vec::new();
    for (i, cell) in bits.chunks(b).enumerate() {
        let ones: Vec<usize> = (0..b).filter(|&k| cell[k]).collect();
        let [k] = ones[..] else {
            return Err(DecodeError::NotOneHot {
                cell: i,
                ones: ones.len(),
            });
        };
        // Bits 0..B stand for the cell tokens (ids 1..=B), never SEP or padding.
        if let CellToken::Cell { symbol, head } = layout.token_of(k) {
            cells.push(symbol);
            if let Some(q) = head {
                heads.push((i, q));
            }
        }
    }
    let [(head, state)] = heads[..] else {
        return Err(DecodeError::Heads(heads.len()));
    };
    Ok(WindowConfig { cells, head, state })
}

/// One gate of the row template: bit `bit` of cell `cell` in row t+1, over row t's bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateGate {
    /// The cell.
    pub cell: usize,
    /// The bit within the cell (the token ⟨h, σ⟩ it stands for).
    pub bit: usize,
    /// (bit index in row t, weight), sorted by bit index, no zeros.
    pub inputs: Vec<(usize, i32)>,
    /// θ.
    pub threshold: i32,
}

/// The gates of one row over the row before: the circuit of one step, repeated T times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowTemplate {
    /// The bit layout.
    pub layout: BitLayout,
    /// R gates, in the order of the row's bits.
    pub gates: Vec<TemplateGate>,
}

/// Where the head of a cell of row t goes (its move, `S` for a stay or a final head) and the
/// state it arrives in; `None` for a cell with no head, or a head with no way on.
fn head_goes(machine: &Machine, t: CellToken) -> Option<(Move, StateId)> {
    let CellToken::Cell {
        symbol,
        head: Some(q),
    } = t
    else {
        return None;
    };
    if machine.is_final(q, symbol) {
        // Final heads are absorbing.
        return Some((Move::S, q));
    }
    machine.rule(q, symbol).map(|r| (r.movement, r.next))
}

/// The symbol a cell of row t holds in row t+1 (rewritten where its head has a rule).
fn new_symbol(machine: &Machine, t: CellToken) -> Option<SymbolId> {
    let CellToken::Cell { symbol, head } = t else {
        return None;
    };
    Some(match head {
        Some(q) if !machine.is_final(q, symbol) => {
            machine.rule(q, symbol).map_or(symbol, |r| r.write)
        }
        _ => symbol,
    })
}

/// Builds the gates of a row (proofs/gates.md#tm-gate). For output bit ⟨h, σ⟩ of cell i,
/// writing `sym = Σ` of the centre bits whose new symbol is σ and `send(q) = Σ` of the bits of
/// cells i−1, i, i+1 whose head arrives at cell i in state q (moving R from the left, staying or
/// final in the centre, moving L from the right):
/// - `h = q`: gate `1[sym + send(q) ≥ 2]` (weights +1, threshold 2);
/// - `h = none`: gate `1[sym − Σ_q send(q) ≥ 1]` (weights +1 and −1, threshold 1),
///
/// i.e. "symbol part + head part ≥ 2" with head part `1 − Σ_q send(q)` for no head. A bit that
/// is in both sums has its weights added.
pub fn row_template(machine: &Machine, window: Window) -> RowTemplate {
    let layout = BitLayout::new(machine, window);
    let b = layout.bits_per_cell();
    let s = window.size;
    let tokens: Vec<CellToken> = (0..b).map(|k| layout.token_of(k)).collect();
    let mut gates = Vec::with_capacity(layout.row_bits());
    for cell in 0..s {
        // (bit in row t, state sent into `cell`) for every bit whose head arrives here.
        let mut senders: Vec<(usize, StateId)> = Vec::new();
        for (from, arrives) in [
            (cell.checked_sub(1), Move::R),
            (Some(cell), Move::S),
            ((cell + 1 < s).then_some(cell + 1), Move::L),
        ] {
            let Some(from) = from else { continue };
            for (k, &t) in tokens.iter().enumerate() {
                if let Some((m, q)) = head_goes(machine, t) {
                    if m == arrives {
                        senders.push((from * b + k, q));
                    }
                }
            }
        }
        for (bit, &out) in tokens.iter().enumerate() {
            let CellToken::Cell {
                symbol: sigma,
                head,
            } = out
            else {
                continue;
            };
            let mut w = vec![0i32; 3 * b];
            // Index in `w`: bits of cells cell−1, cell, cell+1 (shifted by one cell).
            let local = |row_bit: usize| row_bit + b - cell * b;
            for (k, &t) in tokens.iter().enumerate() {
                if new_symbol(machine, t) == Some(sigma) {
                    w[local(cell * b + k)] += 1;
                }
            }
            let threshold = match head {
                Some(q) => {
                    for &(rb, to) in &senders {
                        if to == q {
                            w[local(rb)] += 1;
                        }
                    }
                    2
                }
                None => {
                    for &(rb, _) in &senders {
                        w[local(rb)] -= 1;
                    }
                    1
                }
            };
            let inputs = w
                .iter()
                .enumerate()
                .filter(|&(_, &x)| x != 0)
                .map(|(i, &x)| (i + cell * b - b, x))
                .collect();
            gates.push(TemplateGate {
                cell,
                bit,
                inputs,
                threshold,
            });
        }
    }
    RowTemplate { layout, gates }
}

/// The circuit of `steps` steps (proofs/gates.md#tm-circuit): inputs are row 0's R bits, and
/// row t+1's gates are [`row_template`]'s, reading row t. T·R gates, in row-major order.
pub fn machine_to_circuit(machine: &Machine, window: Window, steps: u64) -> ThresholdCircuit {
    let template = row_template(machine, window);
    let layout = &template.layout;
    let b = layout.bits_per_cell();
    let mut c = ThresholdCircuit::new(format!(
        "{}-gates-S{}-T{steps}",
        machine.name(),
        window.size
    ));
    let mut prev: Vec<NodeId> = (0..layout.row_bits())
        .map(|k| {
            c.add_input(layout.gate_name(machine, 0, k / b, k % b))
                .expect("names are unique by construction")
        })
        .collect();
    let mut inputs = Vec::new();
    for t in 1..=steps {
        let mut row = Vec::with_capacity(prev.len());
        for g in &template.gates {
            inputs.clear();
            inputs.extend(g.inputs.iter().map(|&(k, w)| (prev[k], w)));
            row.push(
                c.add_gate(
                    layout.gate_name(machine, t, g.cell, g.bit),
                    &inputs,
                    g.threshold,
                )
                .expect("inputs exist and names are unique by construction"),
            );
        }
        prev = row;
    }
    for &o in &prev {
        c.add_output(o);
    }
    c
}

/// The `gates` predictor for any number of steps: map k is [`threshold_map`] of template gate k,
/// its input bit k' of the previous row read at offset `R + k − k'`, served periodically from
/// position R (proofs/gates.md#periodic). Equal, position by position, to
/// `circuit_to_predictor(machine_to_circuit(machine, window, T))` for every T.
pub fn machine_to_gates_predictor(
    machine: &Machine,
    window: Window,
) -> Result<TimeDependentAr, WindowError> {
    if window.size == 0 {
        return Err(WindowError::Empty);
    }
    let template = row_template(machine, window);
    let r = template.layout.row_bits();
    let maps = template
        .gates
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let map = threshold_map(
                g.inputs.iter().map(|&(k2, w)| ((r + k - k2) as u32, w)),
                g.threshold,
            )
            .expect("template weights are in {-2..2} and thresholds in {1, 2}");
            (template.layout.cell_bit_name(machine, g.cell, g.bit), map)
        })
        .collect();
    Ok(
        TimeDependentAr::new(maps, Schedule::Periodic { start: r as u64 })
            .expect("offsets are at least R - 2B + 1 ≥ 1 and tokens are bits"),
    )
}

/// The interpreter's run as a stream of `gates` bits: the `cells` trace with separators dropped
/// and every cell token spread over its B one-hot bits. Memory is one row.
#[derive(Clone, Debug)]
pub struct BitTrace<'m> {
    inner: ReferenceTrace<'m>,
    bits_per_cell: usize,
    /// The set bit of the current cell.
    current: usize,
    /// Bits of the current cell still to emit.
    left: usize,
}

impl<'m> BitTrace<'m> {
    /// The bit trace of `machine` on `input` in `window`, at most `max_steps` steps.
    pub fn new(
        machine: &'m Machine,
        input: &Input,
        window: Window,
        max_steps: u64,
    ) -> Result<BitTrace<'m>, WindowError> {
        Ok(BitTrace {
            inner: ReferenceTrace::new(machine, input, window, max_steps)?,
            bits_per_cell: machine.num_symbols() * (machine.num_states() + 1),
            current: 0,
            left: 0,
        })
    }

    /// How the run ended (`None` while bits remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.inner.end()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.inner.steps()
    }
}

impl Iterator for BitTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        while self.left == 0 {
            let id = self.inner.next()?;
            if id.0 == 0 {
                continue; // SEP
            }
            self.current = id.index() - 1;
            self.left = self.bits_per_cell;
        }
        let bit = self.bits_per_cell - self.left;
        self.left -= 1;
        Some(TokenId((bit == self.current) as u32))
    }
}

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

impl Trace for BitTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.inner.end()
    }

    fn steps(&self) -> u64 {
        self.inner.steps()
    }

    /// T·S·|Γ|(|Q|+1) bits.
    fn expected_tokens(&self) -> u64 {
        self.steps() * (self.inner.config().cells.len() * self.bits_per_cell) as u64
    }

    fn formula(&self) -> String {
        format!(
            "T·S·|Γ|(|Q|+1) = {}·{}·{}",
            self.steps(),
            self.inner.config().cells.len(),
            self.bits_per_cell
        )
    }

    /// The gates evaluated, and the `cells` tokens of the same run for comparison.
    fn extras(&self) -> TraceExtras {
        TraceExtras {
            gates: Some(self.expected_tokens()),
            cells_tokens: Some(self.steps() * (self.inner.config().cells.len() as u64 + 1)),
            ..TraceExtras::default()
        }
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
        crate::time_dependent::VOCAB
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
