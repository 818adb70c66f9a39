//! Linear-threshold circuits: the IR between what is computed (a Turing machine's tableau,
//! parity, …) and the time-dependent linear predictor that computes it token by token.
//!
//! A [`ThresholdCircuit`] is a DAG (a petgraph [`DiGraph`](petgraph::graph::DiGraph)) of input bits and gates; a gate
//! with inputs `u_i`, integer weights `w_i` and threshold `θ` has value `1[Σ w_i·u_i ≥ θ]`.
//! Gates are kept in a topological order, which is also the chain of thought: the prompt is the
//! input bits in order, and token `n + g` is the value of gate `g` (see `proofs/gates.md`).
//!
//! Pipeline: `machine_to_circuit` ([`crate::encoding::gates`]) or the parity builders
//! ([`crate::tasks::parity`]) → [`ThresholdCircuit`] → [`circuit_to_predictor`] →
//! [`TimeDependentAr`](crate::predictor::time_dependent::TimeDependentAr) → executor; [`certify`] checks
//! the predictor against the circuit gate by gate; [`file`](mod@file) reads and writes `.ron` circuits.

pub mod certify;
pub mod compile;
pub mod file;
pub mod graph;

pub use graph::{CircuitError, CircuitStats, Node, NodeId, NodeKind, ThresholdCircuit};

pub use certify::{certify_circuit, CircuitCertificate};
pub use compile::{circuit_to_predictor, threshold_map, CircuitCompileError};

#[cfg(test)]
mod tests {
    use super::*;

    /// x0 XOR x1 as OR ∧ ¬AND: two gates feeding a third.
    fn xor() -> ThresholdCircuit {
        let mut c = ThresholdCircuit::new("xor");
        let a = c.add_input("a").unwrap();
        let b = c.add_input("b").unwrap();
        let or = c.add_gate("or", &[(a, 1), (b, 1)], 1).unwrap();
        let and = c.add_gate("and", &[(a, 1), (b, 1)], 2).unwrap();
        let x = c.add_gate("xor", &[(or, 1), (and, -1)], 1).unwrap();
        c.add_output(x);
        c
    }

    #[test]
    fn evaluates_in_topological_order() {
        let c = xor();
        for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
            let v = c.evaluate(&[a, b]).unwrap();
            assert_eq!(v, [a | b, a & b, a ^ b]);
        }
        assert_eq!(
            c.evaluate(&[true]),
            Err(CircuitError::InputCount {
                expected: 2,
                got: 1
            })
        );
        assert!(c.is_topologically_ordered());
        assert_eq!(c.topological_order().unwrap().len(), 3);
        assert_eq!(c.position(c.find("xor").unwrap()), 4);
    }

    #[test]
    fn stats_count_depth_fan_in_and_weights() {
        let s = xor().stats();
        assert_eq!(
            s,
            CircuitStats {
                inputs: 2,
                gates: 3,
                edges: 6,
                depth: 2,
                max_fan_in: 2,
                max_abs_weight: 1,
                max_abs_threshold: 2
            }
        );
    }

    #[test]
    fn repeated_inputs_merge_and_names_are_unique() {
        let mut c = ThresholdCircuit::new("m");
        let a = c.add_input("a").unwrap();
        let g = c.add_gate("g", &[(a, 2), (a, -2)], 0).unwrap();
        assert!(c.gate_inputs(g).is_empty());
        assert_eq!(
            c.add_input("a"),
            Err(CircuitError::DuplicateName("a".into()))
        );
        assert!(matches!(
            c.add_gate("h", &[(NodeId(9), 1)], 0),
            Err(CircuitError::UnknownNode { .. })
        ));
    }
}
