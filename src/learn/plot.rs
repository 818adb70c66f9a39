//! The sample-complexity figure of `arsim learn --sample-sizes … --plot FILE`: held-out trace error
//! against training traces (log scale), one line per learner, as SVG or PNG.
//!
//! Drawn with plotters through [`crate::draw::plot::render`] (SVG, or PNG on its bitmap-font
//! pixel backend).

use super::sample_complexity::SampleComplexityReport;
use crate::draw::plot::{chart_with_legend, draw_series, render, Frame, LegendEntry, Series};
pub use crate::draw::plot::{check_path, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 500);

/// Writes the sweep's figure to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_sample_complexity(
    report: &SampleComplexityReport,
    path: &Path,
) -> Result<(), PlotError> {
    render(path, SIZE, &|root| draw(root, report), &|root| {
        draw(root, report)
    })
}

/// Radius of a measured point, and width of the lines through them, in pixels.
const DOT: u32 = 4;
const STROKE: u32 = 2;

/// The chart itself, on any backend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &SampleComplexityReport,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let largest = report
        .rows
        .iter()
        .map(|r| r.train_traces)
        .max()
        .unwrap_or(1)
        .max(2);
    let x_max = (largest as f64).log2();
    let series: Vec<Series> = [
        ("time-invariant", BLUE, true),
        ("time-dependent", RED, false),
    ]
    .into_iter()
    .map(|(name, color, invariant)| {
        let points: Vec<(f64, f64)> = report
            .rows
            .iter()
            .filter_map(|r| {
                let p = if invariant {
                    r.time_invariant.as_ref()?
                } else {
                    &r.time_dependent
                };
                Some(((r.train_traces as f64).log2(), p.trace_error_rate))
            })
            .collect();
        Series {
            entry: LegendEntry {
                label: name.to_string(),
                color,
                stroke: STROKE,
            },
            line: points.clone(),
            dots: points,
            dot_radius: DOT,
        }
    })
    .filter(|s| !s.dots.is_empty())
    .collect();
    let frame = Frame::new(
        format!("{}: held-out trace error", report.machine),
        -0.2..x_max + 0.2,
        0.0..1.05,
    );
    let (mut chart, legend) = chart_with_legend(root, &frame, &series, 14)?;
    chart
        .configure_mesh()
        .x_desc("training traces (log scale)")
        .y_desc(format!("trace error ({} held-out)", report.test_traces))
        .x_labels((x_max.ceil() as usize + 1).min(12))
        .x_label_formatter(&|x| crate::draw::plot::log_tick(*x, 2.0))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    draw_series(&mut chart, &series)?;
    legend.draw(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::sample_complexity::{SweepPoint, SweepRow};
    use crate::learn::{Algo, InputsSummary};

    fn report() -> SampleComplexityReport {
        report_of(&[(1, 0.9, 1.0), (2, 0.3, 1.0), (4, 0.0, 0.7)])
    }

    /// A report whose rows are (training traces, time-invariant error, time-dependent error).
    fn report_of(rows: &[(usize, f64, f64)]) -> SampleComplexityReport {
        let point = |e: f64| SweepPoint {
            trace_errors: 0,
            trace_error_rate: e,
            token_error_rate: e / 10.0,
            answer_error_rate: e,
            covered_traces: 0,
            distinct_examples: 1,
            classifiers: 1,
            mistakes: Some(1),
            passes: 1,
            converged: true,
            seconds: 0.0,
        };
        SampleComplexityReport {
            machine: "demo".into(),
            encoding: "cells",
            algo: Algo::Perceptron,
            window: crate::encoding::WindowKind::All,
            outputs: crate::learn::outputs::OutputKind::Parts,
            tape_cells: 3,
            origin: 0,
            dictionary: 4,
            seed: 1,
            test_traces: 10,
            max_steps: 10,
            inputs: InputsSummary {
                distribution: "random",
                pattern: None,
                lengths: None,
                eval_lengths: None,
                first_training_inputs: vec![],
            },
            rows: rows
                .iter()
                .map(|&(n, a, b)| SweepRow {
                    train_traces: n,
                    examples: n as u64,
                    time_invariant: Some(point(a)),
                    time_dependent: point(b),
                })
                .collect(),
        }
    }

    #[test]
    fn writes_svg_and_png_and_refuses_other_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("s.svg");
        plot_sample_complexity(&report(), &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("time-dependent"));
        let png = dir.path().join("s.png");
        plot_sample_complexity(&report(), &png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let err = plot_sample_complexity(&report(), &dir.path().join("s.pdf")).unwrap_err();
        assert!(err.to_string().contains("s.pdf"), "{err}");
    }

    #[test]
    fn the_legend_stays_off_data_in_the_upper_right() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("s.svg");
        // The time-dependent learner flat at 100% along the top, the time-invariant one
        // climbing into the upper right (plotters' default legend corner); then an X, one
        // learner falling from 100% to 0% and the other rising: a line out of every corner,
        // so the legend goes below the plot.
        let cases = [
            [(1, 0.0, 1.0), (2, 0.2, 1.0), (4, 0.6, 1.0), (8, 1.0, 1.0)],
            [(1, 1.0, 0.0), (2, 0.6, 0.3), (4, 0.3, 0.6), (8, 0.0, 1.0)],
        ];
        for rows in cases {
            plot_sample_complexity(&report_of(&rows), &svg).unwrap();
            let text = std::fs::read_to_string(&svg).unwrap();
            crate::draw::plot::svg_check::assert_legend_off_data(&text, SIZE);
        }
    }
}
