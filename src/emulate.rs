//! Emulation, the main job: compile a machine, run the predictor from the prompt of an
//! input, and check every generated token against the interpreter's trace.
//!
//! [`emulate_with`] is written once over the [`Encoding`] trait and any [`Predictor`]: the
//! encoding's prompt → [`Executor`] → [`run_verified`] against the encoding's streaming
//! [`Trace`], its stop rule, its divergence report. [`emulate`] compiles first (window from the
//! interpreter's run, or given); `emulate_{cells,sweep,gates}[_with]` are shorthands for one
//! encoding. The row-parallel `cells` executor is [`crate::rows`] ([`emulate_cells_on`]).

use crate::encoding::cells::{locate, Cells, Dictionary, TraceEnd, Window, WindowError};
use crate::encoding::gates::Gates;
use crate::encoding::sweep::{StayLoops, Sweep};
use crate::encoding::{AnyEncoding, Encoding, EncodingKind, Trace};
use crate::executor::Executor;
use crate::interpreter;
use crate::machine::{Input, Machine, Stop};
use crate::predictor::{LinearAr, Predictor, TokenId, Weight};
use crate::time_dependent::TimeDependentAr;
use crate::verify::{overrun, run_verified, Divergence, Verification};
use crate::weights::{with_dense, Weights};
use serde::Serialize;

/// What to emulate.
#[derive(Clone, Debug)]
pub struct EmulateOptions {
    /// The input word.
    pub input: Input,
    /// The tape window; `None` takes the cells the interpreter's run visits.
    pub window: Option<Window>,
    /// Step limit.
    pub max_steps: u64,
}

impl EmulateOptions {
    /// The given window, or else the cells the interpreter's run visits.
    pub fn window_for(&self, machine: &Machine) -> Window {
        self.window
            .unwrap_or_else(|| window_of_run(machine, &self.input, self.max_steps))
    }
}

/// The first divergence, with names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DivergenceReport {
    /// 0-based trace position.
    pub position: u64,
    /// The step (row) whose token differs; row 0 is the prompt.
    pub step: u64,
    /// The window cell (`null` for a separator).
    pub cell: Option<usize>,
    /// The interpreter's token (`null`: its trace had ended).
    pub expected: Option<String>,
    /// The predictor's token (`null`: it had stopped).
    pub got: Option<String>,
    /// The two best tokens and their scores.
    pub top: Vec<(String, f64)>,
    /// The tokens at the predictor's offsets, largest first (for `cells`: S+2, S+1, S =
    /// left, centre, right in the previous row).
    pub context: Vec<String>,
    /// `gates` only: the bit of the cell that differs, as its `cells` token (e.g. `⟨B,1⟩`);
    /// `null` for the other encodings (present, so the JSON's keys never vary).
    pub bit: Option<String>,
}

/// The outcome of an emulation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmulationReport {
    /// The machine's name.
    pub machine: String,
    /// The encoding used.
    pub encoding: &'static str,
    /// The executor that generated the tokens: `tokens` (token by token) or `rows` (row-parallel,
    /// [`crate::rows`]).
    pub executor: &'static str,
    /// The input word (without a head marker).
    pub input: String,
    /// The input's cell the head started on (0: its first); window cell `origin + head_start`.
    pub head_start: usize,
    /// Steps of the reference run that the trace covers.
    pub steps: u64,
    /// Why the reference run ended: halted, no-rule, step-limit or left-window.
    pub stop: String,
    /// Window size S.
    pub tape_cells: usize,
    /// Window cell where the input starts.
    pub origin: usize,
    /// |D|, the number of tokens in the dictionary (`compile --json` lists them as `dictionary`).
    #[serde(rename = "dictionary_size")]
    pub dictionary: usize,
    /// Offsets the predictor reads.
    pub offsets: Vec<usize>,
    /// Prompt length (S+1).
    pub prompt_tokens: u64,
    /// Length complexity: tokens generated.
    pub generated_tokens: u64,
    /// The formula's count T·(S+1), for comparison.
    pub expected_tokens: u64,
    /// Whether every generated token equals the interpreter's and the trace ends where it should.
    pub agree: bool,
    /// The first divergence, if any.
    pub first_divergence: Option<DivergenceReport>,
    /// Generated tokens per second (generation and comparison together).
    pub tokens_per_second: f64,
    /// Seconds in the generate-and-compare loop.
    pub seconds: f64,
    /// Peak resident set size of the process when the report was made, in bytes (`VmHWM`;
    /// `null` where the system does not report it).
    pub peak_rss_bytes: Option<u64>,
    /// Why the run left the window, when it did.
    pub left_window: Option<String>,
    /// `sweep` only: left moves in the covered run; generated = `(left moves + [final])·(S+1)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_moves: Option<u64>,
    /// `gates` only: gates of the circuit for the steps run (T·S·|Γ|(|Q|+1)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gates: Option<u64>,
    /// `gates` only: the `cells` length complexity of the same run, T·(S+1), for comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells_tokens: Option<u64>,
}

/// The largest offset a predictor may read (the executor's ring is at most 64 MiB).
pub const MAX_OFFSET: usize = crate::weights::MAX_OFFSET;

/// Errors that stop an emulation before it starts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmulateError {
    /// The input cannot be laid on the window.
    #[error(transparent)]
    Window(#[from] WindowError),
    /// The predictor's dictionary is not the machine's dictionary for the encoding.
    #[error("the predictor's tokens {got:?} are not the machine's dictionary for this encoding {expected:?}")]
    Dictionary {
        /// The predictor's token names.
        got: Vec<String>,
        /// The machine's.
        expected: Vec<String>,
    },
    /// The predictor reads further back than any trace needs.
    #[error("the predictor reads {0} tokens back; that is more than arsim will buffer")]
    Offsets(usize),
    /// The machine has stay moves that never end, which the `sweep` encoding cannot fold.
    #[error(transparent)]
    StayLoops(#[from] StayLoops),
    /// `--executor rows` with a predictor the row executor cannot run.
    #[error(transparent)]
    Rows(#[from] crate::rows::RowsError),
}

/// The window of a run: the cells it visits (the head's start cell among them) plus the
/// input's, from the interpreter.
pub fn window_of_run(machine: &Machine, input: &Input, max_steps: u64) -> Window {
    let run = interpreter::run(machine, input, max_steps);
    let (size, origin) = run.window(input.len());
    Window { size, origin }
}

/// Emulates `machine` under `encoding` with its compiled predictor, every token verified.
pub fn emulate(
    encoding: EncodingKind,
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = AnyEncoding::new(encoding, machine, opts.window_for(machine))?;
    let weights = enc.compile(machine)?;
    match weights {
        Weights::Dense(d) => with_dense!(d, p => emulate_with(&enc, machine, p, opts, progress)),
        Weights::Sparse(p) => emulate_with(&enc, machine, p, opts, progress),
    }
}

/// Runs any predictor under any encoding from the prompt of `opts.input` and checks every token
/// against the interpreter's trace: the one emulation every encoding and predictor goes through
/// (the row executor of [`crate::rows`] aside). The window is the encoding's (`opts.window` is
/// not read).
///
/// The predictor's labels, where it carries them, must be the encoding's dictionary, and its
/// size must be the encoding's; its offsets must fit the executor's ring.
pub fn emulate_with<E: Encoding, P: Predictor>(
    enc: &E,
    machine: &Machine,
    predictor: P,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let names = enc.token_names(machine);
    let labels_differ = predictor.labels().is_some_and(|l| l != names);
    if labels_differ || predictor.vocab() != enc.vocab() {
        return Err(EmulateError::Dictionary {
            got: predictor.labels().map_or_else(
                || vec![format!("{} tokens", predictor.vocab())],
                <[String]>::to_vec,
            ),
            expected: names,
        });
    }
    if predictor.max_offset() > MAX_OFFSET {
        return Err(EmulateError::Offsets(predictor.max_offset()));
    }
    let mut reference = enc.trace(machine, &opts.input, opts.max_steps)?;
    let offsets = predictor.offsets();
    let mut exec = Executor::new(predictor);
    let mut halt = enc.halt(machine);
    let v = run_verified(
        &mut exec,
        &mut halt,
        &mut reference,
        enc.row_len(),
        progress,
    );
    let end = reference.end().cloned();
    let divergence = divergence_or_overrun(&v, &end, &mut exec);
    let (stop, left_window) = stop_of(&end);
    let run = Run {
        window: enc.window(),
        dictionary: enc.vocab(),
        steps: reference.steps(),
        expected_tokens: reference.expected_tokens(),
        stop,
        left_window,
        first_divergence: divergence.map(|d| enc.divergence(machine, d, &offsets)),
        offsets,
    };
    let mut report = run.report(machine, enc.kind().name(), opts, &v);
    reference.report_extras(&mut report);
    Ok(report)
}

/// Emulates `machine` with its compiled `cells` predictor and verifies every token.
pub fn emulate_cells(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Cells, machine, opts, progress)
}

/// The machine's `cells` dictionary, after checking that `predictor` is labelled with it and
/// that its offsets fit the executor's ring: what the row executor checks before running.
pub(crate) fn cells_dictionary_of<T: Weight>(
    machine: &Machine,
    predictor: &LinearAr<T>,
) -> Result<Dictionary, EmulateError> {
    let dict = Dictionary::new(machine);
    let names = dict.names(machine);
    if predictor.layout().tokens != names {
        return Err(EmulateError::Dictionary {
            got: predictor.layout().tokens.clone(),
            expected: names,
        });
    }
    if predictor.max_offset() > MAX_OFFSET {
        return Err(EmulateError::Offsets(predictor.max_offset()));
    }
    Ok(dict)
}

/// Emulates `machine` with any `cells` predictor (compiled, learned, or loaded from a weight
/// file) and verifies every token against the interpreter ([`emulate_with`] on [`Cells`]).
pub fn emulate_cells_with<T: Weight>(
    machine: &Machine,
    predictor: LinearAr<T>,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Cells::new(machine, opts.window_for(machine));
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// Emulates `machine` with any `cells` predictor on the executor `choice` picks: `auto` runs
/// rows ([`crate::rows::emulate_cells_rows`], on up to two cores) when the predictor qualifies
/// ([`crate::rows::RowExecutor::qualifies`]), else tokens ([`emulate_cells_with`]). Rows use
/// `threads` cores (1 or 2; `None`: both, where the machine has two).
pub fn emulate_cells_on(
    machine: &Machine,
    predictor: LinearAr,
    opts: &EmulateOptions,
    choice: crate::rows::ExecutorChoice,
    threads: Option<usize>,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    use crate::rows::{emulate_cells_rows, ExecutorChoice, RowExecutor};
    let row_len = opts.window_for(machine).size + 1;
    let rows = match choice {
        ExecutorChoice::Tokens => false,
        ExecutorChoice::Rows => true,
        ExecutorChoice::Auto => RowExecutor::qualifies(&predictor, row_len).is_ok(),
    };
    if rows {
        let threads = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
        emulate_cells_rows(machine, predictor, opts, threads, progress)
    } else {
        emulate_cells_with(machine, predictor, opts, progress)
    }
}

/// Emulates `machine` with its compiled `sweep` predictor and verifies every token against the
/// interpreter's run, row by row (proofs/sweep.md#theorem).
pub fn emulate_sweep(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Sweep, machine, opts, progress)
}

/// Emulates `machine` with any `sweep` predictor (compiled, or loaded from a weight file) and
/// verifies every token against the interpreter's run ([`emulate_with`] on [`Sweep`]).
///
/// The report's `steps` are those the complete rows cover, `expected_tokens` is
/// `(left moves + [final])·(S+1)` (proofs/sweep.md#length), and `step` in a divergence is the row.
pub fn emulate_sweep_with<T: Weight>(
    machine: &Machine,
    predictor: LinearAr<T>,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Sweep::new(machine, opts.window_for(machine))?;
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// Emulates `machine` with its `gates` predictor (one threshold gate per bit, time-dependent
/// weights) and verifies every bit against the interpreter.
///
/// ```
/// use arsim::{emulate::{emulate_gates, EmulateOptions}, machine::load_machine};
/// let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
/// let opts = EmulateOptions { input: Default::default(), window: None, max_steps: 1_000 };
/// let report = emulate_gates(&bb2, &opts, &mut |_| {}).unwrap();
/// assert!(report.agree);
/// // T·S·|Γ|(|Q|+1) = 6 · 4 · 2 · 4 bits.
/// assert_eq!(report.generated_tokens, 6 * 4 * 2 * 4);
/// assert_eq!(report.gates, Some(report.generated_tokens));
/// ```
pub fn emulate_gates(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Gates, machine, opts, progress)
}

/// Emulates `machine` with any `gates` predictor (compiled, or loaded from a weight file) and
/// verifies every bit against the interpreter ([`emulate_with`] on [`Gates`]).
pub fn emulate_gates_with(
    machine: &Machine,
    predictor: &TimeDependentAr,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Gates::new(machine, opts.window_for(machine));
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// What every encoding's emulation reports alike; [`Run::report`] turns it into the
/// [`EmulationReport`], to which an encoding adds its own fields.
struct Run {
    window: Window,
    dictionary: usize,
    offsets: Vec<usize>,
    steps: u64,
    expected_tokens: u64,
    stop: String,
    left_window: Option<String>,
    first_divergence: Option<DivergenceReport>,
}

impl Run {
    fn report(
        self,
        machine: &Machine,
        encoding: &'static str,
        opts: &EmulateOptions,
        v: &Verification,
    ) -> EmulationReport {
        EmulationReport {
            machine: machine.name().to_string(),
            encoding,
            executor: "tokens",
            input: machine.render(&opts.input),
            head_start: opts.input.head,
            steps: self.steps,
            stop: self.stop,
            tape_cells: self.window.size,
            origin: self.window.origin,
            dictionary: self.dictionary,
            offsets: self.offsets,
            prompt_tokens: v.prompt_tokens,
            generated_tokens: v.generated,
            expected_tokens: self.expected_tokens,
            agree: self.first_divergence.is_none(),
            first_divergence: self.first_divergence,
            tokens_per_second: v.tokens_per_second(),
            seconds: v.seconds,
            peak_rss_bytes: crate::rows::peak_rss_bytes(),
            left_window: self.left_window,
            left_moves: None,
            gates: None,
            cells_tokens: None,
        }
    }
}

/// The verifier's divergence or, when the reference ended in a final row that the predictor's
/// stop rule did not recognise, the token it generates past the end.
fn divergence_or_overrun<P: Predictor>(
    v: &Verification,
    end: &Option<TraceEnd>,
    exec: &mut Executor<P>,
) -> Option<Divergence> {
    match &v.divergence {
        None if matches!(end, Some(TraceEnd::Final(_))) && !v.predictor_stopped => {
            Some(overrun(exec))
        }
        d => d.clone(),
    }
}

/// The report's `stop` and `left_window` fields for how the reference trace ended.
pub(crate) fn stop_of(end: &Option<TraceEnd>) -> (String, Option<String>) {
    match end {
        Some(TraceEnd::Final(s)) => (s.name().to_string(), None),
        Some(TraceEnd::StepLimit) | None => (Stop::StepLimit.name().to_string(), None),
        Some(TraceEnd::LeftWindow(e)) => ("left-window".to_string(), Some(e.to_string())),
    }
}

/// A divergence of a row-of-cells encoding (`cells`, `sweep`) with token names, located by
/// row and cell, its context listed from the largest offset down.
pub(crate) fn token_divergence(
    d: Divergence,
    window: Window,
    offsets: &[usize],
    name: impl Fn(TokenId) -> String,
) -> DivergenceReport {
    let (step, cell) = locate(window, d.position);
    let k = d.context.len();
    DivergenceReport {
        position: d.position,
        step,
        cell,
        expected: d.expected.map(&name),
        got: d.got.map(&name),
        top: d.top.iter().map(|&(t, s)| (name(t), s)).collect(),
        context: offsets
            .iter()
            .rev()
            .map(|&j| name(d.context[k - j]))
            .collect(),
        bit: None,
    }
}
