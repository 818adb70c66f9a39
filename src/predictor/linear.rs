//! [`LinearAr`]: Malach's time-invariant linear auto-regressive predictor,
//!
//! ```text
//! next = argmax_d  Σ_j  W_j[d, x_(p-j)]
//! ```
//!
//! generic over the scalar of its weights ([`Weight`]): `i32` for compiled and perceptron
//! weights, `f32` for softmax regression, `f64` for float files that need it. One
//! implementation serves them all, so the executor, the certificate and the learner's
//! evaluation score every scalar the same way: the columns of the tokens read are added in
//! offset order (a fixed summation order, so float scores are reproducible) and the lowest
//! index with the largest score wins (a NaN never wins).
//!
//! Integer scores are exact: [`LinearAr::<i32>::try_new`] refuses weights whose largest
//! possible score ([`LinearAr::score_bound`]) exceeds `i32::MAX`, so no sum can overflow, and
//! builds the `i16` SIMD [`Kernel`] when the bound is within [`crate::kernel::I16_BOUND`].

use super::{Context, Layout, Predictor, TokenId};
use crate::kernel::Kernel;
use nalgebra::DMatrix;
use std::fmt::{Debug, Display};

/// A scalar a [`LinearAr`] can hold: exact integers or floats.
pub trait Weight:
    nalgebra::Scalar
    + Copy
    + PartialOrd
    + Display
    + Debug
    + std::ops::AddAssign
    + Default
    + Send
    + Sync
    + 'static
{
    /// The lowest value (`i32::MIN`, `-∞`): the argmax's starting point.
    const LOWEST: Self;
    /// Whether sums are exact (integers under the score bound).
    const EXACT: bool;
    /// The value as `f64` (scores in reports).
    fn to_f64(self) -> f64;
    /// The kernel for these columns, when this scalar has one and the bound allows it.
    fn kernel(_flat: &[Self], _vocab: usize, _offsets: usize) -> Option<Kernel> {
        None
    }
    /// The predictor as exact `i32` weights, when these are (what the row executor runs).
    fn as_exact(_p: &LinearAr<Self>) -> Option<&LinearAr<i32>> {
        None
    }
}

impl Weight for i32 {
    const LOWEST: i32 = i32::MIN;
    const EXACT: bool = true;
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn kernel(flat: &[i32], vocab: usize, offsets: usize) -> Option<Kernel> {
        Kernel::new(flat, vocab, offsets)
    }
    fn as_exact(p: &LinearAr<i32>) -> Option<&LinearAr<i32>> {
        Some(p)
    }
}

impl Weight for f32 {
    const LOWEST: f32 = f32::NEG_INFINITY;
    const EXACT: bool = false;
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Weight for f64 {
    const LOWEST: f64 = f64::NEG_INFINITY;
    const EXACT: bool = false;
    fn to_f64(self) -> f64 {
        self
    }
}

/// A linear AR predictor with `f32` weights (softmax regression's).
pub type LinearArF32 = LinearAr<f32>;

/// Integer weights whose largest possible score does not fit the `i32` accumulator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the largest possible score of these weights is {bound} (max over outputs d of Σ_j max_x |W_j[d, x]|), beyond the i32 accumulator's {}; arsim refuses them rather than let a sum overflow", i32::MAX)]
pub struct ScoreOverflow {
    /// The bound `max_d Σ_j max_x |W_j[d, x]|`.
    pub bound: i64,
}

/// A time-invariant linear AR predictor.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearAr<T: Weight = i32> {
    layout: Layout,
    /// One `vocab × vocab` matrix per offset: `weights[o][(d, x)]` is what input token `x` at
    /// offset `layout.offsets[o]` adds to the score of output token `d`.
    weights: Vec<DMatrix<T>>,
    /// Input-major copy: `flat[(o * (vocab + 1) + x) * vocab + d]`; column `x = vocab` (padding) is zero.
    flat: Vec<T>,
    /// Score scratch for [`Predictor::predict`].
    scratch: Vec<T>,
    /// The `i16` SIMD kernel, when every score fits (always, for compiled weights).
    kernel: Option<Kernel>,
    /// The tokens at each offset, gathered for the kernel.
    inputs: Vec<TokenId>,
}

/// `max_d Σ_o max_x |W_o[d, x]|` over integer matrices, in `i64`.
pub fn score_bound(weights: &[DMatrix<i64>]) -> i64 {
    let Some(first) = weights.first() else {
        return 0;
    };
    (0..first.nrows())
        .map(|d| {
            weights
                .iter()
                .map(|w| {
                    w.row(d)
                        .iter()
                        .map(|x| x.saturating_abs())
                        .max()
                        .unwrap_or(0)
                })
                .fold(0i64, i64::saturating_add)
        })
        .max()
        .unwrap_or(0)
}

impl LinearAr<i32> {
    /// Integer weights whose every score is exact in the `i32` accumulator, or the bound that
    /// says it might not be.
    pub fn try_new(
        layout: Layout,
        weights: Vec<DMatrix<i32>>,
    ) -> Result<LinearAr<i32>, ScoreOverflow> {
        let wide: Vec<DMatrix<i64>> = weights.iter().map(|w| w.map(i64::from)).collect();
        let bound = score_bound(&wide);
        if bound > i64::from(i32::MAX) {
            return Err(ScoreOverflow { bound });
        }
        Ok(LinearAr::build(layout, weights))
    }

    /// Builds a predictor from its layout and one `vocab × vocab` integer matrix per offset
    /// (compiled or perceptron weights, whose scores are small).
    ///
    /// # Panics
    /// If the matrices do not match the layout, or a score could overflow `i32` (a
    /// programming error in a compiler pass; weights from outside go through
    /// [`LinearAr::try_new`]).
    pub fn new(layout: Layout, weights: Vec<DMatrix<i32>>) -> LinearAr<i32> {
        LinearAr::from_weights(layout, weights)
    }

    /// The largest possible score magnitude, `max_d Σ_j max_x |W_j[d, x]|`.
    pub fn score_bound(&self) -> i64 {
        let wide: Vec<DMatrix<i64>> = self.weights.iter().map(|w| w.map(i64::from)).collect();
        score_bound(&wide)
    }

    /// Exact scores in `i64` (for margins).
    pub fn scores_i64(&self, inputs: impl Iterator<Item = TokenId>, out: &mut [i64]) {
        let v = self.layout.tokens.len();
        out.fill(0);
        for (o, x) in inputs.enumerate() {
            let start = (o * (v + 1) + x.index().min(v)) * v;
            for (s, &w) in out.iter_mut().zip(&self.flat[start..start + v]) {
                *s += i64::from(w);
            }
        }
    }
}

impl<T: Weight> LinearAr<T> {
    /// Builds a predictor of any scalar from its layout and one `vocab × vocab` matrix per
    /// offset ([`LinearAr::new`] is the integer case).
    ///
    /// # Panics
    /// If the matrices do not match the layout (a programming error in a learner), or, for
    /// `i32`, if a score could overflow (use [`LinearAr::try_new`] for weights from outside).
    pub fn from_weights(layout: Layout, weights: Vec<DMatrix<T>>) -> LinearAr<T> {
        let p = LinearAr::build(layout, weights);
        if T::EXACT {
            let wide: Vec<DMatrix<i64>> = p
                .weights
                .iter()
                .map(|w| w.map(|x| x.to_f64() as i64))
                .collect();
            let bound = score_bound(&wide);
            assert!(bound <= i64::from(i32::MAX), "{}", ScoreOverflow { bound });
        }
        p
    }

    fn build(layout: Layout, weights: Vec<DMatrix<T>>) -> LinearAr<T> {
        let v = layout.tokens.len();
        assert_eq!(weights.len(), layout.offsets.len(), "one matrix per offset");
        let mut flat = vec![T::default(); weights.len() * (v + 1) * v];
        for (o, w) in weights.iter().enumerate() {
            assert_eq!(w.shape(), (v, v), "weights are vocab × vocab");
            for x in 0..v {
                for d in 0..v {
                    flat[(o * (v + 1) + x) * v + d] = w[(d, x)];
                }
            }
        }
        let kernel = T::kernel(&flat, v, weights.len());
        let inputs = vec![TokenId(0); weights.len()];
        LinearAr {
            layout,
            weights,
            flat,
            scratch: vec![T::default(); v],
            kernel,
            inputs,
        }
    }

    /// The names of tokens and offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The weight matrices, one per offset.
    pub fn weights(&self) -> &[DMatrix<T>] {
        &self.weights
    }

    /// Scores of every token when the token at offset `layout.offsets[o]` is `inputs[o]`,
    /// summed in offset order.
    #[inline]
    pub fn scores_into(&self, inputs: impl Iterator<Item = TokenId>, out: &mut [T]) {
        let v = self.layout.tokens.len();
        out.fill(T::default());
        for (o, x) in inputs.enumerate() {
            let start = (o * (v + 1) + x.index().min(v)) * v;
            let col = &self.flat[start..start + v];
            for (s, &w) in out.iter_mut().zip(col) {
                *s += w;
            }
        }
    }

    /// The predicted token when the token at offset `layout.offsets[o]` is `inputs[o]`: the
    /// executor's own computation (the SIMD kernel where it applies), which the certificate
    /// calls too.
    pub fn argmax_of(&mut self, inputs: &[TokenId]) -> TokenId {
        self.inputs.copy_from_slice(inputs);
        self.argmax_of_inputs()
    }

    #[inline]
    fn argmax_of_inputs(&mut self) -> TokenId {
        if let Some(k) = &mut self.kernel {
            return k.argmax(&self.inputs);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        self.scores_into(self.inputs.iter().copied(), &mut scratch);
        let best = argmax(&scratch);
        self.scratch = scratch;
        TokenId(best as u32)
    }

    /// One weight with its label, e.g. `W[⟨B,1⟩ ← (S+1, ⟨A,0⟩)] = 2`.
    pub fn label(&self, o: usize, d: TokenId, x: TokenId) -> String {
        format!(
            "W[{} ← ({}, {})] = {}",
            self.layout.tokens[d.index()],
            self.layout.offset_names[o],
            self.layout.tokens[x.index()],
            self.weights[o][(d.index(), x.index())]
        )
    }
}

/// Index of the largest score; the lowest index wins a tie (the certificate rules ties out),
/// and a NaN never wins.
#[inline]
pub fn argmax<T: Weight>(scores: &[T]) -> usize {
    let mut best = 0;
    let mut best_score = T::LOWEST;
    for (i, &s) in scores.iter().enumerate() {
        if s > best_score {
            best = i;
            best_score = s;
        }
    }
    best
}

impl<T: Weight> Predictor for LinearAr<T> {
    fn vocab(&self) -> usize {
        self.layout.tokens.len()
    }

    fn max_offset(&self) -> usize {
        self.layout.offsets.iter().copied().max().unwrap_or(0)
    }

    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, _pos: u64) -> TokenId {
        for (slot, &j) in self.inputs.iter_mut().zip(&self.layout.offsets) {
            *slot = ctx.back(j);
        }
        self.argmax_of_inputs()
    }

    fn scores(&self, ctx: &Context<'_>, _pos: u64) -> Vec<f64> {
        let mut out = vec![T::default(); self.vocab()];
        self.scores_into(self.layout.offsets.iter().map(|&j| ctx.back(j)), &mut out);
        out.into_iter().map(Weight::to_f64).collect()
    }

    fn labels(&self) -> Option<&[String]> {
        Some(&self.layout.tokens)
    }

    fn offsets(&self) -> Vec<usize> {
        let mut o = self.layout.offsets.clone();
        o.sort_unstable();
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            tokens: vec!["a".into(), "b".into()],
            offsets: vec![1, 2],
            offset_names: vec!["1".into(), "2".into()],
        }
    }

    #[test]
    fn linear_ar_sums_columns_and_takes_argmax() {
        // Offset 1 votes for its own token, offset 2 votes twice as hard for the other one.
        let w1 = DMatrix::from_row_slice(2, 2, &[1, 0, 0, 1]);
        let w2 = DMatrix::from_row_slice(2, 2, &[0, 2, 2, 0]);
        let mut p = LinearAr::new(layout(), vec![w1, w2]);
        let ring = [TokenId(0), TokenId(0), TokenId(0), TokenId(2)]; // 2 = padding
                                                                     // Position at slot 0: back(1) = slot 3 = padding, back(2) = slot 2 = a.
        let ctx = Context::new(&ring, 0);
        assert_eq!(p.predict(&ctx, 0), TokenId(1));
        assert_eq!(p.scores(&ctx, 0), vec![0.0, 2.0]);
        assert_eq!(p.label(1, TokenId(1), TokenId(0)), "W[b ← (2, a)] = 2");
    }

    #[test]
    fn float_weights_score_the_same_way() {
        let w1 = DMatrix::from_row_slice(2, 2, &[1.0f32, 0.0, 0.0, 1.0]);
        let w2 = DMatrix::from_row_slice(2, 2, &[0.0, 1.5, 1.5, 0.0]);
        let mut p = LinearAr::from_weights(layout(), vec![w1, w2]);
        let ring = [TokenId(0), TokenId(0), TokenId(0), TokenId(2)];
        let ctx = Context::new(&ring, 0);
        assert_eq!(p.predict(&ctx, 0), TokenId(1));
        assert_eq!(p.scores(&ctx, 0), vec![0.0, 1.5]);
    }

    #[test]
    fn nan_never_wins_and_ties_go_to_the_lowest_index() {
        assert_eq!(argmax(&[f32::NAN, 1.0, 1.0]), 1);
        assert_eq!(argmax(&[f32::NAN, f32::NAN]), 0);
        assert_eq!(argmax(&[3, 5, 5]), 1);
    }

    #[test]
    fn weights_that_could_overflow_the_accumulator_are_refused_naming_the_bound() {
        let big = 1 << 30;
        let w1 = DMatrix::from_row_slice(2, 2, &[big, 0, 0, 0]);
        let w2 = DMatrix::from_row_slice(2, 2, &[big, 0, 0, 0]);
        let err = LinearAr::try_new(layout(), vec![w1.clone(), w2]).unwrap_err();
        assert_eq!(err.bound, 2 * (1i64 << 30));
        assert!(err.to_string().contains("2147483648"), "{err}");
        let ok = LinearAr::try_new(layout(), vec![w1.clone(), w1.map(|_| 0)]).unwrap();
        assert_eq!(ok.score_bound(), 1 << 30);
    }
}
