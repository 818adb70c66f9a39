//! The [`Dataset`] that iterates one split's chains of thought: every pair of a [`Split`], a
//! fixed seeded sample of it, or seeded draws with replacement, each pair turned into a
//! [`Chain`] by a [`CotFormat`].
//!
//! The pairs and the split rule are in `pairs` (re-exported here, so `data::Pair`,
//! `data::split_of` and the split's constants keep their paths).

use super::cot::{Chain, CotFormat};
pub use super::pairs::{
    paper_is_train, residue, split_of, Pair, Split, HELD_OUT_PAIRS, MAX_OPERAND, MIN_OPERAND,
    PAIRS_PER_OPERAND, PAPER_PRIME, PRIME_MOD_PAIRS, TEST_PAIRS, TEST_THRESHOLD, TOTAL_PAIRS,
    TRAIN_PAIRS, TRAIN_THRESHOLD, VALIDATION_PAIRS,
};
use std::collections::HashSet;

/// SplitMix64's output function (Steele, Lea, Flood 2014): a fixed bijective 64-bit mix,
/// `z += 0x9E3779B97F4A7C15; z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB;
/// z ^ z>>31`, all wrapping. The seeded samples and training draws use it; the split does not.
#[inline]
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic stream of 64-bit values: SplitMix64 seeded by `seed`.
#[derive(Clone, Debug)]
struct SplitMix {
    state: u64,
}

impl SplitMix {
    fn next(&mut self) -> u64 {
        let s = self.state;
        self.state = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(s)
    }

    /// A value in `0..n` (multiply-high; the bias is below n/2⁶⁴).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// One split's chains of thought in one format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// The pairs it draws from.
    pub split: Split,
    /// The chain of thought each pair becomes.
    pub format: CotFormat,
}

impl Dataset {
    /// The chains of `format` over the pairs of `split`.
    pub fn new(split: Split, format: CotFormat) -> Dataset {
        Dataset { split, format }
    }

    /// Every pair of the split, in order of `a`, then `b` ([`Split::len`] of them).
    pub fn pairs(&self) -> impl Iterator<Item = Pair> {
        let split = self.split;
        (0..TOTAL_PAIRS)
            .map(Pair::from_index)
            .filter(move |p| p.split() == split)
    }

    /// Every chain of the split, in the order of [`Dataset::pairs`].
    pub fn chains(&self) -> impl Iterator<Item = Chain> {
        let format = self.format;
        self.pairs().map(move |p| format.chain(p))
    }

    /// A fixed sample of `n` distinct pairs of the split, the same for the same `(n, seed)`:
    /// pairs drawn uniformly by SplitMix64 seeded with `seed`, kept if in the split and new, in
    /// draw order. When more than half the split is asked for, the half or less left out is
    /// drawn that way instead and the rest is returned in the order of [`Dataset::pairs`]; `n`
    /// at or above the split's size gives the whole split.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<Pair> {
        let size = self.split.len();
        let n64 = n as u64;
        if n64 >= size {
            return self.pairs().collect();
        }
        let mut rng = SplitMix { state: seed };
        let mut draw = |k: u64| {
            let mut seen = HashSet::with_capacity(k as usize);
            let mut order = Vec::with_capacity(k as usize);
            while (order.len() as u64) < k {
                let p = Pair::from_index(rng.below(TOTAL_PAIRS));
                if p.split() == self.split && seen.insert(p) {
                    order.push(p);
                }
            }
            (seen, order)
        };
        if 2 * n64 <= size {
            draw(n64).1
        } else {
            let (left_out, _) = draw(size - n64);
            self.pairs().filter(|p| !left_out.contains(p)).collect()
        }
    }

    /// `n` pairs of the split drawn uniformly with replacement by SplitMix64 seeded with
    /// `seed` (a training batch: no bookkeeping, the same for the same `(n, seed)`).
    pub fn draw(&self, n: usize, seed: u64) -> Vec<Pair> {
        let mut rng = SplitMix { state: seed };
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let p = Pair::from_index(rng.below(TOTAL_PAIRS));
            if p.split() == self.split {
                out.push(p);
            }
        }
        out
    }

    /// The chains of [`Dataset::sample`]`(n, seed)`, in the same order.
    pub fn sample_chains(&self, n: usize, seed: u64) -> Vec<Chain> {
        self.sample(n, seed)
            .into_iter()
            .map(|p| self.format.chain(p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix64_is_splitmix64() {
        // SplitMix64 seeded with 0 yields these first (reference values of the algorithm).
        let mut r = SplitMix { state: 0 };
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn small_samples_are_distinct_fixed_and_in_the_split() {
        for split in [Split::Train, Split::Validation, Split::Test] {
            let d = Dataset::new(split, CotFormat::None);
            let s = d.sample(1000, 7);
            assert_eq!(s.len(), 1000);
            assert_eq!(s, d.sample(1000, 7));
            assert_ne!(s, d.sample(1000, 8));
            assert!(s.iter().all(|p| p.split() == split));
            assert_eq!(s.iter().collect::<HashSet<_>>().len(), 1000);
            assert_eq!(d.sample_chains(3, 7)[2].pair, s[2]);
        }
    }
}
