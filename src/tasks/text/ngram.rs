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
//!
//! [`Smoothing::ModifiedKneserNey`] (Chen & Goodman 1998, §3: the standard baseline) uses
//! three discounts per order, by the count being discounted: with `Y = n1 / (n1 + 2 n2)`,
//! `D1 = 1 − 2Y·n2/n1`, `D2 = 2 − 3Y·n3/n2`, `D3+ = 3 − 4Y·n4/n3` (`n_i`: the order's number of
//! n-grams seen exactly `i` times), and the back-off weight of a history is
//! `(D1·N1(h ·) + D2·N2(h ·) + D3+·N3+(h ·)) / c(h ·)` (`N_i(h ·)`: tokens seen exactly `i`
//! times after `h`). An order whose counts of counts give a discount outside `(0, i]` (a tiny
//! corpus) falls back to the single discount for all three.

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

/// How counts are discounted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Smoothing {
    /// Interpolated Kneser-Ney with one discount per order.
    #[default]
    KneserNey,
    /// Modified Kneser-Ney: three discounts per order (counts 1, 2, 3 and more).
    ModifiedKneserNey,
}

/// The counts after one context at one order.
#[derive(Clone, Debug, Default)]
struct Counts {
    total: f64,
    /// The discounted mass, `Σ_w D(c(h w))`: the back-off weight times `total`.
    mass: f64,
    next: HashMap<u32, f64>,
}

/// One order's counts (raw at the top, continuation below) and its discounts for counts 1, 2
/// and 3 or more (all equal under [`Smoothing::KneserNey`]).
#[derive(Clone, Debug, Default)]
struct Level {
    discounts: [f64; 3],
    contexts: HashMap<u64, Counts>,
}

impl Level {
    /// The discount of a count `c ≥ 1`.
    fn discount(&self, c: f64) -> f64 {
        self.discounts[(c as usize).clamp(1, 3) - 1]
    }
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
    /// vocabulary of `vocab` tokens (below 2^21), with one discount per order.
    pub fn fit(order: Order, vocab: usize, sequences: &[Vec<TokenId>]) -> NgramModel {
        NgramModel::fit_with(order, vocab, sequences, Smoothing::KneserNey)
    }

    /// [`NgramModel::fit`] with the given smoothing.
    pub fn fit_with(
        order: Order,
        vocab: usize,
        sequences: &[Vec<TokenId>],
        smoothing: Smoothing,
    ) -> NgramModel {
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
            // n[i]: n-grams of this order seen exactly i + 1 times (i < 4).
            let mut n = [0f64; 4];
            for c in level.contexts.values_mut() {
                c.total = c.next.values().sum();
                for &v in c.next.values() {
                    if (1.0..=4.0).contains(&v) {
                        n[v as usize - 1] += 1.0;
                    }
                }
            }
            let single = if n[0] > 0.0 && n[1] > 0.0 {
                n[0] / (n[0] + 2.0 * n[1])
            } else {
                0.5
            };
            level.discounts = [single; 3];
            if smoothing == Smoothing::ModifiedKneserNey && n.iter().all(|&x| x > 0.0) {
                let y = single;
                let d = [
                    1.0 - 2.0 * y * n[1] / n[0],
                    2.0 - 3.0 * y * n[2] / n[1],
                    3.0 - 4.0 * y * n[3] / n[2],
                ];
                if d.iter()
                    .enumerate()
                    .all(|(i, &x)| x > 0.0 && x <= (i + 1) as f64)
                {
                    level.discounts = d;
                }
            }
            let discounts = level.discounts;
            for c in level.contexts.values_mut() {
                c.mass = c
                    .next
                    .values()
                    .map(|&v| discounts[(v as usize).clamp(1, 3) - 1])
                    .sum();
            }
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

    /// The discounts `D_1..D_n` (for modified Kneser-Ney, each order's discount of count 1).
    pub fn discounts(&self) -> Vec<f64> {
        self.levels.iter().map(|l| l.discounts[0]).collect()
    }

    /// Each order's discounts for counts 1, 2 and 3 or more.
    pub fn discount_triples(&self) -> Vec<[f64; 3]> {
        self.levels.iter().map(|l| l.discounts).collect()
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
                let own = if cw > 0.0 {
                    (cw - level.discount(cw)).max(0.0)
                } else {
                    0.0
                };
                (own + c.mass * lower) / c.total
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
                let backoff = c.mass / c.total;
                p.iter_mut().for_each(|x| *x *= backoff);
                for (&w, &cw) in &c.next {
                    p[w as usize] += (cw - level.discount(cw)).max(0.0) / c.total;
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
    fn modified_discounts_follow_chen_and_goodman() {
        // Counts of counts n1..n4 = 4, 2, 1, 1: tokens 1–4 once, 5 and 6 twice, 7 three
        // times, 8 four times (15 tokens).
        let s = |v: &[u32]| v.iter().map(|&t| TokenId(t)).collect::<Vec<_>>();
        let seq = s(&[1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 8]);
        let m = NgramModel::fit_with(Order::Unigram, 300, &[seq], Smoothing::ModifiedKneserNey);
        let y = 4.0 / (4.0 + 2.0 * 2.0);
        let want = [
            1.0 - 2.0 * y * 2.0 / 4.0,
            2.0 - 3.0 * y * 1.0 / 2.0,
            3.0 - 4.0 * y * 1.0 / 1.0,
        ];
        assert_eq!(want, [0.5, 1.25, 1.0]);
        assert_eq!(m.discount_triples()[0], want);
        // The back-off mass: D1·N1 + D2·N2 + D3+·N3+ = 4·0.5 + 2·1.25 + 2·1.0 over 15 tokens.
        let p = m.distribution(&[]);
        assert!((p[9] - 6.5 / 15.0 / 300.0).abs() < 1e-15);
        assert!((p[7] - ((3.0 - 1.0) / 15.0 + 6.5 / 15.0 / 300.0)).abs() < 1e-15);
        // The single-discount model of the same counts: one D = n1 / (n1 + 2 n2) = 0.5.
        let single = NgramModel::fit(
            Order::Unigram,
            300,
            &[s(&[1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 8])],
        );
        assert_eq!(single.discount_triples()[0], [0.5; 3]);
    }

    #[test]
    fn distributions_sum_to_one_and_match_log_prob() {
        for (order, smoothing) in [Order::Unigram, Order::Bigram, Order::Trigram]
            .into_iter()
            .flat_map(|o| [(o, Smoothing::KneserNey), (o, Smoothing::ModifiedKneserNey)])
        {
            let m = NgramModel::fit_with(order, 300, &seqs(), smoothing);
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
