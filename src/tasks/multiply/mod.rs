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
//! This file only declares the submodules and re-exports; the pieces several of them share
//! live below them: [`MultiplyError`] (`error`), and the pairs and their split (`pairs`, also
//! re-exported by [`data`]), so that the chains of thought and the data set need not name each
//! other both ways.
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
mod error;
pub mod frontier;
pub mod neural;
mod pairs;
pub mod row;
pub mod tm;
pub mod vocab;

pub use cot::{Chain, CotFormat, ANSWER_DIGITS};
pub use data::Dataset;
pub use error::MultiplyError;
pub use pairs::{
    paper_is_train, split_of, Pair, Split, MAX_OPERAND, MIN_OPERAND, PAIRS_PER_OPERAND, TOTAL_PAIRS,
};
pub use row::{run_row, Model, MultiplyOptions, MultiplyRow, Route, RowError, RowProgress};
pub use vocab::{Vocabulary, VOCAB_SIZE};
