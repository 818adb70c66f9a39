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
    /// The relative error of a head's main term, the first layer norm's rounding at the
    /// position it reads included.
    pub head_error: f64,
    /// The final layer norm's per-element rounding, relative.
    pub layer_norm_error: f64,
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

/// The bound for `plan` at `precision`, for a predictor certified with margin `margin`.
pub fn bound(plan: &Plan, spread: &WeightSpread, margin: f64, precision: Precision) -> FloatBound {
    let u = precision.unit();
    let d = plan.n_embd();
    let k = plan.frequencies as f64;
    let n = plan.context as f64;
    let beta = plan.temperature;

    // The first layer norm. Inputs have Σ|x| ≤ 2 + √(2K+2)·√P; its computed mean is off 0 by
    // the rounding of the stored embedding and of the sum.
    let sum_abs = 2.0 + ((2.0 * k + 2.0) * plan.position_norm2()).sqrt();
    let mean = (u + gamma(d)) * sum_abs / d as f64;
    let e1 = u + gamma(d + 8);
    // `y_i − y_anchor` against `x_i c₁`: relative ε_r, absolute ε_a (units of c₁).
    let eps_r = 2.0 * u + e1 + gamma(2);
    let eps_a = 2.0 * u * mean;
    // Queries and keys, per component, in units of λ c₁.
    let eta_qk = std::f64::consts::SQRT_2 * (eps_r + 2.0 * u + gamma(4) + 2.0 * eps_a);
    // Σ_i |q_i||k_i| ≤ K (a cos/sin pair has norm 1), so the products' errors sum to at most
    // K(2η + η²), the f32 sum adds γ_2K·K, and the product and the scale are stored (4uK).
    let score_error = SAFETY
        * beta
        * (k * (2.0 * eta_qk + eta_qk * eta_qk) + k * gamma(2 * plan.frequencies) + 4.0 * u * k);
    // Every position but the target scores at least 1.5 β lower (plan::gap), at most 2(N−1) of
    // them, each off by at most 2E relative to the target.
    let leak =
        (2.0 * (n - 1.0) * (-1.5 * beta + 2.0 * score_error).exp()).min(1.0) * (1.0 + 4.0 * ACC);
    // The value a head reads, then its output: the weight on the target (1 − L, stored), the
    // sum (nearest rounding: 2L + 3 ulps of the accumulator), stored; the output map (its
    // factor stored, one product, stored).
    let eps_v = eps_r + 2.0 * eps_a + u + gamma(2);
    let head_error = SAFETY * (2.0 * e1 + 3.0 * leak + 2.0 * u + eps_v + 3.0 * ACC + 3.0 * u);
    let leaked = SAFETY * leak * (1.0 + eps_v);

    // The final layer norm: common scale aside, each element rounded once, plus twice its mean's
    // rounding (read through the anchor).
    let h = plan.heads() as f64;
    let mean_f = (u + gamma(d)) * (sum_abs + 2.0 * h) / d as f64 + 2.0 * h * head_error / d as f64;
    let ln_error = SAFETY * (u + 2.0 * u * mean_f);
    // The unembedding: stored weights (exact when integers fit), f32 sums over n_embd, the
    // logit stored; for a difference of two logits.
    let stored = if spread.exact_in_bf16 || precision == Precision::F32 {
        0.0
    } else {
        u
    };
    let sum_m: f64 = spread.largest.iter().sum();
    // Σ_c |U[d, c]| |z_c| ≤ Σ_h M_h (1 + η)(1 + L) on the token columns, |<bos> score| on head
    // 0's mean column, and the anchor column's row sum times the rounded mean.
    let per_logit = (gamma(d) + u + stored)
        * ((1.0 + head_error) * (sum_m * (1.0 + leaked) + spread.bos_score.abs()))
        + (u + gamma(d)) * spread.row_sum * 2.0 * mean_f;
    let logit_error = SAFETY * 2.0 * per_logit;
    // Against any rival, each head's main term moves by R_h·(η + ln), the leak by R_h·L, and
    // against `<bos>` head 0's mean column by |bos score|·(η + ln).
    let sum_r: f64 = spread.range.iter().sum();
    let margin_loss =
        (sum_r + spread.bos_score.abs()) * (head_error + ln_error) + sum_r * leaked + logit_error;
    let terms_small = [score_error / beta.max(1.0), head_error, ln_error, leaked]
        .iter()
        .all(|&t| t < 0.25);
    FloatBound {
        precision,
        unit_roundoff: u,
        score_error,
        leak,
        head_error,
        layer_norm_error: ln_error,
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
