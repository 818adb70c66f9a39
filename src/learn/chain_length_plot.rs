//! The figure of `arsim learn --chain-length … --plot FILE`: training traces needed for held-out
//! trace error ≤ ε against the chain length T, log-log, one panel per machine, each learner's
//! measurement beside the shape of its bound (proofs/learnability.md#chain-length).
//!
//! The bounds are drawn up to a constant, since their constants are far from any measurement:
//! each bound curve is multiplied by the one factor that puts it on its learner's median at
//! the shortest length where that median was reached, so the figure compares growth rates, not
//! values. Drawn with plotters through [`crate::draw::plot::render`] (SVG, or PNG).

use super::chain_length::{median_needed, ChainLengthReport};
use super::LearnerKind;
pub use crate::draw::plot::{check_path, PlotError};
use crate::draw::plot::{log_tick, render};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The confidence parameter δ the bound curves are drawn with.
pub(crate) const DELTA: f64 = 0.05;

/// Theorem 1's traces for the per-position learner, up to the factor 1/ε: T · (d + ln(T/δ)),
/// i.e. m(ε/T, δ/T) = (ln|ℋ| + ln(T/δ)) / (ε/T) with ln|ℋ| taken as d, the weights of one
/// classifier.
pub(crate) fn time_dependent_bound(t: f64, d: f64, delta: f64) -> f64 {
    t * (d + (t / delta).ln())
}

/// The time-invariant learner's traces with chain-of-thought supervision, up to the factor
/// 1/ε: d · ln T + ln(1/δ), the form logarithmic in T of Joshi et al. (COLT 2025) for a class of
/// VC dimension d (for a finite class, Theorem 3 of proofs/learnability.md drops the ln T).
pub(crate) fn time_invariant_bound(t: f64, d: f64, delta: f64) -> f64 {
    d * t.ln() + (1.0 / delta).ln()
}

/// Width of one panel and the figure's height, in pixels.
const PANEL: (u32, u32) = (620, 500);

/// Writes one panel per report to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_chain_length(reports: &[ChainLengthReport], path: &Path) -> Result<(), PlotError> {
    let width = PANEL.0 * reports.len().max(1) as u32;
    let size = (width, PANEL.1 + legend_height(width));
    render(path, size, &|root| draw(root, reports), &|root| {
        draw(root, reports)
    })
}

/// A learner's measured points and bound in one panel.
struct Series {
    /// (log₂ T, log₂ traces) of each seed that reached ε.
    seeds: Vec<(f64, f64)>,
    /// (log₂ T, log₂ traces) of each seed that did not, placed at its budget.
    not_reached: Vec<(f64, f64)>,
    /// (log₂ T, log₂ median) where the median was reached.
    medians: Vec<(f64, f64)>,
    /// The scaled bound, sampled along the panel's T range.
    bound: Vec<(f64, f64)>,
}

fn series(report: &ChainLengthReport, kind: LearnerKind, t_range: (f64, f64)) -> Series {
    let mut s = Series {
        seeds: Vec::new(),
        not_reached: Vec::new(),
        medians: Vec::new(),
        bound: Vec::new(),
    };
    let mut anchor = None;
    for row in &report.lengths {
        if row.mean_tokens <= 0.0 {
            continue;
        }
        let x = row.mean_tokens.log2();
        for run in &row.runs {
            match run.search(kind).map(|r| r.needed) {
                Some(Some(n)) => s.seeds.push((x, (n as f64).log2())),
                Some(None) => s.not_reached.push((x, (run.budget as f64).log2())),
                None => {}
            }
        }
        if let Some(m) = median_needed(&row.needed(kind)) {
            s.medians.push((x, m.log2()));
            let d = row.runs.first().map_or(1, |r| r.classifier_weights) as f64;
            anchor.get_or_insert((row.mean_tokens, m, d));
        }
    }
    let bound = |t: f64, d: f64| match kind {
        LearnerKind::TimeDependent => time_dependent_bound(t, d, DELTA),
        LearnerKind::TimeInvariant => time_invariant_bound(t, d, DELTA),
    };
    if let Some((t0, m0, d)) = anchor {
        let scale = m0 / bound(t0, d);
        let (a, b) = t_range;
        s.bound = (0..=60)
            .map(|i| a + (b - a) * i as f64 / 60.0)
            .map(|x| (x, (scale * bound(x.exp2(), d)).log2()))
            .collect();
    }
    s
}

/// The two learners' names and colours, in drawing order.
const LEARNERS: [(LearnerKind, &str, RGBColor); 2] = [
    (LearnerKind::TimeInvariant, "time-invariant", BLUE),
    (LearnerKind::TimeDependent, "time-dependent", RED),
];

/// What a legend entry shows.
#[derive(Clone, Copy)]
enum Mark {
    Median,
    Seed,
    NotReached,
    Bound,
}

/// The bound's formula as drawn: δ = 0.05 written out, 1/δ = 20 (the PNG font has no δ).
fn formula(kind: LearnerKind) -> &'static str {
    match kind {
        LearnerKind::TimeDependent => "bound ~ T (d + ln 20T)",
        LearnerKind::TimeInvariant => "bound ~ d ln T + ln 20",
    }
}

/// Width of one legend entry and height of one legend line, in pixels.
const ENTRY: (i32, i32) = (380, 20);

/// Legend entries per line for a figure `width` pixels wide.
fn per_line(width: u32) -> usize {
    ((width as i32 - 20) / ENTRY.0).clamp(1, 8) as usize
}

/// One legend shared by the panels, above them (inside a panel it would hide points).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    width: u32,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let marks = [Mark::Median, Mark::Seed, Mark::NotReached, Mark::Bound];
    let per_line = per_line(width);
    let entries = LEARNERS
        .iter()
        .flat_map(|&(kind, name, color)| marks.map(|m| (kind, name, color, m)));
    for (i, (kind, name, color, mark)) in entries.enumerate() {
        let x = 20 + ENTRY.0 * (i % per_line) as i32;
        let y = 14 + ENTRY.1 * (i / per_line) as i32;
        let label = match mark {
            Mark::Median => format!("{name}: median of seeds"),
            Mark::Seed => format!("{name}: one seed"),
            Mark::NotReached => format!("{name}: not reached within budget"),
            Mark::Bound => format!("{name} {}", formula(kind)),
        };
        match mark {
            Mark::Median => {
                area.draw(&PathElement::new(
                    [(x, y), (x + 24, y)],
                    color.stroke_width(2),
                ))
                .map_err(err)?;
                area.draw(&Circle::new((x + 12, y), 4, color.filled()))
                    .map_err(err)?;
            }
            Mark::Seed => area
                .draw(&Cross::new((x + 12, y), 4, color.mix(0.6)))
                .map_err(err)?,
            Mark::NotReached => area
                .draw(&TriangleMarker::new((x + 12, y), 6, color.stroke_width(1)))
                .map_err(err)?,
            Mark::Bound => {
                for dash in [0, 10, 20] {
                    area.draw(&PathElement::new(
                        [(x + dash, y), (x + dash + 5, y)],
                        color.mix(0.7).stroke_width(1),
                    ))
                    .map_err(err)?;
                }
            }
        }
        area.draw(&Text::new(label, (x + 32, y - 7), ("sans-serif", 13)))
            .map_err(err)?;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    reports: &[ChainLengthReport],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    if reports.is_empty() {
        return Err("no report to draw".into());
    }
    let width = root.dim_in_pixel().0;
    let (legend, charts) = root.split_vertically(legend_height(width));
    draw_legend(&legend, width)?;
    let y_max = reports
        .iter()
        .flat_map(|r| {
            r.lengths
                .iter()
                .flat_map(|l| l.runs.iter().map(|x| x.budget))
        })
        .max()
        .unwrap_or(2)
        .max(2) as f64;
    let y_max = y_max.log2() + 0.5;
    let panels = charts.split_evenly((1, reports.len()));
    for (panel, report) in panels.iter().zip(reports) {
        let ts: Vec<f64> = report
            .lengths
            .iter()
            .map(|l| l.mean_tokens)
            .filter(|&t| t > 0.0)
            .map(f64::log2)
            .collect();
        let (t0, t1) = ts
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
        if ts.is_empty() {
            return Err(format!("{}: no length generated a token", report.machine));
        }
        let (x0, x1) = (t0 - 0.4, t1 + 0.4);
        let title = format!(
            "{}: trace error at most {}%",
            report.machine,
            report.epsilon * 100.0
        );
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 16))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, -0.3f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("chain length T: mean tokens per trace (log scale)")
            .y_desc("training traces needed (log scale)")
            .x_label_formatter(&|x| log_tick(*x, 2.0))
            .y_label_formatter(&|y| log_tick(*y, 2.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        for (kind, _, color) in LEARNERS {
            let s = series(report, kind, (x0, x1));
            if !s.medians.is_empty() {
                chart
                    .draw_series(LineSeries::new(s.medians.clone(), color.stroke_width(2)))
                    .map_err(err)?;
                chart
                    .draw_series(s.medians.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(err)?;
            }
            chart
                .draw_series(s.seeds.iter().map(|&p| Cross::new(p, 4, color.mix(0.6))))
                .map_err(err)?;
            chart
                .draw_series(
                    s.not_reached
                        .iter()
                        .map(|&p| TriangleMarker::new(p, 6, color.stroke_width(1))),
                )
                .map_err(err)?;
            // Only the part inside the panel: plotters would draw the rest along its edge.
            let inside: Vec<(f64, f64)> = s.bound.into_iter().filter(|p| p.1 <= y_max).collect();
            if !inside.is_empty() {
                chart
                    .draw_series(DashedLineSeries::new(
                        inside,
                        6,
                        5,
                        color.mix(0.7).stroke_width(1),
                    ))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Height of the legend strip for a figure `width` pixels wide.
fn legend_height(width: u32) -> u32 {
    let lines = (2 * 4usize).div_ceil(per_line(width)) as u32;
    lines * ENTRY.1 as u32 + 12
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::chain_length::{ChainLengthRow, Probe, Search, SeedRun};

    fn search(needed: Option<usize>) -> Search {
        Search {
            needed,
            probes: vec![Probe {
                train_traces: needed.unwrap_or(64),
                trace_errors: 0,
                trace_error_rate: 0.0,
                token_error_rate: 0.0,
                classifiers: 1,
            }],
        }
    }

    fn report() -> ChainLengthReport {
        let row = |n: usize, t: f64, ti: usize, td: Option<usize>| ChainLengthRow {
            input_length: n,
            mean_tokens: t,
            runs: vec![SeedRun {
                seed: 1,
                budget: 64,
                tape_cells: n + 2,
                mean_tokens: t,
                classifier_weights: 100,
                time_invariant: Some(search(Some(ti))),
                time_dependent: search(td),
            }],
        };
        ChainLengthReport {
            machine: "demo".into(),
            encoding: "cells".into(),
            algo: "perceptron".into(),
            window: "local".into(),
            outputs: "parts".into(),
            pattern: "[01]*".into(),
            epsilon: 0.05,
            allowed_trace_errors: 1,
            test_traces: 20,
            budget: 64,
            seeds: vec![1],
            max_steps: 100,
            lengths: vec![
                row(4, 100.0, 2, Some(8)),
                row(8, 400.0, 2, Some(32)),
                row(16, 1600.0, 1, None),
            ],
        }
    }

    #[test]
    fn bounds_are_anchored_on_the_first_reached_median() {
        let r = report();
        let s = series(
            &r,
            LearnerKind::TimeDependent,
            (100f64.log2(), 1600f64.log2()),
        );
        assert_eq!(s.medians.len(), 2);
        assert_eq!(s.not_reached, vec![(1600f64.log2(), 6.0)]);
        // The bound's first sample is at T = 100, where the median is 8 traces.
        let (x, y) = s.bound[0];
        assert!(
            (x - 100f64.log2()).abs() < 1e-9 && (y - 3.0).abs() < 1e-9,
            "{x} {y}"
        );
        // Per position: growing faster than T from there.
        let (_, y_end) = *s.bound.last().unwrap();
        assert!(y_end > 3.0 + 4.0, "{y_end}");
        assert!(
            time_invariant_bound(1600.0, 100.0, DELTA)
                < 2.0 * time_invariant_bound(100.0, 100.0, DELTA)
        );
    }

    #[test]
    fn writes_one_panel_per_report_as_svg_or_png() {
        let dir = tempfile::tempdir().unwrap();
        let mut other = report();
        other.machine = "other".into();
        let svg = dir.path().join("c.svg");
        plot_chain_length(&[report(), other.clone()], &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("demo") && text.contains("other"));
        assert!(text.contains("not reached within budget"));
        let png = dir.path().join("c.png");
        plot_chain_length(&[other], &png).unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
        assert!(plot_chain_length(&[], &dir.path().join("e.svg")).is_err());
    }
}
