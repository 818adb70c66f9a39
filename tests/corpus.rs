//! One corpus, every engine: each machine in `machines/` runs its listed examples through the
//! interpreter and through every encoding's compiled predictor, token by token.
//!
//! An engine that cannot take an example says `Skip(reason)`, never a silent pass; failures
//! are collected and reported together at the end.

mod common;
use common::corpus;

use arsim::certify::{certify_cells, certify_gates, certify_sweep};
use arsim::compiler::{machine_to_cells_predictor, machine_to_sweep_predictor};
use arsim::emulate::{emulate, window_of_run, EmulateOptions};
use arsim::encoding::EncodingKind;
use arsim::interpreter;
use arsim::machine::{Example, Machine};

/// Examples whose `cells` trace is longer than this many tokens run through the interpreter
/// only (BB(5) and BB(2,4) are far beyond it; the 21-bit counter, 2·10^8 tokens, is inside).
const EMULATION_BUDGET: u64 = 250_000_000;

enum Outcome {
    Pass,
    Skip(String),
    Fail(String),
}

type Engine = fn(&Machine, &Example) -> Outcome;

/// `gates` traces (one bit per token) above this many bits are skipped.
const GATES_BUDGET: u64 = 40_000_000;

/// The engines, each checked against the example's expectations or against the interpreter.
const ENGINES: &[(&str, Engine)] = &[
    ("interpreter", interpreter_engine),
    ("cells", cells_engine),
    ("sweep", sweep_engine),
    ("gates", gates_engine),
];

fn limit(e: &Example) -> u64 {
    // A halting example gets one step of slack, so a machine that runs on is caught.
    e.max_steps.unwrap_or(e.steps + 1)
}

fn interpreter_engine(m: &Machine, e: &Example) -> Outcome {
    let r = interpreter::run(m, &e.input, limit(e));
    let mut problems = Vec::new();
    if r.steps != e.steps {
        problems.push(format!("steps {} (expected {})", r.steps, e.steps));
    }
    if r.stop != e.stop {
        problems.push(format!("stop {} (expected {})", r.stop, e.stop));
    }
    if let Some(q) = e.state {
        if r.state != m.state_name(q) {
            problems.push(format!("state {} (expected {})", r.state, m.state_name(q)));
        }
    }
    if let Some(t) = &e.tape {
        if &r.tape != t {
            problems.push(format!("tape {:?} (expected {t:?})", r.tape));
        }
    }
    if let Some(n) = e.nonblank {
        if r.nonblank != n {
            problems.push(format!("nonblank {} (expected {n})", r.nonblank));
        }
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(problems.join(", "))
    }
}

fn cells_engine(m: &Machine, e: &Example) -> Outcome {
    let w = window_of_run(m, &e.input, limit(e));
    let cert = certify_cells(m, &machine_to_cells_predictor(m, w), w).expect("compiled is local");
    if !cert.certified {
        return Outcome::Fail(format!("certificate fails: {:?}", cert.failures));
    }
    emulate_engine(
        EncodingKind::Cells,
        m,
        e,
        e.steps.saturating_mul(w.size as u64 + 1),
        EMULATION_BUDGET,
    )
}

fn sweep_engine(m: &Machine, e: &Example) -> Outcome {
    let w = window_of_run(m, &e.input, limit(e));
    let cert = match certify_sweep(
        m,
        &machine_to_sweep_predictor(m, w).expect("no stay loops"),
        w,
    ) {
        Ok(c) => c,
        Err(err) => return Outcome::Fail(err.to_string()),
    };
    if !cert.certified {
        return Outcome::Fail(format!("certificate fails: {:?}", cert.failures));
    }
    // A sweep trace is never longer than the cells trace.
    emulate_engine(
        EncodingKind::Sweep,
        m,
        e,
        e.steps.saturating_mul(w.size as u64 + 1),
        EMULATION_BUDGET,
    )
}

fn gates_engine(m: &Machine, e: &Example) -> Outcome {
    let w = window_of_run(m, &e.input, limit(e));
    let bits = e
        .steps
        .saturating_mul((w.size * m.num_symbols() * (m.num_states() + 1)) as u64);
    if bits > GATES_BUDGET {
        return Outcome::Skip(format!(
            "{bits} bits exceed the test budget of {GATES_BUDGET}"
        ));
    }
    match certify_gates(m, w, e.steps.min(4)) {
        Ok(c) if c.certified => {}
        Ok(c) => return Outcome::Fail(format!("certificate fails: {c:?}")),
        Err(err) => return Outcome::Fail(err.to_string()),
    }
    emulate_engine(EncodingKind::Gates, m, e, bits, GATES_BUDGET)
}

/// Emulates the example under `kind` on the window its run visits and checks that every token
/// agreed, that the trace covers exactly the example's steps, and that its length is the
/// encoding's formula.
fn emulate_engine(
    kind: EncodingKind,
    m: &Machine,
    e: &Example,
    tokens: u64,
    budget: u64,
) -> Outcome {
    if tokens > budget {
        return Outcome::Skip(format!(
            "{tokens} tokens exceed the test budget of {budget}"
        ));
    }
    let opts = EmulateOptions {
        input: e.input.clone(),
        window: None,
        max_steps: limit(e).min(e.steps),
    };
    let r = match emulate(kind, m, &opts, &mut |_| {}) {
        Ok(r) => r,
        Err(err) => return Outcome::Fail(err.to_string()),
    };
    if !r.agree {
        return Outcome::Fail(format!("diverges: {:?}", r.first_divergence));
    }
    if r.generated_tokens != r.expected_tokens || r.left_window.is_some() {
        return Outcome::Fail(format!(
            "generated {} tokens, the formula {} says {}; left window: {:?}",
            r.generated_tokens,
            kind.length_formula(),
            r.expected_tokens,
            r.left_window
        ));
    }
    // Runs cut by the step limit cover exactly that many steps; sweep counts complete rows.
    if kind != EncodingKind::Sweep && r.steps != e.steps {
        return Outcome::Fail(format!("covered {} steps, expected {}", r.steps, e.steps));
    }
    Outcome::Pass
}

#[test]
fn every_machine_through_every_engine() {
    let mut failures = Vec::new();
    let mut passes = 0;
    let mut skips = Vec::new();
    let machines = corpus();
    assert!(
        machines.len() >= 15,
        "the corpus has {} machines",
        machines.len()
    );
    for (path, m) in &machines {
        assert!(
            !m.examples().is_empty(),
            "{} lists no examples",
            path.display()
        );
        for e in m.examples() {
            for (engine, run) in ENGINES {
                let at = format!(
                    "{}:{} input {:?} [{engine}]",
                    path.display(),
                    e.line.unwrap_or(0),
                    e.input_text
                );
                match run(m, e) {
                    Outcome::Pass => passes += 1,
                    Outcome::Skip(why) => skips.push(format!("{at}: skipped: {why}")),
                    Outcome::Fail(why) => failures.push(format!("{at}: {why}")),
                }
            }
        }
    }
    for s in &skips {
        eprintln!("{s}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Only the two giants may skip the token-level encodings; gates (one bit per token) also
    // skips the longest runs, each with its reason printed above.
    assert!(
        skips
            .iter()
            .all(|s| s.contains("bb5.ron") || s.contains("bb2x4.ron") || s.contains("[gates]")),
        "{skips:?}"
    );
    assert!(passes > 100, "{passes} passes");
}

#[test]
fn golden_counts() {
    let find = |name: &str| {
        corpus()
            .into_iter()
            .find(|(p, _)| p.file_stem().unwrap() == name)
            .unwrap()
            .1
    };
    for (name, steps, ones) in [
        ("bb2", 6, Some(4)),
        ("bb3", 21, None),
        ("bb4", 107, Some(13)),
        ("bb2x3", 38, Some(9)),
        ("bb2x4", 3_932_964, Some(2_050)),
        ("bb5", 47_176_870, Some(4_098)),
    ] {
        let r = interpreter::run(&find(name), &[], 100_000_000);
        assert_eq!(r.steps, steps, "{name}");
        assert_eq!(r.stop, arsim::machine::Stop::Halted, "{name}");
        if let Some(ones) = ones {
            assert_eq!(r.nonblank, ones, "{name}");
        }
    }
}

#[test]
fn counter_has_a_run_of_a_hundred_million_tokens() {
    // The streaming check (peak memory) in the issue note uses this run.
    let m = corpus()
        .into_iter()
        .find(|(p, _)| p.file_stem().unwrap() == "counter")
        .unwrap()
        .1;
    let input = m.parse_input(&"0".repeat(21)).unwrap();
    let r = interpreter::run(&m, &input, u64::MAX);
    let (s, _) = r.window(input.len());
    assert!(
        r.steps * (s as u64 + 1) >= 100_000_000,
        "{} steps × {} cells",
        r.steps,
        s + 1
    );
}
