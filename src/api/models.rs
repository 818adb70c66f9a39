//! Trained neural models (`arsim task multiply|text --checkpoint`) as a shell reads them: every
//! parameter of a checkpoint as plain `float32` arrays with its shape (for PyTorch or numpy), and
//! the library's own logits on given tokens, checked against the model's vocabulary and context
//! first.

use crate::api::error::ApiError;
use crate::api::tokens::token_ids;
use crate::nn::Checkpoint;
use candle_core::{DType, Device, Tensor};
use serde::Serialize;
use std::path::Path;

/// A checkpoint's parameters (AdamW's moments left out) and what it was trained as.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointTensors {
    /// The model's configuration (`ModelConfig`, as JSON).
    pub config: serde_json::Value,
    /// The task it was trained on.
    pub task: serde_json::Value,
    /// Optimizer steps taken.
    pub step: usize,
    /// Every parameter: name, shape, values in row-major order; sorted by name.
    #[serde(skip)]
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

/// Reads the checkpoint at `path`: its configuration, task, step and parameters.
pub fn checkpoint_tensors(path: &Path) -> Result<CheckpointTensors, ApiError> {
    let ck = Checkpoint::load(path, &Device::Cpu)?;
    let mut tensors = Vec::new();
    for (name, t) in &ck.tensors {
        if name.starts_with("adam.") {
            continue;
        }
        let values = t
            .to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|f| f.to_vec1::<f32>())
            .map_err(|e| ApiError::Unsupported {
                message: format!("{}: tensor {name}: {e}", path.display()),
            })?;
        tensors.push((name.clone(), t.dims().to_vec(), values));
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(CheckpointTensors {
        config: serde_json::to_value(ck.config).unwrap_or_default(),
        task: ck.task,
        step: ck.step,
        tensors,
    })
}

/// The logits `[batch, len, vocab]` (row-major) of the checkpoint's model on `tokens`, `batch`
/// rows of `len` ids each (`1 ≤ len ≤` the model's context); returns them and the vocabulary.
pub fn checkpoint_logits(
    path: &Path,
    tokens: &[i64],
    batch: usize,
) -> Result<(Vec<f32>, usize), ApiError> {
    let ck = Checkpoint::load(path, &Device::Cpu)?;
    let (model, _) = ck.restore()?;
    let (vocab, context) = (model.config().vocab, model.config().context);
    let len = tokens.len().checked_div(batch).unwrap_or(0);
    if batch == 0 || len == 0 || len * batch != tokens.len() || len > context {
        return Err(ApiError::Shape {
            what: "tokens".to_string(),
            message: format!(
                "must be [batch, len] with 1 ≤ len ≤ the model's context {context}; got {} ids in {batch} rows",
                tokens.len()
            ),
        });
    }
    let ids: Vec<u32> = token_ids("tokens", tokens, vocab)?
        .into_iter()
        .map(|t| t.0)
        .collect();
    let x = Tensor::from_vec(ids, (batch, len), &Device::Cpu).map_err(crate::nn::NnError::from)?;
    let logits = model
        .forward(&x)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(crate::nn::NnError::from)?;
    Ok((logits, vocab))
}
