//! Checkpoints: one safetensors file with the model's parameters under their names
//! (`embedding`, `masked.below.K`, `masked.diagonal.K`, `masked.bias`, `hidden.*`,
//! `output.*`), AdamW's moments (`adam.m.NAME`, `adam.v.NAME`), and header metadata: the
//! `format`, the model `config` and the `task` (JSON), the optimizer `step` and its
//! hyper-parameters. numpy and PyTorch read it with `safetensors.numpy.load_file`; written whole
//! (temporary file, then rename).

use super::model::{ArModel, ModelConfig};
use super::train::AdamW;
use super::NnError;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
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
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        let data: Vec<(&String, &Tensor)> = names.iter().map(|n| (*n, &self.tensors[*n])).collect();
        let bytes = safetensors::serialize(data, Some(meta)).map_err(|e| NnError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        crate::export::write_atomic(path, &bytes).map_err(|e| NnError::Checkpoint {
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
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
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
        let tensors = candle_core::safetensors::load_buffer(&bytes, device)
            .map_err(|e| err(e.to_string()))?;
        Ok(Checkpoint {
            config,
            tensors,
            step: num("step")? as usize,
            lr: num("lr")?,
            weight_decay: num("weight_decay")?,
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
        let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
        let mut opt = AdamW::new(&vars, self.lr, self.weight_decay)?;
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

/// A fresh model and optimizer for `config` (seeded), or, with `resume`, the checkpoint's
/// model and optimizer after checking it was trained for the same `task`.
pub fn start_or_resume(
    config: ModelConfig,
    seed: u64,
    lr: f64,
    weight_decay: f64,
    resume: Option<&Path>,
    task: &serde_json::Value,
) -> Result<(ArModel, AdamW), NnError> {
    let device = Device::Cpu;
    match resume {
        Some(path) => {
            let ck = Checkpoint::load(path, &device)?;
            if ck.task != *task {
                return Err(NnError::Checkpoint {
                    path: path.display().to_string(),
                    message: format!("was trained for {}, this run is {}", ck.task, task),
                });
            }
            ck.restore()
        }
        None => {
            let model = ArModel::new(config, seed, &device)?;
            let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
            let opt = AdamW::new(&vars, lr, weight_decay)?;
            Ok((model, opt))
        }
    }
}
