//! A tape window: S cells of the machine's tape that a run is laid on, the configuration of a
//! run on it ([`WindowConfig`]: cells, head, state, stepped by the machine's own rules), how a
//! run on a window ends ([`TraceEnd`]) and why it cannot go on ([`WindowError`]).
//!
//! Every encoding lays its rows on a window, every weight file records one, and the row
//! executor's reference is a configuration on one; so this sits in the machine layer, below all
//! of them (ARCHITECTURE.md, "Layers"). [`window_of_run`] fits a window to what a run visits.

use crate::interpreter;
use crate::machine::{Input, Machine, StateId, Stop, SymbolId};
use serde::Serialize;

/// A tape window: S cells, with cell 0 of the machine's tape (where the input starts; the
/// head begins there unless the input says otherwise) at window index `origin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Number of cells S (at least 1).
    pub size: usize,
    /// Window index of the start cell.
    pub origin: usize,
}

/// A cell of a row as the `cells` dictionary spells it: a symbol, with the state where the
/// head is on it; or a row separator, or the padding before a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellToken {
    /// Row separator.
    Sep,
    /// A cell: its symbol and, if the head is on it, the state.
    Cell {
        /// The cell's symbol.
        symbol: SymbolId,
        /// The state, where the head is on this cell.
        head: Option<StateId>,
    },
    /// What positions before the start of the trace read as.
    Pad,
}

/// A configuration on a fixed window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    /// The S cells.
    pub cells: Vec<SymbolId>,
    /// Head index in the window.
    pub head: usize,
    /// Current state.
    pub state: StateId,
}

/// Why a run could not be laid on a window, or left it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum WindowError {
    /// The window has no cells.
    #[error("the tape window must have at least one cell")]
    Empty,
    /// The window's origin (where the input's first cell goes) lies outside it.
    #[error("the window's origin, cell {origin}, lies outside its {size} cells")]
    OriginOutside {
        /// The origin.
        origin: usize,
        /// Window size.
        size: usize,
    },
    /// The input does not fit right of the origin.
    #[error("the input ({input} cells from window cell {origin}) does not fit in a window of {size} cells")]
    InputTooLong {
        /// Input length.
        input: usize,
        /// Start cell.
        origin: usize,
        /// Window size.
        size: usize,
    },
    /// The head's start cell lies outside the window.
    #[error("the head's start cell {head} (window cell {origin} + {head}) lies outside a window of {size} cells")]
    HeadOutside {
        /// The head's start cell, relative to the input's first.
        head: usize,
        /// Window cell of the input's first cell.
        origin: usize,
        /// Window size.
        size: usize,
    },
    /// Step `step` moves the head off the window.
    #[error("the run leaves the tape window of {size} cells at step {step} (head moves {direction} from window cell {from})")]
    LeftWindow {
        /// The step (1-based) that leaves.
        step: u64,
        /// Window size.
        size: usize,
        /// Head's window cell before the step.
        from: usize,
        /// "left" or "right".
        direction: &'static str,
    },
}

impl WindowConfig {
    /// C0: blanks, the input from the origin on, head on the input's start cell (window cell
    /// `origin + input.head`) in the start state.
    pub fn initial(
        machine: &Machine,
        input: &Input,
        window: Window,
    ) -> Result<WindowConfig, WindowError> {
        if window.size == 0 {
            return Err(WindowError::Empty);
        }
        if window.origin >= window.size {
            return Err(WindowError::OriginOutside {
                origin: window.origin,
                size: window.size,
            });
        }
        if window.origin + input.len() > window.size {
            return Err(WindowError::InputTooLong {
                input: input.len(),
                origin: window.origin,
                size: window.size,
            });
        }
        let head = window.origin + input.head;
        if head >= window.size {
            return Err(WindowError::HeadOutside {
                head: input.head,
                origin: window.origin,
                size: window.size,
            });
        }
        let mut cells = vec![machine.blank(); window.size];
        cells[window.origin..window.origin + input.len()].copy_from_slice(input);
        Ok(WindowConfig {
            cells,
            head,
            state: machine.start(),
        })
    }

    /// Whether the configuration is final (halting state, or no rule).
    pub fn is_final(&self, machine: &Machine) -> bool {
        machine.is_final(self.state, self.cells[self.head])
    }

    /// Applies one step; `Ok(false)` if the configuration is final (nothing changes).
    /// `step` numbers the step for the error message.
    pub fn step(&mut self, machine: &Machine, step: u64) -> Result<bool, WindowError> {
        let read = self.cells[self.head];
        let Some(t) = machine
            .rule(self.state, read)
            .filter(|_| !machine.is_halting(self.state))
        else {
            return Ok(false);
        };
        let to = self.head as i64 + t.movement.delta();
        if to < 0 || to >= self.cells.len() as i64 {
            return Err(WindowError::LeftWindow {
                step,
                size: self.cells.len(),
                from: self.head,
                direction: if to < 0 { "left" } else { "right" },
            });
        }
        self.cells[self.head] = t.write;
        self.head = to as usize;
        self.state = t.next;
        Ok(true)
    }

    /// The token of window cell `i`.
    #[inline]
    pub fn token(&self, i: usize) -> CellToken {
        CellToken::Cell {
            symbol: self.cells[i],
            head: (i == self.head).then_some(self.state),
        }
    }

    /// The row as text, e.g. `1 1 [B]0 1`.
    pub fn render(&self, machine: &Machine) -> String {
        (0..self.cells.len())
            .map(|i| {
                let c = machine.symbol_char(self.cells[i]);
                if i == self.head {
                    format!("[{}]{}", machine.state_name(self.state), c)
                } else {
                    c.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How a reference trace ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TraceEnd {
    /// The last row is final (halting state or no rule).
    Final(Stop),
    /// The step limit was reached.
    StepLimit,
    /// The next step would leave the window.
    LeftWindow(WindowError),
}

/// The window of a run: the cells it visits (the head's start cell among them) plus the
/// input's, from the interpreter.
pub fn window_of_run(machine: &Machine, input: &Input, max_steps: u64) -> Window {
    let run = interpreter::run(machine, input, max_steps);
    let (size, origin) = run.window(input.len());
    Window { size, origin }
}
