//! Strategies the property tests share: random machines, one family for every engine.

use arsim::machine::{validate, Machine, MachineSpec, Move, RuleSpec};
use proptest::prelude::*;

/// Up to `max_states` working states plus a halting state `H`, 2 or 3 symbols (`0` blank),
/// each rule present with probability 7/8 (a missing rule stops the run with `no-rule`).
pub fn random_machines(max_states: usize) -> impl Strategy<Value = Machine> {
    (1usize..=max_states, 2usize..=3).prop_flat_map(|(n, k)| {
        let rule = proptest::option::weighted(
            0.875,
            (
                0..k,
                prop_oneof![Just(Move::L), Just(Move::R), Just(Move::S)],
                0..=n,
            ),
        );
        proptest::collection::vec(rule, n * k).prop_map(move |rules| {
            let states: Vec<String> = (0..n)
                .map(|q| format!("q{q}"))
                .chain(["H".to_string()])
                .collect();
            let spec = MachineSpec {
                name: "random".into(),
                symbols: (0..k).map(|s| s.to_string()).collect(),
                blank: "0".into(),
                states: states.clone(),
                start: "q0".into(),
                halting: vec!["H".into()],
                rules: rules
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        r.map(|(w, mv, next)| {
                            RuleSpec(
                                states[i / k].clone(),
                                (i % k).to_string(),
                                w.to_string(),
                                mv,
                                states[next].clone(),
                            )
                        })
                    })
                    .collect(),
                ..MachineSpec::default()
            };
            validate(&spec, None, None).expect("generated machines are valid")
        })
    })
}
