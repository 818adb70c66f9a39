//! Encodings: rules that turn a run into a trace of tokens and back.
//!
//! Each encoding states its dictionary, the offsets its next token depends on, and its length
//! complexity. [`cells`] is the time-invariant encoding (T·(S+1) generated tokens for T steps
//! on a window of S cells).

pub mod cells;

use serde::Serialize;

/// The encodings a machine can be compiled to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingKind {
    /// One token per cell, rows of S cells; time-invariant weights at offsets S, S+1, S+2.
    Cells,
}

impl EncodingKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            EncodingKind::Cells => "cells",
        }
    }

    /// The closed formula for the number of generated tokens (T steps, window S).
    pub fn length_formula(self) -> &'static str {
        match self {
            EncodingKind::Cells => "T·(S+1)",
        }
    }
}
