//! The paper's route: a next-token predictor ([`crate::nn`]'s `mlp`, `linear` or
//! `transformer`) trained on
//! chains of thought of training pairs, then greedy decoding of the whole chain from the
//! prompt on validation pairs, scored on the 8 answer digits.

use super::cot::{Chain, CotFormat};
use super::data::{mix64, Dataset, Pair, Split};
use crate::nn::{self, ArModel, Architecture, Batches, ModelConfig, NnError};
use crate::nn::{RunOptions, TrainReport};
use candle_core::{Device, Tensor, D};
use serde::Serialize;
use std::time::Instant;

/// The seed of the fixed validation sample every row of the table is scored on.
pub const EVAL_SEED: u64 = 2024;

/// Training batches: batch `k` is `batch` training pairs drawn with seed `mix64(seed) ^ k`,
/// each as its whole chain (inputs: tokens `0..L-1`, targets: tokens `1..L`).
#[derive(Clone, Copy, Debug)]
pub struct ChainBatches {
    /// The chain of thought.
    pub format: CotFormat,
    /// Sequences per batch.
    pub batch: usize,
    /// The run's seed.
    pub seed: u64,
}

impl ChainBatches {
    /// The pairs of batch `step`.
    pub fn pairs(&self, step: usize) -> Vec<Pair> {
        Dataset::new(Split::Train, self.format)
            .draw(self.batch, mix64(self.seed) ^ mix64(step as u64 + 1))
    }
}

impl Batches for ChainBatches {
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let len = self.format.len();
        let ids: Vec<u32> = self
            .pairs(step)
            .into_iter()
            .flat_map(|p| self.format.chain(p).tokens.into_iter().map(|t| t.0))
            .collect();
        let all = Tensor::from_vec(ids, (self.batch, len), device)?;
        Ok((all.narrow(1, 0, len - 1)?, all.narrow(1, 1, len - 1)?))
    }
}

/// Greedy decoding's scores on validation pairs.
#[derive(Clone, Debug, Serialize)]
pub struct DecodeScore {
    /// The decoded answers scored (validation pairs: a fixed sample, seed [`EVAL_SEED`]); its
    /// keys sit at this object's top level in the JSON.
    #[serde(flatten)]
    pub answers: ChainsScore,
    /// Teacher-forced accuracy of every generated position (the true chain as context, the
    /// model's argmax compared with the next true token), over the positions after the prompt.
    pub teacher_forced_accuracy: f64,
    /// Teacher-forced accuracy per chain position (index = the position of the predicted
    /// token; the prompt's positions are `null`): where in the chain a model fails.
    pub teacher_forced_by_position: Vec<Option<f64>>,
    /// Seconds spent decoding.
    pub seconds: f64,
}

/// One wrong answer.
#[derive(Clone, Debug, Serialize)]
pub struct WrongAnswer {
    /// `a×b`.
    pub pair: String,
    /// The true product, 8 digits.
    pub expected: String,
    /// The generated answer tokens, as text.
    pub generated: String,
}

/// The answers of decoded chains scored against their pairs: whole answers, answer digits,
/// whole chains, a few wrong answers. The one rule every scorer of chains uses (the command
/// line's decoding, Python's `multiply.score`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChainsScore {
    /// Pairs scored.
    pub pairs: usize,
    /// Pairs whose 8 answer digits are all right.
    pub exact: usize,
    /// `exact / pairs`.
    pub exact_rate: f64,
    /// Answer digits right, over all pairs.
    pub digits_correct: usize,
    /// `digits_correct / (8·pairs)`.
    pub per_digit_accuracy: f64,
    /// Pairs whose whole generated chain equals the reference chain.
    pub chains_exact: usize,
    /// Up to 3 wrong answers: `a×b`, the true product, the generated answer digits.
    pub wrong_examples: Vec<WrongAnswer>,
}

impl ChainsScore {
    /// Scores `generated`, the whole chain decoded from the prompt of `chain`.
    pub fn add(
        &mut self,
        chain: &Chain,
        generated: &[crate::predictor::TokenId],
        vocab: &super::vocab::Vocabulary,
    ) {
        self.pairs += 1;
        let right = chain.digits_correct(generated);
        self.digits_correct += right;
        if right == super::ANSWER_DIGITS {
            self.exact += 1;
        } else if self.wrong_examples.len() < 3 {
            self.wrong_examples.push(WrongAnswer {
                pair: format!("{}×{}", chain.pair.a, chain.pair.b),
                expected: format!("{:08}", chain.pair.product()),
                generated: vocab
                    .decode(&generated[chain.answer_range()])
                    .unwrap_or_else(|_| "?".into()),
            });
        }
        if generated == chain.tokens {
            self.chains_exact += 1;
        }
        self.exact_rate = self.exact as f64 / self.pairs as f64;
        self.per_digit_accuracy =
            self.digits_correct as f64 / (super::ANSWER_DIGITS * self.pairs) as f64;
    }
}

/// Decodes every chain greedily from its prompt and scores the answers.
pub fn decode_and_score(
    model: &ArModel,
    chains: &[Chain],
    batch: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<DecodeScore, NnError> {
    let t0 = Instant::now();
    let vocab = super::vocab::Vocabulary::new();
    let device = Device::Cpu;
    let mut answers = ChainsScore::default();
    let mut done = 0;
    let len = chains.first().map_or(0, |c| c.tokens.len());
    let mut forced_right = vec![0usize; len];
    for group in chains.chunks(batch.max(1)) {
        let len = group[0].tokens.len();
        let prompt = group[0].prompt_len();
        let b = group.len();
        // Row-major [b, len]; positions ≥ the decoding front are overwritten as we go.
        let mut ids: Vec<u32> = group
            .iter()
            .flat_map(|c| c.tokens.iter().map(|t| t.0))
            .collect();
        // Teacher forcing: one forward pass over the true chains.
        let truth = Tensor::from_vec(ids.clone(), (b, len), &device)?;
        let argmax: Vec<Vec<u32>> = model
            .forward(&truth.narrow(1, 0, len - 1)?)?
            .argmax(D::Minus1)?
            .to_vec2()?;
        for (r, row) in argmax.iter().enumerate() {
            for (t, &g) in row.iter().enumerate() {
                if g == ids[r * len + t + 1] {
                    forced_right[t + 1] += 1;
                }
            }
        }
        // One position at a time: the prompt, then each greedily chosen token in turn.
        let mut decoder = model.decoder(b);
        for t in 0..len - 1 {
            let column: Vec<u32> = (0..b).map(|r| ids[r * len + t]).collect();
            decoder.push(&column)?;
            if t + 1 < prompt {
                continue;
            }
            let next: Vec<u32> = decoder.logits()?.argmax(D::Minus1)?.to_vec1()?;
            for (r, n) in next.into_iter().enumerate() {
                ids[r * len + t + 1] = n;
            }
        }
        for (r, chain) in group.iter().enumerate() {
            let generated: Vec<_> = ids[r * len..(r + 1) * len]
                .iter()
                .map(|&i| crate::predictor::TokenId(i))
                .collect();
            answers.add(chain, &generated, &vocab);
        }
        done += b;
        progress(done);
    }
    let prompt = chains.first().map_or(0, |c| c.prompt_len());
    let n = chains.len().max(1) as f64;
    Ok(DecodeScore {
        answers,
        teacher_forced_by_position: (0..len)
            .map(|t| (t >= prompt).then(|| forced_right[t] as f64 / n))
            .collect(),
        teacher_forced_accuracy: forced_right[prompt.min(len)..].iter().sum::<usize>() as f64
            / (n * len.saturating_sub(prompt).max(1) as f64),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// A training run of the neural route.
#[derive(Clone, Debug)]
pub struct NeuralOptions {
    /// The chain of thought.
    pub format: CotFormat,
    /// `mlp`, `linear` or `transformer`.
    pub architecture: Architecture,
    /// Embedding width.
    pub d: usize,
    /// Transformer blocks (`transformer` only).
    pub layers: usize,
    /// Attention heads per block (`transformer` only).
    pub heads: usize,
    /// Training sequences (rounded up to whole batches).
    pub train_seqs: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Seed of the initialisation and the training pairs.
    pub seed: u64,
    /// Held-out pairs decoded (the fixed sample of `eval_split`).
    pub eval_pairs: usize,
    /// Which held-out half is scored: validation while tuning, test once for a reported row.
    pub eval_split: Split,
    /// Optimizer, checkpoints, resumption.
    pub run: RunOptions,
}

/// The neural route's result.
#[derive(Clone, Debug, Serialize)]
pub struct NeuralReport {
    /// The chain of thought.
    pub cot: CotFormat,
    /// The model's shape.
    pub model: ModelConfig,
    /// Trained parameters (masked weights not counted).
    pub parameters: usize,
    /// Training FLOPs per token ([`ModelConfig::training_flops_per_token`]).
    pub training_flops_per_token: f64,
    /// Training FLOPs of the whole run: per token × scored tokens per chain × sequences.
    pub training_flops: f64,
    /// The recipe: `arsim` or `paper` (`--paper-config`).
    pub recipe: nn::Recipe,
    /// Tokens per chain.
    pub chain_tokens: usize,
    /// Training sequences seen (steps × batch), resumed ones included.
    pub train_seqs: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// The seed.
    pub seed: u64,
    /// candle's CPU threads.
    pub threads: usize,
    /// Training.
    pub training: TrainReport,
    /// The held-out split scored (`validation` or `test`).
    pub eval_split: Split,
    /// Greedy decoding on the fixed sample of `eval_split` (the key stays `validation` for
    /// both splits, so every report reads the same).
    pub validation: DecodeScore,
    /// The checkpoint written, if any.
    pub checkpoint: Option<String>,
}

/// What the checkpoint records about the task, checked on `--resume`.
fn task_json(o: &NeuralOptions) -> serde_json::Value {
    serde_json::json!({
        "task": "multiply",
        "cot": o.format.name(),
        "batch": o.batch,
        "seed": o.seed,
        "schedule": { "train_seqs": o.train_seqs },
    })
}

/// Trains (or resumes) a model and scores it by greedy decoding.
pub fn run_neural(
    o: &NeuralOptions,
    progress: &mut dyn FnMut(nn::TrainProgress),
) -> Result<NeuralReport, NnError> {
    let context = o.format.len() - 1;
    let task = task_json(o);
    let config = ModelConfig {
        chunk: ModelConfig::chunk_or_default(o.run.chunk, context),
        ..ModelConfig::new(
            o.architecture,
            super::VOCAB_SIZE,
            context,
            o.d,
            o.layers,
            o.heads,
        )
    };
    let started = o.run.start(config, o.seed, &task)?;
    let (model, mut opt) = (started.model, started.opt);
    let steps = o.train_seqs.div_ceil(o.batch.max(1));
    let opts = o
        .run
        .schedule(steps, (steps / 20).clamp(1, 500), context, task);
    let data = ChainBatches {
        format: o.format,
        batch: o.batch,
        seed: o.seed,
    };
    let mut training = nn::train(&model, &mut opt, &data, &opts, progress)?;
    training.notes = started.notes;
    let chains = Dataset::new(o.eval_split, o.format).sample_chains(o.eval_pairs, EVAL_SEED);
    let total = chains.len();
    let validation = decode_and_score(&model, &chains, 500, &mut |done| {
        progress(nn::TrainProgress::Evaluate { done, total })
    })?;
    Ok(NeuralReport {
        cot: o.format,
        model: *model.config(),
        parameters: model.config().parameters(),
        training_flops_per_token: model.config().training_flops_per_token(),
        training_flops: model.config().training_flops_per_token()
            * context as f64
            * (training.steps * o.batch) as f64,
        recipe: o.run.recipe,
        chain_tokens: o.format.len(),
        train_seqs: training.steps * o.batch,
        batch: o.batch,
        lr: o.run.lr,
        seed: o.seed,
        threads: candle_core::utils::get_num_threads(),
        training,
        eval_split: o.eval_split,
        validation,
        checkpoint: o.run.checkpoint.as_ref().map(|p| p.display().to_string()),
    })
}
