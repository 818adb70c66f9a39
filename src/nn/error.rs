//! [`NnError`], what can go wrong training, saving or loading a model: the one error type of
//! the models, the training loop and the checkpoints, kept apart so that each of them can name
//! it without naming the others.

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
