//! Trained neural predictors, shared by the multiplication and the TinyStories tasks: the
//! paper's masked block-lower-triangular linear layer ([`masked`]), the models built on it
//! ([`model`]: `mlp`, `linear`, and the softmax `bigram` baseline), the training loop with
//! AdamW, a learning-rate schedule, progress callbacks and resumable checkpoints ([`mod@train`],
//! [`checkpoint`]), on candle's CPU backend.
//!
//! This file only declares the submodules and re-exports their main items; what several of
//! them share lives in a small module of its own below them all: [`NnError`] (`error`), the
//! tensor helpers (`tensor`), the CPU backend's settings (`cpu`), the [`Recipe`] (`recipe`)
//! and the optimizer [`AdamW`] (`adamw`).
//!
//! ```
//! use arsim::nn::model::{Architecture, ArModel, ModelConfig};
//! use candle_core::{Device, Tensor};
//! let config = ModelConfig::new(Architecture::Mlp, 5, 4, 3, 0, 0);
//! let model = ArModel::new(config, 0, &Device::Cpu).unwrap();
//! let tokens = Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap();
//! assert_eq!(model.forward(&tokens).unwrap().dims(), &[1, 4, 5]);
//! ```

mod adamw;
pub mod attention;
pub mod checkpoint;
mod cpu;
pub mod decode;
mod error;
mod fused;
pub mod gelu;
pub mod masked;
pub mod model;
mod recipe;
pub mod step;
mod tensor;
pub mod train;
pub mod transformer;
mod vmath;

pub use adamw::AdamW;
pub use checkpoint::{start_or_resume, Checkpoint, Hyper, ResumeNote, Started};
pub use cpu::{keep_freed_memory, set_threads};
pub use error::{layers_said, smaller, task_said, Difference, NnError, TrainSetting};
pub use model::{ArModel, Architecture, ModelConfig};
pub use recipe::Recipe;
pub use step::train_step;
pub use tensor::max_abs_difference;
pub use train::{train, Batches, RunOptions, TrainOptions, TrainProgress, TrainReport};
