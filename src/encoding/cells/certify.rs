//! The `cells` certificate: every local context of a row, checked through the executor's own
//! scoring (proofs/cells.md#certificate).

use super::compile::{CENTRE, LEFT, RIGHT};
use super::{next_cell, Dictionary};
use crate::certify::{
    check_shape, local_view, not_certified, Certificate, CertifyError, ContextChecker, Local,
};
use crate::machine::Machine;
use crate::predictor::{LinearAr, TokenId, Weight};
use crate::rows::{RowExecutor, RowScorer};
use crate::window::{CellToken, Window};

/// Checks `predictor` on every local context of `machine`'s `cells` traces on `window`.
pub fn certify_cells<T: Weight>(
    machine: &Machine,
    predictor: &LinearAr<T>,
    window: Window,
) -> Result<Certificate, CertifyError> {
    certify_cells_reporting(machine, predictor, window, &mut |_, _| {})
}

/// [`certify_cells`], calling `progress(done, total)` as it goes (`total` groups of contexts, one a
/// row-t token at the centre of the context, then the separator contexts).
pub(crate) fn certify_cells_reporting<T: Weight>(
    machine: &Machine,
    predictor: &LinearAr<T>,
    window: Window,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Certificate, CertifyError> {
    let dict = Dictionary::new(machine);
    let s = window.size;
    check_shape(predictor, s, "cells", dict.names(machine))?;
    let restricted;
    let predictor = match local_view(predictor, &[s, s + 1, s + 2]) {
        Local::AsIs => predictor,
        Local::Restricted(p) => {
            restricted = p;
            &restricted
        }
        Local::Not(reason) => return Ok(not_certified(reason)),
    };
    let cells: Vec<CellToken> = dict.cells().collect();
    let heads = |t: &CellToken| matches!(t, CellToken::Cell { head: Some(_), .. }) as u32;
    let edge = |t: CellToken| std::iter::once(t);
    let mut checker = ContextChecker::new(predictor);
    // Where the row executor would run these weights (integer, at most 255 tokens), its own
    // scoring must pick the same token, on each path the CPU has; elsewhere it does not run
    // them, and its byte-wide token ids would say nothing about the predictor.
    if let Some(p) = T::as_exact(predictor).filter(|p| RowExecutor::qualifies(p, s + 1).is_ok()) {
        checker.rows_views = RowScorer::every_path(p);
    }
    let name = |t: TokenId| dict.name(machine, t);
    let mut check = |left: CellToken, centre: CellToken, right: CellToken, expected: CellToken| {
        let mut inputs = [dict.pad(); 3];
        inputs[LEFT] = dict.encode(left);
        inputs[CENTRE] = dict.encode(centre);
        inputs[RIGHT] = dict.encode(right);
        checker.check(
            inputs,
            dict.encode(expected),
            [left, centre, right].map(|t| dict.encode(t)),
            &name,
        );
    };
    // Cell positions: the centre is a cell, its neighbours cells or SEP (at the window's edges).
    let total = cells.len() as u64 + 1;
    let mut done = 0;
    for &centre in &cells {
        progress(done, total);
        done += 1;
        for left in cells.iter().copied().chain(edge(CellToken::Sep)) {
            for right in cells.iter().copied().chain(edge(CellToken::Sep)) {
                if heads(&left) + heads(&centre) + heads(&right) > 1 {
                    continue;
                }
                check(left, centre, right, next_cell(machine, left, centre, right));
            }
        }
    }
    // Separator positions: S+1 back is the previous SEP, S back the first cell of the previous
    // row, S+2 back the last cell of the row before it (or padding, before the trace starts).
    // These two cells are in different rows, so each may hold a head.
    for &right in &cells {
        for left in cells.iter().copied().chain(edge(CellToken::Pad)) {
            check(left, CellToken::Sep, right, CellToken::Sep);
        }
    }
    progress(total, total);
    Ok(checker.finish())
}
