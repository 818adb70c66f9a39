//! The executor: runs any [`Predictor`] token by token, streaming.
//!
//! It keeps only the last `2^k ≥ max_offset + 1` tokens in a ring buffer, so a run of 10^9
//! tokens needs the memory of the window alone. It sees token ids and a [`Predictor`], nothing
//! of machines or encodings; when to stop is a [`StopRule`] the encoding supplies.

use crate::predictor::{Context, Predictor, TokenId};

/// Decides, token by token, when a generated trace is complete.
pub trait StopRule {
    /// Called with every token (prompt and generated) in order; `true` ends the trace after it.
    fn after(&mut self, token: TokenId) -> bool;
}

/// A stop rule that never stops (the caller bounds the run).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NeverStop;

impl StopRule for NeverStop {
    fn after(&mut self, _: TokenId) -> bool {
        false
    }
}

/// A predictor with its ring buffer of recent tokens.
#[derive(Clone, Debug)]
pub struct Executor<P> {
    predictor: P,
    ring: Vec<TokenId>,
    mask: usize,
    /// Ring slot of the next position.
    next: usize,
    /// Trace position of the next token.
    pos: u64,
}

impl<P: Predictor> Executor<P> {
    /// An executor whose context starts as all padding (`TokenId(vocab)`).
    pub fn new(predictor: P) -> Executor<P> {
        let len = (predictor.max_offset() + 1).next_power_of_two();
        let pad = TokenId(predictor.vocab() as u32);
        Executor {
            predictor,
            ring: vec![pad; len],
            mask: len - 1,
            next: 0,
            pos: 0,
        }
    }

    /// Appends a prompt token.
    #[inline]
    pub fn feed(&mut self, token: TokenId) {
        self.ring[self.next] = token;
        self.next = (self.next + 1) & self.mask;
        self.pos += 1;
    }

    /// Predicts the next token from the context, appends it and returns it.
    #[inline]
    pub fn step(&mut self) -> TokenId {
        let ctx = Context::new(&self.ring, self.next);
        let token = self.predictor.predict(&ctx, self.pos);
        self.feed(token);
        token
    }

    /// The context of the next position.
    pub fn context(&self) -> Context<'_> {
        Context::new(&self.ring, self.next)
    }

    /// The context the last token was predicted from (valid after at least one token).
    pub fn last_context(&self) -> Context<'_> {
        Context::new(&self.ring, self.next.wrapping_sub(1) & self.mask)
    }

    /// Trace position of the next token (= tokens so far).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The predictor.
    pub fn predictor(&self) -> &P {
        &self.predictor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Predicts "the token two back, plus one, mod 5".
    struct Plus;
    impl Predictor for Plus {
        fn vocab(&self) -> usize {
            5
        }
        fn max_offset(&self) -> usize {
            2
        }
        fn predict(&mut self, ctx: &Context<'_>, _: u64) -> TokenId {
            TokenId((ctx.back(2).0 + 1) % 5)
        }
        fn scores(&self, _: &Context<'_>, _: u64) -> Vec<f64> {
            vec![]
        }
    }

    #[test]
    fn streams_through_a_small_ring() {
        let mut e = Executor::new(Plus);
        e.feed(TokenId(0));
        e.feed(TokenId(3));
        let out: Vec<u32> = (0..6).map(|_| e.step().0).collect();
        assert_eq!(out, [1, 4, 2, 0, 3, 1]);
        assert_eq!(e.position(), 8);
        assert_eq!(e.last_context().back(2), TokenId(0));
    }
}
