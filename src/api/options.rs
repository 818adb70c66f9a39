//! The library's option enums (encoding, executor, learner, chain-of-thought format, …) by the
//! names the command line gives them, for shells that take them as text (Python's keyword
//! arguments): one parser, one error, one list of possible values. Present with the `clap`
//! feature, which derives the names.

use crate::api::error::ApiError;

/// The trait of the option enums (clap's), for shells that name its bound.
pub use clap::ValueEnum;

/// `value` as an option of type `T`, by the command line's name for it; `what` names the option
/// in the error, which lists the possible values.
pub fn parse_option<T: ValueEnum>(what: &str, value: &str) -> Result<T, ApiError> {
    T::from_str(value, false).map_err(|_| ApiError::Option {
        what: what.to_string(),
        value: value.to_string(),
        possible: option_names::<T>(),
    })
}

/// Every name options of type `T` take, in order.
pub fn option_names<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
        .collect()
}

/// The command line's name of `value`.
pub fn option_name<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::EncodingKind;

    #[test]
    fn names_round_trip_and_a_wrong_one_lists_them() {
        for name in option_names::<EncodingKind>() {
            let kind: EncodingKind = parse_option("encoding", &name).unwrap();
            assert_eq!(option_name(&kind), name);
        }
        let e = parse_option::<EncodingKind>("encoding", "nope").unwrap_err();
        assert!(e.to_string().contains("possible values: cells"), "{e}");
    }
}
