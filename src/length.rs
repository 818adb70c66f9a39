//! Length complexity, measured: how many chain-of-thought tokens a run needs as the tape window
//! or the input grows, per encoding.
//!
//! Every figure is measured by running the encoding's predictor through the executor and the
//! verifier (so each counted token was also checked), then compared with the encoding's closed
//! formula (for `cells`, T·(S+1)). Growth against input length is summarised by a log-log
//! least-squares fit, tokens ≈ c·n^k, with its R².

use crate::draw::plot::{
    chart_with_legend, draw_series, render, Frame, LegendEntry, PlotError, Series,
};
use crate::emulate::{emulate_compiled, EmulateError, EmulateOptions, EmulationReport};
use crate::encoding::{AnyEncoding, Encoding, EncodingInfo, EncodingKind};
use crate::interpreter;
use crate::machine::{Input, Machine};
use crate::window::Window;
use plotters::coord::Shift;
use plotters::prelude::*;
use rand::SeedableRng;
use serde::Serialize;
use std::path::Path;

/// What to vary.
#[derive(Clone, Debug)]
pub enum Plan {
    /// A fixed input on windows of the given sizes (the start cell placed as far right as the
    /// run needs, so that it stays inside whenever the window is large enough).
    Tapes {
        /// The input (random inputs start the head on cell 0).
        input: Input,
        /// Window sizes S.
        tapes: Vec<usize>,
    },
    /// Random inputs of the given lengths (from the machine's input distribution), each on the
    /// window its run visits.
    Inputs {
        /// Input lengths.
        lengths: Vec<usize>,
        /// Inputs drawn per length.
        samples: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

impl Plan {
    /// Checks what the plan allocates before any run: each random input no longer than a
    /// window holds, and the runs (an input and a report row each, about 256 bytes and 8 a
    /// cell of the longest input) within [`crate::limits::MEMORY_LIMIT`].
    pub fn check(&self) -> Result<(), crate::limits::SizeError> {
        if let Plan::Inputs {
            lengths, samples, ..
        } = self
        {
            let longest = lengths.iter().copied().max().unwrap_or(0);
            crate::limits::check_at_most(
                "cells of a random input",
                longest as u64,
                crate::limits::MAX_WINDOW as u64,
                "cells of the widest tape window",
            )?;
            crate::limits::check_count(
                "random inputs (the lengths times the inputs per length)",
                (lengths.len() as u64).saturating_mul(*samples as u64),
                256 + 8 * longest as u64,
            )?;
        }
        Ok(())
    }
}

/// One measured run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LengthRow {
    /// The encoding.
    pub encoding: &'static str,
    /// The input word (without a head marker).
    pub input: String,
    /// The input's cell the head started on (0: its first).
    pub head_start: usize,
    /// Its length n.
    pub input_len: usize,
    /// Steps T of the run covered.
    pub steps: u64,
    /// How the run ended (halted, no-rule, step-limit, left-window).
    pub stop: String,
    /// Window size S.
    pub tape_cells: usize,
    /// Tokens the predictor generated (measured).
    pub generated_tokens: u64,
    /// Generated tokens per step.
    pub tokens_per_step: f64,
    /// The encoding's formula, e.g. `T·(S+1)`.
    pub formula: &'static str,
    /// The formula's value for this run.
    pub formula_tokens: u64,
    /// Whether the measured count equals the formula.
    pub matches_formula: bool,
    /// Whether every generated token agreed with the interpreter.
    pub agree: bool,
}

/// A fit of tokens ≈ c·n^k over the rows of one encoding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// The encoding.
    pub encoding: &'static str,
    /// The growth exponent k.
    pub exponent: f64,
    /// The constant c.
    pub constant: f64,
    /// Coefficient of determination of the log-log fit.
    pub r2: f64,
    /// Rows used (those with n > 0 and tokens > 0).
    pub points: usize,
}

/// The measurements of `arsim length`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LengthReport {
    /// The machine.
    pub machine: String,
    /// `tapes` or `inputs`.
    pub mode: &'static str,
    /// One row per run and encoding.
    pub rows: Vec<LengthRow>,
    /// Growth exponents against input length (`inputs` mode; against S in `tapes` mode).
    pub fits: Vec<Fit>,
    /// Whether every row matched its formula and agreed with the interpreter.
    pub all_match: bool,
    /// Each measured encoding's name and colour, in order (for the plot; not in the JSON).
    #[serde(skip)]
    pub colours: Vec<(&'static str, (u8, u8, u8))>,
}

/// The runs a plan measures: each input, with its window (`None`: the cells its run visits).
fn runs_of(machine: &Machine, plan: &Plan, max_steps: u64) -> Vec<(Input, Option<Window>)> {
    match plan {
        Plan::Tapes { input, tapes } => {
            let run = interpreter::run(machine, input, max_steps);
            let origin = (-run.cells[0].min(0)) as usize;
            tapes
                .iter()
                .map(|&s| {
                    (
                        input.clone(),
                        Some(Window {
                            size: s,
                            origin: origin.min(s.saturating_sub(1)),
                        }),
                    )
                })
                .collect()
        }
        Plan::Inputs {
            lengths,
            samples,
            seed,
        } => {
            let dist = machine.input_pattern();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(*seed);
            lengths
                .iter()
                .flat_map(|&n| (0..*samples).map(move |_| n))
                .map(|n| (dist.sample(n, &mut rng).into(), None))
                .collect()
        }
    }
}

/// Measures length complexity for `machine` under each of arsim's encodings `kinds`.
pub fn measure(
    machine: &Machine,
    kinds: &[EncodingKind],
    plan: &Plan,
    max_steps: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LengthReport, EmulateError> {
    plan.check()?;
    let runs = runs_of(machine, plan, max_steps);
    let total = runs.len() * kinds.len();
    let mut rows = Vec::with_capacity(total);
    let mut infos = Vec::with_capacity(kinds.len());
    for &kind in kinds {
        infos.push(kind.info());
        let make = |w: Window| {
            AnyEncoding::check_window(kind, machine, w.size)?;
            Ok(AnyEncoding::new(kind, machine, w)?)
        };
        rows_of(machine, &make, &runs, max_steps, &mut rows, &mut |n| {
            progress(n, total)
        })?;
    }
    Ok(report(machine, plan, rows, &infos))
}

/// Measures length complexity for `machine` under any encoding, built on each run's window by
/// `make` (an encoding defined outside arsim goes through here as arsim's own do).
pub fn measure_with<E: Encoding>(
    machine: &Machine,
    make: &dyn Fn(Window) -> Result<E, EmulateError>,
    plan: &Plan,
    max_steps: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LengthReport, EmulateError> {
    plan.check()?;
    let runs = runs_of(machine, plan, max_steps);
    let total = runs.len();
    let mut rows = Vec::with_capacity(total);
    rows_of(machine, make, &runs, max_steps, &mut rows, &mut |n| {
        progress(n, total)
    })?;
    let infos: Vec<&'static EncodingInfo> = match runs.first() {
        Some((input, window)) => {
            let opts = EmulateOptions {
                input: input.clone(),
                window: *window,
                max_steps,
            };
            vec![make(opts.window_for(machine))?.info()]
        }
        None => Vec::new(),
    };
    Ok(report(machine, plan, rows, &infos))
}

/// One row per run under the encoding `make` builds, each run compiled, emulated and checked.
fn rows_of<E: Encoding>(
    machine: &Machine,
    make: &dyn Fn(Window) -> Result<E, EmulateError>,
    runs: &[(Input, Option<Window>)],
    max_steps: u64,
    rows: &mut Vec<LengthRow>,
    progress: &mut dyn FnMut(usize),
) -> Result<(), EmulateError> {
    for (input, window) in runs {
        let opts = EmulateOptions {
            input: input.clone(),
            window: *window,
            max_steps,
        };
        let enc = make(opts.window_for(machine))?;
        let r = emulate_compiled(&enc, machine, &opts, &mut |_| {})?;
        rows.push(row(enc.info(), input.len(), &r));
        progress(rows.len());
    }
    Ok(())
}

/// The report of `rows`, with one fit per encoding of `infos` (in their order).
fn report(
    machine: &Machine,
    plan: &Plan,
    rows: Vec<LengthRow>,
    infos: &[&'static EncodingInfo],
) -> LengthReport {
    let x = |r: &LengthRow| match plan {
        Plan::Tapes { .. } => r.tape_cells as f64,
        Plan::Inputs { .. } => r.input_len as f64,
    };
    let fits = infos
        .iter()
        .filter_map(|info| {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.encoding == info.name && x(r) > 0.0 && r.generated_tokens > 0)
                .map(|r| (x(r), r.generated_tokens as f64))
                .collect();
            fit_power_law(&pts).map(|(exponent, constant, r2)| Fit {
                encoding: info.name,
                exponent,
                constant,
                r2,
                points: pts.len(),
            })
        })
        .collect();
    let all_match = rows.iter().all(|r| r.matches_formula && r.agree);
    LengthReport {
        machine: machine.name().to_string(),
        mode: match plan {
            Plan::Tapes { .. } => "tapes",
            Plan::Inputs { .. } => "inputs",
        },
        rows,
        fits,
        all_match,
        colours: infos.iter().map(|i| (i.name, i.colour)).collect(),
    }
}

fn row(info: &'static EncodingInfo, input_len: usize, r: &EmulationReport) -> LengthRow {
    LengthRow {
        encoding: info.name,
        input: r.input.clone(),
        head_start: r.head_start,
        input_len,
        steps: r.steps,
        stop: r.stop.clone(),
        tape_cells: r.tape_cells,
        generated_tokens: r.generated_tokens,
        tokens_per_step: if r.steps > 0 {
            r.generated_tokens as f64 / r.steps as f64
        } else {
            0.0
        },
        formula: info.length_formula,
        formula_tokens: r.expected_tokens,
        matches_formula: r.generated_tokens == r.expected_tokens,
        agree: r.agree,
    }
}

/// Draws tokens against S (`tapes`) or n (`inputs`) on log-log axes, one line per encoding, to
/// `path` (`.svg` or `.png`), written whole.
pub fn plot(report: &LengthReport, path: &Path) -> Result<(), PlotError> {
    render(path, (800, 500), &|root| draw(root, report), &|root| {
        draw(root, report)
    })
}

/// Radius of a run's dot, and width of the lines, in pixels.
const DOT: u32 = 3;
const STROKE: u32 = 2;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &LengthReport,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let tapes = report.mode == "tapes";
    let x = |r: &LengthRow| {
        if tapes {
            r.tape_cells as f64
        } else {
            r.input_len as f64
        }
    };
    let pts: Vec<(&str, f64, f64)> = report
        .rows
        .iter()
        .filter(|r| x(r) > 0.0 && r.generated_tokens > 0)
        .map(|r| {
            (
                r.encoding,
                x(r).log10(),
                (r.generated_tokens as f64).log10(),
            )
        })
        .collect();
    if pts.is_empty() {
        return Err("no run generated tokens; nothing to plot".into());
    }
    let (x0, x1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (y0, y1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.2), b.max(p.2)));
    let against = if tapes {
        "tape window S"
    } else {
        "input length n"
    };
    // Per encoding: every run as a dot, and a line through the mean (in log space) of the runs
    // at each x.
    let mut series: Vec<Series> = Vec::new();
    for &(name, (r, g, b)) in &report.colours {
        let colour = RGBColor(r, g, b);
        let mut dots: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.0 == name)
            .map(|p| (p.1, p.2))
            .collect();
        if dots.is_empty() {
            continue;
        }
        dots.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut means: Vec<(f64, f64, usize)> = Vec::new();
        for &(px, py) in &dots {
            match means.last_mut() {
                Some(m) if (m.0 - px).abs() < 1e-12 => {
                    m.1 += py;
                    m.2 += 1;
                }
                _ => means.push((px, py, 1)),
            }
        }
        let line: Vec<(f64, f64)> = means.iter().map(|m| (m.0, m.1 / m.2 as f64)).collect();
        let label = match report.fits.iter().find(|f| f.encoding == name) {
            Some(f) => format!(
                "{name}: tokens ~ {}^{:.2}",
                if tapes { "S" } else { "n" },
                f.exponent
            ),
            None => name.to_string(),
        };
        series.push(Series {
            entry: LegendEntry {
                label,
                color: colour,
                stroke: STROKE,
            },
            line,
            dots,
            dot_radius: DOT,
        });
    }
    // A smaller title and room for y labels like "10000".
    let frame = Frame {
        title_size: 15,
        y_label_area: 64,
        ..Frame::new(
            format!("{}: length complexity", report.machine),
            x0 - 0.1..x1 + 0.1,
            y0 - 0.2..y1 + 0.2,
        )
    };
    let (mut chart, legend) = chart_with_legend(root, &frame, &series, 13)?;
    let pow10 = |v: &f64| crate::draw::plot::log_tick(*v, 10.0);
    chart
        .configure_mesh()
        .x_desc(format!("{against} (log scale)"))
        .y_desc("generated tokens (log scale)")
        .x_label_formatter(&pow10)
        .y_label_formatter(&pow10)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    draw_series(&mut chart, &series)?;
    legend.draw(root)
}

/// Least squares of ln y = ln c + k ln x: returns (k, c, R²), or `None` with fewer than two
/// distinct x.
pub(crate) fn fit_power_law(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let pts: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    if pts.len() < 2 || sxx <= 1e-12 {
        return None;
    }
    let k = sxy / sxx;
    let r2 = if syy <= 1e-12 {
        1.0
    } else {
        (sxy * sxy) / (sxx * syy)
    };
    Some((k, (my - k * mx).exp(), r2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn power_law_fit_recovers_exponent() {
        let pts: Vec<(f64, f64)> = [2.0, 4.0, 8.0, 16.0]
            .iter()
            .map(|&x: &f64| (x, 3.0 * x.powf(2.5)))
            .collect();
        let (k, c, r2) = fit_power_law(&pts).unwrap();
        assert!((k - 2.5).abs() < 1e-9 && (c - 3.0).abs() < 1e-9 && (r2 - 1.0).abs() < 1e-9);
        assert!(fit_power_law(&[(2.0, 1.0)]).is_none());
    }

    #[test]
    fn tapes_rows_match_the_formula() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let plan = Plan::Tapes {
            input: Input::default(),
            tapes: vec![4, 8, 16],
        };
        let r = measure(&m, &[EncodingKind::Cells], &plan, 1000, &mut |_, _| {}).unwrap();
        assert!(r.all_match);
        let tokens: Vec<u64> = r.rows.iter().map(|r| r.generated_tokens).collect();
        assert_eq!(tokens, [6 * 5, 6 * 9, 6 * 17]);
        // A window too small is measured too: the run leaves it.
        let plan = Plan::Tapes {
            input: Input::default(),
            tapes: vec![2],
        };
        let r = measure(&m, &[EncodingKind::Cells], &plan, 1000, &mut |_, _| {}).unwrap();
        assert_eq!(r.rows[0].stop, "left-window");
    }

    /// A `tapes` report of `(encoding, S, tokens)` rows.
    fn report_of(rows: &[(&'static str, usize, u64)]) -> LengthReport {
        LengthReport {
            machine: "demo".into(),
            mode: "tapes",
            rows: rows
                .iter()
                .map(|&(encoding, s, tokens)| LengthRow {
                    encoding,
                    input: String::new(),
                    head_start: 0,
                    input_len: 0,
                    steps: tokens / (s as u64 + 1),
                    stop: "halted".into(),
                    tape_cells: s,
                    generated_tokens: tokens,
                    tokens_per_step: (s + 1) as f64,
                    formula: "T·(S+1)",
                    formula_tokens: tokens,
                    matches_formula: true,
                    agree: true,
                })
                .collect(),
            fits: vec![],
            all_match: true,
            colours: EncodingKind::ALL
                .iter()
                .map(|k| (k.name(), k.info().colour))
                .collect(),
        }
    }

    #[test]
    fn the_legend_stays_off_the_runs() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("l.svg");
        // cells growing into the upper right (plotters' default legend corner) and gates flat
        // along the top: the legend must find another corner.
        let grows = report_of(&[
            ("cells", 8, 90),
            ("cells", 16, 1_000),
            ("cells", 32, 10_000),
            ("cells", 64, 100_000),
            ("gates", 8, 100_000),
            ("gates", 64, 100_000),
        ]);
        plot(&grows, &svg).unwrap();
        crate::draw::plot::svg_check::assert_legend_off_data(
            &std::fs::read_to_string(&svg).unwrap(),
            (800, 500),
        );
        // An X of runs through all four corners: the legend goes below the plot.
        let crossed = report_of(&[
            ("cells", 8, 10),
            ("cells", 64, 100_000),
            ("sweep", 8, 100_000),
            ("sweep", 64, 10),
        ]);
        plot(&crossed, &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        let legend = crate::draw::plot::svg_check::assert_legend_off_data(&text, (800, 500));
        assert!(legend.top > 400, "{legend:?} is below the plot");
    }
}
