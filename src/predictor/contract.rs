//! What every predictor is: the [`Predictor`] trait the executors run, the [`Context`] of
//! recent tokens it reads, and the [`Layout`] that names its tokens and offsets.

use crate::token::TokenId;
use serde::Serialize;

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

    /// The names of its tokens, when it carries them (a weight file's labels): an encoding
    /// compares them with its own dictionary before running it.
    fn labels(&self) -> Option<&[String]> {
        None
    }

    /// The offsets it reads, increasing, for reports (empty when it does not say).
    fn offsets(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// A borrowed predictor is a predictor, so an executor can run one without taking it.
impl<P: Predictor + ?Sized> Predictor for &mut P {
    fn vocab(&self) -> usize {
        (**self).vocab()
    }
    fn max_offset(&self) -> usize {
        (**self).max_offset()
    }
    fn labels(&self) -> Option<&[String]> {
        (**self).labels()
    }
    fn offsets(&self) -> Vec<usize> {
        (**self).offsets()
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
    /// The offsets read, in the order of [`LinearAr`](crate::predictor::LinearAr)'s weight matrices.
    pub offsets: Vec<usize>,
    /// How each offset is written in labels (e.g. `S+1`).
    pub offset_names: Vec<String>,
}
