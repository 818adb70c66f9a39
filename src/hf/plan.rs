//! The construction (proofs/transformer.md): a linear predictor with offsets j₁ … j_H as a
//! one-layer GPT-2 whose H heads each attend to one relative position, every dimension of its
//! residual stream named, as Tracr names them.
//!
//! The residual stream of the model, from the bottom up (`Dim`):
//! - `tok:t`, one a token of the vocabulary (the dictionary, `<bos>`, `<unk>`), and `tok:mean`: the
//!   token embedding `e_tok:t − e_tok:mean`, which sums to 0 and has norm √2;
//! - `pos:cos f`, `pos:sin f` for the K frequencies ω_f = 2π/3^(f+1), and `pos:fix 0`,
//!   `pos:fix 1`: the position embedding, its two fix dimensions chosen so that it too sums to 0
//!   and has the same norm at every position;
//! - `head h:t` and `head h:mean`: where head h writes the token it read, `e_h:t − e_h:mean`;
//! - `anchor`: 0 in every embedding and every head's output. The layer norms subtract their
//!   computed mean from it too, so reading `x_i − x_anchor` cancels a rounded mean exactly.
//!
//! Every vector the layer norms see therefore sums to 0 and has one norm: each layer norm is a
//! constant positive scale, which no argmax notices. The position code is ternary: two
//! positions u apart differ at the lowest non-zero ternary digit f of u, where their angles
//! differ by 2π/3 or 4π/3, so the score of any other position is at least 1.5 β below the
//! target's ([`gap`]).

use crate::predictor::LinearAr;
use std::f64::consts::PI;

/// Layer norm's epsilon in the exported config (GPT-2's).
pub const LAYER_NORM_EPSILON: f64 = 1e-5;

/// The shape and scalars of one exported model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// Tokens of the predictor's dictionary; `<bos>` is token `vocab`.
    pub vocab: usize,
    /// The predictor's offsets, one head each.
    pub offsets: Vec<usize>,
    /// The model's context length N (`n_positions`), `<bos>` included.
    pub context: usize,
    /// K: ternary digits of a position (3^K ≥ N).
    pub frequencies: usize,
    /// Width of a head (`n_embd / n_head`).
    pub head_dim: usize,
    /// β: the attention score of the target position is β·K, of any other ≤ β·(K − 1.5).
    pub temperature: f64,
}

/// One named dimension of the residual stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    /// Token t of the current position (the vocabulary, then `<bos>`).
    Tok(usize),
    /// Minus the token's one, so the block sums to 0.
    TokMean,
    /// cos(ω_f · position).
    PosCos(usize),
    /// sin(ω_f · position).
    PosSin(usize),
    /// The position block's two fix dimensions.
    PosFix(usize),
    /// Token t read by head h.
    Head(usize, usize),
    /// Minus head h's one.
    HeadMean(usize),
    /// Always 0 before a layer norm.
    Anchor,
}

impl Plan {
    /// The plan for `predictor` with context length `context` (≥ 2) and temperature
    /// `temperature`.
    pub fn new<T: crate::predictor::Weight>(
        predictor: &LinearAr<T>,
        context: usize,
        temperature: f64,
    ) -> Plan {
        let layout = predictor.layout();
        let vocab = layout.tokens.len();
        let frequencies = ternary_digits(context);
        let heads = layout.offsets.len().max(1);
        let mut plan = Plan {
            vocab,
            offsets: layout.offsets.clone(),
            context,
            frequencies,
            head_dim: 1,
            temperature,
        };
        let needed = plan.used_dims();
        plan.head_dim = (2 * frequencies).max(vocab + 3).max(needed.div_ceil(heads));
        plan
    }

    /// H, the number of heads.
    pub fn heads(&self) -> usize {
        self.offsets.len().max(1)
    }

    /// `<bos>`'s id.
    pub fn bos(&self) -> usize {
        self.vocab
    }

    /// `<unk>`'s id: what the tokenizer makes of a label not in the dictionary (a model input
    /// like `<bos>`, never an output).
    pub fn unk(&self) -> usize {
        self.vocab + 1
    }

    /// The model's vocabulary size (the dictionary, `<bos>` and `<unk>`).
    pub fn vocab_size(&self) -> usize {
        self.vocab + 2
    }

    /// `n_embd`.
    pub fn n_embd(&self) -> usize {
        self.heads() * self.head_dim
    }

    /// Dimensions the construction uses (the rest of `n_embd` is 0 everywhere).
    pub fn used_dims(&self) -> usize {
        self.index(Dim::Anchor) + 1
    }

    /// Where `dim` lies in the residual stream.
    pub fn index(&self, dim: Dim) -> usize {
        let v1 = self.vocab_size();
        let k = self.frequencies;
        let pos = v1 + 1;
        let heads = pos + 2 * k + 2;
        match dim {
            Dim::Tok(t) => t,
            Dim::TokMean => v1,
            Dim::PosCos(f) => pos + 2 * f,
            Dim::PosSin(f) => pos + 2 * f + 1,
            Dim::PosFix(i) => pos + 2 * k + i,
            Dim::Head(h, t) => heads + h * (v1 + 1) + t,
            Dim::HeadMean(h) => heads + h * (v1 + 1) + v1,
            Dim::Anchor => heads + self.heads() * (v1 + 1),
        }
    }

    /// Every dimension's name, in order (`unused` past the construction's).
    pub fn dim_names(&self, labels: &[String]) -> Vec<String> {
        let mut names = vec!["unused".to_string(); self.n_embd()];
        let label = |t: usize| match labels.get(t) {
            Some(l) => l.clone(),
            None if t == self.bos() => "<bos>".into(),
            None => "<unk>".into(),
        };
        for t in 0..self.vocab_size() {
            names[self.index(Dim::Tok(t))] = format!("tok:{}", label(t));
            for h in 0..self.heads() {
                names[self.index(Dim::Head(h, t))] = format!("head {h}:{}", label(t));
            }
        }
        names[self.index(Dim::TokMean)] = "tok:mean".into();
        for f in 0..self.frequencies {
            names[self.index(Dim::PosCos(f))] = format!("pos:cos {f}");
            names[self.index(Dim::PosSin(f))] = format!("pos:sin {f}");
        }
        names[self.index(Dim::PosFix(0))] = "pos:fix 0".into();
        names[self.index(Dim::PosFix(1))] = "pos:fix 1".into();
        for h in 0..self.heads() {
            names[self.index(Dim::HeadMean(h))] = format!("head {h}:mean");
        }
        names[self.index(Dim::Anchor)] = "anchor".into();
        names
    }

    /// P, the squared norm of every position embedding: K from the cos/sin pairs, K² from the
    /// fix dimensions (enough for any sum the pairs make, |Σ| ≤ K√2).
    pub fn position_norm2(&self) -> f64 {
        let k = self.frequencies as f64;
        k * (k + 1.0)
    }

    /// The position embedding of `m` on the used dimensions `(cos, sin) per frequency, fix 0,
    /// fix 1`, in exact arithmetic (to f64).
    pub fn position(&self, m: usize) -> Vec<f64> {
        let k = self.frequencies;
        let mut out = Vec::with_capacity(2 * k + 2);
        for f in 0..k {
            let a = angle(m as i64, f);
            out.push(a.cos());
            out.push(a.sin());
        }
        let s: f64 = out.iter().sum();
        // fix 0 + fix 1 = −s and fix 0² + fix 1² = P − K: the two roots of a quadratic.
        let rest = self.position_norm2() - k as f64;
        let disc = (2.0 * rest - s * s).max(0.0).sqrt();
        out.push((-s + disc) / 2.0);
        out.push((-s - disc) / 2.0);
        out
    }

    /// c₁, the first layer norm's scale: every input has Σx = 0 and Σx² = 2 + P.
    pub fn ln1_scale(&self) -> f64 {
        let var = (2.0 + self.position_norm2()) / self.n_embd() as f64;
        1.0 / (var + LAYER_NORM_EPSILON).sqrt()
    }

    /// c₂, the final layer norm's scale, with every head's output `e_h:t − e_h:mean` added.
    pub fn ln_f_scale(&self) -> f64 {
        let var = (2.0 + self.position_norm2() + 2.0 * self.heads() as f64) / self.n_embd() as f64;
        1.0 / (var + LAYER_NORM_EPSILON).sqrt()
    }

    /// λ, the factor of the query and key maps: score = (λ c₁)² Σ_f cos(…) / √head_dim = β Σ cos.
    pub fn qk_factor(&self) -> f64 {
        (self.temperature * (self.head_dim as f64).sqrt()).sqrt() / self.ln1_scale()
    }
}

/// K, the ternary digits that tell `context` positions apart: the least K ≥ 1 with 3^K ≥ N.
pub fn ternary_digits(context: usize) -> usize {
    let mut k = 1;
    let mut p: u128 = 3;
    while p < context as u128 {
        p *= 3;
        k += 1;
    }
    k
}

/// ω_f · m reduced exactly: 2π (m mod 3^(f+1)) / 3^(f+1).
pub fn angle(m: i64, f: usize) -> f64 {
    let period = 3i64.pow(f as u32 + 1);
    2.0 * PI * m.rem_euclid(period) as f64 / period as f64
}

/// Σ_f (1 − cos ω_f u): how far below the target's a position `u` away scores, in units of β
/// (at least 1.5 for u ≢ 0 mod 3^K).
pub fn gap(u: i64, frequencies: usize) -> f64 {
    (0..frequencies).map(|f| 1.0 - angle(u, f).cos()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_other_position_scores_at_least_one_and_a_half_below() {
        for k in 1..=5 {
            let n = 3i64.pow(k as u32);
            for u in 1..n {
                assert!(gap(u, k) >= 1.5 - 1e-12, "u {u} K {k}: {}", gap(u, k));
                assert!(gap(-u, k) >= 1.5 - 1e-12);
            }
            assert!(gap(n, k).abs() < 1e-9, "3^K aliases to the target");
        }
    }

    #[test]
    fn position_embeddings_sum_to_zero_with_one_norm() {
        let plan = Plan {
            vocab: 5,
            offsets: vec![3, 4, 5],
            context: 100,
            frequencies: ternary_digits(100),
            head_dim: 16,
            temperature: 10.0,
        };
        assert_eq!(plan.frequencies, 5);
        for m in 0..100 {
            let p = plan.position(m);
            let s: f64 = p.iter().sum();
            let n2: f64 = p.iter().map(|x| x * x).sum();
            assert!(s.abs() < 1e-12, "position {m} sums to {s}");
            assert!(
                (n2 - plan.position_norm2()).abs() < 1e-9,
                "position {m}: {n2}"
            );
        }
    }
}
