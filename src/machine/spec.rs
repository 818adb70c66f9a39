//! The serialisable form of a machine: what a `.ron` file (or any other format) says,
//! before validation. Names are strings here; [`validate`](fn@super::validate) turns them into ids.

use super::inputs::DistributionSpec;
use super::model::{Machine, Move};
use serde::{Deserialize, Serialize};

/// A machine as written in a file, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSpec {
    /// Short name; defaults to the file stem.
    #[serde(default)]
    pub name: String,
    /// What the machine computes.
    #[serde(default)]
    pub description: String,
    /// The tape alphabet, blank included; each a one-character string.
    pub symbols: Vec<String>,
    /// The blank symbol.
    pub blank: String,
    /// All states, halting states included.
    pub states: Vec<String>,
    /// The start state.
    pub start: String,
    /// The halting states (a subset of `states`).
    #[serde(default)]
    pub halting: Vec<String>,
    /// The rules `(state, read, write, move, next)`.
    pub rules: Vec<RuleSpec>,
    /// The machine's own input: what `run`, `emulate` and the other commands use when no
    /// `--input` is given (turingmachine.io's `input:`, Morphett's `$INITIAL_TAPE:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// What a random input looks like (see [`DistributionSpec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<DistributionSpec>,
    /// Example runs that the tests check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<ExampleSpec>,
    /// The convention the machine's source gives a rule of, said in reports (bbchallenge's
    /// `---`: a halting step that writes 1); not part of a `.ron` file.
    #[serde(skip)]
    pub convention: Option<String>,
}

/// One rule `(state, read, write, move, next)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec(pub String, pub String, pub String, pub Move, pub String);

/// An example run with its expected outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    /// The input word, written at cells 0..n with the head on cell 0.
    #[serde(default)]
    pub input: String,
    /// Exact number of steps.
    pub steps: u64,
    /// `halted` (default), `no-rule` or `step-limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    /// Final state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Final tape from the leftmost to the rightmost non-blank cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tape: Option<String>,
    /// Number of non-blank cells at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonblank: Option<u64>,
    /// Step limit for the example (for runs that do not halt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<u64>,
}

impl Machine {
    /// Converts back to the serialisable spec (the inverse of validation, examples included).
    pub fn to_spec(&self) -> MachineSpec {
        MachineSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            symbols: self.symbols.iter().map(|c| c.to_string()).collect(),
            blank: self.symbol_char(self.blank).to_string(),
            states: self.states.clone(),
            start: self.state_name(self.start).to_string(),
            halting: self
                .states
                .iter()
                .zip(&self.halting)
                .filter(|(_, &h)| h)
                .map(|(s, _)| s.clone())
                .collect(),
            rules: self
                .rules()
                .map(|(q, s, t)| {
                    RuleSpec(
                        self.state_name(q).to_string(),
                        self.symbol_char(s).to_string(),
                        self.symbol_char(t.write).to_string(),
                        t.movement,
                        self.state_name(t.next).to_string(),
                    )
                })
                .collect(),
            examples: self
                .examples
                .iter()
                .map(|e| ExampleSpec {
                    input: e.input_text.clone(),
                    steps: e.steps,
                    stop: Some(e.stop.name().to_string()),
                    state: e.state.map(|q| self.state_name(q).to_string()),
                    tape: e.tape.clone(),
                    nonblank: e.nonblank,
                    max_steps: e.max_steps,
                })
                .collect(),
            input: self.input.clone(),
            inputs: self.inputs.as_ref().map(|d| d.to_spec(self)),
            convention: self.convention.clone(),
        }
    }
}
