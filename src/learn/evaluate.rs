//! Held-out evaluation: any predictor (learned or compiled, time-invariant or not) run on
//! held-out inputs with the executor and verifier that `arsim emulate` uses, and compared
//! token by token with the interpreter and with the compiled predictor.
//!
//! Last stage of `learn`. For each held-out input it measures
//! - **token errors**, teacher-forced: at every generated position, the predictor's token given
//!   the reference prefix, against the reference token. This is the per-step classifier error
//!   that proofs/learnability.md#pac-to-ar bounds;
//! - **trace errors**, free-running: [`run_verified`] generates from the prompt with an
//!   [`Executor`] and the encoding's stop rule, exactly as `emulate_cells_with` (and
//!   `emulate_gates_with`) do, and a trace is wrong if any
//!   token is (or the predictor stops early, or runs past a final row). By induction a trace is
//!   right iff every teacher-forced token is, so trace errors ≤ traces with a token error;
//! - **answer errors**: the predictor runs freely until its stop rule fires (or a row budget);
//!   the answer is right if it stopped where the machine stops (final configuration; row T for
//!   a run cut at the step limit) with the machine's final tape window and state. The head
//!   position is not part of the answer;
//! - **agreement with the compiled predictor**: teacher-forced tokens equal, and free-running
//!   traces equal (the compiled predictor's own generated stream is the reference);
//! - **coverage**: whether every (context, label) of the trace at the learner's offsets (and
//!   position, for a time-dependent learner) occurred in training. A learner that fits its
//!   training set with margin > 0 gets every covered trace right
//!   (proofs/learnability.md#coverage); `covered_trace_errors` checks that.

use super::dataset::Examples;
use super::traces::TraceFormat;
use crate::encoding::divergence::DivergenceReport;
use crate::encoding::halt::RowHalt;
use crate::encoding::WindowKind;
use crate::encoding::{Encoding, Trace};
use crate::executor::{Executor, StopRule};
use crate::machine::{Machine, SymbolId};
use crate::predictor::{Context, Predictor, TokenId};
use crate::verify::{overrun, run_verified, Divergence};
use crate::window::{TraceEnd, WindowError};
use serde::Serialize;
use std::time::Instant;

/// How a predictor did on held-out inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Held-out traces.
    pub traces: usize,
    /// Generated positions in them (a count).
    #[serde(rename = "generated_tokens")]
    pub tokens: u64,
    /// Teacher-forced positions where the predictor's token is wrong.
    pub token_errors: u64,
    /// `token_errors / tokens`.
    pub token_error_rate: f64,
    /// Free-running traces with at least one wrong token.
    pub trace_errors: usize,
    /// `trace_errors / traces`.
    pub trace_error_rate: f64,
    /// Free runs whose final tape window or state is wrong (or that do not stop where the
    /// machine does).
    pub answer_errors: usize,
    /// `answer_errors / traces`.
    pub answer_error_rate: f64,
    /// Teacher-forced positions where the predictor's token equals the compiled predictor's.
    pub compiled_token_agreement: u64,
    /// `compiled_token_agreement / tokens`.
    pub compiled_token_agreement_rate: f64,
    /// Free-running traces identical to the compiled predictor's.
    pub compiled_trace_agreement: usize,
    /// `compiled_trace_agreement / traces`.
    pub compiled_trace_agreement_rate: f64,
    /// Traces whose every context occurred in training.
    pub covered_traces: usize,
    /// Trace errors among the covered traces.
    pub covered_trace_errors: usize,
    /// The first held-out input (in draw order) whose trace is wrong, and where.
    pub first_failure: Option<FailingTrace>,
    /// Seconds spent evaluating.
    pub seconds: f64,
    /// Per held-out input, in draw order (not serialised).
    #[serde(skip)]
    pub outcomes: Vec<TraceOutcome>,
}

/// One held-out trace's verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceOutcome {
    /// Every context occurred in training.
    pub covered: bool,
    /// The free-running trace equals the interpreter's.
    pub correct: bool,
    /// The free-running trace equals the compiled predictor's.
    pub agrees: bool,
    /// The final answer is right.
    pub answer_right: bool,
    /// Teacher-forced token errors.
    pub token_errors: u64,
}

/// A held-out input whose trace is wrong.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailingTrace {
    /// The input word.
    pub input: String,
    /// Steps of the machine's run.
    pub steps: u64,
    /// The first divergence from the interpreter's trace.
    pub divergence: DivergenceReport,
}

/// What the evaluation needs besides the predictor.
pub struct EvalSetting<'a> {
    /// The machine.
    pub machine: &'a Machine,
    /// The encoding and tape window of every trace.
    pub format: &'a TraceFormat,
    /// Step limit of the reference runs.
    pub max_steps: u64,
    /// The compiled predictor for the format.
    pub compiled: &'a mut dyn Predictor,
    /// The training examples (for coverage), whose offsets are the learner's.
    pub seen: &'a mut Examples,
}

/// Evaluates `learned` on `inputs`; `progress(done)` is called after each input.
pub fn evaluate<P: Predictor>(
    setting: &mut EvalSetting<'_>,
    learned: &mut P,
    inputs: &[Vec<SymbolId>],
    progress: &mut dyn FnMut(usize),
) -> Result<Evaluation, WindowError> {
    let start = Instant::now();
    let mut outcomes = Vec::with_capacity(inputs.len());
    let mut first_failure = None;
    let mut tokens = 0;
    let mut agree_tokens = 0;
    for (n, input) in inputs.iter().enumerate() {
        let forced = teacher_forced(setting, learned, input)?;
        tokens += forced.tokens;
        agree_tokens += forced.agree;
        let (divergence, steps) = free_run_against_reference(setting, learned, input)?;
        let correct = divergence.is_none();
        let agrees = agrees_with_compiled(setting, learned, input, forced.tokens)?;
        let answer_right = correct || answer_is_right(setting, learned, input, &forced);
        if let (Some(d), None) = (divergence, &first_failure) {
            first_failure = Some(FailingTrace {
                input: setting.machine.render(input),
                steps,
                divergence: name_divergence(setting.machine, setting.format, learned, d),
            });
        }
        outcomes.push(TraceOutcome {
            covered: forced.covered,
            correct,
            agrees,
            answer_right,
            token_errors: forced.errors,
        });
        progress(n + 1);
    }
    let traces = outcomes.len();
    let count = |f: fn(&TraceOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let rate = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let token_errors: u64 = outcomes.iter().map(|o| o.token_errors).sum();
    let trace_errors = count(|o| !o.correct);
    let answer_errors = count(|o| !o.answer_right);
    let agree_traces = count(|o| o.agrees);
    Ok(Evaluation {
        traces,
        tokens,
        token_errors,
        token_error_rate: rate(token_errors as f64, tokens as f64),
        trace_errors,
        trace_error_rate: rate(trace_errors as f64, traces as f64),
        answer_errors,
        answer_error_rate: rate(answer_errors as f64, traces as f64),
        compiled_token_agreement: agree_tokens,
        compiled_token_agreement_rate: rate(agree_tokens as f64, tokens as f64),
        compiled_trace_agreement: agree_traces,
        compiled_trace_agreement_rate: rate(agree_traces as f64, traces as f64),
        covered_traces: count(|o| o.covered),
        covered_trace_errors: count(|o| o.covered && !o.correct),
        first_failure,
        seconds: start.elapsed().as_secs_f64(),
        outcomes,
    })
}

/// The teacher-forced pass over one reference trace.
struct Forced {
    tokens: u64,
    errors: u64,
    agree: u64,
    covered: bool,
    /// The machine's last row, and whether it is final.
    last: Vec<TokenId>,
    final_row: bool,
    steps: u64,
}

fn teacher_forced<P: Predictor>(
    s: &mut EvalSetting<'_>,
    learned: &mut P,
    input: &[SymbolId],
) -> Result<Forced, WindowError> {
    let mut trace = s.format.trace(
        s.machine,
        &crate::machine::Input::from(input.to_vec()),
        s.max_steps,
    )?;
    let pad = TokenId(learned.vocab() as u32);
    let deepest = learned.max_offset().max(s.compiled.max_offset());
    let mut ring = vec![pad; (deepest + 1).next_power_of_two()];
    let mask = ring.len() - 1;
    let prompt = s.format.row_len() as u64;
    let offsets = s.seen.offsets().to_vec();
    let mut context = vec![pad; offsets.len()];
    let mut f = Forced {
        tokens: 0,
        errors: 0,
        agree: 0,
        covered: true,
        last: Vec::new(),
        final_row: false,
        steps: 0,
    };
    let row = s.format.row_len();
    let mut current = Vec::with_capacity(row);
    for (pos, token) in (0u64..).zip(trace.by_ref()) {
        let next = pos as usize & mask;
        if pos >= prompt {
            let ctx = Context::new(&ring, next);
            let got = learned.predict(&ctx, pos);
            let compiled = s.compiled.predict(&ctx, pos);
            f.tokens += 1;
            f.errors += u64::from(got != token);
            f.agree += u64::from(got == compiled);
            if f.covered {
                for (c, &j) in context.iter_mut().zip(&offsets) {
                    *c = ctx.back(j);
                }
                f.covered = s.seen.contains(pos, &context, token);
            }
        }
        ring[next] = token;
        current.push(token);
        if current.len() == row {
            std::mem::swap(&mut f.last, &mut current);
            current.clear();
        }
    }
    f.final_row = matches!(trace.end(), Some(TraceEnd::Final(_)));
    f.steps = trace.steps();
    Ok(f)
}

/// The verified free run, as `emulate_cells_with` does it: (first divergence, reference steps).
fn free_run_against_reference<P: Predictor>(
    s: &EvalSetting<'_>,
    learned: &mut P,
    input: &[SymbolId],
) -> Result<(Option<Divergence>, u64), WindowError> {
    let mut reference = s.format.trace(
        s.machine,
        &crate::machine::Input::from(input.to_vec()),
        s.max_steps,
    )?;
    let mut exec = Executor::new(&mut *learned);
    let mut halt = s.format.halt(s.machine);
    let v = run_verified(
        &mut exec,
        &mut halt,
        &mut reference,
        s.format.row_len(),
        &mut |_| {},
    );
    let mut divergence = v.divergence;
    // Drain the reference to know how it ends (it stops at the divergence otherwise).
    let _ = reference.by_ref().count();
    if divergence.is_none()
        && matches!(reference.end(), Some(TraceEnd::Final(_)))
        && !v.predictor_stopped
    {
        divergence = Some(overrun(&mut exec));
    }
    Ok((divergence, reference.steps()))
}

/// A predictor's own generated trace: the prompt, then its tokens until its stop rule fires or
/// `budget` tokens have been generated.
struct Generated<P: Predictor> {
    exec: Executor<P>,
    prompt: std::vec::IntoIter<TokenId>,
    halt: RowHalt,
    stopped: bool,
    budget: u64,
}

impl<P: Predictor> Iterator for Generated<P> {
    type Item = TokenId;
    fn next(&mut self) -> Option<TokenId> {
        if let Some(t) = self.prompt.next() {
            self.exec.feed(t);
            self.stopped = self.halt.after(t);
            return Some(t);
        }
        if self.stopped || self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        let t = self.exec.step();
        self.stopped = self.halt.after(t);
        Some(t)
    }
}

/// Whether the learned predictor's free-running trace equals the compiled predictor's, up to
/// the reference's length.
fn agrees_with_compiled<P: Predictor>(
    s: &mut EvalSetting<'_>,
    learned: &mut P,
    input: &[SymbolId],
    reference_tokens: u64,
) -> Result<bool, WindowError> {
    let prompt: Vec<TokenId> = s
        .format
        .trace(
            s.machine,
            &crate::machine::Input::from(input.to_vec()),
            s.max_steps,
        )?
        .take(s.format.row_len())
        .collect();
    let mut compiled = Generated {
        exec: Executor::new(&mut *s.compiled),
        prompt: prompt.into_iter(),
        halt: s.format.halt(s.machine),
        stopped: false,
        budget: reference_tokens,
    };
    let mut exec = Executor::new(&mut *learned);
    let mut halt = s.format.halt(s.machine);
    let v = run_verified(
        &mut exec,
        &mut halt,
        &mut compiled,
        s.format.row_len(),
        &mut |_| {},
    );
    Ok(v.divergence.is_none() && (v.predictor_stopped || !compiled.stopped))
}

/// Runs the predictor freely and checks its final row against the machine's.
fn answer_is_right<P: Predictor>(
    s: &EvalSetting<'_>,
    learned: &mut P,
    input: &[SymbolId],
    forced: &Forced,
) -> bool {
    let Ok(reference) = s.format.trace(
        s.machine,
        &crate::machine::Input::from(input.to_vec()),
        s.max_steps,
    ) else {
        return false;
    };
    let row = s.format.row_len();
    let prompt: Vec<TokenId> = reference.take(row).collect();
    // A run cut at the step limit is compared at its row T; a final one may take a detour.
    let max_rows = if forced.final_row {
        2 * forced.steps + 2
    } else {
        forced.steps
    };
    let mut gen = Generated {
        exec: Executor::new(&mut *learned),
        prompt: prompt.clone().into_iter(),
        halt: s.format.halt(s.machine),
        stopped: false,
        budget: max_rows * row as u64,
    };
    let mut last = prompt;
    let mut current = Vec::with_capacity(row);
    let mut rows = 0;
    for t in gen.by_ref().skip(row) {
        current.push(t);
        if current.len() == row {
            std::mem::swap(&mut last, &mut current);
            current.clear();
            rows += 1;
        }
    }
    let stopped = gen.stopped;
    let (Some(config), Some(expected)) = (
        s.format.decode_row(&last),
        s.format.decode_row(&forced.last),
    ) else {
        return false;
    };
    let same = config.cells == expected.cells && config.state == expected.state;
    if forced.final_row {
        same && stopped
    } else {
        same && rows == forced.steps && !stopped
    }
}

/// A divergence as `arsim emulate` reports it: the encoding's own report, its context read at
/// the compiled predictor's offsets (whatever offsets the learned predictor reads).
fn name_divergence<P: Predictor>(
    machine: &Machine,
    format: &TraceFormat,
    predictor: &P,
    d: Divergence,
) -> DivergenceReport {
    let offsets: Vec<usize> = format
        .learner_offsets(WindowKind::Local)
        .into_iter()
        .filter(|&j| j <= d.context.len() && j <= predictor.max_offset())
        .collect();
    format.divergence(machine, d, &offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::EncodingKind;
    use crate::encoding::WindowKind;
    use crate::learn::dataset::common_window;
    use crate::machine::load::load_machine;
    use crate::predictor::LinearAr;

    #[test]
    fn the_compiled_predictor_scores_perfectly_and_a_broken_one_does_not() {
        let m = load_machine(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/machines/binary-increment.ron"
        ))
        .unwrap();
        let inputs: Vec<Vec<SymbolId>> = ["1011", "111", "0", "10"]
            .iter()
            .map(|w| m.parse_input(w).unwrap().symbols)
            .collect();
        let window = common_window(&m, &inputs, 1000);
        let format = TraceFormat::of_kind(EncodingKind::Cells, &m, window).unwrap();
        let mut compiled = machine_to_cells_predictor(&m, window);
        let mut seen = Examples::new(
            compiled.layout().tokens.len(),
            &WindowKind::Local.offsets(window.size),
            false,
        );
        seen.add_trace(&m, &format, &inputs[0], 1000).unwrap();
        let mut learned = compiled.clone();
        let mut setting = EvalSetting {
            machine: &m,
            format: &format,
            max_steps: 1000,
            compiled: &mut compiled,
            seen: &mut seen,
        };
        let e = evaluate(&mut setting, &mut learned, &inputs, &mut |_| {}).unwrap();
        assert_eq!((e.trace_errors, e.token_errors, e.answer_errors), (0, 0, 0));
        assert_eq!(e.compiled_trace_agreement, 4);
        assert_eq!(e.compiled_token_agreement, e.tokens);
        assert!(e.outcomes[0].covered);
        // Break one column: ⟨right,1⟩ on the left (S+2) no longer sends the head right.
        let right1 = 1 + 3 + 2;
        assert_eq!(learned.layout().tokens[right1], "⟨right,1⟩");
        let mut w = learned.weights().to_vec();
        for x in w[2].column_mut(right1).iter_mut() {
            *x = 0;
        }
        let mut broken = LinearAr::new(learned.layout().clone(), w);
        let e = evaluate(&mut setting, &mut broken, &inputs, &mut |_| {}).unwrap();
        assert_eq!(e.trace_errors, 3, "every input but \"0\" starts on a 1");
        assert!(e.token_errors as usize >= e.trace_errors);
        let f = e.first_failure.unwrap();
        assert_eq!(f.input, "1011");
        assert!(f.divergence.step >= 1);
        assert_eq!(e.compiled_trace_agreement, 4 - e.trace_errors);
    }
}
