//! Pictures: space-time diagrams of runs and traces ([`spacetime`]) and labelled heatmaps of
//! compiled weights ([`heatmap`]), as PNG (pixel-exact, written by the `png` crate) or SVG.
//!
//! This sits beside the pipeline, at its ends: it reads a [`Machine`](crate::machine::Machine) and its
//! run, a generated trace, or a [`LinearAr`](crate::predictor::LinearAr), and draws them. It
//! does no I/O: it returns bytes, which the CLI writes whole. Everything is drawn on a
//! [`Canvas`] of RGB pixels with an 8×8 bitmap font, so the pictures are the same on every
//! machine (no system fonts).

pub mod heatmap;
pub mod plot;
pub mod spacetime;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Black.
pub const BLACK: Rgb = [0, 0, 0];
/// White.
pub const WHITE: Rgb = [255, 255, 255];
/// The colour of a divergence.
pub const RED: Rgb = [255, 0, 0];
/// Text and grid grey.
pub const GREY: Rgb = [110, 110, 110];

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    /// The picture would be empty or too large.
    #[error("{0}")]
    Size(String),
    /// The PNG encoder failed.
    #[error("png encoding: {0}")]
    Png(#[from] png::EncodingError),
}

/// The picture formats arsim writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG bytes (`.png`).
    Png,
    /// SVG text (`.svg`).
    Svg,
}

impl ImageFormat {
    /// The file extension that names the format.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

/// A path whose extension names another format than the one it would receive.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path} would get {} bytes: name it .{} (or write {} to .{})", .format.extension().to_uppercase(), .format.extension(), .other.extension().to_uppercase(), .other.extension())]
pub struct ExtensionError {
    /// The path given.
    pub path: String,
    /// The format the option writes.
    pub format: ImageFormat,
    /// The other format.
    pub other: ImageFormat,
}

/// Checks that `path` ends in `format`'s extension (any case), so that `--png x.svg` is
/// refused before anything is drawn instead of writing PNG bytes under an SVG name.
pub fn check_extension(path: &std::path::Path, format: ImageFormat) -> Result<(), ExtensionError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() == Some(format.extension()) {
        return Ok(());
    }
    Err(ExtensionError {
        path: path.display().to_string(),
        format,
        other: match format {
            ImageFormat::Png => ImageFormat::Svg,
            ImageFormat::Svg => ImageFormat::Png,
        },
    })
}

/// A command-line value parser for a `.png` path.
pub fn png_path(s: &str) -> Result<std::path::PathBuf, String> {
    let p = std::path::PathBuf::from(s);
    check_extension(&p, ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(p)
}

/// A command-line value parser for a `.svg` path.
pub fn svg_path(s: &str) -> Result<std::path::PathBuf, String> {
    let p = std::path::PathBuf::from(s);
    check_extension(&p, ImageFormat::Svg).map_err(|e| e.to_string())?;
    Ok(p)
}

/// Width and height in pixels of one character of the bitmap font at scale 1.
pub const GLYPH: usize = 8;

/// A pixel buffer that draws rectangles and text and encodes itself as PNG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: Rgb) -> Canvas {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Canvas {
            width,
            height,
            pixels,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The colour at (x, y), if inside.
    pub fn pixel(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let i = (y * self.width + x) * 3;
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        })
    }

    /// Fills a rectangle, clipped to the canvas.
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        let x1 = (x + w).min(self.width);
        let y1 = (y + h).min(self.height);
        for yy in y.min(y1)..y1 {
            for xx in x.min(x1)..x1 {
                let i = (yy * self.width + xx) * 3;
                self.pixels[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// Draws a one-pixel rectangle outline.
    pub fn outline(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        if w == 0 || h == 0 {
            return;
        }
        self.fill(x, y, w, 1, c);
        self.fill(x, y + h - 1, w, 1, c);
        self.fill(x, y, 1, h, c);
        self.fill(x + w - 1, y, 1, h, c);
    }

    /// Draws text with its top-left corner at (x, y), each font pixel `scale`×`scale`.
    /// Characters the font lacks are drawn as `?`; `⟨` and `⟩` as `<` and `>`.
    pub fn text(&mut self, x: usize, y: usize, s: &str, scale: usize, c: Rgb) {
        for (i, ch) in s.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..GLYPH {
                    if bits & (1 << col) != 0 {
                        self.fill(
                            x + (i * GLYPH + col) * scale,
                            y + row * scale,
                            scale,
                            scale,
                            c,
                        );
                    }
                }
            }
        }
    }

    /// Draws text turned a quarter left (reading upwards), its bottom-left corner at (x, y).
    pub fn text_up(&mut self, x: usize, y: usize, s: &str, c: Rgb) {
        for (i, ch) in s.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..GLYPH {
                    if bits & (1 << col) != 0 {
                        // Glyph pixel (col, row) goes to (x + row, y - i*8 - col).
                        if let Some(yy) = y.checked_sub(i * GLYPH + col + 1) {
                            self.fill(x + row, yy, 1, 1, c);
                        }
                    }
                }
            }
        }
    }

    /// The canvas as a PNG file (8-bit RGB).
    pub fn to_png(&self) -> Result<Vec<u8>, DrawError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&self.pixels)?;
            w.finish()?;
        }
        Ok(out)
    }
}

/// The 8×8 glyph of a character (bit 0 of each row byte is the leftmost pixel).
fn glyph(ch: char) -> [u8; 8] {
    let ch = match ch {
        '⟨' => '<',
        '⟩' => '>',
        '·' => '.',
        c => c,
    };
    let code = ch as usize;
    if code < 128 {
        font8x8::legacy::BASIC_LEGACY[code]
    } else if (0xA0..0x100).contains(&code) {
        font8x8::legacy::LATIN_LEGACY[code - 0xA0]
    } else {
        font8x8::legacy::BASIC_LEGACY['?' as usize]
    }
}

/// Text width in pixels at scale 1.
pub fn text_width(s: &str) -> usize {
    s.chars().count() * GLYPH
}

/// Escapes text for SVG.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// `#rrggbb`.
pub(crate) fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_the_format_written() {
        use std::path::Path;
        assert!(check_extension(Path::new("a/x.PNG"), ImageFormat::Png).is_ok());
        let e = check_extension(Path::new("x.svg"), ImageFormat::Png).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.svg would get PNG bytes: name it .png (or write SVG to .svg)"
        );
        assert!(svg_path("x").is_err());
        assert_eq!(svg_path("x.svg"), Ok("x.svg".into()));
    }

    #[test]
    fn canvas_draws_and_encodes() {
        let mut c = Canvas::new(20, 10, WHITE);
        c.fill(2, 2, 3, 3, RED);
        c.fill(18, 8, 10, 10, BLACK); // clipped
        assert_eq!(c.pixel(3, 3), Some(RED));
        assert_eq!(c.pixel(19, 9), Some(BLACK));
        assert_eq!(c.pixel(20, 0), None);
        c.text(0, 0, "A", 1, BLACK);
        let png = c.to_png().unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // IHDR width and height.
        assert_eq!(&png[16..24], &[0, 0, 0, 20, 0, 0, 0, 10]);
    }

    #[test]
    fn glyphs_fall_back() {
        assert_eq!(glyph('⟨'), glyph('<'));
        assert_eq!(glyph('∑'), glyph('?'));
        assert_ne!(glyph('A'), [0; 8]);
        assert_eq!(xml_escape("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
