//! Trained neural predictors, shared by the multiplication and the TinyStories tasks: the
//! paper's masked block-lower-triangular linear layer ([`masked`]), the models built on it
//! ([`model`]: `mlp`, `linear`, and the softmax `bigram` baseline), the training loop with
//! AdamW, a learning-rate schedule, progress callbacks and resumable checkpoints ([`mod@train`],
//! [`checkpoint`]), on candle's CPU backend.
//!
//! ```
//! use arsim::nn::model::{Architecture, ArModel, ModelConfig};
//! use candle_core::{Device, Tensor};
//! let config = ModelConfig::new(Architecture::Mlp, 5, 4, 3, 0, 0);
//! let model = ArModel::new(config, 0, &Device::Cpu).unwrap();
//! let tokens = Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap();
//! assert_eq!(model.forward(&tokens).unwrap().dims(), &[1, 4, 5]);
//! ```

pub mod attention;
pub mod checkpoint;
pub mod decode;
mod fused;
pub mod gelu;
pub mod masked;
pub mod model;
pub mod train;
pub mod transformer;
mod vmath;

pub use checkpoint::{start_or_resume, Checkpoint, Hyper, Started};
pub use model::{ArModel, Architecture, ModelConfig};
pub use train::{train, AdamW, Batches, Progress, Recipe, RunOptions, TrainOptions, TrainReport};

/// What can go wrong training, saving or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// An error inside candle (shapes, dtypes, allocation).
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// A checkpoint that cannot be written or read, or does not fit.
    #[error("{path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The data cannot fill one training window, or has nothing to validate on.
    #[error("{0}")]
    Data(String),
    /// A checkpoint that does not fit the run asked for (the message names every difference).
    #[error("cannot resume {0}")]
    Resume(String),
    /// The loss became NaN or infinite.
    #[error("training diverged at step {step}: loss {loss} (try a smaller --lr)")]
    Diverged {
        /// The step.
        step: usize,
        /// The loss.
        loss: f64,
    },
}

/// A custom op's input as the f32 slice it lies in, or an error naming the op (`op`) and the
/// input (`what`) when it is not a contiguous f32 tensor.
pub(crate) fn contiguous_f32<'a>(
    s: &'a candle_core::CpuStorage,
    l: &candle_core::Layout,
    op: &str,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (candle_core::CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("{op}: {what} must be a contiguous f32 tensor"),
    }
}

/// Sets candle's CPU backend to `threads` threads (0: leave the default, all cores).
///
/// candle's matrix products read the thread count from `RAYON_NUM_THREADS` once.
pub fn set_threads(threads: usize) {
    if threads > 0 {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
}

/// Keeps freed memory in the process: glibc's allocator hands blocks above its mmap threshold
/// back to the OS on free, and a training step allocates and frees tens of megabytes of
/// tensors, so every step would fault its pages in again (measured: 2.3× slower training of
/// the multiplication MLP, most of it system time). Raising the mmap and trim thresholds
/// keeps those pages for reuse. Called by [`train()`]; a no-op off glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; any value is accepted or rejected whole.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}

/// The largest `|a − b|` over two tensors of one shape (0 for empty ones).
pub fn max_abs_difference(
    a: &candle_core::Tensor,
    b: &candle_core::Tensor,
) -> candle_core::Result<f32> {
    let d = (a - b)?.abs()?.flatten_all()?;
    if d.elem_count() == 0 {
        return Ok(0.0);
    }
    d.max(0)?.to_scalar::<f32>()
}
