//! The float linear AR predictor: the same time-invariant form as [`LinearAr`], with `f32`
//! weights, for predictors fitted by gradient descent (`learn::softmax`).
//!
//! ```text
//! next = argmax_d  Σ_j  W_j[d, x_(p-j)]
//! ```
//!
//! It sits beside the integer [`LinearAr`] in the pipeline: the executor, the verifier and the
//! learner's evaluation run it through the same [`Predictor`] trait. The padding token's
//! column is zero, as in [`LinearAr`]. Ties and NaN scores are broken the same way: the lowest
//! index with the largest score wins, and a NaN never wins.
//!
//! [`LinearAr`]: super::LinearAr

use super::{Context, Layout, Predictor, TokenId};
use nalgebra::DMatrix;

/// A time-invariant linear AR predictor with `f32` weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearArF32 {
    layout: Layout,
    /// One `vocab × vocab` matrix per offset, as in [`super::LinearAr`].
    weights: Vec<DMatrix<f32>>,
    /// Input-major copy: `flat[(o * (vocab + 1) + x) * vocab + d]`; the padding column is zero.
    flat: Vec<f32>,
    /// Score scratch for [`Predictor::predict`].
    scratch: Vec<f32>,
}

impl LinearArF32 {
    /// Builds a predictor from its layout and one `vocab × vocab` matrix per offset.
    ///
    /// # Panics
    /// If the matrices do not match the layout (a programming error in a learner).
    pub fn new(layout: Layout, weights: Vec<DMatrix<f32>>) -> LinearArF32 {
        let v = layout.tokens.len();
        assert_eq!(weights.len(), layout.offsets.len(), "one matrix per offset");
        let mut flat = vec![0.0; weights.len() * (v + 1) * v];
        for (o, w) in weights.iter().enumerate() {
            assert_eq!(w.shape(), (v, v), "weights are vocab × vocab");
            for x in 0..v {
                for d in 0..v {
                    flat[(o * (v + 1) + x) * v + d] = w[(d, x)];
                }
            }
        }
        LinearArF32 {
            layout,
            weights,
            flat,
            scratch: vec![0.0; v],
        }
    }

    /// The names of tokens and offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The weight matrices, one per offset.
    pub fn weights(&self) -> &[DMatrix<f32>] {
        &self.weights
    }

    /// Scores of every token when the token at offset `layout.offsets[o]` is `inputs[o]`.
    #[inline]
    pub fn scores_into(&self, inputs: impl Iterator<Item = TokenId>, out: &mut [f32]) {
        let v = self.layout.tokens.len();
        out.fill(0.0);
        for (o, x) in inputs.enumerate() {
            let start = (o * (v + 1) + x.index().min(v)) * v;
            for (s, w) in out.iter_mut().zip(&self.flat[start..start + v]) {
                *s += w;
            }
        }
    }
}

/// Index of the largest score; the lowest index wins a tie, and NaN never wins.
#[inline]
pub fn argmax_f32(scores: &[f32]) -> usize {
    let mut best = 0;
    let mut best_score = f32::NEG_INFINITY;
    for (i, &s) in scores.iter().enumerate() {
        if s > best_score {
            best = i;
            best_score = s;
        }
    }
    best
}

impl Predictor for LinearArF32 {
    fn vocab(&self) -> usize {
        self.layout.tokens.len()
    }

    fn max_offset(&self) -> usize {
        self.layout.offsets.iter().copied().max().unwrap_or(0)
    }

    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, _pos: u64) -> TokenId {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.scores_into(
            self.layout.offsets.iter().map(|&j| ctx.back(j)),
            &mut scratch,
        );
        let best = argmax_f32(&scratch);
        self.scratch = scratch;
        TokenId(best as u32)
    }

    fn scores(&self, ctx: &Context<'_>, _pos: u64) -> Vec<f64> {
        let mut out = vec![0.0; self.vocab()];
        self.scores_into(self.layout.offsets.iter().map(|&j| ctx.back(j)), &mut out);
        out.into_iter().map(f64::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_columns_and_takes_argmax_like_the_integer_predictor() {
        let layout = Layout {
            tokens: vec!["a".into(), "b".into()],
            offsets: vec![1, 2],
            offset_names: vec!["1".into(), "2".into()],
        };
        let w1 = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
        let w2 = DMatrix::from_row_slice(2, 2, &[0.0, 1.5, 1.5, 0.0]);
        let mut p = LinearArF32::new(layout, vec![w1, w2]);
        let ring = [TokenId(0), TokenId(0), TokenId(0), TokenId(2)]; // 2 = padding
        let ctx = Context::new(&ring, 0);
        // back(1) = padding (zero column), back(2) = a: offset 2 votes 1.5 for b.
        assert_eq!(p.predict(&ctx, 0), TokenId(1));
        let s = p.scores(&ctx, 0);
        assert!((s[1] - 1.5).abs() < 1e-6 && s[0].abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn nan_never_wins_and_ties_go_to_the_lowest_index() {
        assert_eq!(argmax_f32(&[f32::NAN, 1.0, 1.0]), 1);
        assert_eq!(argmax_f32(&[f32::NAN, f32::NAN]), 0);
    }
}
