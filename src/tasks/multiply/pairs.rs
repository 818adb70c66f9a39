//! The operand pairs of 4-digit multiplication and their fixed train/validation/test split,
//! below the chains of thought (which turn a [`Pair`] into tokens) and the
//! [`Dataset`](super::data::Dataset) (which iterates one split's chains).
//!
//! Operands run over `1111..=9999` (the paper's range: 8,889 values, 79,014,321 ordered pairs).
//! The split is the paper's own rule, ported from `torch_datasets/product.py` of
//! emalach/LinearLM (`ProductDataset._is_train`, with `min_num = 1111`, `max_num = 10000`):
//!
//! ```text
//! count = (10000 − 1111)² = 8889²
//! idx   = (a − 1111) + 8889·(b − 1111)          (a: the first operand, b: the second)
//! train ⇔ (idx · PRIME) mod count > count // 4,  PRIME = 277149838960172320159769184791
//! ```
//!
//! In the paper's code `idx` is a numpy int64 array and `PRIME` does not fit 64 bits, so
//! numpy 1.x multiplies as Python integers (object arrays): the product and the remainder are
//! exact, which is what [`residue`] computes (in `u64`, with `PRIME` reduced modulo `count`
//! first: `(idx·PRIME) mod count = (idx·(PRIME mod count)) mod count`). Since
//! `gcd(PRIME mod count, count) = 1`, `idx ↦ residue` is a permutation of `0..count`, so the
//! counts follow by arithmetic: the residues `> count//4` are `count − 1 − count//4 =
//! 59,260,740` training pairs, the rest `count//4 + 1 = 19,753,581` the paper's validation
//! pairs (both also counted pair by pair in `tests/multiply_data.rs`).
//!
//! arsim divides the paper's validation quarter once more, by the same residue, so that
//! tuning and the reported number use different pairs: residues in `count//8 < r ≤ count//4`
//! are [`Split::Validation`] (9,876,790 pairs, scored while tuning), residues `r ≤ count//8`
//! are [`Split::Test`] (9,876,791 pairs, scored once for a reported row). Neither half was
//! ever trained on by the paper's rule, and each is a uniform half of the paper's validation
//! set, so a score on either estimates the paper's validation accuracy.

use super::error::MultiplyError;
use serde::Serialize;

/// The smallest operand.
pub const MIN_OPERAND: u32 = 1111;
/// The largest operand.
pub const MAX_OPERAND: u32 = 9999;
/// Operands in `MIN_OPERAND..=MAX_OPERAND`: 8,889.
pub const PAIRS_PER_OPERAND: u64 = (MAX_OPERAND - MIN_OPERAND + 1) as u64;
/// All ordered pairs: 8,889² = 79,014,321 (the paper's `count`).
pub const TOTAL_PAIRS: u64 = PAIRS_PER_OPERAND * PAIRS_PER_OPERAND;
/// The paper's multiplier of the split hash (`PRIME` in `torch_datasets/product.py`).
pub const PAPER_PRIME: u128 = 277_149_838_960_172_320_159_769_184_791;
/// `PAPER_PRIME mod TOTAL_PAIRS` (33,189,608; coprime to `TOTAL_PAIRS`).
pub const PRIME_MOD_PAIRS: u64 = (PAPER_PRIME % TOTAL_PAIRS as u128) as u64;
/// The paper's threshold `count // 4`: residues above it are training pairs.
pub const TRAIN_THRESHOLD: u64 = TOTAL_PAIRS / 4;
/// arsim's threshold `count // 8` inside the paper's validation quarter: residues at or below
/// it are test pairs, the others validation pairs.
pub const TEST_THRESHOLD: u64 = TOTAL_PAIRS / 8;
/// The pairs the paper trains on: 59,260,740 (75.000%).
pub const TRAIN_PAIRS: u64 = TOTAL_PAIRS - 1 - TRAIN_THRESHOLD;
/// The paper's validation pairs, [`Split::Validation`] and [`Split::Test`] together: 19,753,581.
pub const HELD_OUT_PAIRS: u64 = TRAIN_THRESHOLD + 1;
/// [`Split::Test`]: 9,876,791.
pub const TEST_PAIRS: u64 = TEST_THRESHOLD + 1;
/// [`Split::Validation`]: 9,876,790.
pub const VALIDATION_PAIRS: u64 = HELD_OUT_PAIRS - TEST_PAIRS;

/// Two operands, each in `1111..=9999`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pair {
    /// The first operand (its digits drive the outer loop of the chains).
    pub a: u32,
    /// The second operand.
    pub b: u32,
}

impl Pair {
    /// The pair, if both operands are in range.
    pub fn new(a: u32, b: u32) -> Result<Pair, MultiplyError> {
        for x in [a, b] {
            if !(MIN_OPERAND..=MAX_OPERAND).contains(&x) {
                return Err(MultiplyError::OperandOutOfRange(x));
            }
        }
        Ok(Pair { a, b })
    }

    /// The pair of index `k` in `0..TOTAL_PAIRS`, in order of `a`, then `b`.
    pub fn from_index(k: u64) -> Pair {
        debug_assert!(k < TOTAL_PAIRS);
        Pair {
            a: MIN_OPERAND + (k / PAIRS_PER_OPERAND) as u32,
            b: MIN_OPERAND + (k % PAIRS_PER_OPERAND) as u32,
        }
    }

    /// The index of this pair in `0..TOTAL_PAIRS`.
    pub fn index(self) -> u64 {
        u64::from(self.a - MIN_OPERAND) * PAIRS_PER_OPERAND + u64::from(self.b - MIN_OPERAND)
    }

    /// The product `a·b` (at most 8 digits).
    pub fn product(self) -> u64 {
        u64::from(self.a) * u64::from(self.b)
    }

    /// The digits of `a`, least significant first.
    pub fn digits_a(self) -> [u32; 4] {
        digits(self.a)
    }

    /// The digits of `b`, least significant first.
    pub fn digits_b(self) -> [u32; 4] {
        digits(self.b)
    }

    /// The split this pair belongs to.
    pub fn split(self) -> Split {
        split_of(self.a, self.b)
    }
}

/// The 4 digits of `x`, least significant first.
fn digits(x: u32) -> [u32; 4] {
    [x % 10, x / 10 % 10, x / 100 % 10, x / 1000 % 10]
}

/// Which pairs: the paper's training pairs, or one half of its validation pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// The paper's training pairs (75%).
    Train,
    /// Half of the paper's validation pairs: scored while tuning.
    Validation,
    /// The other half: scored once, for a reported row.
    Test,
}

impl Split {
    /// The number of pairs in this split.
    pub fn len(self) -> u64 {
        match self {
            Split::Train => TRAIN_PAIRS,
            Split::Validation => VALIDATION_PAIRS,
            Split::Test => TEST_PAIRS,
        }
    }

    /// Always false: every split holds millions of pairs.
    pub fn is_empty(self) -> bool {
        false
    }

    /// `train`, `validation` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// The paper's split residue of the pair `(a, b)`: `((a−1111) + 8889·(b−1111))·PRIME mod 8889²`
/// (see the module doc). `a` and `b` must be in `1111..=9999`.
#[inline]
pub fn residue(a: u32, b: u32) -> u64 {
    let idx = u64::from(a - MIN_OPERAND) + PAIRS_PER_OPERAND * u64::from(b - MIN_OPERAND);
    idx * PRIME_MOD_PAIRS % TOTAL_PAIRS
}

/// Whether the paper's code trains on `(a, b)`: `residue(a, b) > 8889² // 4`.
#[inline]
pub fn paper_is_train(a: u32, b: u32) -> bool {
    residue(a, b) > TRAIN_THRESHOLD
}

/// The split of the pair `(a, b)`: [`Split::Train`] exactly when the paper's code trains on it
/// ([`paper_is_train`]); of the rest, [`Split::Test`] when the residue is at most `8889² // 8`,
/// [`Split::Validation`] otherwise.
#[inline]
pub fn split_of(a: u32, b: u32) -> Split {
    let r = residue(a, b);
    if r > TRAIN_THRESHOLD {
        Split::Train
    } else if r > TEST_THRESHOLD {
        Split::Validation
    } else {
        Split::Test
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_check_their_range_and_index_round_trips() {
        assert_eq!(
            Pair::new(1110, 5000),
            Err(MultiplyError::OperandOutOfRange(1110))
        );
        assert_eq!(
            Pair::new(5000, 10_000),
            Err(MultiplyError::OperandOutOfRange(10_000))
        );
        let p = Pair::new(1234, 5678).unwrap();
        assert_eq!(p.digits_a(), [4, 3, 2, 1]);
        assert_eq!(p.digits_b(), [8, 7, 6, 5]);
        assert_eq!(p.product(), 7_006_652);
        for k in [0, 1, 8888, 8889, TOTAL_PAIRS - 1] {
            assert_eq!(Pair::from_index(k).index(), k);
        }
        assert_eq!(Pair::from_index(0), Pair::new(1111, 1111).unwrap());
        assert_eq!(
            Pair::from_index(TOTAL_PAIRS - 1),
            Pair::new(9999, 9999).unwrap()
        );
    }

    #[test]
    fn residue_in_u64_is_the_exact_big_integer_product() {
        // The paper multiplies idx by the full 98-bit PRIME as Python integers; u128 holds
        // that product (idx < 2^27), so compare the reduced u64 form with it directly.
        for (a, b) in [
            (1111, 1111),
            (1112, 1111),
            (1234, 5678),
            (9999, 9999),
            (5000, 1111),
        ] {
            let idx = u128::from(a - 1111) + 8889 * u128::from(b - 1111);
            let exact = (idx * PAPER_PRIME % u128::from(TOTAL_PAIRS)) as u64;
            assert_eq!(residue(a, b), exact, "{a} × {b}");
        }
        assert_eq!(PRIME_MOD_PAIRS, 33_189_608);
        assert_eq!(TRAIN_PAIRS, 59_260_740);
        assert_eq!(HELD_OUT_PAIRS, 19_753_581);
        assert_eq!(VALIDATION_PAIRS + TEST_PAIRS + TRAIN_PAIRS, TOTAL_PAIRS);
    }
}
