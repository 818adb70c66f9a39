//! [`TokenId`], the one type every stage shares for a token: dictionaries hand them out,
//! predictors and kernels consume them, the executor stores them. It has a module of its own so
//! that the low-level kernel and the predictors above it both import it without importing each
//! other.

use serde::Serialize;

/// A token of a dictionary: `0..vocab`, and `vocab` itself is the padding token that
/// positions before the start of a trace read as (its weight columns are zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TokenId(pub u32);

impl TokenId {
    /// The id as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
