//! One corpus, every engine: each machine in `machines/` runs its listed examples through the
//! interpreter, through every encoding's compiled predictor (certified, then emulated token by
//! token), and through the row executor.
//!
//! An engine that cannot take an example says `Skip(reason)`, never a silent pass; failures
//! are collected and reported together at the end.

mod common;
use common::corpus;

use arsim::api::{prepare, ExecutorOptions};
use arsim::encoding::{Encoding, EncodingKind};
use arsim::interpreter;
use arsim::machine::{Example, Input, Machine};
use arsim::rows::ExecutorChoice;
use arsim::window::window_of_run;

/// Tokens (for `gates`, bits) above which an example runs through the interpreter only (BB(5)
/// and BB(2,4) are far beyond it; the 21-bit counter, 2·10^8 `cells` tokens, is inside).
const EMULATION_BUDGET: u64 = 250_000_000;

/// Bits of a sparse, one-map-a-position predictor (`gates`) above which it is skipped: each
/// costs a map lookup, not a column add.
const SPARSE_BUDGET: u64 = 40_000_000;

enum Outcome {
    Pass,
    Skip(String),
    Fail(String),
}

/// An engine: the interpreter, or an encoding's compiled predictor on an executor.
#[derive(Clone, Copy)]
enum Engine {
    Interpreter,
    Compiled(EncodingKind, ExecutorChoice),
}

impl Engine {
    /// Every engine: the interpreter, each encoding on the token executor, and `cells` on the
    /// row executor.
    fn all() -> Vec<Engine> {
        let tokens = EncodingKind::ALL.map(|k| Engine::Compiled(k, ExecutorChoice::Tokens));
        std::iter::once(Engine::Interpreter)
            .chain(tokens)
            .chain([Engine::Compiled(EncodingKind::Cells, ExecutorChoice::Rows)])
            .collect()
    }

    fn name(self) -> String {
        match self {
            Engine::Interpreter => "interpreter".into(),
            Engine::Compiled(k, ExecutorChoice::Rows) => format!("{} rows", k.name()),
            Engine::Compiled(k, _) => k.name().into(),
        }
    }

    fn run(self, m: &Machine, e: &Example) -> Outcome {
        match self {
            Engine::Interpreter => interpreter_engine(m, e),
            Engine::Compiled(kind, executor) => compiled_engine(kind, executor, m, e),
        }
    }
}

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

/// Compiles the example's machine under `kind` on the window its run visits, certifies it, and
/// emulates the example on `executor`: every token must agree, the trace must cover exactly the
/// example's steps, and its length must be the encoding's formula. Written once over
/// [`Encoding`]: a new encoding runs here with no change.
fn compiled_engine(
    kind: EncodingKind,
    executor: ExecutorChoice,
    m: &Machine,
    e: &Example,
) -> Outcome {
    let w = window_of_run(m, &e.input, limit(e));
    let p = match prepare(m, &e.input, kind, Some(w), None, limit(e)) {
        Ok(p) => p,
        Err(err) => return Outcome::Fail(err.to_string()),
    };
    // A row a step bounds every encoding's trace (sweep's rows are fewer).
    let tokens = e.steps.saturating_mul(p.enc.row_len() as u64);
    let budget = match p.enc.info().sparse_weights {
        true => SPARSE_BUDGET,
        false => EMULATION_BUDGET,
    };
    if tokens > budget {
        return Outcome::Skip(format!(
            "{tokens} tokens exceed the test budget of {budget}"
        ));
    }
    match p.certify(m, &e.input, &mut |_, _| {}) {
        Ok(c) if c.certified() => {}
        Ok(c) => return Outcome::Fail(format!("certificate fails: {c:?}")),
        Err(err) => return Outcome::Fail(err.to_string()),
    }
    let max_steps = limit(e).min(e.steps);
    let r = match p.emulate(
        m,
        e.input.clone(),
        max_steps,
        ExecutorOptions {
            executor,
            threads: Some(1),
            ..Default::default()
        },
        &mut |_| {},
    ) {
        Ok(r) => r,
        Err(err) => return Outcome::Fail(err.to_string()),
    };
    if !r.agree {
        return Outcome::Fail(format!("diverges: {:?}", r.first_divergence));
    }
    if executor == ExecutorChoice::Rows && r.executor != "rows" {
        return Outcome::Fail(format!("ran on the {} executor", r.executor));
    }
    if r.generated_tokens != r.expected_tokens || r.left_window.is_some() {
        return Outcome::Fail(format!(
            "generated {} tokens, the formula {} says {}; left window: {:?}",
            r.generated_tokens,
            kind.info().length_formula,
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

/// Runs `examples` of every corpus machine through `engines`; returns the passes and the
/// skips, and panics with every failure listed.
fn check_corpus(
    examples: impl Fn(&Machine) -> Vec<Example>,
    engines: &[Engine],
) -> (usize, Vec<String>) {
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
        for e in examples(m) {
            for &engine in engines {
                let at = format!(
                    "{}:{} input {:?} [{}]",
                    path.display(),
                    e.line.unwrap_or(0),
                    e.input_text,
                    engine.name()
                );
                match engine.run(m, &e) {
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
    (passes, skips)
}

#[test]
fn every_machine_through_every_engine() {
    for (path, m) in corpus() {
        assert!(
            !m.examples().is_empty(),
            "{} lists no examples",
            path.display()
        );
    }
    let (passes, skips) = check_corpus(|m| m.examples().to_vec(), &Engine::all());
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

/// Each example's input again, the head starting off its first cell (Morphett's `*`): on the
/// blank right of the input for even-numbered examples, on its middle cell for odd ones. The
/// run, to the example's step limit, is the interpreter's: what is expected of the compiled
/// engines is that they follow it token by token, certified, to the same step.
fn head_start_examples(m: &Machine) -> Vec<Example> {
    m.examples()
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.input.is_empty())
        .map(|(i, e)| {
            let n = e.input.len();
            let input = Input::new(e.input.symbols.clone(), if i % 2 == 0 { n } else { n / 2 });
            let r = interpreter::run(m, &input, limit(e));
            Example {
                input_text: m.render_input(&input),
                input,
                steps: r.steps,
                stop: r.stop,
                state: m.state_id(&r.state),
                tape: Some(r.tape),
                nonblank: Some(r.nonblank),
                max_steps: Some(limit(e)),
                line: e.line,
            }
        })
        .collect()
}

#[test]
fn every_machine_through_every_engine_from_a_head_start() {
    let compiled: Vec<Engine> = Engine::all()
        .into_iter()
        .filter(|e| !matches!(e, Engine::Interpreter))
        .collect();
    let (passes, skips) = check_corpus(head_start_examples, &compiled);
    assert!(skips.iter().all(|s| s.contains("[gates]")), "{skips:?}");
    // 191 today: the corpus's non-empty examples, 4 compiled engines each, few gates skips.
    assert!(passes > 150, "{passes} passes");
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
        let r = interpreter::run(&find(name), &Input::default(), 100_000_000);
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

/// A chain of `states` states over `symbols` symbols: state i writes 1, moves right and goes on
/// to i+1; the last state halts. Its `cells` dictionary has 1 + |Γ|(|Q| + 1) tokens.
fn chain_machine(states: usize, symbols: usize) -> arsim::machine::Machine {
    use arsim::machine::{validate, MachineSpec, Move, RuleSpec};
    let names: Vec<String> = (0..states).map(|i| format!("q{i}")).collect();
    let syms: Vec<String> = (0..symbols).map(|s| s.to_string()).collect();
    let mut rules = Vec::new();
    for i in 0..states - 1 {
        for s in &syms {
            rules.push(RuleSpec(
                names[i].clone(),
                s.clone(),
                "1".into(),
                Move::R,
                names[i + 1].clone(),
            ));
        }
    }
    let spec = MachineSpec {
        name: format!("chain{states}x{symbols}"),
        symbols: syms,
        blank: "0".into(),
        start: names[0].clone(),
        halting: vec![names[states - 1].clone()],
        states: names,
        rules,
        ..Default::default()
    };
    validate(&spec, None, None).unwrap()
}

/// Correct compiled `cells` predictors past 255 tokens are certified (the row executor's
/// byte-wide view is consulted only where it runs the predictor, at most 255 tokens) and emulate;
/// regression for Morphett's `binarymult` (265 tokens) and a 126-state chain (257) that were
/// refused with "got SEP, margin 1".
#[test]
fn cells_certificates_hold_past_255_tokens() {
    for (states, symbols, tokens) in [(84, 3, 256), (127, 2, 257), (126, 2, 255)] {
        let m = chain_machine(states, symbols);
        let input = Input::default();
        let p = prepare(&m, &input, EncodingKind::Cells, None, None, 1_000).unwrap();
        assert_eq!(p.enc.vocab(), tokens, "{}", m.name());
        let cert = p.certify(&m, &input, &mut |_, _| {}).unwrap();
        assert!(cert.certified(), "{}: {cert:?}", m.name());
        let one = ExecutorOptions {
            threads: Some(1),
            ..Default::default()
        };
        let r = p.emulate(&m, input, 1_000, one, &mut |_| {}).unwrap();
        assert!(r.agree, "{}", m.name());
        let want = if tokens > 255 { "tokens" } else { "rows" };
        assert_eq!(
            (r.executor, r.steps),
            (want, states as u64 - 1),
            "{}",
            m.name()
        );
    }
}
