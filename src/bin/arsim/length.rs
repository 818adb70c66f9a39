//! `arsim length`: measured length complexity against S or n.

use crate::flags::MachineArgs;
use crate::progress::progress_bar;
use crate::{load, print_json, Failure};
use arsim::encoding::EncodingKind;
use arsim::length::{measure, Plan};
use std::path::Path;

pub fn cmd_length(
    args: &MachineArgs,
    encodings: &[EncodingKind],
    plan: &Plan,
    max_steps: u64,
    plot: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (m, _) = load(args)?;
    if let Some(path) = plot {
        arsim::draw::plot::check_path(path).map_err(anyhow::Error::from)?;
    }
    let bar = progress_bar(json, 0, "runs");
    let report = measure(&m, encodings, plan, max_steps, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| anyhow::Error::new(e).context(format!("machine {}", args.machine)))?;
    bar.finish_and_clear();
    if let Some(path) = plot {
        arsim::length::plot(&report, path).map_err(anyhow::Error::from)?;
        if !json {
            println!("wrote {}", path.display());
        }
    }
    if json {
        print_json(&report);
    } else {
        println!("machine {} ({} mode)", report.machine, report.mode);
        println!(
            "{:<9} {:<24} {:>5} {:>10} {:<12} {:>6} {:>14} {:>11} {:<20} agree",
            "encoding", "input", "n", "steps", "stop", "S", "tokens", "tokens/step", "formula",
        );
        for r in &report.rows {
            let input = if r.input.chars().count() > 24 {
                format!("{}…", r.input.chars().take(23).collect::<String>())
            } else {
                r.input.clone()
            };
            let formula = format!(
                "{} {}",
                r.formula,
                if r.matches_formula { "=" } else { "≠" }
            );
            println!(
                "{:<9} {:<24} {:>5} {:>10} {:<12} {:>6} {:>14} {:>11.1} {:<20} {}",
                r.encoding,
                input,
                r.input_len,
                r.steps,
                r.stop,
                r.tape_cells,
                r.generated_tokens,
                r.tokens_per_step,
                formula,
                if r.agree { "yes" } else { "NO" }
            );
        }
        let against = if report.mode == "tapes" { "S" } else { "n" };
        for f in &report.fits {
            println!(
                "fit {:<9} tokens ≈ {:.3}·{against}^{:.3}  (R² = {:.4}, {} runs)",
                f.encoding, f.constant, f.exponent, f.r2, f.points
            );
        }
    }
    if !report.all_match {
        return Err(Failure::Verification);
    }
    Ok(())
}
