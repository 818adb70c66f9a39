//! `arsim emulate`: run a predictor token by token and check every token.

use crate::flags::{MachineArgs, WindowArgs};
use crate::progress::progress_bar;
use crate::{load, print_json, Failure};
use anyhow::anyhow;
use arsim::api::Verdict;
use arsim::emulate::EmulationReport;
use arsim::encoding::EncodingKind;
use std::path::Path;

/// `arsim emulate`.
pub fn cmd_emulate(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    max_steps: u64,
    weights: Option<&Path>,
    run: arsim::api::ExecutorOptions,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let p = arsim::api::prepare(&m, &input, encoding, wargs.window(), weights, max_steps)
        .map_err(anyhow::Error::from)?;
    // The interpreter is cheap next to the emulation: run it first to size the progress bar.
    let steps = arsim::interpreter::run(&m, &input, max_steps).steps;
    let unit = encoding.info().token_unit;
    let bar = progress_bar(json, steps.saturating_mul(p.tokens_per_step()), unit);
    let report = p
        .emulate(&m, input, max_steps, run, &mut |n| bar.set_position(n))
        .map_err(anyhow::Error::from)?;
    bar.finish_and_clear();
    report_emulation(&report, json)
}

/// Prints an emulation report and maps it to the exit status: a run that left the window is
/// bad input (2), a divergence a failed verification (1).
pub fn report_emulation(report: &EmulationReport, json: bool) -> Result<(), Failure> {
    crate::verdict_before_printing(!report.agree);
    if json {
        print_json(report);
    } else {
        print_emulation(report);
    }
    match arsim::api::verdict(report) {
        Verdict::Agree => Ok(()),
        Verdict::LeftWindow(_) => Err(Failure::InputAfterReport(anyhow!(
            "{}",
            left_window_message(report)
        ))),
        Verdict::Diverged(_) => Err(Failure::Verification),
    }
}

/// The command line's message for a run that left the window: the library's words, with the
/// flag that gives a window (`arsim serve`'s page shows the same).
pub fn left_window_message(report: &EmulationReport) -> String {
    format!(
        "{}; the trace was verified up to there. Give a larger --tape (or leave it out to use the cells the run visits)",
        report.left_window.as_deref().unwrap_or_default()
    )
}

fn print_emulation(r: &EmulationReport) {
    let info = EncodingKind::from_name(r.encoding).map(|k| k.info());
    println!("machine      {} (input \"{}\")", r.machine, r.input);
    match (info, r.offsets.first(), r.offsets.last()) {
        (Some(i), Some(lo), Some(hi)) if !i.time_invariant => println!(
            "encoding     {}: {} tokens, time-dependent maps reading offsets {lo}..={hi}",
            r.encoding, r.dictionary
        ),
        _ => println!(
            "encoding     {}: {} tokens, offsets {:?}",
            r.encoding, r.dictionary, r.offsets
        ),
    }
    let head = match r.head_start {
        0 => String::new(),
        h => format!(", head from cell {}", r.origin + h),
    };
    println!(
        "window       {} cells, input from cell {}{head}",
        r.tape_cells, r.origin
    );
    match &r.reference_stop {
        Some(stop) if r.reference_steps == r.steps => {
            println!("reference    {} steps, {stop}", r.reference_steps)
        }
        Some(stop) => println!(
            "reference    {} steps, {stop}; the trace covers {} of them (a path cut off before its row was complete is never spelled)",
            r.reference_steps, r.steps
        ),
        None => println!(
            "reference    followed for {} steps, up to the divergence",
            r.reference_steps
        ),
    }
    println!("executor     {}", r.executor);
    let unit = info.map_or("tokens", |i| i.token_unit);
    println!(
        "generated    {} {unit} after a prompt of {} ({} = {})",
        r.generated_tokens, r.prompt_tokens, r.length_formula, r.expected_tokens
    );
    if let Some(c) = r.extras.cells_tokens {
        println!("             the cells encoding generates {c} tokens for the same run");
    }
    match &r.first_divergence {
        None if r.steps < r.reference_steps => println!(
            "agree        yes on the {} steps the trace covers: every generated token equals the interpreter's",
            r.steps
        ),
        None => println!("agree        yes: every generated token equals the interpreter's"),
        Some(d) => {
            println!("agree        NO");
            let mut cell = d.cell.map_or("SEP".to_string(), |c| format!("cell {c}"));
            if let Some(bit) = &d.bit {
                cell = format!("{cell}, bit {bit}");
            }
            println!(
                "divergence   position {} (step {}, {}): expected {}, got {}",
                d.position,
                d.step,
                cell,
                d.expected.as_deref().unwrap_or("end of trace"),
                d.got.as_deref().unwrap_or("end of trace")
            );
            let which = info.map_or("", |i| i.context_names);
            println!(
                "             context ({which}) = {:?}; top scores {:?}",
                d.context, d.top
            );
        }
    }
    println!(
        "speed        {:.1} M {unit}/s ({:.3} s)",
        r.tokens_per_second / 1e6,
        r.seconds
    );
    if let Some(bytes) = r.peak_rss_bytes {
        println!("memory       peak RSS {:.1} MB", bytes as f64 / 1e6);
    }
}
