//! The inputs a learner trains and is tested on, as every shell gives them: listed words, or
//! random words of a pattern (or over an alphabet, or of the machine's own input shape) with
//! their run lengths. One function turns them into the learner's [`InputSpec`], so that the
//! command line and Python draw the same words from the same request.

use crate::api::error::ApiError;
pub use crate::api::source::InputsField;
use crate::learn::inputs::{InputSpec, Pattern};
use crate::machine::Machine;

/// Which inputs to learn from (every field as the command line's `learn` flags name it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputsRequest {
    /// These words (a `*` may mark the head's start; it must be the first cell).
    pub words: Option<Vec<String>>,
    /// Random words of this pattern, e.g. `[01]*+[01]*`.
    pub pattern: Option<String>,
    /// Random words over these symbols (every character a symbol).
    pub alphabet: Option<String>,
    /// The run lengths to draw from; `None`: chosen from the number of words needed.
    pub lengths: Option<Vec<usize>>,
    /// The held-out words' run lengths, when they differ (length extrapolation).
    pub eval_lengths: Option<Vec<usize>>,
}

/// The learner's inputs of `req` for `machine`: the listed words, else random words of the
/// pattern, of the alphabet, or of the machine's own input shape ([`Pattern::for_machine`]).
pub fn input_spec(machine: &Machine, req: &InputsRequest) -> Result<InputSpec, ApiError> {
    let bad = |field: InputsField, message: String| ApiError::Inputs {
        field,
        machine: machine.name().to_string(),
        message,
    };
    if let Some(list) = &req.words {
        let words = list
            .iter()
            .map(|w| {
                machine
                    .parse_input(w)
                    .map_err(|e| e.to_string())
                    .and_then(|i| i.into_word_from_first_cell().map_err(|e| e.to_string()))
                    .map_err(|e| bad(InputsField::Words, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(InputSpec::Listed(words));
    }
    let pattern = match (&req.pattern, &req.alphabet) {
        (Some(p), _) => Pattern::parse(machine, p)
            .map_err(|e| bad(InputsField::Pattern, crate::api::error::chain(&e)))?,
        // A set of symbols, not an input: no head marker, every character a symbol.
        (None, Some(a)) => Pattern::words_over(
            &a.chars()
                .map(|c| {
                    machine.symbol_id(c).ok_or_else(|| {
                        bad(
                            InputsField::Alphabet,
                            format!(
                                "'{c}' is not one of its symbols {{{}}}",
                                machine.symbols().iter().collect::<String>()
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (None, None) => Pattern::for_machine(machine),
    };
    Ok(InputSpec::Random {
        pattern,
        lengths: req.lengths.clone(),
        eval_lengths: req.eval_lengths.clone(),
    })
}
