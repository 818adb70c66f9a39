//! A divergence as a person reads it: the verifier's [`Divergence`] (positions and token ids)
//! with token names, located by row and cell ([`DivergenceReport`]), and the row geometry of
//! encodings that spell one token a cell ([`locate`]).

use crate::token::TokenId;
use crate::verify::Divergence;
use crate::window::Window;
use serde::Serialize;

/// The first divergence, with names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DivergenceReport {
    /// 0-based trace position.
    pub position: u64,
    /// The step (row) whose token differs; row 0 is the prompt.
    pub step: u64,
    /// The window cell (`null` for a separator).
    pub cell: Option<usize>,
    /// The interpreter's token (`null`: its trace had ended).
    pub expected: Option<String>,
    /// The predictor's token (`null`: it had stopped).
    pub got: Option<String>,
    /// The two best tokens and their scores.
    pub top: Vec<(String, f64)>,
    /// The tokens at the predictor's offsets, largest first (for `cells`: S+2, S+1, S =
    /// left, centre, right in the previous row).
    pub context: Vec<String>,
    /// `gates` only: the bit of the cell that differs, as its `cells` token (e.g. `⟨B,1⟩`);
    /// `null` for the other encodings (present, so the JSON's keys never vary).
    pub bit: Option<String>,
}

/// Where a trace position falls: (row = step index, column: `None` for SEP, else the cell).
pub fn locate(window: Window, position: u64) -> (u64, Option<usize>) {
    let w = window.size as u64 + 1;
    let col = (position % w) as usize;
    (position / w, col.checked_sub(1))
}

/// A divergence of a row-of-cells encoding (`cells`, `sweep`) with token names, located by
/// row and cell, its context listed from the largest offset down.
pub fn token_divergence(
    d: Divergence,
    window: Window,
    offsets: &[usize],
    name: impl Fn(TokenId) -> String,
) -> DivergenceReport {
    let (step, cell) = locate(window, d.position);
    let k = d.context.len();
    DivergenceReport {
        position: d.position,
        step,
        cell,
        expected: d.expected.map(&name),
        got: d.got.map(&name),
        top: d.top.iter().map(|&(t, s)| (name(t), s)).collect(),
        context: offsets
            .iter()
            .rev()
            .map(|&j| name(d.context[k - j]))
            .collect(),
        bit: None,
    }
}
