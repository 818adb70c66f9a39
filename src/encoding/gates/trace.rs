//! The interpreter's run as a stream of `gates` bits ([`BitTrace`]): the `cells` trace with
//! separators dropped and every cell spread over its one-hot bits.

use crate::encoding::cells::ReferenceTrace;
use crate::encoding::contract::{Trace, TraceExtras};
use crate::machine::{Input, Machine};
use crate::predictor::TokenId;
use crate::window::{TraceEnd, Window, WindowError};

/// The interpreter's run as a stream of `gates` bits: the `cells` trace with separators dropped
/// and every cell token spread over its B one-hot bits. Memory is one row.
#[derive(Clone, Debug)]
pub struct BitTrace<'m> {
    inner: ReferenceTrace<'m>,
    bits_per_cell: usize,
    /// The set bit of the current cell.
    current: usize,
    /// Bits of the current cell still to emit.
    left: usize,
}

impl<'m> BitTrace<'m> {
    /// The bit trace of `machine` on `input` in `window`, at most `max_steps` steps.
    pub fn new(
        machine: &'m Machine,
        input: &Input,
        window: Window,
        max_steps: u64,
    ) -> Result<BitTrace<'m>, WindowError> {
        Ok(BitTrace {
            inner: ReferenceTrace::new(machine, input, window, max_steps)?,
            bits_per_cell: machine.num_symbols() * (machine.num_states() + 1),
            current: 0,
            left: 0,
        })
    }

    /// How the run ended (`None` while bits remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.inner.end()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.inner.steps()
    }
}

impl Iterator for BitTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        while self.left == 0 {
            let id = self.inner.next()?;
            if id.0 == 0 {
                continue; // SEP
            }
            self.current = id.index() - 1;
            self.left = self.bits_per_cell;
        }
        let bit = self.bits_per_cell - self.left;
        self.left -= 1;
        Some(TokenId((bit == self.current) as u32))
    }
}

impl Trace for BitTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.inner.end()
    }

    fn steps(&self) -> u64 {
        self.inner.steps()
    }

    /// T·S·|Γ|(|Q|+1) bits.
    fn expected_tokens(&self) -> u64 {
        self.steps() * (self.inner.config().cells.len() * self.bits_per_cell) as u64
    }

    fn formula(&self) -> String {
        format!(
            "T·S·|Γ|(|Q|+1) = {}·{}·{}",
            self.steps(),
            self.inner.config().cells.len(),
            self.bits_per_cell
        )
    }

    /// The gates evaluated, and the `cells` tokens of the same run for comparison.
    fn extras(&self) -> TraceExtras {
        TraceExtras {
            gates: Some(self.expected_tokens()),
            cells_tokens: Some(self.steps() * (self.inner.config().cells.len() as u64 + 1)),
            ..TraceExtras::default()
        }
    }
}
