//! The two [`Recipe`]s a model is initialised and trained by: arsim's own (warm-up then cosine
//! decay to 10%, weight decay on every parameter, no clipping) and the paper's code's
//! (`--paper-config`; emalach/LinearLM, `training/linear_decoder.py` and
//! `models/linear_model.py`): weight decay on every parameter whose name does not contain
//! `bias`, gradients clipped to global norm 1.0, transformers' `linear` schedule with one
//! warm-up step (the first update runs at learning rate 0, then the rate falls linearly from
//! the peak to 0 at the last step), PyTorch's default initialisation, and no bias in the
//! masked layer.
//!
//! A name and a few rules, below the model (which initialises by it), the optimizer (which
//! groups and clips by it), the checkpoints (which record it) and the training loop (whose
//! schedule it picks).

use serde::Serialize;

/// How a model is initialised and trained (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipe {
    /// arsim's own: normal initialisation scaled by fan-in, a trained per-position bias in the
    /// masked layer, weight decay on everything, warm-up + cosine decay to 10%, no clipping.
    #[default]
    Arsim,
    /// The paper's code: PyTorch's uniform initialisation (`±1/√(T·d)` in the masked layer,
    /// `±1/√d` in the `d×d` and output layers, `N(0, 1)` embeddings), the masked layer's bias
    /// never applied, weight decay only on parameters whose name lacks `bias`, gradients
    /// clipped to norm 1.0, linear decay to 0 after one warm-up step.
    Paper,
}

impl Recipe {
    /// The paper's batch (`config_linear_prod.json`: `batch_size` 2048).
    pub const PAPER_BATCH: usize = 2048;
    /// The paper's peak learning rate (`learning_rate` 0.001).
    pub const PAPER_LR: f64 = 1e-3;
    /// The paper's weight decay (`weight_decay` 0.1).
    pub const PAPER_WEIGHT_DECAY: f64 = 0.1;
    /// The paper's TinyStories batch (`config_linear.json`: `batch_size` 128 with 8 steps of
    /// gradient accumulation, one update per 1,024 windows of mean loss).
    pub const PAPER_TEXT_BATCH: usize = 1024;
    /// The paper's TinyStories peak learning rate (`learning_rate` 0.0005).
    pub const PAPER_TEXT_LR: f64 = 5e-4;
    /// The paper's gradient-clipping norm (`accelerator.clip_grad_norm_(…, 1.0)`).
    pub const PAPER_CLIP_NORM: f64 = 1.0;

    /// `arsim` or `paper`.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::Arsim => "arsim",
            Recipe::Paper => "paper",
        }
    }

    /// Whether the parameter `name` is weight-decayed (the paper's `get_grouped_params`
    /// excludes every name containing `bias` or `LayerNorm.weight`; here the layer norms'
    /// gains are named `….norm….gain`).
    pub fn decays(self, name: &str) -> bool {
        match self {
            Recipe::Arsim => true,
            Recipe::Paper => !name.contains("bias") && !name.contains("norm"),
        }
    }

    /// Whether the parameter `name` is trained: the paper's masked layer creates a bias and
    /// never applies it (`F.linear(x, masked_W)` without it), so here it stays at its initial
    /// zero and adds nothing.
    pub fn trains(self, name: &str) -> bool {
        match self {
            Recipe::Arsim => true,
            Recipe::Paper => name != "masked.bias",
        }
    }

    /// The global gradient norm gradients are clipped to, if any.
    pub fn clip_norm(self) -> Option<f64> {
        match self {
            Recipe::Arsim => None,
            Recipe::Paper => Some(Recipe::PAPER_CLIP_NORM),
        }
    }
}
