//! The paper's next-token predictors over a context of `T` tokens: [`Architecture::Linear`]
//! (token embedding of width `d` → one [`MaskedLinear`] over all `T·d` inputs → output layer
//! to the vocabulary; the TinyStories model), [`Architecture::Mlp`] (the same with ReLU, a
//! per-position `d×d` layer shared by all positions, ReLU; the multiplication model), and
//! [`Architecture::Bigram`] (a `V×V` table of logits: the softmax bigram baseline).
//!
//! Every output position `t` is a function of tokens `0..=t` only (the mask), so one forward
//! pass scores all `T` next-token predictions of a window, and [`ArModel::logits_at`]
//! computes one position alone for decoding.

use super::masked::{MaskedLinear, MaskedShape};
use candle_core::{DType, Device, Result, Tensor, Var};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// Which predictor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Embedding → masked linear → ReLU → per-position `d×d` → ReLU → output.
    Mlp,
    /// Embedding → masked linear → output: linear in the one-hot context.
    Linear,
    /// A `V×V` table: logits of the next token from the current one.
    Bigram,
}

/// Everything that fixes a model's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// The architecture.
    pub architecture: Architecture,
    /// Vocabulary size `V`.
    pub vocab: usize,
    /// Context `T` (positions per window).
    pub context: usize,
    /// Embedding width `d` (also the hidden width per position).
    pub d: usize,
    /// Positions per chunk of the masked layer (speed only; see [`MaskedLinear`]).
    pub chunk: usize,
}

impl ModelConfig {
    /// Trained parameters, masked weights not counted.
    pub fn parameters(&self) -> usize {
        let (v, d, t) = (self.vocab, self.d, self.context);
        match self.architecture {
            Architecture::Bigram => v * v,
            Architecture::Linear => v * d + self.masked_shape().live_weights() + t * d + d * v + v,
            Architecture::Mlp => {
                v * d + self.masked_shape().live_weights() + t * d + d * d + d + d * v + v
            }
        }
    }

    /// The masked layer's shape.
    pub fn masked_shape(&self) -> MaskedShape {
        MaskedShape {
            positions: self.context,
            d_in: self.d,
            d_out: self.d,
            chunk: self.chunk,
        }
    }

    /// A chunk size that suits `gemm`: about 16 chunks, at least 4 positions each.
    pub fn default_chunk(context: usize) -> usize {
        context.div_ceil(16).max(4).min(context.max(1))
    }

    /// `chunk`, or [`ModelConfig::default_chunk`] when it is 0.
    pub fn chunk_or_default(chunk: usize, context: usize) -> usize {
        if chunk == 0 {
            ModelConfig::default_chunk(context)
        } else {
            chunk
        }
    }
}

/// A trainable next-token predictor (see the module doc).
#[derive(Debug)]
pub struct ArModel {
    config: ModelConfig,
    /// `[V, d]`, or the `[V, V]` logit table of the bigram.
    embedding: Var,
    masked: Option<MaskedLinear>,
    /// `[d, d]` and `[d]` (MLP only).
    hidden: Option<(Var, Var)>,
    /// `[d, V]` and `[V]` (not for the bigram).
    output: Option<(Var, Var)>,
}

fn normal_var(
    shape: (usize, usize),
    std: f32,
    rng: &mut impl rand::Rng,
    device: &Device,
) -> Result<Var> {
    let normal = Normal::new(0f32, std).expect("positive std");
    let w: Vec<f32> = (0..shape.0 * shape.1).map(|_| normal.sample(rng)).collect();
    Var::from_tensor(&Tensor::from_vec(w, shape, device)?)
}

impl ArModel {
    /// A freshly initialised model, the same for the same `(config, seed)`.
    pub fn new(config: ModelConfig, seed: u64, device: &Device) -> Result<ArModel> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (v, d) = (config.vocab, config.d);
        if config.architecture == Architecture::Bigram {
            return Ok(ArModel {
                config,
                embedding: Var::zeros((v, v), DType::F32, device)?,
                masked: None,
                hidden: None,
                output: None,
            });
        }
        let embedding = normal_var((v, d), 1.0, &mut rng, device)?;
        let masked = MaskedLinear::new(config.masked_shape(), seed ^ 0x6d61_736b, device)?;
        let hidden = match config.architecture {
            Architecture::Mlp => Some((
                normal_var((d, d), (2.0 / d as f32).sqrt(), &mut rng, device)?,
                Var::zeros(d, DType::F32, device)?,
            )),
            _ => None,
        };
        let output = Some((
            normal_var((d, v), 1.0 / (d as f32).sqrt(), &mut rng, device)?,
            Var::zeros(v, DType::F32, device)?,
        ));
        Ok(ArModel {
            config,
            embedding,
            masked: Some(masked),
            hidden,
            output,
        })
    }

    /// A model from named tensors (as [`ArModel::named_vars`] names them).
    pub fn from_tensors(
        config: ModelConfig,
        tensors: &std::collections::HashMap<String, Tensor>,
    ) -> std::result::Result<ArModel, String> {
        let get = |name: &str| -> std::result::Result<Var, String> {
            let t = tensors
                .get(name)
                .ok_or_else(|| format!("tensor {name:?} is missing"))?;
            Var::from_tensor(t).map_err(|e| format!("tensor {name:?}: {e}"))
        };
        let (v, d) = (config.vocab, config.d);
        let embedding = get("embedding")?;
        let want = if config.architecture == Architecture::Bigram {
            (v, v)
        } else {
            (v, d)
        };
        if embedding.dims() != [want.0, want.1] {
            return Err(format!(
                "tensor \"embedding\" has shape {:?}, the config says {want:?}",
                embedding.dims()
            ));
        }
        if config.architecture == Architecture::Bigram {
            return Ok(ArModel {
                config,
                embedding,
                masked: None,
                hidden: None,
                output: None,
            });
        }
        let shape = config.masked_shape();
        let mut below = Vec::new();
        let mut diagonal = Vec::new();
        for (k, r) in shape.chunks().enumerate() {
            below.push(if r.start == 0 {
                None
            } else {
                let a = get(&format!("masked.below.{k}"))?;
                if a.dims() != [r.start * d, r.len() * d] {
                    return Err(format!("tensor masked.below.{k} has shape {:?}", a.dims()));
                }
                Some(a)
            });
            let dk = get(&format!("masked.diagonal.{k}"))?;
            if dk.dims() != [r.len() * d, r.len() * d] {
                return Err(format!(
                    "tensor masked.diagonal.{k} has shape {:?}",
                    dk.dims()
                ));
            }
            diagonal.push(dk);
        }
        let masked = MaskedLinear::from_parts(shape, below, diagonal, get("masked.bias")?)
            .map_err(|e| e.to_string())?;
        let hidden = match config.architecture {
            Architecture::Mlp => Some((get("hidden.weight")?, get("hidden.bias")?)),
            _ => None,
        };
        Ok(ArModel {
            config,
            embedding,
            masked: Some(masked),
            hidden,
            output: Some((get("output.weight")?, get("output.bias")?)),
        })
    }

    /// The model's configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The masked layer (absent for the bigram).
    pub fn masked(&self) -> Option<&MaskedLinear> {
        self.masked.as_ref()
    }

    /// Every parameter with its checkpoint name, in a fixed order.
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut out = vec![("embedding".to_string(), self.embedding.clone())];
        if let Some(m) = &self.masked {
            out.extend(m.named_vars("masked"));
        }
        if let Some((w, b)) = &self.hidden {
            out.push(("hidden.weight".into(), w.clone()));
            out.push(("hidden.bias".into(), b.clone()));
        }
        if let Some((w, b)) = &self.output {
            out.push(("output.weight".into(), w.clone()));
            out.push(("output.bias".into(), b.clone()));
        }
        out
    }

    /// Logits `[B, T, V]` for a window of tokens `[B, T]` (`u32`): position `t`'s logits
    /// predict token `t + 1` from tokens `0..=t`.
    pub fn forward(&self, tokens: &Tensor) -> Result<Tensor> {
        self.forward_with(tokens, false)
    }

    /// [`ArModel::forward`] through the paper's dense masked product (for the equivalence
    /// test and the bench).
    pub fn forward_dense_masked(&self, tokens: &Tensor) -> Result<Tensor> {
        self.forward_with(tokens, true)
    }

    fn forward_with(&self, tokens: &Tensor, dense: bool) -> Result<Tensor> {
        let (b, t) = tokens.dims2()?;
        let e = self
            .embedding
            .as_tensor()
            .embedding(&tokens.flatten_all()?)?;
        let Some(masked) = &self.masked else {
            return e.reshape((b, t, self.config.vocab));
        };
        let x = e.reshape((b, t * self.config.d))?;
        let y = if dense {
            let s = masked.shape();
            let mask = super::masked::block_mask(s.positions, s.d_in, s.d_out, x.device())?;
            masked.forward_dense_masked(&x, &mask)?
        } else {
            masked.forward(&x)?
        };
        let y = self.head(&y.reshape((b * t, self.config.d))?)?;
        y.reshape((b, t, self.config.vocab))
    }

    /// The per-position part after the masked layer: `[N, d]` → `[N, V]`.
    fn head(&self, y: &Tensor) -> Result<Tensor> {
        let mut y = y.clone();
        if let Some((w, b)) = &self.hidden {
            y = y
                .relu()?
                .matmul(w.as_tensor())?
                .broadcast_add(b.as_tensor())?
                .relu()?;
        }
        let (w, b) = self
            .output
            .as_ref()
            .expect("non-bigram models have an output layer");
        y.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())
    }

    /// Logits `[B, V]` of position `t` from `tokens` `[B, n]` (`n > t`; tokens after `t` are
    /// ignored), computing that position alone.
    pub fn logits_at(&self, tokens: &Tensor, t: usize) -> Result<Tensor> {
        let Some(masked) = &self.masked else {
            let col = tokens.narrow(1, t, 1)?.flatten_all()?;
            return self.embedding.as_tensor().embedding(&col);
        };
        let (b, n) = tokens.dims2()?;
        let x = self
            .embedding
            .as_tensor()
            .embedding(&tokens.flatten_all()?)?
            .reshape((b, n * self.config.d))?;
        self.head(&masked.forward_position(&x, t)?)
    }

    /// Mean cross-entropy (nats) of predicting `targets` `[B, T]` from `inputs` `[B, T]`,
    /// over every position.
    pub fn loss(&self, inputs: &Tensor, targets: &Tensor) -> Result<Tensor> {
        let logits = self.forward(inputs)?;
        let (b, t, v) = logits.dims3()?;
        candle_nn::loss::cross_entropy(&logits.reshape((b * t, v))?, &targets.reshape(b * t)?)
    }
}
