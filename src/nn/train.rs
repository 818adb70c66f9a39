//! The training loop every neural task shares: AdamW with its moments kept (so a checkpoint
//! resumes exactly), a learning-rate schedule, progress (step, loss, tokens per second) through
//! a callback for the CLI's bar, and periodic checkpoints.
//!
//! The data is a [`Batches`]: batch `k` is a pure function of `k` (and the source's seed), so
//! resuming at step `k` sees exactly the batches an uninterrupted run would have seen.
//!
//! Two [`Recipe`]s: arsim's own (warm-up then cosine decay to 10%, weight decay on every
//! parameter, no clipping) and the paper's code's (`--paper-config`; emalach/LinearLM,
//! `training/linear_decoder.py` and `models/linear_model.py`): weight decay on every parameter
//! whose name does not contain `bias`, gradients clipped to global norm 1.0, transformers'
//! `linear` schedule with one warm-up step (the first update runs at learning rate 0, then the
//! rate falls linearly from the peak to 0 at the last step), PyTorch's default initialisation,
//! and no bias in the masked layer.

pub use super::adamw::AdamW;
use super::checkpoint::{start_or_resume, Checkpoint, Hyper, ResumeNote, Started};
use super::cpu::keep_freed_memory;
use super::error::{NnError, TrainSetting};
use super::model::{ArModel, ModelConfig};
pub use super::recipe::Recipe;
use candle_core::{Device, Tensor};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// A deterministic stream of training batches.
pub trait Batches {
    /// Inputs and targets of step `step`, both `[B, T]` `u32`; `targets[:, t]` is the token
    /// after `inputs[:, t]`.
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)>;
}

/// What a task's training run takes besides its data and model shape: the optimizer's
/// settings, the masked layer's chunking, checkpoints and resumption.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Positions per chunk of the masked layer (0: automatic).
    pub chunk: usize,
    /// Where checkpoints go.
    pub checkpoint: Option<PathBuf>,
    /// Continue from this checkpoint.
    pub resume: Option<PathBuf>,
    /// Stop after this many steps in total (the schedule still spans the whole run).
    pub stop_at: Option<usize>,
    /// arsim's recipe or the paper's (`--paper-config`).
    pub recipe: Recipe,
}

impl RunOptions {
    /// A fresh model for `config` (seeded), or the one `resume` names, trained for `task`
    /// ([`start_or_resume`]); the notes say what a resumed run changed (a new learning rate).
    pub fn start(
        &self,
        config: ModelConfig,
        seed: u64,
        task: &serde_json::Value,
    ) -> Result<Started, NnError> {
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(NnError::Setting {
                setting: TrainSetting::LearningRate,
                value: self.lr,
                range: "a positive number",
            });
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(NnError::Setting {
                setting: TrainSetting::WeightDecay,
                value: self.weight_decay,
                range: "a number of 0 or more",
            });
        }
        // The checkpoint is written during and at the end of training: a directory that does
        // not exist is found now, not after the training it would have kept.
        if let Some(path) = &self.checkpoint {
            crate::fs::check_directory_of(path).map_err(|e| NnError::Checkpoint {
                path: e.path,
                message: e.source.to_string(),
            })?;
        }
        start_or_resume(
            config,
            seed,
            &Hyper {
                lr: self.lr,
                weight_decay: self.weight_decay,
                recipe: self.recipe,
            },
            self.resume.as_deref(),
            task,
        )
    }

    /// The loop's options for a run of `steps` steps with `warmup` warm-up steps, each
    /// sequence scoring `tokens_per_sequence` tokens; checkpoints every 5 minutes.
    pub fn schedule(
        &self,
        steps: usize,
        warmup: usize,
        tokens_per_sequence: usize,
        task: serde_json::Value,
    ) -> TrainOptions {
        TrainOptions {
            steps,
            stop_at: self.stop_at,
            lr: self.lr,
            weight_decay: self.weight_decay,
            warmup,
            checkpoint: self.checkpoint.clone(),
            checkpoint_seconds: 300.0,
            tokens_per_sequence,
            task,
            recipe: self.recipe,
        }
    }
}

/// What the loop needs besides the model and the data.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Total steps of the run (a resumed run counts the steps already taken).
    pub steps: usize,
    /// Stop after this step although the schedule spans `steps` (a bounded or interrupted
    /// run; `--resume` continues it).
    pub stop_at: Option<usize>,
    /// Peak learning rate: linear warm-up over `warmup` steps, then cosine decay to 10%.
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// Where checkpoints go (none when `None`).
    pub checkpoint: Option<PathBuf>,
    /// Seconds between checkpoints (one is always written at the end).
    pub checkpoint_seconds: f64,
    /// Tokens each sequence contributes to the loss (for tokens per second).
    pub tokens_per_sequence: usize,
    /// What the checkpoint records about the task (JSON), for `--resume` to check.
    pub task: serde_json::Value,
    /// The recipe: it picks the schedule ([`TrainOptions::lr_at`]).
    pub recipe: Recipe,
}

impl TrainOptions {
    /// The learning rate of update `step` (0-based). arsim's recipe: linear warm-up over
    /// `warmup` steps, then cosine decay to 10% of `lr`. The paper's: transformers'
    /// `get_scheduler("linear", num_warmup_steps=1)`, a `LambdaLR` whose factor for update `k`
    /// is `k/1` for `k < 1` (so the first update runs at 0) and `max(0, (N−k)/(N−1))` after.
    pub fn lr_at(&self, step: usize) -> f64 {
        if self.recipe == Recipe::Paper {
            if step == 0 {
                return 0.0;
            }
            let n = self.steps as f64;
            return self.lr * ((n - step as f64) / (n - 1.0).max(1.0)).max(0.0);
        }
        if step < self.warmup {
            return self.lr * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.steps.saturating_sub(self.warmup).max(1) as f64;
        let p = ((step - self.warmup) as f64 / span).min(1.0);
        self.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
    }
}

/// What a long run reports while it works (the library prints nothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrainProgress {
    /// One optimizer step is done.
    Step {
        /// Steps done (resumed ones included).
        step: usize,
        /// Steps of the whole run.
        steps: usize,
        /// Mean loss of the last 10 steps.
        loss: f64,
        /// Loss-scored tokens per second of this run so far.
        tokens_per_second: f64,
    },
    /// Evaluation: `done` of `total` units (pairs, windows).
    Evaluate {
        /// Units done.
        done: usize,
        /// Units in all.
        total: usize,
    },
    /// A preparation phase without a count has begun (e.g. "training the tokenizer"); it
    /// lasts until the next event.
    Phase(&'static str),
}

/// What a training run did.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// The step the run started from (0 unless resumed).
    pub started_at_step: usize,
    /// Steps taken in total (resumed ones included).
    pub steps: usize,
    /// The steps the schedule spans ([`TrainOptions::steps`]): `steps` is less when the run
    /// was stopped early (`stop_at`) and can be resumed.
    pub schedule_steps: usize,
    /// Wall-clock seconds of this run (not of earlier runs it resumed).
    pub seconds: f64,
    /// Loss-scored tokens per second of this run.
    pub tokens_per_second: f64,
    /// Mean loss of this run's first 10 steps (the key says `mean10`: it is not one step's loss).
    #[serde(rename = "first_loss_mean10")]
    pub first_loss: f64,
    /// Mean loss of the last 10 steps.
    #[serde(rename = "final_loss_mean10")]
    pub final_loss: f64,
    /// `(step, loss)` every few steps, for plots.
    pub curve: Vec<(usize, f64)>,
    /// The recipe (`arsim` or `paper`).
    pub recipe: Recipe,
    /// What a resumed run changed against its checkpoint (a different learning rate), for the
    /// user; in JSON, each said in words.
    pub notes: Vec<ResumeNote>,
}

/// Trains `model` with `opt` on `data` from `opt.step` to `opts.steps`, checkpointing.
pub fn train(
    model: &ArModel,
    opt: &mut AdamW,
    data: &dyn Batches,
    opts: &TrainOptions,
    progress: &mut dyn FnMut(TrainProgress),
) -> Result<TrainReport, NnError> {
    keep_freed_memory();
    let device = model.named_vars()[0].1.device().clone();
    let start = opt.step;
    if start > opts.steps {
        return Err(NnError::Resume(format!(
            "from step {start}: this run ends at step {} (ask for more training, or start \
             afresh)",
            opts.steps
        )));
    }
    let t0 = Instant::now();
    let mut last_save = Instant::now();
    let mut losses = Vec::new();
    let mut curve = Vec::new();
    let every = (opts.steps / 200).max(1);
    let mut tokens = 0usize;
    let end = opts.stop_at.unwrap_or(opts.steps).min(opts.steps);
    for step in start..end {
        let (x, y) = data.batch(step, &device)?;
        let l = f64::from(super::step::train_step(
            model,
            opt,
            &x,
            &y,
            opts.lr_at(step),
        )?);
        if !l.is_finite() {
            return Err(NnError::Diverged { step, loss: l });
        }
        losses.push(l);
        tokens += x.dims()[0] * opts.tokens_per_sequence;
        if step % every == 0 || step + 1 == end {
            curve.push((step, l));
        }
        let secs = t0.elapsed().as_secs_f64();
        progress(TrainProgress::Step {
            step: step + 1,
            steps: opts.steps,
            loss: mean_tail(&losses, 10),
            tokens_per_second: tokens as f64 / secs.max(1e-9),
        });
        if let Some(path) = &opts.checkpoint {
            if last_save.elapsed().as_secs_f64() >= opts.checkpoint_seconds && step + 1 < end {
                Checkpoint::capture(model, opt, &opts.task)?.save(path)?;
                last_save = Instant::now();
            }
        }
    }
    if let Some(path) = &opts.checkpoint {
        Checkpoint::capture(model, opt, &opts.task)?.save(path)?;
    }
    let seconds = t0.elapsed().as_secs_f64();
    Ok(TrainReport {
        started_at_step: start,
        steps: opt.step,
        schedule_steps: opts.steps,
        seconds,
        tokens_per_second: tokens as f64 / seconds.max(1e-9),
        first_loss: losses.iter().take(10).sum::<f64>() / losses.len().clamp(1, 10) as f64,
        final_loss: mean_tail(&losses, 10),
        curve,
        recipe: opts.recipe,
        notes: Vec::new(),
    })
}

impl TrainReport {
    /// The loss's change over the steps trained here, `loss 2.1234 → 0.5678` (`digits` after
    /// the point), or, for a resumed run that trained none, that it trained none: the mean of
    /// no losses is no loss.
    pub fn loss_said(&self, digits: usize) -> String {
        if self.steps <= self.started_at_step {
            return format!(
                "no step trained here (resumed at step {} of {})",
                self.started_at_step, self.schedule_steps
            );
        }
        format!(
            "loss {:.digits$} → {:.digits$}",
            self.first_loss, self.final_loss
        )
    }

    /// One report for consecutive segments of one run (as [`train`] with increasing
    /// `stop_at` produces them).
    pub fn merge(segments: &[TrainReport]) -> TrainReport {
        let seconds: f64 = segments.iter().map(|s| s.seconds).sum();
        let tokens: f64 = segments
            .iter()
            .map(|s| s.tokens_per_second * s.seconds)
            .sum();
        TrainReport {
            started_at_step: segments.first().map_or(0, |s| s.started_at_step),
            steps: segments.last().map_or(0, |s| s.steps),
            schedule_steps: segments.last().map_or(0, |s| s.schedule_steps),
            seconds,
            tokens_per_second: tokens / seconds.max(1e-9),
            first_loss: segments.first().map_or(f64::NAN, |s| s.first_loss),
            final_loss: segments.last().map_or(f64::NAN, |s| s.final_loss),
            curve: segments
                .iter()
                .flat_map(|s| s.curve.iter().copied())
                .collect(),
            recipe: segments.first().map_or(Recipe::Arsim, |s| s.recipe),
            notes: segments.iter().flat_map(|s| s.notes.clone()).collect(),
        }
    }
}

fn mean_tail(xs: &[f64], n: usize) -> f64 {
    let tail = &xs[xs.len().saturating_sub(n)..];
    tail.iter().sum::<f64>() / tail.len().max(1) as f64
}
