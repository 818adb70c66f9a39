//! A machine and the input it runs on, as every shell asks for them: the machine argument (a
//! file or a standard string) with its loading options, and the input given as a word, read
//! from a file, or else the machine file's own (turingmachine.io's `input:`, Morphett's
//! `$INITIAL_TAPE:`, a `.ron` file's `input`).

use crate::api::error::ApiError;
pub use crate::api::source::InputSource;
use crate::limits;
use crate::machine::{load_machine_with, Input, LoadOptions, Machine};

/// What to load: the machine argument, how to read it, and the input.
#[derive(Clone, Debug, Default)]
pub struct MachineRequest {
    /// A machine file (`.ron`, `.tm`, `.yaml`, `.seed[#N]`) or a bbchallenge standard string.
    pub machine: String,
    /// How to read it (format, lenient, undefined transitions, start state).
    pub options: LoadOptions,
    /// The input.
    pub input: InputSource,
}

/// A loaded machine, its input, and what lenient loading stepped over.
#[derive(Clone, Debug)]
pub struct LoadedRun {
    /// The machine.
    pub machine: Machine,
    /// The input, parsed against its alphabet.
    pub input: Input,
    /// Each warning of lenient loading, naming its file and line.
    pub warnings: Vec<String>,
}

/// Loads the machine of `req` and parses its input: the given word, the input file's first
/// line (its size checked before it is read), or the machine file's own input.
pub fn load_run(req: &MachineRequest) -> Result<LoadedRun, ApiError> {
    let given = match &req.input {
        InputSource::Own => None,
        InputSource::Word(w) => Some(w.clone()),
        InputSource::File(path) => Some(read_input_file(path)?),
    };
    let mut options = req.options.clone();
    options.input = given.clone();
    let loaded = load_machine_with(&req.machine, &options)?;
    let m = loaded.machine;
    let word = given.unwrap_or_else(|| m.default_input().unwrap_or("").to_string());
    let input = m.parse_input(&word).map_err(|source| ApiError::Input {
        origin: req.input.clone(),
        machine: req.machine.clone(),
        source,
    })?;
    Ok(LoadedRun {
        machine: m,
        input,
        warnings: loaded.warnings,
    })
}

/// The first line of an input file, refused unread when the file is larger than any input
/// arsim lays on a tape ([`limits::MAX_WINDOW`] cells).
fn read_input_file(path: &std::path::Path) -> Result<String, ApiError> {
    let io = |source| ApiError::InputFile {
        path: path.display().to_string(),
        source,
    };
    let limit = limits::MAX_WINDOW as u64 * 4 + 2;
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limit {
        return Err(ApiError::InputFileSize {
            path: path.display().to_string(),
            bytes: len,
            limit: limits::MAX_WINDOW,
        });
    }
    // A device or a pipe has no size to check first: read_bounded refuses the one and stops
    // reading the other at the limit.
    let text = crate::fs::read_text_bounded(path, limit).map_err(io)?;
    let word = text.strip_suffix('\n').unwrap_or(&text);
    Ok(word.strip_suffix('\r').unwrap_or(word).to_string())
}
