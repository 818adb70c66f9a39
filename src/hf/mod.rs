//! Linear predictors as standard Hugging Face checkpoints: a one-layer GPT-2 whose heads each
//! attend to one of the predictor's offsets, whose unembedding holds the predictor's weights,
//! and whose greedy `generate()` is the predictor's executor, token for token, with a float
//! certificate that says so at every position up to its context length
//! (proofs/transformer.md).
//!
//! - [`plan`]: the construction's shape and its named residual dimensions;
//! - [`gpt2`]: the tensors, `config.json`, `generation_config.json` and the tokenizer;
//! - [`bound`]: the float certificate (leak, layer norms, rounding; f32 and bf16);
//! - [`forward`]: any GPT-2 evaluated directly, rounding as a precision does, to check the bound;
//! - [`checkpoint`]: a trained `--model transformer` checkpoint as a GPT-2 (its output bias on
//!   mean dimensions).
//!
//! A directory written by [`write_dir`] also holds the predictor it was built from
//! (`arsim.safetensors`, the bytes `arsim compile --out` writes) and the machine
//! (`machine.ron`), so that `arsim certify --hf DIR` can rebuild the model, compare it with
//! `model.safetensors` bit for bit, and certify both.

pub mod bound;
pub mod checkpoint;
pub mod forward;
pub mod gpt2;
pub mod plan;

pub use bound::{FloatBound, Precision, WeightSpread};
pub use plan::Plan;

use crate::fs::write_atomic;
use crate::predictor::{LinearAr, Weight};
use gpt2::Tensor;
use safetensors::tensor::{Dtype, TensorView};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The format name under `config.json`'s `arsim` key.
pub const FORMAT: &str = "arsim-hf-gpt2";
/// Its version.
pub const FORMAT_VERSION: u32 = 1;
/// The largest `model.safetensors` arsim writes (the position table grows as N × n_embd).
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Why a model cannot be exported or read back.
#[derive(Debug, thiserror::Error)]
pub enum HfError {
    /// The context cannot hold the prompt and one generated token, or an offset reaches past
    /// `<bos>`.
    #[error("a context of {context} positions is too short: {why}")]
    ContextTooShort {
        /// The context asked for.
        context: usize,
        /// Why.
        why: String,
    },
    /// The model file would be too large.
    #[error("a context of {context} positions makes a model of about {mib} MiB (n_embd {n_embd}), over the limit of {limit_mib} MiB; give a smaller context")]
    TooLarge {
        /// The context asked for.
        context: usize,
        /// The width.
        n_embd: usize,
        /// The estimate.
        mib: u64,
        /// The limit.
        limit_mib: u64,
    },
    /// A label the word-level tokenizer cannot hold.
    #[error("token {id} is labelled {label:?}: a word-level tokenizer needs labels that are non-empty, hold no white space, and are not <bos> or <unk>")]
    Label {
        /// The token.
        id: usize,
        /// Its label.
        label: String,
    },
    /// A file of the directory could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The directory's model is not the construction of its predictor.
    #[error("{path}: tensor {tensor} is not the construction of arsim.safetensors ({message}); the model was changed after export")]
    Mismatch {
        /// The model file.
        path: String,
        /// The first tensor that differs.
        tensor: String,
        /// How.
        message: String,
    },
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> HfError {
    HfError::File {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// The plan and tensors of `predictor` as a GPT-2 of context `context`.
pub fn build<T: Weight>(
    predictor: &LinearAr<T>,
    context: usize,
    prompt: usize,
) -> Result<(Plan, Vec<Tensor>), HfError> {
    let layout = predictor.layout();
    for (id, label) in layout.tokens.iter().enumerate() {
        if label.chars().any(char::is_whitespace)
            || label.is_empty()
            || label == "<bos>"
            || label == "<unk>"
        {
            return Err(HfError::Label {
                id,
                label: label.clone(),
            });
        }
    }
    let far = layout.offsets.iter().copied().max().unwrap_or(1);
    // Predicting trace position p ≥ prompt reads p − j ≥ −1 (`<bos>`) for every offset j.
    if far > prompt + 1 {
        return Err(HfError::ContextTooShort {
            context,
            why: format!("the predictor reads {far} tokens back, past the <bos> before a prompt of {prompt} tokens"),
        });
    }
    if context < prompt + 2 {
        return Err(HfError::ContextTooShort {
            context,
            why: format!(
                "<bos> and the prompt take {} positions, and one more is generated",
                prompt + 1
            ),
        });
    }
    let mut plan = Plan::new(predictor, context, 1.0);
    let bytes = model_size(&plan, context);
    if bytes > MAX_MODEL_BYTES {
        return Err(HfError::TooLarge {
            context,
            n_embd: plan.n_embd(),
            mib: bytes >> 20,
            limit_mib: MAX_MODEL_BYTES >> 20,
        });
    }
    plan.temperature = bound::temperature_for(&plan);
    let weights = gpt2::head_weights(predictor);
    let tensors = gpt2::tensors(&plan, &weights);
    Ok((plan, tensors))
}

/// About how many bytes `model.safetensors` takes at `context` (the position table, the
/// `[n_embd, 3 n_embd]` and `[n_embd, n_embd]` maps, the embeddings and the unembedding).
pub fn model_size(plan: &Plan, context: usize) -> u64 {
    (plan.n_embd() as u64)
        .saturating_mul(
            (context as u64)
                .saturating_add(4 * plan.n_embd() as u64 + 2 * plan.vocab_size() as u64),
        )
        .saturating_mul(4)
}

/// The largest context whose model fits [`MAX_MODEL_BYTES`] at `plan`'s width.
pub fn size_limit_context(plan: &Plan) -> usize {
    let fixed = model_size(plan, 0);
    (MAX_MODEL_BYTES.saturating_sub(fixed) / (4 * plan.n_embd() as u64)) as usize
}

/// The safetensors bytes of `tensors`, in `f32`, header keys sorted.
pub fn model_bytes(tensors: &[Tensor]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| {
            t.values
                .iter()
                .flat_map(|&x| (x as f32).to_le_bytes())
                .collect()
        })
        .collect();
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .zip(&data)
        .map(|(t, bytes)| {
            let view = TensorView::new(Dtype::F32, t.shape.clone(), bytes).expect("shape matches");
            (t.name.clone(), view)
        })
        .collect();
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let bytes = safetensors::tensor::serialize(views, Some(meta)).expect("tensors serialise");
    crate::weights::canonical_bytes(bytes)
}

/// The files of an export, by name, in the order they are written.
pub struct Files {
    /// `(file name, bytes)`.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// Every file of the model directory: the model, its configs, its tokenizer, and what
/// `certify --hf` rebuilds it from (`arsim.safetensors`, `machine.ron`).
pub fn files(
    plan: &Plan,
    tensors: &[Tensor],
    labels: &[String],
    arsim: Value,
    predictor_file: Vec<u8>,
    machine_ron: Vec<u8>,
) -> Files {
    let json = |v: &Value| {
        let mut s = serde_json::to_vec_pretty(v).expect("JSON serialises");
        s.push(b'\n');
        s
    };
    Files {
        files: vec![
            ("model.safetensors", model_bytes(tensors)),
            ("config.json", json(&gpt2::config(plan, arsim))),
            (
                "generation_config.json",
                json(&gpt2::generation_config(plan)),
            ),
            ("tokenizer.json", json(&gpt2::tokenizer(plan, labels))),
            ("tokenizer_config.json", json(&gpt2::tokenizer_config(plan))),
            ("arsim.safetensors", predictor_file),
            ("machine.ron", machine_ron),
        ],
    }
}

/// Writes `files` into `dir` (created if missing), each file whole.
pub fn write_dir(dir: &Path, files: &Files) -> Result<Vec<PathBuf>, HfError> {
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let mut written = Vec::new();
    for (name, bytes) in &files.files {
        let path = dir.join(name);
        write_atomic(&path, bytes).map_err(|e| file_error(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// `config.json` of `dir`, and its `arsim` record's plan.
pub fn read_config(dir: &Path) -> Result<(Value, Plan), HfError> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| file_error(&path, e))?;
    let config: Value = serde_json::from_str(&text).map_err(|e| file_error(&path, e))?;
    let arsim = config.get("arsim").ok_or_else(|| {
        file_error(
            &path,
            "no `arsim` record: this is not a model arsim's Hugging Face export wrote",
        )
    })?;
    if arsim.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(file_error(
            &path,
            format!(
                "arsim.format is not {FORMAT:?}: this is not a model arsim's Hugging Face export wrote"
            ),
        ));
    }
    let plan: Plan = serde_json::from_value(arsim["plan"].clone())
        .map_err(|e| file_error(&path, format!("arsim.plan: {e}")))?;
    Ok((config, plan))
}

/// Checks that `model.safetensors` of `dir` holds exactly `tensors` (each rounded to `f32`).
pub fn check_model(dir: &Path, tensors: &[Tensor]) -> Result<(), HfError> {
    let path = dir.join("model.safetensors");
    let size = std::fs::metadata(&path)
        .map_err(|e| file_error(&path, e))?
        .len();
    if size > MAX_MODEL_BYTES + (1 << 20) {
        return Err(file_error(
            &path,
            format!("{size} bytes, more than any model arsim writes"),
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| file_error(&path, e))?;
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| file_error(&path, e))?;
    let mismatch = |tensor: &str, message: String| HfError::Mismatch {
        path: path.display().to_string(),
        tensor: tensor.to_string(),
        message,
    };
    if st.len() != tensors.len() {
        return Err(mismatch(
            "(all)",
            format!(
                "{} tensors, the construction has {}",
                st.len(),
                tensors.len()
            ),
        ));
    }
    for t in tensors {
        let view = st
            .tensor(&t.name)
            .map_err(|_| mismatch(&t.name, "missing".into()))?;
        if view.dtype() != Dtype::F32 || view.shape() != t.shape.as_slice() {
            return Err(mismatch(
                &t.name,
                format!(
                    "{:?} {:?}, expected F32 {:?}",
                    view.dtype(),
                    view.shape(),
                    t.shape
                ),
            ));
        }
        for (i, (chunk, &x)) in view.data().chunks_exact(4).zip(&t.values).enumerate() {
            let got = f32::from_le_bytes(chunk.try_into().expect("4 bytes"));
            if got.to_bits() != (x as f32).to_bits() {
                return Err(mismatch(
                    &t.name,
                    format!("element {i} is {got}, expected {}", x as f32),
                ));
            }
        }
    }
    Ok(())
}

/// The float certificate of a plan for a predictor certified with `margin`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FloatCertificate {
    /// The context length N the bound covers (every position before it).
    pub context: usize,
    /// Heads (one per offset), their width, the model's width.
    pub heads: usize,
    /// `n_embd / n_head`.
    pub head_dim: usize,
    /// `n_embd`.
    pub n_embd: usize,
    /// K.
    pub frequencies: usize,
    /// β.
    pub temperature: f64,
    /// The predictor's certified margin the bound is measured against.
    pub margin: f64,
    /// The weights' spread.
    pub weights: WeightSpread,
    /// The bound at each precision.
    pub bounds: Vec<FloatBound>,
    /// The largest context (a power of 3, or the size limit) each precision certifies with
    /// these weights, the model rebuilt for it (`null` when none).
    pub largest_context: HashMap<&'static str, Option<usize>>,
    /// The largest context whose model fits the size limit ([`MAX_MODEL_BYTES`]).
    pub size_limit_context: usize,
}

/// The float certificate of `plan` for `predictor`.
pub fn float_certificate<T: Weight>(
    plan: &Plan,
    predictor: &LinearAr<T>,
    margin: f64,
) -> FloatCertificate {
    let weights = gpt2::head_weights(predictor);
    let spread = WeightSpread::of(&weights, gpt2::bos_score(&weights));
    let bounds = Precision::ALL
        .iter()
        .map(|&p| bound::bound(plan, &spread, margin, p))
        .collect();
    let cap = size_limit_context(plan);
    let largest_context = Precision::ALL
        .iter()
        .map(|&p| {
            (
                p.name(),
                bound::largest_context(plan, &spread, margin, p, cap),
            )
        })
        .collect();
    FloatCertificate {
        context: plan.context,
        heads: plan.heads(),
        head_dim: plan.head_dim,
        n_embd: plan.n_embd(),
        frequencies: plan.frequencies,
        temperature: plan.temperature,
        margin,
        weights: spread,
        bounds,
        largest_context,
        size_limit_context: cap,
    }
}
