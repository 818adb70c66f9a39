//! The `sweep` encoding (proofs/sweep.md) against the interpreter: every corpus machine on its
//! listed examples, and random machines, token by token and row by row; the certificate; and
//! the length complexity R·(S+1), R = (left moves) + [the run ends final], counted from the
//! interpreter's own run.
//!
//! What is counted (proofs/sweep.md#length): the run C0 … C_T stops because C_T is final
//! (halted or no-rule; final is checked before the step limit), because T is the step limit, or
//! because step T+1 would leave the window. L is the number of left moves among steps 1 … T.
//! The trace then has L + [C_T is final] rows after the prompt: (L+1)·(S+1) tokens for a run
//! that ends final, L·(S+1) for one cut by the step limit or by leaving the window (a row whose
//! path is unfinished is not emitted), and it covers the steps up to the last complete row.

mod common;
use common::corpus;

use arsim::encoding::sweep::compile::machine_to_sweep_predictor;

use arsim::emulate::{emulate_sweep, EmulateError, EmulateOptions};
use arsim::encoding::cells::compile::SEP_WEIGHT;
use arsim::encoding::sweep::certify::certify_sweep;
use arsim::encoding::sweep::{
    decode_row, Dictionary, FoldedMachine, ReferenceTrace, RowEnd, SweepToken,
};
use arsim::executor::Executor;
use arsim::interpreter::Interpreter;
use arsim::machine::{load_machine, Example, Machine, Move};
use arsim::machine::{Input, SymbolId};
use arsim::window::window_of_run;
use arsim::window::Window;
use proptest::prelude::*;

/// Examples whose sweep trace is longer than this many tokens are skipped, with the reason
/// printed (BB(5), BB(2,4) and the 21-bit counter).
const BUDGET: u64 = 50_000_000;

/// The interpreter's run on a window, counted as proofs/sweep.md#length counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Count {
    /// Steps taken inside the window and within the limit.
    steps: u64,
    /// Left moves among them.
    left: u64,
    /// The step of the last left move (0 if none).
    last_left: u64,
    /// Whether C_T is final.
    is_final: bool,
    /// Whether the run stopped because its next step leaves the window.
    leaves: bool,
}

impl Count {
    /// Rows after the prompt.
    fn rows(&self) -> u64 {
        self.left + self.is_final as u64
    }

    /// Steps the complete rows cover.
    fn covered(&self) -> u64 {
        if self.is_final {
            self.steps
        } else {
            self.last_left
        }
    }
}

/// Steps the real interpreter one step at a time, comparing head positions. `None` once
/// (left moves)·(S+1) passes `budget`.
fn count(m: &Machine, input: &Input, w: Window, max_steps: u64, budget: u64) -> Option<Count> {
    let mut it = Interpreter::new(m, input);
    let (lo, hi) = (-(w.origin as i64), w.size as i64 - w.origin as i64 - 1);
    let mut c = Count {
        steps: 0,
        left: 0,
        last_left: 0,
        is_final: false,
        leaves: false,
    };
    loop {
        if m.is_final(it.state(), it.cell(it.head())) {
            c.is_final = true;
            return Some(c);
        }
        if it.steps() >= max_steps {
            return Some(c);
        }
        let before = it.head();
        it.run(it.steps() + 1);
        let after = it.head();
        if after < lo || after > hi {
            c.leaves = true;
            return Some(c);
        }
        c.steps = it.steps();
        if after < before {
            c.left += 1;
            c.last_left = c.steps;
            if c.left.saturating_mul(w.size as u64 + 1) > budget {
                return None;
            }
        }
    }
}

/// Runs the compiled predictor from the prompt for `rows` rows and checks that each row decodes
/// to the interpreter's configuration at the end of its path (proofs/sweep.md#theorem,
/// corollary); the last row ends final iff the run does.
fn rows_agree_with_interpreter(
    m: &Machine,
    input: &Input,
    w: Window,
    c: &Count,
) -> Result<(), String> {
    let folded = FoldedMachine::new(m).map_err(|e| e.to_string())?;
    let dict = Dictionary::new(m);
    let p = machine_to_sweep_predictor(m, w).map_err(|e| e.to_string())?;
    let mut exec = Executor::new(p);
    let prompt: Vec<_> = ReferenceTrace::new(m, input, w, 0)
        .map_err(|e| e.to_string())?
        .take(w.size + 1)
        .collect();
    let c0 = decode_row(&folded, &dict, &prompt).map_err(|e| format!("prompt: {e}"))?;
    if c0.end != RowEnd::Prompt
        || c0.config.head != w.origin + input.head
        || c0.config.state != m.start()
    {
        return Err(format!("the prompt decodes to {c0:?}"));
    }
    for &t in &prompt {
        exec.feed(t);
    }
    let mut it = Interpreter::new(m, input);
    let mut steps = 0;
    for r in 1..=c.rows() {
        let row: Vec<_> = (0..=w.size).map(|_| exec.step()).collect();
        let d = decode_row(&folded, &dict, &row).map_err(|e| format!("row {r}: {e}"))?;
        steps += d.steps;
        it.run(steps);
        let at = |what: &str| format!("row {r} (step {steps}): {what}");
        if it.steps() != steps {
            return Err(at(&format!(
                "the interpreter stopped at step {}",
                it.steps()
            )));
        }
        if d.config.state != it.state() || d.config.head as i64 - w.origin as i64 != it.head() {
            return Err(at(&format!(
                "head {} in {:?}, the interpreter's {} in {:?}",
                d.config.head,
                d.config.state,
                it.head(),
                it.state()
            )));
        }
        for (i, &s) in d.config.cells.iter().enumerate() {
            if s != it.cell(i as i64 - w.origin as i64) {
                return Err(at(&format!("cell {i} differs")));
            }
        }
        let want = if r == c.rows() && c.is_final {
            RowEnd::Final
        } else {
            RowEnd::Left
        };
        if d.end != want {
            return Err(at(&format!("ends {:?}, expected {want:?}", d.end)));
        }
    }
    if steps != c.covered() {
        return Err(format!(
            "rows cover {steps} steps, expected {}",
            c.covered()
        ));
    }
    Ok(())
}

/// Everything the issue asks of one run: emulation agrees on every token and stops where it
/// should, the rows are the interpreter's configurations, the certificate holds, and the
/// generated tokens follow the formula.
fn check_run(
    m: &Machine,
    input: &Input,
    w: Window,
    max_steps: u64,
    c: &Count,
) -> Result<(), String> {
    let cert = certify_sweep(
        m,
        &machine_to_sweep_predictor(m, w).map_err(|e| e.to_string())?,
        w,
    )
    .map_err(|e| e.to_string())?;
    if !cert.certified || !cert.min_margin.is_winning() {
        return Err(format!("certificate fails: {:?}", cert.failures));
    }
    let opts = EmulateOptions {
        input: input.clone(),
        window: Some(w),
        max_steps,
    };
    let r = emulate_sweep(m, &opts, &mut |_| {}).map_err(|e| e.to_string())?;
    if !r.agree {
        return Err(format!("diverges: {:?}", r.first_divergence));
    }
    let tokens = c.rows() * (w.size as u64 + 1);
    if r.generated_tokens != tokens
        || r.expected_tokens != tokens
        || r.extras.left_moves != Some(c.left)
        || r.steps != c.covered()
        || r.left_window.is_some() != c.leaves
    {
        return Err(format!(
            "generated {} tokens (formula {}), left moves {:?}, {} steps, left window {:?}; \
             the interpreter's count {c:?} gives {tokens} tokens",
            r.generated_tokens, r.expected_tokens, r.extras.left_moves, r.steps, r.left_window
        ));
    }
    rows_agree_with_interpreter(m, input, w, c)
}

enum Outcome {
    Pass,
    Skip(String),
    Fail(String),
}

fn limit(e: &Example) -> u64 {
    e.max_steps.unwrap_or(e.steps + 1)
}

fn sweep_engine(m: &Machine, e: &Example) -> Outcome {
    let w = window_of_run(m, &e.input, limit(e));
    let max_steps = limit(e).min(e.steps);
    if let Err(loops) = FoldedMachine::new(m) {
        return Outcome::Skip(loops.to_string());
    }
    let Some(c) = count(m, &e.input, w, max_steps, BUDGET) else {
        return Outcome::Skip(format!(
            "the sweep trace exceeds the test budget of {BUDGET} tokens"
        ));
    };
    if c.steps != e.steps || c.leaves {
        return Outcome::Fail(format!("the interpreter's count is off: {c:?}"));
    }
    match check_run(m, &e.input, w, max_steps, &c) {
        Ok(()) => Outcome::Pass,
        Err(why) => Outcome::Fail(why),
    }
}

#[test]
fn every_corpus_example_through_sweep() {
    let (mut passes, mut skips, mut failures) = (0, Vec::new(), Vec::new());
    for (path, m) in corpus() {
        for e in m.examples() {
            let at = format!(
                "{}:{} input {:?} [sweep]",
                path.display(),
                e.line.unwrap_or(0),
                e.input_text
            );
            match sweep_engine(&m, e) {
                Outcome::Pass => passes += 1,
                Outcome::Skip(why) => skips.push(format!("{at}: skipped: {why}")),
                Outcome::Fail(why) => failures.push(format!("{at}: {why}")),
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
    // Only the giants may skip: BB(5), BB(2,4) and the 21-bit counter (≈10^8 tokens).
    assert!(
        skips.iter().all(|s| s.contains("budget")
            && (s.contains("bb5.ron") || s.contains("bb2x4.ron") || s.contains("counter.ron"))),
        "{skips:?}"
    );
    assert!(skips.len() <= 3, "{skips:?}");
    assert!(passes > 50, "{passes} passes");
}

/// The numbers of the comparison: a right sweep costs one row.
#[test]
fn sweeping_right_costs_one_row() {
    let m = load_machine("machines/binary-increment.ron").unwrap();
    // "11111111111111": 14 steps right, 1 left, 14 carries left, one stay: 15 left moves.
    let input = m.parse_input("11111111111111").unwrap();
    let opts = EmulateOptions {
        input,
        window: None,
        max_steps: 1000,
    };
    let r = emulate_sweep(&m, &opts, &mut |_| {}).unwrap();
    assert!(r.agree, "{:?}", r.first_divergence);
    assert_eq!(
        (r.steps, r.extras.left_moves, r.tape_cells),
        (30, Some(15), 16)
    );
    assert_eq!(r.generated_tokens, 16 * 17);
    let cells = arsim::emulate::emulate_cells(&m, &opts, &mut |_| {}).unwrap();
    assert_eq!(cells.generated_tokens, 30 * 17);
}

#[test]
fn stay_loops_are_refused_everywhere() {
    // B1 → 0 S C and C0 → 1 S B: the head spins on its cell between B and C.
    let m = arsim::machine::load::from_standard("1RB---_1LA0SC_1SB0LA", "spin").unwrap();
    let w = Window { size: 4, origin: 0 };
    let e = machine_to_sweep_predictor(&m, w).unwrap_err();
    assert_eq!(e.cycles, ["(B,1) → (C,0) → (B,1)"]);
    assert_eq!(e.pairs.len(), 2);
    let opts = EmulateOptions {
        input: Input::default(),
        window: Some(w),
        max_steps: 10,
    };
    assert!(matches!(
        emulate_sweep(&m, &opts, &mut |_| {}),
        Err(EmulateError::StayLoops(_))
    ));
    assert!(certify_sweep(
        &m,
        &arsim::encoding::cells::compile::machine_to_cells_predictor(&m, w),
        w
    )
    .is_err());
}

#[test]
fn a_run_that_starts_final_has_one_row() {
    // The start state has no rule for the blank: C0 is final, T = 0, L = 0, one row.
    // (`---` read as a missing rule: bbchallenge's reading would take a halting step.)
    let spec =
        arsim::machine::standard::parse_with("---1RA", arsim::machine::Undefined::NoRule).unwrap();
    let m = arsim::machine::validate(&spec, None, None).unwrap();
    let w = Window { size: 3, origin: 1 };
    let c = count(&m, &Input::default(), w, 10, BUDGET).unwrap();
    assert_eq!((c.steps, c.rows()), (0, 1));
    check_run(&m, &Input::default(), w, 10, &c).unwrap();
    // With a step limit of 0 as well: final is checked first.
    check_run(&m, &Input::default(), w, 0, &c).unwrap();
}

#[test]
fn compile_certify_and_emulate_on_the_command_line() {
    use std::process::Command;
    let arsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("the binary runs")
    };
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let out = arsim(&[
        "emulate",
        "machines/bb4.ron",
        "--encoding",
        "sweep",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["encoding"], "sweep");
    assert_eq!(r["agree"], true);
    assert_eq!(r["generated_tokens"], r["expected_tokens"]);
    let out = arsim(&[
        "certify",
        "machines/copy.ron",
        "--encoding",
        "sweep",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["min_margin"], 1);
    // compile --out, then run and certify those weights.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bb3.safetensors");
    let file = file.to_str().unwrap();
    let out = arsim(&[
        "compile",
        "machines/bb3.ron",
        "--encoding",
        "sweep",
        "--out",
        file,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--encoding",
        "sweep",
        "--weights",
        file,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(L+[final])·(S+1)"), "{text}");
    let out = arsim(&[
        "certify",
        "machines/bb3.ron",
        "--encoding",
        "sweep",
        "--weights",
        file,
    ]);
    assert_eq!(out.status.code(), Some(0));
    // cells weights under the sweep encoding: a clear error, exit 2.
    let out = arsim(&["compile", "machines/bb3.ron", "--out", file]);
    assert_eq!(out.status.code(), Some(0));
    let out = arsim(&[
        "certify",
        "machines/bb3.ron",
        "--encoding",
        "sweep",
        "--weights",
        file,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds cells weights; give --encoding cells")
    );
    // A stay loop: exit 2, naming the cycle.
    let out = arsim(&["emulate", "0SA", "--encoding", "sweep"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(A,0) → (A,0)"));
}

/// Random machines of up to 4 working states (see `common::random_machines`).
fn machines() -> impl Strategy<Value = Machine> {
    common::random_machines(4)
}

/// Random machines without a never-ending stay chain (the others are refused, see
/// `stay_loops_are_genuine`).
fn foldable_machines() -> impl Strategy<Value = Machine> {
    machines().prop_filter("stay moves that never end", |m| {
        FoldedMachine::new(m).is_ok()
    })
}

/// A foldable machine with an input word over its alphabet.
fn machines_with_input() -> impl Strategy<Value = (Machine, Input)> {
    common::with_input(foldable_machines())
}

const MAX_STEPS: u64 = 300;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// On the window the run visits: emulation agrees, rows are the interpreter's
    /// configurations, the certificate holds, R = L + [final] (final and step-limit runs).
    #[test]
    fn sweep_equals_interpreter_and_follows_the_formula((m, input) in machines_with_input()) {
        let w = window_of_run(&m, &input, MAX_STEPS);
        let c = count(&m, &input, w, MAX_STEPS, u64::MAX).unwrap();
        prop_assert!(!c.leaves);
        if let Err(why) = check_run(&m, &input, w, MAX_STEPS, &c) {
            return Err(TestCaseError::fail(why));
        }
    }

    /// On small windows the run may leave: the trace covers the rows completed before.
    #[test]
    fn runs_that_leave_the_window_are_verified_up_to_there(
        (m, input) in machines_with_input(),
        extra in 0usize..3,
        origin in 0usize..3,
    ) {
        let size = origin + input.span() + extra;
        let w = Window { size, origin };
        let c = count(&m, &input, w, MAX_STEPS, u64::MAX).unwrap();
        if let Err(why) = check_run(&m, &input, w, MAX_STEPS, &c) {
            return Err(TestCaseError::fail(why));
        }
    }

    /// The weights are certified on any window size (the contexts do not depend on S).
    #[test]
    fn certificate_holds_with_margin_one(m in foldable_machines(), s in 1usize..40) {
        let w = Window { size: s, origin: 0 };
        let cert = certify_sweep(&m, &machine_to_sweep_predictor(&m, w).unwrap(), w).unwrap();
        prop_assert!(cert.certified, "{:?}", cert.failures);
        prop_assert_eq!(cert.min_margin, arsim::certify::Margin::Exact(1));
        let p = machine_to_sweep_predictor(&m, w).unwrap();
        prop_assert!(p.weights().iter().all(|x| x.iter().all(|&v| (0..=SEP_WEIGHT).contains(&v))));
    }

    /// Every reported stay loop is real: from each pair, the machine stays on its cell without
    /// ever becoming final, for longer than any chain that ends could last.
    #[test]
    fn stay_loops_are_genuine(m in machines()) {
        let Err(e) = FoldedMachine::new(&m) else { return Ok(()) };
        prop_assert!(!e.pairs.is_empty() && !e.cycles.is_empty());
        for &(q, s) in &e.pairs {
            let (mut q, mut s) = (q, s);
            for _ in 0..=m.num_states() * m.num_symbols() {
                prop_assert!(!m.is_final(q, s));
                let t = m.rule(q, s).unwrap();
                prop_assert_eq!(t.movement, Move::S);
                (q, s) = (t.next, t.write);
            }
        }
    }

    /// Tokens round-trip, and the markers are the last |Γ| ids.
    #[test]
    fn tokens_round_trip(m in machines()) {
        let dict = Dictionary::new(&m);
        for i in 0..=dict.len() as u32 {
            let id = arsim::predictor::TokenId(i);
            prop_assert_eq!(dict.encode(dict.decode(id)), id);
        }
        let k = m.num_symbols();
        for s in 0..k {
            let id = dict.encode(SweepToken::Start(SymbolId(s as u8)));
            prop_assert_eq!(id.index(), dict.len() - k + s);
        }
    }
}

/// A run whose head never moves left has no complete `sweep` row: with a step limit, the report
/// says how many steps the reference ran (400) and that the trace covers none of them, and the
/// text says the agreement is on the covered steps only (issue 25.2).
#[test]
fn a_step_limited_sweep_run_reports_the_steps_it_could_not_spell() {
    let args = [
        "emulate",
        "--encoding",
        "sweep",
        "--max-steps",
        "400",
        "--input",
        "00",
        "--",
        "0RB1RA_0RB0LZ",
    ];
    let mut json_args = vec!["--json"];
    json_args.extend_from_slice(&args);
    let j = common::json(&common::arsim(&json_args));
    assert_eq!(
        (
            &j["steps"],
            &j["reference_steps"],
            &j["stop"],
            &j["reference_stop"],
            &j["agree"]
        ),
        (
            &0.into(),
            &400.into(),
            &"step-limit".into(),
            &"step-limit".into(),
            &true.into()
        )
    );
    let text = String::from_utf8_lossy(&common::arsim(&args).stdout).to_string();
    assert!(
        text.contains("400 steps, step-limit; the trace covers 0 of them"),
        "{text}"
    );
    assert!(
        text.contains("agree        yes on the 0 steps the trace covers"),
        "{text}"
    );
}
