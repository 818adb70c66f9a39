//! The float certificate of an exported model (proofs/transformer.md, "The bound"): how far
//! the float model's logits can stray from the linear predictor's integer scores, in units of
//! those scores, at every position up to the context length and for every token there.
//!
//! Three effects, each bounded from the plan alone:
//! - **leak**: the attention weight a head puts off its target position (at most
//!   2(N−1)·e^(−1.5β + 2E), E the rounding error of a score);
//! - **layer norms**: every vector they see sums to 0 with one norm, so each is a positive
//!   scale common to all logits at a position; what is left is the rounding of its statistics
//!   at the position a head reads, and of its output;
//! - **rounding**: every stored value is rounded to the precision (unit roundoff u), every sum
//!   accumulates in `f32` and is rounded once (the standard model; the leak-dominated sums are
//!   bounded by the nearest-rounding lemma, in any summation order).
//!
//! The predictor's argmax survives when the total, `margin_loss`, is below its certified
//! margin (1 for integer weights).

use super::plan::{ternary_digits, Plan};
use serde::Serialize;

/// A float format the model may run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// IEEE binary32: u = 2⁻²⁴.
    F32,
    /// bfloat16 storage (8 significant bits, u = 2⁻⁸), sums accumulated in `f32`.
    Bf16,
}

impl Precision {
    /// Every precision the certificate covers.
    pub const ALL: [Precision; 2] = [Precision::F32, Precision::Bf16];

    /// The unit roundoff of storage.
    pub fn unit(self) -> f64 {
        match self {
            Precision::F32 => 2f64.powi(-24),
            Precision::Bf16 => 2f64.powi(-8),
        }
    }

    /// The name `torch` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "float32",
            Precision::Bf16 => "bfloat16",
        }
    }

    /// `x` rounded to this precision (to nearest, ties to even).
    pub fn round(self, x: f64) -> f64 {
        match self {
            Precision::F32 => x as f32 as f64,
            Precision::Bf16 => half::bf16::from_f64(x).to_f64(),
        }
    }
}

/// The unit roundoff of the `f32` accumulator.
const ACC: f64 = 1.0 / 16_777_216.0;

/// γ_n = n·u/(1 − n·u): the relative error of a sum of n products accumulated in `f32`.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * ACC;
    nu / (1.0 - nu)
}

/// Each first-order term is multiplied by 4/3: with every relative term below 1/4 (checked), the
/// higher-order products sum to at most a third of the first-order ones.
const SAFETY: f64 = 4.0 / 3.0;

/// The attention leak the export aims at.
pub const TARGET_LEAK: f64 = 1e-6;

/// What the predictor's weights contribute to the bound: for each head, the largest difference
/// between two outputs' weights on one input (R_h) and the largest weight (M_h); the largest
/// row sum (the anchor column).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeightSpread {
    /// R_h.
    pub range: Vec<f64>,
    /// M_h.
    pub largest: Vec<f64>,
    /// max_d |Σ_c U[d, c]|.
    pub row_sum: f64,
    /// Whether every weight is stored exactly at each precision (integers up to 2⁸ in bf16).
    pub exact_in_bf16: bool,
    /// The score `<bos>` gets (head 0's mean column).
    pub bos_score: f64,
}

impl WeightSpread {
    /// The spread of the unembedding's weights (`weights[h][d][t]`, the `<bos>` row added).
    pub fn of(weights: &[Vec<Vec<f64>>], bos_score: f64) -> WeightSpread {
        let mut range = Vec::new();
        let mut largest = Vec::new();
        let mut row_sum: f64 = bos_score.abs();
        let mut exact = bos_score.abs() <= 256.0 && bos_score.fract() == 0.0;
        for w in weights {
            let cols = w.first().map_or(0, Vec::len);
            let mut r: f64 = 0.0;
            let mut m: f64 = 0.0;
            for c in 0..cols {
                // Rows are the outputs; `<bos>`'s row is 0 on every token column.
                let (lo, hi) = w
                    .iter()
                    .map(|row| row[c])
                    .fold((0.0f64, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
                r = r.max(hi - lo);
                m = m.max(hi.abs()).max(lo.abs());
            }
            for row in w {
                exact &= row.iter().all(|x| x.fract() == 0.0 && x.abs() <= 256.0);
            }
            range.push(r);
            largest.push(m);
        }
        let rows = weights.first().map_or(0, Vec::len);
        for d in 0..rows {
            let s: f64 = weights.iter().map(|w| w[d].iter().sum::<f64>()).sum();
            row_sum = row_sum.max(s.abs());
        }
        WeightSpread {
            range,
            largest,
            row_sum,
            exact_in_bf16: exact,
            bos_score,
        }
    }
}

/// The bound at one precision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FloatBound {
    /// The precision.
    pub precision: Precision,
    /// Its unit roundoff.
    pub unit_roundoff: f64,
    /// E: how far a computed attention score can be from its exact value.
    pub score_error: f64,
    /// L: the attention weight a head can put off its target, at any position.
    pub leak: f64,
    /// η: the relative error of a head's main term against hard attention (both layer norms'
    /// rounding included; their common scales cancel in the argmax).
    pub head_error: f64,
    /// The error of a difference of two logits from the unembedding's sums, in score units.
    pub logit_error: f64,
    /// The total: how much of the margin the float model can lose, in score units.
    pub margin_loss: f64,
    /// Whether the margin loss is below the predictor's certified margin.
    pub holds: bool,
}

impl FloatBound {
    /// The precision's name, as `torch` spells it.
    pub fn precision_name(&self) -> &'static str {
        self.precision.name()
    }
}

/// The bound for `plan` at `precision`, for a predictor certified with margin `margin`
/// (proofs/transformer.md, "The bound", whose steps the comments name).
pub fn bound(plan: &Plan, spread: &WeightSpread, margin: f64, precision: Precision) -> FloatBound {
    use std::f64::consts::SQRT_2;
    let u = precision.unit();
    let d = plan.n_embd();
    let k = plan.frequencies as f64;
    let n = plan.context as f64;
    let beta = plan.temperature;
    let p = plan.position_norm2();

    // (F1) The first layer norm. Token entries (±1) are stored exactly, position entries to
    // within u, so the variance is off by at most 2u·P/(2+P) relative and ĉ₁ by half that, plus
    // the f32 sums. Σx = 0 exactly, so the computed mean is only rounding.
    let e1 = u * p / (2.0 + p) + gamma(d + 4);
    let sum_abs_pos = ((2.0 * k + 2.0) * p).sqrt();
    let mean = (u * sum_abs_pos + gamma(d) * (2.0 + sum_abs_pos)) / d as f64;
    // Each column reads `ŷ_i − ŷ_anchor`: x_i c₁ to within e1 + 2u (the position entry and
    // ŷ_i stored; 0 + u for token entries), and 2u|μ̂| absolute, in units of c₁.
    let r_y = e1 + 2.0 * u;
    let a_y = 2.0 * u * mean;
    // (F2) Scores. A query component sums two stored weights (λc, λs) times ŷ, a key component
    // one; each is stored. In units of λ c₁, per (cos, sin) pair (norm 1):
    let comp_q = SQRT_2 * (r_y + 2.0 * a_y + u) + gamma(3) + u;
    let comp_k = r_y + 2.0 * a_y + u + gamma(3) + u;
    let (e_q, e_k) = (SQRT_2 * comp_q, SQRT_2 * comp_k);
    // Over K pairs, the f32 dot product, and the score (≤ βK) stored and scaled.
    let score_error =
        SAFETY * beta * k * (e_q + e_k + e_q * e_k + gamma(2 * plan.frequencies) + 3.0 * u);
    // (F3) The leak: every other position scores at least 1.5β lower (plan::gap), at most
    // 2(N−1) of them, each moved by at most 2E against the target.
    let leak =
        ((2.0 * (n - 1.0) * (-1.5 * beta + 2.0 * score_error).exp()) * (1.0 + 4.0 * ACC)).min(1.0);
    // (F4) A head's main term against hard attention, factors common to every head left out (ĝ,
    // ĉ₂): ĉ₁ at the position it reads (e1), ŷ and v stored (2u, and the anchor's 2a_y); the
    // weight on the target (1 − L, stored: off by L, or L + u once L is over u/2); the sum of
    // the weighted values (the nearest-rounding lemma: 2L + 3 f32 ulps) stored (u); the output
    // map's product stored (u); the final layer norm's element stored (u) with its mean read
    // through the anchor (2u|μ̂'|).
    let h = plan.heads() as f64;
    let target_weight = if leak > u / 2.0 { leak + u } else { leak };
    let mean_f = (u * sum_abs_pos + gamma(d) * (2.0 + sum_abs_pos + 2.0 * h)) / d as f64
        + 2.0 * h * (r_y + target_weight + 2.0 * leak + 3.0 * u) / d as f64;
    let head_error = SAFETY
        * (e1
            + 2.0 * u
            + 2.0 * a_y
            + target_weight
            + 2.0 * leak
            + 3.0 * ACC
            + 3.0 * u
            + 2.0 * u * mean_f);
    // (F5) What leaks lands on other tokens' columns: at most L of the head's mass.
    let leaked = SAFETY * leak * (1.0 + r_y + u);
    // (F6) The unembedding: its weights stored (exact when integers fit the precision), the f32
    // sum over n_embd, each logit stored (|logit| ≤ Σ_h M_h + |bos| in score units); the anchor
    // column's row sum times the rounded mean. For a difference of two logits.
    let stored = if spread.exact_in_bf16 || precision == Precision::F32 {
        0.0
    } else {
        u
    };
    let sum_m: f64 = spread.largest.iter().sum();
    let scale = (1.0 + head_error) * (sum_m * (1.0 + leaked) + spread.bos_score.abs());
    let per_logit =
        (gamma(d) + stored + u) * scale + (u + gamma(d)) * spread.row_sum * 2.0 * mean_f;
    let logit_error = SAFETY * 2.0 * per_logit;
    // (F7) Against any rival, head h's main term moves the difference by R_h·η, the leak by
    // R_h·L; against `<bos>`, head 0's mean column by |bos score|·η.
    let sum_r: f64 = spread.range.iter().sum();
    let margin_loss = (sum_r + spread.bos_score.abs()) * head_error + sum_r * leaked + logit_error;
    let terms_small = [
        score_error / beta.max(1.0) / k,
        head_error,
        leaked,
        e_q,
        e_k,
    ]
    .iter()
    .all(|&t| t < 0.25);
    FloatBound {
        precision,
        unit_roundoff: u,
        score_error,
        leak,
        head_error,
        logit_error,
        margin_loss,
        holds: terms_small && margin_loss < margin && margin_loss.is_finite(),
    }
}

/// The score error per unit of β at `precision` for K digits (the leak's exponent is
/// −β(1.5 − 2·this)).
fn score_error_per_beta(plan: &Plan, precision: Precision) -> f64 {
    let probe = Plan {
        temperature: 1.0,
        ..plan.clone()
    };
    let spread = WeightSpread {
        range: vec![],
        largest: vec![],
        row_sum: 0.0,
        exact_in_bf16: true,
        bos_score: 0.0,
    };
    bound(&probe, &spread, 1.0, precision).score_error
}

/// β for `plan`: the least that keeps the leak at [`TARGET_LEAK`] in bf16 where bf16 can, else
/// in f32.
pub fn temperature_for(plan: &Plan) -> f64 {
    let n = plan.context as f64;
    let need = (2.0 * n / TARGET_LEAK).ln();
    for p in [Precision::Bf16, Precision::F32] {
        let slope = 1.5 - 2.0 * score_error_per_beta(plan, p);
        if slope > 0.25 {
            return need / slope;
        }
    }
    need / 1.5
}

/// The largest context (a power of 3, or `cap`) up to which `plan`'s construction, rebuilt for
/// that context with its own temperature, still certifies at `precision`.
pub fn largest_context(
    plan: &Plan,
    spread: &WeightSpread,
    margin: f64,
    precision: Precision,
    cap: usize,
) -> Option<usize> {
    let mut best = None;
    let mut context = 3usize;
    loop {
        let c = context.min(cap);
        let mut p = Plan {
            context: c,
            frequencies: ternary_digits(c),
            ..plan.clone()
        };
        p.head_dim = p.head_dim.max(2 * p.frequencies);
        p.temperature = temperature_for(&p);
        if !bound(&p, spread, margin, precision).holds {
            return best;
        }
        best = Some(c);
        if c == cap {
            return best;
        }
        context = context.saturating_mul(3);
    }
}
