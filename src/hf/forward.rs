//! The exported GPT-2 evaluated directly, as `transformers` computes it (pre-norm block, scores
//! scaled by 1/√head_dim, causal softmax, `gelu_new` MLP, final layer norm, unembedding), with
//! every stored value rounded to a precision and every sum accumulated in `f64` (a tighter
//! accumulator than the bound assumes). It checks the bound ([`super::bound`]) against the
//! float model it bounds, and the tensors against the predictor, without Python.

use super::bound::Precision;
use super::gpt2::Tensor;
use super::plan::{Plan, LAYER_NORM_EPSILON};

/// A GPT-2's shape, as its `config.json` gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// `n_embd`.
    pub n_embd: usize,
    /// `n_head`.
    pub n_head: usize,
    /// `n_layer`.
    pub n_layer: usize,
    /// `n_inner`.
    pub n_inner: usize,
    /// `vocab_size`.
    pub vocab: usize,
    /// `layer_norm_epsilon`.
    pub epsilon: f64,
}

impl Shape {
    /// The shape of the exported construction.
    pub fn of_plan(plan: &Plan) -> Shape {
        Shape {
            n_embd: plan.n_embd(),
            n_head: plan.heads(),
            n_layer: 1,
            n_inner: 1,
            vocab: plan.vocab_size(),
            epsilon: LAYER_NORM_EPSILON,
        }
    }
}

/// A GPT-2's tensors, rounded to a precision, by name.
pub struct Model {
    shape: Shape,
    precision: Option<Precision>,
    t: std::collections::HashMap<String, Vec<f64>>,
}

impl Model {
    /// The exported construction of `plan` (stored in `f32`, then cast to `precision`; `None`:
    /// exact, `f64`).
    pub fn new(plan: &Plan, tensors: &[Tensor], precision: Option<Precision>) -> Model {
        Model::of_shape(Shape::of_plan(plan), tensors, precision)
    }

    /// Any GPT-2 of `shape` whose tensors are `tensors`.
    pub fn of_shape(shape: Shape, tensors: &[Tensor], precision: Option<Precision>) -> Model {
        let t = tensors
            .iter()
            .map(|tensor| {
                let values = tensor
                    .values
                    .iter()
                    .map(|&x| match precision {
                        None => x,
                        Some(p) => p.round(x as f32 as f64),
                    })
                    .collect();
                (tensor.name.clone(), values)
            })
            .collect();
        Model {
            shape,
            precision,
            t,
        }
    }

    fn get(&self, name: &str) -> &[f64] {
        self.t
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_else(|| panic!("the model has no tensor {name}"))
    }

    fn r(&self, x: f64) -> f64 {
        match self.precision {
            None => x,
            Some(p) => p.round(x),
        }
    }

    fn layer_norm(&self, x: &[f64], name: &str) -> Vec<f64> {
        let (gain, bias) = (
            self.get(&format!("{name}.weight")),
            self.get(&format!("{name}.bias")),
        );
        let d = x.len() as f64;
        let mean = x.iter().sum::<f64>() / d;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d;
        let scale = 1.0 / (var + self.shape.epsilon).sqrt();
        x.iter()
            .enumerate()
            .map(|(i, v)| self.r((v - mean) * scale * gain[i] + bias[i]))
            .collect()
    }

    /// `x [in] · W [in, out] + b` (a Conv1D), rounded.
    fn affine(&self, x: &[f64], name: &str) -> Vec<f64> {
        let w = self.get(&format!("{name}.weight"));
        let mut y: Vec<f64> = self.get(&format!("{name}.bias")).to_vec();
        let out = y.len();
        for (i, &xi) in x.iter().enumerate() {
            if xi != 0.0 {
                for (yo, &wo) in y.iter_mut().zip(&w[i * out..(i + 1) * out]) {
                    *yo += xi * wo;
                }
            }
        }
        y.into_iter().map(|v| self.r(v)).collect()
    }

    /// The logits after every position of `ids`: `logits[m][d]`. Panics when a GPT-2 tensor
    /// is missing from the model (a check of arsim's own exports, not a reader of any file).
    pub fn logits(&self, ids: &[usize]) -> Vec<Vec<f64>> {
        let Shape {
            n_embd: d,
            n_head: heads,
            n_layer,
            vocab,
            ..
        } = self.shape;
        let hd = d / heads;
        let scale = self.r(1.0 / (hd as f64).sqrt());
        let (wte, wpe) = (
            self.get("transformer.wte.weight"),
            self.get("transformer.wpe.weight"),
        );
        let mut x: Vec<Vec<f64>> = ids
            .iter()
            .enumerate()
            .map(|(m, &id)| {
                (0..d)
                    .map(|i| self.r(wte[id * d + i] + wpe[m * d + i]))
                    .collect()
            })
            .collect();
        for l in 0..n_layer {
            let b = format!("transformer.h.{l}");
            let qkv: Vec<Vec<f64>> = x
                .iter()
                .map(|xm| {
                    self.affine(
                        &self.layer_norm(xm, &format!("{b}.ln_1")),
                        &format!("{b}.attn.c_attn"),
                    )
                })
                .collect();
            for m in 0..ids.len() {
                let mut heads_out = vec![0.0; d];
                for h in 0..heads {
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
                            for (o, vi) in heads_out[h * hd..(h + 1) * hd].iter_mut().zip(v) {
                                *o += w * vi;
                            }
                        }
                    }
                }
                let heads_out: Vec<f64> = heads_out.into_iter().map(|v| self.r(v)).collect();
                let attn = self.affine(&heads_out, &format!("{b}.attn.c_proj"));
                let x2: Vec<f64> = x[m].iter().zip(&attn).map(|(a, c)| self.r(a + c)).collect();
                let hidden = self.affine(
                    &self.layer_norm(&x2, &format!("{b}.ln_2")),
                    &format!("{b}.mlp.c_fc"),
                );
                let hidden: Vec<f64> = hidden.iter().map(|&v| self.r(gelu_new(v))).collect();
                let mlp = self.affine(&hidden, &format!("{b}.mlp.c_proj"));
                x[m] = x2.iter().zip(&mlp).map(|(a, c)| self.r(a + c)).collect();
            }
        }
        let lm = self.get("lm_head.weight");
        x.iter()
            .map(|xm| {
                let z = self.layer_norm(xm, "transformer.ln_f");
                (0..vocab)
                    .map(|o| {
                        self.r(lm[o * d..(o + 1) * d]
                            .iter()
                            .zip(&z)
                            .map(|(a, b)| a * b)
                            .sum::<f64>())
                    })
                    .collect()
            })
            .collect()
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
