//! arsim's byte-level BPE ([`Bpe`]) as a Hugging Face `tokenizers` file (`tokenizer.json`),
//! so `tokenizers.Tokenizer.from_file` encodes text to the same ids as [`Bpe::encode`].
//!
//! Beside the pipeline: `arsim task text --hf-tokenizer` and the Python package write it.
//! The file reproduces arsim's three stages with `tokenizers`' own parts:
//!
//! 1. `<|endoftext|>` is an added special token with id 256, split out before anything else
//!    (as [`Bpe::encode`] splits on it);
//! 2. a `Split` pre-tokenizer whose regex ([`PRETOKENIZE_REGEX`]) cuts the same chunks as
//!    [`pretokenize`](super::bpe::pretokenize), then a `ByteLevel` pre-tokenizer without its
//!    own regex, which maps each byte to GPT-2's printable character for it;
//! 3. a `BPE` model whose vocabulary is every token's bytes under that mapping and whose merges
//!    are arsim's, in rank order. Lowest rank first, leftmost first, is the rule of both.
//!
//! The `ByteLevel` decoder maps the characters back to bytes. A `tokenizers` vocabulary maps a
//! string to one id, so a tokenizer in which two merges spell the same bytes has no such file:
//! [`to_json`] refuses it with [`HfTokenizerError::DuplicatePiece`] rather than write a file
//! that would encode differently.

use super::bpe::{Bpe, END_OF_TEXT_ID};
use super::corpus::END_OF_TEXT;
use crate::fs::{write_atomic, WriteError};
use crate::predictor::TokenId;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// The chunks of [`pretokenize`](super::bpe::pretokenize) as an Oniguruma regex (the engine
/// `tokenizers` uses): an optional single space and a run of one class (alphabetic; numeric and
/// not alphabetic; neither and not white space), else a run of white space that leaves its last
/// space to the next chunk when a non-space follows, else a run of white space.
pub const PRETOKENIZE_REGEX: &str = concat!(
    r" ?\p{Alphabetic}+",
    r"| ?(?:(?!\p{Alphabetic})\p{N})+",
    r"| ?[^\p{White_Space}\p{Alphabetic}\p{N}]+",
    r"|\p{White_Space}+(?= [^\p{White_Space}])",
    r"|\p{White_Space}+",
);

/// Why a tokenizer has no `tokenizers` file.
#[derive(Debug, thiserror::Error)]
pub enum HfTokenizerError {
    /// Two tokens spell the same bytes; a `tokenizers` vocabulary cannot tell them apart.
    #[error("tokens {first} and {second} both stand for the bytes {piece:?}; a tokenizers vocabulary maps each string to one id, so no tokenizer.json encodes like this tokenizer")]
    DuplicatePiece {
        /// The lower id.
        first: u32,
        /// The higher id.
        second: u32,
        /// Their bytes (lossy UTF-8).
        piece: String,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// GPT-2's byte → character table of the `ByteLevel` pre-tokenizer: printable Latin-1 bytes
/// stand for themselves, the other 68 for U+0100 onwards, in byte order.
pub fn byte_to_char() -> [char; 256] {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..256u32 {
        let code = if printable(b) {
            b
        } else {
            next += 1;
            next - 1
        };
        // Every code here is below U+0144: a valid scalar value.
        table[b as usize] = char::from_u32(code).unwrap_or('\u{FFFD}');
    }
    table
}

/// The `tokenizers` JSON of `bpe`.
pub fn to_json(bpe: &Bpe) -> Result<String, HfTokenizerError> {
    let table = byte_to_char();
    let spell = |t: u32| -> String {
        bpe.piece(TokenId(t))
            .iter()
            .map(|&b| table[b as usize])
            .collect()
    };
    let mut vocab = Map::new();
    let mut seen: HashMap<&[u8], u32> = HashMap::new();
    for t in 0..bpe.vocab_size() as u32 {
        let piece = bpe.piece(TokenId(t));
        if let Some(&first) = seen.get(piece) {
            return Err(HfTokenizerError::DuplicatePiece {
                first,
                second: t,
                piece: String::from_utf8_lossy(piece).into_owned(),
            });
        }
        seen.insert(piece, t);
        let name = if TokenId(t) == END_OF_TEXT_ID {
            END_OF_TEXT.to_string()
        } else {
            spell(t)
        };
        vocab.insert(name, json!(t));
    }
    // "a b" strings: the ByteLevel alphabet has no space, and every tokenizers version reads them.
    let merges: Vec<Value> = bpe
        .merges()
        .map(|(a, b)| json!(format!("{} {}", spell(a.0), spell(b.0))))
        .collect();
    let byte_level = json!({
        "type": "ByteLevel",
        "add_prefix_space": false,
        "trim_offsets": false,
        "use_regex": false,
    });
    let file = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [{
            "id": END_OF_TEXT_ID.0,
            "content": END_OF_TEXT,
            "single_word": false,
            "lstrip": false,
            "rstrip": false,
            "normalized": false,
            "special": true,
        }],
        "normalizer": null,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": { "Regex": PRETOKENIZE_REGEX },
                    "behavior": "Isolated",
                    "invert": false,
                },
                byte_level,
            ],
        },
        "post_processor": null,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": false,
            "vocab": vocab,
            "merges": merges,
        },
    });
    Ok(serde_json::to_string_pretty(&file).expect("a JSON value serialises"))
}

/// Writes the `tokenizers` file of `bpe` to `path` (whole, or not at all).
pub fn write(bpe: &Bpe, path: &Path) -> Result<(), HfTokenizerError> {
    let text = to_json(bpe)?;
    write_atomic(path, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_gpt2s_and_one_to_one() {
        let t = byte_to_char();
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        assert_eq!(t[0], 'Ā');
        let distinct: std::collections::HashSet<char> = t.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn file_lists_every_token_once_and_the_merges_in_rank_order() {
        let stories = ["the cat sat on the mat.\n", "the cat ate the hat.\n"];
        let bpe = Bpe::train(&stories, 270);
        let v: Value = serde_json::from_str(&to_json(&bpe).unwrap()).unwrap();
        let vocab = v["model"]["vocab"].as_object().unwrap();
        assert_eq!(vocab.len(), bpe.vocab_size());
        assert_eq!(vocab["<|endoftext|>"], json!(256));
        assert_eq!(vocab["Ġ"], json!(u32::from(b' ')));
        let merges = v["model"]["merges"].as_array().unwrap();
        assert_eq!(merges.len(), bpe.vocab_size() - 257);
        // The first merge's result is token 257, spelled as its two halves joined.
        let first = merges[0].as_str().unwrap().replace(' ', "");
        assert_eq!(vocab[&first], json!(257));
    }
}
