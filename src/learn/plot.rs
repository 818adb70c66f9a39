//! The sample-complexity figure of `arsim learn --sweep … --plot FILE`: held-out trace error
//! against training traces (log scale), one line per learner, as SVG or PNG.
//!
//! Drawn with plotters. SVG uses its SVG backend; PNG uses [`Raster`], a small pixel backend
//! that writes text with the 8×8 bitmap font of `font8x8` and encodes with `png`, so that no
//! font library or image crate is compiled (plotters' own bitmap backend needs one of them to
//! draw text at all).

use super::sweep::SweepReport;
use crate::export::{write_atomic, ExportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};
use std::path::Path;

/// Why the figure could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The file name ends in neither `.svg` nor `.png`.
    #[error("{0}: the plot file must end in .svg or .png")]
    Extension(String),
    /// Drawing failed.
    #[error("{path}: drawing failed: {message}")]
    Draw {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] ExportError),
}

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 500);

/// Checks that `path` names a figure format: `.svg` or `.png`.
pub fn check_path(path: &Path) -> Result<(), PlotError> {
    match extension(path).as_deref() {
        Some("svg" | "png") => Ok(()),
        _ => Err(PlotError::Extension(path.display().to_string())),
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Writes the sweep's figure to `path` (`.svg` or `.png`), whole or not at all.
pub fn plot_sweep(report: &SweepReport, path: &Path) -> Result<(), PlotError> {
    let shown = path.display().to_string();
    let ext = extension(path);
    let draw_err = |message: String| PlotError::Draw {
        path: shown.clone(),
        message,
    };
    let bytes = match ext.as_deref() {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                draw(&root, report, false).map_err(draw_err)?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            svg.into_bytes()
        }
        Some("png") => {
            let mut raster = Raster::new(SIZE);
            {
                let root = (&mut raster).into_drawing_area();
                draw(&root, report, true).map_err(draw_err)?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            raster.to_png().map_err(draw_err)?
        }
        _ => return Err(PlotError::Extension(shown)),
    };
    write_atomic(path, &bytes)?;
    Ok(())
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
        .x_label_formatter(&|x| format!("{}", 2f64.powf(*x).round()))
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
            .label(if bitmap_font {
                format!("{name}{}", " ".repeat(name.len().div_ceil(4)))
            } else {
                name.to_string()
            })
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

/// An RGB pixel buffer that plotters draws on, with an 8×8 bitmap font.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Raster {
    /// A white image of `(width, height)` pixels.
    pub fn new((width, height): (u32, u32)) -> Raster {
        Raster {
            width,
            height,
            rgb: vec![255; (width * height * 3) as usize],
        }
    }

    /// The image as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| e.to_string())?;
            w.write_image_data(&self.rgb).map_err(|e| e.to_string())?;
            w.finish().map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// The colour of pixel (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Glyph scale for a font size in pixels (an 8×8 glyph drawn `scale` times larger).
    fn scale(size: f64) -> i32 {
        ((size / 10.0).round() as i32).max(1)
    }
}

impl DrawingBackend for &mut Raster {
    type ErrorType = std::convert::Infallible;

    fn get_size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 {
            return Ok(());
        }
        let i = ((y as u32 * self.width + x as u32) * 3) as usize;
        let a = color.alpha.clamp(0.0, 1.0);
        let (r, g, b) = color.rgb;
        for (c, new) in self.rgb[i..i + 3].iter_mut().zip([r, g, b]) {
            *c = (new as f64 * a + *c as f64 * (1.0 - a)).round() as u8;
        }
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let s = Raster::scale(style.size()) as u32;
        Ok((8 * s * text.chars().count() as u32, 8 * s))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        (px, py): BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let s = Raster::scale(style.size());
        let width = 8 * s * text.chars().count() as i32;
        let height = 8 * s;
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let color = style.color();
        for (k, c) in text.chars().enumerate() {
            let glyph = font8x8::legacy::BASIC_LEGACY
                .get(c as usize)
                .copied()
                .unwrap_or(font8x8::legacy::BASIC_LEGACY[b'?' as usize]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 0 {
                        continue;
                    }
                    for sy in 0..s {
                        for sx in 0..s {
                            let x = dx + (k as i32 * 8 + col) * s + sx;
                            let y = dy + row as i32 * s + sy;
                            let (x, y) = transform.transform(x, y);
                            self.draw_pixel((px + x, py + y), color)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::sweep::{SweepPoint, SweepRow};
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

    #[test]
    fn raster_text_is_drawn_in_the_style_colour() {
        let mut r = Raster::new((40, 20));
        {
            let root = (&mut r).into_drawing_area();
            root.draw(&Text::new(
                "H",
                (0, 0),
                ("sans-serif", 10).into_font().color(&RED),
            ))
            .unwrap();
        }
        // Some pixel of the 8×8 glyph cell at the anchor is red.
        let red = (0..8)
            .flat_map(|y| (0..8).map(move |x| (x, y)))
            .any(|(x, y)| r.pixel(x, y) == [255, 0, 0]);
        assert!(red);
    }
}
