//! [`DynEncoding`]: any [`Encoding`] behind one type, chosen at run time, arsim's own or one
//! defined elsewhere. The learner keeps its trace format this way, so an encoding written
//! outside the library (tests/external_encoding.rs) is learned as arsim's own are.
//!
//! Its trace is a boxed [`Trace`]: a virtual call a token, which the learner's passes over
//! traces can afford; the emulation drivers stay generic over the encoding's own type.

use crate::certify::{CertifyError, CertifyReport};
use crate::encoding::contract::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
use crate::encoding::divergence::DivergenceReport;
use crate::encoding::halt::RowHalt;
use crate::encoding::registry::{AnyEncoding, EncodingKind};
use crate::encoding::sweep::fold::StayLoops;
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::verify::Divergence;
use crate::weights::{Metadata, Weights};
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};
use std::sync::Arc;

/// The object-safe face of [`Encoding`]: the same methods, the trace boxed.
trait Erased: Send + Sync {
    fn info(&self) -> &'static EncodingInfo;
    fn on_window(&self, machine: &Machine, window: Window) -> Arc<dyn Erased>;
    fn window(&self) -> Window;
    fn vocab(&self) -> usize;
    fn token_names(&self, machine: &Machine) -> Vec<String>;
    fn token_name(&self, machine: &Machine, t: TokenId) -> String;
    fn row_len(&self) -> usize;
    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<Box<dyn Trace + Send + 'm>, WindowError>;
    fn halt(&self, machine: &Machine) -> RowHalt;
    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError>;
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError>;
    fn divergence(&self, machine: &Machine, d: Divergence, offsets: &[usize]) -> DivergenceReport;
    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>);
    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig>;
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize>;
    fn offset_name(&self, offset: usize) -> String;
    fn move_offset(&self, offset: usize, to: Window) -> Option<usize>;
    fn cell_of(&self, t: TokenId) -> Option<CellToken>;
    fn write_metadata(&self, meta: &mut Metadata);
}

impl<E: Encoding + Send + Sync + 'static> Erased for E {
    fn info(&self) -> &'static EncodingInfo {
        Encoding::info(self)
    }
    fn on_window(&self, machine: &Machine, window: Window) -> Arc<dyn Erased> {
        Arc::new(Encoding::on_window(self, machine, window))
    }
    fn window(&self) -> Window {
        Encoding::window(self)
    }
    fn vocab(&self) -> usize {
        Encoding::vocab(self)
    }
    fn token_names(&self, machine: &Machine) -> Vec<String> {
        Encoding::token_names(self, machine)
    }
    fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        Encoding::token_name(self, machine, t)
    }
    fn row_len(&self) -> usize {
        Encoding::row_len(self)
    }
    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<Box<dyn Trace + Send + 'm>, WindowError> {
        Ok(Box::new(Encoding::trace(self, machine, input, max_steps)?))
    }
    fn halt(&self, machine: &Machine) -> RowHalt {
        Encoding::halt(self, machine)
    }
    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        Encoding::compile(self, machine)
    }
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        Encoding::certify(self, machine, weights, input, progress)
    }
    fn divergence(&self, machine: &Machine, d: Divergence, offsets: &[usize]) -> DivergenceReport {
        Encoding::divergence(self, machine, d, offsets)
    }
    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        Encoding::locate(self, machine, position)
    }
    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        Encoding::decode_row(self, row)
    }
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        Encoding::learner_offsets(self, kind)
    }
    fn offset_name(&self, offset: usize) -> String {
        Encoding::offset_name(self, offset)
    }
    fn move_offset(&self, offset: usize, to: Window) -> Option<usize> {
        Encoding::move_offset(self, offset, to)
    }
    fn cell_of(&self, t: TokenId) -> Option<CellToken> {
        Encoding::cell_of(self, t)
    }
    fn write_metadata(&self, meta: &mut Metadata) {
        Encoding::write_metadata(self, meta)
    }
}

/// Any encoding, shared and cheap to clone.
#[derive(Clone)]
pub struct DynEncoding(Arc<dyn Erased>);

impl DynEncoding {
    /// `enc`, behind the one type.
    pub fn new<E: Encoding + Send + Sync + 'static>(enc: E) -> DynEncoding {
        DynEncoding(Arc::new(enc))
    }

    /// arsim's encoding `kind` of `machine` on `window` (a machine whose stay moves never end
    /// has no `sweep` encoding).
    pub fn of_kind(
        kind: EncodingKind,
        machine: &Machine,
        window: Window,
    ) -> Result<DynEncoding, StayLoops> {
        Ok(DynEncoding::new(AnyEncoding::new(kind, machine, window)?))
    }
}

impl std::fmt::Debug for DynEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.0.window();
        write!(
            f,
            "DynEncoding({}, S = {}, origin {})",
            self.0.info().name,
            w.size,
            w.origin
        )
    }
}

impl Trace for Box<dyn Trace + Send + '_> {
    fn end(&self) -> Option<&TraceEnd> {
        (**self).end()
    }
    fn steps(&self) -> u64 {
        (**self).steps()
    }
    fn run_steps(&self) -> u64 {
        (**self).run_steps()
    }
    fn expected_tokens(&self) -> u64 {
        (**self).expected_tokens()
    }
    fn formula(&self) -> String {
        (**self).formula()
    }
    fn extras(&self) -> TraceExtras {
        (**self).extras()
    }
    fn next_row(&mut self, row: &mut [u8]) -> bool {
        (**self).next_row(row)
    }
}

impl Encoding for DynEncoding {
    type Trace<'m> = Box<dyn Trace + Send + 'm>;

    fn info(&self) -> &'static EncodingInfo {
        self.0.info()
    }
    fn on_window(&self, machine: &Machine, window: Window) -> DynEncoding {
        DynEncoding(self.0.on_window(machine, window))
    }
    fn window(&self) -> Window {
        self.0.window()
    }
    fn vocab(&self) -> usize {
        self.0.vocab()
    }
    fn token_names(&self, machine: &Machine) -> Vec<String> {
        self.0.token_names(machine)
    }
    fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        self.0.token_name(machine, t)
    }
    fn row_len(&self) -> usize {
        self.0.row_len()
    }
    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<Box<dyn Trace + Send + 'm>, WindowError> {
        self.0.trace(machine, input, max_steps)
    }
    fn halt(&self, machine: &Machine) -> RowHalt {
        self.0.halt(machine)
    }
    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        self.0.compile(machine)
    }
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        self.0.certify(machine, weights, input, progress)
    }
    fn divergence(&self, machine: &Machine, d: Divergence, offsets: &[usize]) -> DivergenceReport {
        self.0.divergence(machine, d, offsets)
    }
    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        self.0.locate(machine, position)
    }
    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        self.0.decode_row(row)
    }
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        self.0.learner_offsets(kind)
    }
    fn offset_name(&self, offset: usize) -> String {
        self.0.offset_name(offset)
    }
    fn move_offset(&self, offset: usize, to: Window) -> Option<usize> {
        self.0.move_offset(offset, to)
    }
    fn cell_of(&self, t: TokenId) -> Option<CellToken> {
        self.0.cell_of(t)
    }
    fn write_metadata(&self, meta: &mut Metadata) {
        self.0.write_metadata(meta)
    }
}
