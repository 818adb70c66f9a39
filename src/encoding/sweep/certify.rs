//! The `sweep` certificate: every local context of a row's path, checked through the executor's
//! own scoring (proofs/sweep.md#certificate).

use super::{FoldedMachine, SweepToken};
use crate::certify::{
    check_shape, local_view, not_certified, Certificate, CertifyError, ContextChecker, Local,
};
use crate::encoding::sweep;
use crate::machine::Machine;
use crate::predictor::{LinearAr, TokenId, Weight};
use crate::window::Window;

/// Checks `predictor` on every local context of `machine`'s `sweep` traces on `window`
/// (proofs/sweep.md#certificate): every cell context (left ∈ cells ∪ {SEP}, above-right ∈
/// cells ∪ markers ∪ {SEP}, above ∈ cells ∪ markers, of a shape
/// [`FoldedMachine::is_trace_context`] accepts) must give [`FoldedMachine::next_token`], every
/// SEP context (left, above-right ∈ cells ∪ markers, above = SEP) must give SEP, each by a
/// margin of at least 1.
pub fn certify_sweep<T: Weight>(
    machine: &Machine,
    predictor: &LinearAr<T>,
    window: Window,
) -> Result<Certificate, CertifyError> {
    certify_sweep_reporting(machine, predictor, window, &mut |_, _| {})
}

/// [`certify_sweep`], calling `progress(done, total)` as it goes (`total` groups of contexts, one a
/// row-t token at the centre of the context, then the separator contexts).
pub(crate) fn certify_sweep_reporting<T: Weight>(
    machine: &Machine,
    predictor: &LinearAr<T>,
    window: Window,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Certificate, CertifyError> {
    let folded = FoldedMachine::new(machine)?;
    let dict = sweep::Dictionary::new(machine);
    let s = window.size;
    check_shape(predictor, s, "sweep", dict.names(machine))?;
    let restricted;
    let predictor = match local_view(predictor, &sweep::offsets(s)) {
        Local::AsIs => predictor,
        Local::Restricted(p) => {
            restricted = p;
            &restricted
        }
        Local::Not(reason) => return Ok(not_certified(reason)),
    };
    let mut checker = ContextChecker::new(predictor);
    let name = |t: TokenId| dict.name(machine, t);
    let mut check = |left: SweepToken, above_right: SweepToken, above: SweepToken| {
        let expected = folded.next_token(left, above_right, above);
        let mut inputs = [dict.pad(); 3];
        inputs[sweep::LEFT] = dict.encode(left);
        inputs[sweep::ABOVE_RIGHT] = dict.encode(above_right);
        inputs[sweep::ABOVE] = dict.encode(above);
        checker.check(
            inputs,
            dict.encode(expected),
            [left, above, above_right].map(|t| dict.encode(t)),
            &name,
        );
    };
    let cells: Vec<SweepToken> = dict.cells().collect();
    let all: Vec<SweepToken> = dict.tokens().collect();
    let edge = std::iter::once(SweepToken::Sep);
    // Cell positions (Lemma 1): the left cell is generated (never a marker) or the row's SEP;
    // above-right is in the previous row or the row's own SEP at the last cell. Only the shapes
    // a trace can show (Lemma 2 (ii)); a left SEP constrains nothing, so a pair (above,
    // above-right) that fails with it fails with every left token.
    let total = all.len() as u64 + 1;
    let mut done = 0;
    for &above in &all {
        progress(done, total);
        done += 1;
        for above_right in all.iter().copied().chain(edge.clone()) {
            if !folded.is_trace_context(SweepToken::Sep, above_right, above) {
                continue;
            }
            for left in cells.iter().copied().chain(edge.clone()) {
                if folded.is_trace_context(left, above_right, above) {
                    check(left, above_right, above);
                }
            }
        }
    }
    // Separator positions: above is the previous SEP, above-right cell 0 and left cell S−1 of
    // the previous row (any tokens: the previous row may be the prompt).
    for &above_right in &all {
        for &left in &all {
            check(left, above_right, SweepToken::Sep);
        }
    }
    progress(total, total);
    Ok(checker.finish())
}
