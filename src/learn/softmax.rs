//! Softmax regression (multinomial logistic regression) trained with AdamW: the second
//! learner of `learn`, giving float weights ([`LinearArF32`]).
//!
//! Same features and scores as the perceptron (one-hot (offset, token) features, padding
//! excluded, score_d = Σ_o W_o[d, x_o], no bias: the linear AR form itself). The loss is the
//! cross-entropy −log softmax(score)_y averaged over the training positions (distinct examples
//! weighted by how often they occur). Minibatches of distinct examples in a seeded shuffled
//! order; AdamW (Loshchilov & Hutter: decoupled weight decay, bias-corrected moments) updates
//! every weight each step. Weights start at zero, so a run is deterministic given its seed.
//! Training runs `epochs` epochs (or stops after an epoch at whose end every training example
//! has a score margin of at least `target_margin`, when one is set). On separable data the
//! cross-entropy keeps falling and gradient methods drift towards the maximum-margin
//! direction, so running on after the training set is fitted is what makes the weights
//! generalise (proofs/learnability.md#findings); by default no early stop is made.
//!
//! Written by hand rather than with candle: the features are one-hot, so a forward pass is
//! `offsets` column gathers per example and the gradient touches only those columns; the
//! whole optimiser is a few dozen lines, runs in well under a second on the corpus machines,
//! and keeps candle's compile time (gemm, zip, rayon, …) out of a 2-core CI.

use super::dataset::Examples;
use super::outputs::OutputFeatures;
use crate::predictor::{Layout, LinearArF32};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Settings of a softmax-regression run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SoftmaxOptions {
    /// Most passes over the distinct examples.
    pub epochs: usize,
    /// Distinct examples per minibatch.
    pub batch: usize,
    /// AdamW step size.
    pub learning_rate: f32,
    /// AdamW decoupled weight decay (per step, times the learning rate).
    pub weight_decay: f32,
    /// Stop once every training example's margin is at least this (`None`: run every epoch).
    pub target_margin: Option<f32>,
    /// Seed of the shuffles.
    pub seed: u64,
}

impl SoftmaxOptions {
    /// Most epochs by default.
    pub const DEFAULT_EPOCHS: usize = 100;
}

impl Default for SoftmaxOptions {
    fn default() -> SoftmaxOptions {
        SoftmaxOptions {
            epochs: SoftmaxOptions::DEFAULT_EPOCHS,
            batch: 256,
            learning_rate: 0.05,
            weight_decay: 1e-4,
            target_margin: None,
            seed: 0,
        }
    }
}

/// What a softmax-regression run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SoftmaxStats {
    /// Epochs run.
    pub epochs: usize,
    /// AdamW steps taken.
    pub steps: u64,
    /// Mean cross-entropy over the training positions, at the end of each epoch.
    pub loss_per_epoch: Vec<f64>,
    /// Distinct training examples predicted wrong at the end.
    pub train_errors: u64,
    /// Smallest score margin (label's score minus the best other) on the training examples.
    pub min_train_margin: f64,
    /// Whether every training example is predicted right at the end.
    pub converged: bool,
}

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

/// Trains a [`LinearArF32`] with `layout` (whose offsets are the examples').
/// `progress(epoch, epochs)` is called after each epoch.
pub(crate) fn train_softmax(
    examples: &Examples,
    layout: Layout,
    outputs: &OutputFeatures,
    opts: SoftmaxOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> (LinearArF32, SoftmaxStats) {
    let v = examples.vocab();
    let f = outputs.len();
    let k = examples.offsets().len();
    let n = examples.len();
    let size = k * v * f;
    let mut theta = vec![0f32; size];
    let mut grad = vec![0f32; size];
    let mut m = vec![0f32; size];
    let mut s2 = vec![0f32; size];
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut scores = vec![0f32; v];
    let mut feat = vec![0f32; f];
    let mut touched: Vec<usize> = Vec::new();
    let mut stats = SoftmaxStats {
        epochs: 0,
        steps: 0,
        loss_per_epoch: Vec::new(),
        train_errors: 0,
        min_train_margin: f64::NAN,
        converged: false,
    };
    let batch = opts.batch.max(1);
    while stats.epochs < opts.epochs && n > 0 {
        order.shuffle(&mut rng);
        for chunk in order.chunks(batch) {
            let total: f32 = chunk
                .iter()
                .map(|&i| examples.count(i as usize) as f32)
                .sum();
            for &i in chunk {
                let i = i as usize;
                let ctx = examples.context(i);
                let y = examples.label(i).index();
                forward(&theta, outputs, ctx, &mut feat, &mut scores);
                softmax_in_place(&mut scores);
                let weight = examples.count(i) as f32 / total;
                scores[y] -= 1.0;
                for s in scores.iter_mut() {
                    *s *= weight;
                }
                outputs.feature_grad(&scores, &mut feat);
                for (o, x) in ctx.iter().enumerate() {
                    if x.index() < v {
                        let start = (o * v + x.index()) * f;
                        touched.push(start);
                        for (g, d) in grad[start..start + f].iter_mut().zip(&feat) {
                            *g += d;
                        }
                    }
                }
            }
            stats.steps += 1;
            let t = stats.steps as i32;
            let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
            let lr = opts.learning_rate;
            for j in 0..theta.len() {
                let g = grad[j];
                m[j] = BETA1 * m[j] + (1.0 - BETA1) * g;
                s2[j] = BETA2 * s2[j] + (1.0 - BETA2) * g * g;
                let step = (m[j] / c1) / ((s2[j] / c2).sqrt() + EPS);
                theta[j] -= lr * (step + opts.weight_decay * theta[j]);
            }
            for &start in &touched {
                grad[start..start + f].fill(0.0);
            }
            touched.clear();
        }
        stats.epochs += 1;
        let (loss, errors, margin) = evaluate(&theta, outputs, examples, &mut feat, &mut scores);
        stats.loss_per_epoch.push(loss);
        stats.train_errors = errors;
        stats.min_train_margin = margin;
        progress(stats.epochs, opts.epochs);
        if errors == 0 && opts.target_margin.is_some_and(|t| margin >= t as f64) {
            break;
        }
    }
    stats.converged = stats.train_errors == 0 && n > 0;
    let weights = (0..k)
        .map(|o| outputs.expand(|g, x| theta[(o * v + x) * f + g]))
        .collect();
    (LinearArF32::from_weights(layout, weights), stats)
}

/// Scores of every output for `ctx` (padding contributes nothing).
#[inline]
fn forward(
    theta: &[f32],
    outputs: &OutputFeatures,
    ctx: &[crate::predictor::TokenId],
    feat: &mut [f32],
    scores: &mut [f32],
) {
    let (v, f) = (outputs.vocab(), outputs.len());
    feat.fill(0.0);
    for (o, x) in ctx.iter().enumerate() {
        if x.index() < v {
            let start = (o * v + x.index()) * f;
            for (s, w) in feat.iter_mut().zip(&theta[start..start + f]) {
                *s += w;
            }
        }
    }
    outputs.token_scores(feat, scores);
}

/// Turns scores into probabilities (max-shifted for stability).
#[inline]
fn softmax_in_place(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// (mean cross-entropy over positions, distinct examples wrong, smallest margin).
fn evaluate(
    theta: &[f32],
    outputs: &OutputFeatures,
    examples: &Examples,
    feat: &mut [f32],
    scores: &mut [f32],
) -> (f64, u64, f64) {
    let v = examples.vocab();
    let (mut loss, mut weight, mut errors, mut min_margin) = (0f64, 0f64, 0u64, f64::INFINITY);
    for i in 0..examples.len() {
        let y = examples.label(i).index();
        forward(theta, outputs, examples.context(i), feat, scores);
        let rival = (0..v)
            .filter(|&d| d != y)
            .map(|d| scores[d])
            .fold(f32::NEG_INFINITY, f32::max);
        let margin = (scores[y] - rival) as f64;
        if margin <= 0.0 {
            errors += 1;
        }
        min_margin = min_margin.min(margin);
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = max + scores.iter().map(|s| (s - max).exp()).sum::<f32>().ln();
        let c = examples.count(i) as f64;
        loss += c * (lse - scores[y]) as f64;
        weight += c;
    }
    (loss / weight.max(1.0), errors, min_margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::outputs::OutputKind;
    use crate::predictor::{Context, Predictor, TokenId};

    #[test]
    fn learns_a_separable_rule_to_the_target_margin() {
        // The label is the token two back; offset 1 is noise.
        let mut ex = Examples::new(3, &[1, 2], false);
        for a in 0..3u32 {
            for b in 0..3u32 {
                for _ in 0..=a {
                    ex.add(0, &[TokenId(a), TokenId(b)], TokenId(b));
                }
            }
        }
        let layout = Layout {
            tokens: vec!["a".into(), "b".into(), "c".into()],
            offsets: vec![1, 2],
            offset_names: vec!["1".into(), "2".into()],
        };
        let opts = SoftmaxOptions {
            batch: 4,
            seed: 9,
            target_margin: Some(1.0),
            ..SoftmaxOptions::default()
        };
        let tokens =
            OutputFeatures::from_psi(OutputKind::Tokens, (0..3).map(|d| vec![d]).collect());
        let (mut p, stats) = train_softmax(&ex, layout.clone(), &tokens, opts, &mut |_, _| {});
        assert!(stats.converged, "{stats:?}");
        assert!(stats.min_train_margin >= 1.0);
        // The loss goes down (tolerance: strictly lower after the first epoch).
        assert!(stats.loss_per_epoch.last() < stats.loss_per_epoch.first());
        for a in 0..3u32 {
            for b in 0..3u32 {
                let ring = [TokenId(b), TokenId(a), TokenId(3), TokenId(3)];
                let ctx = Context::new(&ring, 2);
                assert_eq!(p.predict(&ctx, 0), TokenId(b));
            }
        }
        // Seeded: the same run gives the same weights, bit for bit.
        let (q, _) = train_softmax(&ex, layout, &tokens, opts, &mut |_, _| {});
        assert_eq!(p.weights(), q.weights());
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut s = [1.0f32, 2.0, 3.0, 1000.0];
        softmax_in_place(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(s[3] > 0.99);
    }
}
