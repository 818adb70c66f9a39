//! The chains of thought for 4-digit multiplication: a [`CotFormat`] turns a [`Pair`] into a
//! [`Chain`], the token sequence a model is trained on, with where generation starts (after the
//! prompt `[BOS] a₃ a₂ a₁ a₀ x b₃ b₂ b₁ b₀ =`, 11 tokens in every format) and where the 8
//! answer digits are (the last 8 tokens in every format), so an evaluator can score exact match
//! and per-digit accuracy.
//!
//! Every format has one fixed length, whatever the operands:
//!
//! | format | tokens | what follows the prompt |
//! |---|---|---|
//! | `paper` | 307 | the paper's place-value chain |
//! | `none` | 19 | the answer only |
//! | `carry` | 75 | schoolbook rows with running sums and carries, least significant digit first |

use super::error::MultiplyError;
use super::pairs::Pair;
use super::vocab::{digit, digit_value, pair, BOS, CLOSE, EQUALS, OPEN, PLUS, TIMES};
use crate::predictor::TokenId;
use serde::Serialize;
use std::ops::Range;
use std::str::FromStr;

/// The answer's digits: a product of two 4-digit numbers, zero-padded to 8.
pub const ANSWER_DIGITS: usize = 8;

/// The prompt's tokens: `[BOS]`, 4 digits, `x`, 4 digits, `=`.
pub const PROMPT_LEN: usize = 11;

/// A chain of thought for multiplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum CotFormat {
    /// The paper's chain, 307 tokens. For 1234 × 5678:
    ///
    /// `[BOS] 1 2 3 4 x 5 6 7 8 = ( 4 x 1 + 3 x 1 0 + 2 x 1 0 0 + 1 x 1 0 0 0 ) x ( 8 x 1 + 7 x
    /// 1 0 + 6 x 1 0 0 + 5 x 1 0 0 0 ) = 4x8 x 1 x 1 + 4x7 x 1 x 1 0 + … + 1x5 x 1 0 0 0 x 1 0 0
    /// 0 = 3 2 + 2 8 0 + … + 0 5 0 0 0 0 0 0 = 0 7 0 0 6 6 5 2`
    ///
    /// With aᵢ, bⱼ the digits of place 10ⁱ, 10ʲ (least significant first, i the outer loop), the
    /// 307 tokens are: the prompt, 11; each operand's place-value decomposition `( a₀ x 1 + a₁ x
    /// 1 0 + a₂ x 1 0 0 + a₃ x 1 0 0 0 )`, 4 terms of 3 + i tokens (18), 3 `+`, 2 brackets = 23,
    /// twice, with `x` between and `=` after: 48; the 16 digit-pair terms `aᵢxbⱼ x 10ⁱ x 10ʲ`,
    /// 3 + (i + 1) + (j + 1) tokens each = 128, with 15 `+` and an `=`: 144; the 16 partial
    /// products aᵢ·bⱼ·10ⁱ⁺ʲ, each zero-padded to i + j + 2 digits (one more than 10ⁱ⁺ʲ has) =
    /// 32 + 48 = 80, with 15 `+` and an `=`: 96; the answer, 8. 11 + 48 + 144 + 96 + 8 = 307.
    Paper,
    /// No chain: the prompt and the 8 answer digits, 19 tokens:
    /// `[BOS] 1 2 3 4 x 5 6 7 8 = 0 7 0 0 6 6 5 2`.
    None,
    /// Schoolbook rows with running sums and carries, least significant digit first, 75 tokens.
    /// For 1234 × 5678:
    ///
    /// `[BOS] 1 2 3 4 x 5 6 7 8 = 4x8 3 2 3x8 2 7 2x8 1 8 1x8 0 9 0 + 4x7 3 5 3x7 3 2 2x7 2 6
    /// 1x7 0 9 0 + 4x6 2 6 3x6 2 6 2x6 2 3 1x6 0 8 0 + 4x5 2 6 3x5 2 0 2x5 2 0 1x5 0 7 0 = 0 7
    /// 0 0 6 6 5 2`
    ///
    /// Row j (one per digit bⱼ of the second operand) adds a·bⱼ·10ʲ to the running sum S (0
    /// before row 0). Its step i (a's digits, least significant first) emits the pair token
    /// `aᵢxbⱼ` (a copy of two prompt digits), then the carry c and the digit d of
    /// v = S[i+j] + aᵢ·bⱼ + c′ = 10c + d, where c′ is the carry of step i − 1 (0 at step 0)
    /// three tokens back and S[i+j] is the digit the previous row wrote at that place (the `d` of
    /// its step i + 1, or its last token when i = 3). v ≤ 9 + 81 + 9, so c is one digit. The row
    /// ends with c of step 3, the new digit S[j+4] (nothing was there before). Each token is thus
    /// a function of at most three earlier tokens at fixed offsets. The 75 tokens: the prompt,
    /// 11; 4 rows of 4 × 3 + 1 = 13 tokens, 52, with 3 `+` between rows; `=`; the answer, 8,
    /// most significant first, each digit a copy of the place's last write.
    Carry,
}

impl CotFormat {
    /// Every format.
    pub const ALL: [CotFormat; 3] = [CotFormat::Paper, CotFormat::None, CotFormat::Carry];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            CotFormat::Paper => "paper",
            CotFormat::None => "none",
            CotFormat::Carry => "carry",
        }
    }

    /// The number of tokens of every chain in this format.
    pub fn len(self) -> usize {
        match self {
            CotFormat::Paper => 307,
            CotFormat::None => PROMPT_LEN + ANSWER_DIGITS,
            CotFormat::Carry => PROMPT_LEN + 4 * 13 + 3 + 1 + ANSWER_DIGITS,
        }
    }

    /// Always false: no format is empty.
    pub fn is_empty(self) -> bool {
        false
    }

    /// Where generation starts: the prompt's length (11 in every format).
    pub fn prompt_len(self) -> usize {
        PROMPT_LEN
    }

    /// The positions of the 8 answer digits, most significant first (the last 8 tokens).
    pub fn answer_range(self) -> Range<usize> {
        self.len() - ANSWER_DIGITS..self.len()
    }

    /// The chain of thought of one pair.
    pub fn chain(self, p: Pair) -> Chain {
        let mut tokens = Vec::with_capacity(self.len());
        let (a, b) = (p.digits_a(), p.digits_b());
        tokens.push(BOS);
        tokens.extend(a.iter().rev().map(|&d| digit(d)));
        tokens.push(TIMES);
        tokens.extend(b.iter().rev().map(|&d| digit(d)));
        tokens.push(EQUALS);
        match self {
            CotFormat::Paper => paper_steps(&a, &b, &mut tokens),
            CotFormat::None => {}
            CotFormat::Carry => carry_steps(&a, &b, &mut tokens),
        }
        push_padded(p.product(), ANSWER_DIGITS, &mut tokens);
        debug_assert_eq!(tokens.len(), self.len());
        Chain {
            pair: p,
            format: self,
            tokens,
        }
    }
}

impl std::fmt::Display for CotFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CotFormat {
    type Err = MultiplyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CotFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| MultiplyError::UnknownFormat(s.to_string()))
    }
}

/// `1` followed by `zeros` zeros: the place value 10^zeros.
fn push_place(zeros: usize, out: &mut Vec<TokenId>) {
    out.push(digit(1));
    out.extend(std::iter::repeat_n(digit(0), zeros));
}

/// `value` as `width` digits, most significant first, zero-padded.
fn push_padded(value: u64, width: usize, out: &mut Vec<TokenId>) {
    let start = out.len();
    let mut v = value;
    for _ in 0..width {
        out.push(digit((v % 10) as u32));
        v /= 10;
    }
    debug_assert_eq!(v, 0, "{value} does not fit {width} digits");
    out[start..].reverse();
}

/// The paper's steps after the prompt, up to and including the `=` before the answer.
fn paper_steps(a: &[u32; 4], b: &[u32; 4], out: &mut Vec<TokenId>) {
    for (k, x) in [a, b].into_iter().enumerate() {
        if k > 0 {
            out.push(TIMES);
        }
        out.push(OPEN);
        for (i, &d) in x.iter().enumerate() {
            if i > 0 {
                out.push(PLUS);
            }
            out.extend([digit(d), TIMES]);
            push_place(i, out);
        }
        out.push(CLOSE);
    }
    out.push(EQUALS);
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            if i + j > 0 {
                out.push(PLUS);
            }
            out.extend([pair(ai, bj), TIMES]);
            push_place(i, out);
            out.push(TIMES);
            push_place(j, out);
        }
    }
    out.push(EQUALS);
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            if i + j > 0 {
                out.push(PLUS);
            }
            let value = u64::from(ai * bj) * 10u64.pow((i + j) as u32);
            push_padded(value, i + j + 2, out);
        }
    }
    out.push(EQUALS);
}

/// The `carry` steps after the prompt, up to and including the `=` before the answer.
fn carry_steps(a: &[u32; 4], b: &[u32; 4], out: &mut Vec<TokenId>) {
    let mut sum = [0u32; ANSWER_DIGITS];
    for (j, &bj) in b.iter().enumerate() {
        if j > 0 {
            out.push(PLUS);
        }
        let mut carry = 0;
        for (i, &ai) in a.iter().enumerate() {
            let v = sum[i + j] + ai * bj + carry;
            carry = v / 10;
            sum[i + j] = v % 10;
            out.extend([pair(ai, bj), digit(carry), digit(v % 10)]);
        }
        sum[j + 4] = carry;
        out.push(digit(carry));
    }
    out.push(EQUALS);
}

/// One pair's chain of thought in one format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The operands.
    pub pair: Pair,
    /// The format.
    pub format: CotFormat,
    /// Every token, `[BOS]` first, the answer's 8 digits last.
    pub tokens: Vec<TokenId>,
}

impl Chain {
    /// Where generation starts: the prompt's length.
    pub fn prompt_len(&self) -> usize {
        self.format.prompt_len()
    }

    /// The positions of the 8 answer digits.
    pub fn answer_range(&self) -> Range<usize> {
        self.format.answer_range()
    }

    /// The prompt, `[BOS] a₃ a₂ a₁ a₀ x b₃ b₂ b₁ b₀ =`.
    pub fn prompt(&self) -> &[TokenId] {
        &self.tokens[..self.prompt_len()]
    }

    /// The 8 answer tokens, most significant first.
    pub fn answer(&self) -> &[TokenId] {
        &self.tokens[self.answer_range()]
    }

    /// The number the answer tokens spell, if they are all digits.
    pub fn answer_value(&self) -> Option<u64> {
        read_digits(self.answer())
    }

    /// How many of the 8 answer digits a generated sequence (the whole chain, prompt included)
    /// gets right; positions it lacks count as wrong.
    pub fn digits_correct(&self, generated: &[TokenId]) -> usize {
        self.answer_range()
            .filter(|&k| generated.get(k) == Some(&self.tokens[k]))
            .count()
    }

    /// Whether a generated sequence has all 8 answer digits right (exact match).
    pub fn exact(&self, generated: &[TokenId]) -> bool {
        self.digits_correct(generated) == ANSWER_DIGITS
    }
}

/// The number spelled by digit tokens, most significant first; `None` if one is not a digit.
pub fn read_digits(tokens: &[TokenId]) -> Option<u64> {
    tokens
        .iter()
        .try_fold(0u64, |acc, &t| Some(acc * 10 + u64::from(digit_value(t)?)))
}

#[cfg(test)]
mod tests {
    use super::super::vocab::Vocabulary;
    use super::*;

    fn text(f: CotFormat, a: u32, b: u32) -> String {
        Vocabulary::new()
            .decode(&f.chain(Pair::new(a, b).unwrap()).tokens)
            .unwrap()
    }

    #[test]
    fn carry_chain_of_the_doc_example() {
        assert_eq!(
            text(CotFormat::Carry, 1234, 5678),
            "[BOS] 1 2 3 4 x 5 6 7 8 = 4x8 3 2 3x8 2 7 2x8 1 8 1x8 0 9 0 + 4x7 3 5 3x7 3 2 \
             2x7 2 6 1x7 0 9 0 + 4x6 2 6 3x6 2 6 2x6 2 3 1x6 0 8 0 + 4x5 2 6 3x5 2 0 2x5 2 0 \
             1x5 0 7 0 = 0 7 0 0 6 6 5 2"
        );
        assert_eq!(CotFormat::Carry.len(), 75);
    }

    /// The `carry` chain's documented rule: every token recomputed from at most three earlier
    /// tokens at fixed offsets.
    #[test]
    fn every_carry_token_is_a_function_of_three_earlier_ones() {
        use super::super::data::{Dataset, Split};
        let v = |t: TokenId| digit_value(t).unwrap();
        for p in Dataset::new(Split::Train, CotFormat::Carry).sample(5_000, 1) {
            let t = CotFormat::Carry.chain(p).tokens;
            for j in 0..4 {
                let r = PROMPT_LEN + 14 * j;
                if j > 0 {
                    assert_eq!(t[r - 1], PLUS);
                }
                for i in 0..4 {
                    let (ai, bj) = (v(t[4 - i]), v(t[9 - j]));
                    assert_eq!(t[r + 3 * i], pair(ai, bj));
                    let carry_in = if i == 0 { 0 } else { v(t[r + 3 * i - 2]) };
                    let before = match (j, i) {
                        (0, _) => 0,
                        (_, 3) => v(t[r - 2]),
                        _ => v(t[r + 3 * i - 9]),
                    };
                    let value = before + ai * bj + carry_in;
                    assert_eq!(t[r + 3 * i + 1], digit(value / 10));
                    assert_eq!(t[r + 3 * i + 2], digit(value % 10));
                }
                assert_eq!(t[r + 12], t[r + 10]);
            }
            assert_eq!(t[PROMPT_LEN + 14 * 4 - 1], EQUALS);
            let place = |q: usize| match q {
                0..=2 => PROMPT_LEN + 14 * q + 2,
                3..=6 => PROMPT_LEN + 42 + 3 * (q - 3) + 2,
                _ => PROMPT_LEN + 42 + 12,
            };
            for m in 0..ANSWER_DIGITS {
                assert_eq!(
                    t[CotFormat::Carry.answer_range().start + m],
                    t[place(7 - m)]
                );
            }
        }
    }

    #[test]
    fn none_chain_and_largest_product() {
        assert_eq!(
            text(CotFormat::None, 9999, 9999),
            "[BOS] 9 9 9 9 x 9 9 9 9 = 9 9 9 8 0 0 0 1"
        );
        assert_eq!(
            text(CotFormat::None, 1111, 1111),
            "[BOS] 1 1 1 1 x 1 1 1 1 = 0 1 2 3 4 3 2 1"
        );
    }

    #[test]
    fn names_parse_back_and_unknown_is_an_error() {
        for f in CotFormat::ALL {
            assert_eq!(f.name().parse::<CotFormat>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(
            "tm".parse::<CotFormat>(),
            Err(MultiplyError::UnknownFormat("tm".into()))
        );
    }

    #[test]
    fn scoring_counts_answer_digits() {
        let c = CotFormat::None.chain(Pair::new(1234, 5678).unwrap());
        assert!(c.exact(&c.tokens));
        let mut g = c.tokens.clone();
        g[c.answer_range().start] = digit(9);
        assert_eq!(c.digits_correct(&g), 7);
        assert_eq!(c.digits_correct(&g[..15]), 3);
        assert!(!c.exact(&g));
        assert_eq!(c.answer_value(), Some(7_006_652));
        assert_eq!(read_digits(&[digit(1), BOS]), None);
    }
}
