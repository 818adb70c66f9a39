//! `arsim task text` in one call: the split, the tokenizer and the n-gram baselines
//! ([`super::baselines`]), then a neural model ([`super::neural`]) trained on the same training
//! stories and measured on the same validation tokens and bytes, and samples from both.

use super::baselines::{run_baselines, BaselineOptions, BaselineReport};
use super::bpe::Bpe;
use super::corpus::Corpus;
use super::metrics::{EvalReport, EvalSet};
use super::neural::{evaluate_model, ChunkWindows, NeuralTokenModel, StreamWindows, Windowing};
pub use super::sample::SampleText;
use super::sample::{complete, Sampling};
use crate::nn::{self, Architecture, ModelConfig, NnError};
use crate::nn::{Batches, RunOptions, TrainOptions, TrainReport};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The neural model of `arsim task text` (the variants' docs are `--model`'s help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TextModel {
    /// Embedding → masked linear over the context → output layer.
    Linear,
    /// A V×V table of logits trained by the same loop.
    Bigram,
    /// A small causal transformer (--layers, --heads).
    Transformer,
}

impl TextModel {
    /// The network trained.
    pub fn architecture(self) -> Architecture {
        match self {
            TextModel::Linear => Architecture::Linear,
            TextModel::Bigram => Architecture::Bigram,
            TextModel::Transformer => Architecture::Transformer,
        }
    }
}

/// What `arsim task text` trains.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// Tokenizer vocabulary size.
    pub vocab: usize,
    /// Seed of the split, the initialisation, the window order and sampling.
    pub seed: u64,
    /// Share of stories held out.
    pub validation_fraction: f64,
    /// `linear` (the paper's), `bigram` (the softmax bigram baseline) or `transformer`.
    pub model: TextModel,
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
    /// Transformer blocks (`--model transformer`).
    pub layers: usize,
    /// Attention heads per block (`--model transformer`).
    pub heads: usize,
    /// How training windows are cut: random crops (default) or the paper's chunks.
    pub windowing: Windowing,
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
    /// Training FLOPs per token ([`ModelConfig::training_flops_per_token`]).
    pub training_flops_per_token: f64,
    /// Training FLOPs of the run: per token × the tokens trained on.
    pub training_flops: f64,
    /// How the training windows were cut.
    pub windowing: Windowing,
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

/// Refuses, before any work, an output that would overwrite the corpus (the checkpoint, the
/// tokenizer beside it, the tokenizer file) or be written in a directory that does not exist.
fn check_outputs(corpus: &Corpus, o: &TextOptions) -> Result<(), NnError> {
    let beside = o.run.checkpoint.as_deref().map(tokenizer_path);
    let outputs = [
        ("the checkpoint", o.run.checkpoint.as_deref()),
        ("the checkpoint's tokenizer", beside.as_deref()),
        ("the tokenizer file", o.tokenizer.as_deref()),
    ];
    for (name, path) in outputs {
        let Some(path) = path else { continue };
        crate::fs::refuse_overwrite((name, path), &[("corpus", corpus.path())])?;
        crate::fs::check_directory_of(path).map_err(|e| NnError::Checkpoint {
            path: e.path,
            message: e.source.to_string(),
        })?;
    }
    Ok(())
}

/// Runs the whole experiment on `corpus`.
pub fn run_text(
    corpus: &Corpus,
    o: &TextOptions,
    progress: &mut dyn FnMut(nn::TrainProgress),
) -> Result<TextReport, NnError> {
    check_outputs(corpus, o)?;
    progress(nn::TrainProgress::Phase(
        "splitting, training the tokenizer and counting n-grams",
    ));
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
    let set = EvalSet::new(&valid, bpe);
    if set.tokens() == 0 {
        return Err(NnError::NoValidationTokens {
            corpus: corpus.path().display().to_string(),
            stories: corpus.stories().len(),
            share: o.validation_fraction,
            seed: o.seed,
        });
    }
    progress(nn::TrainProgress::Phase("tokenizing the training stories"));
    let sequences = bpe.encode_stories(&train);
    let (data, stream_tokens, windows): (Box<dyn Batches>, usize, usize) = match o.windowing {
        Windowing::Random => {
            let w = StreamWindows::new(&sequences, o.context, o.batch, o.seed);
            let (t, n) = (w.tokens(), w.windows());
            (Box::new(w), t, n)
        }
        Windowing::Paper => {
            let w = ChunkWindows::new(&sequences, o.context, o.batch);
            let (t, n) = (w.tokens(), w.windows());
            (Box::new(w), t, n)
        }
    };
    if windows == 0 {
        return Err(NnError::NoTrainingWindow {
            corpus: corpus.path().display().to_string(),
            tokens: stream_tokens,
            context: o.context,
            windowing: serde_json::to_value(o.windowing)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
        });
    }
    let task = serde_json::json!({
        "task": "text",
        // The corpus by content, not by path: the same stories under another name resume, a
        // changed file under the same name does not.
        "corpus_fnv1a64": corpus.content_hash(),
        "windowing": o.windowing,
        "vocab": bpe.vocab_size(),
        "seed": o.seed,
        "validation_fraction": o.validation_fraction,
        "schedule": { "epochs": o.epochs },
        "batch": o.batch,
    });
    let config = ModelConfig {
        chunk: ModelConfig::chunk_or_default(o.run.chunk, o.context),
        ..ModelConfig::new(
            o.model.architecture(),
            bpe.vocab_size(),
            o.context,
            o.d,
            o.layers,
            o.heads,
        )
    };
    let started = o.run.start(config, o.seed, &task)?;
    let (model, mut opt) = (started.model, started.opt);
    let beside = o.run.checkpoint.as_deref().map(tokenizer_path);
    for path in beside.iter().chain(&o.tokenizer) {
        bpe.save(path).map_err(|e| NnError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let steps = o.epochs * windows.div_ceil(o.batch.max(1)).max(1);
    let opts = o
        .run
        .schedule(steps, (steps / 20).clamp(1, 200), o.context, task);
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
        segments.push(nn::train(&model, &mut opt, data.as_ref(), &seg, progress)?);
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
    let mut training = TrainReport::merge(&segments);
    training.notes = started.notes;
    let c = *model.config();
    let name = match c.architecture {
        Architecture::Bigram => "softmax bigram".to_string(),
        a => format!("{} T={} d={}", a.name(), c.context, c.d),
    };
    let mut samples = Vec::new();
    let neural_tm = NeuralTokenModel(&model);
    let trigram = &base.trigram;
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
            training_flops_per_token: c.training_flops_per_token(),
            training_flops: c.training_flops_per_token()
                * (training.steps * o.batch * o.context) as f64,
            windowing: o.windowing,
            train_stream_tokens: stream_tokens,
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
