//! The multiclass perceptron with integer weights (proofs/learnability.md#perceptron).
//!
//! Third stage of `learn` (examples → weights). The feature map of a context is one-hot per
//! offset: φ(x) has a 1 at (o, x_(p−j_o)) for every offset whose token is not padding. The
//! score of output d is (W φ(x))_d = Σ_o W_o[d, x_o], the linear AR predictor's own score.
//! On an example (x, y), let r be the best-scoring output other than y; if
//! score(y) − score(r) ≤ τ it is a mistake, and U_o[f, x_o] += 1 for f ∈ ψ(y), −= 1 for f ∈ ψ(r)
//! ([`super::outputs`]; with token outputs: W_o[y, x_o] += 1, W_o[r, x_o] −= 1), for every
//! non-padding offset. A pass visits every distinct example once, in a seeded shuffled order;
//! training stops after a pass with no mistake (then every training example is predicted right
//! with margin > τ) or at the pass limit. τ = 0 is Rosenblatt's perceptron, where a tie counts
//! as a mistake (so the learned argmax does not depend on how the executor breaks ties); a
//! margin τ > 0 (the perceptron with margin) generalises far better from few traces
//! (proofs/learnability.md#findings) and still has a mistake bound, (R² + 2τ)/γ²
//! ([`mod@super::mistake_bound`]).
//!
//! The same loop trains the time-invariant predictor (one [`LinearAr`], [`DenseColumns`]) and
//! the time-dependent one (one classifier per position, [`super::time_dependent`]).

use super::dataset::Examples;
use super::outputs::OutputFeatures;
use crate::predictor::{Layout, LinearAr, TokenId};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Settings of a perceptron run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PerceptronOptions {
    /// Stop after this many passes even if the last one made mistakes.
    pub max_passes: usize,
    /// τ: an example is a mistake when its margin is at most τ (0: Rosenblatt's perceptron).
    pub margin: i32,
    /// Seed of the shuffles.
    pub seed: u64,
}

/// The default margin τ.
pub const DEFAULT_MARGIN: i32 = 16;

/// What a perceptron run did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PerceptronStats {
    /// Passes over the distinct examples, the last (mistake-free) one included.
    pub passes: usize,
    /// Updates made, over all passes.
    pub mistakes: u64,
    /// Mistakes in each pass.
    pub mistakes_per_pass: Vec<u64>,
    /// Whether the last pass made no mistake.
    pub converged: bool,
}

/// Weight columns that the perceptron reads and updates.
pub trait Columns {
    /// The output features the columns are written over.
    fn outputs(&self) -> &OutputFeatures;
    /// Adds, for every output feature, the weights of `context` at `position` to `features`.
    fn add_feature_scores(&self, position: u64, context: &[TokenId], features: &mut [i32]);
    /// The perceptron update: +1 to output `up`, −1 to output `down`, in every non-padding
    /// input's column.
    fn update(&mut self, position: u64, context: &[TokenId], up: usize, down: usize);
}

/// The weights of a time-invariant predictor over output features ([`OutputFeatures`]),
/// input-major: column (o, x) holds `U_o[·, x]` at `flat[(o * vocab + x) * F ..]`, and
/// `W_o[d, x] = Σ_(f ∈ ψ(d)) U_o[f, x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseColumns {
    outputs: OutputFeatures,
    offsets: usize,
    flat: Vec<i32>,
}

impl DenseColumns {
    /// All-zero weights for `offsets` offsets.
    pub fn new(outputs: OutputFeatures, offsets: usize) -> DenseColumns {
        let size = offsets * outputs.vocab() * outputs.len();
        DenseColumns {
            outputs,
            offsets,
            flat: vec![0; size],
        }
    }

    /// The weights as a predictor with `layout`.
    pub fn into_predictor(self, layout: Layout) -> LinearAr {
        let (v, f) = (self.outputs.vocab(), self.outputs.len());
        let weights = (0..self.offsets)
            .map(|o| self.outputs.expand(|g, x| self.flat[(o * v + x) * f + g]))
            .collect();
        LinearAr::new(layout, weights)
    }
}

impl Columns for DenseColumns {
    fn outputs(&self) -> &OutputFeatures {
        &self.outputs
    }

    #[inline]
    fn add_feature_scores(&self, _: u64, context: &[TokenId], features: &mut [i32]) {
        let (v, f) = (self.outputs.vocab(), self.outputs.len());
        for (o, x) in context.iter().enumerate() {
            if x.index() < v {
                let start = (o * v + x.index()) * f;
                for (s, w) in features.iter_mut().zip(&self.flat[start..start + f]) {
                    *s += w;
                }
            }
        }
    }

    #[inline]
    fn update(&mut self, _: u64, context: &[TokenId], up: usize, down: usize) {
        let (v, f) = (self.outputs.vocab(), self.outputs.len());
        for (o, x) in context.iter().enumerate() {
            if x.index() < v {
                let start = (o * v + x.index()) * f;
                for &g in self.outputs.of(up) {
                    self.flat[start + g as usize] += 1;
                }
                for &g in self.outputs.of(down) {
                    self.flat[start + g as usize] -= 1;
                }
            }
        }
    }
}

/// The output other than `label` with the highest score (the lowest index on a tie).
#[inline]
pub(crate) fn best_rival(scores: &[i32], label: usize) -> usize {
    let mut best = usize::MAX;
    let mut best_score = i32::MIN;
    for (d, &s) in scores.iter().enumerate() {
        if d != label && (best == usize::MAX || s > best_score) {
            best = d;
            best_score = s;
        }
    }
    best
}

/// Runs the perceptron over `examples` on `columns` (all zero, or a warm start).
/// `progress(pass, max_passes)` is called after each pass.
pub(crate) fn run_perceptron<C: Columns>(
    examples: &Examples,
    columns: &mut C,
    opts: PerceptronOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> PerceptronStats {
    let v = examples.vocab();
    let mut order: Vec<u32> = (0..examples.len() as u32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut scores = vec![0i32; v];
    let mut features = vec![0i32; columns.outputs().len()];
    let mut stats = PerceptronStats {
        passes: 0,
        mistakes: 0,
        mistakes_per_pass: Vec::new(),
        converged: false,
    };
    if v < 2 {
        // One token: every prediction is right.
        stats.converged = true;
        return stats;
    }
    while stats.passes < opts.max_passes {
        order.shuffle(&mut rng);
        let mut mistakes = 0u64;
        for &i in &order {
            let i = i as usize;
            let (pos, ctx, y) = (examples.position(i), examples.context(i), examples.label(i));
            features.fill(0);
            columns.add_feature_scores(pos, ctx, &mut features);
            columns.outputs().token_scores(&features, &mut scores);
            let r = best_rival(&scores, y.index());
            if scores[y.index()] - scores[r] <= opts.margin {
                columns.update(pos, ctx, y.index(), r);
                mistakes += 1;
            }
        }
        stats.passes += 1;
        stats.mistakes += mistakes;
        stats.mistakes_per_pass.push(mistakes);
        progress(stats.passes, opts.max_passes);
        if mistakes == 0 {
            stats.converged = true;
            break;
        }
    }
    stats
}

/// Trains a time-invariant [`LinearAr`] with `layout` (whose offsets are the examples') over
/// the output features `outputs`.
pub(crate) fn train_perceptron(
    examples: &Examples,
    layout: Layout,
    outputs: OutputFeatures,
    opts: PerceptronOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> (LinearAr, PerceptronStats) {
    let mut columns = DenseColumns::new(outputs, examples.offsets().len());
    let stats = run_perceptron(examples, &mut columns, opts, progress);
    (columns.into_predictor(layout), stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::outputs::OutputKind;
    use crate::predictor::{Context, Predictor};

    fn tokens(v: u32) -> OutputFeatures {
        OutputFeatures::from_psi(OutputKind::Tokens, (0..v).map(|d| vec![d]).collect())
    }

    fn layout(v: usize, offsets: &[usize]) -> Layout {
        Layout {
            tokens: (0..v).map(|i| format!("t{i}")).collect(),
            offsets: offsets.to_vec(),
            offset_names: offsets.iter().map(|j| j.to_string()).collect(),
        }
    }

    #[test]
    fn learns_copy_the_previous_token_and_stops_after_a_clean_pass() {
        // Three tokens; the label is the token one back (offset 1), offset 2 is noise.
        let mut ex = Examples::new(3, &[1, 2], false);
        for a in 0..3u32 {
            for b in 0..3u32 {
                ex.add(0, &[TokenId(a), TokenId(b)], TokenId(a));
            }
        }
        let opts = PerceptronOptions {
            max_passes: 100,
            margin: 0,
            seed: 1,
        };
        let (mut p, stats) =
            train_perceptron(&ex, layout(3, &[1, 2]), tokens(3), opts, &mut |_, _| {});
        assert!(stats.converged, "{stats:?}");
        assert_eq!(stats.mistakes_per_pass.last(), Some(&0));
        assert_eq!(stats.mistakes, stats.mistakes_per_pass.iter().sum::<u64>());
        for a in 0..3u32 {
            for b in 0..3u32 {
                let ring = [TokenId(b), TokenId(a), TokenId(3), TokenId(3)];
                let ctx = Context::new(&ring, 2);
                assert_eq!(p.predict(&ctx, 0), TokenId(a));
            }
        }
        // The same seed gives the same weights.
        let (q, _) = train_perceptron(&ex, layout(3, &[1, 2]), tokens(3), opts, &mut |_, _| {});
        assert_eq!(p.weights(), q.weights());
    }

    #[test]
    fn a_tie_is_a_mistake_and_padding_is_no_feature() {
        let mut ex = Examples::new(2, &[1], false);
        // Padding context (token 2): no feature can separate, so it never converges on a
        // label other than the tie-break's, and the pass limit stops it.
        ex.add(0, &[TokenId(2)], TokenId(1));
        let opts = PerceptronOptions {
            max_passes: 3,
            margin: 0,
            seed: 0,
        };
        let (_, stats) = train_perceptron(&ex, layout(2, &[1]), tokens(2), opts, &mut |_, _| {});
        assert!(!stats.converged);
        assert_eq!(stats.mistakes_per_pass, [1, 1, 1]);
        assert_eq!(best_rival(&[5, 5, 1], 0), 1);
        // With a margin, a right answer by too little is a mistake too.
        let mut ex = Examples::new(2, &[1], false);
        ex.add(0, &[TokenId(0)], TokenId(0));
        let opts = PerceptronOptions {
            max_passes: 100,
            margin: 4,
            seed: 0,
        };
        let (p, stats) = train_perceptron(&ex, layout(2, &[1]), tokens(2), opts, &mut |_, _| {});
        assert!(stats.converged);
        // Each update widens the margin by 2: 0 → 2 → 4 → 6.
        assert_eq!(stats.mistakes, 3);
        assert_eq!(p.weights()[0][(0, 0)] - p.weights()[0][(1, 0)], 6);
        assert_eq!(best_rival(&[5, 5, 1], 1), 0);
    }
}
