//! What every encoding must say: the [`Encoding`] trait, the [`Trace`] of a run in it, and the
//! static facts of an encoding ([`EncodingInfo`]) that callers ask instead of deciding by an
//! encoding's name.
//!
//! `emulate`, `certify`, `compile`, `length` and `learn` are written once over these traits;
//! an encoding defined outside arsim (tests/external_encoding.rs) goes through all of them.

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::divergence::{token_divergence, DivergenceReport};
use crate::encoding::halt::RowHalt;
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use serde::Serialize;

/// The facts of an encoding that do not depend on the machine or the window: its names, its
/// formulas in words, and what the generic passes may assume of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodingInfo {
    /// The name used on the command line, in reports and in weight files.
    pub name: &'static str,
    /// What its tokens are called in reports ("tokens"; "bits" for `gates`).
    pub token_unit: &'static str,
    /// The offsets its compiled predictor reads, in words.
    pub offsets_text: &'static str,
    /// The proof that its certificate suffices.
    pub proof: &'static str,
    /// What a divergence's `context` lists, in its order.
    pub context_names: &'static str,
    /// The closed formula for the number of generated tokens (T steps, L of them left moves,
    /// window S).
    pub length_formula: &'static str,
    /// Whether one map serves every position (a time-invariant predictor can learn it);
    /// `false` where each position is its own gate.
    pub time_invariant: bool,
    /// Whether its weight files hold one sparse map a position (else dense offset matrices).
    pub sparse_weights: bool,
    /// The colour of its points in pictures (RGB), distinct from every other encoding's.
    pub colour: (u8, u8, u8),
}

/// The extra numbers an encoding reports about a run, beside the ones every run has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TraceExtras {
    /// `sweep`: the run's left moves L (the length formula's L).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_moves: Option<u64>,
    /// `gates`: the gates the run evaluates (its generated bits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gates: Option<u64>,
    /// `gates`: the generated tokens of the `cells` run the bits spell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells_tokens: Option<u64>,
}

/// Which offsets a learner reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum WindowKind {
    /// Every offset 1..S+2: the learner is not told which ones matter.
    All,
    /// The three offsets S, S+1, S+2 of the compiled predictor.
    Local,
}

impl WindowKind {
    /// The offsets read on a window of `s` cells, increasing.
    pub fn offsets(self, s: usize) -> Vec<usize> {
        match self {
            WindowKind::All => (1..=s + 2).collect(),
            WindowKind::Local => vec![s, s + 1, s + 2],
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            WindowKind::All => "all",
            WindowKind::Local => "local",
        }
    }
}

/// The interpreter's run in an encoding, produced row by row (memory is one row).
pub trait Trace: Iterator<Item = TokenId> {
    /// How the run ended (`None` while tokens remain).
    fn end(&self) -> Option<&TraceEnd>;

    /// Steps of the machine the tokens so far cover.
    fn steps(&self) -> u64;

    /// Steps the machine ran to produce the tokens so far: those they cover, and any they
    /// cannot spell yet (a `sweep` path that the step limit or the window cut off before its
    /// row was complete).
    fn run_steps(&self) -> u64 {
        self.steps()
    }

    /// The encoding's length formula evaluated on this run so far: the tokens a predictor
    /// generates for it ([`EncodingInfo::length_formula`]).
    fn expected_tokens(&self) -> u64;

    /// The length formula with this run's numbers in it, e.g. `T·(S+1) = 21·6` (its value is
    /// [`Trace::expected_tokens`]).
    fn formula(&self) -> String;

    /// The encoding's own numbers about the run so far.
    fn extras(&self) -> TraceExtras {
        TraceExtras::default()
    }

    /// Overwrites `row` (the previous row, `row.len()` tokens as bytes) with the next one and
    /// returns `true`; `false` when the trace has ended. The row executor's reference: the
    /// default pulls the tokens one by one; an encoding that knows which few cells change
    /// a step rewrites only those.
    fn next_row(&mut self, row: &mut [u8]) -> bool {
        fill_row(self, row)
    }
}

/// [`Trace::next_row`]'s default: the next `row.len()` tokens, one by one, as bytes (the row
/// executor runs only dictionaries of at most 256 tokens); `false` if the trace ends first.
pub(crate) fn fill_row<T: Trace + ?Sized>(trace: &mut T, row: &mut [u8]) -> bool {
    for slot in row.iter_mut() {
        match trace.next() {
            Some(t) => *slot = t.0 as u8,
            None => return false,
        }
    }
    true
}

/// One encoding of one machine's runs on one window: everything the pipelines need to know.
///
/// Implemented once per encoding, in its folder. The methods are what a new encoding must
/// say; the registry (`encoding::registry`) lists arsim's own, and generic entry points take
/// any implementation.
pub trait Encoding {
    /// The interpreter's run in this encoding; it borrows the machine, not the encoding.
    type Trace<'m>: Trace + Send + 'm;

    /// The encoding's static facts (its name among them).
    fn info(&self) -> &'static EncodingInfo;

    /// The same encoding of the same machine on another window (the learner's held-out
    /// inputs may need a wider one).
    fn on_window(&self, machine: &Machine, window: Window) -> Self
    where
        Self: Sized;

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

    /// How an offset's column is named in a layout (`S+1` where the offset is one the compiled
    /// predictor reads by its place in the row; else its number).
    fn offset_name(&self, offset: usize) -> String {
        offset.to_string()
    }

    /// The offset that reads the same cell on `to` as `offset` reads on this window, if every
    /// such offset has one (then weights learned here run on `to` offset for offset).
    fn move_offset(&self, _offset: usize, _to: Window) -> Option<usize> {
        None
    }

    /// The cell a token stands for, for encodings whose tokens are cells of a row (a learner
    /// may then split its outputs into the symbol and head parts); `None` otherwise.
    fn cell_of(&self, _t: TokenId) -> Option<CellToken> {
        None
    }

    /// Whether its tokens are cells of a row ([`Encoding::cell_of`] answers).
    fn tokens_are_cells(&self) -> bool {
        self.cell_of(TokenId(0)).is_some()
    }

    /// Adds the encoding's own keys to a weight file's metadata.
    fn write_metadata(&self, _meta: &mut Metadata) {}
}
