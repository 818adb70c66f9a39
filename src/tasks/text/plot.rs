//! The learning-curve figure of `arsim task text --plot FILE`: the model's validation bits per
//! byte against training tokens seen, beside the n-gram baselines as horizontal lines, as SVG
//! or PNG (through [`crate::draw::plot::render`]).

use super::experiment::TextReport;
use crate::draw::plot::{chart_with_legend, draw_series, render, Frame, LegendEntry, Series};
pub use crate::draw::plot::{check_path, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 500);

/// Writes the report's learning curve to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_curve(report: &TextReport, path: &Path) -> Result<(), PlotError> {
    let curve = Curve {
        model: &report.neural.model,
        points: report
            .neural
            .curve
            .iter()
            .map(|c| (c.train_tokens_seen as f64 / 1e6, c.validation_bits_per_byte))
            .collect(),
        baselines: report
            .baselines
            .models
            .iter()
            .map(|m| (m.model.as_str(), m.validation.bits_per_byte))
            .collect(),
    };
    write_curve(&curve, path)
}

/// What the figure shows of a report.
struct Curve<'a> {
    /// The model's name.
    model: &'a str,
    /// (millions of training tokens seen, validation bits per byte).
    points: Vec<(f64, f64)>,
    /// Each n-gram baseline's name and validation bits per byte.
    baselines: Vec<(&'a str, f64)>,
}

fn write_curve(curve: &Curve<'_>, path: &Path) -> Result<(), PlotError> {
    render(path, SIZE, &|root| draw(root, curve), &|root| {
        draw(root, curve)
    })
}

/// Radius of a validation point, and width of the model's line, in pixels.
const DOT: u32 = 3;
const STROKE: u32 = 2;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curve: &Curve<'_>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let (points, baselines) = (&curve.points, &curve.baselines);
    let x_max = points.iter().map(|p| p.0).fold(0.0, f64::max).max(1e-3) * 1.05;
    let ys = points
        .iter()
        .map(|p| p.1)
        .chain(baselines.iter().map(|b| b.1));
    let (lo, hi) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let pad = ((hi - lo) * 0.08).max(0.02);
    // The baselines are horizontal lines across the plot, one colour each, then the model.
    let colors = [RGBColor(150, 150, 150), MAGENTA, GREEN];
    let last = points.last().map_or(f64::NAN, |p| p.1);
    let series: Vec<Series> = baselines
        .iter()
        .zip(colors)
        .map(|((name, y), color)| Series {
            entry: LegendEntry {
                label: format!("{name} (Kneser-Ney) {y:.3}"),
                color,
                stroke: 1,
            },
            line: vec![(0.0, *y), (x_max, *y)],
            dots: vec![],
            dot_radius: 0,
        })
        .chain([Series {
            entry: LegendEntry {
                label: format!("{} {last:.3}", curve.model),
                color: BLUE,
                stroke: STROKE,
            },
            line: points.clone(),
            dots: points.clone(),
            dot_radius: DOT,
        }])
        .collect();
    let frame = Frame::new(
        format!("{}: validation bits per byte", curve.model),
        0.0..x_max,
        (lo - pad)..(hi + pad),
    );
    let (mut chart, legend) = chart_with_legend(root, &frame, &series, 14)?;
    chart
        .configure_mesh()
        .x_desc("training tokens seen (millions)")
        .y_desc("bits per byte (validation stories)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    draw_series(&mut chart, &series)?;
    legend.draw(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::plot::svg_check::assert_legend_off_data;

    #[test]
    fn the_legend_stays_off_the_curve_and_the_baselines() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("c.svg");
        // A curve climbing into the upper right (plotters' default legend corner), the
        // baselines through the middle and along the bottom; then one falling from the upper
        // left, with baselines near the top and the bottom: lines through every corner.
        let rising = Curve {
            model: "linear T=8 d=16",
            points: (1..=10)
                .map(|k| (k as f64 * 0.01, 1.0 + k as f64 * 0.3))
                .collect(),
            baselines: vec![("unigram", 3.0), ("bigram", 2.0), ("trigram", 1.0)],
        };
        let crowded = Curve {
            points: (0..=10)
                .map(|k| (k as f64 * 0.01, 4.0 - k as f64 * 0.3))
                .collect(),
            baselines: vec![("unigram", 3.9), ("bigram", 1.2), ("trigram", 1.05)],
            ..rising
        };
        for curve in [&rising, &crowded] {
            write_curve(curve, &svg).unwrap();
            assert_legend_off_data(&std::fs::read_to_string(&svg).unwrap(), SIZE);
        }
    }
}
