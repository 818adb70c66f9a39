//! Space-time diagrams: one row per step (configuration C_t, or CoT row t of the `cells`
//! trace), one column per tape cell, top to bottom in time.
//!
//! Colours: for 2-symbol machines the bbchallenge convention (blank 0 black, 1 white); with
//! more symbols the blank is black and the others get light colours. The head's cell takes its
//! state's colour (with the read symbol in a small square inside when cells are large enough).
//! In an emulation diagram ([`emulated`]) every generated token that differs from the
//! interpreter's is red.
//!
//! Long runs are shown sharp, never blurred: when there are more rows than `max_height`
//! pixels, every k-th row is drawn (a divergence in a skipped row still marks its column in
//! the next drawn row); when there are more cells than `max_width` pixels, one pixel column
//! stands for k cells and shows the head if it is among them, else their most frequent
//! non-blank symbol, else blank. Small runs are scaled up by a whole factor (square cells).

use super::{hex, text_width, xml_escape, Canvas, DrawError, Rgb, BLACK, GLYPH, GREY, RED, WHITE};
use crate::encoding::Encoding;
use crate::executor::Executor;
use crate::machine::{Input, Machine, StateId, SymbolId};
use crate::predictor::Predictor;
use crate::window::{CellToken, Window, WindowConfig};
use std::ops::Range;

/// What to draw and how large.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceTimeOptions {
    /// Rows (steps) to draw, `start..end` (end exclusive; clipped to the run).
    pub steps: Option<Range<u64>>,
    /// Largest width of the diagram itself, in pixels.
    pub max_width: usize,
    /// Largest height of the diagram itself, in pixels.
    pub max_height: usize,
    /// Largest scale-up factor for small runs (pixels per cell side).
    pub max_scale: usize,
    /// Only the diagram's pixels: no title, axis labels or legend.
    pub plain: bool,
}

impl Default for SpaceTimeOptions {
    fn default() -> SpaceTimeOptions {
        SpaceTimeOptions {
            steps: None,
            max_width: 1200,
            max_height: 2000,
            max_scale: 16,
            plain: false,
        }
    }
}

/// One drawn cell before colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The cell's symbol.
    pub symbol: SymbolId,
    /// The state, where the head is.
    pub head: Option<StateId>,
    /// Whether it differs from the reference (emulation diagrams).
    pub wrong: bool,
}

/// A sampled diagram: the grid of colours plus what the labels say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagram {
    /// Title lines.
    pub title: Vec<String>,
    /// Grid width in columns (pixel columns before scaling).
    pub cols: usize,
    /// Grid height in rows.
    pub rows: usize,
    /// Pixels per grid cell side.
    pub scale: usize,
    /// `rows × cols` cells, row-major, already sampled.
    pub grid: Vec<Cell>,
    /// The step number of each drawn row.
    pub row_steps: Vec<u64>,
    /// Tape cell number (cell 0 = where the input starts) of the first column.
    pub first_cell: i64,
    /// Tape cells per column.
    pub cells_per_col: usize,
    /// Colours and labels of the legend.
    pub legend: Vec<(Rgb, String)>,
    /// Colour of each symbol, indexed by [`SymbolId`].
    pub symbol_colours: Vec<Rgb>,
    /// Colour of each state's head, indexed by [`StateId`].
    pub state_colours: Vec<Rgb>,
    /// Generated tokens that differ from the reference (emulation diagrams).
    pub wrong_tokens: u64,
    /// Draw without labels.
    pub plain: bool,
}

/// Colours of the non-blank symbols (blank is black), in order.
const SYMBOL_PALETTE: [Rgb; 10] = [
    WHITE,
    [246, 214, 92],
    [120, 180, 255],
    [140, 220, 140],
    [255, 160, 200],
    [255, 178, 102],
    [196, 170, 255],
    [110, 220, 220],
    [180, 180, 180],
    [220, 200, 160],
];

/// Colours of heads by state: the Okabe–Ito palette, chosen to stay distinct under the
/// common colour-vision deficiencies, less its black (the blank) and vermillion (too near the
/// red kept for divergences); reused darker past its six (see [`shade`]).
const STATE_PALETTE: [Rgb; 6] = [
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [240, 228, 66],
    [0, 114, 178],
    [204, 121, 167],
];

/// The colour of symbol `s` of a machine.
pub fn symbol_colour(m: &Machine, s: SymbolId) -> Rgb {
    if s == m.blank() {
        return BLACK;
    }
    let rank = if s.index() > m.blank().index() {
        s.index() - 1
    } else {
        s.index()
    };
    shade(
        SYMBOL_PALETTE[rank % SYMBOL_PALETTE.len()],
        rank / SYMBOL_PALETTE.len(),
    )
}

/// The head colour of state `q`.
pub fn state_colour(q: StateId) -> Rgb {
    let i = q.index();
    shade(
        STATE_PALETTE[i % STATE_PALETTE.len()],
        i / STATE_PALETTE.len(),
    )
}

/// Darkens a palette colour for its `round`-th reuse, so long palettes stay distinct.
fn shade(c: Rgb, round: usize) -> Rgb {
    let f = 1.0 / (1.0 + 0.35 * (round % 4) as f64);
    [
        (c[0] as f64 * f) as u8,
        (c[1] as f64 * f) as u8,
        (c[2] as f64 * f) as u8,
    ]
}

/// A source of rows, advanced in time order.
trait Rows {
    /// Writes the current row into `out` (one entry per window cell).
    fn row(&self, out: &mut [Cell]);
    /// Moves to the next row; `false` when there is none.
    fn advance(&mut self) -> bool;
    /// Cells of the current row that differ from the reference (emulation only).
    fn wrong_mask(&self, _out: &mut [bool]) {}
}

/// The reference run on a window.
struct Reference<'m> {
    m: &'m Machine,
    config: WindowConfig,
    step: u64,
}

impl Rows for Reference<'_> {
    fn row(&self, out: &mut [Cell]) {
        for (i, c) in out.iter_mut().enumerate() {
            *c = Cell {
                symbol: self.config.cells[i],
                head: (i == self.config.head).then_some(self.config.state),
                wrong: false,
            };
        }
    }
    fn advance(&mut self) -> bool {
        self.step += 1;
        matches!(self.config.step(self.m, self.step), Ok(true))
    }
}

/// A predictor's generated rows checked against the reference trace.
struct Generated<'m, 'e, E: Encoding, P> {
    m: &'m Machine,
    enc: &'e E,
    exec: Executor<P>,
    reference: E::Trace<'m>,
    size: usize,
    /// Current row's generated tokens and whether each differs from the reference.
    cur: Vec<(Option<CellToken>, bool)>,
    wrong: u64,
}

impl<E: Encoding, P: Predictor> Rows for Generated<'_, '_, E, P> {
    fn row(&self, out: &mut [Cell]) {
        for (o, &(t, wrong)) in out.iter_mut().zip(&self.cur) {
            *o = match t {
                Some(CellToken::Cell { symbol, head }) => Cell {
                    symbol,
                    head,
                    wrong,
                },
                _ => Cell {
                    symbol: self.m.blank(),
                    head: None,
                    wrong: true,
                },
            };
        }
    }
    fn advance(&mut self) -> bool {
        // The reference's next row: SEP then S cells; none when the run is over.
        let mut expected = Vec::with_capacity(self.size + 1);
        for _ in 0..=self.size {
            match self.reference.next() {
                Some(t) => expected.push(t),
                None => return false,
            }
        }
        let sep_wrong = self.exec.step() != expected[0];
        self.cur.clear();
        for &e in &expected[1..] {
            let got = self.exec.step();
            let wrong = got != e;
            self.wrong += wrong as u64;
            self.cur.push((self.enc.cell_of(got), wrong));
        }
        if sep_wrong {
            self.wrong += 1;
            // A misplaced separator: the whole row is out of step.
            for c in &mut self.cur {
                c.1 = true;
            }
        }
        true
    }
    fn wrong_mask(&self, out: &mut [bool]) {
        for (o, c) in out.iter_mut().zip(&self.cur) {
            *o |= c.1;
        }
    }
}

/// Draws the interpreter's run of `m` on `input` inside `window`, at most `max_steps` steps.
///
/// The run stops at a final configuration, at `max_steps`, or where it would leave the
/// window (the title says which).
pub fn reference(
    m: &Machine,
    input: &Input,
    window: Window,
    max_steps: u64,
    opts: &SpaceTimeOptions,
) -> Result<Diagram, DrawError> {
    let config =
        WindowConfig::initial(m, input, window).map_err(|e| DrawError::Size(e.to_string()))?;
    let (steps, end) = count_steps(m, config.clone(), max_steps);
    let src = Reference { m, config, step: 0 };
    let title = format!(
        "{}  input \"{}\"  {} steps, {end}",
        m.name(),
        m.render_input(input),
        steps
    );
    sample(m, src, steps + 1, window, title, opts, false)
}

/// Steps of the run on the window (stopping where it would leave it), and how it ended, as
/// the title says it: a run cut by the step limit says so.
fn count_steps(m: &Machine, mut config: WindowConfig, max_steps: u64) -> (u64, String) {
    let mut n = 0;
    loop {
        if config.is_final(m) {
            let how = if m.is_halting(config.state) {
                "halted"
            } else {
                "no rule"
            };
            return (n, how.to_string());
        }
        if n >= max_steps {
            return (n, format!("cut by the step limit {max_steps}"));
        }
        match config.step(m, n + 1) {
            Ok(true) => n += 1,
            _ => return (n, "stopped at the window's edge".to_string()),
        }
    }
}

/// Draws the rows a predictor generates under `enc` from the prompt of `m` on `input`, checked
/// token by token against the interpreter's trace: differing tokens are red. The encoding's
/// rows must be a separator and one token a cell ([`Encoding::cell_of`]), as `cells`' are.
pub fn emulated<E: Encoding, P: Predictor>(
    m: &Machine,
    enc: &E,
    predictor: P,
    input: &Input,
    max_steps: u64,
    opts: &SpaceTimeOptions,
) -> Result<Diagram, DrawError> {
    let window = enc.window();
    if !enc.tokens_are_cells() || enc.row_len() != window.size + 1 {
        return Err(DrawError::Size(format!(
            "space-time diagrams draw rows of one token a cell; the {} encoding's are not",
            enc.info().name
        )));
    }
    let config =
        WindowConfig::initial(m, input, window).map_err(|e| DrawError::Size(e.to_string()))?;
    let (steps, end) = count_steps(m, config.clone(), max_steps);
    let mut reference = enc
        .trace(m, input, max_steps)
        .map_err(|e| DrawError::Size(e.to_string()))?;
    let mut exec = Executor::new(predictor);
    // The prompt: SEP and row 0, fed from the reference.
    let mut cur = Vec::with_capacity(window.size);
    for i in 0..=window.size {
        let Some(t) = reference.next() else { break };
        exec.feed(t);
        if i > 0 {
            cur.push((enc.cell_of(t), false));
        }
    }
    let src = Generated {
        m,
        enc,
        exec,
        reference,
        size: window.size,
        cur,
        wrong: 0,
    };
    let title = format!(
        "{}  input \"{}\"  generated by the predictor, {} steps, {end}",
        m.name(),
        m.render_input(input),
        steps
    );
    sample(m, src, steps + 1, window, title, opts, true)
}

/// Walks the rows of `src` and keeps the ones drawn, downsampling columns.
fn sample(
    m: &Machine,
    mut src: impl Rows,
    total_rows: u64,
    window: Window,
    title: String,
    opts: &SpaceTimeOptions,
    emulated: bool,
) -> Result<Diagram, DrawError> {
    let range = opts.steps.clone().unwrap_or(0..total_rows);
    let start = range.start.min(total_rows);
    let end = range.end.min(total_rows);
    if start >= end {
        return Err(DrawError::Size(format!(
            "no rows to draw: steps {}..{} of a run with rows 0..{total_rows}",
            range.start, range.end
        )));
    }
    // A picture of no pixels was drawn one pixel wide before: say so instead.
    if opts.max_width == 0 || opts.max_height == 0 {
        return Err(DrawError::Size(format!(
            "a picture at most {} pixels wide and {} high has no pixel to draw in: both must be 1 or more",
            opts.max_width, opts.max_height
        )));
    }
    let (max_w, max_h) = (opts.max_width, opts.max_height);
    let cells = window.size;
    let n_rows = end - start;
    // The cell side comes from the window's width, so a narrow window of a long run is drawn
    // wide (binary-multiply's 59 cells were 59 one-pixel columns when the rows chose it);
    // the rows are then sampled to fit the height at that side.
    let kc = cells.div_ceil(max_w);
    let cols = cells.div_ceil(kc);
    let scale = (max_w / cols).clamp(1, opts.max_scale.max(1));
    let kr = n_rows.div_ceil((max_h / scale).max(1) as u64);
    let rows = n_rows.div_ceil(kr) as usize;
    let blank = Cell {
        symbol: m.blank(),
        head: None,
        wrong: false,
    };
    let mut row = vec![blank; cells];
    let mut wrong = vec![false; cells];
    let mut grid = Vec::with_capacity(rows * cols);
    let mut row_steps = Vec::with_capacity(rows);
    let mut t = 0u64;
    let mut alive = true;
    while alive && t < end {
        let drawn = t >= start && (t - start) % kr == 0;
        if emulated && t >= start {
            src.wrong_mask(&mut wrong);
        }
        if drawn {
            src.row(&mut row);
            for (c, w) in row.iter_mut().zip(&mut wrong) {
                c.wrong |= *w;
                *w = false;
            }
            for block in row.chunks(kc) {
                grid.push(pool(m, block));
            }
            row_steps.push(t);
        }
        t += 1;
        if t < end {
            alive = src.advance();
        }
    }
    let rows = row_steps.len();
    let wrong_tokens = grid.iter().filter(|c| c.wrong).count() as u64;
    let symbol_colours: Vec<Rgb> = (0..m.num_symbols())
        .map(|s| symbol_colour(m, SymbolId(s as u8)))
        .collect();
    let state_colours: Vec<Rgb> = (0..m.num_states())
        .map(|q| state_colour(StateId(q as u16)))
        .collect();
    let mut legend: Vec<(Rgb, String)> = (0..m.num_symbols())
        .map(|s| {
            let id = SymbolId(s as u8);
            let c = m.symbol_char(id);
            let name = if id == m.blank() {
                format!("'{c}' blank")
            } else {
                format!("'{c}'")
            };
            (symbol_colours[s], name)
        })
        .collect();
    legend.extend(
        (0..m.num_states())
            .filter(|&q| {
                !m.is_halting(StateId(q as u16))
                    || grid.iter().any(|c| c.head == Some(StateId(q as u16)))
            })
            .map(|q| (state_colours[q], format!("head in {}", m.states()[q]))),
    );
    if emulated {
        legend.push((RED, "differs from reference".into()));
    }
    let first_cell = -(window.origin as i64);
    let mut second = format!(
        "rows: steps {start}..{}{}  columns: cells {first_cell}..{}{}",
        end - 1,
        if kr > 1 {
            format!(" (every {kr}th)")
        } else {
            String::new()
        },
        first_cell + cells as i64 - 1,
        if kc > 1 {
            format!(" ({kc} per pixel)")
        } else {
            String::new()
        },
    );
    if emulated {
        second.push_str(&format!("  differing tokens drawn: {wrong_tokens}"));
    }
    Ok(Diagram {
        title: vec![title, second],
        cols,
        rows,
        scale,
        grid,
        row_steps,
        first_cell,
        cells_per_col: kc,
        legend,
        symbol_colours,
        state_colours,
        wrong_tokens,
        plain: opts.plain,
    })
}

/// One column's cell from a block of cells: wrong > head > most frequent non-blank > blank.
fn pool(m: &Machine, block: &[Cell]) -> Cell {
    if block.len() == 1 {
        return block[0];
    }
    let wrong = block.iter().any(|c| c.wrong);
    if let Some(h) = block.iter().find(|c| c.head.is_some()) {
        return Cell { wrong, ..*h };
    }
    let mut counts = vec![0usize; m.num_symbols()];
    for c in block {
        if c.symbol != m.blank() {
            counts[c.symbol.index()] += 1;
        }
    }
    let best = (0..counts.len())
        .filter(|&s| counts[s] > 0)
        .max_by_key(|&s| (counts[s], std::cmp::Reverse(s)));
    Cell {
        symbol: best.map_or(m.blank(), |s| SymbolId(s as u8)),
        head: None,
        wrong,
    }
}

/// Where the parts of a drawn diagram go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagramLayout {
    /// Picture width in pixels.
    pub width: usize,
    /// Picture height in pixels.
    pub height: usize,
    /// Left edge of the grid.
    pub grid_x: usize,
    /// Top edge of the grid.
    pub grid_y: usize,
    /// Left edge of the legend.
    pub legend_x: usize,
}

const MARGIN: usize = 8;
const LINE: usize = GLYPH + 4;
const SWATCH: usize = 12;

impl Diagram {
    /// Pixel size of the grid itself.
    pub fn grid_size(&self) -> (usize, usize) {
        (self.cols * self.scale, self.rows * self.scale)
    }

    /// Where everything goes; the plain layout is the grid alone.
    pub fn layout(&self) -> DiagramLayout {
        let (gw, gh) = self.grid_size();
        if self.plain {
            return DiagramLayout {
                width: gw,
                height: gh,
                grid_x: 0,
                grid_y: 0,
                legend_x: gw,
            };
        }
        let last_step = self.row_steps.last().copied().unwrap_or(0);
        let axis_w = text_width(&last_step.to_string()) + 6;
        let grid_x = MARGIN + axis_w;
        let grid_y = MARGIN + LINE * self.title.len() + LINE + 4;
        let legend_x = grid_x + gw + 16;
        let legend_w = self
            .legend
            .iter()
            .map(|(_, l)| SWATCH + 6 + text_width(l))
            .max()
            .unwrap_or(0)
            .max(self.note().map_or(0, text_width));
        let title_w = self.title.iter().map(|t| text_width(t)).max().unwrap_or(0);
        let width = (legend_x + legend_w + MARGIN).max(MARGIN * 2 + title_w);
        let legend_h = LINE + self.legend.len() * (SWATCH + 4) + LINE;
        let height = (grid_y + gh).max(grid_y + legend_h) + MARGIN;
        DiagramLayout {
            width,
            height,
            grid_x,
            grid_y,
            legend_x,
        }
    }

    /// The line under the legend, when heads show the symbol they read.
    fn note(&self) -> Option<&'static str> {
        (self.scale >= 6).then_some("inner square: symbol under the head")
    }

    /// The colour of a grid cell (and of its inner square, for heads on large cells).
    fn colours(&self, c: &Cell) -> (Rgb, Option<Rgb>) {
        let sym = self
            .symbol_colours
            .get(c.symbol.index())
            .copied()
            .unwrap_or(BLACK);
        if c.wrong {
            return (RED, None);
        }
        match c.head {
            Some(q) => {
                let hc = self.state_colours.get(q.index()).copied().unwrap_or(GREY);
                (hc, (self.scale >= 6).then_some(sym))
            }
            None => (sym, None),
        }
    }

    /// Rows to label on the step axis: about one every 80 pixels, always the first and last.
    fn labelled_rows(&self) -> Vec<usize> {
        if self.rows == 0 {
            return Vec::new();
        }
        let every = (80 / self.scale.max(1)).max(1);
        let mut v: Vec<usize> = (0..self.rows).step_by(every).collect();
        let last = self.rows - 1;
        if v.last() != Some(&last) {
            if v.last().is_some_and(|&l| (last - l) * self.scale < LINE) {
                v.pop();
            }
            v.push(last);
        }
        v
    }

    /// The column of tape cell 0, if it is on the grid.
    fn origin_col(&self) -> Option<usize> {
        let off = usize::try_from(-self.first_cell).ok()?;
        let col = off / self.cells_per_col.max(1);
        (col < self.cols).then_some(col)
    }

    /// The diagram as a PNG picture.
    pub fn to_png(&self) -> Result<Vec<u8>, DrawError> {
        let l = self.layout();
        if l.width == 0 || l.height == 0 {
            return Err(DrawError::Size("empty diagram".into()));
        }
        if l.width.saturating_mul(l.height) > 400_000_000 {
            return Err(DrawError::Size(format!(
                "a {}×{} picture is too large; draw fewer cells or steps",
                l.width, l.height
            )));
        }
        let mut c = Canvas::new(l.width, l.height, WHITE);
        let s = self.scale;
        for r in 0..self.rows {
            for col in 0..self.cols {
                let cell = &self.grid[r * self.cols + col];
                let (outer, inner) = self.colours(cell);
                let (x, y) = (l.grid_x + col * s, l.grid_y + r * s);
                c.fill(x, y, s, s, outer);
                if let Some(ic) = inner {
                    let inset = s / 3;
                    c.fill(x + inset, y + inset, s - 2 * inset, s - 2 * inset, ic);
                }
            }
        }
        if self.plain {
            return c.to_png();
        }
        for (i, t) in self.title.iter().enumerate() {
            c.text(MARGIN, MARGIN + i * LINE, t, 1, BLACK);
        }
        let (gw, gh) = self.grid_size();
        c.outline(l.grid_x - 1, l.grid_y - 1, gw + 2, gh + 2, GREY);
        for r in self.labelled_rows() {
            let label = self.row_steps[r].to_string();
            let y = l.grid_y + r * s + s / 2;
            let y = y.saturating_sub(GLYPH / 2).min(l.grid_y + gh);
            c.text(l.grid_x - 4 - text_width(&label), y, &label, 1, GREY);
        }
        // Cell 0 (where the input starts): a tick and label above the grid.
        if let Some(col) = self.origin_col() {
            let x = l.grid_x + col * s + s / 2;
            c.fill(x, l.grid_y - 5, 1, 4, BLACK);
            let label = "cell 0";
            let lx = x.saturating_sub(text_width(label) / 2).max(l.grid_x);
            c.text(lx, l.grid_y - 5 - LINE + 2, label, 1, BLACK);
        }
        let mut y = l.grid_y;
        c.text(l.legend_x, y, "legend", 1, BLACK);
        y += LINE;
        for (colour, label) in &self.legend {
            c.fill(l.legend_x, y, SWATCH, SWATCH, *colour);
            c.outline(l.legend_x, y, SWATCH, SWATCH, GREY);
            c.text(l.legend_x + SWATCH + 6, y + 2, label, 1, BLACK);
            y += SWATCH + 4;
        }
        if let Some(note) = self.note() {
            c.text(l.legend_x, y + 2, note, 1, GREY);
        }
        c.to_png()
    }

    /// The diagram as SVG: one `rect` per run of equal cells in a row, crisp edges.
    pub fn to_svg(&self) -> String {
        let l = self.layout();
        let s = self.scale;
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" shape-rendering=\"crispEdges\" font-family=\"monospace\" font-size=\"10\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
            w = l.width,
            h = l.height
        );
        for r in 0..self.rows {
            let row = &self.grid[r * self.cols..(r + 1) * self.cols];
            let mut col = 0;
            while col < self.cols {
                let (outer, inner) = self.colours(&row[col]);
                let mut end = col + 1;
                while inner.is_none() && end < self.cols && self.colours(&row[end]) == (outer, None)
                {
                    end += 1;
                }
                out.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{s}\" fill=\"{}\"/>\n",
                    l.grid_x + col * s,
                    l.grid_y + r * s,
                    (end - col) * s,
                    hex(outer)
                ));
                if let Some(ic) = inner {
                    let inset = s / 3;
                    out.push_str(&format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{w}\" fill=\"{}\"/>\n",
                        l.grid_x + col * s + inset,
                        l.grid_y + r * s + inset,
                        hex(ic),
                        w = s - 2 * inset
                    ));
                }
                col = end;
            }
        }
        if !self.plain {
            for (i, t) in self.title.iter().enumerate() {
                out.push_str(&format!(
                    "<text x=\"{MARGIN}\" y=\"{}\">{}</text>\n",
                    MARGIN + i * LINE + GLYPH,
                    xml_escape(t)
                ));
            }
            for r in self.labelled_rows() {
                out.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#6e6e6e\">{}</text>\n",
                    l.grid_x - 4,
                    l.grid_y + r * s + s / 2 + 4,
                    self.row_steps[r]
                ));
            }
            let mut y = l.grid_y;
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\">legend</text>\n",
                l.legend_x,
                y + GLYPH
            ));
            y += LINE;
            for (colour, label) in &self.legend {
                out.push_str(&format!(
                    "<rect x=\"{}\" y=\"{y}\" width=\"{SWATCH}\" height=\"{SWATCH}\" fill=\"{}\" stroke=\"#6e6e6e\"/>\n<text x=\"{}\" y=\"{}\">{}</text>\n",
                    l.legend_x,
                    hex(*colour),
                    l.legend_x + SWATCH + 6,
                    y + 10,
                    xml_escape(label)
                ));
                y += SWATCH + 4;
            }
            if let Some(note) = self.note() {
                out.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"#6e6e6e\">{note}</text>\n",
                    l.legend_x,
                    y + 10
                ));
            }
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::cells::Cells;
    use crate::machine::load_machine;
    use crate::window::window_of_run;

    fn bb2() -> Machine {
        load_machine("1RB1LB_1LA1RZ").unwrap()
    }

    #[test]
    fn bb2_rows_cells_and_colours() {
        let m = bb2();
        let w = window_of_run(&m, &Input::default(), 100);
        let opts = SpaceTimeOptions {
            plain: true,
            ..Default::default()
        };
        let d = reference(&m, &Input::default(), w, 100, &opts).unwrap();
        assert_eq!((d.cols, d.rows), (w.size, 7));
        assert_eq!(d.scale, 16);
        // Row 0: all blank, head on the origin in state A.
        let origin = &d.grid[w.origin];
        assert_eq!(origin.head, m.state_id("A"));
        assert_eq!(d.colours(&d.grid[0]).0, BLACK);
        // The last row: four 1s, white.
        let last = &d.grid[6 * d.cols..];
        assert_eq!(last.iter().filter(|c| c.symbol == SymbolId(1)).count(), 4);
        assert_eq!(symbol_colour(&m, SymbolId(1)), WHITE);
        let png = d.to_png().unwrap();
        let (gw, gh) = d.grid_size();
        assert_eq!(
            &png[16..24],
            &[
                &(gw as u32).to_be_bytes()[..],
                &(gh as u32).to_be_bytes()[..]
            ]
            .concat()[..]
        );
    }

    #[test]
    fn long_runs_are_sampled_not_blurred() {
        let m = load_machine("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA").unwrap();
        let w = window_of_run(&m, &Input::default(), 20_000);
        let opts = SpaceTimeOptions {
            max_width: 10,
            max_height: 50,
            ..Default::default()
        };
        let d = reference(&m, &Input::default(), w, 20_000, &opts).unwrap();
        assert!(d.cols <= 10 && d.rows <= 50, "{} × {}", d.cols, d.rows);
        assert!(d.cells_per_col > 1);
        assert!(d.title[1].contains("every"));
        // Exactly one head per drawn row.
        for r in 0..d.rows {
            let heads = d.grid[r * d.cols..(r + 1) * d.cols]
                .iter()
                .filter(|c| c.head.is_some())
                .count();
            assert_eq!(heads, 1);
        }
        let svg = d.to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }

    #[test]
    fn emulation_agrees_and_edited_weights_show_red() {
        let m = bb2();
        let w = window_of_run(&m, &Input::default(), 100);
        let opts = SpaceTimeOptions::default();
        let p = machine_to_cells_predictor(&m, w);
        let d = emulated(
            &m,
            &Cells::new(&m, w),
            p.clone(),
            &Input::default(),
            100,
            &opts,
        )
        .unwrap();
        assert_eq!(d.wrong_tokens, 0);
        let r = reference(&m, &Input::default(), w, 100, &opts).unwrap();
        assert_eq!(d.grid, r.grid);
        // Zero weights: the predictor emits token 0 (SEP) everywhere: every cell is wrong.
        let layout = p.layout().clone();
        let v = layout.tokens.len();
        let zero = crate::predictor::LinearAr::new(layout, vec![nalgebra::DMatrix::zeros(v, v); 3]);
        let d = emulated(&m, &Cells::new(&m, w), zero, &Input::default(), 100, &opts).unwrap();
        assert_eq!(d.wrong_tokens as usize, (d.rows - 1) * d.cols);
        assert!(d.to_png().is_ok());
    }

    #[test]
    fn step_ranges_are_checked() {
        let m = bb2();
        let w = window_of_run(&m, &Input::default(), 100);
        let opts = SpaceTimeOptions {
            steps: Some(2..5),
            ..Default::default()
        };
        let d = reference(&m, &Input::default(), w, 100, &opts).unwrap();
        assert_eq!(d.row_steps, [2, 3, 4]);
        let opts = SpaceTimeOptions {
            steps: Some(50..60),
            ..Default::default()
        };
        assert!(reference(&m, &Input::default(), w, 100, &opts).is_err());
    }

    #[test]
    fn a_narrow_window_of_a_long_run_has_wide_cells_and_says_where_it_was_cut() {
        // Two cells, back and forth forever.
        let m = crate::machine::load_machine("0RB0RB_0LA0LA").unwrap();
        let w = Window { size: 2, origin: 0 };
        let d = reference(
            &m,
            &Input::default(),
            w,
            10_000,
            &SpaceTimeOptions::default(),
        )
        .unwrap();
        // 16-pixel cells (the most), and every 81st of the 10,001 rows: 124 rows in 2000 pixels.
        assert_eq!((d.scale, d.rows), (16, 124));
        assert!(
            d.title[0].ends_with("10000 steps, cut by the step limit 10000"),
            "{:?}",
            d.title
        );
        let bb2 = crate::machine::load_machine("1RB1LB_1LA1RZ").unwrap();
        let w = Window { size: 4, origin: 2 };
        let d = reference(
            &bb2,
            &Input::default(),
            w,
            100,
            &SpaceTimeOptions::default(),
        )
        .unwrap();
        assert!(d.title[0].ends_with("6 steps, halted"), "{:?}", d.title);
    }
}
