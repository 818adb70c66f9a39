//! Sample complexity: held-out error against the number of training traces, for the
//! time-invariant and the time-dependent learner side by side (`arsim learn --sample-sizes`).
//!
//! The last stage of `learn`, repeated: one input split is drawn for the largest size, so the
//! training inputs of each size are a prefix of the next one's and every size is tested on the
//! same held-out inputs. At each size both learners train from scratch on the same traces and
//! are evaluated with [`mod@super::evaluate`]. The time-invariant learner uses the run's algorithm;
//! the time-dependent one is always the perceptron (one per position).

use super::evaluate::Evaluation;
use super::outputs::OutputKind;
use super::{
    evaluate_learned, examples, prepare, summary, train, Algo, InputsSummary, LearnError,
    LearnOptions, LearnProgress, LearnerKind, Stages, Training,
};
use crate::encoding::Encoding;
use crate::encoding::EncodingKind;
use crate::encoding::WindowKind;
use crate::machine::Machine;
use serde::Serialize;

/// One learner at one training-set size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Held-out traces with a wrong token.
    pub trace_errors: usize,
    /// `trace_errors / test traces`.
    pub trace_error_rate: f64,
    /// Teacher-forced held-out token error rate.
    pub token_error_rate: f64,
    /// Held-out answer error rate.
    pub answer_error_rate: f64,
    /// Held-out traces whose every context occurred in training.
    pub covered_traces: usize,
    /// Distinct training examples.
    pub distinct_examples: usize,
    /// Classifiers trained.
    pub classifiers: usize,
    /// Perceptron mistakes (`None` for softmax).
    pub mistakes: Option<u64>,
    /// Passes (perceptron) or epochs (softmax).
    pub passes: usize,
    /// Whether training fitted every training example.
    pub converged: bool,
    /// Seconds spent training.
    pub seconds: f64,
}

impl SweepPoint {
    fn new(t: &Training, e: &Evaluation) -> SweepPoint {
        let (mistakes, passes, converged) = match (&t.perceptron, &t.softmax) {
            (Some(p), _) => (Some(p.mistakes), p.passes, p.converged),
            (None, Some(s)) => (None, s.epochs, s.converged),
            (None, None) => (None, 0, false),
        };
        SweepPoint {
            trace_errors: e.trace_errors,
            trace_error_rate: e.trace_error_rate,
            token_error_rate: e.token_error_rate,
            answer_error_rate: e.answer_error_rate,
            covered_traces: e.covered_traces,
            distinct_examples: t.distinct_examples,
            classifiers: t.classifiers,
            mistakes,
            passes,
            converged,
            seconds: t.seconds,
        }
    }
}

/// Both learners at one training-set size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    /// Training traces.
    pub train_traces: usize,
    /// Training examples (generated positions).
    pub examples: u64,
    /// The time-invariant learner (`None` for `gates`, which only the time-dependent one reads).
    pub time_invariant: Option<SweepPoint>,
    /// The time-dependent learner (perceptron per position).
    pub time_dependent: SweepPoint,
}

/// The sample-complexity table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleComplexityReport {
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: &'static str,
    /// The time-invariant learner's algorithm.
    pub algo: Algo,
    /// The offsets both learners read.
    pub window: WindowKind,
    /// The output features of both learners.
    pub outputs: OutputKind,
    /// Window size S.
    pub tape_cells: usize,
    /// Window cell of the input's start.
    pub origin: usize,
    /// |D|, the number of tokens in the dictionary.
    #[serde(rename = "dictionary_size")]
    pub dictionary: usize,
    /// The seed.
    pub seed: u64,
    /// Held-out traces at every size.
    pub test_traces: usize,
    /// Step limit of every run.
    pub max_steps: u64,
    /// The input distribution.
    pub inputs: InputsSummary,
    /// One row per training-set size, increasing.
    pub rows: Vec<SweepRow>,
}

/// The learners a run of `encoding` compares: both for `cells`, the time-dependent one only
/// for `gates` (each bit of a row is a different gate).
pub(crate) fn learners(encoding: EncodingKind) -> &'static [LearnerKind] {
    if encoding.info().time_invariant {
        &[LearnerKind::TimeInvariant, LearnerKind::TimeDependent]
    } else {
        &[LearnerKind::TimeDependent]
    }
}

/// Trains the learner `kind` from scratch on the first `n` training inputs of `p` and evaluates
/// it on all of `p`'s held-out inputs: one point of the sweep, one probe of
/// [`super::chain_length`]'s search. The time-invariant learner uses `opts.algo`, the
/// time-dependent one the perceptron.
pub(crate) fn measure(
    machine: &Machine,
    opts: &LearnOptions,
    p: &mut Stages,
    n: usize,
    kind: LearnerKind,
) -> Result<(Training, Evaluation), LearnError> {
    let quiet = &mut |_: LearnProgress| {};
    let algo = match kind {
        LearnerKind::TimeInvariant => opts.algo,
        LearnerKind::TimeDependent => Algo::Perceptron,
    };
    let by_position = kind == LearnerKind::TimeDependent;
    let collecting = std::time::Instant::now();
    let mut ex = examples(machine, p, n, by_position, opts.max_steps, quiet)?;
    let examples_seconds = collecting.elapsed().as_secs_f64();
    let (mut w, mut t) = train(machine, p, &ex, kind, algo, opts, quiet)?;
    t.examples_seconds = examples_seconds;
    let e = evaluate_learned(machine, p, &mut w, &mut ex, opts.max_steps, quiet)?;
    Ok((t, e))
}

/// Runs both learners at every size in `sizes` (training traces; sorted, zeros dropped); for
/// `gates`, the time-dependent one only. `opts.train` is ignored. LearnProgress: one unit per
/// (size, learner).
pub fn sample_complexity(
    machine: &Machine,
    opts: &LearnOptions,
    sizes: &[usize],
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<SampleComplexityReport, LearnError> {
    let mut sizes: Vec<usize> = sizes.iter().copied().filter(|&n| n > 0).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let largest = sizes.last().copied().unwrap_or(0);
    let mut p = prepare(machine, opts, largest)?;
    let mut rows = Vec::new();
    let kinds = learners(opts.encoding);
    progress(LearnProgress::Phase {
        name: "sweep",
        total: (kinds.len() * sizes.len()) as u64,
    });
    for (k, &n) in sizes.iter().enumerate() {
        let mut points = Vec::new();
        for (i, &kind) in kinds.iter().enumerate() {
            points.push(measure(machine, opts, &mut p, n, kind)?);
            progress(LearnProgress::Done((kinds.len() * k + i + 1) as u64));
        }
        let td = points.pop();
        let ti = points.pop();
        if let Some((dt, de)) = td {
            rows.push(SweepRow {
                train_traces: n,
                examples: dt.examples,
                time_invariant: ti.map(|(tt, te)| SweepPoint::new(&tt, &te)),
                time_dependent: SweepPoint::new(&dt, &de),
            });
        }
    }
    Ok(SampleComplexityReport {
        machine: machine.name().to_string(),
        encoding: opts.encoding.name(),
        algo: opts.algo,
        window: opts.window,
        outputs: opts.outputs,
        tape_cells: p.train.window.size,
        origin: p.train.window.origin,
        dictionary: p.train.format.vocab(),
        seed: opts.seed,
        test_traces: p.split.test.len(),
        max_steps: opts.max_steps,
        inputs: summary(machine, opts, &p.split),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::load_machine;

    #[test]
    fn both_learners_are_measured_at_every_size_on_the_same_test_set() {
        let m = load_machine(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/machines/binary-increment.ron"
        ))
        .unwrap();
        let opts = LearnOptions {
            test: 20,
            window: WindowKind::Local,
            ..LearnOptions::for_machine(&m)
        };
        let r = sample_complexity(&m, &opts, &[4, 1, 2, 4, 0], &mut |_| {}).unwrap();
        let sizes: Vec<usize> = r.rows.iter().map(|r| r.train_traces).collect();
        assert_eq!(sizes, [1, 2, 4]);
        assert_eq!(r.test_traces, 20);
        assert!(r.rows.windows(2).all(|w| w[0].examples <= w[1].examples));
        for row in &r.rows {
            assert!(row.time_dependent.classifiers > 1);
            assert_eq!(row.time_invariant.as_ref().unwrap().classifiers, 1);
        }
    }
}
