//! Compiled predictors as Hugging Face GPT-2 checkpoints, for every shell: `arsim compile --hf
//! DIR`, `arsim certify --hf DIR` and Python's `arsim.hf.export` all come here
//! (proofs/transformer.md).
//!
//! ```
//! use arsim::api::{export_hf, certify_hf, load_machine, EncodingKind, HeldPredictor, Input, Precision};
//! let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
//! let p = HeldPredictor::compile(&bb2, &Input::default(), EncodingKind::Cells, None).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let export = export_hf(&p, &bb2, &Input::default(), dir.path(), None).unwrap();
//! assert_eq!(export.heads, 3);
//! let cert = certify_hf(dir.path(), None, Precision::F32, &mut |_, _| {}).unwrap();
//! assert!(cert.certified);
//! ```

use crate::api::error::ApiError;
use crate::api::files::{file_metadata, weights_bytes};
use crate::api::predictors::{HeldPredictor, COMPILE_MAX_STEPS};
use crate::api::trace::token_trace;
use crate::certify::{Certificate, CertifyReport};
use crate::hf::{self, FloatCertificate, Plan, Precision};
use crate::machine::convert::write_machine;
use crate::machine::load::MachineFormat;
use crate::machine::load_machine;
use crate::machine::{Input, Machine};
use crate::nn::Architecture;
use crate::tasks::text::bpe::Bpe;
use crate::tasks::text::experiment::tokenizer_path;
use crate::tasks::text::hf_tokenizer;
use crate::weights::{with_dense, DenseWeights, Weights};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The longest trace whose length sizes a default context.
pub const MAX_DEFAULT_CONTEXT: usize = 1 << 20;

/// What `export_hf` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct HfExport {
    /// The directory.
    pub dir: String,
    /// The files written in it.
    pub files: Vec<String>,
    /// The context length N (`n_positions`), `<bos>` included.
    pub context: usize,
    /// The vocabulary: the dictionary, `<bos>` and `<unk>`.
    pub vocab_size: usize,
    /// `<bos>`'s id (the dictionary's size), which every model input starts with.
    pub bos_token_id: usize,
    /// One head per offset.
    pub heads: usize,
    /// `n_embd / n_head`.
    pub head_dim: usize,
    /// `n_embd`.
    pub n_embd: usize,
    /// K, the ternary digits of a position.
    pub frequencies: usize,
    /// β.
    pub temperature: f64,
    /// Parameters in `model.safetensors`.
    pub parameters: u64,
}

fn hf_error(e: hf::HfError) -> ApiError {
    ApiError::Hf(e)
}

/// The dense weights and the plan `held` exports to at `context`.
fn plan_of(
    held: &HeldPredictor,
    context: usize,
    prompt: usize,
) -> Result<(Plan, Vec<hf::gpt2::Tensor>), ApiError> {
    with_dense!(dense(held)?, p => hf::build(p, context, prompt)).map_err(hf_error)
}

/// The dense weights of `held`; sparse (`gates`) weights have no offsets for heads to read.
fn dense(held: &HeldPredictor) -> Result<&DenseWeights, ApiError> {
    match &held.weights {
        Weights::Dense(d) => Ok(d),
        Weights::Sparse(_) => Err(ApiError::Unsupported {
            message: "gates weights are one sparse map per position, not offset matrices: a transformer's heads read fixed offsets; export a cells or sweep predictor".into(),
        }),
    }
}

/// The prompt length and the trace length of `input` under `held`'s encoding and window.
fn trace_length(
    held: &HeldPredictor,
    machine: &Machine,
    input: &Input,
) -> Result<(usize, usize), ApiError> {
    let t = token_trace(
        machine,
        input,
        held.kind()?,
        held.window(),
        COMPILE_MAX_STEPS,
        MAX_DEFAULT_CONTEXT as u64,
    )?;
    Ok((t.prompt_tokens, t.ids.len()))
}

/// Writes `held` (for `machine`) as a GPT-2 model directory `dir`: context `context`, else the
/// run of `input` (at most [`COMPILE_MAX_STEPS`] steps) and `<bos>`.
pub fn export_hf(
    held: &HeldPredictor,
    machine: &Machine,
    input: &Input,
    dir: &Path,
    context: Option<usize>,
) -> Result<HfExport, ApiError> {
    let (prompt, length) = trace_length(held, machine, input)?;
    // At least one position past the prompt, so that a run of 0 steps still exports.
    let context = context.unwrap_or(length.max(prompt + 1) + 1);
    let (plan, tensors) = plan_of(held, context, prompt)?;
    let predictor_file = weights_bytes(&held.weights, &held.meta);
    let machine_ron =
        write_machine(machine, MachineFormat::Ron).map_err(|e| ApiError::Unsupported {
            message: format!("machine {}: {e}", machine.name()),
        })?;
    let arsim = json!({
        "format": hf::FORMAT,
        "version": hf::FORMAT_VERSION,
        "plan": plan,
        "machine": machine.name(),
        "encoding": held.kind()?.name(),
        "tape_cells": held.window().map(|w| w.size),
        "predictor": file_metadata(&held.weights, &held.meta),
        "proof": "proofs/transformer.md",
    });
    let labels = held.layout().map(|l| l.tokens.clone()).unwrap_or_default();
    let files = hf::files(&plan, &tensors, &labels, arsim, predictor_file, machine_ron);
    let written = hf::write_dir(dir, &files).map_err(hf_error)?;
    Ok(HfExport {
        dir: dir.display().to_string(),
        files: written.iter().map(|p| p.display().to_string()).collect(),
        context: plan.context,
        vocab_size: plan.vocab_size(),
        bos_token_id: plan.bos(),
        heads: plan.heads(),
        head_dim: plan.head_dim,
        n_embd: plan.n_embd(),
        frequencies: plan.frequencies,
        temperature: plan.temperature,
        parameters: tensors.iter().map(|t| t.values.len() as u64).sum(),
    })
}

/// What `arsim certify --hf` found.
#[derive(Clone, Debug, Serialize)]
pub struct HfCertificate {
    /// The directory.
    pub dir: String,
    /// The machine's name.
    pub machine: String,
    /// The encoding.
    pub encoding: &'static str,
    /// The window size S.
    pub tape_cells: usize,
    /// `model.safetensors` is the construction of `arsim.safetensors`, bit for bit.
    pub model_is_construction: bool,
    /// The linear predictor's own certificate (every local context).
    pub local: Certificate,
    /// The float certificate: the bound at each precision.
    pub float: FloatCertificate,
    /// The precision the verdict `certified` is for.
    pub precision: Precision,
    /// The local certificate holds and the bound at `precision` holds: `generate()` in that
    /// precision is the predictor's greedy trace at every position before the context length.
    pub certified: bool,
    /// The local certificate holds and the bfloat16 bound holds, whichever precision was asked.
    pub certified_bf16: bool,
}

/// Certifies the model directory `dir` (written by [`export_hf`]): its predictor on every
/// local context of `machine` (else of `dir/machine.ron`), the model against the construction,
/// and the float bound at every position before its context length.
pub fn certify_hf(
    dir: &Path,
    machine: Option<&Machine>,
    precision: Precision,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<HfCertificate, ApiError> {
    let (_, plan) = hf::read_config(dir).map_err(hf_error)?;
    let held = HeldPredictor::read(&dir.join("arsim.safetensors"))?;
    let own;
    let machine = match machine {
        Some(m) => m,
        None => {
            let path: PathBuf = dir.join("machine.ron");
            own = load_machine(&path.display().to_string())?;
            &own
        }
    };
    let prompt = plan
        .context
        .min(plan.offsets.iter().copied().max().unwrap_or(1));
    let (rebuilt, tensors) = plan_of(&held, plan.context, prompt)?;
    if rebuilt != plan {
        return Err(hf_error(hf::HfError::Mismatch {
            path: dir.join("config.json").display().to_string(),
            tensor: "arsim.plan".into(),
            message: format!("the record says {plan:?}, the predictor builds {rebuilt:?}"),
        }));
    }
    hf::check_model(dir, &tensors).map_err(hf_error)?;
    let (prepared, report) = held.certify(machine, &Input::default(), None, progress)?;
    let CertifyReport::Local(local) = report else {
        return Err(ApiError::Unsupported {
            message: "gates weights have no offset matrices to export".into(),
        });
    };
    let margin = local.min_margin.value();
    let float = with_dense!(dense(&held)?, p => hf::float_certificate(&plan, p, margin));
    let holds = |p: Precision| float.bounds.iter().any(|b| b.precision == p && b.holds);
    Ok(HfCertificate {
        dir: dir.display().to_string(),
        machine: machine.name().to_string(),
        encoding: prepared.kind().name(),
        tape_cells: prepared.window().size,
        model_is_construction: true,
        precision,
        certified: local.certified && holds(precision),
        certified_bf16: local.certified && holds(Precision::Bf16),
        local,
        float,
    })
}

/// What `export_checkpoint_hf` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct HfCheckpointExport {
    /// The directory.
    pub dir: String,
    /// The files written in it.
    pub files: Vec<String>,
    /// `n_embd`: the model's width plus one mean dimension per head (`hf::checkpoint`).
    pub n_embd: usize,
    /// Blocks.
    pub layers: usize,
    /// Heads.
    pub heads: usize,
    /// The context length.
    pub context: usize,
    /// The vocabulary.
    pub vocab_size: usize,
    /// The tokenizer converted into the directory's `tokenizer.json` (the text task's, kept
    /// beside the checkpoint), or `None`.
    pub tokenizer: Option<String>,
}

/// Writes the trained `--model transformer` checkpoint `path` as a Hugging Face GPT-2 directory
/// `dir` (`config.json`, `model.safetensors`): its logits are the checkpoint's, the output
/// layer's bias carried on mean dimensions (`hf::checkpoint`).
pub fn export_checkpoint_hf(path: &Path, dir: &Path) -> Result<HfCheckpointExport, ApiError> {
    let ck = crate::api::models::checkpoint_tensors(path)?;
    let field = |k: &str| {
        ck.config
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as usize
    };
    let arch = ck
        .config
        .get("architecture")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if !arch.eq_ignore_ascii_case("transformer") {
        return Err(ApiError::Unsupported {
            message: format!(
                "{}: a {arch} model is not a transformer; the paper's mlp and linear models load in PyTorch with arsim.torch.load_checkpoint",
                path.display()
            ),
        });
    }
    let shape = hf::checkpoint::TransformerShape {
        vocab: field("vocab"),
        context: field("context"),
        d: field("d"),
        layers: field("layers"),
        heads: field("heads").max(1),
    };
    let get = |name: &str| {
        ck.tensors
            .iter()
            .find(|t| t.0 == name)
            .map(|t| (t.1.as_slice(), t.2.as_slice()))
    };
    let (mut config, tensors) =
        hf::checkpoint::gpt2_of_transformer(shape, &get).map_err(|e| ApiError::Unsupported {
            message: format!("{}: {e}", path.display()),
        })?;
    config["arsim"] = json!({
        "format": "arsim-hf-gpt2-trained",
        "version": hf::FORMAT_VERSION,
        "checkpoint": path.display().to_string(),
        "config": ck.config,
        "task": ck.task,
        "step": ck.step,
        "proof": "proofs/transformer.md#6",
    });
    let json_bytes = |v: &serde_json::Value| {
        let mut s = serde_json::to_vec_pretty(v).expect("JSON serialises");
        s.push(b'\n');
        s
    };
    let mut files = hf::Files {
        files: vec![
            ("model.safetensors", hf::model_bytes(&tensors)),
            ("config.json", json_bytes(&config)),
        ],
    };
    // The text task keeps its tokenizer beside the checkpoint; with it the directory is whole
    // for `AutoTokenizer.from_pretrained` too.
    let tokenizer = tokenizer_path(path);
    let has_tokenizer = tokenizer.is_file();
    if has_tokenizer {
        let bpe = Bpe::load(&tokenizer)?;
        let text = hf_tokenizer::to_json(&bpe)?;
        files.files.push(("tokenizer.json", text.into_bytes()));
    }
    let written = hf::write_dir(dir, &files).map_err(hf_error)?;
    Ok(HfCheckpointExport {
        dir: dir.display().to_string(),
        files: written.iter().map(|p| p.display().to_string()).collect(),
        n_embd: shape.d + shape.heads,
        layers: shape.layers,
        heads: shape.heads,
        context: shape.context,
        vocab_size: shape.vocab,
        tokenizer: has_tokenizer.then(|| tokenizer.display().to_string()),
    })
}

/// Refuses, before a training run, a Hugging Face export (`--hf`) its model cannot give: only a
/// transformer is a GPT-2 (the paper's MLP and linear models load in PyTorch through
/// `arsim.torch`), and `dir` must be a directory or not exist yet.
pub fn check_checkpoint_export(
    architecture: Option<Architecture>,
    dir: &Path,
) -> Result<(), ApiError> {
    match architecture {
        Some(Architecture::Transformer) => {}
        Some(other) => {
            return Err(ApiError::Unsupported {
                message: format!(
                    "{}: the {} model is not a transformer; only a trained transformer becomes a Hugging Face GPT-2 (the paper's mlp and linear models load in PyTorch with arsim.torch.load_checkpoint)",
                    dir.display(),
                    other.name()
                ),
            })
        }
        None => {
            return Err(ApiError::Unsupported {
                message: format!(
                    "{}: the machine's own predictors are not trained here; a compiled machine becomes a Hugging Face GPT-2 through its compiler's export",
                    dir.display()
                ),
            })
        }
    }
    if dir.exists() && !dir.is_dir() {
        return Err(hf_error(hf::HfError::File {
            path: dir.display().to_string(),
            message: "exists and is not a directory: a model directory goes there".to_string(),
        }));
    }
    Ok(())
}
