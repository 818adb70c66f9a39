//! The local certificate's machinery, shared by every encoding whose predictor is offset
//! matrices: the [`Certificate`] and its [`Margin`], the failures it keeps, the restriction of a
//! predictor to the offsets its local rule reads, and the `ContextChecker` that scores a context
//! through the executor's own code.

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
    /// `cells` with integer weights: the row executor's scoring ([`crate::rows::RowScorer`]),
    /// on every path this CPU has (`emulate --isa` may pick any), must agree as well.
    pub(crate) rows_views: Vec<crate::rows::RowScorer>,
    scores: Vec<T>,
    cert: Certificate,
}

impl<'p, T: Weight> ContextChecker<'p, T> {
    pub(crate) fn new(predictor: &'p LinearAr<T>) -> ContextChecker<'p, T> {
        ContextChecker {
            predictor,
            executor_view: predictor.clone(),
            rows_views: Vec::new(),
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
        for rows in &mut self.rows_views {
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
