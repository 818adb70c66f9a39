//! A small causal transformer, the third architecture of issue 16's comparison (linear → MLP →
//! transformer): learned token and position embeddings, `L` pre-norm blocks
//! (`x + Attention(LayerNorm(x))`, then `x + MLP(LayerNorm(x))`), a final layer norm and the
//! output layer to the vocabulary.
//!
//! - **Attention**: `H` heads of width `d/H`, one fused `d × 3d` projection for queries, keys
//!   and values, scores scaled by `1/√(d/H)`, a causal mask (position `t` attends to `0..=t`),
//!   softmax, then a `d × d` output projection; the middle part is one custom op,
//!   [`super::attention::causal_attention`], that never makes a `T × T` tensor.
//! - **MLP**: `d → 4d`, GELU (tanh form, [`super::gelu`]), `4d → d`.
//! - **Initialisation** (GPT-2's): weights `N(0, 0.02)`, biases 0, layer-norm gains 1; seeded.
//!
//! It lives inside [`super::ArModel`] (as `Architecture::Transformer`), so it trains,
//! checkpoints, decodes and is scored by the same code as the paper's models; the token
//! embedding is the model's `embedding` tensor, the rest is named `transformer.…` here.
//! Its parameters and its multiply-adds per token are counted by
//! [`super::ModelConfig::parameters`] and [`super::ModelConfig::forward_macs_per_token`].

use super::attention::{attend_last, causal_attention};
use super::gelu::gelu;
use candle_core::{DType, Device, Result, Tensor, Var, D};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// The standard deviation of GPT-2's weight initialisation.
const INIT_STD: f32 = 0.02;
/// Layer norm's epsilon.
const EPS: f64 = 1e-5;

/// One pre-norm block's parameters.
#[derive(Debug)]
struct Block {
    norm1: (Var, Var),
    qkv: (Var, Var),
    proj: (Var, Var),
    norm2: (Var, Var),
    fc1: (Var, Var),
    fc2: (Var, Var),
}

/// The transformer's parameters besides the token embedding.
#[derive(Debug)]
pub struct Transformer {
    heads: usize,
    /// `[T, d]`: learned positions.
    position: Var,
    blocks: Vec<Block>,
    final_norm: (Var, Var),
}

fn normal(shape: &[usize], rng: &mut impl rand::Rng, device: &Device) -> Result<Var> {
    let dist = Normal::new(0f32, INIT_STD).expect("positive std");
    let n: usize = shape.iter().product();
    let w: Vec<f32> = (0..n).map(|_| dist.sample(rng)).collect();
    Var::from_tensor(&Tensor::from_vec(w, shape, device)?)
}

fn norm_pair(d: usize, device: &Device) -> Result<(Var, Var)> {
    Ok((
        Var::from_tensor(&Tensor::ones(d, DType::F32, device)?)?,
        Var::zeros(d, DType::F32, device)?,
    ))
}

/// `x [N, d]` normalised over its last dimension, times `gain`, plus `bias`.
fn layer_norm(x: &Tensor, (gain, bias): &(Var, Var)) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred
        .broadcast_div(&(var + EPS)?.sqrt()?)?
        .broadcast_mul(gain.as_tensor())?
        .broadcast_add(bias.as_tensor())
}

/// `x [N, a] · W [a, b] + bias [b]`.
fn affine(x: &Tensor, (w, b): &(Var, Var)) -> Result<Tensor> {
    x.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())
}

impl Transformer {
    /// A freshly initialised transformer of `layers` blocks, `heads` heads, width `d`, over
    /// `context` positions; the same for the same seed. `d` must be a multiple of `heads`.
    pub fn new(
        d: usize,
        heads: usize,
        layers: usize,
        context: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Transformer> {
        if heads == 0 || d % heads != 0 {
            candle_core::bail!("the width d = {d} is not a multiple of the {heads} heads");
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x7472_616e);
        let position = normal(&[context, d], &mut rng, device)?;
        let mut blocks = Vec::with_capacity(layers);
        for _ in 0..layers {
            blocks.push(Block {
                norm1: norm_pair(d, device)?,
                qkv: (
                    normal(&[d, 3 * d], &mut rng, device)?,
                    Var::zeros(3 * d, DType::F32, device)?,
                ),
                proj: (
                    normal(&[d, d], &mut rng, device)?,
                    Var::zeros(d, DType::F32, device)?,
                ),
                norm2: norm_pair(d, device)?,
                fc1: (
                    normal(&[d, 4 * d], &mut rng, device)?,
                    Var::zeros(4 * d, DType::F32, device)?,
                ),
                fc2: (
                    normal(&[4 * d, d], &mut rng, device)?,
                    Var::zeros(d, DType::F32, device)?,
                ),
            });
        }
        Ok(Transformer {
            heads,
            position,
            blocks,
            final_norm: norm_pair(d, device)?,
        })
    }

    /// Every parameter with its checkpoint name (`transformer.position`,
    /// `transformer.block.I.{norm1,qkv,proj,norm2,fc1,fc2}.{gain,weight,bias}`,
    /// `transformer.final_norm.{gain,bias}`), in a fixed order.
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut out = vec![("transformer.position".to_string(), self.position.clone())];
        for (i, b) in self.blocks.iter().enumerate() {
            let p = format!("transformer.block.{i}");
            for (part, (w, bias), first) in [
                ("norm1", &b.norm1, "gain"),
                ("qkv", &b.qkv, "weight"),
                ("proj", &b.proj, "weight"),
                ("norm2", &b.norm2, "gain"),
                ("fc1", &b.fc1, "weight"),
                ("fc2", &b.fc2, "weight"),
            ] {
                out.push((format!("{p}.{part}.{first}"), w.clone()));
                out.push((format!("{p}.{part}.bias"), bias.clone()));
            }
        }
        out.push((
            "transformer.final_norm.gain".to_string(),
            self.final_norm.0.clone(),
        ));
        out.push((
            "transformer.final_norm.bias".to_string(),
            self.final_norm.1.clone(),
        ));
        out
    }

    /// The transformer from named tensors (as [`Transformer::named_vars`] names them), checking
    /// every shape.
    pub fn from_tensors(
        d: usize,
        heads: usize,
        layers: usize,
        context: usize,
        tensors: &std::collections::HashMap<String, Tensor>,
    ) -> std::result::Result<Transformer, String> {
        let get = |name: &str, shape: &[usize]| -> std::result::Result<Var, String> {
            let t = tensors
                .get(name)
                .ok_or_else(|| format!("tensor {name:?} is missing"))?;
            if t.dims() != shape {
                return Err(format!(
                    "tensor {name:?} has shape {:?}, the config says {shape:?}",
                    t.dims()
                ));
            }
            Var::from_tensor(t).map_err(|e| format!("tensor {name:?}: {e}"))
        };
        if heads == 0 || d % heads != 0 {
            return Err(format!(
                "the width d = {d} is not a multiple of the {heads} heads"
            ));
        }
        let pair = |name: &str, first: &str, rows: Option<usize>, cols: usize| {
            let w = match rows {
                Some(r) => get(&format!("{name}.{first}"), &[r, cols])?,
                None => get(&format!("{name}.{first}"), &[cols])?,
            };
            Ok::<_, String>((w, get(&format!("{name}.bias"), &[cols])?))
        };
        let mut blocks = Vec::with_capacity(layers);
        for i in 0..layers {
            let p = format!("transformer.block.{i}");
            blocks.push(Block {
                norm1: pair(&format!("{p}.norm1"), "gain", None, d)?,
                qkv: pair(&format!("{p}.qkv"), "weight", Some(d), 3 * d)?,
                proj: pair(&format!("{p}.proj"), "weight", Some(d), d)?,
                norm2: pair(&format!("{p}.norm2"), "gain", None, d)?,
                fc1: pair(&format!("{p}.fc1"), "weight", Some(d), 4 * d)?,
                fc2: pair(&format!("{p}.fc2"), "weight", Some(4 * d), d)?,
            });
        }
        Ok(Transformer {
            heads,
            position: get("transformer.position", &[context, d])?,
            blocks,
            final_norm: pair("transformer.final_norm", "gain", None, d)?,
        })
    }

    /// The final hidden states `[B, t, d]` (after the final layer norm) of the embedded tokens
    /// `e [B, t, d]`: position `s` depends on positions `0..=s` only.
    pub fn hidden(&self, e: &Tensor) -> Result<Tensor> {
        let (b, t, d) = e.dims3()?;
        let mut x = e.broadcast_add(&self.position.as_tensor().narrow(0, 0, t)?)?;
        for blk in &self.blocks {
            let n = layer_norm(&x.reshape((b * t, d))?, &blk.norm1)?;
            let qkv = affine(&n, &blk.qkv)?.reshape((b, t, 3 * d))?;
            let y = causal_attention(&qkv, self.heads)?.reshape((b * t, d))?;
            x = (x + affine(&y, &blk.proj)?.reshape((b, t, d))?)?;
            let n = layer_norm(&x.reshape((b * t, d))?, &blk.norm2)?;
            let m = affine(&gelu(&affine(&n, &blk.fc1)?)?, &blk.fc2)?;
            x = (x + m.reshape((b, t, d))?)?;
        }
        layer_norm(&x.reshape((b * t, d))?, &self.final_norm)?.reshape((b, t, d))
    }

    /// An empty key–value cache for decoding `batch` sequences of up to `context` positions.
    pub fn cache(&self, batch: usize) -> KvCache {
        let (context, d) = self.position.dims2().unwrap_or((0, 0));
        let size = batch * context * d;
        KvCache {
            batch,
            capacity: context,
            len: 0,
            keys: vec![vec![0.0; size]; self.blocks.len()],
            values: vec![vec![0.0; size]; self.blocks.len()],
        }
    }

    /// The final hidden state `[B, d]` of the next position, `cache.len()`, from its embedded
    /// tokens `e [B, d]`, reading the earlier positions' keys and values from `cache` and
    /// adding this one's: what [`Transformer::hidden`] computes at that position, at the cost
    /// of one position instead of the whole prefix.
    pub fn step(&self, cache: &mut KvCache, e: &Tensor) -> Result<Tensor> {
        let (b, d) = e.dims2()?;
        let t = cache.len;
        if b != cache.batch || t >= cache.capacity {
            candle_core::bail!(
                "decoding position {t} of {b} sequences with a cache for {} positions of {}",
                cache.capacity,
                cache.batch
            );
        }
        let mut x = e.broadcast_add(&self.position.as_tensor().narrow(0, t, 1)?)?;
        for (l, blk) in self.blocks.iter().enumerate() {
            let qkv: Vec<f32> = affine(&layer_norm(&x, &blk.norm1)?, &blk.qkv)?
                .flatten_all()?
                .to_vec1()?;
            let mut q = vec![0f32; b * d];
            for r in 0..b {
                let row = &qkv[r * 3 * d..(r + 1) * 3 * d];
                q[r * d..(r + 1) * d].copy_from_slice(&row[..d]);
                let at = (r * cache.capacity + t) * d;
                cache.keys[l][at..at + d].copy_from_slice(&row[d..2 * d]);
                cache.values[l][at..at + d].copy_from_slice(&row[2 * d..]);
            }
            let y = attend_last(
                &q,
                &cache.keys[l],
                &cache.values[l],
                cache.capacity,
                t + 1,
                d,
                self.heads,
            );
            let y = Tensor::from_vec(y, (b, d), e.device())?;
            x = (x + affine(&y, &blk.proj)?)?;
            let m = affine(
                &gelu(&affine(&layer_norm(&x, &blk.norm2)?, &blk.fc1)?)?,
                &blk.fc2,
            )?;
            x = (x + m)?;
        }
        cache.len += 1;
        layer_norm(&x, &self.final_norm)
    }
}

/// Every block's keys and values of the positions decoded so far (see
/// [`Transformer::step`]): `[B, T, d]` each, positions `0..len` filled.
#[derive(Debug, Clone)]
pub struct KvCache {
    batch: usize,
    capacity: usize,
    len: usize,
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
}

impl KvCache {
    /// Positions decoded so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No position decoded yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
