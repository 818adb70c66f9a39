//! The server's routes: the page, `machines/` and `proofs/` by name, and the JSON API
//! (`POST /api/view`: the summary; `POST /api/rows`: a page of rows), each request turned into
//! the front door's [`ViewRequest`] and answered with its report or its error.

use arsim::api::view::{
    error_lines, page_html, View, ViewRequest, VIEW_MAX_MACHINE_BYTES, VIEW_TIME_LIMIT,
};
use arsim::api::{parse_option, ApiError, EncodingKind, LoadOptions, Verdict, Window};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// The directories the server reads, each file by its name only.
#[derive(Clone, Debug)]
pub struct Files {
    machines: PathBuf,
    proofs: PathBuf,
}

impl Files {
    /// `machines/` and `proofs/` of the working directory, else of the source tree arsim was
    /// built from (`cargo run` anywhere in a clone).
    pub fn find() -> Files {
        let dir = |name: &str| {
            let here = PathBuf::from(name);
            match here.is_dir() {
                true => here,
                false => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name),
            }
        };
        Files {
            machines: dir("machines"),
            proofs: dir("proofs"),
        }
    }
}

/// What every handler shares: the directories, and the permits that bound the requests
/// computing at once (one a core).
#[derive(Clone)]
struct Shared {
    files: Arc<Files>,
    permits: Arc<Semaphore>,
}

/// The router (the body limit: a machine file as a JSON array of bytes, and the request's
/// other fields).
pub fn router(files: Files) -> Router {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let shared = Shared {
        files: Arc::new(files),
        permits: Arc::new(Semaphore::new(cores)),
    };
    Router::new()
        .route("/", get(|| async { Html(page_html(None)) }))
        .route("/api/machines", get(machines))
        .route("/api/machines/{name}", get(machine))
        .route("/proofs/{name}", get(proof))
        .route("/api/view", post(view))
        .route("/api/rows", post(rows))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such page or API route".into()) })
        .layer(DefaultBodyLimit::max(
            VIEW_MAX_MACHINE_BYTES * 4 + (64 << 10),
        ))
        .with_state(shared)
}

/// A JSON error in the command line's shape: the message, the exit code the command line
/// would give (2: bad input), and the machine file's lines at fault.
fn error(status: StatusCode, message: String) -> Response {
    let body = json!({ "error": message, "exit_code": 2, "lines": [] });
    (status, Json(body)).into_response()
}

/// The front door's error in the command line's words (its flag names; the page's controls
/// are named as the flags are).
fn api_error(e: ApiError) -> Response {
    let lines = error_lines(&e);
    let status = match e {
        ApiError::TimeLimit { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = crate::message(&crate::flag_hint(e));
    let body = json!({ "error": message, "exit_code": 2, "lines": lines });
    (status, Json(body)).into_response()
}

/// A report, with the command line's `schema_version` key.
fn report(value: &impl serde::Serialize) -> Response {
    let mut v = serde_json::to_value(value).unwrap_or_default();
    if let Value::Object(map) = &mut v {
        map.insert("schema_version".into(), json!(crate::SCHEMA_VERSION));
    }
    Json(v).into_response()
}

/// The names of the files of `dir` (sorted), the only ones the server reads there.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// A file of `dir` by its listed name, size-checked; `None` for any other name.
fn read_listed(dir: &std::path::Path, name: &str) -> Option<Result<Vec<u8>, String>> {
    if !listing(dir).iter().any(|n| n == name) {
        return None;
    }
    let path = dir.join(name);
    Some(match std::fs::metadata(&path) {
        Ok(m) if m.len() > VIEW_MAX_MACHINE_BYTES as u64 => Err(format!(
            "{name} has {} bytes, over the limit of {VIEW_MAX_MACHINE_BYTES}",
            m.len()
        )),
        _ => std::fs::read(&path).map_err(|e| format!("cannot read {name}: {e}")),
    })
}

async fn machines(State(s): State<Shared>) -> Response {
    Json(json!({ "machines": listing(&s.files.machines) })).into_response()
}

async fn machine(State(s): State<Shared>, Path(name): Path<String>) -> Response {
    match read_listed(&s.files.machines, &name) {
        None => error(
            StatusCode::NOT_FOUND,
            format!("no machine {name} in machines/"),
        ),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, e),
        Some(Ok(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => Json(json!({ "name": name, "text": text })).into_response(),
            Err(e) => {
                Json(json!({ "name": name, "machine_bytes": e.into_bytes() })).into_response()
            }
        },
    }
}

async fn proof(State(s): State<Shared>, Path(name): Path<String>) -> Response {
    match read_listed(&s.files.proofs, &name) {
        None => error(StatusCode::NOT_FOUND, format!("no proof {name} in proofs/")),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, e),
        Some(Ok(bytes)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], bytes).into_response()
        }
    }
}

/// A viewer request as JSON: the command line's flag names as keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    /// The machine file's text, or a standard-format string.
    machine: Option<String>,
    /// The machine file's bytes (a binary seed file).
    machine_bytes: Option<Vec<u8>>,
    /// The file's name (its extension picks the format).
    name: Option<String>,
    format: Option<String>,
    input: Option<String>,
    encoding: Option<String>,
    tape: Option<usize>,
    origin: Option<usize>,
    max_steps: Option<u64>,
    #[serde(default)]
    lenient: bool,
    undefined: Option<String>,
    start: Option<String>,
    /// `/api/rows`: the first row.
    #[serde(default)]
    from_row: u64,
    /// `/api/rows`: how many rows.
    rows: Option<u64>,
}

impl Body {
    /// The front door's request.
    fn request(self) -> Result<ViewRequest, ApiError> {
        let bytes = match (self.machine, self.machine_bytes) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(bytes)) => bytes,
            _ => {
                return Err(ApiError::Shape {
                    what: "the request".into(),
                    message: "give the machine as `machine` (text) or `machine_bytes`, one of them"
                        .into(),
                })
            }
        };
        let options = LoadOptions {
            format: self
                .format
                .map(|f| parse_option("format", &f))
                .transpose()?,
            lenient: self.lenient,
            undefined: match self.undefined {
                Some(u) => parse_option("undefined", &u)?,
                None => Default::default(),
            },
            start: self.start,
            input: None,
        };
        let encoding: EncodingKind = match self.encoding {
            Some(e) => parse_option("encoding", &e)?,
            None => EncodingKind::Cells,
        };
        Ok(ViewRequest {
            bytes,
            name: self.name.unwrap_or_else(|| "pasted".into()),
            options,
            input: self.input,
            encoding,
            window: self.tape.map(|size| Window {
                size,
                origin: self.origin.unwrap_or(0),
            }),
            max_steps: self.max_steps.unwrap_or(10_000),
        })
    }
}

/// Runs `work` on a blocking thread once a permit is free, within the time limit.
async fn compute(
    s: &Shared,
    work: impl FnOnce(Option<Instant>) -> Response + Send + 'static,
) -> Response {
    let Ok(_permit) = s.permits.clone().acquire_owned().await else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is stopping".into(),
        );
    };
    let deadline = Instant::now() + VIEW_TIME_LIMIT;
    let task = tokio::task::spawn_blocking(move || work(Some(deadline)));
    let limit = VIEW_TIME_LIMIT + std::time::Duration::from_secs(1);
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request failed: {e}"),
        ),
        Err(_) => api_error(ApiError::TimeLimit {
            seconds: VIEW_TIME_LIMIT.as_secs_f64(),
        }),
    }
}

/// The body, or the JSON error that says why it is not one.
fn body(b: Result<Json<Body>, JsonRejection>) -> Result<ViewRequest, Response> {
    let Json(b) = b.map_err(|e| error(e.status(), format!("bad request: {}", e.body_text())))?;
    b.request().map_err(api_error)
}

async fn view(State(s): State<Shared>, b: Result<Json<Body>, JsonRejection>) -> Response {
    let req = match body(b) {
        Ok(r) => r,
        Err(e) => return e,
    };
    compute(&s, move |deadline| match View::new_until(&req, deadline) {
        Err(e) => api_error(e),
        Ok(v) => match v.verdict() {
            // The run left the window: the summary, and the command line's message for it.
            Verdict::LeftWindow(_) => {
                let message = crate::emulate::left_window_message(&v.summary().emulation);
                let body = json!({
                    "error": message, "exit_code": 2, "lines": [], "summary": v.summary(),
                });
                (StatusCode::BAD_REQUEST, Json(body)).into_response()
            }
            _ => report(v.summary()),
        },
    })
    .await
}

async fn rows(State(s): State<Shared>, b: Result<Json<Body>, JsonRejection>) -> Response {
    let (from, n) = match &b {
        Ok(Json(b)) => (b.from_row, b.rows.unwrap_or(32)),
        Err(_) => (0, 0),
    };
    let req = match body(b) {
        Ok(r) => r,
        Err(e) => return e,
    };
    compute(&s, move |deadline| {
        match View::new_until(&req, deadline).and_then(|v| v.rows(from, n, deadline)) {
            Ok(page) => report(&page),
            Err(e) => api_error(e),
        }
    })
    .await
}
