//! The sample-complexity figure of `arsim learn --sweep … --plot FILE`: held-out trace error
//! against training traces (log scale), one line per learner, as SVG or PNG.
//!
//! Drawn with plotters through [`crate::draw::plot::render`] (SVG, or PNG on its bitmap-font
//! pixel backend).

use super::sample_complexity::SweepReport;
pub use crate::draw::plot::{check_path, PlotError};
use crate::draw::plot::{legend_label, render};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 500);

/// Writes the sweep's figure to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_sweep(report: &SweepReport, path: &Path) -> Result<(), PlotError> {
    render(path, SIZE, &|root| draw(root, report, false), &|root| {
        draw(root, report, true)
    })
}

/// The chart itself, on any backend. `bitmap_font`: legend labels get room for the 8-pixel
/// glyphs of [`Raster`] (plotters sizes the legend box with its own narrower estimate).
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &SweepReport,
    bitmap_font: bool,
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
    let title = format!("{}: held-out trace error", report.machine);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.2f64..x_max + 0.2, 0f64..1.05f64)
        .map_err(err)?;
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
    let series = [
        ("time-invariant", BLUE, true),
        ("time-dependent", RED, false),
    ];
    for (name, color, invariant) in series {
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
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(legend_label(name, bitmap_font))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::sample_complexity::{SweepPoint, SweepRow};
    use crate::learn::{Algo, InputsSummary};

    fn report() -> SweepReport {
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
        SweepReport {
            machine: "demo".into(),
            encoding: "cells",
            algo: Algo::Perceptron,
            window: crate::learn::dataset::WindowKind::All,
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
                first_training_inputs: vec![],
            },
            rows: [(1, 0.9, 1.0), (2, 0.3, 1.0), (4, 0.0, 0.7)]
                .into_iter()
                .map(|(n, a, b)| SweepRow {
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
        plot_sweep(&report(), &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("time-dependent"));
        let png = dir.path().join("s.png");
        plot_sweep(&report(), &png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let err = plot_sweep(&report(), &dir.path().join("s.pdf")).unwrap_err();
        assert!(err.to_string().contains("s.pdf"), "{err}");
    }
}
