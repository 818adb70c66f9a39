//! n-gram baselines (unigram, bigram, trigram) with interpolated Kneser-Ney smoothing, and the
//! [`TokenModel`] interface every text model answers. Fourth stage of the text task.
//!
//! Each story is one sequence: its tokens, then `<|endoftext|>`; the history before its first
//! token is `<|endoftext|>` repeated (the previous story's end), so the models learn how
//! stories start. The formulas (Chen & Goodman 1998, interpolated Kneser-Ney, one discount
//! per order), for the highest order n with raw counts `c` and each lower order with
//! continuation counts `c(h w) = |{x : c(x h w) > 0}|`:
//!
//! `p_k(w | h) = max(c(h w) − D_k, 0) / c(h ·) + D_k · N1+(h ·) / c(h ·) · p_{k−1}(w | h′)`,
//!
//! where `h′` drops the oldest token of `h`, `N1+(h ·)` is the number of distinct tokens seen
//! after `h`, `p_0(w) = 1 / V`, `D_k = n1 / (n1 + 2 n2)` from the order's counts of counts
//! (0.5 when there are no singletons or doubletons), and an unseen history falls back to
//! `p_{k−1}`. Every distribution sums to 1 over the whole vocabulary and gives every token
//! positive probability.

use super::bpe::END_OF_TEXT_ID;
use crate::predictor::TokenId;
use std::collections::HashMap;

/// A next-token model over a fixed vocabulary.
pub trait TokenModel {
    /// The vocabulary size V; tokens are `0..V`.
    fn vocab_size(&self) -> usize;
    /// Natural log of the probability of `next` after `history` (the sequence so far).
    fn log_prob(&self, history: &[TokenId], next: TokenId) -> f64;
    /// The probabilities of every next token after `history` (sums to 1).
    fn distribution(&self, history: &[TokenId]) -> Vec<f64>;
}

/// The order of an n-gram model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Order {
    /// No context.
    Unigram,
    /// One token of context.
    Bigram,
    /// Two tokens of context.
    Trigram,
}

impl Order {
    /// n: 1, 2 or 3.
    pub fn n(self) -> usize {
        match self {
            Order::Unigram => 1,
            Order::Bigram => 2,
            Order::Trigram => 3,
        }
    }

    /// The model's name ("unigram", "bigram", "trigram").
    pub fn name(self) -> &'static str {
        match self {
            Order::Unigram => "unigram",
            Order::Bigram => "bigram",
            Order::Trigram => "trigram",
        }
    }
}

/// Bits per token id in a packed context key.
const BITS: u32 = 21;

/// The counts after one context at one order.
#[derive(Clone, Debug, Default)]
struct Counts {
    total: f64,
    next: HashMap<u32, f64>,
}

/// One order's counts (raw at the top, continuation below) and its discount.
#[derive(Clone, Debug, Default)]
struct Level {
    discount: f64,
    contexts: HashMap<u64, Counts>,
}

/// An interpolated Kneser-Ney n-gram model.
#[derive(Clone, Debug)]
pub struct NgramModel {
    order: Order,
    vocab: usize,
    /// `levels[k - 1]` holds order k.
    levels: Vec<Level>,
}

/// Packs the last `k` tokens of `hist` (padded on the left with the end token), oldest first.
fn key(hist: &[TokenId], k: usize) -> u64 {
    (0..k).fold(0u64, |acc, i| {
        let t = if hist.len() + i >= k {
            hist[hist.len() + i - k].0
        } else {
            END_OF_TEXT_ID.0
        };
        (acc << BITS) | u64::from(t)
    })
}

impl NgramModel {
    /// Counts the training `sequences` (each a story's tokens ending with the end token) over a
    /// vocabulary of `vocab` tokens (below 2^21).
    pub fn fit(order: Order, vocab: usize, sequences: &[Vec<TokenId>]) -> NgramModel {
        assert!(
            vocab < 1 << BITS,
            "vocabulary of {vocab} tokens is too large"
        );
        let n = order.n();
        let mut levels = vec![Level::default(); n];
        {
            let top = &mut levels[n - 1];
            for seq in sequences {
                for i in 0..seq.len() {
                    let c = top.contexts.entry(key(&seq[..i], n - 1)).or_default();
                    *c.next.entry(seq[i].0).or_insert(0.0) += 1.0;
                }
            }
        }
        for k in (1..n).rev() {
            let mut lower: HashMap<u64, Counts> = HashMap::new();
            let mask = (1u64 << (BITS * (k as u32 - 1))) - 1;
            for (&ctx, counts) in &levels[k].contexts {
                let c = lower.entry(ctx & mask).or_default();
                for &w in counts.next.keys() {
                    *c.next.entry(w).or_insert(0.0) += 1.0;
                }
            }
            levels[k - 1].contexts = lower;
        }
        for level in &mut levels {
            let (mut n1, mut n2) = (0.0, 0.0);
            for c in level.contexts.values_mut() {
                c.total = c.next.values().sum();
                for &v in c.next.values() {
                    if v == 1.0 {
                        n1 += 1.0;
                    } else if v == 2.0 {
                        n2 += 1.0;
                    }
                }
            }
            level.discount = if n1 > 0.0 && n2 > 0.0 {
                n1 / (n1 + 2.0 * n2)
            } else {
                0.5
            };
        }
        NgramModel {
            order,
            vocab,
            levels,
        }
    }

    /// The model's order.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The discounts `D_1..D_n`.
    pub fn discounts(&self) -> Vec<f64> {
        self.levels.iter().map(|l| l.discount).collect()
    }

    /// Number of stored n-grams over all orders (the model's size).
    pub fn parameters(&self) -> usize {
        self.levels
            .iter()
            .flat_map(|l| l.contexts.values())
            .map(|c| c.next.len())
            .sum()
    }

    fn prob(&self, k: usize, hist: &[TokenId], w: TokenId) -> f64 {
        if k == 0 {
            return 1.0 / self.vocab as f64;
        }
        let lower = self.prob(k - 1, hist, w);
        let level = &self.levels[k - 1];
        match level.contexts.get(&key(hist, k - 1)) {
            None => lower,
            Some(c) => {
                let cw = c.next.get(&w.0).copied().unwrap_or(0.0);
                let d = level.discount;
                ((cw - d).max(0.0) + d * c.next.len() as f64 * lower) / c.total
            }
        }
    }
}

impl TokenModel for NgramModel {
    fn vocab_size(&self) -> usize {
        self.vocab
    }

    fn log_prob(&self, history: &[TokenId], next: TokenId) -> f64 {
        self.prob(self.order.n(), history, next).ln()
    }

    fn distribution(&self, history: &[TokenId]) -> Vec<f64> {
        let mut p = vec![1.0 / self.vocab as f64; self.vocab];
        for (k, level) in self.levels.iter().enumerate() {
            if let Some(c) = level.contexts.get(&key(history, k)) {
                let backoff = level.discount * c.next.len() as f64 / c.total;
                p.iter_mut().for_each(|x| *x *= backoff);
                for (&w, &cw) in &c.next {
                    p[w as usize] += (cw - level.discount).max(0.0) / c.total;
                }
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs() -> Vec<Vec<TokenId>> {
        let s = |v: &[u32]| {
            v.iter()
                .map(|&t| TokenId(t))
                .chain([END_OF_TEXT_ID])
                .collect()
        };
        vec![s(&[1, 2, 3, 1, 2, 4]), s(&[1, 2, 3]), s(&[5, 2, 3, 3])]
    }

    #[test]
    fn distributions_sum_to_one_and_match_log_prob() {
        for order in [Order::Unigram, Order::Bigram, Order::Trigram] {
            let m = NgramModel::fit(order, 300, &seqs());
            for hist in [
                &[][..],
                &[TokenId(1)],
                &[TokenId(1), TokenId(2)],
                &[TokenId(9), TokenId(8)],
            ] {
                let p = m.distribution(hist);
                assert!(
                    (p.iter().sum::<f64>() - 1.0).abs() < 1e-9,
                    "{order:?} {hist:?}"
                );
                assert!(p.iter().all(|&x| x > 0.0));
                for w in [0, 2, 3, 256] {
                    assert!((p[w].ln() - m.log_prob(hist, TokenId(w as u32))).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn context_sharpens_prediction() {
        let m = NgramModel::fit(Order::Trigram, 300, &seqs());
        let p = m.distribution(&[TokenId(1), TokenId(2)]);
        let best = (0..300).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(best, 3);
        let u = NgramModel::fit(Order::Unigram, 300, &seqs());
        assert!(m.log_prob(&[TokenId(1), TokenId(2)], TokenId(3)) > u.log_prob(&[], TokenId(3)));
        assert_eq!(m.discounts().len(), 3);
    }
}
