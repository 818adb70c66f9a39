//! `arsim learn`: learned against compiled, sample complexity against training-set size, and the traces needed
//! against chain length (`--chain-length`).

use crate::flags::InputArgs;
use crate::progress::phase_bars;
use crate::{print_json, Failure};
use anyhow::{anyhow, Context as _, Result};
use arsim::api::InputsRequest;
use arsim::learn::chain_length::{
    chain_length, median_needed, ChainLengthOptions, ChainLengthReport,
};
use arsim::learn::inputs::InputSpec;
use arsim::learn::sample_complexity::{sample_complexity, SampleComplexityReport};
use arsim::learn::{learn, Algo, LearnOptions, LearnReport, LearnerKind};
use arsim::machine::Machine;
use std::path::PathBuf;

/// Parses `1-8`, `2,4,6`, `1-3,7` into a sorted list of numbers.
fn parse_numbers(text: &str, what: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |t: &str| {
            t.trim().parse::<usize>().map_err(|_| {
                anyhow!("bad {what} `{part}`: expected a number or a range such as 1-8")
            })
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(anyhow!("bad {what} `{part}`: the range is empty"));
                }
                if b - a > 10_000 {
                    return Err(anyhow!("bad {what} `{part}`: the range is too long"));
                }
                out.extend(a..=b);
            }
            None => out.push(num(part)?),
        }
    }
    if out.is_empty() {
        return Err(anyhow!("no {what} given"));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The input distribution from --pattern/--alphabet/--lengths or --inputs, through the front
/// door ([`arsim::api::input_spec`]).
pub fn input_spec(m: &Machine, args: &InputArgs) -> Result<InputSpec> {
    let lengths = match args.lengths.as_deref() {
        None | Some("auto") => None,
        Some(l) => Some(parse_numbers(l, "--lengths")?),
    };
    let req = InputsRequest {
        words: args
            .inputs
            .as_ref()
            .map(|list| list.split(',').map(str::to_string).collect()),
        pattern: args.pattern.clone(),
        alphabet: args.alphabet.clone(),
        lengths,
        eval_lengths: args
            .eval_lengths
            .as_deref()
            .map(|l| parse_numbers(l, "--eval-lengths"))
            .transpose()?,
    };
    arsim::api::input_spec(m, &req).map_err(crate::flag_hint)
}

pub fn cmd_learn(
    m: &Machine,
    opts: &LearnOptions,
    save: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    if save.is_some() && opts.learner == LearnerKind::TimeDependent {
        return Err(anyhow!(
            "--out writes time-invariant weights; the time-dependent learner has one classifier per position"
        )
        .into());
    }
    let mut progress = phase_bars(json);
    let learned = learn(m, opts, &mut progress)
        .map_err(|e| anyhow::Error::new(e).context(format!("machine {}", m.name())))?;
    drop(progress);
    if let Some(path) = &save {
        learned.save(m, path).map_err(anyhow::Error::from)?;
    }
    let r = &learned.report;
    if json {
        let mut value = serde_json::to_value(r).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert(
                "saved".into(),
                serde_json::json!(save.as_ref().map(|p| p.display().to_string())),
            );
        }
        print_json(&value);
    } else {
        print_learn(r);
        if let Some(path) = &save {
            println!("saved        {}", path.display());
        }
    }
    if r.test.trace_errors > 0 {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn print_learn(r: &LearnReport) {
    println!(
        "machine      {} ({}: S = {} cells, |D| = {})",
        r.machine, r.encoding, r.tape_cells, r.dictionary
    );
    let algo = match r.algo {
        Algo::Perceptron => "perceptron",
        Algo::Softmax => "softmax regression",
    };
    let kind = match r.learner {
        LearnerKind::TimeInvariant => "time-invariant",
        LearnerKind::TimeDependent => "time-dependent (one per position)",
    };
    println!(
        "learner      {kind} {algo} over output {}, window {} ({} offsets: {}..{})",
        r.outputs.name(),
        r.window.name(),
        r.offsets.len(),
        r.offsets.first().unwrap_or(&0),
        r.offsets.last().unwrap_or(&0)
    );
    match (&r.inputs.pattern, &r.inputs.lengths) {
        (Some(a), Some(l)) => println!(
            "inputs       random words {a}, runs of lengths {:?}{}, seed {}; e.g. {:?}",
            l,
            r.inputs
                .eval_lengths
                .as_ref()
                .map(|e| format!(" (held out: {e:?}, on S = {} cells)", r.eval_tape_cells))
                .unwrap_or_default(),
            r.seed,
            r.inputs.first_training_inputs
        ),
        _ => println!(
            "inputs       listed, seed {}; e.g. {:?}",
            r.seed, r.inputs.first_training_inputs
        ),
    }
    let t = &r.training;
    println!(
        "training     {} traces, {} examples ({} distinct), {} classifier(s), {:.2} s",
        t.traces, t.examples, t.distinct_examples, t.classifiers, t.seconds
    );
    if let Some(p) = &t.perceptron {
        println!(
            "perceptron   {} passes, {} mistakes{}",
            p.passes,
            p.mistakes,
            if p.converged {
                ", converged (a pass with no mistake)"
            } else {
                ", NOT converged (pass limit)"
            }
        );
    }
    if let Some(b) = &t.mistake_bound {
        println!(
            "bound        (R² + 2τ)/γ² = {:.0} (R = {:.3}, τ = {}, γ = {:.5} = margin {} / ‖U_compiled‖ {:.2}): mistakes {} the bound",
            b.bound,
            b.r,
            b.margin,
            b.gamma,
            b.compiled_min_margin,
            b.compiled_norm,
            if t.mistakes_within_bound == Some(true) { "within" } else { "EXCEED" }
        );
    }
    if let Some(s) = &t.softmax {
        println!(
            "softmax      {} epochs ({} AdamW steps), loss {:.5}, {} training examples wrong, min margin {:.3}{}",
            s.epochs,
            s.steps,
            s.loss_per_epoch.last().unwrap_or(&f64::NAN),
            s.train_errors,
            s.min_train_margin,
            if s.converged { ", converged" } else { "" }
        );
    }
    let e = &r.test;
    println!(
        "held-out     {} traces, {} tokens: token error {} ({}), trace error {} ({}), answer error {} ({})",
        e.traces,
        e.tokens,
        pct(e.token_error_rate),
        e.token_errors,
        pct(e.trace_error_rate),
        e.trace_errors,
        pct(e.answer_error_rate),
        e.answer_errors
    );
    println!(
        "compiled     agrees on {} of tokens and {} of traces ({} / {})",
        pct(e.compiled_token_agreement_rate),
        pct(e.compiled_trace_agreement_rate),
        e.compiled_trace_agreement,
        e.traces
    );
    println!(
        "coverage     {} held-out traces had every context in training; {} of them wrong",
        e.covered_traces, e.covered_trace_errors
    );
    if let Some(c) = &r.certificate {
        println!(
            "certificate  {} local contexts, {} fail, min margin {}{}",
            c.contexts,
            c.failed,
            c.min_margin,
            if c.certified {
                ": certified for every input in the window"
            } else {
                ""
            }
        );
    }
    if let Some(f) = &e.first_failure {
        let d = &f.divergence;
        let cell = d.cell.map_or("SEP".to_string(), |c| format!("cell {c}"));
        println!(
            "divergence   input \"{}\" ({} steps): position {} (step {}, {}): expected {}, got {}; context ({}) = {:?}",
            f.input,
            f.steps,
            d.position,
            d.step,
            cell,
            d.expected.as_deref().unwrap_or("end of trace"),
            d.got.as_deref().unwrap_or("end of trace"),
            arsim::encoding::EncodingKind::from_name(r.encoding).map_or("", |k| k.info().context_names),
            d.context
        );
    }
}

pub fn cmd_sample_complexity(
    m: &Machine,
    opts: &LearnOptions,
    sizes: &str,
    plot: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let sizes = parse_numbers(sizes, "--sample-sizes")?;
    if sizes.contains(&0) {
        return Err(anyhow!("--sample-sizes must be at least 1").into());
    }
    if let Some(path) = &plot {
        arsim::learn::plot::check_path(path).map_err(anyhow::Error::from)?;
    }
    let mut progress = phase_bars(json);
    let report = sample_complexity(m, opts, &sizes, &mut progress)
        .map_err(|e| anyhow::Error::new(e).context(format!("machine {}", m.name())))?;
    drop(progress);
    if let Some(path) = &plot {
        arsim::learn::plot::plot_sample_complexity(&report, path).map_err(anyhow::Error::from)?;
    }
    print_with_plot(&report, plot.as_deref(), json, print_sample_complexity);
    Ok(())
}

/// Prints `report` as JSON with a `plot` key (the figure written, or null), or as text with
/// `text` and a line naming the figure.
fn print_with_plot<R: serde::Serialize>(
    report: &R,
    plot: Option<&std::path::Path>,
    json: bool,
    text: fn(&R),
) {
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert(
                "plot".into(),
                serde_json::json!(plot.map(|p| p.display().to_string())),
            );
        }
        print_json(&value);
    } else {
        text(report);
        if let Some(path) = plot {
            println!("plot         {}", path.display());
        }
    }
}

fn print_sample_complexity(r: &SampleComplexityReport) {
    println!(
        "machine      {} ({}: S = {} cells, |D| = {}), window {}, {} held-out traces, seed {}",
        r.machine,
        r.encoding,
        r.tape_cells,
        r.dictionary,
        r.window.name(),
        r.test_traces,
        r.seed
    );
    let algo = match r.algo {
        Algo::Perceptron => "perceptron",
        Algo::Softmax => "softmax",
    };
    println!(
        "{:>7} {:>9} | {:^34} | {:^38}",
        "",
        "",
        format!("time-invariant ({algo})"),
        "time-dependent (perceptron per position)"
    );
    println!(
        "{:>7} {:>9} | {:>10} {:>10} {:>12} | {:>10} {:>10} {:>16}",
        "traces",
        "examples",
        "trace err",
        "token err",
        "mistakes",
        "trace err",
        "token err",
        "classifiers"
    );
    for row in &r.rows {
        let (a, b) = (&row.time_invariant, &row.time_dependent);
        let ti = |f: fn(&arsim::learn::sample_complexity::SweepPoint) -> String| {
            a.as_ref().map_or("-".to_string(), f)
        };
        println!(
            "{:>7} {:>9} | {:>10} {:>10} {:>12} | {:>10} {:>10} {:>16}",
            row.train_traces,
            row.examples,
            ti(|p| pct(p.trace_error_rate)),
            ti(|p| pct(p.token_error_rate)),
            ti(|p| p.mistakes.map_or("-".to_string(), |m| m.to_string())),
            pct(b.trace_error_rate),
            pct(b.token_error_rate),
            b.classifiers
        );
    }
}

/// The flags of `learn --chain-length`.
pub struct ChainArgs {
    /// The input lengths, as typed.
    pub lengths: String,
    /// --epsilon.
    pub epsilon: Option<f64>,
    /// --budget.
    pub budget: Option<usize>,
    /// --seeds, as typed.
    pub seeds: Option<String>,
    /// --plot-with: earlier reports to draw beside this one.
    pub plot_with: Vec<PathBuf>,
}

/// Reads an earlier `learn --chain-length --json` report.
fn read_chain_report(path: &std::path::Path) -> Result<ChainLengthReport> {
    let text = arsim::fs::read_text_bounded(path, arsim::limits::MAX_FILE)
        .with_context(|| format!("--plot-with {}: cannot read it", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--plot-with {}: not the JSON of `arsim learn --chain-length --json`",
            path.display()
        )
    })
}

pub fn cmd_chain_length(
    m: &Machine,
    opts: &LearnOptions,
    args: &ChainArgs,
    plot: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let lengths = parse_numbers(&args.lengths, "--chain-length lengths")?;
    if lengths.contains(&0) {
        return Err(anyhow!("--chain-length lengths must be at least 1").into());
    }
    let seeds = match &args.seeds {
        Some(text) => parse_numbers(text, "--seeds")?
            .into_iter()
            .map(|s| s as u64)
            .collect(),
        None => vec![opts.seed],
    };
    let defaults = ChainLengthOptions::default();
    let settings = ChainLengthOptions {
        lengths,
        seeds,
        epsilon: args.epsilon.unwrap_or(defaults.epsilon),
        budget: args.budget.unwrap_or(defaults.budget),
    };
    if let Some(path) = &plot {
        arsim::learn::chain_length_plot::check_path(path).map_err(anyhow::Error::from)?;
    }
    // Read the other panels first: a bad file should not cost the run.
    let others = args
        .plot_with
        .iter()
        .map(|p| read_chain_report(p))
        .collect::<Result<Vec<_>>>()?;
    let mut progress = phase_bars(json);
    let report = chain_length(m, opts, &settings, &mut progress)
        .map_err(|e| anyhow::Error::new(e).context(format!("machine {}", m.name())))?;
    drop(progress);
    if let Some(path) = &plot {
        let mut panels = vec![report.clone()];
        panels.extend(others);
        arsim::learn::chain_length_plot::plot_chain_length(&panels, path)
            .map_err(anyhow::Error::from)?;
    }
    print_with_plot(&report, plot.as_deref(), json, print_chain_length);
    Ok(())
}

/// "median (seed, seed, …)", with "> budget" for a seed that did not reach ε.
fn needed_cell(needed: &[Option<usize>], budgets: &[usize]) -> String {
    if needed.is_empty() {
        return "-".into();
    }
    let one = |n: &Option<usize>, b: usize| n.map_or(format!(">{b}"), |n| n.to_string());
    let median = match median_needed(needed) {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
        None => format!(">{}", budgets.iter().max().unwrap_or(&0)),
    };
    if needed.len() == 1 {
        return median;
    }
    let each: Vec<String> = needed
        .iter()
        .zip(budgets)
        .map(|(n, &b)| one(n, b))
        .collect();
    format!("{median} ({})", each.join(", "))
}

fn print_chain_length(r: &ChainLengthReport) {
    println!(
        "machine      {} ({}, window {}, outputs {}), inputs {} with every run of length n",
        r.machine, r.encoding, r.window, r.outputs, r.pattern
    );
    let seeds: Vec<String> = r.seeds.iter().map(u64::to_string).collect();
    println!(
        "target       held-out trace error at most {}: at most {} of {} held-out traces wrong; budget {} traces; seeds {}",
        pct(r.epsilon),
        r.allowed_trace_errors,
        r.test_traces,
        r.budget,
        seeds.join(", ")
    );
    println!(
        "{:>6} {:>5} {:>12} | {:<36} | {:<36}",
        "n",
        "S",
        "T (tokens)",
        format!("time-invariant ({}): traces", r.algo),
        "time-dependent: traces"
    );
    for row in &r.lengths {
        let budgets: Vec<usize> = row.runs.iter().map(|x| x.budget).collect();
        let s = row.runs.first().map_or(0, |x| x.tape_cells);
        println!(
            "{:>6} {:>5} {:>12.1} | {:<36} | {:<36}",
            row.input_length,
            s,
            row.mean_tokens,
            needed_cell(&row.needed(LearnerKind::TimeInvariant), &budgets),
            needed_cell(&row.needed(LearnerKind::TimeDependent), &budgets)
        );
    }
    println!("             (median over seeds, then each seed; >B: not reached within a budget of B traces)");
}
