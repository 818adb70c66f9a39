//! The certificates: exhaustive checks of a predictor on every local context of its encoding.
//!
//! This module holds what the certificates share (the report, [`Margin`], the shape checks and
//! the `ContextChecker` that scores a context through the executor's own code); each encoding's
//! certificate lives in its folder and is re-exported here. For `cells`: for every (left, centre, right) triple of row-t tokens with at most one head, and every
//! separator context, the predictor's exact integer scores must put the token of the local rule
//! ([`next_cell`](crate::encoding::cells::next_cell)) first with a margin of at least 1, and the executor's own argmax (the SIMD
//! kernel of [`LinearAr::argmax_of`]) must pick it, and so must the row executor's scoring
//! ([`crate::rows::RowScorer`], for `cells`). With the induction in `proofs/cells.md`
//! this proves the emulation right for every input that stays inside the window.
//! [`certify_sweep`] does the same for the `sweep` encoding (proofs/sweep.md#certificate).
//!
//! [`certify_gates`] is the certificate of the `gates` encoding (`proofs/gates.md#theorem`):
//! every gate of a row computes the local rule on every valid three-cell context, and the
//! time-dependent predictor computes the unrolled circuit gate by gate (by enumeration where a
//! gate reads few enough tokens, by a proof from the weights otherwise).

use crate::encoding::sweep::StayLoops;
use crate::predictor::{LinearAr, TokenId, Weight};
use serde::Serialize;

/// A score difference: exact for integer weights, in the weights' own float precision
/// (widened to `f64` for the report) for float weights. Serialised as a plain number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Margin {
    /// Integer weights: computed in `i64`, never overflowing.
    Exact(i64),
    /// Float weights: the difference of the scores the executor computes.
    Float(f64),
}

impl Margin {
    /// The margin as `f64` (exact for integers up to 2^53).
    pub fn value(self) -> f64 {
        match self {
            Margin::Exact(m) => m as f64,
            Margin::Float(m) => m,
        }
    }

    /// Whether the right token wins outright: margin ≥ 1 for integers, > 0 for floats (a
    /// float tie or NaN is never a win).
    pub fn is_winning(self) -> bool {
        match self {
            Margin::Exact(m) => m >= 1,
            Margin::Float(m) => m > 0.0,
        }
    }

    /// The smaller of two margins (a NaN is smallest).
    fn min(self, other: Margin) -> Margin {
        match (self, other) {
            (Margin::Exact(a), Margin::Exact(b)) => Margin::Exact(a.min(b)),
            (a, _) if a.value().is_nan() => a,
            (a, b) if b.value().is_nan() || b.value() < a.value() => b,
            (a, _) => a,
        }
    }
}

impl PartialEq<i64> for Margin {
    fn eq(&self, other: &i64) -> bool {
        *self == Margin::Exact(*other)
    }
}

impl std::fmt::Display for Margin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Margin::Exact(m) => write!(f, "{m}"),
            Margin::Float(m) => write!(f, "{m}"),
        }
    }
}

/// The outcome of a certification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Certificate {
    /// Whether every context was right with a winning margin (≥ 1 for integer weights, > 0 for
    /// float weights) and the executor's own argmax picked the right token.
    pub certified: bool,
    /// Number of local contexts checked.
    pub contexts: u64,
    /// Smallest margin (score of the right token minus the best other score) over all contexts.
    pub min_margin: Margin,
    /// Contexts that failed (the first few).
    pub failures: Vec<ContextFailure>,
    /// Number of contexts that failed.
    pub failed: u64,
    /// Why no context could be checked, when the certificate does not apply to these weights
    /// (they read non-zero weights at offsets the local rule does not fix). Serialised as `null`
    /// when there is none, so the JSON's keys never vary (docs/json.md).
    pub reason: Option<String>,
}

/// A local certificate as `arsim certify --json` (and Python's `Predictor.certify`) print it:
/// the machine, encoding and window, then the certificate's own keys.
#[derive(Clone, Debug, Serialize)]
pub struct LocalCertifyReport<'c> {
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: &'static str,
    /// The window size S the offsets were laid out for.
    pub tape_cells: usize,
    /// The certificate.
    #[serde(flatten)]
    pub certificate: &'c Certificate,
}

/// A local context where the predictor is wrong or its margin is below 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextFailure {
    /// Token names at offsets S+2, S+1, S (left, centre, right); for `sweep`, at offsets
    /// 1, S+1, S (left in the same row, above, above-right).
    pub context: [String; 3],
    /// The local rule's token.
    pub expected: String,
    /// The predictor's argmax.
    pub got: String,
    /// Score of `expected` minus the best other score.
    pub margin: Margin,
}

/// A certificate of any encoding.
#[derive(Clone, Debug, PartialEq)]
pub enum CertifyReport {
    /// `cells` or `sweep`: every local context.
    Local(Certificate),
    /// `gates`: every gate of a row, and the predictor against the unrolled circuit.
    Gates(GatesCertificate),
}

impl CertifyReport {
    /// Whether the predictor is certified.
    pub fn certified(&self) -> bool {
        match self {
            CertifyReport::Local(c) => c.certified,
            CertifyReport::Gates(c) => c.certified,
        }
    }
}

/// Why a predictor cannot be certified this way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertifyError {
    /// The predictor's dictionary is not the machine's dictionary for the encoding: the labels
    /// are compared, not only their number (swapping two labels is a different predictor).
    #[error(
        "the predictor's tokens {got:?} are not the machine's {encoding} dictionary {expected:?}"
    )]
    Dictionary {
        /// The encoding.
        encoding: &'static str,
        /// The predictor's labels.
        got: Vec<String>,
        /// The dictionary's labels.
        expected: Vec<String>,
    },
    /// A window of no cells, or a predictor reading offset 0 (the position it predicts).
    #[error("window size S = {s} and offsets {offsets:?}: the certificate needs S ≥ 1 and every offset ≥ 1 (offset 0 reads the position being predicted)")]
    Degenerate {
        /// The window size.
        s: usize,
        /// The predictor's offsets.
        offsets: Vec<usize>,
    },
    /// The machine has stay moves that never end, so it has no `sweep` local rule.
    #[error(transparent)]
    StayLoops(#[from] StayLoops),
    /// The `gates` certificate does not apply.
    #[error("machine {machine}: {source}")]
    Gates {
        /// The machine's name.
        machine: String,
        /// Why.
        source: GatesCertifyError,
    },
    /// Weights of the other kind (dense for an encoding whose weights are sparse, or back).
    #[error("the {encoding} encoding certifies {wants} weights; these are {found}")]
    WeightsKind {
        /// The encoding.
        encoding: &'static str,
        /// What it certifies.
        wants: &'static str,
        /// What it was given.
        found: &'static str,
    },
}

/// The dense weights an encoding with offset matrices certifies, or why these are not.
pub(crate) fn dense_weights<'w>(
    weights: &'w crate::weights::Weights,
    encoding: &'static str,
) -> Result<&'w crate::weights::DenseWeights, CertifyError> {
    match weights {
        crate::weights::Weights::Dense(d) => Ok(d),
        crate::weights::Weights::Sparse(_) => Err(CertifyError::WeightsKind {
            encoding,
            wants: "dense",
            found: "sparse",
        }),
    }
}

/// Refuses S = 0, offset 0, and a dictionary whose labels differ from the machine's.
pub(crate) fn check_shape<T: Weight>(
    predictor: &LinearAr<T>,
    s: usize,
    encoding: &'static str,
    expected: Vec<String>,
) -> Result<(), CertifyError> {
    let offsets = &predictor.layout().offsets;
    if s < 1 || offsets.iter().any(|&j| j < 1) {
        return Err(CertifyError::Degenerate {
            s,
            offsets: offsets.clone(),
        });
    }
    if predictor.layout().tokens != expected {
        return Err(CertifyError::Dictionary {
            encoding,
            got: predictor.layout().tokens.clone(),
            expected,
        });
    }
    Ok(())
}

/// The predictor restricted to the offsets the local rule reads (`needed`, ascending), when
/// the rest of its weights are zero; or why the certificate cannot apply.
pub(crate) enum Local<T: Weight> {
    /// It reads exactly `needed`.
    AsIs,
    /// It reads more offsets, all of whose weights are zero: the same scores from `needed`
    /// alone, summed in the same order (adding zeros changes no sum, float or integer).
    Restricted(LinearAr<T>),
    /// It reads other offsets with non-zero weights (or misses a needed one).
    Not(String),
}

pub(crate) fn local_view<T: Weight>(p: &LinearAr<T>, needed: &[usize]) -> Local<T> {
    let offsets = &p.layout().offsets;
    if offsets == needed {
        return Local::AsIs;
    }
    let kept: Vec<usize> = (0..offsets.len())
        .filter(|&o| needed.contains(&offsets[o]))
        .collect();
    let kept_offsets: Vec<usize> = kept.iter().map(|&o| offsets[o]).collect();
    if kept_offsets != needed {
        return Local::Not(format!(
            "the predictor reads offsets {offsets:?}; the local rule reads {needed:?}, in that order"
        ));
    }
    let stray: Vec<usize> = (0..offsets.len())
        .filter(|o| !kept.contains(o))
        .filter(|&o| p.weights()[o].iter().any(|&w| w != T::default()))
        .map(|o| offsets[o])
        .collect();
    if !stray.is_empty() {
        return Local::Not(format!(
            "the predictor has non-zero weights at offsets {stray:?}, outside the {needed:?} the local rule reads, so local contexts do not fix its output; the certificate does not apply"
        ));
    }
    let layout = crate::predictor::Layout {
        tokens: p.layout().tokens.clone(),
        offsets: kept_offsets,
        offset_names: kept
            .iter()
            .map(|&o| p.layout().offset_names[o].clone())
            .collect(),
    };
    Local::Restricted(LinearAr::from_weights(
        layout,
        kept.iter().map(|&o| p.weights()[o].clone()).collect(),
    ))
}

/// The certificate of a predictor the local rule cannot certify.
pub(crate) fn not_certified(reason: String) -> Certificate {
    Certificate {
        certified: false,
        contexts: 0,
        min_margin: Margin::Exact(0),
        failures: Vec::new(),
        failed: 0,
        reason: Some(reason),
    }
}

/// How many failing contexts a certificate keeps.
pub(crate) const KEEP_FAILURES: usize = 10;

/// Checks local contexts one at a time and accumulates a [`Certificate`]: the certificates of
/// `cells` and `sweep` differ only in which contexts they list.
pub(crate) struct ContextChecker<'p, T: Weight> {
    predictor: &'p LinearAr<T>,
    /// The executor's own argmax (the SIMD kernel, or the generic loop) must agree too.
    executor_view: LinearAr<T>,
    /// `cells` with integer weights: the row executor's scoring ([`crate::rows::RowScorer`])
    /// must agree as well.
    pub(crate) rows_view: Option<crate::rows::RowScorer>,
    scores: Vec<T>,
    cert: Certificate,
}

impl<'p, T: Weight> ContextChecker<'p, T> {
    pub(crate) fn new(predictor: &'p LinearAr<T>) -> ContextChecker<'p, T> {
        ContextChecker {
            predictor,
            executor_view: predictor.clone(),
            rows_view: None,
            scores: vec![T::default(); predictor.layout().tokens.len()],
            cert: Certificate {
                certified: true,
                contexts: 0,
                min_margin: Margin::Exact(i64::MAX),
                failures: Vec::new(),
                failed: 0,
                reason: None,
            },
        }
    }

    /// Checks that `expected` beats every other token when `inputs[o]` stands at offset `o`,
    /// by the scores (integers exactly, in `i64`; floats as the executor sums them) and by the
    /// executor's argmax; `context` and `name` describe a failure.
    pub(crate) fn check(
        &mut self,
        inputs: [TokenId; 3],
        expected: TokenId,
        context: [TokenId; 3],
        name: &dyn Fn(TokenId) -> String,
    ) {
        self.predictor
            .scores_into(inputs.into_iter(), &mut self.scores);
        let e = expected.index();
        let margin = if T::EXACT {
            // Integer scores are below 2^31 in magnitude (the load-time bound), so they are
            // exact in f64 and their difference exact in i64.
            let own = self.scores[e].to_f64() as i64;
            let best_other = (0..self.scores.len())
                .filter(|&d| d != e)
                .map(|d| self.scores[d].to_f64() as i64)
                .max();
            Margin::Exact(own - best_other.unwrap_or(own - 1))
        } else {
            let own = self.scores[e].to_f64();
            let best_other = (0..self.scores.len())
                .filter(|&d| d != e)
                .map(|d| self.scores[d].to_f64())
                .fold(None, |m: Option<f64>, x| {
                    Some(match m {
                        Some(m) if m >= x || x.is_nan() => m,
                        _ => x,
                    })
                });
            Margin::Float(own - best_other.unwrap_or(own - 1.0))
        };
        let mut got = self.executor_view.argmax_of(&inputs);
        if let Some(rows) = &mut self.rows_view {
            let by_rows = rows.argmax_of(&inputs);
            if by_rows != expected {
                got = by_rows;
            }
        }
        let cert = &mut self.cert;
        cert.contexts += 1;
        cert.min_margin = cert.min_margin.min(margin);
        if !margin.is_winning() || got != expected {
            cert.certified = false;
            cert.failed += 1;
            if cert.failures.len() < KEEP_FAILURES {
                cert.failures.push(ContextFailure {
                    context: context.map(name),
                    expected: name(expected),
                    got: name(got),
                    margin,
                });
            }
        }
    }

    /// The certificate (minimum margin 0 when no context was checked).
    pub(crate) fn finish(mut self) -> Certificate {
        if self.cert.contexts == 0 {
            self.cert.min_margin = Margin::Exact(0);
        }
        self.cert
    }
}

pub use crate::encoding::cells::certify::certify_cells;
pub use crate::encoding::gates::certify::{
    certify_gates, certify_gates_with, GatesCertificate, GatesCertifyError, GatesGateCheck,
    LocalFailure, UNROLL_LIMIT_GATES,
};
pub use crate::encoding::sweep::certify::certify_sweep;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::machine_to_cells_predictor;
    use crate::compiler::CENTRE;
    use crate::encoding::cells::Window;
    use crate::encoding::sweep::{self, FoldedMachine, SweepToken};
    use crate::machine::load::from_standard;
    use crate::time_dependent::Entry;
    use nalgebra::DMatrix;

    #[test]
    fn compiled_bb3_is_certified() {
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let cert = certify_cells(&m, &machine_to_cells_predictor(&m, w), w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Exact(1));
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
    fn swapped_labels_a_zero_window_and_float_weights() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        // Swapping two labels is another predictor: refused, not certified.
        let mut layout = p.layout().clone();
        layout.tokens.swap(1, 2);
        let swapped = LinearAr::new(layout, p.weights().to_vec());
        assert!(matches!(
            certify_cells(&m, &swapped, w),
            Err(CertifyError::Dictionary { .. })
        ));
        // S = 0 reads the position it predicts.
        let z = Window { size: 0, origin: 0 };
        let mut layout = p.layout().clone();
        layout.offsets = vec![0, 1, 2];
        let zero = LinearAr::new(layout, p.weights().to_vec());
        assert!(matches!(
            certify_cells(&m, &zero, z),
            Err(CertifyError::Degenerate { s: 0, .. })
        ));
        // The same weights as floats certify through the float executor, margin 1.0.
        let float = LinearAr::from_weights(
            p.layout().clone(),
            p.weights()
                .iter()
                .map(|w| w.map(|x| x as f32 * 0.5))
                .collect(),
        );
        let cert = certify_cells(&m, &float, w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Float(0.5));
        assert_eq!(
            serde_json::to_value(cert.min_margin).unwrap(),
            serde_json::json!(0.5)
        );
        assert_eq!(
            serde_json::to_value(certify_cells(&m, &p, w).unwrap().min_margin).unwrap(),
            serde_json::json!(1)
        );
        // Reading more offsets: zero weights there are certified as the local predictor,
        // non-zero ones are not certified, with the reason.
        let mut layout = p.layout().clone();
        layout.offsets.insert(0, 1);
        layout.offset_names.insert(0, "1".into());
        let mut weights = p.weights().to_vec();
        let v = p.layout().tokens.len();
        weights.insert(0, DMatrix::zeros(v, v));
        let wide = LinearAr::new(layout.clone(), weights.clone());
        assert!(certify_cells(&m, &wide, w).unwrap().certified);
        weights[0][(0, 0)] = 1;
        let stray = certify_cells(&m, &LinearAr::new(layout, weights), w).unwrap();
        assert!(!stray.certified);
        assert!(stray.reason.unwrap().contains("[1]"));
    }

    #[test]
    fn compiled_sweep_is_certified_and_a_broken_weight_is_caught() {
        use crate::compiler::machine_to_sweep_predictor;
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let p = machine_to_sweep_predictor(&m, w).unwrap();
        let cert = certify_sweep(&m, &p, w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Exact(1));
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
        // A cells predictor is refused: its labels are not the sweep dictionary.
        assert!(matches!(
            certify_sweep(&m, &machine_to_cells_predictor(&m, w), w),
            Err(CertifyError::Dictionary { .. })
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

    #[test]
    fn gates_of_bb2_are_certified() {
        let m = crate::machine::load::from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 5, origin: 2 };
        let cert = certify_gates(&m, w, 6).unwrap();
        assert!(cert.certified, "{:?}", cert.failures);
        assert_eq!(cert.gates, 6 * 5 * 8);
        assert_eq!(cert.gate_checks.len(), 40);
        assert_eq!(cert.enumerated + cert.proved, 40);
        assert_eq!(cert.min_margin, 1);
        assert!(cert.contexts > 40 * 8);
        assert!(cert.circuit.certified);
        assert_eq!(cert.circuit.gates, 6 * 40);
    }
    #[test]
    fn a_gates_map_that_reads_its_own_row_is_a_stray_read() {
        use crate::time_dependent::TimeDependentAr;
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = crate::encoding::gates::machine_to_gates_predictor(&m, w).unwrap();
        // Map 5 also weighs the bit one back (bit 4 of the row being generated) by token.
        let maps = (0..p.num_maps())
            .map(|k| {
                let mut map = p.map(k).to_vec();
                if k == 5 {
                    map.push(Entry {
                        offset: 1,
                        input: 1,
                        output: 1,
                        weight: 1,
                    });
                }
                (p.map_name(k).to_string(), map)
            })
            .collect();
        let broken = TimeDependentAr::new(maps, p.schedule()).unwrap();
        let cert = certify_gates_with(&m, &broken, w, 6).unwrap();
        assert!(!cert.certified);
        assert_eq!(cert.stray_reads.len(), 1, "{:?}", cert.stray_reads);
        assert!(cert.stray_reads[0].starts_with("c0=⟨B,1⟩ reads offset 1"));
    }
}
