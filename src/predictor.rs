//! The one interface every next-token model serves, and the linear AR predictor.
//!
//! A [`Predictor`] maps the tokens before position `p` (seen through a [`Context`], the
//! executor's ring buffer) to the token at `p`. [`LinearAr`] is Malach's time-invariant
//! linear auto-regressive predictor over offsets `j`:
//!
//! ```text
//! next = argmax_d  Σ_j  W_j[d, x_(p-j)]
//! ```
//!
//! Weights are exact integers ([`nalgebra::DMatrix<i32>`]), labelled by a [`Layout`]
//! (token names and offsets), and also kept in an input-major flat copy so that a token
//! costs one contiguous column add per offset and an argmax: the real scores, every time.

pub mod float;

pub use float::LinearArF32;

use crate::kernel::Kernel;
use nalgebra::DMatrix;
use serde::Serialize;

/// A token of a dictionary: `0..vocab`, and `vocab` itself is the padding token that
/// positions before the start of a trace read as (its weight columns are zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TokenId(pub u32);

impl TokenId {
    /// The id as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The tokens before the position being predicted, as the executor keeps them.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    ring: &'a [TokenId],
    mask: usize,
    /// Ring index where the token being predicted will go.
    next: usize,
}

impl<'a> Context<'a> {
    /// A view of a ring buffer whose length is a power of two; `next` is the slot of the
    /// position being predicted.
    #[inline]
    pub fn new(ring: &'a [TokenId], next: usize) -> Context<'a> {
        debug_assert!(ring.len().is_power_of_two());
        Context {
            ring,
            mask: ring.len() - 1,
            next,
        }
    }

    /// The token `j` positions back (`j >= 1`, at most the ring length).
    #[inline]
    pub fn back(&self, j: usize) -> TokenId {
        // The mask keeps the index in bounds, so this never panics.
        self.ring[self.next.wrapping_sub(j) & self.mask]
    }
}

/// A next-token model: compiled, learned or trained, the executor runs them all alike.
pub trait Predictor {
    /// Number of tokens it can emit (the padding token is `TokenId(vocab)`).
    fn vocab(&self) -> usize;

    /// The largest offset it reads; the executor keeps at least this many tokens.
    fn max_offset(&self) -> usize;

    /// The token at position `pos` (0-based in the trace) given the context. This is the
    /// hot path: it must compute the model's real scores and their argmax, and allocate nothing.
    fn predict(&mut self, ctx: &Context<'_>, pos: u64) -> TokenId;

    /// Every token's score at `pos` (for reports on divergence; may allocate).
    fn scores(&self, ctx: &Context<'_>, pos: u64) -> Vec<f64>;
}

/// A borrowed predictor is a predictor, so an executor can run one without taking it.
impl<P: Predictor + ?Sized> Predictor for &mut P {
    fn vocab(&self) -> usize {
        (**self).vocab()
    }
    fn max_offset(&self) -> usize {
        (**self).max_offset()
    }
    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, pos: u64) -> TokenId {
        (**self).predict(ctx, pos)
    }
    fn scores(&self, ctx: &Context<'_>, pos: u64) -> Vec<f64> {
        (**self).scores(ctx, pos)
    }
}

/// Names of a predictor's tokens and offsets, so every weight can be printed and exported
/// as `W[⟨B,1⟩ ← (S+1, ⟨A,0⟩)]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// Token names, indexed by [`TokenId`].
    pub tokens: Vec<String>,
    /// The offsets read, in the order of [`LinearAr`]'s weight matrices.
    pub offsets: Vec<usize>,
    /// How each offset is written in labels (e.g. `S+1`).
    pub offset_names: Vec<String>,
}

/// A time-invariant linear AR predictor with integer weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearAr {
    layout: Layout,
    /// One `vocab × vocab` matrix per offset: `weights[o][(d, x)]` is what input token `x` at
    /// offset `layout.offsets[o]` adds to the score of output token `d`.
    weights: Vec<DMatrix<i32>>,
    /// Input-major copy: `flat[(o * (vocab + 1) + x) * vocab + d]`; column `x = vocab` (padding) is zero.
    flat: Vec<i32>,
    /// Score scratch for the `i32` path of [`Predictor::predict`].
    scratch: Vec<i32>,
    /// The `i16` SIMD kernel, when every score fits (always, for compiled weights).
    kernel: Option<Kernel>,
    /// The tokens at each offset, gathered for the kernel.
    inputs: Vec<TokenId>,
}

impl LinearAr {
    /// Builds a predictor from its layout and one `vocab × vocab` matrix per offset.
    ///
    /// # Panics
    /// If the matrices do not match the layout (a programming error in a compiler pass).
    pub fn new(layout: Layout, weights: Vec<DMatrix<i32>>) -> LinearAr {
        let v = layout.tokens.len();
        assert_eq!(weights.len(), layout.offsets.len(), "one matrix per offset");
        let mut flat = vec![0; weights.len() * (v + 1) * v];
        for (o, w) in weights.iter().enumerate() {
            assert_eq!(w.shape(), (v, v), "weights are vocab × vocab");
            for x in 0..v {
                for d in 0..v {
                    flat[(o * (v + 1) + x) * v + d] = w[(d, x)];
                }
            }
        }
        let kernel = Kernel::new(&flat, v, weights.len());
        let inputs = vec![TokenId(0); weights.len()];
        LinearAr {
            layout,
            weights,
            flat,
            scratch: vec![0; v],
            kernel,
            inputs,
        }
    }

    /// The names of tokens and offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The weight matrices, one per offset.
    pub fn weights(&self) -> &[DMatrix<i32>] {
        &self.weights
    }

    /// Scores of every token when the token at offset `layout.offsets[o]` is `inputs[o]`.
    #[inline]
    pub fn scores_into(&self, inputs: impl Iterator<Item = TokenId>, out: &mut [i32]) {
        let v = self.layout.tokens.len();
        out.fill(0);
        for (o, x) in inputs.enumerate() {
            let start = (o * (v + 1) + x.index().min(v)) * v;
            let col = &self.flat[start..start + v];
            for (s, w) in out.iter_mut().zip(col) {
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

/// Index of the largest score; the lowest index wins a tie (the certificate rules ties out).
#[inline]
pub fn argmax(scores: &[i32]) -> usize {
    let mut best = 0;
    let mut best_score = i32::MIN;
    for (i, &s) in scores.iter().enumerate() {
        if s > best_score {
            best = i;
            best_score = s;
        }
    }
    best
}

impl Predictor for LinearAr {
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
        let mut out = vec![0; self.vocab()];
        self.scores_into(self.layout.offsets.iter().map(|&j| ctx.back(j)), &mut out);
        out.into_iter().map(f64::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_reads_back_through_the_ring() {
        let ring: Vec<TokenId> = (0..8).map(TokenId).collect();
        let ctx = Context::new(&ring, 2);
        assert_eq!(ctx.back(1), TokenId(1));
        assert_eq!(ctx.back(3), TokenId(7));
    }

    #[test]
    fn linear_ar_sums_columns_and_takes_argmax() {
        let layout = Layout {
            tokens: vec!["a".into(), "b".into()],
            offsets: vec![1, 2],
            offset_names: vec!["1".into(), "2".into()],
        };
        // Offset 1 votes for its own token, offset 2 votes twice as hard for the other one.
        let w1 = DMatrix::from_row_slice(2, 2, &[1, 0, 0, 1]);
        let w2 = DMatrix::from_row_slice(2, 2, &[0, 2, 2, 0]);
        let mut p = LinearAr::new(layout, vec![w1, w2]);
        let ring = [TokenId(0), TokenId(0), TokenId(0), TokenId(2)]; // 2 = padding
                                                                     // Position at slot 0: back(1) = slot 3 = padding, back(2) = slot 2 = a.
        let ctx = Context::new(&ring, 0);
        assert_eq!(p.predict(&ctx, 0), TokenId(1));
        assert_eq!(p.scores(&ctx, 0), vec![0.0, 2.0]);
        assert_eq!(p.label(1, TokenId(1), TokenId(0)), "W[b ← (2, a)] = 2");
    }
}
