//! [`NnError`], what can go wrong training, saving or loading a model: the one error type of
//! the models, the training loop and the checkpoints, kept apart so that each of them can name
//! it without naming the others. Its messages say each setting in words ([`TrainSetting::name`]);
//! a shell that spells the settings its own way (the command line's flags) matches on the
//! typed fields.

use std::fmt;

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
    /// A model whose training would hold more memory than the limit.
    #[error("a {architecture} model with d = {d}, context = {context}, vocabulary = {vocab}{} needs about {needed_gib:.3e} GiB to train (parameters, gradients and AdamW's two moments in f32), over the limit of {limit_gib} GiB: choose a smaller {}", layers_said(*.layers), smaller(*.layers, "width d", "context", "vocabulary", "number of blocks"))]
    TooLarge {
        /// The architecture's name (`mlp`, `linear`, …).
        architecture: String,
        /// The transformer's blocks (0 for the other architectures, which have none).
        layers: usize,
        /// The width.
        d: usize,
        /// The context, in tokens.
        context: usize,
        /// The vocabulary size.
        vocab: usize,
        /// The estimate, in GiB.
        needed_gib: f64,
        /// The limit, in GiB.
        limit_gib: f64,
    },
    /// The validation share of a corpus holds no story.
    #[error("{corpus} has no validation tokens: none of its {stories} stories fell in the validation share {share} (seed {seed}); use a larger share or more stories")]
    NoValidationTokens {
        /// The corpus file.
        corpus: String,
        /// Its stories.
        stories: usize,
        /// The validation share asked for.
        share: f64,
        /// The seed of the split.
        seed: u64,
    },
    /// The training stories cannot fill one window.
    #[error("the training stories of {corpus} have {tokens} tokens, not one window of context {context} + 1 ({windowing} windowing)")]
    NoTrainingWindow {
        /// The corpus file.
        corpus: String,
        /// The training tokens.
        tokens: usize,
        /// The context asked for.
        context: usize,
        /// How windows are cut (`random`, `paper`).
        windowing: String,
    },
    /// A checkpoint that does not fit the run asked for (the message names every difference).
    #[error("cannot resume {0}")]
    Resume(String),
    /// A checkpoint of another architecture or recipe than the run asked for.
    #[error("cannot resume {path}: {}a different architecture: {}", task_said(.task), join(.differences))]
    Mismatch {
        /// The checkpoint.
        path: String,
        /// How the task differs, in words, when it does too (another chain of thought changes
        /// the context: the chain is what to name first); empty when the task is the same.
        task: String,
        /// Every difference, in the order the settings are listed.
        differences: Vec<Difference>,
    },
    /// An output path that is an input of the run.
    #[error(transparent)]
    SameFile(#[from] crate::fs::SameFileError),
    /// A setting that is not a number in its range (`NaN`, a negative weight decay).
    #[error("{} {value} must be {range}", .setting.name())]
    Setting {
        /// The setting.
        setting: TrainSetting,
        /// The value given.
        value: f64,
        /// The values it may take, in words.
        range: &'static str,
    },
    /// The loss became NaN or infinite.
    #[error("training diverged at step {step}: loss {loss} (try a smaller learning rate)")]
    Diverged {
        /// The step.
        step: usize,
        /// The loss.
        loss: f64,
    },
}

/// `was trained for another task: …; ` before an architecture's differences, or nothing.
pub fn task_said(task: &str) -> String {
    match task {
        "" => String::new(),
        t => format!("{t}; "),
    }
}

/// `, 12 blocks` for a transformer's blocks, nothing for a model without blocks.
pub fn layers_said(layers: usize) -> String {
    match layers {
        0 => String::new(),
        n => format!(", {n} blocks"),
    }
}

/// The settings a too-large model can shrink, the blocks last and only where it has some:
/// `width d, context or vocabulary`. Each shell passes its own words for them.
pub fn smaller(layers: usize, d: &str, context: &str, vocab: &str, blocks: &str) -> String {
    match layers {
        0 => format!("{d}, {context} or {vocab}"),
        _ => format!("{d}, {context}, {vocab} or {blocks}"),
    }
}

/// A setting of a model run that a message names. The library says it in words
/// ([`TrainSetting::name`]); the command line names its flag instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrainSetting {
    /// The architecture (`mlp`, `linear`, `bigram`, `transformer`).
    Architecture,
    /// The width `d`.
    Width,
    /// The context, in tokens.
    Context,
    /// The vocabulary size.
    Vocabulary,
    /// The masked layer's chunk.
    Chunk,
    /// The transformer's blocks.
    Layers,
    /// The transformer's attention heads.
    Heads,
    /// The training recipe (`arsim` or `paper`).
    Recipe,
    /// The peak learning rate.
    LearningRate,
    /// AdamW's weight decay.
    WeightDecay,
}

impl TrainSetting {
    /// The setting in words: `the width d`, `the learning rate`.
    pub fn name(self) -> &'static str {
        match self {
            TrainSetting::Architecture => "the architecture",
            TrainSetting::Width => "the width d",
            TrainSetting::Context => "the context",
            TrainSetting::Vocabulary => "the vocabulary size",
            TrainSetting::Chunk => "the chunk",
            TrainSetting::Layers => "the number of layers",
            TrainSetting::Heads => "the number of heads",
            TrainSetting::Recipe => "the recipe",
            TrainSetting::LearningRate => "the learning rate",
            TrainSetting::WeightDecay => "the weight decay",
        }
    }
}

/// One way a checkpoint differs from the run that would resume it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The setting.
    pub setting: TrainSetting,
    /// The run's value, as said (`linear`, `8`).
    pub here: String,
    /// The checkpoint's.
    pub saved: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {} here but {} in the checkpoint",
            self.setting.name(),
            self.here,
            self.saved
        )
    }
}

/// The differences, joined by "; ".
fn join(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(Difference::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
