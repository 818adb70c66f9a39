//! Weight heatmaps: a compiled (or learned) [`LinearAr`]'s matrices side by side, one panel
//! per offset, rows = output tokens, columns = input tokens at that offset, every row and
//! column labelled from the predictor's [`Layout`](crate::predictor::Layout).
//!
//! Zero is white, positive weights blue and negative red, darker with magnitude; values are
//! written in the cells when they are large enough to hold them. Darker lines separate token
//! groups (SEP, the plain symbols, the head tokens of each state), so the construction's
//! structure shows: the symbol part on the centre offset S+1, the head parts on S and S+2.

use super::{hex, text_width, xml_escape, Canvas, DrawError, Rgb, BLACK, GLYPH, GREY, WHITE};
use crate::predictor::LinearAr;

/// A heatmap laid out and ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    title: String,
    tokens: Vec<String>,
    panels: Vec<(String, Vec<i32>)>,
    cell: usize,
    max_abs: i32,
}

const MARGIN: usize = 10;
const LINE: usize = GLYPH + 4;
const PANEL_GAP: usize = 24;

impl Heatmap {
    /// Lays out the predictor's weights; `title` heads the picture.
    pub fn new(p: &LinearAr, title: &str) -> Heatmap {
        let layout = p.layout();
        let v = layout.tokens.len();
        let panels: Vec<(String, Vec<i32>)> = p
            .weights()
            .iter()
            .enumerate()
            .map(|(o, w)| {
                let name = format!(
                    "W[{}]: input {} tokens back",
                    layout.offset_names.get(o).cloned().unwrap_or_default(),
                    layout.offsets.get(o).copied().unwrap_or(0)
                );
                let mut vals = Vec::with_capacity(v * v);
                for d in 0..v {
                    for x in 0..v {
                        vals.push(w[(d, x)]);
                    }
                }
                (name, vals)
            })
            .collect();
        let max_abs = panels
            .iter()
            .flat_map(|(_, v)| v.iter())
            .map(|x| x.saturating_abs())
            .max()
            .unwrap_or(0)
            .max(1);
        let n = panels.len().max(1);
        let cell = (1200 / (n * v.max(1))).clamp(2, 22);
        Heatmap {
            title: title.to_string(),
            tokens: layout.tokens.clone(),
            panels,
            cell,
            max_abs,
        }
    }

    /// Pixels per weight.
    pub fn cell_size(&self) -> usize {
        self.cell
    }

    /// Label every k-th token so labels do not overlap.
    fn label_every(&self) -> usize {
        (GLYPH + 1).div_ceil(self.cell)
    }

    fn label_w(&self) -> usize {
        self.tokens.iter().map(|t| text_width(t)).max().unwrap_or(0) + 6
    }

    /// (width, height, grid x of the first panel, grid y).
    fn layout(&self) -> (usize, usize, usize, usize) {
        let v = self.tokens.len();
        let side = v * self.cell;
        let gx = MARGIN + self.label_w();
        let gy = MARGIN + 2 * LINE + LINE + self.label_w();
        let width = gx + self.panels.len() * (side + PANEL_GAP) + MARGIN;
        let title_w = MARGIN * 2 + text_width(&self.title);
        let height = gy + side + 2 * LINE + 24 + MARGIN;
        (width.max(title_w).max(360), height, gx, gy)
    }

    /// The picture's size in pixels.
    pub fn size(&self) -> (usize, usize) {
        let (w, h, _, _) = self.layout();
        (w, h)
    }

    /// The colour of a weight.
    pub fn colour(&self, x: i32) -> Rgb {
        let f = (x.saturating_abs() as f64 / self.max_abs as f64).min(1.0);
        let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
        match x.signum() {
            0 => WHITE,
            1 => [mix(225, 8), mix(235, 48), mix(255, 160)],
            _ => [mix(255, 170), mix(225, 10), mix(225, 10)],
        }
    }

    /// A group key per token: boundaries between groups get darker lines.
    fn group(t: &str) -> String {
        match t.split_once(',') {
            Some((q, _)) => q.to_string(),
            None if t.starts_with('⟨') => "⟨symbol⟩".into(),
            None => t.to_string(),
        }
    }

    fn boundaries(&self) -> Vec<usize> {
        (1..self.tokens.len())
            .filter(|&i| Self::group(&self.tokens[i]) != Self::group(&self.tokens[i - 1]))
            .collect()
    }

    /// The heatmap as a PNG picture.
    pub fn to_png(&self) -> Result<Vec<u8>, DrawError> {
        let (width, height, gx, gy) = self.layout();
        if width.saturating_mul(height) > 400_000_000 {
            return Err(DrawError::Size(format!(
                "a {width}×{height} heatmap is too large"
            )));
        }
        let mut c = Canvas::new(width, height, WHITE);
        let v = self.tokens.len();
        let cs = self.cell;
        let side = v * cs;
        c.text(MARGIN, MARGIN, &self.title, 1, BLACK);
        c.text(
            MARGIN,
            MARGIN + LINE,
            "rows: output token d; columns: input token x; next = argmax_d sum_j W_j[d, x_(p-j)]",
            1,
            GREY,
        );
        let every = self.label_every();
        let bounds = self.boundaries();
        for (pi, (name, vals)) in self.panels.iter().enumerate() {
            let px = gx + pi * (side + PANEL_GAP);
            c.text(px, MARGIN + 2 * LINE + 2, name, 1, BLACK);
            for d in 0..v {
                for x in 0..v {
                    let val = vals[d * v + x];
                    let col = self.colour(val);
                    c.fill(px + x * cs, gy + d * cs, cs, cs, col);
                    if val != 0 && cs >= text_width(&val.to_string()) + 4 && cs >= GLYPH + 4 {
                        let s = val.to_string();
                        let ink = if col.iter().map(|&b| b as usize).sum::<usize>() < 400 {
                            WHITE
                        } else {
                            BLACK
                        };
                        c.text(
                            px + x * cs + (cs - text_width(&s)) / 2,
                            gy + d * cs + (cs - GLYPH) / 2,
                            &s,
                            1,
                            ink,
                        );
                    }
                }
            }
            if cs >= 6 {
                for i in 1..v {
                    c.fill(px + i * cs, gy, 1, side, [228, 228, 228]);
                    c.fill(px, gy + i * cs, side, 1, [228, 228, 228]);
                }
            }
            for &b in &bounds {
                c.fill(px + b * cs, gy, 1, side, GREY);
                c.fill(px, gy + b * cs, side, 1, GREY);
            }
            c.outline(px - 1, gy - 1, side + 2, side + 2, BLACK);
            // Column labels, reading upwards above the panel.
            for (x, t) in self.tokens.iter().enumerate().step_by(every) {
                c.text_up(px + x * cs + cs.saturating_sub(GLYPH) / 2, gy - 4, t, BLACK);
            }
        }
        for (d, t) in self.tokens.iter().enumerate().step_by(every) {
            let y = gy + d * cs + cs.saturating_sub(GLYPH) / 2;
            c.text(gx - 4 - text_width(t), y, t, 1, BLACK);
        }
        // Colour scale.
        let sy = gy + side + LINE;
        let mut x = gx;
        c.text(x, sy, "scale:", 1, BLACK);
        x += text_width("scale: ");
        let has_neg = self.panels.iter().any(|(_, v)| v.iter().any(|&w| w < 0));
        let lo = if has_neg { -self.max_abs } else { 0 };
        for val in lo..=self.max_abs {
            let col = self.colour(val);
            c.fill(x, sy - 2, 20, 12, col);
            c.outline(x, sy - 2, 20, 12, GREY);
            let s = val.to_string();
            c.text(
                x + (20usize.saturating_sub(text_width(&s))) / 2,
                sy + 12,
                &s,
                1,
                GREY,
            );
            x += 22;
            if x > width.saturating_sub(30) {
                break;
            }
        }
        c.to_png()
    }

    /// The heatmap as SVG (one rect per non-zero weight, text labels).
    pub fn to_svg(&self) -> String {
        let (width, height, gx, gy) = self.layout();
        let v = self.tokens.len();
        let cs = self.cell;
        let side = v * cs;
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" shape-rendering=\"crispEdges\" font-family=\"monospace\" font-size=\"10\">\n<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n<text x=\"{MARGIN}\" y=\"{}\">{}</text>\n",
            MARGIN + GLYPH,
            xml_escape(&self.title)
        );
        for (pi, (name, vals)) in self.panels.iter().enumerate() {
            let px = gx + pi * (side + PANEL_GAP);
            out.push_str(&format!(
                "<text x=\"{px}\" y=\"{}\">{}</text>\n<rect x=\"{px}\" y=\"{gy}\" width=\"{side}\" height=\"{side}\" fill=\"none\" stroke=\"#000000\"/>\n",
                MARGIN + 2 * LINE + 2 + GLYPH,
                xml_escape(name)
            ));
            for d in 0..v {
                for x in 0..v {
                    let val = vals[d * v + x];
                    if val == 0 {
                        continue;
                    }
                    out.push_str(&format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"{cs}\" height=\"{cs}\" fill=\"{}\"><title>{} ← {}: {val}</title></rect>\n",
                        px + x * cs,
                        gy + d * cs,
                        hex(self.colour(val)),
                        xml_escape(&self.tokens[d]),
                        xml_escape(&self.tokens[x])
                    ));
                }
            }
            for (x, t) in self.tokens.iter().enumerate().step_by(self.label_every()) {
                let tx = px + x * cs + cs / 2 + 3;
                out.push_str(&format!(
                    "<text x=\"{tx}\" y=\"{}\" transform=\"rotate(-90 {tx} {})\">{}</text>\n",
                    gy - 4,
                    gy - 4,
                    xml_escape(t)
                ));
            }
        }
        for (d, t) in self.tokens.iter().enumerate().step_by(self.label_every()) {
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                gx - 4,
                gy + d * cs + cs / 2 + 4,
                xml_escape(t)
            ));
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::machine::load_machine;
    use crate::machine::Input;
    use crate::window::window_of_run;

    #[test]
    fn bb3_heatmap_has_three_labelled_panels() {
        let m = load_machine("1RB1RZ_1LB0RC_1LC1LA").unwrap();
        let w = window_of_run(&m, &Input::default(), 100);
        let p = machine_to_cells_predictor(&m, w);
        let h = Heatmap::new(&p, "bb3");
        assert_eq!(h.panels.len(), 3);
        assert_eq!(h.cell_size(), 22);
        assert_eq!(h.colour(0), WHITE);
        assert_ne!(h.colour(1), h.colour(h.max_abs));
        // SEP | ⟨0⟩ ⟨1⟩ | ⟨A,·⟩ | ⟨B,·⟩ | ⟨C,·⟩ | ⟨Z,·⟩
        assert_eq!(h.boundaries(), [1, 3, 5, 7, 9]);
        let png = h.to_png().unwrap();
        let (w, hgt) = h.size();
        assert_eq!(&png[16..20], &(w as u32).to_be_bytes());
        assert_eq!(&png[20..24], &(hgt as u32).to_be_bytes());
        assert!(h.to_svg().contains("⟨A,0⟩"));
    }
}
