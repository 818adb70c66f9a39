//! Charts on files: the plumbing every plotters figure of arsim shares (`arsim learn --plot`,
//! `arsim length --plot`, `arsim task text --plot`). A chart is drawn once, on any plotters
//! backend; [`render`] runs it on the SVG backend or on [`Raster`], a small pixel backend that
//! writes text with the 8×8 bitmap font of `font8x8` and encodes with `png` (plotters' own
//! bitmap backend needs a font library to draw text at all), then writes the file whole.
//!
//! Every chart keeps its legend off the data the same way, through [`chart_with_legend`]: the
//! chart lists what it will draw (its [`Series`]), and the legend goes into the first corner of the
//! plotting area whose rectangle no dot or line crosses ([`free_corner`]), or, when none is
//! free, into a band below the plot that the chart gives up room for.

use crate::fs::{write_atomic, WriteError};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};
use std::ops::Range;
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
    Write(#[from] WriteError),
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

/// A rectangle of pixels on the backend: `left..right` × `top..bottom`, y growing downwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    /// First column.
    pub left: i32,
    /// First row.
    pub top: i32,
    /// One past the last column.
    pub right: i32,
    /// One past the last row.
    pub bottom: i32,
}

impl PixelRect {
    /// The rectangle of `size` (width, height) whose top-left pixel is `(left, top)`.
    pub fn at((left, top): (i32, i32), (width, height): (i32, i32)) -> PixelRect {
        PixelRect {
            left,
            top,
            right: left + width,
            bottom: top + height,
        }
    }

    /// Width and height.
    pub fn size(&self) -> (i32, i32) {
        (self.right - self.left, self.bottom - self.top)
    }

    /// The rectangle grown by `by` pixels on every side.
    fn grown(&self, by: i32) -> PixelRect {
        PixelRect {
            left: self.left - by,
            top: self.top - by,
            right: self.right + by,
            bottom: self.bottom + by,
        }
    }

    /// Whether the segment from `a` to `b` has a point inside (or on the edge of) the
    /// rectangle: Liang–Barsky clipping of the segment against the four sides.
    fn meets_segment(&self, a: (i32, i32), b: (i32, i32)) -> bool {
        let (x0, y0) = (a.0 as f64, a.1 as f64);
        let (dx, dy) = (b.0 as f64 - x0, b.1 as f64 - y0);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        // Each side: p·t ≤ q keeps the point on the inner side of it.
        let sides = [
            (-dx, x0 - self.left as f64),
            (dx, self.right as f64 - x0),
            (-dy, y0 - self.top as f64),
            (dy, self.bottom as f64 - y0),
        ];
        for (p, q) in sides {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t0 <= t1
    }
}

/// Something a chart draws, in backend pixels: what a legend must not cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelMark {
    /// A dot of `radius` pixels centred at `at`.
    Dot {
        /// Centre.
        at: (i32, i32),
        /// Radius in pixels.
        radius: i32,
    },
    /// A straight line `width` pixels wide from `from` to `to`.
    Segment {
        /// One end.
        from: (i32, i32),
        /// The other end.
        to: (i32, i32),
        /// Stroke width in pixels.
        width: i32,
    },
}

impl PixelMark {
    /// Whether any pixel of the mark lies in `rect` (or closer than `gap` pixels to it).
    pub fn meets(&self, rect: PixelRect, gap: i32) -> bool {
        match *self {
            PixelMark::Dot { at, radius } => rect.grown(radius + gap).meets_segment(at, at),
            PixelMark::Segment { from, to, width } => rect
                .grown(width.div_euclid(2) + 1 + gap)
                .meets_segment(from, to),
        }
    }
}

/// Pixels between a legend inside the plot and the plot's edge.
const LEGEND_INSET: i32 = 10;
/// Pixels a legend keeps clear of every mark.
const LEGEND_GAP: i32 = 3;

/// The first corner of `plot` (upper right, upper left, lower right, lower left: plotters'
/// default first) where a legend of `size` pixels, inset from the edges, covers no mark;
/// `None` when every corner is taken or the legend does not fit.
pub fn free_corner(plot: PixelRect, size: (i32, i32), marks: &[PixelMark]) -> Option<PixelRect> {
    let (w, h) = size;
    let (pw, ph) = plot.size();
    if w + 2 * LEGEND_INSET > pw || h + 2 * LEGEND_INSET > ph {
        return None;
    }
    let (left, right) = (plot.left + LEGEND_INSET, plot.right - LEGEND_INSET - w);
    let (top, bottom) = (plot.top + LEGEND_INSET, plot.bottom - LEGEND_INSET - h);
    [(right, top), (left, top), (right, bottom), (left, bottom)]
        .into_iter()
        .map(|corner| PixelRect::at(corner, size))
        .find(|r| !marks.iter().any(|m| m.meets(*r, LEGEND_GAP)))
}

/// One series of a chart, in the chart's own coordinates (the same ones as its axes): a
/// polyline, dots, and its legend entry, whose colour and stroke width the line is drawn with.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend's line for it; its colour and width.
    pub entry: LegendEntry,
    /// The polyline's points (none: no line).
    pub line: Vec<(f64, f64)>,
    /// Where dots go (none: no dots).
    pub dots: Vec<(f64, f64)>,
    /// The dots' radius in pixels.
    pub dot_radius: u32,
}

impl Series {
    /// What the series draws, in backend pixels through `to_pixel` (a chart's
    /// `backend_coord`): what the legend must keep clear of.
    fn marks(&self, to_pixel: impl Fn(&(f64, f64)) -> (i32, i32)) -> Vec<PixelMark> {
        let width = self.entry.stroke as i32;
        let line: Vec<(i32, i32)> = self.line.iter().map(&to_pixel).collect();
        let segments = line.windows(2).map(|w| PixelMark::Segment {
            from: w[0],
            to: w[1],
            width,
        });
        // A line of one point is drawn as nothing, but counts as a dot of its width.
        let lone = match line.as_slice() {
            [one] => Some(PixelMark::Dot {
                at: *one,
                radius: width,
            }),
            _ => None,
        };
        let dots = self.dots.iter().map(|p| PixelMark::Dot {
            at: to_pixel(p),
            radius: self.dot_radius as i32,
        });
        segments.chain(lone).chain(dots).collect()
    }
}

/// Draws each series on `chart`: its line, then its dots, in its legend entry's colour.
pub fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    series: &[Series],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for s in series {
        let color = s.entry.color;
        chart
            .draw_series(LineSeries::new(
                s.line.iter().copied(),
                color.stroke_width(s.entry.stroke),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                s.dots
                    .iter()
                    .map(|&p| Circle::new(p, s.dot_radius, color.filled())),
            )
            .map_err(err)?;
    }
    Ok(())
}

/// One line of a legend: a series' name and the colour and width of its line.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// The text.
    pub label: String,
    /// The series' colour.
    pub color: RGBColor,
    /// The series' stroke width in pixels.
    pub stroke: u32,
}

/// A chart's legend: its entries and their font size.
#[derive(Clone, Debug, PartialEq)]
struct Legend {
    entries: Vec<LegendEntry>,
    font_size: u32,
}

/// Pixels of the line sample before each label, and between sample and label.
const SAMPLE: i32 = 20;
const SAMPLE_GAP: i32 = 6;
/// Pixels between the legend's border and its entries.
const LEGEND_PAD: i32 = 6;

impl Legend {
    fn font(&self) -> TextStyle<'static> {
        ("sans-serif", self.font_size).into_font().color(&BLACK)
    }

    /// One entry's cell (width, height) in pixels, as the backend measures the widest label;
    /// an eighth more width, since an SVG viewer's font may be wider than plotters' estimate.
    fn cell<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(i32, i32), String> {
        let font = self.font();
        let mut text = (0, 0);
        for e in &self.entries {
            let (w, h) = area
                .estimate_text_size(&e.label, &font)
                .map_err(|e| e.to_string())?;
            text = (text.0.max(w as i32), text.1.max(h as i32));
        }
        let width = SAMPLE + SAMPLE_GAP + text.0 + text.0 / 8 + LEGEND_PAD;
        Ok((width, text.1.max(self.font_size as i32) + 6))
    }

    /// The legend's size in pixels with its entries in `columns` columns.
    fn size(&self, cell: (i32, i32), columns: usize) -> (i32, i32) {
        let columns = columns.clamp(1, self.entries.len().max(1));
        let rows = self.entries.len().div_ceil(columns) as i32;
        (
            cell.0 * columns as i32 + LEGEND_PAD,
            cell.1 * rows + 2 * LEGEND_PAD - 4,
        )
    }

    /// Draws the legend at `placement` on `root` (whose backend pixels `placement` is in).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        placement: &Placement,
    ) -> Result<(), String> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let (bx, by) = root.get_base_pixel();
        let r = placement.rect;
        let (l, t) = (r.left - bx, r.top - by);
        let (rr, b) = (r.right - bx, r.bottom - by);
        root.draw(&Rectangle::new([(l, t), (rr, b)], WHITE.mix(0.9).filled()))
            .map_err(err)?;
        root.draw(&Rectangle::new([(l, t), (rr, b)], BLACK.stroke_width(1)))
            .map_err(err)?;
        let font = self.font().pos(Pos::new(HPos::Left, VPos::Center));
        for (k, e) in self.entries.iter().enumerate() {
            let (col, row) = (
                (k % placement.columns) as i32,
                (k / placement.columns) as i32,
            );
            let x = l + LEGEND_PAD + col * placement.cell.0;
            let y = t + LEGEND_PAD - 2 + row * placement.cell.1 + placement.cell.1 / 2;
            let style = e.color.stroke_width(e.stroke);
            root.draw(&PathElement::new([(x, y), (x + SAMPLE, y)], style))
                .map_err(err)?;
            root.draw(&Text::new(
                e.label.as_str(),
                (x + SAMPLE + SAMPLE_GAP, y),
                font.clone(),
            ))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// Where [`chart_with_legend`] put the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The legend's rectangle in backend pixels.
    pub rect: PixelRect,
    /// Whether it is inside the plotting area (a free corner) rather than in the band below.
    pub inside: bool,
    /// Columns of entries.
    pub columns: usize,
    /// One entry's (width, height).
    cell: (i32, i32),
}

/// A legend and where [`chart_with_legend`] put it; drawn last, over the mesh.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLegend {
    legend: Legend,
    /// Where it goes.
    pub placement: Placement,
}

impl PlacedLegend {
    /// Draws the legend on `root`, the area the chart was built on.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        self.legend.draw(root, &self.placement)
    }
}

/// A chart with `f64` axes, as [`chart_with_legend`] builds it.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The frame of a chart: title and its font size, the room for the axes' labels (x below,
/// y on the left), and the axes' ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The caption.
    pub title: String,
    /// The caption's font size in pixels.
    pub title_size: u32,
    /// Pixels below the plot for the x axis's ticks and description.
    pub x_label_area: u32,
    /// Pixels left of the plot for the y axis's ticks and description.
    pub y_label_area: u32,
    /// The x axis's range.
    pub x: Range<f64>,
    /// The y axis's range.
    pub y: Range<f64>,
}

impl Frame {
    /// The frame most charts use: a 20-pixel title, 44 pixels for the x axis's labels and 56
    /// for the y axis's.
    pub fn new(title: String, x: Range<f64>, y: Range<f64>) -> Frame {
        Frame {
            title,
            title_size: 20,
            x_label_area: 44,
            y_label_area: 56,
            x,
            y,
        }
    }
}

/// Pixels around the whole figure.
const FIGURE_MARGIN: i32 = 16;

/// Draws `frame`'s caption on `root` and builds the chart under it, placing the legend of
/// `series` (labels of `legend_font` pixels) where it covers none of them: the first free
/// corner of the plot ([`free_corner`]), else a band below the plot, taken from the plot's
/// height, with as many columns of entries as fit. The caller draws the mesh, then
/// [`draw_series`], then the legend.
pub fn chart_with_legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    series: &[Series],
    legend_font: u32,
) -> Result<(Chart<'a, DB>, PlacedLegend), String> {
    let legend = Legend {
        entries: series.iter().map(|s| s.entry.clone()).collect(),
        font_size: legend_font,
    };
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let area = root
        .margin(FIGURE_MARGIN, FIGURE_MARGIN, FIGURE_MARGIN, FIGURE_MARGIN)
        .titled(&frame.title, ("sans-serif", frame.title_size))
        .map_err(err)?;
    let build = |on: &DrawingArea<DB, Shift>| {
        ChartBuilder::on(on)
            .x_label_area_size(frame.x_label_area)
            .y_label_area_size(frame.y_label_area)
            .build_cartesian_2d(frame.x.clone(), frame.y.clone())
            .map_err(err)
    };
    let cell = legend.cell(root)?;
    // Building a chart without a caption draws nothing, so a first build can be measured
    // and thrown away.
    let chart = build(&area)?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let plot = PixelRect {
        left: xs.start,
        top: ys.start,
        right: xs.end,
        bottom: ys.end,
    };
    let corner = if legend.entries.is_empty() {
        // Nothing to show: an empty rectangle, which covers nothing.
        Some(PixelRect::at((plot.left, plot.top), (0, 0)))
    } else {
        let pixels: Vec<PixelMark> = series
            .iter()
            .flat_map(|s| s.marks(|p| chart.backend_coord(p)))
            .collect();
        free_corner(plot, legend.size(cell, 1), &pixels)
    };
    if let Some(rect) = corner {
        let placement = Placement {
            rect,
            inside: true,
            columns: 1,
            cell,
        };
        return Ok((chart, PlacedLegend { legend, placement }));
    }
    let columns = ((plot.size().0 - LEGEND_PAD) / cell.0).max(1) as usize;
    let size = legend.size(cell, columns);
    let columns = columns.min(legend.entries.len().max(1));
    let (_, area_h) = area.dim_in_pixel();
    let band = size.1 + LEGEND_INSET;
    let (top, _) = area.split_vertically(area_h as i32 - band);
    let chart = build(&top)?;
    let (xs, _) = chart.plotting_area().get_pixel_range();
    let (_, below) = top.get_pixel_range();
    let left = (xs.start + xs.end - size.0) / 2;
    let placement = Placement {
        rect: PixelRect::at((left, below.end + LEGEND_INSET), size),
        inside: false,
        columns,
        cell,
    };
    Ok((chart, PlacedLegend { legend, placement }))
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

/// Reading a chart back from its SVG, for the tests of every chart: where the legend is and
/// which data marks it covers, found independently of [`free_corner`]'s geometry.
#[cfg(test)]
pub(crate) mod svg_check {
    use super::PixelRect;

    /// The value of attribute `name` in the tag `tag`.
    fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(&tag[start..start + len])
    }

    fn num(tag: &str, name: &str) -> f64 {
        attr(tag, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number {name} in {tag}"))
    }

    /// Every tag `<kind …>` of the SVG.
    fn tags<'s>(svg: &'s str, kind: &'s str) -> impl Iterator<Item = &'s str> + 's {
        svg.split('<')
            .filter(move |t| t.starts_with(kind) && t[kind.len()..].starts_with(' '))
            .map(|t| t.split('>').next().unwrap_or(t))
    }

    /// The legend's rectangle (the one black-bordered, unfilled `<rect>`) and a description
    /// of every data mark that reaches into it: each `<circle>` by its bounding box, each
    /// coloured `<polyline>` (black ones are axes) by its points every half pixel along each
    /// segment. The legend's own line samples, wholly inside it, are not data.
    pub(crate) fn marks_under_legend(svg: &str) -> (PixelRect, Vec<String>) {
        let mut legends = tags(svg, "rect")
            .filter(|t| attr(t, "fill") == Some("none") && attr(t, "stroke") == Some("#000000"));
        let tag = legends.next().expect("the chart has a legend");
        assert!(legends.next().is_none(), "one legend");
        let (x, y) = (num(tag, "x"), num(tag, "y"));
        let (w, h) = (num(tag, "width"), num(tag, "height"));
        let rect = PixelRect::at((x as i32, y as i32), (w as i32, h as i32));
        let inside = |(px, py): (f64, f64), r: f64| {
            px + r >= x && px - r <= x + w && py + r >= y && py - r <= y + h
        };
        let mut hits = Vec::new();
        for c in tags(svg, "circle") {
            let (cx, cy, r) = (num(c, "cx"), num(c, "cy"), num(c, "r"));
            if inside((cx, cy), r) {
                hits.push(format!("dot at ({cx}, {cy})"));
            }
        }
        for l in tags(svg, "polyline").filter(|l| attr(l, "stroke") != Some("#000000")) {
            let half = num(l, "stroke-width") / 2.0;
            let points: Vec<(f64, f64)> = attr(l, "points")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| {
                    let (a, b) = p.split_once(',')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                })
                .collect();
            let strictly_inside =
                |(px, py): (f64, f64)| px > x && px < x + w && py > y && py < y + h;
            if points.iter().all(|&p| strictly_inside(p)) {
                continue;
            }
            for pair in points.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) * 2.0)
                    .ceil()
                    .max(1.0);
                let crosses = (0..=steps as usize).any(|k| {
                    let t = k as f64 / steps;
                    inside((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)), half)
                });
                if crosses {
                    hits.push(format!("line from {a:?} to {b:?}"));
                }
            }
        }
        (rect, hits)
    }

    /// Asserts that the legend of the SVG chart covers no data and lies within the figure of
    /// `size` pixels; returns its rectangle.
    pub(crate) fn assert_legend_off_data(svg: &str, size: (u32, u32)) -> PixelRect {
        let (rect, hits) = marks_under_legend(svg);
        assert!(hits.is_empty(), "the legend {rect:?} covers {hits:?}");
        assert!(
            rect.left >= 0
                && rect.top >= 0
                && rect.right <= size.0 as i32
                && rect.bottom <= size.1 as i32,
            "the legend {rect:?} leaves the figure"
        );
        rect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plot of the tests: 400 × 300 pixels from (50, 20).
    const PLOT: PixelRect = PixelRect {
        left: 50,
        top: 20,
        right: 450,
        bottom: 320,
    };
    const LEGEND: (i32, i32) = (120, 60);

    /// A 5 × 5 block of dots filling the square of `side` pixels at a corner of the plot.
    fn fill(corner: (bool, bool)) -> Vec<PixelMark> {
        let (right, bottom) = corner;
        let side = 100;
        let x0 = if right { PLOT.right - side } else { PLOT.left };
        let y0 = if bottom { PLOT.bottom - side } else { PLOT.top };
        (0..5)
            .flat_map(|i| (0..5).map(move |j| (i, j)))
            .map(|(i, j)| PixelMark::Dot {
                at: (x0 + 5 + 22 * i, y0 + 5 + 22 * j),
                radius: 3,
            })
            .collect()
    }

    const UPPER_RIGHT: (bool, bool) = (true, false);
    const UPPER_LEFT: (bool, bool) = (false, false);
    const LOWER_RIGHT: (bool, bool) = (true, true);
    const LOWER_LEFT: (bool, bool) = (false, true);

    fn corner_of(r: PixelRect) -> (bool, bool) {
        (r.left > PLOT.left + 100, r.top > PLOT.top + 100)
    }

    #[test]
    fn the_legend_takes_the_first_corner_without_data() {
        let order = [UPPER_RIGHT, UPPER_LEFT, LOWER_RIGHT, LOWER_LEFT];
        assert_eq!(
            free_corner(PLOT, LEGEND, &[]).map(corner_of),
            Some(UPPER_RIGHT)
        );
        // Filling the first k corners of the order moves the legend to the next one.
        for k in 1..order.len() {
            let marks: Vec<PixelMark> = order[..k].iter().flat_map(|&c| fill(c)).collect();
            let rect = free_corner(PLOT, LEGEND, &marks).expect("a corner is free");
            assert_eq!(
                corner_of(rect),
                order[k],
                "corners {:?} filled",
                &order[..k]
            );
            assert!(!marks.iter().any(|m| m.meets(rect, 0)));
        }
        // Each corner filled alone: the legend avoids it.
        for c in order {
            let marks = fill(c);
            let rect = free_corner(PLOT, LEGEND, &marks).expect("a corner is free");
            assert_ne!(corner_of(rect), c);
        }
        let all: Vec<PixelMark> = order.iter().flat_map(|&c| fill(c)).collect();
        assert_eq!(free_corner(PLOT, LEGEND, &all), None);
    }

    #[test]
    fn lines_through_a_corner_take_it() {
        // A diagonal from the lower left to the upper right, and a horizontal line along the
        // bottom: only the upper left is free.
        let marks = [
            PixelMark::Segment {
                from: (PLOT.left, PLOT.bottom),
                to: (PLOT.right, PLOT.top),
                width: 2,
            },
            PixelMark::Segment {
                from: (PLOT.left, PLOT.bottom - 15),
                to: (PLOT.right, PLOT.bottom - 15),
                width: 1,
            },
        ];
        let rect = free_corner(PLOT, LEGEND, &marks).unwrap();
        assert_eq!(corner_of(rect), UPPER_LEFT);
        // A segment that passes a rectangle by, and one whose ends are both outside it but
        // which crosses it.
        let r = PixelRect::at((100, 100), (50, 20));
        let seg = |from, to| PixelMark::Segment { from, to, width: 1 };
        assert!(!seg((90, 90), (200, 95)).meets(r, 0));
        assert!(seg((90, 90), (200, 130)).meets(r, 0));
        assert!(seg((125, 0), (125, 500)).meets(r, 0));
        assert!(!seg((125, 0), (125, 90)).meets(r, 0));
        let dot = |at| PixelMark::Dot { at, radius: 3 };
        assert!(dot((152, 110)).meets(r, 0));
        assert!(!dot((156, 110)).meets(r, 0));
    }

    #[test]
    fn a_legend_larger_than_the_plot_finds_no_corner() {
        assert_eq!(free_corner(PLOT, (500, 20), &[]), None);
        assert_eq!(free_corner(PLOT, (100, 290), &[]), None);
    }

    /// A chart of `points` joined by a line, with dots, in `entries` series of the same
    /// points, through [`chart_with_legend`], as SVG; with the legend's placement.
    fn chart_svg(points: &[(f64, f64)], entries: usize) -> (String, Placement) {
        let series: Vec<Series> = (0..entries)
            .map(|k| Series {
                entry: LegendEntry {
                    label: format!("series number {k}"),
                    color: BLUE,
                    stroke: 2,
                },
                line: points.to_vec(),
                dots: points.to_vec(),
                dot_radius: 4,
            })
            .collect();
        let frame = Frame::new("test".into(), 0.0..1.0, 0.0..1.0);
        let mut svg = String::new();
        let placement;
        {
            let root = SVGBackend::with_string(&mut svg, (600, 400)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            let (mut chart, legend) = chart_with_legend(&root, &frame, &series, 14).unwrap();
            chart.configure_mesh().draw().unwrap();
            draw_series(&mut chart, &series).unwrap();
            legend.draw(&root).unwrap();
            root.present().unwrap();
            placement = legend.placement;
        }
        (svg, placement)
    }

    #[test]
    fn a_chart_full_to_every_corner_puts_its_legend_below_the_plot() {
        // Both diagonals (joined along the top): a line out of every corner.
        let zigzag = [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)];
        let (svg, placement) = chart_svg(&zigzag, 3);
        assert!(!placement.inside);
        let rect = svg_check::assert_legend_off_data(&svg, (600, 400));
        assert_eq!(rect, placement.rect);
        // Three short entries fit side by side.
        assert_eq!(placement.columns, 3);
        // Data in the upper right only: the legend stays inside, elsewhere.
        let (svg, placement) = chart_svg(&[(0.8, 0.8), (0.9, 0.95), (1.0, 1.0)], 2);
        assert!(placement.inside);
        svg_check::assert_legend_off_data(&svg, (600, 400));
    }

    #[test]
    fn the_svg_check_sees_a_legend_on_the_data() {
        // The check itself must fail when a legend covers a dot.
        let svg = r##"<svg><rect x="10" y="10" width="50" height="20" fill="none" stroke="#000000"/>
            <circle cx="30" cy="20" r="3" fill="#0000FF"/>
            <polyline fill="none" stroke="#0000FF" stroke-width="2" points="0,25 100,25 "/>
            <polyline fill="none" stroke="#0000FF" stroke-width="2" points="15,15 30,15 "/>
            <polyline fill="none" stroke="#000000" stroke-width="1" points="0,12 100,12 "/></svg>"##;
        let (_, hits) = svg_check::marks_under_legend(svg);
        assert_eq!(hits.len(), 2, "{hits:?}");
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
