//! A trained `--model transformer` checkpoint as a Hugging Face GPT-2 (proofs/transformer.md,
//! §6). arsim's transformer is GPT-2's architecture (pre-norm blocks, learned positions, fused
//! QKV, `gelu_new`, 4d MLP, final layer norm) but for one part: its output layer has a bias,
//! and GPT-2's `lm_head` has none.
//!
//! The bias rides on H extra residual dimensions, the **mean dimensions**, each holding the mean
//! μ of the d original ones at every point of the residual stream: every map that writes the
//! stream (token and position embeddings, each attention and MLP output, their biases) writes
//! the mean of its row there too, and means add. A layer norm over the d + H dimensions then
//! sees the same mean μ and a variance d/(d+H) of the original, so with its epsilon and gains
//! scaled by d/(d+H) and √(d/(d+H)) it computes exactly the original layer norm on the d
//! dimensions and (x − μ) = 0 on the mean dimensions: there, the final layer norm's bias of 1
//! is a constant 1, and `lm_head`'s column for it is the output bias. H of them (not one) keep
//! `n_embd` a multiple of the heads; each head gets one more (zero) dimension, and its queries
//! are scaled by √((hd+1)/hd) to keep GPT-2's 1/√head_dim scaling exact.

use super::gpt2::Tensor;
use serde_json::{json, Value};

/// The shape of a trained transformer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransformerShape {
    /// Tokens.
    pub vocab: usize,
    /// Positions.
    pub context: usize,
    /// Width.
    pub d: usize,
    /// Blocks.
    pub layers: usize,
    /// Heads (d is a multiple of them).
    pub heads: usize,
}

/// arsim's layer-norm epsilon for its transformer (`nn::transformer`).
pub const ARSIM_EPSILON: f64 = 1e-5;

/// Why a checkpoint's tensors do not make a GPT-2.
#[derive(Debug, thiserror::Error)]
#[error("tensor {name}: {message}")]
pub struct ShapeError {
    /// The tensor.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// GPT-2's tensors and `config.json` for the checkpoint whose tensors `get(name)` returns
/// (row-major `f32`, with their shapes), as [`module`](self) explains.
pub fn gpt2_of_transformer<'t>(
    shape: TransformerShape,
    get: &dyn Fn(&str) -> Option<(&'t [usize], &'t [f32])>,
) -> Result<(Value, Vec<Tensor>), ShapeError> {
    let TransformerShape {
        vocab: v,
        context: t,
        d,
        layers,
        heads: h,
    } = shape;
    let hd = d / h.max(1);
    let (n, hd1) = (d + h, hd + 1);
    let scale = (d as f64 / n as f64).sqrt();
    let tensor = |name: &str, want: &[usize]| -> Result<Vec<f64>, ShapeError> {
        let (dims, values) = get(name).ok_or_else(|| ShapeError {
            name: name.into(),
            message: "missing".into(),
        })?;
        if dims != want {
            return Err(ShapeError {
                name: name.into(),
                message: format!("shape {dims:?}, expected {want:?}"),
            });
        }
        Ok(values.iter().map(|&x| f64::from(x)).collect())
    };
    // `[rows, d]` → `[rows, n]`: each row with its mean in every mean dimension.
    let with_means = |name: &str, rows: usize, x: &[f64]| {
        let values = x
            .chunks(d)
            .flat_map(|row| {
                let mean = row.iter().sum::<f64>() / d as f64;
                row.iter().copied().chain(std::iter::repeat_n(mean, h))
            })
            .collect();
        let shape: &[usize] = if rows == 0 { &[n] } else { &[rows, n] };
        Tensor::new(name, shape, values)
    };
    let norm = |name: &str, gain: &[f64], bias: &[f64], final_bias: f64| {
        let mut g: Vec<f64> = gain.iter().map(|x| x * scale).collect();
        let mut b = bias.to_vec();
        g.extend(std::iter::repeat_n(0.0, h));
        b.push(final_bias);
        b.extend(std::iter::repeat_n(0.0, h - 1));
        [
            Tensor::new(format!("{name}.weight"), &[n], g),
            Tensor::new(format!("{name}.bias"), &[n], b),
        ]
    };
    let mut out = vec![
        with_means("transformer.wte.weight", v, &tensor("embedding", &[v, d])?),
        with_means(
            "transformer.wpe.weight",
            t,
            &tensor("transformer.position", &[t, d])?,
        ),
    ];
    let q_scale = (hd1 as f64 / hd as f64).sqrt();
    for l in 0..layers {
        let p = format!("transformer.block.{l}");
        let o = format!("transformer.h.{l}");
        out.extend(norm(
            &format!("{o}.ln_1"),
            &tensor(&format!("{p}.norm1.gain"), &[d])?,
            &tensor(&format!("{p}.norm1.bias"), &[d])?,
            0.0,
        ));
        // QKV: rows of the mean dimensions 0; each head one more (0) column; queries scaled.
        let w = tensor(&format!("{p}.qkv.weight"), &[d, 3 * d])?;
        let b = tensor(&format!("{p}.qkv.bias"), &[3 * d])?;
        let col = |part: usize, head: usize, j: usize| part * n + head * hd1 + j;
        let mut cw = vec![0.0; n * 3 * n];
        let mut cb = vec![0.0; 3 * n];
        for part in 0..3 {
            let f = if part == 0 { q_scale } else { 1.0 };
            for head in 0..h {
                for j in 0..hd {
                    let src = part * d + head * hd + j;
                    let dst = col(part, head, j);
                    for i in 0..d {
                        cw[i * 3 * n + dst] = w[i * 3 * d + src] * f;
                    }
                    cb[dst] = b[src] * f;
                }
            }
        }
        out.push(Tensor::new(
            format!("{o}.attn.c_attn.weight"),
            &[n, 3 * n],
            cw,
        ));
        out.push(Tensor::new(format!("{o}.attn.c_attn.bias"), &[3 * n], cb));
        // The output map: input rows per head (its extra one 0), output with the means.
        let w = tensor(&format!("{p}.proj.weight"), &[d, d])?;
        let mut rows = vec![0.0; n * d];
        for head in 0..h {
            for j in 0..hd {
                let (src, dst) = (head * hd + j, head * hd1 + j);
                rows[dst * d..(dst + 1) * d].copy_from_slice(&w[src * d..(src + 1) * d]);
            }
        }
        out.push(with_means(&format!("{o}.attn.c_proj.weight"), n, &rows));
        let b = tensor(&format!("{p}.proj.bias"), &[d])?;
        out.push(with_means(&format!("{o}.attn.c_proj.bias"), 0, &b));
        out.extend(norm(
            &format!("{o}.ln_2"),
            &tensor(&format!("{p}.norm2.gain"), &[d])?,
            &tensor(&format!("{p}.norm2.bias"), &[d])?,
            0.0,
        ));
        let mut fc = tensor(&format!("{p}.fc1.weight"), &[d, 4 * d])?;
        fc.extend(std::iter::repeat_n(0.0, h * 4 * d));
        out.push(Tensor::new(format!("{o}.mlp.c_fc.weight"), &[n, 4 * d], fc));
        out.push(Tensor::new(
            format!("{o}.mlp.c_fc.bias"),
            &[4 * d],
            tensor(&format!("{p}.fc1.bias"), &[4 * d])?,
        ));
        let w = tensor(&format!("{p}.fc2.weight"), &[4 * d, d])?;
        out.push(with_means(&format!("{o}.mlp.c_proj.weight"), 4 * d, &w));
        let b = tensor(&format!("{p}.fc2.bias"), &[d])?;
        out.push(with_means(&format!("{o}.mlp.c_proj.bias"), 0, &b));
    }
    out.extend(norm(
        "transformer.ln_f",
        &tensor("transformer.final_norm.gain", &[d])?,
        &tensor("transformer.final_norm.bias", &[d])?,
        1.0,
    ));
    // The unembedding: `output.weight` is `[d, V]` (x @ W); the first mean dimension (a constant
    // 1 after the final layer norm) carries the output bias.
    let w = tensor("output.weight", &[d, v])?;
    let b = tensor("output.bias", &[v])?;
    let mut lm = vec![0.0; v * n];
    for o in 0..v {
        for i in 0..d {
            lm[o * n + i] = w[i * v + o];
        }
        lm[o * n + d] = b[o];
    }
    out.push(Tensor::new("lm_head.weight", &[v, n], lm));
    let config = json!({
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": v,
        "n_positions": t,
        "n_ctx": t,
        "n_embd": n,
        "n_layer": layers,
        "n_head": h,
        "n_inner": 4 * d,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "layer_norm_epsilon": ARSIM_EPSILON * d as f64 / n as f64,
        "initializer_range": 0.02,
        "scale_attn_weights": true,
        "scale_attn_by_inverse_layer_idx": false,
        "reorder_and_upcast_attn": false,
        "use_cache": true,
        "bos_token_id": null,
        "eos_token_id": null,
        "pad_token_id": null,
        "tie_word_embeddings": false,
        "dtype": "float32",
    });
    Ok((config, out))
}
