//! Learning linear AR predictors from chain-of-thought traces, and comparing them with the
//! compiled ones (proofs/learnability.md).
//!
//! The learner's pipeline, stage by stage (each a submodule):
//!
//! 1. [`inputs`]: the input distribution and a disjoint training / held-out split;
//! 2. [`dataset`]: the shared tape window and the training examples (window → next token),
//!    streamed from [`ReferenceTrace`](crate::encoding::cells::ReferenceTrace);
//! 3. learners: [`perceptron`] (integer weights, a [`LinearAr`]), [`softmax`] (softmax
//!    regression with AdamW, a [`LinearArF32`]), [`time_dependent`] (one perceptron per
//!    position); [`mod@mistake_bound`] gives the perceptron's (R/γ)² from the compiled weights;
//! 4. [`mod@evaluate`]: the learned predictor on held-out inputs with the same executor and
//!    verifier as `arsim emulate`, against the interpreter and the compiled predictor;
//! 5. [`sample_complexity`]: held-out error against the number of training traces, for the
//!    time-invariant and the time-dependent learner; [`plot`] draws it. [`chain_length`]:
//!    the training traces each learner needs for trace error ≤ ε as the inputs (hence the
//!    chains) grow; [`chain_length_plot`] draws it against the bounds.
//!
//! [`learn`] runs stages 1-4 once, as `arsim learn` does.
//!
//! ```
//! use arsim::learn::{learn, LearnOptions};
//! use arsim::machine::load_machine;
//! let m = load_machine(concat!(env!("CARGO_MANIFEST_DIR"), "/machines/binary-increment.ron")).unwrap();
//! let opts = LearnOptions { train: 16, test: 20, ..LearnOptions::for_machine(&m) };
//! let learned = learn(&m, &opts, &mut |_| {}).unwrap();
//! assert_eq!(learned.report.test.trace_errors, 0);
//! ```

pub mod chain_length;
pub mod chain_length_plot;
pub mod dataset;
pub mod evaluate;
pub mod inputs;
pub mod mistake_bound;
pub mod outputs;
pub mod perceptron;
pub mod plot;
pub mod sample_complexity;
pub mod softmax;
pub mod time_dependent;
pub mod traces;

use crate::certify::CertifyReport;
use crate::machine::Input;
use crate::weights::DenseWeights;

use crate::certify::Certificate;
use crate::encoding::Encoding;
use crate::encoding::EncodingKind;
use crate::encoding::WindowKind;
use crate::machine::{Machine, SymbolId};
use crate::predictor::Layout;
use crate::predictor::{LinearAr, LinearArF32};
use crate::weights::Weights;
use crate::window::{Window, WindowError};
use dataset::{common_window, layout, Examples};
use evaluate::{evaluate, EvalSetting, Evaluation};
use inputs::{split, InputSpec, InputSplit, InputsError, Pattern};
use mistake_bound::{mistake_bound, MistakeBound};
use outputs::{OutputFeatures, OutputKind};
use perceptron::{train_perceptron, PerceptronOptions, PerceptronStats};
use serde::Serialize;
use softmax::{train_softmax, SoftmaxOptions, SoftmaxStats};
use std::time::Instant;
use time_dependent::{train_time_dependent, PerPositionAr};
use traces::TraceFormat;

/// The learning algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Algo {
    /// Multiclass perceptron, integer weights.
    Perceptron,
    /// Softmax regression (cross-entropy, AdamW), float weights.
    Softmax,
}

/// Whether the learned weights are shared by every position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum LearnerKind {
    /// One set of weights for every position (the `cells` predictor's form).
    TimeInvariant,
    /// One classifier per trace position (the PAC → AR reduction); perceptron only.
    TimeDependent,
}

/// What to learn from, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnOptions {
    /// The encoding of the traces (`cells` or `gates`).
    pub encoding: EncodingKind,
    /// The input distribution.
    pub inputs: InputSpec,
    /// Training traces.
    pub train: usize,
    /// Held-out traces.
    pub test: usize,
    /// Seed of the inputs, the shuffles and the learners.
    pub seed: u64,
    /// The algorithm (time-invariant learner).
    pub algo: Algo,
    /// The offsets the learner reads.
    pub window: WindowKind,
    /// The output features the learner's weights are written over.
    pub outputs: OutputKind,
    /// Time-invariant or time-dependent.
    pub learner: LearnerKind,
    /// Step limit of every run.
    pub max_steps: u64,
    /// Perceptron pass limit.
    pub max_passes: usize,
    /// Perceptron margin τ.
    pub margin: i32,
    /// Softmax-regression settings (its seed is `seed`).
    pub softmax: SoftmaxOptions,
}

impl LearnOptions {
    /// Training traces by default.
    pub const DEFAULT_TRAIN: usize = 50;
    /// Held-out traces by default.
    pub const DEFAULT_TEST: usize = 500;
    /// The seed by default (every shell's: the command line's `--seed`, Python's `seed=`).
    pub const DEFAULT_SEED: u64 = 0;
    /// The step limit of every run by default.
    pub const DEFAULT_MAX_STEPS: u64 = 2_000;
    /// The perceptron's pass limit by default.
    pub const DEFAULT_MAX_PASSES: usize = 1_000;

    /// Defaults for `machine` (the command line's and Python's): random words of the pattern of its file's example inputs
    /// ([`Pattern::for_machine`]: the file's `inputs:` field, else the examples' shape) with automatic lengths, 50 training and 500 held-out traces,
    /// seed 0, perceptron over every offset with output parts.
    pub fn for_machine(machine: &Machine) -> LearnOptions {
        LearnOptions {
            encoding: EncodingKind::Cells,
            inputs: InputSpec::Random {
                pattern: Pattern::for_machine(machine),
                lengths: None,
                eval_lengths: None,
            },
            train: LearnOptions::DEFAULT_TRAIN,
            test: LearnOptions::DEFAULT_TEST,
            seed: LearnOptions::DEFAULT_SEED,
            algo: Algo::Perceptron,
            window: WindowKind::All,
            outputs: OutputKind::Parts,
            learner: LearnerKind::TimeInvariant,
            max_steps: LearnOptions::DEFAULT_MAX_STEPS,
            max_passes: LearnOptions::DEFAULT_MAX_PASSES,
            margin: perceptron::DEFAULT_MARGIN,
            softmax: SoftmaxOptions::default(),
        }
    }
}

/// Why a learning run cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LearnError {
    /// The inputs cannot be drawn.
    #[error(transparent)]
    Inputs(#[from] InputsError),
    /// An input does not fit the window (cannot happen with [`common_window`]).
    #[error(transparent)]
    Window(#[from] WindowError),
    /// The time-dependent learner is a perceptron.
    #[error("the time-dependent learner is one perceptron per position; the softmax algorithm is for the time-invariant learner")]
    TimeDependentSoftmax,
    /// The machine has no `sweep` encoding (its stay moves never end).
    #[error(transparent)]
    Encoding(#[from] crate::encoding::sweep::StayLoops),
    /// `gates` traces need one classifier per position.
    #[error("gates traces are learned time-dependent (by the time-dependent learner): each bit of a row is a different gate")]
    TimeInvariantGates,
    /// Held-out lengths of their own need weights that carry to a wider window.
    #[error("held-out lengths of their own move the learned weights to the held-out inputs' wider window offset for offset: that needs an encoding whose offsets read the same cells on any window (cells), the local window and the time-invariant learner")]
    Extrapolation,
    /// More or longer traces than fit in memory.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
    /// Nothing to train on or test on.
    #[error("need at least one training and one held-out trace (got {train} and {test})")]
    Empty {
        /// Training traces asked for.
        train: usize,
        /// Held-out traces asked for.
        test: usize,
    },
}

/// LearnProgress of a long run, for a progress bar (the library prints nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnProgress {
    /// A phase starts, with `total` units of work.
    Phase {
        /// What is being done: `traces`, `passes`, `epochs`, `held-out`, `sweep`.
        name: &'static str,
        /// Units in the phase.
        total: u64,
    },
    /// Units done so far in the current phase.
    Done(u64),
}

/// A learned predictor.
#[derive(Clone, Debug, PartialEq)]
pub enum LearnedPredictor {
    /// Perceptron weights.
    Integer(LinearAr),
    /// Softmax-regression weights.
    Float(LinearArF32),
    /// One perceptron per position.
    TimeDependent(PerPositionAr),
}

/// The input distribution, as reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputsSummary {
    /// `random` or `listed`.
    pub distribution: &'static str,
    /// The pattern of the words (random inputs).
    pub pattern: Option<String>,
    /// The run lengths used (random inputs).
    pub lengths: Option<Vec<usize>>,
    /// The held-out inputs' run lengths, where they differ (`--eval-lengths`).
    pub eval_lengths: Option<Vec<usize>>,
    /// The first few training inputs.
    pub first_training_inputs: Vec<String>,
}

/// What training did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Training {
    /// Training traces.
    pub traces: usize,
    /// Training examples: generated positions of the traces, with multiplicity.
    pub examples: u64,
    /// Distinct (context, label) pairs (and positions, when time-dependent).
    pub distinct_examples: usize,
    /// Classifiers trained: 1, or the number of positions.
    pub classifiers: usize,
    /// Perceptron run, when the algorithm is the perceptron.
    pub perceptron: Option<PerceptronStats>,
    /// (R² + 2τ)/γ² from the compiled weights, for the perceptron.
    pub mistake_bound: Option<MistakeBound>,
    /// Whether the perceptron's mistakes are within the bound.
    pub mistakes_within_bound: Option<bool>,
    /// Softmax-regression run, when the algorithm is softmax.
    pub softmax: Option<SoftmaxStats>,
    /// Seconds collecting the examples from the training traces (running them).
    pub examples_seconds: f64,
    /// Seconds fitting the learner to the collected examples.
    pub seconds: f64,
}

/// The comparison of `arsim learn`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearnReport {
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: &'static str,
    /// Time-invariant or time-dependent.
    pub learner: LearnerKind,
    /// The algorithm.
    pub algo: Algo,
    /// Which offsets the learner reads.
    pub window: WindowKind,
    /// The output features (always `tokens` for `gates`).
    pub outputs: OutputKind,
    /// The offsets.
    pub offsets: Vec<usize>,
    /// Window size S of the training traces (of every trace, unless `--eval-lengths`).
    pub tape_cells: usize,
    /// Window cell of the input's start.
    pub origin: usize,
    /// The offsets the learned weights read on the held-out traces: `offsets`, or the same
    /// cells on their wider window (`--eval-lengths`).
    pub eval_offsets: Vec<usize>,
    /// Window size of the held-out traces: `tape_cells`, or wider (`--eval-lengths`).
    pub eval_tape_cells: usize,
    /// |D| (2 for `gates`).
    #[serde(rename = "dictionary_size")]
    pub dictionary: usize,
    /// The seed.
    pub seed: u64,
    /// Step limit of every run.
    pub max_steps: u64,
    /// The input distribution.
    pub inputs: InputsSummary,
    /// Training.
    pub training: Training,
    /// The learned predictor on the held-out inputs.
    pub test: Evaluation,
    /// For learned integer weights on the local window: the certificate of `arsim certify`,
    /// checked on every local context, not only those that occurred (proofs/cells.md#certificate).
    pub certificate: Option<Certificate>,
}

/// A learned predictor and its report.
#[derive(Clone, Debug)]
pub struct Learned {
    /// The comparison.
    pub report: LearnReport,
    /// The predictor.
    pub predictor: LearnedPredictor,
    /// The shared tape window (for `learn --out`).
    pub window: Window,
}

impl Learned {
    /// The metadata a file of the learned weights carries: the machine's fields, the encoding
    /// and window, and how they were learned (`learned`: algorithm, seed, traces).
    pub fn metadata(&self, machine: &Machine) -> crate::weights::Metadata {
        let r = &self.report;
        let mut meta = crate::weights::Metadata::for_machine(
            crate::weights::DENSE_FORMAT,
            machine,
            r.encoding,
            self.window,
            Vec::new(),
        );
        meta.extra.insert(
            "learned".into(),
            format!(
                "{:?} seed {} on {} traces",
                r.algo, r.seed, r.training.traces
            ),
        );
        meta
    }

    /// Writes a time-invariant learned predictor to `path` in the layout of `compile --out`
    /// (`I32` for the perceptron, `F32` for softmax regression), whole or not at all. Returns
    /// `false`, writing nothing, for the time-dependent learner, which has no such file.
    pub fn save(
        &self,
        machine: &Machine,
        path: &std::path::Path,
    ) -> Result<bool, crate::weights::WeightsError> {
        let meta = self.metadata(machine);
        match &self.predictor {
            LearnedPredictor::Integer(w) => crate::weights::write_dense(w, &meta, path)?,
            LearnedPredictor::Float(w) => crate::weights::write_dense(w, &meta, path)?,
            LearnedPredictor::TimeDependent(_) => return Ok(false),
        }
        Ok(true)
    }
}

/// Inputs, window and compiled predictor of a run: everything before training.
pub(crate) struct Stages {
    pub split: InputSplit,
    /// Where the training traces are laid.
    pub train: Stage,
    /// Where the held-out traces are laid, when it is another window (length extrapolation).
    pub held_out: Option<Stage>,
}

/// One tape window's trace format, compiled predictor and learner offsets.
pub(crate) struct Stage {
    pub window: Window,
    pub format: TraceFormat,
    pub compiled: Weights,
    pub offsets: Vec<usize>,
}

impl Stage {
    fn new(
        machine: &Machine,
        proto: &TraceFormat,
        opts: &LearnOptions,
        inputs: &[Vec<SymbolId>],
    ) -> Result<Stage, LearnError> {
        let window = common_window(machine, inputs, opts.max_steps);
        let format = proto.on_window(machine, window);
        Ok(Stage {
            compiled: format.compile(machine)?,
            offsets: format.learner_offsets(opts.window),
            window,
            format,
        })
    }
}

impl Stages {
    /// The stage of the held-out traces.
    pub fn eval(&self) -> &Stage {
        self.held_out.as_ref().unwrap_or(&self.train)
    }
}

pub(crate) fn prepare(
    machine: &Machine,
    opts: &LearnOptions,
    train: usize,
) -> Result<Stages, LearnError> {
    let proto = TraceFormat::of_kind(opts.encoding, machine, Window { size: 1, origin: 0 })?;
    prepare_with(machine, &proto, opts, train)
}

/// [`prepare`] with the traces in the encoding `proto` (on any window: each stage lays it on
/// its own).
pub(crate) fn prepare_with(
    machine: &Machine,
    proto: &TraceFormat,
    opts: &LearnOptions,
    train: usize,
) -> Result<Stages, LearnError> {
    if train == 0 || opts.test == 0 {
        return Err(LearnError::Empty {
            train,
            test: opts.test,
        });
    }
    check_sizes(opts, train)?;
    let split = split(&opts.inputs, train, opts.test, opts.seed)?;
    if split.eval_lengths.is_none() {
        let all: Vec<Vec<SymbolId>> = split.train.iter().chain(&split.test).cloned().collect();
        return Ok(Stages {
            train: Stage::new(machine, proto, opts, &all)?,
            held_out: None,
            split,
        });
    }
    // Weights move to another window only where each offset reads the same cell on both
    // (`Encoding::move_offset`: for `cells`, the three cells above, S, S+1, S+2; the `all`
    // window's offsets 1..S+2 do not carry over), and one classifier per position does not
    // carry to longer traces at all.
    let train = Stage::new(machine, proto, opts, &split.train)?;
    let held_out = Stage::new(machine, proto, opts, &split.test)?;
    let moved: Option<Vec<usize>> = train
        .offsets
        .iter()
        .map(|&o| train.format.move_offset(o, held_out.window))
        .collect();
    if opts.learner != LearnerKind::TimeInvariant || moved.as_ref() != Some(&held_out.offsets) {
        return Err(LearnError::Extrapolation);
    }
    Ok(Stages {
        train,
        held_out: Some(held_out),
        split,
    })
}

/// Checks what a run of `train` training and `opts.test` held-out traces keeps before drawing
/// them: its longest input no longer than a window holds, and the traces within
/// [`crate::limits::MEMORY_LIMIT`], each counted at its input (8 bytes a symbol) and one row of
/// examples (S + 1 tokens, each reading its offsets: S + 2 of them on the `all` window).
fn check_sizes(opts: &LearnOptions, train: usize) -> Result<(), crate::limits::SizeError> {
    let longest = match &opts.inputs {
        InputSpec::Random {
            pattern,
            lengths,
            eval_lengths,
        } => {
            let run = lengths
                .iter()
                .chain(eval_lengths)
                .flatten()
                .copied()
                .max()
                .unwrap_or(0);
            pattern.items.len().max(1).saturating_mul(run)
        }
        InputSpec::Listed(words) => words.iter().map(Vec::len).max().unwrap_or(0),
        InputSpec::Given { train, test } => {
            train.iter().chain(test).map(Vec::len).max().unwrap_or(0)
        }
    } as u64;
    crate::limits::check_at_most(
        "cells of an input",
        longest,
        crate::limits::MAX_WINDOW as u64,
        "cells of the widest tape window (the run lengths times the pattern's parts)",
    )?;
    let cells = longest + 3;
    let offsets = match opts.window {
        WindowKind::All => cells + 2,
        WindowKind::Local => 3,
    };
    crate::limits::check_count(
        "training and held-out traces",
        (train as u64).saturating_add(opts.test as u64),
        64 + 8 * longest + (cells + 1).saturating_mul(offsets).saturating_mul(4),
    )
}

/// Training examples of the first `n` training inputs.
pub(crate) fn examples(
    machine: &Machine,
    p: &Stages,
    n: usize,
    by_position: bool,
    max_steps: u64,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Examples, LearnError> {
    let mut ex = Examples::new(p.train.format.vocab(), &p.train.offsets, by_position);
    progress(LearnProgress::Phase {
        name: "traces",
        total: n as u64,
    });
    for (i, input) in p.split.train[..n].iter().enumerate() {
        ex.add_trace(machine, &p.train.format, input, max_steps)?;
        progress(LearnProgress::Done(i as u64 + 1));
    }
    Ok(ex)
}

/// The output features the learner's weights are written over: `opts.outputs` for an encoding
/// whose tokens are cells (the symbol and head parts are a cell's), else one row per token.
pub(crate) fn output_features(p: &Stages, opts: &LearnOptions) -> OutputFeatures {
    OutputFeatures::for_encoding(&p.train.format, opts.outputs)
}

/// Trains the learner `kind` with `algo` on `ex`.
pub(crate) fn train(
    machine: &Machine,
    p: &Stages,
    ex: &Examples,
    kind: LearnerKind,
    algo: Algo,
    opts: &LearnOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<(LearnedPredictor, Training), LearnError> {
    let start = Instant::now();
    let layout = layout(machine, &p.train.format, &p.train.offsets);
    let outputs = output_features(p, opts);
    let popts = PerceptronOptions {
        max_passes: opts.max_passes,
        margin: opts.margin,
        seed: opts.seed,
    };
    let mut phase = |name: &'static str, total: usize| {
        progress(LearnProgress::Phase {
            name,
            total: total as u64,
        })
    };
    if kind == LearnerKind::TimeInvariant && !p.train.format.info().time_invariant {
        return Err(LearnError::TimeInvariantGates);
    }
    let (predictor, perceptron, softmax) = match (kind, algo) {
        (LearnerKind::TimeDependent, Algo::Softmax) => {
            return Err(LearnError::TimeDependentSoftmax)
        }
        (LearnerKind::TimeInvariant, Algo::Softmax) => {
            phase("epochs", opts.softmax.epochs);
            let sopts = SoftmaxOptions {
                seed: opts.seed,
                ..opts.softmax
            };
            let (w, stats) = train_softmax(ex, layout, &outputs, sopts, &mut |e, _| {
                progress(LearnProgress::Done(e as u64))
            });
            (LearnedPredictor::Float(w), None, Some(stats))
        }
        (LearnerKind::TimeInvariant, Algo::Perceptron) => {
            phase("passes", opts.max_passes);
            let (w, stats) = train_perceptron(ex, layout, outputs.clone(), popts, &mut |e, _| {
                progress(LearnProgress::Done(e as u64))
            });
            (LearnedPredictor::Integer(w), Some(stats), None)
        }
        (LearnerKind::TimeDependent, Algo::Perceptron) => {
            phase("passes", opts.max_passes);
            let (w, stats) =
                train_time_dependent(ex, layout, outputs.clone(), popts, &mut |e, _| {
                    progress(LearnProgress::Done(e as u64))
                });
            (LearnedPredictor::TimeDependent(w), Some(stats), None)
        }
    };
    let bound = perceptron
        .as_ref()
        .and_then(|_| mistake_bound(ex, &p.train.compiled, &outputs, opts.margin).ok());
    let within = perceptron
        .as_ref()
        .zip(bound.as_ref())
        .map(|(s, b)| s.mistakes as f64 <= b.bound);
    let classifiers = match &predictor {
        LearnedPredictor::TimeDependent(t) => t.classifiers(),
        _ => 1,
    };
    Ok((
        predictor,
        Training {
            traces: ex.traces(),
            examples: ex.total(),
            distinct_examples: ex.len(),
            classifiers,
            perceptron,
            mistake_bound: bound,
            mistakes_within_bound: within,
            softmax,
            examples_seconds: 0.0,
            seconds: start.elapsed().as_secs_f64(),
        },
    ))
}

impl LearnedPredictor {
    /// The same weights read at `layout`'s offsets: the matrix of offset `o` moves to the new
    /// layout's offset `o` (S + k on one window is S' + k on another: the same cell above).
    fn relaid(&self, layout: Layout) -> Result<LearnedPredictor, LearnError> {
        Ok(match self {
            LearnedPredictor::Integer(w) => {
                LearnedPredictor::Integer(LinearAr::new(layout, w.weights().to_vec()))
            }
            LearnedPredictor::Float(w) => {
                LearnedPredictor::Float(LinearAr::from_weights(layout, w.weights().to_vec()))
            }
            LearnedPredictor::TimeDependent(_) => return Err(LearnError::Extrapolation),
        })
    }

    /// This predictor moved to the held-out traces' window of `p`, when they have one of their
    /// own (length extrapolation); `None`: it runs there as it is.
    fn moved_to_held_out(
        &self,
        machine: &Machine,
        p: &Stages,
    ) -> Result<Option<LearnedPredictor>, LearnError> {
        p.held_out
            .as_ref()
            .map(|stage| self.relaid(layout(machine, &stage.format, &stage.offsets)))
            .transpose()
    }
}

/// Evaluates any learned predictor on the held-out inputs of `p`, on their window.
pub(crate) fn evaluate_learned(
    machine: &Machine,
    p: &mut Stages,
    predictor: &mut LearnedPredictor,
    seen: &mut Examples,
    max_steps: u64,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Evaluation, LearnError> {
    let mut moved = predictor.moved_to_held_out(machine, p)?;
    let predictor = moved.as_mut().unwrap_or(predictor);
    evaluate_placed(machine, p, predictor, seen, max_steps, progress)
}

/// [`evaluate_learned`] for a predictor already on the held-out traces' window.
fn evaluate_placed(
    machine: &Machine,
    p: &mut Stages,
    predictor: &mut LearnedPredictor,
    seen: &mut Examples,
    max_steps: u64,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Evaluation, LearnError> {
    progress(LearnProgress::Phase {
        name: "held-out",
        total: p.split.test.len() as u64,
    });
    // Coverage compares contexts offset by offset, so the training examples are read at the
    // held-out window's offsets too (the same cells), and put back after.
    let trained_offsets = seen.offsets().to_vec();
    let stage = match &mut p.held_out {
        Some(stage) => stage,
        None => &mut p.train,
    };
    seen.set_offsets(&stage.offsets);
    let mut setting = EvalSetting {
        machine,
        format: &stage.format,
        max_steps,
        compiled: stage.compiled.as_predictor(),
        seen,
    };
    let mut done = |n: usize| progress(LearnProgress::Done(n as u64));
    let test = &p.split.test;
    let evaluation = match predictor {
        LearnedPredictor::Integer(w) => evaluate(&mut setting, w, test, &mut done),
        LearnedPredictor::Float(w) => evaluate(&mut setting, w, test, &mut done),
        LearnedPredictor::TimeDependent(w) => evaluate(&mut setting, w, test, &mut done),
    };
    seen.set_offsets(&trained_offsets);
    Ok(evaluation?)
}

fn summary(machine: &Machine, opts: &LearnOptions, split: &InputSplit) -> InputsSummary {
    let (distribution, pattern) = match &opts.inputs {
        InputSpec::Random { pattern, .. } => ("random", Some(pattern.render(machine))),
        InputSpec::Listed(_) => ("listed", None),
        InputSpec::Given { .. } => ("given", None),
    };
    InputsSummary {
        distribution,
        pattern,
        lengths: split.lengths.clone(),
        eval_lengths: split.eval_lengths.clone(),
        first_training_inputs: split
            .train
            .iter()
            .take(5)
            .map(|w| machine.render(w))
            .collect(),
    }
}

/// Draws the inputs, trains the learner on `opts.train` traces, and evaluates it on
/// `opts.test` held-out traces against the interpreter and the compiled predictor.
pub fn learn(
    machine: &Machine,
    opts: &LearnOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Learned, LearnError> {
    let proto = TraceFormat::of_kind(opts.encoding, machine, Window { size: 1, origin: 0 })?;
    learn_with(machine, &proto, opts, progress)
}

/// [`learn`] on the traces of any encoding (`opts.encoding` is not read): one defined outside
/// arsim is learned, evaluated and certified as arsim's own are.
pub fn learn_encoding<E: Encoding + Send + Sync + 'static>(
    machine: &Machine,
    encoding: E,
    opts: &LearnOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Learned, LearnError> {
    learn_with(machine, &TraceFormat::new(encoding), opts, progress)
}

fn learn_with(
    machine: &Machine,
    proto: &TraceFormat,
    opts: &LearnOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Learned, LearnError> {
    if opts.learner == LearnerKind::TimeDependent && opts.algo == Algo::Softmax {
        return Err(LearnError::TimeDependentSoftmax);
    }
    if opts.learner == LearnerKind::TimeInvariant && !proto.info().time_invariant {
        return Err(LearnError::TimeInvariantGates);
    }
    let mut p = prepare_with(machine, proto, opts, opts.train)?;
    let by_position = opts.learner == LearnerKind::TimeDependent;
    let collecting = Instant::now();
    let mut ex = examples(
        machine,
        &p,
        opts.train,
        by_position,
        opts.max_steps,
        progress,
    )?;
    let examples_seconds = collecting.elapsed().as_secs_f64();
    let (mut predictor, mut training) =
        train(machine, &p, &ex, opts.learner, opts.algo, opts, progress)?;
    training.examples_seconds = examples_seconds;
    // Moved once: the held-out traces run these weights, and the certificate checks them.
    let mut moved = predictor.moved_to_held_out(machine, &p)?;
    let placed = moved.as_mut().unwrap_or(&mut predictor);
    let test = evaluate_placed(machine, &mut p, placed, &mut ex, opts.max_steps, progress)?;
    // The local window's weights are offset matrices over the compiled predictor's offsets:
    // the encoding's own certificate checks every local context of them, integer or float.
    let dense = match (&*placed, opts.window) {
        (LearnedPredictor::Integer(w), WindowKind::Local) => Some(DenseWeights::Int(w.clone())),
        (LearnedPredictor::Float(w), WindowKind::Local) => Some(DenseWeights::F32(w.clone())),
        _ => None,
    };
    let certificate = dense.and_then(|d| {
        let weights = Weights::Dense(d);
        match p
            .eval()
            .format
            .certify(machine, &weights, &Input::default(), &mut |_, _| {})
        {
            Ok(CertifyReport::Local(c)) => Some(c),
            _ => None,
        }
    });
    let report = LearnReport {
        machine: machine.name().to_string(),
        encoding: proto.info().name,
        learner: opts.learner,
        algo: opts.algo,
        window: opts.window,
        outputs: output_features(&p, opts).kind(),
        offsets: p.train.offsets.clone(),
        tape_cells: p.train.window.size,
        origin: p.train.window.origin,
        eval_offsets: p.eval().offsets.clone(),
        eval_tape_cells: p.eval().window.size,
        dictionary: p.train.format.vocab(),
        seed: opts.seed,
        max_steps: opts.max_steps,
        inputs: summary(machine, opts, &p.split),
        training,
        test,
        certificate,
    };
    Ok(Learned {
        report,
        predictor,
        window: p.train.window,
    })
}
