//! The interpreter's run as a `cells` trace ([`ReferenceTrace`], streamed row by row) and a
//! row decoded back into its configuration ([`decode_row`]).

use crate::encoding::cells::Dictionary;
use crate::encoding::contract::Trace;
use crate::machine::{Input, Machine, Stop};
use crate::predictor::TokenId;
use crate::window::{CellToken, TraceEnd, Window, WindowConfig, WindowError};

/// The interpreter's run as a stream of `cells` tokens, produced row by row: memory is one
/// row, whatever the length of the run.
#[derive(Clone, Debug)]
pub struct ReferenceTrace<'m> {
    machine: &'m Machine,
    dict: Dictionary,
    config: WindowConfig,
    max_steps: u64,
    /// Steps applied so far (= index of the row being emitted).
    row: u64,
    /// Column within the row: 0 = SEP, 1..=S = cells.
    col: usize,
    /// The current row, encoded: a step changes two cells, so two tokens are re-encoded per
    /// row and a token costs one load.
    tokens: Vec<TokenId>,
    end: Option<TraceEnd>,
}

impl<'m> ReferenceTrace<'m> {
    /// The trace of `machine` on `input` in `window`, at most `max_steps` steps.
    pub fn new(
        machine: &'m Machine,
        input: &Input,
        window: Window,
        max_steps: u64,
    ) -> Result<ReferenceTrace<'m>, WindowError> {
        let dict = Dictionary::new(machine);
        let config = WindowConfig::initial(machine, input, window)?;
        let tokens = std::iter::once(dict.encode(CellToken::Sep))
            .chain((0..window.size).map(|i| dict.encode(config.token(i))))
            .collect();
        Ok(ReferenceTrace {
            machine,
            dict,
            config,
            max_steps,
            row: 0,
            col: 0,
            tokens,
            end: None,
        })
    }

    /// How the trace ended (`None` while tokens remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    /// Steps taken so far (rows emitted after the first).
    pub fn steps(&self) -> u64 {
        self.row
    }

    /// The configuration of the row being emitted.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Steps to the next row once the current one is emitted, re-encoding the two cells a step
    /// changes; `None` (with `end` set) when the run is over. Returns the changed cells.
    #[inline]
    fn advance(&mut self) -> Option<[usize; 2]> {
        // The next row exists only if the run goes on.
        if self.end.is_some() {
            return None;
        }
        if self.config.is_final(self.machine) {
            let stop = if self.machine.is_halting(self.config.state) {
                Stop::Halted
            } else {
                Stop::NoRule
            };
            self.end = Some(TraceEnd::Final(stop));
            return None;
        }
        if self.row >= self.max_steps {
            self.end = Some(TraceEnd::StepLimit);
            return None;
        }
        let from = self.config.head;
        if let Err(e) = self.config.step(self.machine, self.row + 1) {
            self.end = Some(TraceEnd::LeftWindow(e));
            return None;
        }
        let changed = [from, self.config.head];
        for i in changed {
            self.tokens[1 + i] = self.dict.encode(self.config.token(i));
        }
        self.row += 1;
        Some(changed)
    }
}

impl Iterator for ReferenceTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        if self.col > self.config.cells.len() {
            self.advance()?;
            self.col = 0;
        }
        let t = self.tokens[self.col];
        self.col += 1;
        Some(t)
    }
}

/// A row of tokens that is not a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The row does not have S+1 tokens, or does not start with SEP.
    #[error("a row must be SEP followed by {size} cell tokens")]
    Shape {
        /// Window size.
        size: usize,
    },
    /// A cell position holds SEP or padding.
    #[error("cell {0} of the row is not a cell token")]
    NotACell(usize),
    /// The row has no head, or more than one.
    #[error("the row has {0} heads; a configuration has exactly one")]
    Heads(usize),
}

/// Decodes one row `SEP enc(C)` back into the configuration C (the inverse of the encoding).
pub fn decode_row(dict: &Dictionary, row: &[TokenId]) -> Result<WindowConfig, DecodeError> {
    let size = row.len().saturating_sub(1);
    if row.first().map(|&t| dict.decode(t)) != Some(CellToken::Sep) || size == 0 {
        return Err(DecodeError::Shape { size });
    }
    let mut cells = Vec::with_capacity(size);
    let mut heads = Vec::new();
    for (i, &t) in row[1..].iter().enumerate() {
        match dict.decode(t) {
            CellToken::Cell { symbol, head } => {
                cells.push(symbol);
                if let Some(q) = head {
                    heads.push((i, q));
                }
            }
            _ => return Err(DecodeError::NotACell(i)),
        }
    }
    match heads[..] {
        [(head, state)] => Ok(WindowConfig { cells, head, state }),
        _ => Err(DecodeError::Heads(heads.len())),
    }
}

impl Trace for ReferenceTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    fn steps(&self) -> u64 {
        self.row
    }

    fn expected_tokens(&self) -> u64 {
        self.row * (self.config.cells.len() as u64 + 1)
    }

    fn formula(&self) -> String {
        format!("T·(S+1) = {}·{}", self.row, self.config.cells.len() + 1)
    }

    /// At a row's end, one step rewrites the two cells it changes (BB(5)'s rows are 12,000
    /// tokens, its steps change two).
    fn next_row(&mut self, row: &mut [u8]) -> bool {
        if self.col <= self.config.cells.len() || row.len() != self.tokens.len() {
            return crate::encoding::contract::fill_row(self, row);
        }
        let Some(changed) = self.advance() else {
            return false;
        };
        for i in changed {
            row[1 + i] = self.tokens[1 + i].0 as u8;
        }
        true
    }
}
