//! The registry of arsim's encodings: [`EncodingKind`] names them, [`AnyEncoding`] is one chosen
//! at run time and [`AnyTrace`] its trace. This file is the one place that lists the encodings
//! and the one place that matches on them (tests/architecture.rs holds both); everything else
//! asks the [`Encoding`] trait.
//!
//! A run through [`AnyTrace`] costs one predictable branch a token beside the encoding's own
//! work; code that knows its encoding statically can use the encoding's type directly.

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::cells::{self, Cells};
use crate::encoding::contract::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
use crate::encoding::divergence::DivergenceReport;
use crate::encoding::gates::{self, BitTrace, Gates};
use crate::encoding::halt::RowHalt;
use crate::encoding::sweep::{self, StayLoops, Sweep};
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use serde::Serialize;

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

    /// The encoding's static facts, as its own folder states them.
    pub fn info(self) -> &'static EncodingInfo {
        match self {
            EncodingKind::Cells => &cells::INFO,
            EncodingKind::Sweep => &sweep::INFO,
            EncodingKind::Gates => &gates::INFO,
        }
    }

    /// The name used on the command line, in reports and in weight files.
    pub fn name(self) -> &'static str {
        self.info().name
    }
}

/// Work to do on an encoding whose type is known where it runs ([`AnyEncoding::with`]).
pub trait WithEncoding {
    /// What it returns.
    type Output;
    /// Does it on `enc`.
    fn call<E: Encoding>(self, enc: &E) -> Self::Output;
}

/// One of arsim's encodings of one machine on one window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyEncoding {
    /// `cells`.
    Cells(Cells),
    /// `sweep`.
    Sweep(Sweep),
    /// `gates`.
    Gates(Gates),
}

/// The trace of an [`AnyEncoding`].
#[derive(Clone, Debug)]
pub enum AnyTrace<'m> {
    /// A `cells` trace.
    Cells(cells::ReferenceTrace<'m>),
    /// A `sweep` trace.
    Sweep(sweep::ReferenceTrace<'m>),
    /// A `gates` trace.
    Gates(BitTrace<'m>),
}

/// `$body` with `$e` bound to the encoding (or trace) inside `$x`, whichever it is.
macro_rules! each {
    ($ty:ident, $x:expr, $e:ident => $body:expr) => {
        match $x {
            $ty::Cells($e) => $body,
            $ty::Sweep($e) => $body,
            $ty::Gates($e) => $body,
        }
    };
}

impl AnyEncoding {
    /// `kind` for `machine`'s runs on `window`: the one place that turns a kind into an
    /// encoding. A machine whose stay moves never end has no `sweep` encoding.
    pub fn new(
        kind: EncodingKind,
        machine: &Machine,
        window: Window,
    ) -> Result<AnyEncoding, StayLoops> {
        Ok(match kind {
            EncodingKind::Cells => AnyEncoding::Cells(Cells::new(machine, window)),
            EncodingKind::Sweep => AnyEncoding::Sweep(Sweep::new(machine, window)?),
            EncodingKind::Gates => AnyEncoding::Gates(Gates::new(machine, window)),
        })
    }

    /// Checks a window of `size` cells at what `kind` builds a cell: `cells` and `sweep` at
    /// [`crate::limits::check_window`]'s cost, `gates` at its gates' cost
    /// ([`crate::limits::gates_bytes_per_cell`]), which is hundreds of times more.
    pub fn check_window(
        kind: EncodingKind,
        machine: &Machine,
        size: usize,
    ) -> Result<(), crate::limits::SizeError> {
        crate::limits::check_window(size)?;
        if kind == EncodingKind::Gates {
            let bits = machine.num_symbols() * (machine.num_states() + 1);
            crate::limits::check_window_cost(
                size,
                "a gates window",
                crate::limits::gates_bytes_per_cell(bits),
            )?;
        }
        Ok(())
    }

    /// Calls `w` with the encoding as its own type: the one dispatch, so that what `w` does a
    /// token at a time is compiled for that encoding (no branch a token, as through
    /// [`AnyTrace`]).
    pub fn with<W: WithEncoding>(&self, w: W) -> W::Output {
        each!(AnyEncoding, self, e => w.call(e))
    }

    /// Which encoding it is.
    pub fn kind(&self) -> EncodingKind {
        match self {
            AnyEncoding::Cells(_) => EncodingKind::Cells,
            AnyEncoding::Sweep(_) => EncodingKind::Sweep,
            AnyEncoding::Gates(_) => EncodingKind::Gates,
        }
    }
}

impl Iterator for AnyTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        each!(AnyTrace, self, t => t.next())
    }
}

impl Trace for AnyTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        each!(AnyTrace, self, t => Trace::end(t))
    }

    fn steps(&self) -> u64 {
        each!(AnyTrace, self, t => Trace::steps(t))
    }

    fn expected_tokens(&self) -> u64 {
        each!(AnyTrace, self, t => t.expected_tokens())
    }

    fn formula(&self) -> String {
        each!(AnyTrace, self, t => t.formula())
    }

    fn run_steps(&self) -> u64 {
        each!(AnyTrace, self, t => t.run_steps())
    }

    fn extras(&self) -> TraceExtras {
        each!(AnyTrace, self, t => t.extras())
    }

    fn next_row(&mut self, row: &mut [u8]) -> bool {
        each!(AnyTrace, self, t => t.next_row(row))
    }
}

impl Encoding for AnyEncoding {
    type Trace<'m> = AnyTrace<'m>;

    fn info(&self) -> &'static EncodingInfo {
        each!(AnyEncoding, self, e => e.info())
    }

    fn on_window(&self, machine: &Machine, window: Window) -> AnyEncoding {
        match self {
            AnyEncoding::Cells(e) => AnyEncoding::Cells(e.on_window(machine, window)),
            AnyEncoding::Sweep(e) => AnyEncoding::Sweep(e.on_window(machine, window)),
            AnyEncoding::Gates(e) => AnyEncoding::Gates(e.on_window(machine, window)),
        }
    }

    fn window(&self) -> Window {
        each!(AnyEncoding, self, e => e.window())
    }

    fn vocab(&self) -> usize {
        each!(AnyEncoding, self, e => e.vocab())
    }

    fn token_names(&self, machine: &Machine) -> Vec<String> {
        each!(AnyEncoding, self, e => e.token_names(machine))
    }

    fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        each!(AnyEncoding, self, e => e.token_name(machine, t))
    }

    fn row_len(&self) -> usize {
        each!(AnyEncoding, self, e => e.row_len())
    }

    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<AnyTrace<'m>, WindowError> {
        Ok(match self {
            AnyEncoding::Cells(e) => AnyTrace::Cells(e.trace(machine, input, max_steps)?),
            AnyEncoding::Sweep(e) => AnyTrace::Sweep(e.trace(machine, input, max_steps)?),
            AnyEncoding::Gates(e) => AnyTrace::Gates(e.trace(machine, input, max_steps)?),
        })
    }

    fn halt(&self, machine: &Machine) -> RowHalt {
        each!(AnyEncoding, self, e => e.halt(machine))
    }

    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        each!(AnyEncoding, self, e => e.compile(machine))
    }

    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        each!(AnyEncoding, self, e => e.certify(machine, weights, input, progress))
    }

    fn divergence(&self, machine: &Machine, d: Divergence, offsets: &[usize]) -> DivergenceReport {
        each!(AnyEncoding, self, e => e.divergence(machine, d, offsets))
    }

    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        each!(AnyEncoding, self, e => e.locate(machine, position))
    }

    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        each!(AnyEncoding, self, e => e.decode_row(row))
    }

    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        each!(AnyEncoding, self, e => e.learner_offsets(kind))
    }

    fn offset_name(&self, offset: usize) -> String {
        each!(AnyEncoding, self, e => e.offset_name(offset))
    }

    fn move_offset(&self, offset: usize, to: Window) -> Option<usize> {
        each!(AnyEncoding, self, e => e.move_offset(offset, to))
    }

    fn cell_of(&self, t: TokenId) -> Option<CellToken> {
        each!(AnyEncoding, self, e => e.cell_of(t))
    }

    fn write_metadata(&self, meta: &mut Metadata) {
        each!(AnyEncoding, self, e => e.write_metadata(meta))
    }
}
