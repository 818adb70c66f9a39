//! A run as the token ids of an encoding, collected whole (for a notebook, a page, a test):
//! the window resolved and checked as every command checks it, and the length bounded before
//! anything is allocated past [`MAX_TRACE_TOKENS`].

use crate::api::error::ApiError;
use crate::api::prepare::{encoding, resolve_window};
use crate::encoding::{Encoding, EncodingKind, Trace};
use crate::machine::{Input, Machine};
use crate::token::TokenId;
use crate::window::{TraceEnd, Window};
use serde::Serialize;

/// The most tokens a collected trace holds (4 bytes each: 256 MiB). Streaming consumers
/// (`emulate`, `trace` on the command line) have no such bound.
pub const MAX_TRACE_TOKENS: u64 = 1 << 26;

/// A run as an encoding's tokens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenTrace {
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: &'static str,
    /// Window size S.
    pub tape_cells: usize,
    /// Window cell where the input starts.
    pub origin: usize,
    /// Prompt length (the first row).
    pub prompt_tokens: usize,
    /// Steps of the run the tokens cover.
    pub steps: u64,
    /// How the run ended: halted, no-rule, step-limit, or `left-window: …`.
    pub end: Option<String>,
    /// The dictionary, by token id.
    pub labels: Vec<String>,
    /// The tokens, prompt first.
    #[serde(skip)]
    pub ids: Vec<TokenId>,
}

/// The run of `input` on `machine` as the tokens of `kind`, at most `max_steps` steps, on
/// `window` (or the cells the run visits); refused when the window is beyond the limits or the
/// trace would hold more than `max_tokens` tokens (at most [`MAX_TRACE_TOKENS`]).
pub fn token_trace(
    machine: &Machine,
    input: &Input,
    kind: EncodingKind,
    window: Option<Window>,
    max_steps: u64,
    max_tokens: u64,
) -> Result<TokenTrace, ApiError> {
    token_trace_with(
        machine,
        input,
        kind,
        window,
        max_steps,
        max_tokens,
        &mut |_| {},
    )
}

/// [`token_trace`], calling `progress(tokens)` about every 2^20 tokens collected (a shell checks
/// for an interrupt there).
pub fn token_trace_with(
    machine: &Machine,
    input: &Input,
    kind: EncodingKind,
    window: Option<Window>,
    max_steps: u64,
    max_tokens: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<TokenTrace, ApiError> {
    let limit = max_tokens.min(MAX_TRACE_TOKENS);
    let w = resolve_window(window, None, machine, input, max_steps)?;
    let enc = encoding(machine, kind, w)?;
    let mut t = enc
        .trace(machine, input, max_steps)
        .map_err(|e| ApiError::Compile {
            machine: machine.name().to_string(),
            message: e.to_string(),
        })?;
    let mut ids = Vec::new();
    for token in t.by_ref() {
        if ids.len() as u64 >= limit {
            return Err(ApiError::TraceTooLong {
                machine: machine.name().to_string(),
                steps: Trace::steps(&t),
                limit,
            });
        }
        ids.push(token);
        if ids.len().is_multiple_of(1 << 20) {
            progress(ids.len() as u64);
        }
    }
    let end = Trace::end(&t).map(|e| match e {
        TraceEnd::Final(stop) => stop.name().to_string(),
        TraceEnd::StepLimit => "step-limit".to_string(),
        TraceEnd::LeftWindow(w) => format!("left-window: {w}"),
    });
    Ok(TokenTrace {
        machine: machine.name().to_string(),
        encoding: enc.info().name,
        tape_cells: w.size,
        origin: w.origin,
        prompt_tokens: enc.row_len(),
        steps: Trace::steps(&t),
        end,
        labels: enc.token_names(machine),
        ids,
    })
}
