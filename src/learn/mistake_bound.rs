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
use crate::predictor::{LinearAr, TokenId};
use serde::Serialize;
use std::collections::BTreeMap;

/// The bound and the quantities it is made of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MistakeBound {
    /// How R, γ and the bound are measured.
    pub definition: &'static str,
    /// R = √(s · max ‖φ(x)‖₂²) (the largest over positions, for the time-dependent learner).
    pub r: f64,
    /// Frobenius norm of the compiled weights over the output features.
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
pub const DEFINITION: &str = "mistakes <= (R^2 + 2 tau)/gamma^2 (tau: the perceptron's margin) with R^2 = s * max ||phi(x)||^2 (phi: one-hot (offset, token) input features, padding excluded; s = max |psi(d) xor psi(d')| over output features), gamma = min score margin of the compiled weights / ||U||_F (U: the compiled weights over the output features); summed over positions when time-dependent";

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
}

/// The bound for `examples`, whose offsets must include the compiled predictor's S, S+1, S+2,
/// for a learner over `outputs`.
pub fn mistake_bound(
    examples: &Examples,
    compiled: &LinearAr,
    outputs: &OutputFeatures,
    margin: i32,
) -> Result<MistakeBound, NoBound> {
    let v = examples.vocab();
    let picks: Vec<usize> = compiled
        .layout()
        .offsets
        .iter()
        .map(|j| {
            examples
                .offsets()
                .iter()
                .position(|o| o == j)
                .expect("the learner's window holds S, S+1, S+2")
        })
        .collect();
    let mut norm2 = 0.0;
    for w in compiled.weights() {
        norm2 += outputs
            .factor(w)
            .ok_or(NoBound::NotFactored)?
            .norm_squared();
    }
    let norm = norm2.sqrt();
    let s = outputs.separation() as f64;
    // Per classifier (position, or 0): (max non-padding features, min margin).
    let mut per: BTreeMap<u64, (usize, i64)> = BTreeMap::new();
    let mut scores = vec![0i32; v];
    for i in 0..examples.len() {
        let ctx = examples.context(i);
        let y = examples.label(i).index();
        compiled.scores_into(picks.iter().map(|&o| ctx[o]), &mut scores);
        let rival = (0..v)
            .filter(|&d| d != y)
            .map(|d| scores[d])
            .max()
            .unwrap_or(i32::MIN);
        let margin = scores[y] as i64 - rival as i64;
        let features = ctx.iter().filter(|t: &&TokenId| t.index() < v).count();
        let e = per.entry(examples.position(i)).or_insert((0, i64::MAX));
        e.0 = e.0.max(features);
        e.1 = e.1.min(margin);
    }
    let min_margin = per.values().map(|&(_, m)| m).min().unwrap_or(i64::MAX);
    if min_margin <= 0 {
        return Err(NoBound::NotSeparable { margin: min_margin });
    }
    let mut bound = 0.0;
    let mut r = 0.0f64;
    let mut gamma = f64::INFINITY;
    let tau = margin as f64;
    for &(features, compiled_margin) in per.values() {
        let r_p = (s * features as f64).sqrt();
        let g_p = compiled_margin as f64 / norm;
        bound += (r_p * r_p + 2.0 * tau) / (g_p * g_p);
        r = r.max(r_p);
        gamma = gamma.min(g_p);
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
    use crate::compiler::machine_to_cells_predictor;
    use crate::learn::dataset::{common_window, WindowKind};
    use crate::learn::outputs::OutputKind;
    use crate::machine::load::from_standard;

    #[test]
    fn the_bound_uses_the_compiled_margin_and_norm() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = common_window(&m, &[vec![]], 100);
        let compiled = machine_to_cells_predictor(&m, w);
        let offsets = WindowKind::Local.offsets(w.size);
        let mut ex = Examples::new(compiled.layout().tokens.len(), &offsets, false);
        ex.add_trace(&m, &[], w, 100).unwrap();
        let tokens = OutputFeatures::new(&m, OutputKind::Tokens);
        let b = mistake_bound(&ex, &compiled, &tokens, 0).unwrap();
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
        let parts = OutputFeatures::new(&m, OutputKind::Parts);
        let p = mistake_bound(&ex, &compiled, &parts, 0).unwrap();
        assert!((p.r * p.r - 12.0).abs() < 1e-9);
        assert!(p.compiled_norm < b.compiled_norm);
        // A margin τ adds 2τ to R².
        let t = mistake_bound(&ex, &compiled, &parts, 5).unwrap();
        let ratio = t.bound / p.bound;
        assert!((ratio - 22.0 / 12.0).abs() < 1e-9, "{ratio}");
    }
}
