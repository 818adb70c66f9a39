//! `arsim task text` in one call: the split, the tokenizer and the n-gram baselines
//! ([`super::baselines`]), then a neural model ([`super::neural`]) trained on the same training
//! stories and measured on the same validation tokens and bytes, and samples from both.

use super::baselines::{run_baselines, BaselineOptions, BaselineReport};
use super::bpe::Bpe;
use super::corpus::Corpus;
use super::metrics::{EvalReport, EvalSet};
use super::neural::{evaluate_model, NeuralTokenModel, StreamWindows};
use super::sample::{complete, Sampling};
use crate::nn::{self, Architecture, ModelConfig, NnError};
use crate::nn::{RunOptions, TrainOptions, TrainReport};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `arsim task text` trains.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// Tokenizer vocabulary size.
    pub vocab: usize,
    /// Seed of the split, the initialisation, the window order and sampling.
    pub seed: u64,
    /// Share of stories held out.
    pub validation_fraction: f64,
    /// `linear` (the paper's) or `bigram` (the softmax bigram baseline).
    pub architecture: Architecture,
    /// Context T.
    pub context: usize,
    /// Embedding width d.
    pub d: usize,
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Optimizer, checkpoints (the tokenizer is written beside them, `.tokenizer.json`),
    /// resumption.
    pub run: RunOptions,
    /// Prompt of the samples.
    pub prompt: String,
    /// Temperature of the sampled continuations.
    pub temperature: f64,
    /// Tokens per sample.
    pub sample_tokens: usize,
    /// Samples per model: the greedy one, then sampled ones with seeds `seed, seed + 1, …`.
    pub samples: usize,
    /// Also write the tokenizer here.
    pub tokenizer: Option<PathBuf>,
    /// Measure the validation stories every this many steps (0: only at the end).
    pub eval_every: usize,
}

/// The validation measures at one step of training.
#[derive(Clone, Debug, Serialize)]
pub struct CurvePoint {
    /// Steps done.
    pub step: usize,
    /// Loss-scored training tokens seen.
    pub train_tokens_seen: usize,
    /// Mean training loss of the last 10 steps (nats per token).
    pub train_loss: f64,
    /// Validation bits per byte.
    pub validation_bits_per_byte: f64,
    /// Validation nats per token.
    pub validation_cross_entropy: f64,
}

/// The neural model's line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct NeuralRow {
    /// E.g. `linear T=64 d=64`.
    pub model: String,
    /// Its shape.
    pub config: ModelConfig,
    /// Trained parameters (masked weights not counted).
    pub parameters: usize,
    /// Tokens in the training stream.
    pub train_stream_tokens: usize,
    /// Loss-scored training tokens seen (steps × batch × T).
    pub train_tokens_seen: usize,
    /// Epochs.
    pub epochs: usize,
    /// candle's CPU threads.
    pub threads: usize,
    /// The training run.
    pub training: TrainReport,
    /// Its measures on the validation stories.
    pub validation: EvalReport,
    /// Seconds measuring them (every point of the curve).
    pub evaluation_seconds: f64,
    /// Validation measures during training (`--eval-every`), the last one the final model's.
    pub curve: Vec<CurvePoint>,
}

/// One sample.
#[derive(Clone, Debug, Serialize)]
pub struct SampleText {
    /// `linear …` or `trigram`.
    pub model: String,
    /// `greedy` or `temperature T, seed S`.
    pub sampling: String,
    /// Prompt and continuation.
    pub text: String,
}

/// Everything `arsim task text` measured.
#[derive(Clone, Debug, Serialize)]
pub struct TextReport {
    /// Split, tokenizer and n-gram rows.
    pub baselines: BaselineReport,
    /// The trained model.
    pub neural: NeuralRow,
    /// Samples of the trained model, then of the trigram.
    pub samples: Vec<SampleText>,
    /// The checkpoint and tokenizer written.
    pub checkpoint: Option<String>,
}

/// The tokenizer's file beside a checkpoint.
pub fn tokenizer_path(checkpoint: &Path) -> PathBuf {
    let mut s = checkpoint.as_os_str().to_owned();
    s.push(".tokenizer.json");
    PathBuf::from(s)
}

/// Runs the whole experiment on `corpus`.
pub fn run_text(
    corpus: &Corpus,
    o: &TextOptions,
    progress: &mut dyn FnMut(nn::Progress),
) -> Result<TextReport, NnError> {
    let base = run_baselines(
        corpus,
        &BaselineOptions {
            vocab: o.vocab,
            seed: o.seed,
            validation_fraction: o.validation_fraction,
        },
    );
    let bpe: &Bpe = &base.bpe;
    let (train, valid) = base.stories(corpus);
    let data = StreamWindows::new(&bpe.encode_stories(&train), o.context, o.batch, o.seed);
    if data.tokens() < o.context + 1 {
        return Err(NnError::Data(format!(
            "the training stories of {} have {} tokens, fewer than one window of --context {} + 1",
            corpus.path().display(),
            data.tokens(),
            o.context
        )));
    }
    let task = serde_json::json!({
        "task": "text",
        "corpus": corpus.path().display().to_string(),
        "vocab": bpe.vocab_size(),
        "seed": o.seed,
        "validation_fraction": o.validation_fraction,
        "epochs": o.epochs,
        "batch": o.batch,
    });
    let config = ModelConfig {
        architecture: o.architecture,
        vocab: bpe.vocab_size(),
        context: o.context,
        d: o.d,
        chunk: ModelConfig::chunk_or_default(o.run.chunk, o.context),
    };
    let (model, mut opt) = o.run.start(config, o.seed, &task)?;
    let beside = o.run.checkpoint.as_deref().map(tokenizer_path);
    for path in beside.iter().chain(&o.tokenizer) {
        bpe.save(path).map_err(|e| NnError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let steps = o.epochs * data.batches_per_epoch();
    let opts = o
        .run
        .schedule(steps, (steps / 20).clamp(1, 200), o.context, task);
    let set = EvalSet::new(&valid, bpe);
    // Train in segments of `eval_every` steps, measuring the validation stories after each:
    // batches are a pure function of the step and the optimizer state stays in memory, so the
    // segments are the same run as one call (tests/nn.rs checks resumption is exact).
    let end = o.run.stop_at.unwrap_or(steps).min(steps);
    let every = if o.eval_every == 0 {
        end.max(1)
    } else {
        o.eval_every
    };
    let mut curve = Vec::new();
    let mut segments: Vec<TrainReport> = Vec::new();
    let mut evaluation_seconds = 0.0;
    let mut validation = None;
    while validation.is_none() || opt.step < end {
        let next = ((opt.step / every + 1) * every).min(end);
        let seg = TrainOptions {
            stop_at: Some(next),
            ..opts.clone()
        };
        segments.push(nn::train(&model, &mut opt, &data, &seg, progress)?);
        let t0 = std::time::Instant::now();
        let v = evaluate_model(&model, &set, 64)?;
        evaluation_seconds += t0.elapsed().as_secs_f64();
        curve.push(CurvePoint {
            step: opt.step,
            train_tokens_seen: opt.step * o.batch * o.context,
            train_loss: segments.last().map_or(f64::NAN, |r| r.final_loss),
            validation_bits_per_byte: v.bits_per_byte,
            validation_cross_entropy: v.cross_entropy,
        });
        validation = Some(v);
        if opt.step >= end {
            break;
        }
    }
    let validation = validation.expect("at least one evaluation");
    let training = TrainReport::merge(&segments);
    let c = *model.config();
    let name = match c.architecture {
        Architecture::Bigram => "softmax bigram".to_string(),
        a => format!(
            "{} T={} d={}",
            serde_json::to_value(a)
                .expect("serialises")
                .as_str()
                .unwrap_or("?"),
            c.context,
            c.d
        ),
    };
    let mut samples = Vec::new();
    let neural_tm = NeuralTokenModel(&model);
    let trigram = &base.models[2];
    for (label, m) in [
        (name.clone(), &neural_tm as &dyn super::ngram::TokenModel),
        (
            "trigram".to_string(),
            trigram as &dyn super::ngram::TokenModel,
        ),
    ] {
        for k in 0..o.samples {
            let (how, sampling, seed) = if k == 0 {
                ("greedy".to_string(), Sampling::Greedy, o.seed)
            } else {
                let seed = o.seed + k as u64 - 1;
                (
                    format!("temperature {}, seed {seed}", o.temperature),
                    Sampling::Temperature(o.temperature),
                    seed,
                )
            };
            samples.push(SampleText {
                model: label.clone(),
                sampling: how,
                text: complete(m, bpe, &o.prompt, o.sample_tokens, sampling, seed),
            });
        }
    }
    Ok(TextReport {
        baselines: base.report,
        neural: NeuralRow {
            model: name,
            config: c,
            parameters: c.parameters(),
            train_stream_tokens: data.tokens(),
            train_tokens_seen: training.steps * o.batch * o.context,
            epochs: o.epochs,
            threads: candle_core::utils::get_num_threads(),
            training,
            validation,
            evaluation_seconds,
            curve,
        },
        samples,
        checkpoint: o.run.checkpoint.as_ref().map(|p| p.display().to_string()),
    })
}
