//! The Turing-machine route to 4-digit multiplication: `machines/binary-multiply.ron` run as a
//! linear auto-regressive predictor on the `cells` encoding, its chain of thought the machine's
//! whole trace.
//!
//! A pair `a × b` is written in binary as the machine's input `a*b` (most significant bit
//! first); the product is read back from the final tape as binary and compared with `a·b`.
//! Two predictors:
//! - `compiled`: [`crate::encoding::cells::compile::machine_to_cells_predictor`], exact by the certificate;
//!   every token of every run is still generated and verified against the interpreter.
//! - `learned`: the perceptron of [`crate::learn`] trained on the traces of training pairs, run
//!   free on validation pairs (the same fixed sample as the neural rows).
//!
//! The answer counts as exact when the predictor's trace equals the interpreter's (every
//! token) and the interpreter's final tape spells `a·b` in binary. Per-digit accuracy is not
//! defined here: a wrong trace has no decimal answer to compare digit by digit.

use super::data::{Dataset, Pair, Split};
use super::neural::EVAL_SEED;
use super::CotFormat;
use crate::emulate::{emulate_cells, EmulateOptions};
use crate::learn::{self, inputs::InputSpec, Algo, LearnOptions, LearnerKind};
use crate::machine::{Input, Machine};
use serde::Serialize;
use std::time::Instant;

/// Step limit of one run: the worst 14-bit pair takes 10,116 steps.
pub const MAX_STEPS: u64 = 20_000;

/// The machine's input for a pair: `a*b` in binary, most significant bit first.
pub fn binary_input(p: Pair) -> String {
    format!("{:b}*{:b}", p.a, p.b)
}

/// The product spelled by a final tape (binary, most significant bit first), if it is one.
pub fn read_binary(tape: &str) -> Option<u64> {
    u64::from_str_radix(tape, 2).ok()
}

/// Exact match on the pairs run (the TM route's counterpart of the neural route's
/// [`super::neural::DecodeScore`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TmScore {
    /// Pairs run (the fixed sample of the report's `split`).
    pub pairs: usize,
    /// Pairs whose trace was right and whose tape spelled the product.
    pub exact: usize,
    /// `exact / pairs`.
    pub exact_rate: f64,
}

/// One row of the table for the TM route.
#[derive(Clone, Debug, Serialize)]
pub struct TmReport {
    /// `compiled` or `learned`.
    pub model: &'static str,
    /// The machine.
    pub machine: String,
    /// How operands and product cross to and from the machine.
    pub conversion: &'static str,
    /// The split scored: `validation` or `test`.
    pub split: Split,
    /// The score on the fixed sample of `split`, under the key `validation` as in the neural
    /// route's report, so that `validation.exact` means the same in both.
    pub validation: TmScore,
    /// Tokens of the chain (the whole `cells` trace), mean over the pairs.
    pub chain_tokens_mean: f64,
    /// The longest chain (compiled only: the learner's report gives means).
    pub chain_tokens_max: Option<u64>,
    /// Non-zero weights of the predictor (compiled: of the largest window's weights).
    pub parameters: usize,
    /// Training traces (learned only).
    pub train_seqs: usize,
    /// Seconds training (learned only): running the training traces to collect examples, then
    /// fitting the perceptron.
    pub training_seconds: f64,
    /// Seconds running the validation pairs.
    pub seconds: f64,
    /// Tokens generated per second (every token verified).
    pub tokens_per_second: f64,
    /// Details of the learner (learned only): its mistakes, bound, token error, agreement.
    pub learner: Option<learn::LearnReport>,
}

fn nonzero(w: &crate::predictor::LinearAr) -> usize {
    w.weights()
        .iter()
        .map(|m| m.iter().filter(|&&x| x != 0).count())
        .sum()
}

/// The pair as binary-multiply's input (`*` is its symbol, not a head marker: head on cell 0).
fn parse(machine: &Machine, p: Pair) -> Input {
    machine
        .parse_input(&binary_input(p))
        .expect("binary digits and '*' are in binary-multiply's alphabet")
}

/// The validation sample, the same as the neural rows'.
pub fn validation_pairs(n: usize) -> Vec<Pair> {
    held_out_pairs(Split::Validation, n)
}

/// The fixed sample of `n` pairs of `split` (seed [`EVAL_SEED`]) every row is scored on:
/// [`Split::Validation`] while tuning, [`Split::Test`] once for a reported row.
pub fn held_out_pairs(split: Split, n: usize) -> Vec<Pair> {
    Dataset::new(split, CotFormat::None).sample(n, EVAL_SEED)
}

/// Runs the compiled predictor on `n` pairs of `split` (the fixed sample), every token
/// verified.
pub fn run_compiled(
    machine: &Machine,
    n: usize,
    split: Split,
    progress: &mut dyn FnMut(usize),
) -> TmReport {
    let t0 = Instant::now();
    let pairs = held_out_pairs(split, n);
    let (mut exact, mut tokens, mut longest, mut params) = (0, 0u64, 0u64, 0);
    for (i, &p) in pairs.iter().enumerate() {
        let input = parse(machine, p);
        let opts = EmulateOptions {
            input: input.clone(),
            window: None,
            max_steps: MAX_STEPS,
        };
        if let Ok(r) = emulate_cells(machine, &opts, &mut |_| {}) {
            let run = crate::interpreter::run(machine, &input, MAX_STEPS);
            if r.agree && read_binary(&run.tape) == Some(p.product()) {
                exact += 1;
            }
            let all = r.prompt_tokens + r.generated_tokens;
            tokens += all;
            if all > longest {
                longest = all;
                params = nonzero(
                    &crate::encoding::cells::compile::machine_to_cells_predictor(
                        machine,
                        opts.window_for(machine),
                    ),
                );
            }
        }
        progress(i + 1);
    }
    let seconds = t0.elapsed().as_secs_f64();
    TmReport {
        model: "compiled",
        machine: machine.name().to_string(),
        conversion: CONVERSION,
        split,
        validation: TmScore {
            pairs: pairs.len(),
            exact,
            exact_rate: exact as f64 / pairs.len().max(1) as f64,
        },
        chain_tokens_mean: tokens as f64 / pairs.len().max(1) as f64,
        chain_tokens_max: Some(longest),
        parameters: params,
        train_seqs: 0,
        training_seconds: 0.0,
        seconds,
        tokens_per_second: tokens as f64 / seconds.max(1e-9),
        learner: None,
    }
}

const CONVERSION: &str =
    "input a*b with a, b in binary (MSB first); the product read back from the final tape as binary";

/// Learns the `cells` predictor from the traces of `train` training pairs (drawn with `seed`)
/// and runs it free on `n` pairs of `split` (the fixed sample).
pub fn run_learned(
    machine: &Machine,
    train: usize,
    n: usize,
    split: Split,
    seed: u64,
    window: crate::encoding::WindowKind,
    progress: &mut dyn FnMut(learn::LearnProgress),
) -> Result<TmReport, learn::LearnError> {
    let train_pairs = Dataset::new(Split::Train, CotFormat::None).sample(train, seed);
    let test_pairs = held_out_pairs(split, n);
    let words = |ps: &[Pair]| {
        ps.iter()
            .map(|&p| parse(machine, p).symbols)
            .collect::<Vec<_>>()
    };
    let opts = LearnOptions {
        inputs: InputSpec::Given {
            train: words(&train_pairs),
            test: words(&test_pairs),
        },
        train,
        test: n,
        seed,
        algo: Algo::Perceptron,
        window,
        learner: LearnerKind::TimeInvariant,
        max_steps: MAX_STEPS,
        ..LearnOptions::for_machine(machine)
    };
    let learned = learn::learn(machine, &opts, progress)?;
    let r = &learned.report;
    // A right trace ends on the interpreter's tape; count those whose tape spells the product.
    let exact = r
        .test
        .outcomes
        .iter()
        .zip(&test_pairs)
        .filter(|(o, &p)| {
            o.correct
                && read_binary(
                    &crate::interpreter::run(machine, &parse(machine, p), MAX_STEPS).tape,
                ) == Some(p.product())
        })
        .count();
    let params = match &learned.predictor {
        learn::LearnedPredictor::Integer(w) => nonzero(w),
        _ => 0,
    };
    let row = r.test.tokens as f64 / r.test.traces.max(1) as f64;
    Ok(TmReport {
        model: "learned",
        machine: machine.name().to_string(),
        conversion: CONVERSION,
        split,
        validation: TmScore {
            pairs: r.test.traces,
            exact,
            exact_rate: exact as f64 / r.test.traces.max(1) as f64,
        },
        chain_tokens_mean: row,
        chain_tokens_max: None,
        parameters: params,
        train_seqs: r.training.traces,
        training_seconds: r.training.examples_seconds + r.training.seconds,
        seconds: r.test.seconds,
        tokens_per_second: 2.0 * r.test.tokens as f64 / r.test.seconds.max(1e-9),
        learner: Some(learned.report),
    })
}
