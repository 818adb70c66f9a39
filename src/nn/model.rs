//! The paper's next-token predictors over a context of `T` tokens: [`Architecture::Linear`]
//! (token embedding of width `d` → one [`MaskedLinear`] over all `T·d` inputs → output layer
//! to the vocabulary; the TinyStories model), [`Architecture::Mlp`] (the same with ReLU, a
//! per-position `d×d` layer shared by all positions, ReLU; the multiplication model),
//! [`Architecture::Bigram`] (a `V×V` table of logits: the softmax bigram baseline), and
//! [`Architecture::Transformer`] (a small pre-norm causal transformer, [`super::transformer`]).
//!
//! [`ArModel::new_with`] initialises by a [`Recipe`]: arsim's (normal, scaled by fan-in) or the
//! paper's code's (PyTorch's `nn.Linear` default, uniform `±1/√fan_in` for weights and biases:
//! `±1/√(T·d)` in the masked layer, `±1/√d` in the `d×d` and output layers; `nn.Embedding`'s
//! `N(0, 1)`; the masked layer's bias left at 0 and never trained, since the paper's code never
//! applies it). The transformer and the bigram have no counterpart in the paper's code and keep
//! their own initialisation under either recipe.
//!
//! The cost of each model is [`ModelConfig::forward_macs_per_token`] (multiply-adds of one
//! forward pass, per token of a full window) and [`ModelConfig::training_flops_per_token`]
//! (the usual 6 FLOPs per multiply-add: 2 forward, 4 backward), the unit of the
//! equal-compute comparison.
//!
//! Every output position `t` is a function of tokens `0..=t` only (the mask), so one forward
//! pass scores all `T` next-token predictions of a window, and [`ArModel::logits_at`]
//! computes one position alone for decoding.

use super::error::NnError;
use super::masked::{MaskedLinear, MaskedShape};
use super::recipe::Recipe;
use super::transformer::Transformer;
use candle_core::{DType, Device, Result, Tensor, Var};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// The most that training one model may hold (parameters, gradients, AdamW's moments): 16 GiB
/// of this project's 24 GiB machines.
pub const MAX_TRAINING_BYTES: u64 = 16 << 30;

const GIB: f64 = (1u64 << 30) as f64;

/// Which predictor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Embedding → masked linear → ReLU → per-position `d×d` → ReLU → output.
    Mlp,
    /// Embedding → masked linear → output: linear in the one-hot context.
    Linear,
    /// A `V×V` table: logits of the next token from the current one.
    Bigram,
    /// A small causal transformer: learned positions, pre-norm blocks of multi-head causal
    /// attention and a GELU MLP, output layer.
    Transformer,
}

impl Architecture {
    /// The name the command line and the JSON reports use: `mlp`, `linear`, `bigram`,
    /// `transformer`.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Mlp => "mlp",
            Architecture::Linear => "linear",
            Architecture::Bigram => "bigram",
            Architecture::Transformer => "transformer",
        }
    }
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
    /// Transformer blocks (0 for the other architectures; absent in older checkpoints).
    #[serde(default)]
    pub layers: usize,
    /// Attention heads per block (0 for the other architectures).
    #[serde(default)]
    pub heads: usize,
}

impl ModelConfig {
    /// A configuration of `architecture` with the automatic chunk, and for the transformer
    /// `layers` blocks of `heads` heads (ignored by the other architectures, stored as 0).
    pub fn new(
        architecture: Architecture,
        vocab: usize,
        context: usize,
        d: usize,
        layers: usize,
        heads: usize,
    ) -> ModelConfig {
        let (layers, heads) = if architecture == Architecture::Transformer {
            (layers, heads)
        } else {
            (0, 0)
        };
        ModelConfig {
            architecture,
            vocab,
            context,
            d,
            chunk: ModelConfig::default_chunk(context),
            layers,
            heads,
        }
    }

    /// Trained parameters, masked weights not counted.
    pub fn parameters(&self) -> usize {
        let (v, d, t) = (self.vocab, self.d, self.context);
        match self.architecture {
            Architecture::Bigram => v * v,
            Architecture::Linear => v * d + self.masked_shape().live_weights() + t * d + d * v + v,
            Architecture::Mlp => {
                v * d + self.masked_shape().live_weights() + t * d + d * d + d + d * v + v
            }
            Architecture::Transformer => {
                // Per block: two layer norms (2d each), qkv (3d² + 3d), projection (d² + d),
                // MLP (4d² + 4d and 4d² + d).
                let block =
                    4 * d + 3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d;
                v * d + t * d + self.layers * block + 2 * d + d * v + v
            }
        }
    }

    /// Bytes that training this model holds at the least, computed in `f64` so that no size
    /// a user can type overflows: every parameter four times over in `f32` (the value, its
    /// gradient and AdamW's two moments), the masked layer's diagonal squares counted whole
    /// (they are stored with their masked entries), and one batch of activations is not
    /// counted. [`ModelConfig::check_size`] compares it with [`MAX_TRAINING_BYTES`].
    pub fn training_bytes_estimate(&self) -> f64 {
        let (v, d, t) = (self.vocab as f64, self.d as f64, self.context as f64);
        let c = (self.chunk.max(1) as f64).min(t.max(1.0));
        // Off-diagonal blocks hold d²·T(T+1)/2 minus the diagonal squares' share; the squares
        // hold d²·c² each, T/c of them: at most d²(T(T+1)/2 + T·c).
        let masked = d * d * (t * (t + 1.0) / 2.0 + t * c);
        let params = match self.architecture {
            Architecture::Bigram => v * v,
            Architecture::Linear => v * d + masked + t * d + d * v + v,
            Architecture::Mlp => v * d + masked + t * d + d * d + d + d * v + v,
            Architecture::Transformer => {
                v * d + t * d + self.layers as f64 * (12.0 * d * d + 13.0 * d) + d * v + v
            }
        };
        params * 4.0 * 4.0
    }

    /// Refuses, before anything is allocated, a model whose training would hold more than
    /// [`MAX_TRAINING_BYTES`] (the width, context, vocabulary or layers too large), naming the
    /// estimate and the limit.
    pub fn check_size(&self) -> std::result::Result<(), NnError> {
        let need = self.training_bytes_estimate();
        if need > MAX_TRAINING_BYTES as f64 {
            return Err(NnError::TooLarge {
                architecture: self.architecture.name().to_string(),
                layers: match self.architecture {
                    Architecture::Transformer => self.layers,
                    _ => 0,
                },
                d: self.d,
                context: self.context,
                vocab: self.vocab,
                needed_gib: need / GIB,
                limit_gib: MAX_TRAINING_BYTES as f64 / GIB,
            });
        }
        Ok(())
    }

    /// Multiply-adds of one forward pass per token, averaged over the `T` positions of a full
    /// window (what training on whole windows pays; lookups, additions, norms and softmaxes
    /// not counted). Linear: the masked layer's live weights, `d²(T+1)/2` per token on average,
    /// plus the output layer `d·V`; MLP: plus the `d×d` layer; transformer: per block
    /// `12d²` (qkv, projection, MLP) plus `d(T+1)` for the scores and the weighted values
    /// (position `t` attends to `t+1` positions), plus `d·V`; bigram: 0 (a table lookup).
    pub fn forward_macs_per_token(&self) -> f64 {
        let (v, d, t) = (self.vocab as f64, self.d as f64, self.context as f64);
        let masked = d * d * (t + 1.0) / 2.0;
        match self.architecture {
            Architecture::Bigram => 0.0,
            Architecture::Linear => masked + d * v,
            Architecture::Mlp => masked + d * d + d * v,
            Architecture::Transformer => {
                self.layers as f64 * (12.0 * d * d + d * (t + 1.0)) + d * v
            }
        }
    }

    /// Training FLOPs per token: `6 ×` [`ModelConfig::forward_macs_per_token`] (a multiply-add is
    /// 2 FLOPs; the backward pass costs twice the forward).
    pub fn training_flops_per_token(&self) -> f64 {
        6.0 * self.forward_macs_per_token()
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
    /// Positions and blocks (transformer only).
    transformer: Option<Transformer>,
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

/// `var` refilled uniformly in `±bound`, times `mask` when given.
fn set_uniform(
    var: &Var,
    bound: f32,
    mask: Option<&Tensor>,
    rng: &mut impl rand::Rng,
) -> Result<()> {
    let n = var.elem_count();
    let w: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
    let mut t = Tensor::from_vec(w, var.shape(), var.device())?;
    if let Some(m) = mask {
        t = (t * m)?;
    }
    var.set(&t)
}

impl ArModel {
    /// A freshly initialised model, the same for the same `(config, seed)` (arsim's recipe).
    pub fn new(config: ModelConfig, seed: u64, device: &Device) -> Result<ArModel> {
        ArModel::new_with(config, seed, Recipe::Arsim, device)
    }

    /// A freshly initialised model by `recipe`'s initialisation (see the module doc), the same
    /// for the same `(config, seed, recipe)`.
    pub fn new_with(
        config: ModelConfig,
        seed: u64,
        recipe: Recipe,
        device: &Device,
    ) -> Result<ArModel> {
        let model = ArModel::new_arsim(config, seed, device)?;
        if recipe == Recipe::Paper
            && matches!(
                config.architecture,
                Architecture::Mlp | Architecture::Linear
            )
        {
            model.init_paper(seed)?;
        }
        Ok(model)
    }

    /// The paper's code's initialisation, in place (see the module doc).
    fn init_paper(&self, seed: u64) -> Result<()> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x70_6170_6572);
        let (d, t) = (self.config.d, self.config.context);
        let masked_bound = 1.0 / ((t * d) as f32).sqrt();
        let bound = 1.0 / (d as f32).sqrt();
        if let Some(m) = &self.masked {
            let shape = m.shape();
            let device = self.embedding.device().clone();
            let vars: std::collections::HashMap<String, Var> =
                m.named_vars("masked").into_iter().collect();
            for (k, r) in shape.chunks().enumerate() {
                if let Some(a) = vars.get(&format!("masked.below.{k}")) {
                    set_uniform(a, masked_bound, None, &mut rng)?;
                }
                let mask = super::masked::block_mask(r.len(), d, d, &device)?;
                set_uniform(
                    &vars[&format!("masked.diagonal.{k}")],
                    masked_bound,
                    Some(&mask),
                    &mut rng,
                )?;
            }
        }
        for (w, b) in self.hidden.iter().chain(&self.output) {
            set_uniform(w, bound, None, &mut rng)?;
            set_uniform(b, bound, None, &mut rng)?;
        }
        Ok(())
    }

    fn new_arsim(config: ModelConfig, seed: u64, device: &Device) -> Result<ArModel> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (v, d) = (config.vocab, config.d);
        if config.architecture == Architecture::Bigram {
            return Ok(ArModel {
                config,
                embedding: Var::zeros((v, v), DType::F32, device)?,
                masked: None,
                hidden: None,
                transformer: None,
                output: None,
            });
        }
        if config.architecture == Architecture::Transformer {
            let embedding = normal_var((v, d), 0.02, &mut rng, device)?;
            let transformer =
                Transformer::new(d, config.heads, config.layers, config.context, seed, device)?;
            let output = Some((
                normal_var((d, v), 0.02, &mut rng, device)?,
                Var::zeros(v, DType::F32, device)?,
            ));
            return Ok(ArModel {
                config,
                embedding,
                masked: None,
                hidden: None,
                transformer: Some(transformer),
                output,
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
            transformer: None,
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
                transformer: None,
                output: None,
            });
        }
        if config.architecture == Architecture::Transformer {
            let t =
                Transformer::from_tensors(d, config.heads, config.layers, config.context, tensors)?;
            return Ok(ArModel {
                config,
                embedding,
                masked: None,
                hidden: None,
                transformer: Some(t),
                output: Some((get("output.weight")?, get("output.bias")?)),
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
            transformer: None,
            output: Some((get("output.weight")?, get("output.bias")?)),
        })
    }

    /// The model's configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The embedding, the `d×d` layer (MLP only) and the output layer: what the hand-written
    /// training step (`nn::step`) reads besides the masked layer.
    #[allow(clippy::type_complexity)]
    pub(crate) fn parts(&self) -> (&Var, Option<&(Var, Var)>, Option<&(Var, Var)>) {
        (&self.embedding, self.hidden.as_ref(), self.output.as_ref())
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
        if let Some(t) = &self.transformer {
            out.extend(t.named_vars());
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
        if let Some(tr) = &self.transformer {
            let d = self.config.d;
            let h = tr.hidden(&e.reshape((b, t, d))?)?;
            return self
                .head(&h.reshape((b * t, d))?)?
                .reshape((b, t, self.config.vocab));
        }
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
    pub(crate) fn head(&self, y: &Tensor) -> Result<Tensor> {
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

    /// The transformer's blocks (transformer only).
    pub(crate) fn transformer_ref(&self) -> Option<&Transformer> {
        self.transformer.as_ref()
    }

    /// The embeddings `[B, d]` of one token per sequence, `ids [B]`.
    pub(crate) fn embedding_of(&self, ids: &Tensor) -> Result<Tensor> {
        self.embedding.as_tensor().embedding(ids)
    }

    /// Logits `[B, V]` of position `t` from `tokens` `[B, n]` (`n > t`; tokens after `t` are
    /// ignored), computing that position alone.
    pub fn logits_at(&self, tokens: &Tensor, t: usize) -> Result<Tensor> {
        if let Some(tr) = &self.transformer {
            // Attention needs every earlier position's keys: run the prefix `0..=t`.
            let (b, _) = tokens.dims2()?;
            let d = self.config.d;
            let prefix = tokens.narrow(1, 0, t + 1)?;
            let e = self
                .embedding
                .as_tensor()
                .embedding(&prefix.flatten_all()?)?
                .reshape((b, t + 1, d))?;
            let h = tr.hidden(&e)?.narrow(1, t, 1)?.reshape((b, d))?;
            return self.head(&h);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The printed name is the JSON one, so text and `--json` output agree.
    #[test]
    fn architecture_names_are_the_serialised_ones() {
        use Architecture::*;
        for a in [Mlp, Linear, Bigram, Transformer] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.name());
        }
    }

    /// `--d 100000000` once aborted allocating; it is refused before anything is allocated,
    /// while the paper's shapes pass.
    #[test]
    fn sizes_are_checked_before_allocation() {
        let huge = ModelConfig::new(Architecture::Linear, 1024, 64, 100_000_000, 0, 0);
        let e = huge.check_size().unwrap_err().to_string();
        assert!(e.contains("GiB") && e.contains("d = 100000000"), "{e}");
        let paper = ModelConfig::new(Architecture::Mlp, 117, 306, 16, 0, 0);
        assert!(paper.check_size().is_ok());
        let wide = ModelConfig::new(Architecture::Mlp, 117, 306, 128, 0, 0);
        assert!(
            wide.check_size().is_ok(),
            "{}",
            wide.training_bytes_estimate()
        );
        // No overflow at the largest sizes a user can type.
        let max = ModelConfig::new(Architecture::Mlp, usize::MAX, usize::MAX, usize::MAX, 0, 0);
        assert!(max.check_size().is_err());
    }
}
