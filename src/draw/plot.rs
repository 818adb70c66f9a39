//! Charts on files: the plumbing every plotters figure of arsim shares (`arsim learn --plot`,
//! `arsim length --plot`). A chart is drawn once, on any plotters backend; [`render`] runs it on
//! the SVG backend or on [`Raster`], a small pixel backend that writes text with the 8×8 bitmap
//! font of `font8x8` and encodes with `png` (plotters' own bitmap backend needs a font library
//! to draw text at all), then writes the file whole.

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

/// The label of a tick on a log axis whose coordinate is the exponent `e` (the axis plots
/// log_base of the value): `base^e` where `e` is a whole number, nothing elsewhere, so ticks
/// neither repeat ("3, 3" from 2^1.5 and 2^1.6 rounded) nor mix "31623" with "1e5". Values up to
/// 10,000 are written out, larger ones as `1e5`.
pub fn log_tick(e: f64, base: f64) -> String {
    if (e - e.round()).abs() > 1e-9 {
        return String::new();
    }
    let v = base.powi(e.round() as i32);
    if v >= 1e5 {
        let k = v.log10();
        if (k - k.round()).abs() < 1e-9 {
            format!("1e{}", k.round())
        } else {
            format!("{v:.1e}")
        }
    } else if v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A legend label with room for the 8-pixel glyphs of [`Raster`] when `bitmap_font` (plotters
/// sizes the legend box with its own, narrower estimate of the text's width).
pub fn legend_label(text: &str, bitmap_font: bool) -> String {
    if bitmap_font {
        format!("{text}{}", " ".repeat(text.len().div_ceil(4)))
    } else {
        text.to_string()
    }
}

/// A chart drawn on the SVG backend.
pub type DrawSvg<'a> = dyn Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String> + 'a;
/// A chart drawn on the [`Raster`] (PNG) backend.
pub type DrawPng<'a> = dyn Fn(&DrawingArea<&mut Raster, Shift>) -> Result<(), String> + 'a;

/// Draws a chart with `draw` (given the drawing area and whether text uses the bitmap font)
/// into `path` as SVG or PNG of `size` pixels, written whole or not at all.
pub fn render(
    path: &Path,
    size: (u32, u32),
    draw: &DrawSvg<'_>,
    draw_png: &DrawPng<'_>,
) -> Result<(), PlotError> {
    let shown = path.display().to_string();
    let draw_err = |message: String| PlotError::Draw {
        path: shown.clone(),
        message,
    };
    let bytes = match extension(path).as_deref() {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root).map_err(draw_err)?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            svg.into_bytes()
        }
        Some("png") => {
            let mut raster = Raster::new(size);
            {
                let root = (&mut raster).into_drawing_area();
                draw_png(&root).map_err(draw_err)?;
                root.present().map_err(|e| draw_err(e.to_string()))?;
            }
            raster.to_png().map_err(draw_err)?
        }
        _ => return Err(PlotError::Extension(shown)),
    };
    write_atomic(path, &bytes)?;
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

    #[test]
    fn log_ticks_label_whole_powers_only() {
        assert_eq!(log_tick(3.0, 10.0), "1000");
        assert_eq!(log_tick(4.0, 10.0), "10000");
        assert_eq!(log_tick(5.0, 10.0), "1e5");
        assert_eq!(log_tick(4.5, 10.0), "");
        assert_eq!(log_tick(4.0, 2.0), "16");
        assert_eq!(log_tick(1.5, 2.0), "");
        assert_eq!(log_tick(20.0, 2.0), "1.0e6");
        assert_eq!(log_tick(-1.0, 10.0), "0.1");
    }
}
