//! `arsim trace`: the `cells` trace rendered row by row as text or token names, streaming.

use crate::encoding::cells::Dictionary;
use crate::machine::{Input, Machine};
use crate::window::{Window, WindowConfig, WindowError};
use serde::Serialize;

/// One row of a rendered trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRow {
    /// The step (row 0 is the prompt).
    pub step: u64,
    /// The state's name.
    pub state: String,
    /// The head's window cell.
    pub head: usize,
    /// The row: compact (`c.render`), or the token names with `SEP` first.
    pub row: String,
}

/// How a rendered trace ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedTrace {
    /// Steps rendered after the prompt row.
    pub steps: u64,
    /// Whether the last row is final (halted or no rule).
    pub is_final: bool,
    /// Why the run left the window, when it did.
    pub left_window: Option<WindowError>,
}

/// Renders the `cells` trace of `input` on `window` row by row, handing each row to `row`
/// (streaming: nothing is kept), up to `max_steps` steps; `tokens` spells token names instead
/// of the compact row. This is `arsim trace`.
pub fn render_trace(
    machine: &Machine,
    input: &Input,
    window: Window,
    max_steps: u64,
    tokens: bool,
    row: &mut dyn FnMut(TraceRow),
) -> Result<RenderedTrace, WindowError> {
    let mut config = WindowConfig::initial(machine, input, window)?;
    let dict = Dictionary::new(machine);
    let render = |c: &WindowConfig| {
        if tokens {
            let mut names = vec!["SEP".to_string()];
            names.extend((0..window.size).map(|i| dict.name(machine, dict.encode(c.token(i)))));
            names.join(" ")
        } else {
            c.render(machine)
        }
    };
    let mut left = None;
    let mut step = 0u64;
    loop {
        row(TraceRow {
            step,
            state: machine.state_name(config.state).to_string(),
            head: config.head,
            row: render(&config),
        });
        if step >= max_steps {
            break;
        }
        match config.step(machine, step + 1) {
            Ok(true) => step += 1,
            Ok(false) => break,
            Err(e) => {
                left = Some(e);
                break;
            }
        }
    }
    Ok(RenderedTrace {
        steps: step,
        is_final: config.is_final(machine),
        left_window: left,
    })
}
