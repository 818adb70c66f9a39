//! [`MultiplyError`], what can go wrong building or reading multiplication data: the one error
//! type of the pairs, the vocabulary and the chains of thought, kept apart so that each of
//! them can name it without naming the others.

use thiserror::Error;

/// What can go wrong building or reading multiplication data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MultiplyError {
    /// An operand outside `1111..=9999`.
    #[error("operand {0} is outside 1111..=9999")]
    OperandOutOfRange(u32),
    /// A word of a text that is not in the vocabulary.
    #[error("word {word:?} at position {position} is not in the 117-token vocabulary")]
    UnknownWord {
        /// The word.
        word: String,
        /// Its index among the words of the text.
        position: usize,
    },
    /// A token id at or above the vocabulary size.
    #[error("token id {id} at position {position} is outside the vocabulary (size 117)")]
    UnknownId {
        /// The id.
        id: u32,
        /// Its index in the sequence.
        position: usize,
    },
    /// A chain-of-thought name that is not one of `paper`, `none`, `carry`.
    #[error("unknown chain of thought {0:?} (expected paper, none or carry)")]
    UnknownFormat(String),
}
