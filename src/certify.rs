//! The certificate: an exhaustive check of a `cells` predictor on every local context.
//!
//! For every (left, centre, right) triple of row-t tokens with at most one head, and every
//! separator context, the predictor's exact integer scores must put the token of the local rule
//! ([`next_cell`]) first with a margin of at least 1, and the executor's own argmax (the SIMD
//! kernel of [`LinearAr::argmax_of`]) must pick it. With the induction in `proofs/cells.md`
//! this proves the emulation right for every input that stays inside the window.
//! [`certify_sweep`] does the same for the `sweep` encoding (proofs/sweep.md#certificate).

use crate::compiler::{CENTRE, LEFT, RIGHT};
use crate::encoding::cells::{next_cell, CellToken, Dictionary, Window};
use crate::encoding::sweep::{self, FoldedMachine, StayLoops, SweepToken};
use crate::machine::Machine;
use crate::predictor::LinearAr;
use serde::Serialize;

/// The outcome of a certification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// Whether every context was right with margin ≥ 1.
    pub certified: bool,
    /// Number of local contexts checked.
    pub contexts: u64,
    /// Smallest margin (score of the right token minus the best other score) over all contexts.
    pub min_margin: i64,
    /// Contexts that failed (the first few).
    pub failures: Vec<ContextFailure>,
    /// Number of contexts that failed.
    pub failed: u64,
}

/// A local context where the predictor is wrong or its margin is below 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContextFailure {
    /// Token names at offsets S+2, S+1, S (left, centre, right); for `sweep`, at offsets
    /// 1, S+1, S (left in the same row, above, above-right).
    pub context: [String; 3],
    /// The local rule's token.
    pub expected: String,
    /// The predictor's argmax.
    pub got: String,
    /// Score of `expected` minus the best other score.
    pub margin: i64,
}

/// Why a predictor cannot be certified this way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertifyError {
    /// The predictor reads offsets outside S, S+1, S+2, so local contexts do not fix its output.
    #[error("the predictor reads offsets {offsets:?}; the local certificate needs exactly S, S+1, S+2 = {s}, {}, {}", s + 1, s + 2)]
    NotLocal {
        /// The predictor's offsets.
        offsets: Vec<usize>,
        /// The window size.
        s: usize,
    },
    /// The predictor's dictionary is not the machine's `cells` dictionary.
    #[error("the predictor has {got} tokens; the machine's cells dictionary has {expected}")]
    Dictionary {
        /// Tokens in the predictor.
        got: usize,
        /// Tokens in the dictionary.
        expected: usize,
    },
    /// A `sweep` predictor must read exactly offsets 1, S, S+1.
    #[error("the predictor reads offsets {offsets:?}; the sweep certificate needs exactly 1, S, S+1 = 1, {s}, {}", s + 1)]
    SweepOffsets {
        /// The predictor's offsets.
        offsets: Vec<usize>,
        /// The window size.
        s: usize,
    },
    /// The predictor's tokens are not the machine's `sweep` dictionary.
    #[error("the predictor has {got} tokens; the machine's sweep dictionary has {expected}")]
    SweepDictionary {
        /// Tokens in the predictor.
        got: usize,
        /// Tokens in the dictionary.
        expected: usize,
    },
    /// The machine has stay moves that never end, so it has no `sweep` local rule.
    #[error(transparent)]
    StayLoops(#[from] StayLoops),
}

/// How many failing contexts a certificate keeps.
const KEEP_FAILURES: usize = 10;

/// Checks `predictor` on every local context of `machine`'s `cells` traces on `window`.
pub fn certify_cells(
    machine: &Machine,
    predictor: &LinearAr,
    window: Window,
) -> Result<Certificate, CertifyError> {
    let dict = Dictionary::new(machine);
    let s = window.size;
    if predictor.layout().offsets != [s, s + 1, s + 2] {
        return Err(CertifyError::NotLocal {
            offsets: predictor.layout().offsets.clone(),
            s,
        });
    }
    if predictor.layout().tokens.len() != dict.len() {
        return Err(CertifyError::Dictionary {
            got: predictor.layout().tokens.len(),
            expected: dict.len(),
        });
    }
    let cells: Vec<CellToken> = dict.cells().collect();
    let heads = |t: &CellToken| matches!(t, CellToken::Cell { head: Some(_), .. }) as u32;
    let edge = |t: CellToken| std::iter::once(t);
    let mut cert = Certificate {
        certified: true,
        contexts: 0,
        min_margin: i64::MAX,
        failures: Vec::new(),
        failed: 0,
    };
    let mut scores = vec![0i32; dict.len()];
    // The executor's own argmax (the SIMD kernel) must agree with the exact scores too.
    let mut executor_view = predictor.clone();
    let mut check = |left: CellToken, centre: CellToken, right: CellToken, expected: CellToken| {
        let mut inputs = [dict.pad(); 3];
        inputs[LEFT] = dict.encode(left);
        inputs[CENTRE] = dict.encode(centre);
        inputs[RIGHT] = dict.encode(right);
        predictor.scores_into(inputs.into_iter(), &mut scores);
        let e = dict.encode(expected).index();
        let best_other = scores
            .iter()
            .enumerate()
            .filter(|&(d, _)| d != e)
            .map(|(_, &x)| x)
            .max();
        let margin = (scores[e] - best_other.unwrap_or(scores[e] - 1)) as i64;
        let got = executor_view.argmax_of(&inputs);
        cert.contexts += 1;
        cert.min_margin = cert.min_margin.min(margin);
        if margin < 1 || got.index() != e {
            cert.certified = false;
            cert.failed += 1;
            if cert.failures.len() < KEEP_FAILURES {
                cert.failures.push(ContextFailure {
                    context: [left, centre, right].map(|t| dict.name(machine, dict.encode(t))),
                    expected: dict.name(machine, dict.encode(expected)),
                    got: dict.name(machine, got),
                    margin,
                });
            }
        }
    };
    // Cell positions: the centre is a cell, its neighbours cells or SEP (at the window's edges).
    for &centre in &cells {
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
    if cert.contexts == 0 {
        cert.min_margin = 0;
    }
    Ok(cert)
}

/// Checks `predictor` on every local context of `machine`'s `sweep` traces on `window`
/// (proofs/sweep.md#certificate): every cell context (left ∈ cells ∪ {SEP}, above-right ∈
/// cells ∪ markers ∪ {SEP}, above ∈ cells ∪ markers, of a shape
/// [`FoldedMachine::is_trace_context`] accepts) must give [`FoldedMachine::next_token`], every
/// SEP context (left, above-right ∈ cells ∪ markers, above = SEP) must give SEP, each by a
/// margin of at least 1.
pub fn certify_sweep(
    machine: &Machine,
    predictor: &LinearAr,
    window: Window,
) -> Result<Certificate, CertifyError> {
    let folded = FoldedMachine::new(machine)?;
    let dict = sweep::Dictionary::new(machine);
    let s = window.size;
    if predictor.layout().offsets != sweep::offsets(s) {
        return Err(CertifyError::SweepOffsets {
            offsets: predictor.layout().offsets.clone(),
            s,
        });
    }
    if predictor.layout().tokens.len() != dict.len() {
        return Err(CertifyError::SweepDictionary {
            got: predictor.layout().tokens.len(),
            expected: dict.len(),
        });
    }
    let mut cert = Certificate {
        certified: true,
        contexts: 0,
        min_margin: i64::MAX,
        failures: Vec::new(),
        failed: 0,
    };
    let mut scores = vec![0i32; dict.len()];
    let mut executor_view = predictor.clone();
    let mut check = |left: SweepToken, above_right: SweepToken, above: SweepToken| {
        let expected = folded.next_token(left, above_right, above);
        let mut inputs = [dict.pad(); 3];
        inputs[sweep::LEFT] = dict.encode(left);
        inputs[sweep::ABOVE_RIGHT] = dict.encode(above_right);
        inputs[sweep::ABOVE] = dict.encode(above);
        predictor.scores_into(inputs.into_iter(), &mut scores);
        let e = dict.encode(expected).index();
        let best_other = scores
            .iter()
            .enumerate()
            .filter(|&(d, _)| d != e)
            .map(|(_, &x)| x)
            .max();
        let margin = (scores[e] - best_other.unwrap_or(scores[e] - 1)) as i64;
        let got = executor_view.argmax_of(&inputs);
        cert.contexts += 1;
        cert.min_margin = cert.min_margin.min(margin);
        if margin < 1 || got.index() != e {
            cert.certified = false;
            cert.failed += 1;
            if cert.failures.len() < KEEP_FAILURES {
                cert.failures.push(ContextFailure {
                    context: [left, above, above_right].map(|t| dict.name(machine, dict.encode(t))),
                    expected: dict.name(machine, dict.encode(expected)),
                    got: dict.name(machine, got),
                    margin,
                });
            }
        }
    };
    let cells: Vec<SweepToken> = dict.cells().collect();
    let all: Vec<SweepToken> = dict.tokens().collect();
    let edge = std::iter::once(SweepToken::Sep);
    // Cell positions (Lemma 1): the left cell is generated (never a marker) or the row's SEP;
    // above-right is in the previous row or the row's own SEP at the last cell. Only the shapes
    // a trace can show (Lemma 2 (ii)); a left SEP constrains nothing, so a pair (above,
    // above-right) that fails with it fails with every left token.
    for &above in &all {
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
    if cert.contexts == 0 {
        cert.min_margin = 0;
    }
    Ok(cert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::machine_to_cells_predictor;
    use crate::machine::load::from_standard;
    use nalgebra::DMatrix;

    #[test]
    fn compiled_bb3_is_certified() {
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let cert = certify_cells(&m, &machine_to_cells_predictor(&m, w), w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, 1);
        // 1 + 2·4 = 9 tokens: 8 cells (2 with no head, 6 with one). Triples with ≤ 1 head over
        // 9 left/right choices (3 headless) and the SEP contexts.
        assert!(cert.contexts > 8 * 9);
    }

    #[test]
    fn a_broken_weight_is_caught() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let mut weights: Vec<DMatrix<i32>> = p.weights().to_vec();
        // Make the centre ⟨A,0⟩ vote for keeping symbol 0 instead of writing 1.
        weights[CENTRE][(1, 3)] += 8;
        let broken = LinearAr::new(p.layout().clone(), weights);
        let cert = certify_cells(&m, &broken, w).unwrap();
        assert!(!cert.certified);
        assert!(cert.failed > 0);
        assert_eq!(cert.failures[0].context[1], "⟨A,0⟩");
    }

    #[test]
    fn compiled_sweep_is_certified_and_a_broken_weight_is_caught() {
        use crate::compiler::machine_to_sweep_predictor;
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let p = machine_to_sweep_predictor(&m, w).unwrap();
        let cert = certify_sweep(&m, &p, w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, 1);
        // Make the marker above start state B instead of A.
        let dict = sweep::Dictionary::new(&m);
        let start0 = dict.encode(SweepToken::Start(crate::machine::SymbolId(0)));
        let b0 = dict.encode(SweepToken::Cell {
            symbol: crate::machine::SymbolId(0),
            head: Some(crate::machine::StateId(1)),
        });
        let mut weights: Vec<DMatrix<i32>> = p.weights().to_vec();
        weights[sweep::ABOVE][(b0.index(), start0.index())] += 3;
        let broken = LinearAr::new(p.layout().clone(), weights);
        let cert = certify_sweep(&m, &broken, w).unwrap();
        assert!(!cert.certified);
        assert_eq!(cert.failures[0].context[1], "⟨▸0⟩");
        assert_eq!(cert.failures[0].got, "⟨B,0⟩");
        // A cells predictor is refused.
        assert!(matches!(
            certify_sweep(&m, &machine_to_cells_predictor(&m, w), w),
            Err(CertifyError::SweepOffsets { .. })
        ));
    }

    #[test]
    fn sweep_context_count_matches_the_formula() {
        use crate::compiler::machine_to_sweep_predictor;
        use crate::encoding::sweep::Fold;
        use crate::machine::Move;
        // Stays, a missing rule, a halting state, moves both ways.
        let m = from_standard("1RA1SB0LA_2SC---1RB", "mixed").unwrap();
        let w = Window { size: 3, origin: 0 };
        let cert = certify_sweep(&m, &machine_to_sweep_predictor(&m, w).unwrap(), w).unwrap();
        assert!(cert.certified, "{cert:?}");
        let f = FoldedMachine::new(&m).unwrap();
        // proofs/sweep.md#certificate: n0 plain tokens (= markers), n1 heads, f_R / f_L heads
        // that move R / L.
        let (n0, n1) = (
            m.num_symbols() as u64,
            (m.num_symbols() * m.num_states()) as u64,
        );
        let dict = sweep::Dictionary::new(&m);
        let moving = |way| {
            dict.cells()
                .filter(|&t| match t {
                    SweepToken::Cell {
                        symbol,
                        head: Some(q),
                    } => matches!(
                        f.fold(q, symbol), Fold::Move { movement, .. } if movement == way
                    ),
                    _ => false,
                })
                .count() as u64
        };
        let (fr, fl) = (moving(Move::R), moving(Move::L));
        let with_markers = (n0 + 1) * ((2 * n0 + 1) * 2 * n0 - (n0 + 1) * n0);
        let plain = (n0 + 1) * (n0 + 1) * n0;
        let one_head = n1 * (n0 + 1) * (n0 + 1) + 2 * n1 * n0 * (n0 + 1);
        let two_heads = (fr + fl) * n0 * (n0 + 1);
        let sep = (n0 + n1 + n0) * (n0 + n1 + n0);
        assert_eq!(
            cert.contexts,
            with_markers + plain + one_head + two_heads + sep
        );
    }
}
