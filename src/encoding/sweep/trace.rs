//! The interpreter's run as a `sweep` trace ([`ReferenceTrace`], one row per run of right
//! moves) and a row decoded back into the path it spells ([`decode_row`]).

use crate::encoding::contract::{Trace, TraceExtras};
use crate::encoding::sweep::fold::{Fold, FoldedMachine};
use crate::encoding::sweep::{Dictionary, SweepToken};
use crate::machine::{Input, Machine, Move, Stop};
use crate::predictor::TokenId;
use crate::window::{TraceEnd, Window, WindowConfig, WindowError};

/// The interpreter's run as a stream of `sweep` tokens, produced row by row by stepping the
/// machine on the window one step at a time: memory is one row, whatever the length of the run.
///
/// A row is emitted only once its path is complete (a left move or a final configuration); a
/// step limit or a step that leaves the window in the middle of a path ends the trace before
/// that row (proofs/sweep.md#length).
#[derive(Clone, Debug)]
pub struct ReferenceTrace<'m> {
    machine: &'m Machine,
    dict: Dictionary,
    /// The configuration at the end of the last complete row (C0 before row 1).
    config: WindowConfig,
    max_steps: u64,
    /// Steps up to the end of the last complete row.
    steps: u64,
    /// Steps the machine ran, a path cut off before its row was complete included.
    run_steps: u64,
    left_moves: u64,
    rows: u64,
    last_row_final: bool,
    /// The row being emitted: SEP, then S tokens.
    row: Vec<TokenId>,
    col: usize,
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
        let config = WindowConfig::initial(machine, input, window)?;
        let dict = Dictionary::new(machine);
        let mut row = vec![dict.encode(SweepToken::Sep)];
        row.extend(config.cells.iter().enumerate().map(|(i, &symbol)| {
            dict.encode(if i == config.head {
                SweepToken::Start(symbol)
            } else {
                SweepToken::Cell { symbol, head: None }
            })
        }));
        Ok(ReferenceTrace {
            machine,
            dict,
            config,
            max_steps,
            steps: 0,
            run_steps: 0,
            left_moves: 0,
            rows: 0,
            last_row_final: false,
            row,
            col: 0,
            end: None,
        })
    }

    /// How the trace ended (`None` while tokens remain).
    pub fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    /// Steps of the run covered by the complete rows so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Left moves among those steps (each ended a row).
    pub fn left_moves(&self) -> u64 {
        self.left_moves
    }

    /// Rows after the prompt emitted (or being emitted) so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The configuration at the end of the last complete row's path (C0 before row 1); once
    /// the trace has ended by step limit or by leaving the window, where the run stopped.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Computes the next row from the configuration at the end of the last one.
    fn advance(&mut self) -> Result<(), TraceEnd> {
        let m = self.machine;
        if self.last_row_final {
            let stop = if m.is_halting(self.config.state) {
                Stop::Halted
            } else {
                Stop::NoRule
            };
            return Err(TraceEnd::Final(stop));
        }
        let c = &mut self.config;
        for (slot, &symbol) in self.row[1..].iter_mut().zip(&c.cells) {
            *slot = self.dict.encode(SweepToken::Cell { symbol, head: None });
        }
        let mut steps = self.steps;
        let mut left = false;
        'path: loop {
            // The head arrives on a cell: the row shows the state and the symbol it reads.
            let h = c.head;
            self.row[1 + h] = self.dict.encode(SweepToken::Cell {
                symbol: c.cells[h],
                head: Some(c.state),
            });
            loop {
                if c.is_final(m) {
                    break 'path;
                }
                if steps >= self.max_steps {
                    self.run_steps = steps;
                    return Err(TraceEnd::StepLimit);
                }
                c.step(m, steps + 1).map_err(|e| {
                    self.run_steps = steps;
                    TraceEnd::LeftWindow(e)
                })?;
                steps += 1;
                if c.head > h {
                    continue 'path;
                }
                if c.head < h {
                    left = true;
                    break 'path;
                }
            }
        }
        self.steps = steps;
        self.run_steps = steps;
        self.rows += 1;
        self.left_moves += left as u64;
        self.last_row_final = !left;
        Ok(())
    }
}

impl Iterator for ReferenceTrace<'_> {
    type Item = TokenId;

    #[inline]
    fn next(&mut self) -> Option<TokenId> {
        if self.col == self.row.len() {
            if self.end.is_some() {
                return None;
            }
            if let Err(end) = self.advance() {
                self.end = Some(end);
                return None;
            }
            self.col = 0;
        }
        let t = self.row[self.col];
        self.col += 1;
        Some(t)
    }
}

/// How a row's path ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowEnd {
    /// The prompt: no path, the marker says where the first one starts.
    Prompt,
    /// A left move: the next row starts one cell to the left.
    Left,
    /// A final configuration: the run is over.
    Final,
}

/// A row decoded: the configuration at the end of its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedRow {
    /// The configuration at the end of the row's path (C0 for the prompt).
    pub config: WindowConfig,
    /// Steps the path takes (0 for the prompt).
    pub steps: u64,
    /// How the path ends.
    pub end: RowEnd,
}

/// A row of tokens that is not a `sweep` row.
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
    /// The row mixes start markers with heads, or has several markers.
    #[error("a row holds either one start marker and no head (the prompt) or no marker; this one has {markers} markers and {heads} heads")]
    Markers {
        /// Markers found.
        markers: usize,
        /// Heads found.
        heads: usize,
    },
    /// The row has no head (and no marker).
    #[error("the row has no head")]
    NoHead,
    /// The heads are not one path: a gap, or a head that does not move right into the next.
    #[error("the heads do not form one path: the head on cell {0} does not lead to the next one")]
    Broken(usize),
    /// The path leaves the window (right off the last cell, or left off cell 0).
    #[error("the path leaves the window from cell {0}")]
    LeavesWindow(usize),
}

/// Decodes one row `SEP …` back into the configuration at the end of its path
/// (proofs/sweep.md#rows); the prompt row decodes to C0.
pub fn decode_row(
    folded: &FoldedMachine,
    dict: &Dictionary,
    row: &[TokenId],
) -> Result<DecodedRow, DecodeError> {
    let size = row.len().saturating_sub(1);
    if row.first().map(|&t| dict.decode(t)) != Some(SweepToken::Sep) || size == 0 {
        return Err(DecodeError::Shape { size });
    }
    let mut cells = Vec::with_capacity(size);
    let mut heads = Vec::new();
    let mut markers = Vec::new();
    for (i, &t) in row[1..].iter().enumerate() {
        match dict.decode(t) {
            SweepToken::Cell { symbol, head } => {
                cells.push(symbol);
                if let Some(q) = head {
                    heads.push((i, q));
                }
            }
            SweepToken::Start(symbol) => {
                cells.push(symbol);
                markers.push(i);
            }
            SweepToken::Sep | SweepToken::Pad => return Err(DecodeError::NotACell(i)),
        }
    }
    match (&markers[..], heads.is_empty()) {
        (&[head], true) => {
            return Ok(DecodedRow {
                config: WindowConfig {
                    cells,
                    head,
                    state: folded.start(),
                },
                steps: 0,
                end: RowEnd::Prompt,
            })
        }
        ([], false) => {}
        ([], true) => return Err(DecodeError::NoHead),
        _ => {
            return Err(DecodeError::Markers {
                markers: markers.len(),
                heads: heads.len(),
            })
        }
    }
    let mut steps = 0u64;
    for (j, &(i, q)) in heads.iter().enumerate() {
        let fold = folded.fold(q, cells[i]);
        let last = j + 1 == heads.len();
        match fold {
            Fold::Move {
                write,
                movement: Move::R,
                next,
                steps: n,
            } => {
                if last {
                    return Err(DecodeError::LeavesWindow(i));
                }
                if heads[j + 1] != (i + 1, next) {
                    return Err(DecodeError::Broken(i));
                }
                cells[i] = write;
                steps += n as u64;
            }
            Fold::Move {
                write,
                next,
                steps: n,
                ..
            } => {
                if !last {
                    return Err(DecodeError::Broken(i));
                }
                if i == 0 {
                    return Err(DecodeError::LeavesWindow(i));
                }
                cells[i] = write;
                return Ok(DecodedRow {
                    config: WindowConfig {
                        cells,
                        head: i - 1,
                        state: next,
                    },
                    steps: steps + n as u64,
                    end: RowEnd::Left,
                });
            }
            Fold::Final {
                state,
                symbol,
                steps: n,
            } => {
                if !last {
                    return Err(DecodeError::Broken(i));
                }
                cells[i] = symbol;
                return Ok(DecodedRow {
                    config: WindowConfig {
                        cells,
                        head: i,
                        state,
                    },
                    steps: steps + n as u64,
                    end: RowEnd::Final,
                });
            }
        }
    }
    // Not reached: `heads` is not empty and the loop returns at its last element.
    Err(DecodeError::NoHead)
}

impl Trace for ReferenceTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        self.end.as_ref()
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn run_steps(&self) -> u64 {
        self.run_steps.max(self.steps)
    }

    /// `(left moves + [final])·(S+1)` (proofs/sweep.md#length).
    fn expected_tokens(&self) -> u64 {
        let is_final = matches!(self.end, Some(TraceEnd::Final(_)));
        (self.left_moves + is_final as u64) * (self.config.cells.len() as u64 + 1)
    }

    fn formula(&self) -> String {
        let is_final = matches!(self.end, Some(TraceEnd::Final(_)));
        format!(
            "(L+[final])·(S+1) = ({}+{})·{}",
            self.left_moves,
            is_final as u64,
            self.config.cells.len() + 1
        )
    }

    fn extras(&self) -> TraceExtras {
        TraceExtras {
            left_moves: Some(self.left_moves),
            ..TraceExtras::default()
        }
    }
}
