//! 4-digit multiplication, the paper's headline experiment: its data layer.
//!
//! Operands are `1111..=9999` ([`Pair`]); every pair belongs to the train, validation or test
//! [`Split`] by the paper's own rule ([`split_of`]: 75% train, the paper's validation quarter
//! halved into validation and test); a [`CotFormat`] turns a pair
//! into a [`Chain`] of [`TokenId`](crate::predictor::TokenId)s of the 117-token word-level
//! [`Vocabulary`], with the prompt length and the 8 answer positions an evaluator scores; a
//! [`Dataset`] iterates one split (all of it, or a fixed seeded sample) in one format.
//! [`row`] runs one row of the results table on it ([`run_row`]): a network on a token
//! chain, or the Turing machine's compiled or learned predictor.
//!
//! ```
//! use arsim::tasks::multiply::{CotFormat, Pair, Vocabulary};
//! let vocab = Vocabulary::new();
//! let chain = CotFormat::Paper.chain(Pair::new(1234, 5678).unwrap());
//! assert_eq!(chain.tokens.len(), 307);
//! assert_eq!(chain.answer_value(), Some(1234 * 5678));
//! assert!(vocab.decode(&chain.tokens).unwrap().ends_with("= 0 7 0 0 6 6 5 2"));
//! ```

pub mod cot;
pub mod data;
pub mod frontier;
pub mod neural;
pub mod row;
pub mod tm;
pub mod vocab;

pub use cot::{Chain, CotFormat, ANSWER_DIGITS};
pub use data::{
    paper_is_train, split_of, Dataset, Pair, Split, MAX_OPERAND, MIN_OPERAND, PAIRS_PER_OPERAND,
    TOTAL_PAIRS,
};
pub use row::{run_row, Model, MultiplyOptions, MultiplyRow, Route, RowError, RowProgress};
pub use vocab::{Vocabulary, VOCAB_SIZE};

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
