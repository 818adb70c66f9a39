//! [`AnyEncoding`]: an encoding chosen at run time, the one `match` on [`EncodingKind`] that
//! the pipelines (`pipeline`, `emulate::emulate`, `length`, `learn`) go through.
//!
//! Its trace is an enum of the three traces, so a run costs one predictable branch a token
//! beside the encoding's own work; code that knows its encoding statically can use the
//! encoding's type directly.

use super::cells::{self, Cells, TraceEnd, Window, WindowConfig, WindowError};
use super::gates::{BitTrace, Gates};
use super::halt::RowHalt;
use super::sweep::{self, StayLoops, Sweep};
use super::{Encoding, EncodingKind, Trace};
use crate::certify::{CertifyError, CertifyReport};
use crate::emulate::{DivergenceReport, EmulationReport};
use crate::learn::dataset::WindowKind;
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};

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

    fn report_extras(&self, report: &mut EmulationReport) {
        each!(AnyTrace, self, t => t.report_extras(report))
    }
}

impl Encoding for AnyEncoding {
    type Trace<'m> = AnyTrace<'m>;

    fn kind(&self) -> EncodingKind {
        each!(AnyEncoding, self, e => e.kind())
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

    fn sparse_weights(&self) -> bool {
        each!(AnyEncoding, self, e => e.sparse_weights())
    }

    fn write_metadata(&self, meta: &mut Metadata) {
        each!(AnyEncoding, self, e => e.write_metadata(meta))
    }
}
