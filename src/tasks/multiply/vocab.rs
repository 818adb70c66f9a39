//! The paper's word-level vocabulary for multiplication: 117 tokens, `[UNK] [BOS] 0 … 9 ( ) + x =`
//! and the 100 joined pair tokens `0x0 … 9x9`, with encoding (text → [`TokenId`]s) and decoding.
//!
//! Ids are fixed: `[UNK]` 0, `[BOS]` 1, digit `d` at `2 + d`, `(` 12, `)` 13, `+` 14, `x` 15,
//! `=` 16, and the pair `a x b` at `17 + 10·a + b`. Words are separated by single spaces.

use super::error::MultiplyError;
use crate::predictor::TokenId;
use std::collections::HashMap;

/// The number of tokens: 17 words and 100 digit pairs.
pub const VOCAB_SIZE: usize = 117;

/// The unknown-word token.
pub const UNK: TokenId = TokenId(0);
/// The beginning-of-sequence token every chain starts with.
pub const BOS: TokenId = TokenId(1);
/// `(`.
pub const OPEN: TokenId = TokenId(12);
/// `)`.
pub const CLOSE: TokenId = TokenId(13);
/// `+`.
pub const PLUS: TokenId = TokenId(14);
/// `x`, the multiplication sign.
pub const TIMES: TokenId = TokenId(15);
/// `=`.
pub const EQUALS: TokenId = TokenId(16);

/// The token of the decimal digit `d` (`0..=9`).
#[inline]
pub fn digit(d: u32) -> TokenId {
    debug_assert!(d < 10);
    TokenId(2 + d)
}

/// The joined pair token `axb` of the digits `a` and `b` (`0..=9` each).
#[inline]
pub fn pair(a: u32, b: u32) -> TokenId {
    debug_assert!(a < 10 && b < 10);
    TokenId(17 + 10 * a + b)
}

/// The digit a token stands for, if it is a digit token.
#[inline]
pub fn digit_value(t: TokenId) -> Option<u32> {
    (2..12).contains(&t.0).then(|| t.0 - 2)
}

/// The word of each id, in id order.
fn words() -> Vec<String> {
    let mut w: Vec<String> = ["[UNK]", "[BOS]"].iter().map(|s| s.to_string()).collect();
    w.extend((0..10).map(|d| d.to_string()));
    w.extend(["(", ")", "+", "x", "="].iter().map(|s| s.to_string()));
    for a in 0..10 {
        for b in 0..10 {
            w.push(format!("{a}x{b}"));
        }
    }
    w
}

/// The 117-token vocabulary: id ↔ word.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    words: Vec<String>,
    ids: HashMap<String, TokenId>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Self::new()
    }
}

impl Vocabulary {
    /// The paper's vocabulary.
    pub fn new() -> Self {
        let words = words();
        let ids = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), TokenId(i as u32)))
            .collect();
        Vocabulary { words, ids }
    }

    /// The number of tokens (117).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: the vocabulary has 117 tokens.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word of a token, if the id is in the vocabulary.
    pub fn word(&self, t: TokenId) -> Option<&str> {
        self.words.get(t.index()).map(String::as_str)
    }

    /// The id of a word, if it is in the vocabulary.
    pub fn id(&self, word: &str) -> Option<TokenId> {
        self.ids.get(word).copied()
    }

    /// Every word, in id order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The ids of the whitespace-separated words of `text`; a word outside the vocabulary is an
    /// error naming it.
    pub fn encode(&self, text: &str) -> Result<Vec<TokenId>, MultiplyError> {
        text.split_whitespace()
            .enumerate()
            .map(|(position, w)| {
                self.id(w).ok_or_else(|| MultiplyError::UnknownWord {
                    word: w.to_string(),
                    position,
                })
            })
            .collect()
    }

    /// The ids of the words of `text`, words outside the vocabulary read as `[UNK]` (the
    /// paper's tokenizer).
    pub fn encode_lossy(&self, text: &str) -> Vec<TokenId> {
        text.split_whitespace()
            .map(|w| self.id(w).unwrap_or(UNK))
            .collect()
    }

    /// The words of `tokens`, joined by single spaces; an id outside the vocabulary is an error.
    pub fn decode(&self, tokens: &[TokenId]) -> Result<String, MultiplyError> {
        let mut out = String::with_capacity(tokens.len() * 2);
        for (position, &t) in tokens.iter().enumerate() {
            let w = self
                .word(t)
                .ok_or(MultiplyError::UnknownId { id: t.0, position })?;
            if position > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_117_distinct_words_with_the_documented_ids() {
        let v = Vocabulary::new();
        assert_eq!(v.len(), VOCAB_SIZE);
        assert_eq!(v.ids.len(), VOCAB_SIZE);
        assert_eq!(v.id("[UNK]"), Some(UNK));
        assert_eq!(v.id("[BOS]"), Some(BOS));
        assert_eq!(v.id("("), Some(OPEN));
        assert_eq!(v.id(")"), Some(CLOSE));
        assert_eq!(v.id("+"), Some(PLUS));
        assert_eq!(v.id("x"), Some(TIMES));
        assert_eq!(v.id("="), Some(EQUALS));
        for d in 0..10 {
            assert_eq!(v.id(&d.to_string()), Some(digit(d)));
            assert_eq!(digit_value(digit(d)), Some(d));
        }
        assert_eq!(v.id("0x0"), Some(TokenId(17)));
        assert_eq!(v.id("9x9"), Some(TokenId(116)));
        assert_eq!(v.id("4x8"), Some(pair(4, 8)));
        assert_eq!(digit_value(pair(0, 0)), None);
    }

    #[test]
    fn encode_decode_round_trip_and_errors() {
        let v = Vocabulary::new();
        let text = "[BOS] 1 2 x 3 4 = ( 2x4 + 1x3 ) [UNK]";
        let ids = v.encode(text).unwrap();
        assert_eq!(v.decode(&ids).unwrap(), text);
        assert_eq!(
            v.encode("1 2 * 3"),
            Err(MultiplyError::UnknownWord {
                word: "*".into(),
                position: 2
            })
        );
        assert_eq!(v.encode_lossy("1 * 3")[1], UNK);
        assert_eq!(
            v.decode(&[BOS, TokenId(117)]),
            Err(MultiplyError::UnknownId {
                id: 117,
                position: 1
            })
        );
    }
}
