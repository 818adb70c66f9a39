//! Encodings: rules that turn a run into a trace of tokens and back.
//!
//! Each encoding states its dictionary, the offsets its next token depends on, and its length
//! complexity. [`cells`] is the time-invariant encoding (T·(S+1) generated tokens for T steps
//! on a window of S cells); [`sweep`] spells a whole run of right moves per row ((L+1)·(S+1)
//! tokens for a run with L left moves); [`gates`] is the paper's threshold-circuit encoding
//! (T·S·|Γ|(|Q|+1) bits, time-dependent).

pub mod cells;
pub mod gates;
pub mod halt;
pub mod sweep;

use serde::Serialize;

/// The encodings a machine can be compiled to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingKind {
    /// One token per cell, rows of S cells; time-invariant weights at offsets S, S+1, S+2.
    Cells,
    /// One row per run of right moves (proofs/sweep.md); offsets 1, S, S+1.
    Sweep,
    /// One-hot bits of the `cells` rows, each one threshold gate; time-dependent weights.
    Gates,
}

impl EncodingKind {
    /// Every encoding, in the order the command line lists them.
    pub const ALL: [EncodingKind; 3] = [
        EncodingKind::Cells,
        EncodingKind::Sweep,
        EncodingKind::Gates,
    ];

    /// The encoding called `name` (as [`EncodingKind::name`] spells it).
    pub fn from_name(name: &str) -> Option<EncodingKind> {
        EncodingKind::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            EncodingKind::Cells => "cells",
            EncodingKind::Sweep => "sweep",
            EncodingKind::Gates => "gates",
        }
    }

    /// The closed formula for the number of generated tokens (T steps, L of them left moves,
    /// window S).
    pub fn length_formula(self) -> &'static str {
        match self {
            EncodingKind::Cells => "T·(S+1)",
            EncodingKind::Sweep => "(L+[final])·(S+1)",
            EncodingKind::Gates => "T·S·|Γ|(|Q|+1)",
        }
    }
}
