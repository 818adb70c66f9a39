//! The learning-curve figure of `arsim task text --plot FILE`: the model's validation bits per
//! byte against training tokens seen, beside the n-gram baselines as horizontal lines, as SVG
//! or PNG (through [`crate::draw::plot::render`]).

use super::experiment::TextReport;
pub use crate::draw::plot::{check_path, PlotError};
use crate::draw::plot::{legend_label, render};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 500);

/// Writes the report's learning curve to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_curve(report: &TextReport, path: &Path) -> Result<(), PlotError> {
    render(path, SIZE, &|root| draw(root, report, false), &|root| {
        draw(root, report, true)
    })
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &TextReport,
    bitmap_font: bool,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let n = &report.neural;
    let points: Vec<(f64, f64)> = n
        .curve
        .iter()
        .map(|c| (c.train_tokens_seen as f64 / 1e6, c.validation_bits_per_byte))
        .collect();
    let baselines: Vec<(&str, f64)> = report
        .baselines
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.validation.bits_per_byte))
        .collect();
    let x_max = points.iter().map(|p| p.0).fold(0.0, f64::max).max(1e-3) * 1.05;
    let ys = points
        .iter()
        .map(|p| p.1)
        .chain(baselines.iter().map(|b| b.1));
    let (lo, hi) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let pad = ((hi - lo) * 0.08).max(0.02);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: validation bits per byte", n.model),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..x_max, (lo - pad)..(hi + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("training tokens seen (millions)")
        .y_desc("bits per byte (validation stories)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let label = |s: String| legend_label(&s, bitmap_font);
    let colors = [RGBColor(150, 150, 150), MAGENTA, GREEN];
    for ((name, y), color) in baselines.iter().zip(colors) {
        chart
            .draw_series(LineSeries::new(
                [(0.0, *y), (x_max, *y)],
                color.stroke_width(1),
            ))
            .map_err(err)?
            .label(label(format!("{name} (Kneser-Ney) {y:.3}")))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(1)));
    }
    let last = points.last().map_or(f64::NAN, |p| p.1);
    chart
        .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))
        .map_err(err)?
        .label(label(format!("{} {last:.3}", n.model)))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(points.into_iter().map(|p| Circle::new(p, 3, BLUE.filled())))
        .map_err(err)?;
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
