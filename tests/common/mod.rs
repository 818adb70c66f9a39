//! What the integration tests share: the corpus, random machines (one family for every
//! engine), and running the `arsim` binary.
// Each test crate uses a subset of these.
#![allow(dead_code)]

pub mod counting;

use arsim::machine::{load_machine, validate, Machine, MachineSpec, Move, RuleSpec};
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Every machine of `machines/`, with its path, in file-name order.
pub fn corpus() -> Vec<(PathBuf, Machine)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("machines");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("machines/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let m = load_machine(p.to_str().expect("utf-8 path")).unwrap_or_else(|e| panic!("{e}"));
            (p, m)
        })
        .collect()
}

/// Runs the `arsim` binary in the repository root.
pub fn arsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// The one JSON object a `--json` run printed.
/// A small corpus of 40 stories in TinyStories' format, written to `dir/stories.txt` (for the
/// text task's command-line tests, which must not need `../shared/`).
#[allow(dead_code)] // not every test binary trains on text
pub fn write_stories(dir: &std::path::Path) -> PathBuf {
    let corpus = dir.join("stories.txt");
    let stories: String = (0..40)
        .map(|i| format!("Once upon a time, a cat named Tom{i} sat on a mat.\n<|endoftext|>\n"))
        .collect();
    std::fs::write(&corpus, stories).unwrap();
    corpus
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

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

/// A machine of [`random_machines`] with an input word of up to 5 symbols over its alphabet,
/// the head starting on any of its cells or on the blank right of it (Morphett's `*`).
pub fn with_input(
    machines: impl Strategy<Value = Machine>,
) -> impl Strategy<Value = (Machine, arsim::machine::Input)> {
    machines.prop_flat_map(|m| {
        let k = m.num_symbols() as u8;
        let word = proptest::collection::vec((0..k).prop_map(arsim::machine::SymbolId), 0..6);
        let input = word.prop_flat_map(|w| {
            let n = w.len();
            (0..=n).prop_map(move |head| arsim::machine::Input::new(w.clone(), head))
        });
        (Just(m), input)
    })
}
