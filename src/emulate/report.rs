//! What an emulation is asked ([`EmulateOptions`]) and what it reports ([`EmulationReport`],
//! the JSON of `arsim emulate`), or why it could not start ([`EmulateError`]): shared by the
//! token and the row drivers.

use crate::encoding::sweep::fold::StayLoops;
use crate::encoding::{DivergenceReport, Encoding, Trace, TraceExtras};
use crate::limits::MAX_OFFSET;
use crate::machine::{Input, Machine, Stop};
use crate::predictor::Predictor;
use crate::verify::{Divergence, Verification};
use crate::window::{window_of_run, TraceEnd, Window, WindowError};
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
    /// The row executor's arithmetic ([`crate::rows::RowScorer::kind`]): `packed-avx512-vbmi`,
    /// `packed-avx2`, `packed-portable` or `columns`; null when the tokens ran.
    pub row_scorer: Option<&'static str>,
    /// The input word (without a head marker).
    pub input: String,
    /// The input's cell the head started on (0: its first); window cell `origin + head_start`.
    pub head_start: usize,
    /// Steps of the reference run that the trace covers (and that every generated token was
    /// checked against).
    pub steps: u64,
    /// Why the emulation ended: the reference run's end (halted, no-rule, step-limit,
    /// left-window) when every token agreed, else `diverged`.
    pub stop: String,
    /// Steps the reference run took for this trace: `steps`, and any it could not spell (a
    /// `sweep` path cut off by the step limit or the window before its row was complete).
    pub reference_steps: u64,
    /// How the reference run ended (halted, no-rule, step-limit, left-window); null when it was
    /// not followed to its end because the predictor diverged first.
    pub reference_stop: Option<String>,
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
    /// The encoding's length formula with this run's numbers, e.g. `T·(S+1) = 21·6`.
    pub length_formula: String,
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
    /// The encoding's own numbers (`left_moves` for `sweep`; `gates` and `cells_tokens` for
    /// `gates`), flattened into the report's keys.
    #[serde(flatten)]
    pub extras: TraceExtras,
}

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
    /// The row executor was asked for weights it does not run (floats, sparse maps).
    #[error("the row executor runs integer offset matrices; these weights run token by token")]
    RowsNeedIntegers,
    /// The row executor was asked for a predictor it cannot run.
    #[error(transparent)]
    Rows(#[from] crate::rows::RowsError),
    /// A window or a count beyond what arsim builds.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
}

/// The predictor's labels, where it carries them, must be the encoding's dictionary and its size
/// the encoding's; its offsets must fit the executor's ring.
pub(crate) fn check_predictor<E: Encoding, P: Predictor>(
    enc: &E,
    machine: &Machine,
    predictor: &P,
) -> Result<(), EmulateError> {
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
    Ok(())
}

/// What every encoding's emulation reports alike, taken from the encoding and the reference
/// trace where the driver stopped reading it; [`Outcome::report`] turns it into the
/// [`EmulationReport`], to which the trace adds its own extras.
pub(crate) struct Outcome {
    window: Window,
    dictionary: usize,
    offsets: Vec<usize>,
    steps: u64,
    reference_steps: u64,
    expected_tokens: u64,
    length_formula: String,
    stop: String,
    reference_stop: Option<String>,
    left_window: Option<String>,
    first_divergence: Option<DivergenceReport>,
    extras: TraceExtras,
}

impl Outcome {
    /// The run of `enc` whose reference is `trace`, with the verifier's divergence, if any.
    pub(crate) fn of<E: Encoding>(
        enc: &E,
        machine: &Machine,
        trace: &E::Trace<'_>,
        offsets: Vec<usize>,
        divergence: Option<Divergence>,
    ) -> Outcome {
        let end = trace.end();
        let (reference_stop, left_window) = match end {
            Some(e) => {
                let (stop, left) = stop_of(e);
                (Some(stop), left)
            }
            None => (None, None),
        };
        let stop = match (&divergence, &reference_stop) {
            (Some(_), _) => "diverged".to_string(),
            (None, Some(s)) => s.clone(),
            // Every token agreed and the trace did not end: the driver stopped at the step
            // limit of its own loop.
            (None, None) => Stop::StepLimit.name().to_string(),
        };
        Outcome {
            window: enc.window(),
            dictionary: enc.vocab(),
            steps: trace.steps(),
            reference_steps: trace.run_steps(),
            expected_tokens: trace.expected_tokens(),
            length_formula: trace.formula(),
            stop,
            reference_stop,
            left_window,
            first_divergence: divergence.map(|d| enc.divergence(machine, d, &offsets)),
            offsets,
            extras: trace.extras(),
        }
    }

    pub(crate) fn report(
        self,
        machine: &Machine,
        encoding: &'static str,
        executor: &'static str,
        opts: &EmulateOptions,
        v: &Verification,
    ) -> EmulationReport {
        EmulationReport {
            machine: machine.name().to_string(),
            encoding,
            executor,
            row_scorer: None,
            input: machine.render(&opts.input),
            head_start: opts.input.head,
            steps: self.steps,
            stop: self.stop,
            reference_steps: self.reference_steps,
            reference_stop: self.reference_stop,
            tape_cells: self.window.size,
            origin: self.window.origin,
            dictionary: self.dictionary,
            offsets: self.offsets,
            prompt_tokens: v.prompt_tokens,
            generated_tokens: v.generated,
            expected_tokens: self.expected_tokens,
            length_formula: self.length_formula,
            agree: self.first_divergence.is_none(),
            first_divergence: self.first_divergence,
            tokens_per_second: v.tokens_per_second(),
            seconds: v.seconds,
            peak_rss_bytes: crate::rows::peak_rss_bytes(),
            left_window: self.left_window,
            extras: self.extras,
        }
    }
}

/// The name of how a reference trace ended, and why it left the window when it did.
fn stop_of(end: &TraceEnd) -> (String, Option<String>) {
    match end {
        TraceEnd::Final(s) => (s.name().to_string(), None),
        TraceEnd::StepLimit => (Stop::StepLimit.name().to_string(), None),
        TraceEnd::LeftWindow(e) => ("left-window".to_string(), Some(e.to_string())),
    }
}
