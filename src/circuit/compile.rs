//! Circuit → predictor: each gate becomes the linear map of its own position
//! (`proofs/gates.md#gate-to-map`).
//!
//! The prompt is the input bits, in order; token `n + g` is gate `g`. The map of that position
//! reads each of the gate's inputs at the offset back to the input's position, so a gate's
//! weights become one sparse row of a time-dependent predictor.

use super::{NodeKind, ThresholdCircuit};
use crate::predictor::time_dependent::{Entry, Schedule, TimeDependentAr, TimeDependentError};
use serde::Serialize;

/// Why a circuit cannot be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum CircuitCompileError {
    /// With no inputs, the first gate would read only padding.
    #[error("the circuit `{0}` has no inputs: the prompt would be empty and the first gate's bias unreadable")]
    NoInputs(String),
    /// A doubled weight or threshold does not fit in i32.
    #[error("gate `{gate}`: weight or threshold {value} is too large (|2·w| and |2·θ − 1| must fit in i32)")]
    TooLarge {
        /// The gate.
        gate: String,
        /// The weight or threshold.
        value: i64,
    },
    /// The maps were rejected (a programming error in a pass).
    #[error(transparent)]
    Maps(#[from] TimeDependentError),
}

/// The map of one gate `1[Σ_i w_i·x_(p−j_i) ≥ θ]` whose inputs stand `j_i` tokens back.
///
/// Formula (proofs/gates.md#gate-to-map):
/// - `W_(j_i)[1, 1] = 2·w_i` for every input;
/// - `W_1[0, 0] = W_1[0, 1] = 2·θ − 1` (the bias, read through whichever token is one back);
/// - every other weight is 0.
///
/// So `score(1) − score(0) = 2·(Σ w_i·x_i − θ) + 1`, an odd integer: the argmax is the gate's
/// value and the margin is at least 1. `inputs` must not contain offset 0.
pub fn threshold_map(
    inputs: impl IntoIterator<Item = (u32, i32)>,
    threshold: i32,
) -> Option<Vec<Entry>> {
    let mut entries = Vec::new();
    for (offset, w) in inputs {
        entries.push(Entry {
            offset,
            input: 1,
            output: 1,
            weight: w.checked_mul(2)?,
        });
    }
    let bias = threshold.checked_mul(2)?.checked_sub(1)?;
    for input in [0, 1] {
        entries.push(Entry {
            offset: 1,
            input,
            output: 0,
            weight: bias,
        });
    }
    Some(entries)
}

/// Compiles a circuit to its time-dependent predictor: map `g` (serving position `n + g`) is
/// [`threshold_map`] of gate `g`, its inputs read at offset `position(g) − position(input)`
/// (proofs/gates.md#circuit-theorem).
pub fn circuit_to_predictor(
    circuit: &ThresholdCircuit,
) -> Result<TimeDependentAr, CircuitCompileError> {
    if circuit.inputs().is_empty() {
        return Err(CircuitCompileError::NoInputs(circuit.name().to_string()));
    }
    let mut maps = Vec::with_capacity(circuit.gates().len());
    for &g in circuit.gates() {
        let node = circuit.node(g);
        let NodeKind::Gate { threshold, .. } = node.kind else {
            continue;
        };
        let p = circuit.position(g);
        let ins = circuit.gate_inputs(g);
        let too_large = |value: i64| CircuitCompileError::TooLarge {
            gate: node.name.clone(),
            value,
        };
        let map = threshold_map(
            ins.iter()
                .map(|&(u, w)| ((p - circuit.position(u)) as u32, w)),
            threshold,
        )
        .ok_or_else(|| {
            let worst = ins
                .iter()
                .map(|&(_, w)| w as i64)
                .chain([threshold as i64])
                .max_by_key(|v| v.abs())
                .unwrap_or(0);
            too_large(worst)
        })?;
        maps.push((node.name.clone(), map));
    }
    Ok(TimeDependentAr::new(
        maps,
        Schedule::Sequential {
            start: circuit.inputs().len() as u64,
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;
    use crate::predictor::TokenId;

    #[test]
    fn majority_compiles_to_its_stated_weights() {
        let mut c = ThresholdCircuit::new("maj");
        let xs: Vec<_> = (0..3)
            .map(|i| c.add_input(format!("x{i}")).unwrap())
            .collect();
        c.add_gate("maj", &[(xs[0], 1), (xs[1], 1), (xs[2], 1)], 2)
            .unwrap();
        let p = circuit_to_predictor(&c).unwrap();
        assert_eq!(p.num_maps(), 1);
        let labels: Vec<String> = p.map(0).iter().map(|e| p.label(0, e)).collect();
        assert_eq!(
            labels,
            [
                "W^(maj)[0 ← (1, 0)] = 3",
                "W^(maj)[0 ← (1, 1)] = 3",
                "W^(maj)[1 ← (1, 1)] = 2",
                "W^(maj)[1 ← (2, 1)] = 2",
                "W^(maj)[1 ← (3, 1)] = 2",
            ]
        );
        for bits in 0..8u32 {
            let x: Vec<bool> = (0..3).map(|i| bits >> i & 1 == 1).collect();
            let mut ex = Executor::new(&p);
            for &b in &x {
                ex.feed(TokenId(b as u32));
            }
            assert_eq!(ex.step().0 == 1, c.evaluate(&x).unwrap()[0]);
        }
    }

    #[test]
    fn empty_and_oversized_circuits_are_errors() {
        let mut c = ThresholdCircuit::new("const");
        c.add_gate("one", &[], 0).unwrap();
        assert_eq!(
            circuit_to_predictor(&c),
            Err(CircuitCompileError::NoInputs("const".into()))
        );
        let mut c = ThresholdCircuit::new("big");
        let x = c.add_input("x").unwrap();
        c.add_gate("g", &[(x, i32::MAX)], 1).unwrap();
        assert!(matches!(
            circuit_to_predictor(&c),
            Err(CircuitCompileError::TooLarge { value, .. }) if value == i32::MAX as i64
        ));
    }
}
