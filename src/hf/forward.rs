//! The exported GPT-2 evaluated directly, as `transformers` computes it (pre-norm block, scores
//! scaled by 1/√head_dim, causal softmax, `gelu_new` MLP, final layer norm, unembedding), with
//! every stored value rounded to a precision and every sum accumulated in `f64` (a tighter
//! accumulator than the bound assumes). It checks the bound ([`super::bound`]) against the
//! float model it bounds, and the tensors against the predictor, without Python.

use super::bound::Precision;
use super::gpt2::Tensor;
use super::plan::{Plan, LAYER_NORM_EPSILON};

/// The model's tensors, rounded to a precision, by role.
pub struct Model<'t> {
    plan: &'t Plan,
    precision: Option<Precision>,
    t: Vec<Vec<f64>>,
}

const NAMES: [&str; 17] = [
    "transformer.wte.weight",
    "transformer.wpe.weight",
    "transformer.h.0.ln_1.weight",
    "transformer.h.0.ln_1.bias",
    "transformer.h.0.attn.c_attn.weight",
    "transformer.h.0.attn.c_attn.bias",
    "transformer.h.0.attn.c_proj.weight",
    "transformer.h.0.attn.c_proj.bias",
    "transformer.h.0.ln_2.weight",
    "transformer.h.0.ln_2.bias",
    "transformer.h.0.mlp.c_fc.weight",
    "transformer.h.0.mlp.c_fc.bias",
    "transformer.h.0.mlp.c_proj.weight",
    "transformer.h.0.mlp.c_proj.bias",
    "transformer.ln_f.weight",
    "transformer.ln_f.bias",
    "lm_head.weight",
];

impl<'t> Model<'t> {
    /// The model of `tensors` (as [`super::gpt2::tensors`] lists them), stored in `f32` and then
    /// cast to `precision` (`None`: exact, `f64`).
    pub fn new(plan: &'t Plan, tensors: &[Tensor], precision: Option<Precision>) -> Model<'t> {
        let t = NAMES
            .iter()
            .map(|name| {
                let tensor = tensors
                    .iter()
                    .find(|t| t.name == *name)
                    .expect("every GPT-2 tensor is built");
                tensor
                    .values
                    .iter()
                    .map(|&x| match precision {
                        None => x,
                        Some(p) => p.round(x as f32 as f64),
                    })
                    .collect()
            })
            .collect();
        Model { plan, precision, t }
    }

    fn r(&self, x: f64) -> f64 {
        match self.precision {
            None => x,
            Some(p) => p.round(x),
        }
    }

    fn layer_norm(&self, x: &[f64], gain: usize, bias: usize) -> Vec<f64> {
        let d = x.len() as f64;
        let mean = x.iter().sum::<f64>() / d;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d;
        let scale = 1.0 / (var + LAYER_NORM_EPSILON).sqrt();
        x.iter()
            .enumerate()
            .map(|(i, v)| self.r((v - mean) * scale * self.t[gain][i] + self.t[bias][i]))
            .collect()
    }

    /// `x [in] · W [in, out] + b`, rounded.
    fn affine(&self, x: &[f64], w: usize, b: usize, out: usize) -> Vec<f64> {
        let mut y: Vec<f64> = self.t[b].clone();
        for (i, &xi) in x.iter().enumerate() {
            if xi != 0.0 {
                let row = &self.t[w][i * out..(i + 1) * out];
                for (yo, &wo) in y.iter_mut().zip(row) {
                    *yo += xi * wo;
                }
            }
        }
        y.into_iter().map(|v| self.r(v)).collect()
    }

    /// The logits after every position of `ids` (`ids[0]` is `<bos>`): `logits[m][d]`.
    pub fn logits(&self, ids: &[usize]) -> Vec<Vec<f64>> {
        let plan = self.plan;
        let d = plan.n_embd();
        let hd = plan.head_dim;
        let v1 = plan.vocab_size();
        let scale = self.r(1.0 / (hd as f64).sqrt());
        let x: Vec<Vec<f64>> = ids
            .iter()
            .enumerate()
            .map(|(m, &id)| {
                (0..d)
                    .map(|i| self.r(self.t[0][id * d + i] + self.t[1][m * d + i]))
                    .collect()
            })
            .collect();
        let qkv: Vec<Vec<f64>> = x
            .iter()
            .map(|xm| self.affine(&self.layer_norm(xm, 2, 3), 4, 5, 3 * d))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for m in 0..ids.len() {
            let mut heads = vec![0.0; d];
            for h in 0..plan.heads() {
                let q = &qkv[m][h * hd..(h + 1) * hd];
                let scores: Vec<f64> = (0..=m)
                    .map(|n| {
                        let k = &qkv[n][d + h * hd..d + (h + 1) * hd];
                        self.r(self.r(q.iter().zip(k).map(|(a, b)| a * b).sum::<f64>()) * scale)
                    })
                    .collect();
                let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let z: f64 = e.iter().sum();
                for (n, en) in e.iter().enumerate() {
                    let w = self.r(en / z);
                    if w != 0.0 {
                        let v = &qkv[n][2 * d + h * hd..2 * d + (h + 1) * hd];
                        for (o, vi) in heads[h * hd..(h + 1) * hd].iter_mut().zip(v) {
                            *o += w * vi;
                        }
                    }
                }
            }
            let heads: Vec<f64> = heads.into_iter().map(|v| self.r(v)).collect();
            let attn = self.affine(&heads, 6, 7, d);
            let x2: Vec<f64> = x[m].iter().zip(&attn).map(|(a, b)| self.r(a + b)).collect();
            let hidden = self.affine(&self.layer_norm(&x2, 8, 9), 10, 11, 1);
            let hidden: Vec<f64> = hidden.iter().map(|&h| self.r(gelu_new(h))).collect();
            let mlp = self.affine(&hidden, 12, 13, d);
            let x3: Vec<f64> = x2.iter().zip(&mlp).map(|(a, b)| self.r(a + b)).collect();
            let z = self.layer_norm(&x3, 14, 15);
            let logits = (0..v1)
                .map(|o| {
                    let row = &self.t[16][o * d..(o + 1) * d];
                    self.r(row.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>())
                })
                .collect();
            out.push(logits);
        }
        out
    }
}

/// GPT-2's `gelu_new`: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
fn gelu_new(x: f64) -> f64 {
    0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
}

/// The index of the largest value (the first of equals, as `torch.argmax`).
pub fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}
