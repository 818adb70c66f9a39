//! The paper's TinyStories model on this corpus: [`crate::nn`]'s `linear` predictor (or the
//! softmax `bigram` baseline) trained on windows of the training stories, measured on the
//! validation stories exactly as the n-gram baselines are ([`super::metrics`]: the same tokens,
//! the same bytes), and sampled through [`super::sample`].
//!
//! Training windows: the training stories' tokens (each ending with `<|endoftext|>`) are one
//! stream, led by an end token; a window is `T + 1` consecutive tokens starting anywhere in
//! it (random crops, seeded by the step), and an epoch is as many windows as the stream holds
//! at stride `T`. Random starts matter for this architecture: its weights are per position
//! pair `(t, s)`, so windows at a fixed stride would show each position slot the same tokens
//! every epoch, and a model of millions of weights memorises a million-token corpus in a few
//! epochs (measured: T = 64, d = 64, 4 fixed-stride epochs → training loss 1.39 nats/token,
//! validation 5.81, worse than the unigram). Validation: every story is scored token by token (its
//! end token included) from `[<|endoftext|>]` + the story so far, the last `T` tokens of it:
//! stories longer than the context are cut into windows at stride `⌈T/2⌉`, each scoring only
//! the positions the previous one did not, so every token is scored once with at least
//! `⌊T/2⌋ + 1` tokens of context (all of it while the story is shorter than `T`).

use super::metrics::{EvalReport, EvalSet};
use super::ngram::TokenModel;
use crate::nn::{ArModel, Batches};
use crate::predictor::TokenId;
use candle_core::{Device, Tensor, D};
use rand::{Rng, SeedableRng};

/// End-of-text token id.
const EOT: u32 = super::bpe::END_OF_TEXT_ID.0;

/// Epoch-ordered training windows over one token stream.
#[derive(Clone, Debug)]
pub struct StreamWindows {
    stream: Vec<u32>,
    context: usize,
    batch: usize,
    seed: u64,
}

impl StreamWindows {
    /// The windows of the training `sequences` (each a story ending with the end token).
    pub fn new(sequences: &[Vec<TokenId>], context: usize, batch: usize, seed: u64) -> Self {
        let mut stream = vec![EOT];
        stream.extend(sequences.iter().flatten().map(|t| t.0));
        StreamWindows {
            stream,
            context,
            batch,
            seed,
        }
    }

    /// Tokens in the stream.
    pub fn tokens(&self) -> usize {
        self.stream.len()
    }

    /// Windows per epoch.
    pub fn windows(&self) -> usize {
        (self.stream.len().saturating_sub(1)) / self.context
    }

    /// Batches per epoch: the stream's windows at stride `T`, in batches.
    pub fn batches_per_epoch(&self) -> usize {
        self.windows().div_ceil(self.batch).max(1)
    }
}

impl Batches for StreamWindows {
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let t = self.context;
        let starts = self.stream.len().saturating_sub(t + 1) as u64 + 1;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
            crate::tasks::multiply::data::mix64(self.seed) ^ step as u64,
        );
        let mut x = Vec::with_capacity(self.batch * t);
        let mut y = Vec::with_capacity(self.batch * t);
        for _ in 0..self.batch {
            let w = rng.random_range(0..starts) as usize;
            x.extend_from_slice(&self.stream[w..w + t]);
            y.extend_from_slice(&self.stream[w + 1..w + t + 1]);
        }
        Ok((
            Tensor::from_vec(x, (self.batch, t), device)?,
            Tensor::from_vec(y, (self.batch, t), device)?,
        ))
    }
}

/// How training windows are cut from the training stories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Windowing {
    /// [`StreamWindows`]: random crops of the whole training stream (arsim's default).
    #[default]
    Random,
    /// [`ChunkWindows`]: the paper's code, each story cut into non-overlapping chunks from its
    /// start, remainders dropped.
    Paper,
}

/// The paper's TinyStories windows (`training/linear_decoder.py`, `tokenize`: the tokenizer
/// with `truncation`, `max_length = context_length`, `return_overflowing_tokens`, keeping only
/// pieces of exactly `context_length` tokens): each story's tokens, without an end token (the
/// paper's GPT-2 tokenizer adds none), cut from its start into non-overlapping chunks of
/// `T + 1` tokens, the remainder dropped. A chunk gives `T` predictions, as the paper's chunk
/// of `context_length` tokens gives `context_length − 1` (its loss drops the last position),
/// so the paper's `context_length = 64` is `--context 63` here. Batch `k` holds the chunks
/// `k·B, k·B + 1, …` (modulo their number) in story order, as the paper's unshuffled
/// `DataLoader` reads them.
#[derive(Clone, Debug)]
pub struct ChunkWindows {
    chunks: Vec<Vec<u32>>,
    batch: usize,
    tokens: usize,
}

impl ChunkWindows {
    /// The chunks of the training `sequences` (each a story ending with the end token).
    pub fn new(sequences: &[Vec<TokenId>], context: usize, batch: usize) -> Self {
        let len = context + 1;
        let mut chunks = Vec::new();
        let mut tokens = 0;
        for s in sequences {
            let body = match s.last() {
                Some(t) if t.0 == EOT => &s[..s.len() - 1],
                _ => &s[..],
            };
            tokens += body.len();
            chunks.extend(
                body.chunks_exact(len)
                    .map(|c| c.iter().map(|t| t.0).collect::<Vec<u32>>()),
            );
        }
        ChunkWindows {
            chunks,
            batch,
            tokens,
        }
    }

    /// Tokens of the stories (end tokens excluded), before the remainders are dropped.
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// Chunks kept.
    pub fn windows(&self) -> usize {
        self.chunks.len()
    }

    /// Batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.chunks.len().div_ceil(self.batch.max(1)).max(1)
    }
}

impl Batches for ChunkWindows {
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let n = self.chunks.len();
        if n == 0 {
            candle_core::bail!("no story is long enough for one chunk");
        }
        let t = self.chunks[0].len() - 1;
        let mut x = Vec::with_capacity(self.batch * t);
        let mut y = Vec::with_capacity(self.batch * t);
        for i in 0..self.batch {
            let c = &self.chunks[(step * self.batch + i) % n];
            x.extend_from_slice(&c[..t]);
            y.extend_from_slice(&c[1..]);
        }
        Ok((
            Tensor::from_vec(x, (self.batch, t), device)?,
            Tensor::from_vec(y, (self.batch, t), device)?,
        ))
    }
}

/// One validation window: inputs (padded to `T`), targets, and the positions it scores.
struct EvalWindow {
    inputs: Vec<u32>,
    targets: Vec<u32>,
    scored: std::ops::Range<usize>,
}

fn eval_windows(set: &EvalSet, context: usize) -> Vec<EvalWindow> {
    let t = context;
    let stride = t.div_ceil(2).max(1);
    let mut out = Vec::new();
    for seq in &set.sequences {
        // x = [EOT] + story; position i predicts x[i + 1], for i in 0..n.
        let mut x = vec![EOT];
        x.extend(seq.iter().map(|t| t.0));
        let n = seq.len();
        let mut start = 0;
        loop {
            let lo = if start == 0 { 0 } else { start + t - stride };
            let hi = (start + t).min(n);
            if lo >= n {
                break;
            }
            let mut inputs: Vec<u32> = x[start..(start + t).min(x.len())].to_vec();
            let mut targets: Vec<u32> = x[start + 1..(start + t + 1).min(x.len())].to_vec();
            inputs.resize(t, EOT);
            targets.resize(t, EOT);
            out.push(EvalWindow {
                inputs,
                targets,
                scored: lo - start..hi - start,
            });
            if hi >= n {
                break;
            }
            start += stride;
        }
    }
    out
}

/// Measures `model` on `set` (see the module doc for the windows).
pub fn evaluate_model(
    model: &ArModel,
    set: &EvalSet,
    batch: usize,
) -> candle_core::Result<EvalReport> {
    let t = model.config().context;
    let windows = eval_windows(set, t);
    let device = Device::Cpu;
    let mut nats = 0f64;
    let mut scored = 0usize;
    for group in windows.chunks(batch.max(1)) {
        let b = group.len();
        let x: Vec<u32> = group
            .iter()
            .flat_map(|w| w.inputs.iter().copied())
            .collect();
        let y: Vec<u32> = group
            .iter()
            .flat_map(|w| w.targets.iter().copied())
            .collect();
        let x = Tensor::from_vec(x, (b, t), &device)?;
        let y = Tensor::from_vec(y, (b, t, 1), &device)?;
        let logp = candle_nn::ops::log_softmax(&model.forward(&x)?, D::Minus1)?;
        let picked: Vec<Vec<f32>> = logp.gather(&y, 2)?.squeeze(2)?.to_vec2()?;
        for (w, row) in group.iter().zip(picked) {
            for i in w.scored.clone() {
                nats -= f64::from(row[i]);
                scored += 1;
            }
        }
    }
    debug_assert_eq!(scored, set.tokens());
    let cross_entropy = nats / scored.max(1) as f64;
    Ok(EvalReport {
        tokens: scored,
        bytes: set.bytes,
        total_nats: nats,
        cross_entropy,
        perplexity: cross_entropy.exp(),
        bits_per_byte: nats / std::f64::consts::LN_2 / set.bytes.max(1) as f64,
    })
}

/// A trained model as a [`TokenModel`], for sampling: the next-token distribution after the
/// last `T` tokens of the history (`[<|endoftext|>]` when it is empty).
pub struct NeuralTokenModel<'a>(pub &'a ArModel);

impl NeuralTokenModel<'_> {
    fn probabilities(&self, history: &[TokenId]) -> Vec<f64> {
        let t = self.0.config().context;
        let mut window: Vec<u32> = history[history.len().saturating_sub(t)..]
            .iter()
            .map(|x| x.0)
            .collect();
        if window.is_empty() {
            window.push(EOT);
        }
        let n = window.len();
        let run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::from_vec(window.clone(), (1, n), &Device::Cpu)?;
            let p = candle_nn::ops::softmax_last_dim(&self.0.logits_at(&x, n - 1)?)?;
            p.squeeze(0)?.to_vec1()
        };
        run()
            .expect("a window within the context is a valid input")
            .into_iter()
            .map(f64::from)
            .collect()
    }
}

impl TokenModel for NeuralTokenModel<'_> {
    fn vocab_size(&self) -> usize {
        self.0.config().vocab
    }

    fn log_prob(&self, history: &[TokenId], next: TokenId) -> f64 {
        self.probabilities(history)[next.0 as usize].ln()
    }

    fn distribution(&self, history: &[TokenId]) -> Vec<f64> {
        self.probabilities(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_windows_score_every_token_once() {
        for t in [1, 2, 3, 8, 64] {
            let set = EvalSet {
                sequences: vec![
                    (0..5).map(TokenId).collect(),
                    (0..100).map(TokenId).collect(),
                    vec![TokenId(EOT)],
                ],
                bytes: 10,
            };
            let w = eval_windows(&set, t);
            let total: usize = w.iter().map(|w| w.scored.len()).sum();
            assert_eq!(total, set.tokens(), "context {t}");
            for w in &w {
                assert_eq!(w.inputs.len(), t);
                // Each scored target is the input one position later.
                for i in w.scored.clone() {
                    if i + 1 < t {
                        assert!(w.targets[i] == w.inputs[i + 1] || w.inputs[i + 1] == EOT);
                    }
                }
            }
        }
    }
}
