//! The viewer's requests: a machine given as the bytes of a file (pasted, uploaded, or read from
//! `machines/`), compiled, emulated and certified once ([`View`]), then read a page of rows at a
//! time, each generated token with its top scores and the weights that made the winner win.
//!
//! Every shell that shows the viewer goes through here: `arsim serve` (its JSON API), `arsim
//! trace --html` (a page with the data embedded, [`View::offline_page`]), and the Python
//! package's `_repr_html_` ([`View::notebook_html`]). The limits a request is held to (machine
//! bytes, steps, tokens, rows a page, time) are this module's constants, so no shell can let
//! through what another refuses. The page itself (HTML, CSS, JS) is compiled in from
//! `src/api/viewer/` and loads nothing from the internet.
//!
//! ```
//! use arsim::api::view::{View, ViewRequest};
//! let req = ViewRequest::text("1RB1LB_1LA1RZ", "bb2");
//! let view = View::new(&req).unwrap();
//! let page = view.rows(1, 1, None).unwrap();
//! let token = &page.rows[0].scored[0].as_ref().unwrap();
//! // The winner's score is the sum of the weights it read, and it is the top score.
//! let sum: f64 = token.weights.iter().map(|w| w.value).sum();
//! assert_eq!(token.top[0], (token.winner, sum));
//! ```

use crate::api::error::ApiError;
use crate::api::load::LoadedRun;
use crate::api::predictors::certify_json;
use crate::api::prepare::{prepare, Prepared};
use crate::emulate::EmulationReport;
use crate::emulate::ExecutorOptions;
use crate::encoding::{AnyEncoding, Encoding, EncodingKind};
use crate::machine::load::from_bytes_with;
use crate::machine::{Input, LoadOptions, Machine, MachineFormat};
use crate::predictor::{argmax, Context, LinearAr, Predictor, TokenId, Weight};
use crate::weights::{with_dense, Weights};
use crate::window::Window;
use serde::Serialize;
use std::time::{Duration, Instant};

/// The largest machine file a viewer request takes, in bytes (the largest file in `machines/`
/// is under 4 KiB; a seed database of 40,000 machines fits).
pub const VIEW_MAX_MACHINE_BYTES: usize = 256 << 10;
/// The most steps a viewer request follows.
pub const VIEW_MAX_STEPS: u64 = 1_000_000;
/// The most tokens a viewed run may have (steps × row length): the request's emulation and
/// every page's walk to its rows are bounded by it (bb5's first 10^4 rows are 1.9 M).
pub const VIEW_MAX_TOKENS: u64 = 1 << 24;
/// The most rows one page holds.
pub const VIEW_MAX_PAGE_ROWS: u64 = 256;
/// The most tokens one page scores (a page of wide rows holds fewer rows).
pub const VIEW_MAX_PAGE_TOKENS: u64 = 1 << 15;
/// How many of the next token's scores each generated token lists, best first.
pub const VIEW_TOP_SCORES: usize = 5;
/// The largest dictionary whose weight matrices the summary carries (for the heatmap).
pub const VIEW_HEATMAP_MAX_VOCAB: usize = 64;
/// The most bytes of data an offline page embeds (`arsim trace --html`, a notebook).
pub const VIEW_MAX_EMBEDDED_BYTES: usize = 8 << 20;
/// The longest a viewer request may compute.
pub const VIEW_TIME_LIMIT: Duration = Duration::from_secs(10);

/// The page: one HTML file whose CSS and JS are compiled in (`src/api/viewer/`).
const PAGE_HTML: &str = include_str!("viewer/page.html");
const PAGE_CSS: &str = include_str!("viewer/page.css");
const PAGE_JS: &str = include_str!("viewer/page.js");

/// What to view: a machine file's bytes, how to read them, its input, the encoding and window.
#[derive(Clone, Debug)]
pub struct ViewRequest {
    /// The machine file's bytes (any of the five formats), or a standard-format string.
    pub bytes: Vec<u8>,
    /// The file's name (`bb4.ron`, `pasted`): its extension picks the format unless
    /// `options.format` does, its stem names the machine, and messages name it.
    pub name: String,
    /// How to read it (format, lenient, undefined transitions, start state).
    pub options: LoadOptions,
    /// The input word; `None`: the file's own, else empty.
    pub input: Option<String>,
    /// The encoding.
    pub encoding: EncodingKind,
    /// The tape window; `None`: the cells the run visits.
    pub window: Option<Window>,
    /// The step limit (at most [`VIEW_MAX_STEPS`]).
    pub max_steps: u64,
}

impl ViewRequest {
    /// A request for `text` named `name`, with every default: its own input, `cells`, the
    /// window of the run, 10,000 steps.
    pub fn text(text: &str, name: &str) -> ViewRequest {
        ViewRequest {
            bytes: text.as_bytes().to_vec(),
            name: name.to_string(),
            options: LoadOptions::default(),
            input: None,
            encoding: EncodingKind::Cells,
            window: None,
            max_steps: 10_000,
        }
    }
}

/// A machine compiled for the viewer, its run emulated and its predictor certified once; its
/// rows are read a page at a time ([`View::rows`]).
#[derive(Clone, Debug)]
pub struct View {
    text: String,
    machine: Machine,
    input: Input,
    prepared: Prepared,
    max_steps: u64,
    summary: ViewSummary,
}

/// One rule of the state graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphRule {
    /// The state.
    pub state: String,
    /// The symbol read.
    pub read: String,
    /// The symbol written.
    pub write: String,
    /// `L`, `R` or `S`.
    #[serde(rename = "move")]
    pub movement: String,
    /// The next state.
    pub next: String,
}

/// The certificate's verdict, as `arsim certify --json` says it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertificateSummary {
    /// Whether every local context was checked and the predictor is right on each.
    pub certified: bool,
    /// Contexts checked.
    pub contexts: Option<u64>,
    /// The smallest margin between the right token's score and the next best.
    pub min_margin: serde_json::Value,
    /// Contexts where the predictor is wrong.
    pub failed: Option<u64>,
    /// Why the certificate does not apply, when it does not.
    pub reason: Option<String>,
}

/// What the page shows beside the rows: the machine, the predictor, the run's emulation and
/// the certificate (the keys are the command line's: `docs/json.md`, section `serve`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ViewSummary {
    /// The machine's name.
    pub machine: String,
    /// Its description.
    pub description: String,
    /// The states, in id order.
    pub states: Vec<String>,
    /// The symbols, in id order.
    pub symbols: Vec<String>,
    /// The blank.
    pub blank: String,
    /// The start state.
    pub start: String,
    /// The halting states.
    pub halting: Vec<String>,
    /// The rules (the state graph's edges).
    pub rules: Vec<GraphRule>,
    /// The encoding.
    pub encoding: &'static str,
    /// The proof that its certificate suffices (a file under `proofs/`).
    pub proof: &'static str,
    /// Window size S.
    pub tape_cells: usize,
    /// Window cell where the input starts.
    pub origin: usize,
    /// The dictionary, by token id.
    pub dictionary: Vec<String>,
    /// Offsets the predictor reads (time-dependent ones: the deepest of them).
    pub offsets: Vec<usize>,
    /// How each offset is written (`S+1`).
    pub offset_names: Vec<String>,
    /// Tokens a row (the prompt is one row).
    pub prompt_tokens: usize,
    /// Rows of the trace, the prompt's among them.
    pub rows: u64,
    /// The weight matrices `[offset][output][input]`, for dense weights of at most
    /// [`VIEW_HEATMAP_MAX_VOCAB`] tokens; else null.
    pub weights: Option<Vec<Vec<Vec<f64>>>>,
    /// The run emulated, every token checked (`arsim emulate --json`'s report).
    pub emulation: EmulationReport,
    /// The certificate's verdict.
    pub certificate: CertificateSummary,
    /// Each warning of lenient loading.
    pub warnings: Vec<String>,
}

/// One weight that added to the winner's score: `W_offset[winner, context]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Contribution {
    /// How far back the token read stands.
    pub offset: usize,
    /// The token read there (the dictionary's size: padding, before the trace).
    pub context: u32,
    /// The weight.
    pub value: f64,
}

/// A generated token, as the predictor scored it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    /// The token the predictor emits: the argmax of its scores (the executor's computation).
    pub winner: u32,
    /// Whether it is the interpreter's token.
    pub agree: bool,
    /// The best [`VIEW_TOP_SCORES`] scores `(token, score)`, best first (a tie: lower id first).
    pub top: Vec<(u32, f64)>,
    /// The weights that made the winner's score, one an offset read (time-invariant weights;
    /// non-zero ones past 8 offsets), or the entries of the position's map that fired.
    pub weights: Vec<Contribution>,
}

/// A row's configuration: what the tape animation draws.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowTape {
    /// The window's cells, one symbol a cell.
    pub cells: String,
    /// The head's window cell.
    pub head: usize,
    /// The state.
    pub state: String,
}

/// One row of the trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ViewRow {
    /// The row's index (0: the prompt).
    pub row: u64,
    /// The machine's step the row's first token belongs to.
    pub step: u64,
    /// The row's tokens (the interpreter's).
    pub tokens: Vec<u32>,
    /// Each token as the predictor scored it (none for the prompt's).
    pub scored: Vec<Option<Scored>>,
    /// The configuration the row stands for, when it decodes to one.
    pub tape: Option<RowTape>,
}

/// Rows `from_row ..` of a trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowsPage {
    /// The first row's index.
    pub from_row: u64,
    /// The rows.
    pub rows: Vec<ViewRow>,
    /// Whether the trace ends within this page.
    pub end: bool,
}

/// `what` of `size` over `limit`: a request the viewer refuses.
fn over(what: &str, size: impl std::fmt::Display, limit: impl std::fmt::Display) -> ApiError {
    ApiError::Limit {
        what: format!("{what} {size}"),
        limit: limit.to_string(),
    }
}

/// Fails with [`ApiError::TimeLimit`] once `deadline` has passed.
fn check_time(deadline: Option<Instant>) -> Result<(), ApiError> {
    match deadline {
        Some(d) if Instant::now() > d => Err(ApiError::TimeLimit {
            seconds: VIEW_TIME_LIMIT.as_secs_f64(),
        }),
        _ => Ok(()),
    }
}

impl View {
    /// Loads, compiles, emulates and certifies `req`'s machine, refusing any request past the
    /// viewer's limits; `deadline` bounds the time (checked between the stages).
    pub fn new_until(req: &ViewRequest, deadline: Option<Instant>) -> Result<View, ApiError> {
        if req.bytes.len() > VIEW_MAX_MACHINE_BYTES {
            return Err(over(
                "a machine file of",
                format!("{} bytes", req.bytes.len()),
                format!("{VIEW_MAX_MACHINE_BYTES} bytes"),
            ));
        }
        let stem = std::path::Path::new(&req.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let format = req
            .options
            .format
            .or_else(|| MachineFormat::from_extension(std::path::Path::new(&req.name)))
            .unwrap_or_else(|| MachineFormat::detect(&req.bytes));
        let mut options = req.options.clone();
        options.input = req.input.clone();
        let loaded = from_bytes_with(&req.bytes, format, &req.name, &stem, None, &options)?;
        let machine = loaded.machine;
        let word = req
            .input
            .clone()
            .unwrap_or_else(|| machine.default_input().unwrap_or("").to_string());
        let input = machine
            .parse_input(&word)
            .map_err(|source| ApiError::Input {
                origin: match &req.input {
                    Some(w) => crate::api::InputSource::Word(w.clone()),
                    None => crate::api::InputSource::Own,
                },
                machine: req.name.clone(),
                source,
            })?;
        let run = LoadedRun {
            machine,
            input,
            warnings: loaded.warnings,
        };
        let text = String::from_utf8_lossy(&req.bytes);
        let how = (req.encoding, req.window, req.max_steps);
        View::of_run(run, &text, how, deadline)
    }

    /// A machine already loaded (`text`: its file, shown beside the rows) on the encoding,
    /// window and step limit of `how`, refused past the viewer's limits.
    pub fn of_run(
        run: LoadedRun,
        text: &str,
        (encoding, window, max_steps): (EncodingKind, Option<Window>, u64),
        deadline: Option<Instant>,
    ) -> Result<View, ApiError> {
        // Refused before anything is compiled.
        if max_steps > VIEW_MAX_STEPS {
            return Err(over("a step limit of", max_steps, VIEW_MAX_STEPS));
        }
        check_time(deadline)?;
        let prepared = prepare(&run.machine, &run.input, encoding, window, None, max_steps)?;
        View::of_prepared(run, text, prepared, max_steps, deadline)
    }

    /// A machine already loaded, run by a predictor already prepared (compiled, learned, or
    /// read from a file: [`crate::api::HeldPredictor::prepared`]), refused past the viewer's
    /// limits.
    pub fn of_prepared(
        run: LoadedRun,
        text: &str,
        prepared: Prepared,
        max_steps: u64,
        deadline: Option<Instant>,
    ) -> Result<View, ApiError> {
        if max_steps > VIEW_MAX_STEPS {
            return Err(over("a step limit of", max_steps, VIEW_MAX_STEPS));
        }
        let LoadedRun {
            machine,
            input,
            warnings,
        } = run;
        // The run's length, before anything walks it: the interpreter is cheap next to it.
        let steps = crate::interpreter::run(&machine, &input, max_steps).steps;
        let row = prepared.enc.row_len() as u64;
        let tokens = steps.saturating_add(1).saturating_mul(row);
        if tokens > VIEW_MAX_TOKENS {
            return Err(over(
                "a run of",
                format!("{tokens} tokens ({steps} steps of {row})"),
                format!("{VIEW_MAX_TOKENS} tokens; give fewer steps or a smaller window"),
            ));
        }
        check_time(deadline)?;
        let emulation = prepared.clone().emulate(
            &machine,
            input.clone(),
            max_steps,
            ExecutorOptions {
                threads: Some(1),
                ..Default::default()
            },
            &mut |_| {},
        )?;
        check_time(deadline)?;
        let certificate = match prepared.certify(&machine, &input, &mut |_, _| {}) {
            Ok(report) => {
                let v = serde_json::to_value(certify_json(&machine, &prepared, &report))
                    .unwrap_or_default();
                CertificateSummary {
                    certified: report.certified(),
                    contexts: v.get("contexts").and_then(|x| x.as_u64()),
                    min_margin: v.get("min_margin").cloned().unwrap_or_default(),
                    failed: v.get("failed").and_then(|x| x.as_u64()),
                    reason: v.get("reason").and_then(|x| x.as_str()).map(str::to_string),
                }
            }
            Err(e) => CertificateSummary {
                certified: false,
                contexts: None,
                min_margin: serde_json::Value::Null,
                failed: None,
                reason: Some(crate::api::chain(&e)),
            },
        };
        // The rows are the interpreter's (a predictor that diverged stopped generating early).
        let tokens = reference(&prepared.enc, &machine, &input, max_steps)?.count() as u64;
        let mut summary = summary(&machine, &prepared, emulation, certificate, warnings);
        summary.rows = tokens / row.max(1);
        Ok(View {
            text: text.to_string(),
            machine,
            input,
            prepared,
            max_steps,
            summary,
        })
    }

    /// [`View::new_until`] with [`VIEW_TIME_LIMIT`] from now.
    pub fn new(req: &ViewRequest) -> Result<View, ApiError> {
        View::new_until(req, Some(Instant::now() + VIEW_TIME_LIMIT))
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// What the page shows beside the rows.
    pub fn summary(&self) -> &ViewSummary {
        &self.summary
    }

    /// The emulation's verdict, as the command line's exit status says it.
    pub fn verdict(&self) -> crate::api::Verdict {
        crate::api::verdict(&self.summary.emulation)
    }

    /// Rows `from_row .. from_row + rows` (fewer where the trace ends, or past
    /// [`VIEW_MAX_PAGE_ROWS`] rows or [`VIEW_MAX_PAGE_TOKENS`] tokens), each generated token
    /// scored by the predictor on the trace before it; `deadline` bounds the walk.
    pub fn rows(
        &self,
        from_row: u64,
        rows: u64,
        deadline: Option<Instant>,
    ) -> Result<RowsPage, ApiError> {
        let enc = &self.prepared.enc;
        let row_len = enc.row_len() as u64;
        let rows = rows
            .min(VIEW_MAX_PAGE_ROWS)
            .min((VIEW_MAX_PAGE_TOKENS / row_len.max(1)).max(1));
        let start = from_row.saturating_mul(row_len);
        let stop = start.saturating_add(rows * row_len);
        let mut trace = reference(enc, &self.machine, &self.input, self.max_steps)?;
        let mut weights = self.prepared.weights.clone();
        let vocab = weights.as_predictor().vocab();
        let ring_len = (weights.as_predictor().max_offset() + 1).next_power_of_two();
        let mut ring = vec![TokenId(vocab as u32); ring_len];
        let mut page = RowsPage {
            from_row,
            rows: Vec::new(),
            end: false,
        };
        let mut pos = 0u64;
        loop {
            if pos >= stop {
                break;
            }
            let Some(token) = trace.next() else {
                page.end = true;
                break;
            };
            if pos >= start {
                let r = pos / row_len;
                if pos.is_multiple_of(row_len) {
                    page.rows.push(ViewRow {
                        row: r,
                        step: enc.locate(&self.machine, pos).0,
                        tokens: Vec::new(),
                        scored: Vec::new(),
                        tape: None,
                    });
                }
                let scored = (pos >= row_len).then(|| {
                    let ctx = Context::new(&ring, pos as usize & (ring_len - 1));
                    score(&mut weights, &ctx, pos, token)
                });
                if let Some(row) = page.rows.last_mut() {
                    row.tokens.push(token.0);
                    row.scored.push(scored);
                }
            }
            ring[pos as usize & (ring_len - 1)] = token;
            pos += 1;
            if pos.is_multiple_of(1 << 16) {
                check_time(deadline)?;
            }
        }
        if trace.next().is_none() {
            page.end = true;
        }
        for row in &mut page.rows {
            let ids: Vec<TokenId> = row.tokens.iter().map(|&t| TokenId(t)).collect();
            row.tape = enc.decode_row(&ids).map(|c| RowTape {
                cells: c
                    .cells
                    .iter()
                    .map(|&s| self.machine.symbol_char(s))
                    .collect(),
                head: c.head,
                state: self.machine.state_name(c.state).to_string(),
            });
        }
        Ok(page)
    }

    /// The viewer's page with `self`'s first `rows` rows embedded, for a page with no server
    /// (`arsim trace --html`): refused when the data would pass [`VIEW_MAX_EMBEDDED_BYTES`].
    pub fn offline_page(&self, rows: u64) -> Result<String, ApiError> {
        let rows = rows.min(self.summary.rows);
        let mut pages = Vec::new();
        let mut from = 0;
        let deadline = Some(Instant::now() + VIEW_TIME_LIMIT);
        while from < rows {
            let page = self.rows(from, rows - from, deadline)?;
            from += page.rows.len().max(1) as u64;
            pages.push(page);
        }
        let all: Vec<&ViewRow> = pages.iter().flat_map(|p| &p.rows).collect();
        let data = serde_json::json!({
            "summary": &self.summary,
            "rows": all,
            "machine_text": &self.text,
        });
        let text = serde_json::to_string(&data).unwrap_or_default();
        if text.len() > VIEW_MAX_EMBEDDED_BYTES {
            return Err(over(
                "an embedded trace of",
                format!("{} bytes", text.len()),
                format!("{VIEW_MAX_EMBEDDED_BYTES} bytes; give fewer steps"),
            ));
        }
        Ok(page_html(Some(&text)))
    }

    /// The offline page inside an `<iframe srcdoc>`, as a notebook's `_repr_html_` shows it
    /// (its script runs in the frame, apart from the notebook's page).
    pub fn notebook_html(&self, rows: u64) -> Result<String, ApiError> {
        let page = self.offline_page(rows)?;
        let escaped = page
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        Ok(format!(
            "<iframe class=\"arsim-viewer\" style=\"width:100%;height:720px;border:1px solid #ccc\" srcdoc=\"{escaped}\"></iframe>"
        ))
    }
}

/// The page: its CSS and JS inlined, and `data` (a JSON object: `summary` and `rows`) embedded
/// for a page without a server; `None`: the page asks the server's API.
pub fn page_html(data: Option<&str>) -> String {
    // `</` inside a script would end it early: JSON may write it as `<\/`.
    let data = data.map_or("null".to_string(), |d| d.replace("</", "<\\/"));
    PAGE_HTML
        .replace("/*ARSIM_CSS*/", PAGE_CSS)
        .replace("/*ARSIM_JS*/", PAGE_JS)
        .replace("\"ARSIM_DATA\"", &data)
}

/// The lines of the machine file an error points at (an editor marks them); empty when the
/// error names none.
pub fn error_lines(e: &ApiError) -> Vec<usize> {
    use crate::machine::LoadError;
    let ApiError::Load(load) = e else {
        return Vec::new();
    };
    let mut lines = match load {
        LoadError::Ron { line, .. } => vec![*line],
        LoadError::Morphett { error, .. } => vec![error.line],
        LoadError::Yaml { error, .. } => error.line.into_iter().collect(),
        LoadError::Invalid(errors) => errors.errors.iter().filter_map(|e| e.line).collect(),
        _ => Vec::new(),
    };
    lines.retain(|&l| l > 0);
    lines.dedup();
    lines
}

/// The interpreter's run of `input` in `enc`'s tokens.
fn reference<'m>(
    enc: &AnyEncoding,
    machine: &'m Machine,
    input: &Input,
    max_steps: u64,
) -> Result<<AnyEncoding as Encoding>::Trace<'m>, ApiError> {
    enc.trace(machine, input, max_steps)
        .map_err(|e| ApiError::Compile {
            machine: machine.name().to_string(),
            message: e.to_string(),
        })
}

/// The summary of a prepared machine and its run.
fn summary(
    m: &Machine,
    p: &Prepared,
    emulation: EmulationReport,
    certificate: CertificateSummary,
    warnings: Vec<String>,
) -> ViewSummary {
    let enc = &p.enc;
    let sym = |s: crate::machine::SymbolId| m.symbol_char(s).to_string();
    let rules = m
        .rules()
        .map(|(q, s, t)| GraphRule {
            state: m.state_name(q).to_string(),
            read: sym(s),
            write: sym(t.write),
            movement: t.movement.letter().to_string(),
            next: m.state_name(t.next).to_string(),
        })
        .collect();
    let (offsets, weights) = match &p.weights {
        Weights::Dense(d) => with_dense!(d, w => (w.layout().offsets.clone(), heatmap(w))),
        Weights::Sparse(s) => (vec![s.max_offset()], None),
    };
    ViewSummary {
        machine: m.name().to_string(),
        description: m.description().to_string(),
        states: m.states().to_vec(),
        symbols: m.symbols().iter().map(|c| c.to_string()).collect(),
        blank: sym(m.blank()),
        start: m.state_name(m.start()).to_string(),
        halting: (0..m.num_states())
            .map(|q| crate::machine::StateId(q as u16))
            .filter(|&q| m.is_halting(q))
            .map(|q| m.state_name(q).to_string())
            .collect(),
        rules,
        encoding: enc.info().name,
        proof: enc.info().proof,
        tape_cells: enc.window().size,
        origin: enc.window().origin,
        dictionary: enc.token_names(m),
        offset_names: offsets.iter().map(|&o| enc.offset_name(o)).collect(),
        offsets,
        prompt_tokens: enc.row_len(),
        rows: 0,
        weights,
        emulation,
        certificate,
        warnings,
    }
}

/// The weight matrices of a dense predictor, `[offset][output][input]`, when small enough to draw.
fn heatmap<T: Weight>(p: &LinearAr<T>) -> Option<Vec<Vec<Vec<f64>>>> {
    let v = p.layout().tokens.len();
    (v <= VIEW_HEATMAP_MAX_VOCAB).then(|| {
        p.weights()
            .iter()
            .map(|w| {
                (0..v)
                    .map(|d| (0..v).map(|x| w[(d, x)].to_f64()).collect())
                    .collect()
            })
            .collect()
    })
}

/// The predictor's scores at `pos` on the context `ctx`, the token it emits, and the weights
/// that made the winner's score; `expected` is the interpreter's token.
fn score(weights: &mut Weights, ctx: &Context<'_>, pos: u64, expected: TokenId) -> Scored {
    let p = weights.as_predictor();
    let winner = p.predict(ctx, pos);
    let scores = p.scores(ctx, pos);
    debug_assert_eq!(argmax(&scores), winner.index());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Stable: equal scores keep the lower id first, as the argmax breaks ties.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let top = order
        .iter()
        .take(VIEW_TOP_SCORES)
        .map(|&t| (t as u32, scores[t]))
        .collect();
    let contributions = match &*weights {
        Weights::Dense(d) => with_dense!(d, w => dense_contributions(w, ctx, winner)),
        Weights::Sparse(s) => s
            .map_at(pos)
            .map(|m| {
                s.map(m)
                    .iter()
                    .filter(|e| {
                        u32::from(e.output) == winner.0
                            && ctx.back(e.offset as usize).0 == u32::from(e.input)
                    })
                    .map(|e| Contribution {
                        offset: e.offset as usize,
                        context: u32::from(e.input),
                        value: f64::from(e.weight),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    Scored {
        winner: winner.0,
        agree: winner == expected,
        top,
        weights: contributions,
    }
}

/// `W_j[winner, x_(p-j)]` for each offset `j` read (past 8 offsets, the non-zero ones only).
fn dense_contributions<T: Weight>(
    p: &LinearAr<T>,
    ctx: &Context<'_>,
    winner: TokenId,
) -> Vec<Contribution> {
    let v = p.layout().tokens.len();
    let many = p.layout().offsets.len() > 8;
    p.layout()
        .offsets
        .iter()
        .zip(p.weights())
        .map(|(&j, w)| {
            let x = ctx.back(j);
            let value = match x.index() < v {
                true => w[(winner.index(), x.index())].to_f64(),
                false => 0.0,
            };
            Contribution {
                offset: j,
                context: x.0,
                value,
            }
        })
        .filter(|c| !many || c.value != 0.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bb4() -> View {
        let text = std::fs::read_to_string("machines/bb4.ron").unwrap();
        View::new(&ViewRequest::text(&text, "bb4.ron")).unwrap()
    }

    #[test]
    fn every_generated_token_is_the_argmax_and_the_sum_of_its_weights() {
        let v = bb4();
        assert_eq!(v.summary().rows, 108);
        assert!(v.summary().certificate.certified);
        let page = v.rows(0, 200, None).unwrap();
        assert!(page.end);
        assert_eq!(page.rows.len(), 108);
        assert!(page.rows[0].scored.iter().all(Option::is_none));
        for row in &page.rows[1..] {
            for (t, s) in row.tokens.iter().zip(&row.scored) {
                let s = s.as_ref().unwrap();
                assert_eq!(s.winner, *t);
                assert!(s.agree);
                assert_eq!(s.weights.len(), 3);
                let sum: f64 = s.weights.iter().map(|w| w.value).sum();
                assert_eq!(s.top[0], (s.winner, sum));
                assert!(s.top[1].1 < sum, "the certificate's margin is at least 1");
            }
        }
        // The tape of row 1: bb4 wrote a 1 and moved right into state B.
        let tape = page.rows[1].tape.as_ref().unwrap();
        assert_eq!(tape.state, "B");
    }

    #[test]
    fn pages_are_the_rows_of_the_whole() {
        let v = bb4();
        let whole = v.rows(0, 108, None).unwrap();
        let part = v.rows(40, 7, None).unwrap();
        assert_eq!(part.rows[..], whole.rows[40..47]);
        assert!(!part.end);
    }

    #[test]
    fn limits_and_lines() {
        let mut req = ViewRequest::text("1RB1LB_1LA1RZ", "bb2");
        req.max_steps = VIEW_MAX_STEPS + 1;
        let e = View::new(&req).unwrap_err();
        assert!(e.to_string().contains("over the limit"), "{e}");
        let bad = "(\n  name: \"x\",\n  symbols: [\"0\"],\n  blank: \"0\",\n  states: [\"A\"],\n  start: \"B\",\n  halting: [],\n  rules: [],\n)";
        let e = View::new(&ViewRequest::text(bad, "x.ron")).unwrap_err();
        assert_eq!(error_lines(&e), vec![6], "{e}");
        let e = View::new(&ViewRequest::text("(\n  name: 5,\n)", "y.ron")).unwrap_err();
        assert_eq!(error_lines(&e), vec![2], "{e}");
    }

    #[test]
    fn the_offline_page_embeds_its_rows_and_nothing_from_outside() {
        let html = bb4().offline_page(1_000).unwrap();
        assert!(html.contains("\"machine\":\"bb4\""));
        // Nothing is fetched from elsewhere (the SVG namespace is a name, not an address).
        for fetch in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "import ",
            "fetch(\"http",
        ] {
            assert!(!html.contains(fetch), "{fetch}");
        }
        assert!(!html.contains("ARSIM_DATA"));
    }
}
