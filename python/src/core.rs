//! The border between Python and the front door, `arsim::api`: how its errors become Python
//! exceptions, how a long call is run with the GIL released and still answers Ctrl-C, and how
//! Python's arguments (windows, weight matrices, token ids) become the front door's types.
//!
//! Nothing here decides a rule, checks a result or words an error the front door already has:
//! every check lives in `arsim::api` or below it, so the command line and Python cannot drift.

use arsim::api::{chain, ApiError, InputSource, Matrices, Window};
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a call failed, in the command line's exit-code terms.
#[derive(Debug)]
pub enum Failure {
    /// Bad input (the command line's exit status 2), with its message.
    Input(String),
    /// A check that did not pass (exit status 1), with its message.
    Verification(String),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Input(chain(&e))
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// The front door's error for a machine's input, in Python's words: a word given as `input=`
/// names the machine it does not fit.
pub fn input_failure(e: ApiError, machine: &str) -> Failure {
    match &e {
        ApiError::Input {
            origin: InputSource::Word(_),
            source,
            ..
        } => Failure::Input(format!(
            "bad input for machine {machine}: {}",
            chain(source)
        )),
        _ => e.into(),
    }
}

/// The window of `tape`/`origin` (`origin` needs `tape`; both are cell counts).
pub fn window(tape: Option<i64>, origin: Option<i64>) -> Result<Option<Window>> {
    let cells = |what: &str, v: i64| {
        usize::try_from(v)
            .map_err(|_| Failure::Input(format!("{what} is {v}; it counts cells, from 0")))
    };
    match (tape, origin) {
        (Some(size), origin) => Ok(Some(Window {
            size: cells("tape", size)?,
            origin: origin.map(|o| cells("origin", o)).transpose()?.unwrap_or(0),
        })),
        (None, Some(_)) => Err(Failure::Input(
            "origin= needs tape=: the origin is a cell of the window tape= gives".into(),
        )),
        (None, None) => Ok(None),
    }
}

/// Little-endian `u32` bytes of token ids (numpy reads them as `<u4`).
pub fn id_bytes(ids: impl IntoIterator<Item = u32>) -> Vec<u8> {
    ids.into_iter().flat_map(u32::to_le_bytes).collect()
}

/// Offset matrices from little-endian bytes of `dtype` (`int64`, `float32`, `float64`).
pub fn matrices_from_bytes(dtype: &str, mats: &[Vec<u8>]) -> Result<Matrices> {
    fn words<const N: usize, T>(m: &[u8], f: fn([u8; N]) -> T) -> Result<Vec<T>> {
        if m.len() % N != 0 {
            return Err(Failure::Input(format!(
                "a matrix of {} bytes is not whole {N}-byte values",
                m.len()
            )));
        }
        Ok(m.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunks of N")))
            .collect())
    }
    match dtype {
        "int64" => Ok(Matrices::Int(
            mats.iter()
                .map(|m| words(m, i64::from_le_bytes))
                .collect::<Result<_>>()?,
        )),
        "float32" => Ok(Matrices::F32(
            mats.iter()
                .map(|m| words(m, f32::from_le_bytes))
                .collect::<Result<_>>()?,
        )),
        "float64" => Ok(Matrices::F64(
            mats.iter()
                .map(|m| words(m, f64::from_le_bytes))
                .collect::<Result<_>>()?,
        )),
        other => Err(Failure::Input(format!(
            "weights of dtype {other}: arsim's predictors hold integers, float32 or float64"
        ))),
    }
}

/// Offset matrices as (dtype name, one little-endian byte string per offset): integers as
/// `int32` (the library holds them in `i32`), floats in their own width.
pub fn matrices_to_bytes(m: Matrices) -> (&'static str, Vec<Vec<u8>>) {
    match m {
        Matrices::Int(ms) => (
            "int32",
            ms.iter()
                .map(|m| m.iter().flat_map(|&x| (x as i32).to_le_bytes()).collect())
                .collect(),
        ),
        Matrices::F32(ms) => (
            "float32",
            ms.iter()
                .map(|m| m.iter().flat_map(|x| x.to_le_bytes()).collect())
                .collect(),
        ),
        Matrices::F64(ms) => (
            "float64",
            ms.iter()
                .map(|m| m.iter().flat_map(|x| x.to_le_bytes()).collect())
                .collect(),
        ),
    }
}

/// The unwinding payload that carries a Ctrl-C out of a library call.
struct Interrupted;

/// How often a long call looks for Ctrl-C.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// Runs `work` with the GIL released. `work` gets a `tick` to call from the library's progress
/// callbacks: at most every 50 ms it takes the GIL and runs Python's signal handlers; when one
/// raises (Ctrl-C: `KeyboardInterrupt`), the library call is unwound and the exception raised.
pub fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&mut dyn FnMut()) -> Result<T> + Send,
{
    let pending: Mutex<Option<PyErr>> = Mutex::new(None);
    let outcome = py.allow_threads(|| {
        let mut last = Instant::now();
        let mut tick = || {
            if last.elapsed() < CHECK_EVERY {
                return;
            }
            last = Instant::now();
            if let Err(e) = Python::with_gil(|py| py.check_signals()) {
                *pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                // Not a panic: no hook runs, nothing is printed; caught below.
                resume_unwind(Box::new(Interrupted));
            }
        };
        catch_unwind(AssertUnwindSafe(|| work(&mut tick)))
    });
    match outcome {
        Ok(result) => result.map_err(PyErr::from),
        Err(payload) if payload.is::<Interrupted>() => Err(pending
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(|| PyKeyboardInterrupt::new_err(()))),
        Err(payload) => resume_unwind(payload),
    }
}
