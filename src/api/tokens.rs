//! Token ids as shells hand them over (any integers: a numpy array may hold negative or huge
//! ones), checked against a vocabulary once, here, so that every function taking ids refuses a
//! bad one with the same words instead of wrapping it or overflowing at the border.

use crate::api::error::ApiError;
use crate::token::TokenId;

/// `ids` as token ids of a vocabulary of `vocab` tokens; `what` names the sequence in the error
/// (`prompt`, `chain 3`), which gives the position and value of the first bad id.
pub fn token_ids(what: &str, ids: &[i64], vocab: usize) -> Result<Vec<TokenId>, ApiError> {
    ids.iter()
        .enumerate()
        .map(|(index, &value)| match u32::try_from(value) {
            Ok(t) if (t as usize) < vocab => Ok(TokenId(t)),
            _ => Err(ApiError::TokenId {
                what: what.to_string(),
                index,
                value,
                vocab,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_and_large_ids_are_named() {
        assert_eq!(
            token_ids("p", &[0, 2], 3).unwrap(),
            [TokenId(0), TokenId(2)]
        );
        let e = token_ids("prompt", &[1, -1], 3).unwrap_err().to_string();
        assert_eq!(
            e,
            "prompt: token 1 is -1, a negative id; the vocabulary is 0..3"
        );
        let e = token_ids("chain 2", &[5], 3).unwrap_err().to_string();
        assert_eq!(e, "chain 2: token 0 is 5; the vocabulary is 0..3");
    }
}
