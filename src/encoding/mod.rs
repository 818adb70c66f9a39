//! Encodings: rules that turn a run into a trace of tokens and back.
//!
//! An encoding is one folder (`cells/`, `sweep/`, `gates/`) and one implementation of the
//! [`Encoding`] trait: its dictionary on a machine and window, the interpreter's run as a
//! [`Trace`], the row-counting stop rule, its compiler, its certificate, where a divergence
//! lies, what a learner reads, and what its weight files hold. `emulate`, `certify`, `compile`,
//! `length` and `learn` are written once over the trait; [`AnyEncoding`] is the one place that
//! dispatches on [`EncodingKind`].
//!
//! Each encoding states its dictionary, the offsets its next token depends on, and its length
//! complexity. [`cells`] is the time-invariant encoding (T·(S+1) generated tokens for T steps
//! on a window of S cells); [`sweep`] spells a whole run of right moves per row ((L+1)·(S+1)
//! tokens for a run with L left moves); [`gates`] is the paper's threshold-circuit encoding
//! (T·S·|Γ|(|Q|+1) bits, time-dependent).

mod any;
pub mod cells;
pub mod gates;
pub mod halt;
pub mod sweep;

pub use any::{AnyEncoding, AnyTrace};

use crate::certify::{CertifyError, CertifyReport};
use crate::emulate::{token_divergence, DivergenceReport, EmulationReport};
use crate::learn::dataset::WindowKind;
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use cells::{TraceEnd, Window, WindowConfig, WindowError};
use halt::RowHalt;
use serde::Serialize;

/// The interpreter's run in an encoding, produced row by row (memory is one row).
pub trait Trace: Iterator<Item = TokenId> {
    /// How the run ended (`None` while tokens remain).
    fn end(&self) -> Option<&TraceEnd>;

    /// Steps of the machine the tokens so far cover.
    fn steps(&self) -> u64;

    /// The encoding's length formula evaluated on this run so far: the tokens a predictor
    /// generates for it ([`EncodingKind::length_formula`]).
    fn expected_tokens(&self) -> u64;

    /// Adds the encoding's own fields to an emulation report of this run.
    fn report_extras(&self, _report: &mut EmulationReport) {}
}

/// One encoding of one machine's runs on one window: everything the pipelines need to know.
///
/// Implemented once per encoding, in its folder. The methods are what a fourth encoding must
/// say; nothing else in the library needs to change for it but one [`EncodingKind`] arm and its
/// [`AnyEncoding`] arm.
pub trait Encoding {
    /// The interpreter's run in this encoding; it borrows the machine, not the encoding.
    type Trace<'m>: Trace;

    /// Which encoding.
    fn kind(&self) -> EncodingKind;

    /// The tape window the rows cover.
    fn window(&self) -> Window;

    /// Dictionary size (the padding token is `TokenId(vocab)`).
    fn vocab(&self) -> usize;

    /// Every token's name, in id order (a weight file's labels).
    fn token_names(&self, machine: &Machine) -> Vec<String>;

    /// A token's name.
    fn token_name(&self, machine: &Machine, t: TokenId) -> String;

    /// Tokens a row; the prompt is one row.
    fn row_len(&self) -> usize;

    /// The interpreter's run of `input`, at most `max_steps` steps.
    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<Self::Trace<'m>, WindowError>;

    /// The stop rule: which tokens mark a final configuration (the row counting is
    /// [`RowHalt`]'s).
    fn halt(&self, machine: &Machine) -> RowHalt;

    /// The compiled predictor (`proofs/<encoding>.md#weights`).
    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError>;

    /// The exhaustive certificate of `weights` (`input` sizes what must be unrolled, for
    /// encodings whose certificate unrolls the run), calling `progress(done, total)` as it goes.
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError>;

    /// Where a divergence lies (step, cell) and what the predictor read there. The default
    /// suits rows of one token a cell: the context listed from the largest offset down.
    fn divergence(&self, machine: &Machine, d: Divergence, offsets: &[usize]) -> DivergenceReport {
        token_divergence(d, self.window(), offsets, |t| self.token_name(machine, t))
    }

    /// (step, cell, bit name) of a trace position: the cell is `None` on a separator, the bit
    /// `Some` for encodings whose tokens are bits of a cell.
    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>);

    /// The configuration a row of tokens stands for (for a row that spells a path, the
    /// configuration at its end), if it is a row of this encoding.
    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig>;

    /// The offsets a learner reads: `all` = 1 … the compiled predictor's deepest offset;
    /// `local` = the compiled predictor's own.
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize>;

    /// Whether its weight files hold one sparse map a position (else dense offset matrices).
    fn sparse_weights(&self) -> bool {
        false
    }

    /// Adds the encoding's own keys to a weight file's metadata.
    fn write_metadata(&self, _meta: &mut Metadata) {}
}

/// The encodings a machine can be compiled to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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

    /// What its tokens are called in reports ("bits" for `gates`).
    pub fn token_unit(self) -> &'static str {
        match self {
            EncodingKind::Gates => "bits",
            _ => "tokens",
        }
    }

    /// The offsets its compiled predictor reads, in words.
    pub fn offsets_text(self) -> &'static str {
        match self {
            EncodingKind::Cells => "S, S+1, S+2",
            EncodingKind::Sweep => "1, S, S+1",
            EncodingKind::Gates => "the previous row's three cells and offset 1, per gate",
        }
    }

    /// The proof that its certificate suffices.
    pub fn proof(self) -> &'static str {
        match self {
            EncodingKind::Cells => "proofs/cells.md",
            EncodingKind::Sweep => "proofs/sweep.md",
            EncodingKind::Gates => "proofs/gates.md",
        }
    }

    /// What a divergence's `context` lists, in its order.
    pub fn context_names(self) -> &'static str {
        match self {
            EncodingKind::Cells => "S+2, S+1, S",
            EncodingKind::Sweep => "S+1, S, 1",
            EncodingKind::Gates => "cells i-1, i, i+1 of the previous row",
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
