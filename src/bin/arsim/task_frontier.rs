//! `arsim task frontier`: the smallest model per chain of thought, from multiplication reports.

use crate::task_flags::FrontierArgs;
use crate::{print_json, Failure};
use anyhow::anyhow;
use arsim::tasks::multiply::frontier::{
    check_path, frontier, plot_frontier, read_run, Config, FrontierReport,
};
use serde::Serialize;

/// The JSON of `arsim task frontier`.
#[derive(Serialize)]
struct FrontierOutput<'a> {
    #[serde(flatten)]
    report: &'a FrontierReport,
    /// The figure written by --plot, else null.
    plot: Option<String>,
}

pub fn cmd_task_frontier(args: &FrontierArgs, json: bool) -> Result<(), Failure> {
    if let Some(path) = &args.plot {
        check_path(path).map_err(anyhow::Error::from)?;
    }
    let runs = args
        .reports
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!(e))?;
    let report = frontier(&runs, args.threshold).map_err(|e| anyhow!(e))?;
    if let Some(path) = &args.plot {
        plot_frontier(&report, path).map_err(anyhow::Error::from)?;
    }
    if json {
        print_json(&FrontierOutput {
            report: &report,
            plot: args.plot.as_ref().map(|p| p.display().to_string()),
        });
        return Ok(());
    }
    print_frontier(&report);
    if let Some(path) = &args.plot {
        println!("plot      {}", path.display());
    }
    Ok(())
}

fn describe(c: &Config) -> String {
    let model = match c.d {
        Some(d) => format!("{} d = {d}", c.architecture),
        None => c.architecture.clone(),
    };
    let seeds = match c.seeds.len() {
        0 | 1 => String::new(),
        n => format!(
            ", {n} seeds, ± {:.2}, min {:.2}%",
            100.0 * c.exact_rate_std,
            100.0 * c.exact_rate_min
        ),
    };
    let t = &c.training;
    let mut how: Vec<String> = Vec::new();
    match (t.train_seqs, c.architecture.as_str()) {
        (_, "compiled") => how.push("not trained".into()),
        (Some(n), "learned") => how.push(format!("{n} traces")),
        (Some(n), _) => how.push(format!("{n} sequences")),
        (None, _) => {}
    }
    if let Some(b) = t.batch {
        how.push(format!("batch {b}"));
    }
    if let Some(lr) = t.lr {
        how.push(format!("lr {lr}"));
    }
    if let Some(r) = &t.recipe {
        how.push(format!("{r}'s recipe"));
    }
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" ({})", how.join(", "))
    };
    format!(
        "{model}{how}, {} parameters: {:.2}% exact{seeds}{}",
        c.parameters,
        100.0 * c.exact_rate_mean,
        c.per_digit_accuracy_mean
            .map(|p| format!(", {:.2}% per digit", 100.0 * p))
            .unwrap_or_default()
    )
}

fn print_frontier(r: &FrontierReport) {
    println!(
        "frontier  {} reports; threshold {:.2}% exact (mean over seeds)",
        r.runs,
        100.0 * r.threshold
    );
    for c in &r.chains {
        println!(
            "{} ({:.0} tokens, {} configs)",
            c.chain,
            c.chain_tokens,
            c.configs.len()
        );
        match (&c.smallest, &c.best) {
            (Some(s), _) => {
                println!("  smallest reaching it   {}", describe(s));
                match &c.smallest_every_run {
                    Some(e) if e == s => {}
                    Some(e) => println!("  every seed reaching it {}", describe(e)),
                    None => println!("  every seed reaching it none"),
                }
            }
            (None, Some(b)) => println!("  none reaches it; best {}", describe(b)),
            (None, None) => {}
        }
    }
}
