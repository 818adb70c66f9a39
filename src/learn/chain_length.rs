//! Sample complexity against chain length (`arsim learn --chain-length`): for each input length
//! n, the fewest training traces at which each learner's held-out trace error is at most ε, for
//! the time-invariant and the time-dependent learner (proofs/learnability.md#chain-length).
//!
//! Theorem 1 of proofs/learnability.md (PAC → AR) trains each of the T positions on
//! m(ε/T, δ/T) examples, so the per-position learner's traces needed grow with T; a
//! time-invariant learner pools every position into one classifier and needs no union bound
//! over positions (Theorem 3 there). This module measures both as the inputs, hence the
//! chains, grow.
//!
//! For each length n and seed the inputs are random words of the run's pattern with every run
//! of length exactly n ([`InputSpec::Random`] with lengths `[n]`), drawn once as `budget`
//! training and `test` held-out inputs (`learn::prepare`), so the training sets probed are
//! prefixes of one draw and every probe is scored on the same held-out inputs. [`search`] then
//! finds, for each learner, the smallest prefix whose held-out trace error is at most ε:
//! doubling 1, 2, 4, … up to the budget, then bisection between the last size that failed and
//! the first that passed. Each probe trains from scratch and evaluates with
//! `sample_complexity::measure`, the sweep's own step. The bisection assumes the error
//! does not rise with more data; every probe is reported, so a reader sees where it did.

use super::inputs::{count_words, InputSpec, Pattern};
use super::sample_complexity::{learners, measure};
use super::{output_features, prepare, LearnError, LearnOptions, LearnProgress, LearnerKind};
use crate::encoding::Encoding;
use crate::machine::Machine;
use serde::{Deserialize, Serialize};

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainLengthOptions {
    /// Input run lengths n, one measurement each (sorted and deduplicated by the run).
    pub lengths: Vec<usize>,
    /// Seeds each length is measured with (inputs, shuffles and learners).
    pub seeds: Vec<u64>,
    /// The held-out trace error to reach, in [0, 1).
    pub epsilon: f64,
    /// Most training traces tried at one length.
    pub budget: usize,
}

impl Default for ChainLengthOptions {
    /// ε = 0.05, a budget of 1,024 traces, seed 1; no lengths.
    fn default() -> ChainLengthOptions {
        ChainLengthOptions {
            lengths: Vec::new(),
            seeds: vec![1],
            epsilon: 0.05,
            budget: 1024,
        }
    }
}

/// Why the measurement cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ChainLengthError {
    /// Drawing, training or evaluating failed.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// Listed or given inputs have no length to grow.
    #[error("the chain-length measurement draws random words of a pattern with runs of each length in turn; listed inputs have no length to grow")]
    NotRandom,
    /// ε outside [0, 1).
    #[error("the error tolerance ε must be at least 0 and below 1 (got {0})")]
    Epsilon(f64),
    /// A budget of no trace.
    #[error("the budget must be at least 1 training trace")]
    Budget,
    /// No length or no seed.
    #[error("the chain-length measurement needs at least one input length and one seed")]
    Nothing,
    /// A length whose words are all held out.
    #[error("input length {length}: the pattern {pattern} has {available} distinct words with runs of that length, and {test} are held out: none is left to train on (use longer inputs or fewer held-out traces)")]
    TooFewWords {
        /// The input run length.
        length: usize,
        /// The pattern, rendered.
        pattern: String,
        /// Distinct words of that length.
        available: u64,
        /// Held-out traces asked for.
        test: usize,
    },
}

/// One learner trained on one training-set size and scored on the held-out inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Training traces.
    pub train_traces: usize,
    /// Held-out traces with a wrong token.
    pub trace_errors: usize,
    /// `trace_errors / test traces`.
    pub trace_error_rate: f64,
    /// Teacher-forced held-out token error rate.
    pub token_error_rate: f64,
    /// Classifiers trained (1, or one per position seen in training).
    pub classifiers: usize,
}

/// The search for one learner at one length and seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The fewest training traces whose held-out trace error is at most ε; `None`: not reached
    /// within the budget.
    pub needed: Option<usize>,
    /// Every size tried, by increasing size.
    pub probes: Vec<Probe>,
}

/// Finds the fewest training traces (1 ..= `budget`) at which `probe` has at most `allowed`
/// trace errors: `probe(1)`, `probe(2)`, `probe(4)`, … (the last one `probe(budget)`) until one
/// passes, then bisection between the last failing size and the passing one. `None` when
/// `probe(budget)` fails too. Assumes the errors do not rise with the size.
pub fn search<E>(
    budget: usize,
    allowed: usize,
    mut probe: impl FnMut(usize) -> Result<Probe, E>,
) -> Result<Search, E> {
    let mut probes = Vec::new();
    let mut pass = |n: usize, probes: &mut Vec<Probe>| -> Result<bool, E> {
        let p = probe(n)?;
        let ok = p.trace_errors <= allowed;
        probes.push(p);
        Ok(ok)
    };
    let (mut failed, mut passed) = (0, None);
    let mut n = 1;
    while n <= budget {
        if pass(n, &mut probes)? {
            passed = Some(n);
            break;
        }
        failed = n;
        if n == budget {
            break;
        }
        n = (2 * n).min(budget);
    }
    if let Some(mut hi) = passed {
        while hi - failed > 1 {
            let mid = failed + (hi - failed) / 2;
            if pass(mid, &mut probes)? {
                hi = mid;
            } else {
                failed = mid;
            }
        }
        passed = Some(hi);
    }
    probes.sort_by_key(|p| p.train_traces);
    Ok(Search {
        needed: passed,
        probes,
    })
}

/// One length, one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// Training traces available to the search: the budget, or fewer when the length has
    /// fewer distinct words than budget + held-out.
    pub budget: usize,
    /// Window size S shared by the run's traces.
    pub tape_cells: usize,
    /// Mean generated tokens per held-out trace: the chain length T.
    pub mean_tokens: f64,
    /// Weights of one classifier: offsets × |D| × output features (d in the bounds).
    pub classifier_weights: usize,
    /// The time-invariant learner (`None` for `gates`, which only the time-dependent one reads).
    pub time_invariant: Option<Search>,
    /// The time-dependent learner (one perceptron per position).
    pub time_dependent: Search,
}

impl SeedRun {
    /// The search of learner `kind`.
    pub fn search(&self, kind: LearnerKind) -> Option<&Search> {
        match kind {
            LearnerKind::TimeInvariant => self.time_invariant.as_ref(),
            LearnerKind::TimeDependent => Some(&self.time_dependent),
        }
    }
}

/// One input length, every seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainLengthRow {
    /// The input run length n.
    pub input_length: usize,
    /// Mean generated tokens per held-out trace, over the seeds: the chain length T.
    pub mean_tokens: f64,
    /// One entry per seed, in the order given.
    pub runs: Vec<SeedRun>,
}

impl ChainLengthRow {
    /// Traces needed by learner `kind`, one per seed that measured it (`None`: not reached).
    pub fn needed(&self, kind: LearnerKind) -> Vec<Option<usize>> {
        self.runs
            .iter()
            .filter_map(|r| r.search(kind).map(|s| s.needed))
            .collect()
    }
}

/// The median of `values` counting `None` (not reached) as larger than any number: `None` when
/// the median itself is not reached or there are no values.
pub fn median_needed(values: &[Option<usize>]) -> Option<f64> {
    let mut v: Vec<Option<usize>> = values.to_vec();
    // `None` sorts first for Option; map it to the top instead.
    v.sort_by_key(|x| x.map_or((1, 0), |n| (0, n)));
    let k = v.len();
    if k == 0 {
        return None;
    }
    if k % 2 == 1 {
        v[k / 2].map(|n| n as f64)
    } else {
        Some((v[k / 2 - 1]? + v[k / 2]?) as f64 / 2.0)
    }
}

/// The measurement: traces needed against chain length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainLengthReport {
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: String,
    /// The time-invariant learner's algorithm.
    pub algo: String,
    /// The offsets both learners read.
    pub window: String,
    /// The output features of both learners.
    pub outputs: String,
    /// The pattern of the inputs; each run has the row's length.
    pub pattern: String,
    /// The held-out trace error to reach.
    pub epsilon: f64,
    /// Most held-out traces a passing learner may get wrong: ⌊ε · test traces⌋.
    pub allowed_trace_errors: usize,
    /// Held-out traces of every probe.
    pub test_traces: usize,
    /// Most training traces tried at one length (a row may have fewer; see `budget` there).
    pub budget: usize,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Step limit of every run.
    pub max_steps: u64,
    /// One row per input length, increasing.
    pub lengths: Vec<ChainLengthRow>,
}

/// Runs the search for both learners (for `gates`, the time-dependent one) at every length and
/// seed of `settings`. `opts` gives everything else: the pattern (its lengths are replaced), the
/// held-out size `opts.test`, the window, outputs, algorithm and limits; `opts.train` and
/// `opts.seed` are ignored. Progress: one unit per (length, seed, learner).
pub fn chain_length(
    machine: &Machine,
    opts: &LearnOptions,
    settings: &ChainLengthOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<ChainLengthReport, ChainLengthError> {
    let pattern: &Pattern = match &opts.inputs {
        InputSpec::Random { pattern, .. } => pattern,
        _ => return Err(ChainLengthError::NotRandom),
    };
    if !(0.0..1.0).contains(&settings.epsilon) {
        return Err(ChainLengthError::Epsilon(settings.epsilon));
    }
    if settings.budget == 0 {
        return Err(ChainLengthError::Budget);
    }
    let mut lengths = settings.lengths.clone();
    lengths.sort_unstable();
    lengths.dedup();
    if lengths.is_empty() || settings.seeds.is_empty() {
        return Err(ChainLengthError::Nothing);
    }
    if opts.test == 0 {
        return Err(LearnError::Empty {
            train: settings.budget,
            test: 0,
        }
        .into());
    }
    // ε·test rounded down, with room for ε·test being a whole number computed inexactly.
    let allowed = (settings.epsilon * opts.test as f64 + 1e-9).floor() as usize;
    let kinds = learners(opts.encoding);
    progress(LearnProgress::Phase {
        name: "chain-length",
        total: (lengths.len() * settings.seeds.len() * kinds.len()) as u64,
    });
    let mut done = 0;
    let mut rows = Vec::new();
    for &n in &lengths {
        let available = count_words(pattern, &[n]);
        if available <= opts.test as u64 {
            return Err(ChainLengthError::TooFewWords {
                length: n,
                pattern: pattern.render(machine),
                available,
                test: opts.test,
            });
        }
        let budget = (settings.budget as u64).min(available - opts.test as u64) as usize;
        let mut runs = Vec::new();
        for &seed in &settings.seeds {
            let run_opts = LearnOptions {
                inputs: InputSpec::Random {
                    pattern: pattern.clone(),
                    lengths: Some(vec![n]),
                    eval_lengths: None,
                },
                seed,
                ..opts.clone()
            };
            let mut p = prepare(machine, &run_opts, budget)?;
            let classifier_weights = p.train.offsets.len()
                * p.train.format.vocab()
                * output_features(&p, &run_opts).len();
            let mut tokens = (0u64, 0usize);
            let mut searches = Vec::new();
            for &kind in kinds {
                let s = search(budget, allowed, |size| {
                    let (t, e) = measure(machine, &run_opts, &mut p, size, kind)?;
                    tokens = (e.tokens, e.traces);
                    Ok::<_, LearnError>(Probe {
                        train_traces: size,
                        trace_errors: e.trace_errors,
                        trace_error_rate: e.trace_error_rate,
                        token_error_rate: e.token_error_rate,
                        classifiers: t.classifiers,
                    })
                })?;
                searches.push(s);
                done += 1;
                progress(LearnProgress::Done(done));
            }
            let time_dependent = searches.pop().ok_or(ChainLengthError::Nothing)?;
            runs.push(SeedRun {
                seed,
                budget,
                tape_cells: p.train.window.size,
                mean_tokens: tokens.0 as f64 / tokens.1.max(1) as f64,
                classifier_weights,
                time_invariant: searches.pop(),
                time_dependent,
            });
        }
        let mean_tokens = runs.iter().map(|r| r.mean_tokens).sum::<f64>() / runs.len() as f64;
        rows.push(ChainLengthRow {
            input_length: n,
            mean_tokens,
            runs,
        });
    }
    Ok(ChainLengthReport {
        machine: machine.name().to_string(),
        encoding: opts.encoding.name().to_string(),
        algo: match opts.algo {
            super::Algo::Perceptron => "perceptron",
            super::Algo::Softmax => "softmax",
        }
        .to_string(),
        window: opts.window.name().to_string(),
        outputs: opts.outputs.name().to_string(),
        pattern: pattern.render(machine),
        epsilon: settings.epsilon,
        allowed_trace_errors: allowed,
        test_traces: opts.test,
        budget: settings.budget,
        seeds: settings.seeds.clone(),
        max_steps: opts.max_steps,
        lengths: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::WindowKind;
    use crate::machine::load::load_machine;

    /// A probe whose error is a step at `threshold`: 10 errors below it, 0 from it on.
    fn step(threshold: usize) -> impl FnMut(usize) -> Result<Probe, ()> {
        move |n| {
            let errors = if n >= threshold { 0 } else { 10 };
            Ok(Probe {
                train_traces: n,
                trace_errors: errors,
                trace_error_rate: errors as f64 / 10.0,
                token_error_rate: 0.0,
                classifiers: 1,
            })
        }
    }

    #[test]
    fn the_search_finds_a_known_threshold_by_doubling_then_bisection() {
        let s = search(1024, 0, step(37)).unwrap();
        assert_eq!(s.needed, Some(37));
        let sizes: Vec<usize> = s.probes.iter().map(|p| p.train_traces).collect();
        // 1, 2, …, 64 doubling; then 48, 40, 36, 38, 37 between 32 and 64.
        assert_eq!(sizes, [1, 2, 4, 8, 16, 32, 36, 37, 38, 40, 48, 64]);
        for t in [1, 2, 3, 64, 65, 1000, 1024] {
            assert_eq!(search(1024, 0, step(t)).unwrap().needed, Some(t), "{t}");
        }
        // The budget is probed even when it is not a power of two.
        assert_eq!(search(100, 0, step(100)).unwrap().needed, Some(100));
        let never = search(100, 0, step(101)).unwrap();
        assert_eq!(never.needed, None);
        assert_eq!(never.probes.last().unwrap().train_traces, 100);
        // `allowed` errors pass.
        assert_eq!(search(8, 10, step(5)).unwrap().needed, Some(1));
    }

    #[test]
    fn medians_count_not_reached_as_largest() {
        assert_eq!(median_needed(&[Some(4), None, Some(2)]), Some(4.0));
        assert_eq!(median_needed(&[None, None, Some(2)]), None);
        assert_eq!(median_needed(&[Some(4), Some(2)]), Some(3.0));
        assert_eq!(median_needed(&[]), None);
    }

    fn increment() -> Machine {
        load_machine(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/machines/binary-increment.ron"
        ))
        .unwrap()
    }

    #[test]
    fn every_length_reports_both_learners_and_the_threshold_is_where_the_sweep_crosses() {
        let m = increment();
        let opts = LearnOptions {
            test: 40,
            window: WindowKind::Local,
            ..LearnOptions::for_machine(&m)
        };
        let settings = ChainLengthOptions {
            lengths: vec![8, 7],
            seeds: vec![3],
            epsilon: 0.05,
            budget: 100,
        };
        let r = chain_length(&m, &opts, &settings, &mut |_| {}).unwrap();
        assert_eq!(r.allowed_trace_errors, 2);
        let ns: Vec<usize> = r.lengths.iter().map(|l| l.input_length).collect();
        assert_eq!(ns, [7, 8]);
        // 2^7 = 128 words, 40 held out: 88 left to train on.
        assert_eq!(r.lengths[0].runs[0].budget, 88);
        assert_eq!(r.lengths[1].runs[0].budget, 100);
        assert!(r.lengths[0].mean_tokens < r.lengths[1].mean_tokens);
        for row in &r.lengths {
            let run = &row.runs[0];
            assert!(run.time_invariant.is_some());
            // The per-position learner needs more than one trace: one trace gives each position
            // one example, and the held-out traces differ from it.
            let td = run
                .time_dependent
                .needed
                .expect("reached within the budget");
            assert!(td > 1, "n = {}: {td}", row.input_length);
            // The same split swept directly at the threshold and one below it.
            let direct = LearnOptions {
                inputs: InputSpec::Random {
                    pattern: Pattern::for_machine(&m),
                    lengths: Some(vec![row.input_length]),
                    eval_lengths: None,
                },
                seed: 3,
                ..opts.clone()
            };
            // The sweep draws its split for its largest size: probe at the run's budget.
            let sw = crate::learn::sample_complexity::sample_complexity(
                &m,
                &direct,
                &[td - 1, td, run.budget],
                &mut |_| {},
            )
            .unwrap();
            let at = |n: usize| {
                sw.rows
                    .iter()
                    .find(|x| x.train_traces == n)
                    .unwrap()
                    .time_dependent
                    .trace_errors
            };
            assert!(
                at(td) <= 2,
                "n = {}: {} errors at {td}",
                row.input_length,
                at(td)
            );
            assert!(
                at(td - 1) > 2,
                "n = {}: passes at {}",
                row.input_length,
                td - 1
            );
        }
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_wrong() {
        let m = increment();
        let opts = LearnOptions {
            test: 40,
            ..LearnOptions::for_machine(&m)
        };
        let settings = ChainLengthOptions {
            lengths: vec![5],
            ..ChainLengthOptions::default()
        };
        let err = chain_length(&m, &opts, &settings, &mut |_| {}).unwrap_err();
        assert!(
            matches!(
                err,
                ChainLengthError::TooFewWords {
                    length: 5,
                    available: 32,
                    test: 40,
                    ..
                }
            ),
            "{err}"
        );
        let bad_eps = ChainLengthOptions {
            epsilon: 1.0,
            ..settings.clone()
        };
        assert_eq!(
            chain_length(&m, &opts, &bad_eps, &mut |_| {}).unwrap_err(),
            ChainLengthError::Epsilon(1.0)
        );
        let listed = LearnOptions {
            inputs: InputSpec::Listed(vec![]),
            ..opts
        };
        assert_eq!(
            chain_length(&m, &listed, &settings, &mut |_| {}).unwrap_err(),
            ChainLengthError::NotRandom
        );
    }
}
