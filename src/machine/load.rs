//! Turning a MACHINE argument into a [`Machine`]: a file path (format chosen by extension or
//! content) or an inline bbchallenge standard-format string.

use super::ron_format::{self, SourceMap};
use super::standard::{self, StandardError};
use super::validate::{validate, ValidationErrors};
use super::Machine;
use std::path::Path;

/// Why a machine could not be loaded. Every variant names the file or argument.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The argument is neither an existing file nor a standard-format string.
    #[error(
        "no such machine file: {0} (and it is not a standard-format string such as 1RB1LB_1LA1RZ)"
    )]
    NotFound(String),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: not UTF-8 text")]
    NotText {
        /// The file.
        path: String,
    },
    /// A RON syntax or type error.
    #[error("{path}:{line}:{col}: {message}")]
    Ron {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What RON said.
        message: String,
    },
    /// A malformed standard-format string or file.
    #[error("{origin}: {source}")]
    Standard {
        /// The file, or the string itself.
        origin: String,
        /// What is wrong.
        source: StandardError,
    },
    /// The machine parsed but is not valid.
    #[error("{0}")]
    Invalid(ValidationErrors),
}

/// Loads a machine from a path or an inline standard-format string.
pub fn load_machine(arg: &str) -> Result<Machine, LoadError> {
    let path = Path::new(arg);
    if path.is_file() {
        return load_file(path);
    }
    if standard::looks_standard(arg) {
        return from_standard(arg, arg);
    }
    Err(LoadError::NotFound(arg.to_string()))
}

/// Loads a machine file; `.ron` files are RON, other files holding one standard string are that.
pub fn load_file(path: &Path) -> Result<Machine, LoadError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotText {
        path: shown.clone(),
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_ron = path.extension().is_some_and(|e| e == "ron");
    if !is_ron && standard::looks_standard(&text) {
        let mut m = from_standard(text.trim(), &shown)?;
        m.name = stem;
        return Ok(m);
    }
    from_ron_text(&text, &shown, &stem)
}

/// Parses and validates RON text; `path` names it in errors, `stem` is the default name.
pub fn from_ron_text(text: &str, path: &str, stem: &str) -> Result<Machine, LoadError> {
    let spec = ron_format::parse(text).map_err(|e| LoadError::Ron {
        path: path.to_string(),
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    let map = SourceMap::scan(text);
    let mut m = validate(&spec, Some(&map), Some(path)).map_err(LoadError::Invalid)?;
    if m.name.is_empty() {
        m.name = stem.to_string();
    }
    Ok(m)
}

/// Parses and validates a standard-format string; `origin` names it in errors.
pub fn from_standard(text: &str, origin: &str) -> Result<Machine, LoadError> {
    let spec = standard::parse(text).map_err(|source| LoadError::Standard {
        origin: origin.to_string(),
        source,
    })?;
    validate(&spec, None, Some(origin)).map_err(LoadError::Invalid)
}
