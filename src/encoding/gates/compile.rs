//! The `gates` compiler: the gates of one row over the row before ([`row_template`],
//! proofs/gates.md#tm-gate), the circuit of T steps ([`machine_to_circuit`]) and the periodic
//! time-dependent predictor that serves any T ([`machine_to_gates_predictor`]).

use crate::circuit::{threshold_map, NodeId, ThresholdCircuit};
use crate::encoding::gates::BitLayout;
use crate::machine::{Machine, Move, StateId, SymbolId};
use crate::predictor::time_dependent::{Schedule, TimeDependentAr};
use crate::window::{CellToken, Window, WindowError};

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
