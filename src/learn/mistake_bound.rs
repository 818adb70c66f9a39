//! The perceptron mistake bound (R/γ)² for a training set, with the compiled weights as the
//! separator that proves the set separable (proofs/learnability.md#perceptron).
//!
//! Sits beside the perceptron in `learn`: after training, the report sets the mistakes the
//! perceptron made against this bound. In the multiclass (Kesler) form, the perceptron is the
//! binary perceptron on the vectors Φ(x, y) − Φ(x, r), where Φ(x, d) puts the one-hot features
//! φ(x) in the block of output d. So:
//! - R = max over examples of ‖Φ(x, y) − Φ(x, r)‖₂ = √2 · max ‖φ(x)‖₂, and ‖φ(x)‖₂² is the
//!   number of non-padding tokens in the context;
//! - U = the compiled weights placed at offsets S, S+1, S+2 of the learner's window (zero at
//!   every other offset), ‖U‖ its Frobenius norm;
//! - γ = min over examples of (U_y − max_(d≠y) U_d)·φ(x) / ‖U‖: the compiled predictor's
//!   smallest score margin on the training set, over the norm.
//!
//! Then the perceptron makes at most (R/γ)² mistakes, on any order of the examples, however
//! many passes; with margin τ (an update whenever the margin is at most τ), at most
//! (R² + 2τ)/γ². For the time-dependent learner each position is its own perceptron with the
//! same separator, and the bound is the sum over positions of (R_p/γ_p)².

use super::dataset::Examples;
use super::outputs::OutputFeatures;
use crate::predictor::time_dependent::TimeDependentAr;
use crate::predictor::{LinearAr, TokenId};
use crate::weights::{DenseWeights, Weights};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The bound and the quantities it is made of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MistakeBound {
    /// How R, γ and the bound are measured.
    pub definition: &'static str,
    /// R = √(s · max ‖φ(x)‖₂²) (the largest over positions, for the time-dependent learner).
    pub r: f64,
    /// Frobenius norm of the compiled weights over the output features (the largest over
    /// positions, for a time-dependent compiled predictor).
    pub compiled_norm: f64,
    /// The compiled predictor's smallest score margin on the training examples.
    pub compiled_min_margin: i64,
    /// γ = compiled_min_margin / compiled_norm (the smallest over positions).
    pub gamma: f64,
    /// The perceptron's margin τ.
    pub margin: i32,
    /// (R² + 2τ)/γ², summed over positions for the time-dependent learner.
    pub bound: f64,
    /// Separate perceptrons the bound covers (1, or the number of positions).
    pub classifiers: usize,
}

/// Text of [`MistakeBound::definition`].
pub(crate) const DEFINITION: &str = "mistakes <= (R^2 + 2 tau)/gamma^2 (tau: the perceptron's margin) with R^2 = s * max ||phi(x)||^2 (phi: one-hot (offset, token) input features, padding excluded; s = max |psi(d) xor psi(d')| over output features), gamma = min score margin of the compiled weights / ||U||_F (U: the compiled weights over the output features); summed over positions when time-dependent";

/// Why no bound can be given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum NoBound {
    /// The compiled weights do not separate the examples.
    #[error("the compiled weights do not separate the training examples (margin {margin} on an example)")]
    NotSeparable {
        /// The smallest margin found (≤ 0).
        margin: i64,
    },
    /// The compiled weights cannot be written over the learner's output features.
    #[error("the compiled weights are not a sum over the learner's output features")]
    NotFactored,
    /// The compiled predictor reads an offset outside the learner's window.
    #[error("the compiled predictor reads offset {0}, outside the learner's window")]
    OutsideWindow(usize),
}

/// The bound for `examples` of a learner over `outputs` with margin τ = `margin`, measured
/// with the compiled predictor as the separator. The learner's offsets must include every
/// offset the compiled predictor reads.
pub fn mistake_bound(
    examples: &Examples,
    compiled: &Weights,
    outputs: &OutputFeatures,
    margin: i32,
) -> Result<MistakeBound, NoBound> {
    let v = examples.vocab();
    let index: HashMap<usize, usize> = examples
        .offsets()
        .iter()
        .enumerate()
        .map(|(o, &j)| (j, o))
        .collect();
    let pick = |j: usize| index.get(&j).copied().ok_or(NoBound::OutsideWindow(j));
    // The separator's scores at a position, and its squared norm there.
    enum Separator<'a> {
        Cells(&'a LinearAr, Vec<usize>, f64),
        Gates(&'a TimeDependentAr, Vec<f64>),
    }
    let sep = match compiled {
        Weights::Dense(DenseWeights::Int(p)) => {
            let picks = p
                .layout()
                .offsets
                .iter()
                .map(|&j| pick(j))
                .collect::<Result<Vec<_>, _>>()?;
            let mut norm2 = 0.0;
            for w in p.weights() {
                norm2 += outputs
                    .factor(w)
                    .ok_or(NoBound::NotFactored)?
                    .norm_squared();
            }
            Separator::Cells(p, picks, norm2)
        }
        Weights::Sparse(p) => {
            if !outputs.is_identity() {
                return Err(NoBound::NotFactored);
            }
            for e in p.csr().1 {
                pick(e.offset as usize)?;
            }
            let norms = (0..p.num_maps())
                .map(|m| p.map(m).iter().map(|e| (e.weight as f64).powi(2)).sum())
                .collect();
            Separator::Gates(p, norms)
        }
        // Compiled weights are integers; float ones have no exact margin.
        Weights::Dense(_) => return Err(NoBound::NotFactored),
    };
    let s = outputs.separation() as f64;
    // Per classifier (position, or 0): (max non-padding features, min margin, ‖U_p‖²).
    let mut per: BTreeMap<u64, (usize, i64, f64)> = BTreeMap::new();
    let mut scores = vec![0i64; v];
    let mut cell_scores = vec![0i32; v];
    for i in 0..examples.len() {
        let ctx = examples.context(i);
        let pos = examples.position(i);
        let y = examples.label(i).index();
        let norm2 = match &sep {
            Separator::Cells(p, picks, norm2) => {
                p.scores_into(picks.iter().map(|&o| ctx[o]), &mut cell_scores);
                for (a, &b) in scores.iter_mut().zip(&cell_scores) {
                    *a = b as i64;
                }
                *norm2
            }
            Separator::Gates(p, norms) => {
                let read = |j: usize| {
                    index
                        .get(&j)
                        .map_or(crate::predictor::time_dependent::PAD, |&o| ctx[o])
                };
                scores.copy_from_slice(&p.scores_at(pos, read)[..v]);
                p.map_at(pos).map_or(0.0, |m| norms[m])
            }
        };
        let rival = (0..v)
            .filter(|&d| d != y)
            .map(|d| scores[d])
            .max()
            .unwrap_or(i64::MIN);
        let m = scores[y] - rival;
        let features = ctx.iter().filter(|t: &&TokenId| t.index() < v).count();
        let e = per.entry(pos).or_insert((0, i64::MAX, norm2));
        e.0 = e.0.max(features);
        e.1 = e.1.min(m);
        e.2 = e.2.max(norm2);
    }
    let min_margin = per.values().map(|&(_, m, _)| m).min().unwrap_or(i64::MAX);
    if min_margin <= 0 {
        return Err(NoBound::NotSeparable { margin: min_margin });
    }
    let mut bound = 0.0;
    let mut r = 0.0f64;
    let mut gamma = f64::INFINITY;
    let mut norm = 0.0f64;
    let tau = margin as f64;
    for &(features, compiled_margin, norm2) in per.values() {
        let r_p = (s * features as f64).sqrt();
        let g_p = compiled_margin as f64 / norm2.sqrt();
        bound += (r_p * r_p + 2.0 * tau) / (g_p * g_p);
        r = r.max(r_p);
        gamma = gamma.min(g_p);
        norm = norm.max(norm2.sqrt());
    }
    Ok(MistakeBound {
        definition: DEFINITION,
        r,
        compiled_norm: norm,
        compiled_min_margin: min_margin,
        gamma,
        margin,
        bound,
        classifiers: per.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::EncodingKind;
    use crate::encoding::WindowKind;
    use crate::learn::dataset::common_window;
    use crate::learn::outputs::OutputKind;
    use crate::learn::traces::TraceFormat;
    use crate::machine::load::from_standard;

    #[test]
    fn the_bound_uses_the_compiled_margin_and_norm() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = common_window(&m, &[vec![]], 100);
        let f = TraceFormat::of_kind(EncodingKind::Cells, &m, w).unwrap();
        let compiled = machine_to_cells_predictor(&m, w);
        let c = Weights::Dense(DenseWeights::Int(compiled.clone()));
        let offsets = WindowKind::Local.offsets(w.size);
        let mut ex = Examples::new(compiled.layout().tokens.len(), &offsets, false);
        ex.add_trace(&m, &f, &[], 100).unwrap();
        let tokens = OutputFeatures::for_encoding(
            &crate::encoding::cells::Cells::new(&m, crate::window::Window { size: 1, origin: 0 }),
            OutputKind::Tokens,
        );
        let b = mistake_bound(&ex, &c, &tokens, 0).unwrap();
        // Cell contexts have margin exactly 1 (proofs/cells.md#weights).
        assert_eq!(b.compiled_min_margin, 1);
        assert_eq!(b.classifiers, 1);
        // Three offsets, all non-padding somewhere: R² = 2·3.
        assert!((b.r * b.r - 6.0).abs() < 1e-9);
        let norm2: i64 = compiled
            .weights()
            .iter()
            .flat_map(|w| w.iter())
            .map(|&w| (w * w) as i64)
            .sum();
        assert!((b.compiled_norm.powi(2) - norm2 as f64).abs() < 1e-6);
        let expected = 6.0 * norm2 as f64;
        assert!((b.bound - expected).abs() < 1e-6 * expected, "{b:?}");
        // Over parts, R² doubles but the compiled weights have a much smaller norm.
        let parts = OutputFeatures::for_encoding(
            &crate::encoding::cells::Cells::new(&m, crate::window::Window { size: 1, origin: 0 }),
            OutputKind::Parts,
        );
        let p = mistake_bound(&ex, &c, &parts, 0).unwrap();
        assert!((p.r * p.r - 12.0).abs() < 1e-9);
        assert!(p.compiled_norm < b.compiled_norm);
        // A margin τ adds 2τ to R².
        let t = mistake_bound(&ex, &c, &parts, 5).unwrap();
        let ratio = t.bound / p.bound;
        assert!((ratio - 22.0 / 12.0).abs() < 1e-9, "{ratio}");
    }
}
