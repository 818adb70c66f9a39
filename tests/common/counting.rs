//! A training task every architecture learns, for the `nn` and transformer tests.

use arsim::nn::{Batches, Recipe, TrainOptions};
use candle_core::{Device, Tensor};
use std::path::PathBuf;

/// Sequences that count up modulo 7 from a seeded start: the next token is always the
/// current one plus one. 8 sequences of 9 predictions a batch, a pure function of the step.
pub struct Counting;

impl Batches for Counting {
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let rows: Vec<u32> = (0..8)
            .flat_map(|b| (0..10).map(move |t| ((step * 3 + b * 5 + t) % 7) as u32))
            .collect();
        let all = Tensor::from_vec(rows, (8, 10), device)?;
        Ok((all.narrow(1, 0, 9)?, all.narrow(1, 1, 9)?))
    }
}

/// arsim's recipe over `steps` steps (5 of warm-up) at `lr` and `weight_decay`, checkpointing
/// to `checkpoint` only at the end.
pub fn options(
    steps: usize,
    checkpoint: Option<PathBuf>,
    lr: f64,
    weight_decay: f64,
) -> TrainOptions {
    TrainOptions {
        steps,
        stop_at: None,
        lr,
        weight_decay,
        warmup: 5,
        checkpoint,
        checkpoint_seconds: 1e9,
        tokens_per_sequence: 9,
        task: serde_json::json!({"task": "counting"}),
        recipe: Recipe::Arsim,
    }
}
