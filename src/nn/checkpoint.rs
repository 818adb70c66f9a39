//! Checkpoints: one safetensors file with the model's parameters under their names
//! (`embedding`, `masked.below.K`, `masked.diagonal.K`, `masked.bias`, `hidden.*`,
//! `output.*`), AdamW's moments (`adam.m.NAME`, `adam.v.NAME`), and header metadata: the
//! `format`, the model `config` and the `task` (JSON), the optimizer `step` and its
//! hyper-parameters, and the `recipe` (`arsim` or `paper`; absent in older files: `arsim`).
//!
//! Resuming is checked before anything trains: a different architecture (`--model`, `--d`,
//! `--context`, the vocabulary, the masked layer's chunks, the recipe) is refused with every
//! difference named; a different task record (the data the run draws) is refused, except its
//! `schedule` entry (the run's length: a longer run continues the checkpoint, a run that ends
//! before the checkpoint's step is refused by [`super::train()`]); a different length, learning
//! rate or weight decay is taken and said in [`Started::notes`]. numpy and PyTorch read it with `safetensors.numpy.load_file`; written whole
//! (temporary file, then rename).

use super::adamw::AdamW;
use super::error::{Difference, NnError, TrainSetting};
use super::model::{ArModel, ModelConfig};
use super::recipe::Recipe;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Value of the `format` metadata key.
pub const FORMAT: &str = "arsim-ar-model/1";

/// A model, its optimizer state and what it was trained on.
#[derive(Debug)]
pub struct Checkpoint {
    /// The model's shape.
    pub config: ModelConfig,
    /// Every tensor, by name.
    pub tensors: HashMap<String, Tensor>,
    /// Optimizer steps taken.
    pub step: usize,
    /// AdamW's learning rate and weight decay.
    pub lr: f64,
    /// AdamW's weight decay.
    pub weight_decay: f64,
    /// How it was initialised and is trained.
    pub recipe: Recipe,
    /// The task it was trained on (set by the task).
    pub task: serde_json::Value,
    /// Where it came from, for messages: the file, or `memory`.
    pub source: String,
}

impl Checkpoint {
    /// The state of `model` and `opt` now.
    pub fn capture(
        model: &ArModel,
        opt: &AdamW,
        task: &serde_json::Value,
    ) -> Result<Checkpoint, NnError> {
        let mut tensors = HashMap::new();
        let names = model.named_vars();
        for ((name, var), (_, m, v)) in names.iter().zip(&opt.state) {
            tensors.insert(name.clone(), var.as_tensor().copy()?);
            tensors.insert(format!("adam.m.{name}"), m.as_tensor().copy()?);
            tensors.insert(format!("adam.v.{name}"), v.as_tensor().copy()?);
        }
        Ok(Checkpoint {
            config: *model.config(),
            tensors,
            step: opt.step,
            lr: opt.lr,
            weight_decay: opt.weight_decay,
            recipe: opt.recipe,
            task: task.clone(),
            source: "memory".to_string(),
        })
    }

    /// Writes the checkpoint whole to `path`.
    pub fn save(&self, path: &Path) -> Result<(), NnError> {
        let mut meta = HashMap::new();
        meta.insert("format".to_string(), FORMAT.to_string());
        meta.insert(
            "config".to_string(),
            serde_json::to_string(&self.config).expect("config serialises"),
        );
        meta.insert("task".to_string(), self.task.to_string());
        meta.insert("step".to_string(), self.step.to_string());
        meta.insert("lr".to_string(), self.lr.to_string());
        meta.insert("weight_decay".to_string(), self.weight_decay.to_string());
        meta.insert("recipe".to_string(), self.recipe.name().to_string());
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        let data: Vec<(&String, &Tensor)> = names.iter().map(|n| (*n, &self.tensors[*n])).collect();
        let bytes = safetensors::serialize(data, Some(meta)).map_err(|e| NnError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        crate::fs::write_atomic(path, &bytes).map_err(|e| NnError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Reads a checkpoint written by [`Checkpoint::save`].
    pub fn load(path: &Path, device: &Device) -> Result<Checkpoint, NnError> {
        let err = |message: String| NnError::Checkpoint {
            path: path.display().to_string(),
            message,
        };
        let bytes = crate::fs::read_bounded(path, crate::limits::MAX_FILE)
            .map_err(|e| err(e.to_string()))?;
        if let Some(what) = crate::weights::foreign_format(&bytes) {
            return Err(err(format!(
                "{what}, not an arsim training checkpoint (safetensors); a PyTorch \
                 LinearModel becomes one with arsim.torch.save_checkpoint, as \
                 examples/train_ddp.py saves its models"
            )));
        }
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| err(format!("not a safetensors file: {e}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let field = |k: &str| {
            meta.get(k)
                .cloned()
                .ok_or_else(|| err(format!("metadata key {k:?} is missing")))
        };
        let format = field("format")?;
        if format != FORMAT {
            return Err(err(format!("format is {format:?}, expected {FORMAT:?}")));
        }
        let config: ModelConfig =
            serde_json::from_str(&field("config")?).map_err(|e| err(format!("config: {e}")))?;
        let task = serde_json::from_str(&field("task")?).map_err(|e| err(format!("task: {e}")))?;
        let num = |k: &str| -> Result<f64, NnError> {
            field(k)?
                .parse::<f64>()
                .map_err(|e| err(format!("{k}: {e}")))
        };
        let recipe = match meta.get("recipe").map(String::as_str) {
            None | Some("arsim") => Recipe::Arsim,
            Some("paper") => Recipe::Paper,
            Some(other) => return Err(err(format!("unknown recipe {other:?}"))),
        };
        let tensors = candle_core::safetensors::load_buffer(&bytes, device)
            .map_err(|e| err(e.to_string()))?;
        Ok(Checkpoint {
            config,
            tensors,
            step: num("step")? as usize,
            lr: num("lr")?,
            weight_decay: num("weight_decay")?,
            recipe,
            task,
            source: path.display().to_string(),
        })
    }

    /// The model and an optimizer holding the saved moments and step.
    pub fn restore(&self) -> Result<(ArModel, AdamW), NnError> {
        let model = ArModel::from_tensors(self.config, &self.tensors).map_err(|message| {
            NnError::Checkpoint {
                path: self.source.clone(),
                message,
            }
        })?;
        let mut opt = AdamW::for_model(&model, self.lr, self.weight_decay, self.recipe)?;
        opt.step = self.step;
        for ((name, _), (_, m, v)) in model.named_vars().iter().zip(&opt.state) {
            if let (Some(tm), Some(tv)) = (
                self.tensors.get(&format!("adam.m.{name}")),
                self.tensors.get(&format!("adam.v.{name}")),
            ) {
                m.set(tm)?;
                v.set(tv)?;
            }
        }
        Ok((model, opt))
    }
}

/// The optimizer settings a run asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// The recipe.
    pub recipe: Recipe,
}

/// A model and optimizer ready to train, fresh or resumed.
#[derive(Debug)]
pub struct Started {
    /// The model.
    pub model: ArModel,
    /// Its optimizer (moments and step restored when resumed).
    pub opt: AdamW,
    /// What a resumed run takes differently from its checkpoint (empty when fresh).
    pub notes: Vec<ResumeNote>,
}

/// What a resumed run takes differently from its checkpoint, for the user. Said in words
/// (`Display`, and as that string in JSON); the command line names its flags instead.
#[derive(Clone, Debug, PartialEq)]
pub enum ResumeNote {
    /// The run's length changed: the learning-rate schedule spans the new length.
    Schedule {
        /// The checkpoint's schedule.
        saved: serde_json::Value,
        /// This run's.
        now: serde_json::Value,
    },
    /// A setting of the optimizer (the learning rate, the weight decay) differs: the run
    /// continues with `now`.
    Changed {
        /// The setting.
        setting: TrainSetting,
        /// The checkpoint's value.
        saved: f64,
        /// This run's.
        now: f64,
    },
}

impl fmt::Display for ResumeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeNote::Schedule { saved, now } => write!(
                f,
                "the run's length changed ({saved} in the checkpoint, {now} now): the \
                 learning-rate schedule now spans the new length, so this is not the \
                 uninterrupted run"
            ),
            ResumeNote::Changed {
                setting,
                saved,
                now,
            } => write!(
                f,
                "{} {now} differs from the checkpoint's {saved}: the run continues with {now}",
                setting.name()
            ),
        }
    }
}

impl serde::Serialize for ResumeNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Every way `config` differs from the checkpoint's `saved`, in the order of [`TrainSetting`].
pub fn architecture_differences(saved: &ModelConfig, config: &ModelConfig) -> Vec<Difference> {
    let mut out = Vec::new();
    if saved.architecture != config.architecture {
        out.push(Difference {
            setting: TrainSetting::Architecture,
            here: config.architecture.name().to_string(),
            saved: saved.architecture.name().to_string(),
        });
    }
    let mut fields = vec![
        (TrainSetting::Width, saved.d, config.d),
        (TrainSetting::Context, saved.context, config.context),
        (TrainSetting::Vocabulary, saved.vocab, config.vocab),
        (TrainSetting::Chunk, saved.chunk, config.chunk),
    ];
    // Blocks and heads only mean something when both are transformers.
    if saved.architecture == config.architecture {
        fields.push((TrainSetting::Layers, saved.layers, config.layers));
        fields.push((TrainSetting::Heads, saved.heads, config.heads));
    }
    for (setting, was, is) in fields {
        if was != is {
            out.push(Difference {
                setting,
                here: is.to_string(),
                saved: was.to_string(),
            });
        }
    }
    out
}

/// How the task records differ, key by key (`the task's cot is "carry" here but "paper" in the
/// checkpoint`);
/// the whole records where they differ otherwise.
fn task_differences(saved: &serde_json::Value, here: &serde_json::Value) -> String {
    let (Some(s), Some(h)) = (saved.as_object(), here.as_object()) else {
        return format!("was trained for {saved}, this run is {here}");
    };
    let null = serde_json::Value::Null;
    let mut keys: Vec<&String> = s
        .keys()
        .chain(h.keys())
        .filter(|k| *k != "schedule")
        .collect();
    keys.sort();
    keys.dedup();
    let said: Vec<String> = keys
        .into_iter()
        .filter(|k| s.get(*k) != h.get(*k))
        .map(|k| {
            format!(
                "the task's {k} is {} here but {} in the checkpoint",
                h.get(k).unwrap_or(&null),
                s.get(k).unwrap_or(&null)
            )
        })
        .collect();
    format!("was trained for another task: {}", said.join(", "))
}

/// A fresh model and optimizer for `config` (seeded, initialised by `hyper.recipe`), or, with
/// `resume`, the checkpoint's model and optimizer after checking that it has the same
/// architecture and recipe and was trained for the same `task`.
pub fn start_or_resume(
    config: ModelConfig,
    seed: u64,
    hyper: &Hyper,
    resume: Option<&Path>,
    task: &serde_json::Value,
) -> Result<Started, NnError> {
    let device = Device::Cpu;
    match resume {
        Some(path) => {
            let ck = Checkpoint::load(path, &device)?;
            let refuse =
                |message: String| NnError::Resume(format!("{}: {message}", path.display()));
            // The task's `schedule` (how long the run is) may change: a longer run continues
            // the checkpoint (a shorter one is refused by `train` when the checkpoint is past
            // its end); everything else in the record is the data and must match. Checked
            // before the architecture: another chain of thought changes the context too, and
            // the chain is what to name.
            let without_schedule = |v: &serde_json::Value| {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.remove("schedule");
                }
                v
            };
            let task_differs = without_schedule(&ck.task) != without_schedule(task);
            let task_said = match task_differs {
                true => task_differences(&ck.task, task),
                false => String::new(),
            };
            let mut differences = architecture_differences(&ck.config, &config);
            if ck.recipe != hyper.recipe {
                differences.push(Difference {
                    setting: TrainSetting::Recipe,
                    here: hyper.recipe.name().to_string(),
                    saved: ck.recipe.name().to_string(),
                });
            }
            if !differences.is_empty() {
                return Err(NnError::Mismatch {
                    path: path.display().to_string(),
                    task: task_said,
                    differences,
                });
            }
            if task_differs {
                return Err(refuse(task_said));
            }
            let (model, mut opt) = ck.restore()?;
            let mut notes = Vec::new();
            if ck.task.get("schedule") != task.get("schedule") {
                let schedule = |v: &serde_json::Value| {
                    v.get("schedule")
                        .cloned()
                        .unwrap_or(serde_json::Value::Null)
                };
                notes.push(ResumeNote::Schedule {
                    saved: schedule(&ck.task),
                    now: schedule(task),
                });
            }
            for (setting, saved, now) in [
                (TrainSetting::LearningRate, ck.lr, hyper.lr),
                (
                    TrainSetting::WeightDecay,
                    ck.weight_decay,
                    hyper.weight_decay,
                ),
            ] {
                if now != saved {
                    notes.push(ResumeNote::Changed {
                        setting,
                        saved,
                        now,
                    });
                }
            }
            opt.lr = hyper.lr;
            opt.weight_decay = hyper.weight_decay;
            Ok(Started { model, opt, notes })
        }
        None => {
            config.check_size()?;
            let model = ArModel::new_with(config, seed, hyper.recipe, &device)?;
            let opt = AdamW::for_model(&model, hyper.lr, hyper.weight_decay, hyper.recipe)?;
            Ok(Started {
                model,
                opt,
                notes: Vec::new(),
            })
        }
    }
}
