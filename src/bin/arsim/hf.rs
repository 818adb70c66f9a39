//! `arsim compile --hf DIR` and `arsim certify MACHINE --hf DIR`: a compiled predictor as a
//! Hugging Face GPT-2 model directory, and its certificate; `arsim task … --model transformer
//! --checkpoint F --hf DIR`: a trained transformer's (the work is `arsim::api::hf`).

use crate::flags::MachineArgs;
use crate::progress::{phase_spinner, progress_bar};
use crate::task_flags::TrainArgs;
use crate::{load, print_json, Failure};
use arsim::api::{
    certify_hf, check_checkpoint_export, compiled_for, export_checkpoint_hf, export_hf, metadata,
    HeldPredictor, HfCertificate, HfCheckpointExport, HfExport, Input, Machine, Precision, Weights,
};
use arsim::encoding::AnyEncoding;
use arsim::nn::Architecture;
use serde::Serialize;
use std::path::Path;

/// Writes the model directory for the compiled `weights` of `m` under `enc`.
pub fn export(
    m: &Machine,
    enc: &AnyEncoding,
    weights: &Weights,
    input: &Input,
    dir: &Path,
    context: Option<usize>,
    json: bool,
) -> Result<HfExport, Failure> {
    let held = HeldPredictor {
        weights: weights.clone(),
        meta: metadata(m, enc, compiled_for(input)),
        origin: format!("the compiled predictor of {}", m.name()),
    };
    let writing = phase_spinner(json, "writing the Hugging Face model");
    let e = export_hf(&held, m, input, dir, context).map_err(anyhow::Error::from);
    writing.finish_and_clear();
    Ok(e?)
}

/// The lines `compile --hf` adds to its report.
pub fn print_export(e: &HfExport) {
    println!(
        "hf model     {}: GPT-2, 1 layer, {} heads of {} (n_embd {}), vocabulary {}, context {} \
         (K = {} ternary digits, β = {:.3}), {} parameters",
        e.dir,
        e.heads,
        e.head_dim,
        e.n_embd,
        e.vocab_size,
        e.context,
        e.frequencies,
        e.temperature,
        e.parameters
    );
    println!(
        "             certify it: arsim certify MACHINE --hf {}",
        e.dir
    );
}

/// `arsim certify MACHINE --hf DIR`.
pub fn cmd_certify_hf(
    args: &MachineArgs,
    dir: &Path,
    precision: Precision,
    json: bool,
) -> Result<(), Failure> {
    let (m, _) = load(args)?;
    let bar = progress_bar(json, 0, "context groups");
    let cert = certify_hf(dir, Some(&m), precision, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let cert = cert.map_err(anyhow::Error::from)?;
    crate::verdict_before_printing(!cert.certified);
    if json {
        print_json(&cert);
    } else {
        print_text(&cert);
    }
    if !cert.certified {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn print_text(c: &HfCertificate) {
    let f = &c.float;
    println!(
        "model        {}: GPT-2, {} heads of {} (n_embd {}), context {}",
        c.dir, f.heads, f.head_dim, f.n_embd, f.context
    );
    println!(
        "machine      {} ({} encoding, S = {})",
        c.machine, c.encoding, c.tape_cells
    );
    println!(
        "construction model.safetensors is the construction of arsim.safetensors, bit for bit"
    );
    println!(
        "local        {} local contexts, min margin {}: {}",
        c.local.contexts,
        c.local.min_margin,
        if c.local.certified {
            "certified"
        } else {
            "NOT certified"
        }
    );
    println!(
        "bound        K = {} ternary digits, β = {:.3}; margin loss at every position < N:",
        f.frequencies, f.temperature
    );
    for b in &f.bounds {
        let largest = f.largest_context.get(b.precision_name()).copied().flatten();
        println!(
            "  {:<9}  leak {:.2e}, score error {:.2e}, head error {:.2e}, logit error {:.2e} → loss {:.3} of margin {}: {} (certifies contexts up to {})",
            b.precision_name(),
            b.leak,
            b.score_error,
            b.head_error,
            b.logit_error,
            b.margin_loss,
            f.margin,
            if b.holds { "holds" } else { "FAILS" },
            match largest {
                None => "none".to_string(),
                Some(n) if n == f.size_limit_context => format!("{n}, the size limit"),
                Some(n) => n.to_string(),
            }
        );
    }
    let asked = c.precision.name();
    if c.certified {
        println!(
            "certified    yes ({asked}{}): by proofs/transformer.md, greedy generate() is the predictor's trace at every position before {}",
            match (c.precision, c.certified_bf16) {
                (Precision::F32, true) => "; bfloat16 too",
                (Precision::F32, false) => "; not bfloat16",
                (Precision::Bf16, _) => "",
            },
            f.context
        );
    } else if !c.local.certified {
        println!("certified    NO: the predictor fails its local certificate");
    } else {
        // The refusal names the bound: the context this precision does certify.
        let largest = f.largest_context.get(asked).copied().flatten();
        println!(
            "certified    NO in {asked}: the bound fails at context {}; {asked} certifies {}",
            f.context,
            match largest {
                None => "no context with these weights".to_string(),
                Some(n) =>
                    format!("contexts up to {n} (arsim compile MACHINE --hf DIR --context {n})"),
            }
        );
    }
}

/// A training report with the Hugging Face export of its checkpoint: the report's own keys,
/// and `hf` (`null` without `--hf`).
#[derive(Serialize)]
pub struct WithHf<'a, T: Serialize> {
    #[serde(flatten)]
    pub report: &'a T,
    pub hf: Option<HfCheckpointExport>,
}

/// Refuses `--hf` before a training run whose model cannot be exported.
pub fn check_trained(run: &TrainArgs, architecture: Option<Architecture>) -> Result<(), Failure> {
    if let Some(dir) = &run.hf {
        check_checkpoint_export(architecture, dir).map_err(anyhow::Error::from)?;
    }
    Ok(())
}

/// Writes the run's final checkpoint as a Hugging Face directory (`--hf`; clap requires
/// `--checkpoint` beside it).
pub fn export_trained(run: &TrainArgs, json: bool) -> Result<Option<HfCheckpointExport>, Failure> {
    let (Some(dir), Some(checkpoint)) = (&run.hf, &run.checkpoint) else {
        return Ok(None);
    };
    let writing = phase_spinner(json, "writing the Hugging Face model");
    let e = export_checkpoint_hf(checkpoint, dir).map_err(anyhow::Error::from);
    writing.finish_and_clear();
    Ok(Some(e?))
}

/// The line a training report adds for `--hf`.
pub fn print_trained(e: &HfCheckpointExport) {
    println!(
        "hf model     {}: GPT-2, {} blocks of {} heads (n_embd {}: d and one mean dimension a head), vocabulary {}, context {}{}",
        e.dir,
        e.layers,
        e.heads,
        e.n_embd,
        e.vocab_size,
        e.context,
        if e.tokenizer.is_some() { ", tokenizer.json" } else { "" }
    );
}
