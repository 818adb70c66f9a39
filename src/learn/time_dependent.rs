//! The time-dependent linear AR predictor and its learner: one linear classifier per trace
//! position, the PAC → AR reduction of proofs/learnability.md#pac-to-ar taken literally.
//!
//! The paper states the reduction for its `gates` encoding; here it is applied to `cells`
//! traces, where it is the same reduction: position p (counted from the first SEP of the
//! trace, so positions line up across traces) has its own weights W^(p)_j, trained by the
//! perceptron only on the examples found at position p, and
//!
//! ```text
//! next at p = argmax_d  Σ_j  W^(p)_j[d, x_(p-j)]
//! ```
//!
//! A position that no training trace reached has all-zero weights, so the predictor emits
//! token 0 (SEP) there: it knows nothing about it. Weights are stored sparsely (only columns a
//! mistake touched), since most (position, offset, token) columns are never used.

use super::dataset::Examples;
use super::outputs::OutputFeatures;
use super::perceptron::{run_perceptron, Columns, PerceptronOptions, PerceptronStats};
use crate::predictor::{argmax, Context, Layout, Predictor, TokenId};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A fast hasher for the small integer keys of the column map (multiply-rotate, as in rustc's
/// FxHash): the predictor looks a column up for every offset of every token.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A linear AR predictor with its own integer weights at every position.
#[derive(Clone, Debug, PartialEq)]
pub struct PerPositionAr {
    layout: Layout,
    /// The output features: `W^(p)_o[d, x] = Σ_(f ∈ ψ(d)) U^(p)_o[f, x]`.
    outputs: OutputFeatures,
    /// (position, offset index, input token) → start of that column in `pool`.
    columns: HashMap<(u64, u32, u32), u32, BuildHasherDefault<KeyHasher>>,
    /// The columns, one weight per output feature each.
    pool: Vec<i32>,
    /// Positions with training examples.
    positions: BTreeSet<u64>,
    scratch: Vec<i32>,
    features: Vec<i32>,
}

impl PerPositionAr {
    /// All-zero weights with `layout` (token names and offsets) over `outputs`.
    pub fn new(layout: Layout, outputs: OutputFeatures) -> PerPositionAr {
        let v = layout.tokens.len();
        let outputs_len = outputs.len();
        PerPositionAr {
            layout,
            outputs,
            columns: HashMap::default(),
            pool: Vec::new(),
            positions: BTreeSet::new(),
            scratch: vec![0; v],
            features: vec![0; outputs_len],
        }
    }

    /// The names of tokens and offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Number of positions that have training examples (= classifiers trained).
    pub fn classifiers(&self) -> usize {
        self.positions.len()
    }

    /// Number of non-zero weight columns stored.
    pub fn stored_columns(&self) -> usize {
        self.columns.len()
    }

    /// `W^(position)_o[d, x]`.
    pub fn weight(&self, position: u64, o: usize, d: TokenId, x: TokenId) -> i32 {
        self.columns
            .get(&(position, o as u32, x.0))
            .map_or(0, |&s| {
                self.outputs
                    .of(d.index())
                    .iter()
                    .map(|&g| self.pool[s as usize + g as usize])
                    .sum()
            })
    }
}

impl Columns for PerPositionAr {
    fn outputs(&self) -> &OutputFeatures {
        &self.outputs
    }

    #[inline]
    fn add_feature_scores(&self, position: u64, context: &[TokenId], features: &mut [i32]) {
        let f = self.outputs.len();
        for (o, x) in context.iter().enumerate() {
            if let Some(&s) = self.columns.get(&(position, o as u32, x.0)) {
                let s = s as usize;
                for (a, w) in features.iter_mut().zip(&self.pool[s..s + f]) {
                    *a += w;
                }
            }
        }
    }

    fn update(&mut self, position: u64, context: &[TokenId], up: usize, down: usize) {
        let (v, f) = (self.layout.tokens.len(), self.outputs.len());
        for (o, x) in context.iter().enumerate() {
            if x.index() >= v {
                continue;
            }
            let next = self.pool.len() as u32;
            let s = *self
                .columns
                .entry((position, o as u32, x.0))
                .or_insert(next) as usize;
            if s == self.pool.len() {
                self.pool.resize(s + f, 0);
            }
            for &g in self.outputs.of(up) {
                self.pool[s + g as usize] += 1;
            }
            for &g in self.outputs.of(down) {
                self.pool[s + g as usize] -= 1;
            }
        }
    }
}

impl Predictor for PerPositionAr {
    fn vocab(&self) -> usize {
        self.layout.tokens.len()
    }

    fn max_offset(&self) -> usize {
        self.layout.offsets.iter().copied().max().unwrap_or(0)
    }

    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, pos: u64) -> TokenId {
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut features = std::mem::take(&mut self.features);
        features.fill(0);
        let f = self.outputs.len();
        for (o, &j) in self.layout.offsets.iter().enumerate() {
            let x = ctx.back(j);
            if let Some(&s) = self.columns.get(&(pos, o as u32, x.0)) {
                let s = s as usize;
                for (a, w) in features.iter_mut().zip(&self.pool[s..s + f]) {
                    *a += w;
                }
            }
        }
        self.outputs.token_scores(&features, &mut scratch);
        let best = argmax(&scratch);
        self.scratch = scratch;
        self.features = features;
        TokenId(best as u32)
    }

    fn scores(&self, ctx: &Context<'_>, pos: u64) -> Vec<f64> {
        let mut out = vec![0; self.vocab()];
        let mut features = vec![0; self.outputs.len()];
        let context: Vec<TokenId> = self.layout.offsets.iter().map(|&j| ctx.back(j)).collect();
        self.add_feature_scores(pos, &context, &mut features);
        self.outputs.token_scores(&features, &mut out);
        out.into_iter().map(f64::from).collect()
    }
}

/// Trains one perceptron per position on `examples` (which must be kept by position).
pub(crate) fn train_time_dependent(
    examples: &Examples,
    layout: Layout,
    outputs: OutputFeatures,
    opts: PerceptronOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> (PerPositionAr, PerceptronStats) {
    debug_assert!(examples.by_position());
    let mut p = PerPositionAr::new(layout, outputs);
    p.positions = (0..examples.len()).map(|i| examples.position(i)).collect();
    let stats = run_perceptron(examples, &mut p, opts, progress);
    (p, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::outputs::OutputKind;

    #[test]
    fn each_position_learns_its_own_rule() {
        // Two tokens, offset 1: at position 5 the label copies the previous token, at position
        // 6 it flips it. No time-invariant predictor does both.
        let layout = Layout {
            tokens: vec!["a".into(), "b".into()],
            offsets: vec![1],
            offset_names: vec!["1".into()],
        };
        let mut ex = Examples::new(2, &[1], true);
        for a in 0..2u32 {
            ex.add(5, &[TokenId(a)], TokenId(a));
            ex.add(6, &[TokenId(a)], TokenId(1 - a));
        }
        let opts = PerceptronOptions {
            max_passes: 50,
            margin: 0,
            seed: 3,
        };
        let tokens = OutputFeatures::from_psi(OutputKind::Tokens, vec![vec![0], vec![1]]);
        let (mut p, stats) = train_time_dependent(&ex, layout, tokens, opts, &mut |_, _| {});
        assert!(stats.converged);
        assert_eq!(p.classifiers(), 2);
        for a in 0..2u32 {
            let ring = [TokenId(a), TokenId(0)];
            let ctx = Context::new(&ring, 1);
            assert_eq!(p.predict(&ctx, 5), TokenId(a));
            assert_eq!(p.predict(&ctx, 6), TokenId(1 - a));
            // A position never trained on predicts token 0.
            assert_eq!(p.predict(&ctx, 7), TokenId(0));
        }
        assert!(p.weight(6, 0, TokenId(1), TokenId(0)) > p.weight(6, 0, TokenId(0), TokenId(0)));
    }
}
