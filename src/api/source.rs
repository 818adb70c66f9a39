//! Where a request's parts come from, named in the front door's errors: the input word
//! ([`InputSource`]) and the part of a learner's inputs at fault ([`InputsField`]). A leaf of
//! the front door, so that its errors and the requests that carry these can name each other
//! without a circle.

use std::path::PathBuf;

/// Where the input word comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum InputSource {
    /// The machine file's own input, else the empty word.
    #[default]
    Own,
    /// This word (a `*` marks the head's start cell where `*` is not a symbol).
    Word(String),
    /// The first line of this file (one trailing newline dropped).
    File(PathBuf),
}

/// Which part of an [`InputsRequest`](crate::api::inputs::InputsRequest) is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputsField {
    /// [`InputsRequest::words`](crate::api::inputs::InputsRequest::words).
    Words,
    /// [`InputsRequest::pattern`](crate::api::inputs::InputsRequest::pattern).
    Pattern,
    /// [`InputsRequest::alphabet`](crate::api::inputs::InputsRequest::alphabet).
    Alphabet,
}

impl InputsField {
    /// The field's name in words.
    pub fn name(self) -> &'static str {
        match self {
            InputsField::Words => "input words",
            InputsField::Pattern => "pattern",
            InputsField::Alphabet => "alphabet",
        }
    }
}
