//! Turning a MACHINE argument into a [`Machine`]: a file path (format chosen by extension or
//! content, or forced with a [`MachineFormat`]) or an inline bbchallenge standard-format string.
//! A seed database file takes the index of its machine after a `#`: `all_5_states.seed#42`.

use super::morphett::{self, MorphettError};
use super::ron_format::{self, SourceMap};
use super::seed::{self, SeedError};
use super::standard::{self, StandardError};
use super::validate::{validate, ValidationErrors};
use super::yaml::{self, YamlError};
use super::Machine;
use serde::Serialize;
use std::path::Path;

/// The machine file formats arsim reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MachineFormat {
    /// arsim's own `.ron` files.
    Ron,
    /// The bbchallenge standard text format, e.g. `1RB1LB_1LA1RZ`.
    Standard,
    /// The bbchallenge binary seed format (6 bytes per state; databases with a 30-byte header).
    Seed,
    /// Morphett's rule-per-line format (morphett.info), wildcards expanded.
    Morphett,
    /// turingmachine.io's YAML format.
    Yaml,
}

impl MachineFormat {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            MachineFormat::Ron => "ron",
            MachineFormat::Standard => "standard",
            MachineFormat::Seed => "seed",
            MachineFormat::Morphett => "morphett",
            MachineFormat::Yaml => "yaml",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            MachineFormat::Ron => "ron",
            MachineFormat::Standard => "txt",
            MachineFormat::Seed => "seed",
            MachineFormat::Morphett => "tm",
            MachineFormat::Yaml => "yaml",
        }
    }

    /// The format a file extension names, if any (`.txt` names none: it is read by content).
    pub fn from_extension(path: &Path) -> Option<MachineFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "ron" => MachineFormat::Ron,
            "yaml" | "yml" => MachineFormat::Yaml,
            "tm" | "morphett" => MachineFormat::Morphett,
            "seed" | "bin" | "bbc" => MachineFormat::Seed,
            "std" | "bb" => MachineFormat::Standard,
            _ => return None,
        })
    }

    /// The format of a file's contents: binary is seed; one standard string is standard;
    /// text whose first code character is `(` is RON; text with a `table:` or `start state:`
    /// key is YAML; anything else is read as Morphett rules.
    pub fn detect(bytes: &[u8]) -> MachineFormat {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return MachineFormat::Seed;
        };
        if text.contains('\0') {
            return MachineFormat::Seed;
        }
        if standard::looks_standard(text) {
            return MachineFormat::Standard;
        }
        let code = text.lines().map(str::trim).find(|l| {
            !l.is_empty() && !l.starts_with("//") && !l.starts_with(';') && !l.starts_with('#')
        });
        if code.is_some_and(|l| l.starts_with('(') || l.starts_with("/*")) {
            return MachineFormat::Ron;
        }
        let yaml_key = |l: &str| {
            ["table:", "start state:", "source code:", "blank:"]
                .iter()
                .any(|k| l.starts_with(k))
        };
        if text.lines().any(yaml_key) {
            return MachineFormat::Yaml;
        }
        MachineFormat::Morphett
    }
}

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
    /// A malformed Morphett file.
    #[error("{}", at_line(path, source.line, &source.kind))]
    Morphett {
        /// The file.
        path: String,
        /// What is wrong, and where.
        source: MorphettError,
    },
    /// A malformed turingmachine.io YAML file.
    #[error("{}", at_line(path, source.line.unwrap_or(0), &source.message))]
    Yaml {
        /// The file.
        path: String,
        /// What is wrong, and where.
        source: YamlError,
    },
    /// A malformed bbchallenge seed file.
    #[error("{path}: {source}")]
    Seed {
        /// The file.
        path: String,
        /// What is wrong.
        source: SeedError,
    },
    /// The machine parsed but is not valid.
    #[error("{0}")]
    Invalid(ValidationErrors),
}

/// `path:line: message`, or `path: message` for line 0.
fn at_line(path: &str, line: usize, message: &dyn std::fmt::Display) -> String {
    if line == 0 {
        format!("{path}: {message}")
    } else {
        format!("{path}:{line}: {message}")
    }
}

/// Loads a machine as [`load_machine`] does, in a forced format when `format` is given.
///
/// `FILE#N` picks machine N (0-based) of a seed database.
pub fn load_machine_as(arg: &str, format: Option<MachineFormat>) -> Result<Machine, LoadError> {
    let path = Path::new(arg);
    if path.is_file() {
        return load_file_as(path, format, 0);
    }
    if let Some((file, index)) = arg.rsplit_once('#') {
        if let (true, Ok(i)) = (Path::new(file).is_file(), index.parse::<usize>()) {
            return load_file_as(Path::new(file), format, i);
        }
    }
    if matches!(format, None | Some(MachineFormat::Standard)) && standard::looks_standard(arg) {
        return from_standard(arg, arg);
    }
    Err(LoadError::NotFound(arg.to_string()))
}

/// Loads machine `index` (0 unless the file is a seed database) of a file, in `format` or,
/// when `None`, the format its extension or else its content says.
pub fn load_file_as(
    path: &Path,
    format: Option<MachineFormat>,
    index: usize,
) -> Result<Machine, LoadError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = format
        .or_else(|| MachineFormat::from_extension(path))
        .unwrap_or_else(|| MachineFormat::detect(&bytes));
    from_bytes(&bytes, format, &shown, &stem, index)
}

/// Parses and validates a machine in a given format; `path` names it in errors, `stem` is
/// the default name, `index` picks a machine of a seed database.
pub fn from_bytes(
    bytes: &[u8],
    format: MachineFormat,
    path: &str,
    stem: &str,
    index: usize,
) -> Result<Machine, LoadError> {
    let text = || {
        std::str::from_utf8(bytes).map_err(|_| LoadError::NotText {
            path: path.to_string(),
        })
    };
    let mut m = match format {
        MachineFormat::Ron => return from_ron_text(text()?, path, stem),
        MachineFormat::Seed => {
            let spec = seed::parse(bytes, index).map_err(|source| LoadError::Seed {
                path: path.to_string(),
                source,
            })?;
            let mut m = validate(&spec, None, Some(path)).map_err(LoadError::Invalid)?;
            m.name = if seed::header(bytes).is_some() {
                format!("{stem}#{index}")
            } else {
                stem.to_string()
            };
            return Ok(m);
        }
        MachineFormat::Standard => from_standard(text()?.trim(), path)?,
        MachineFormat::Morphett => {
            let spec = morphett::parse(text()?).map_err(|source| LoadError::Morphett {
                path: path.to_string(),
                source,
            })?;
            validate(&spec, None, Some(path)).map_err(LoadError::Invalid)?
        }
        MachineFormat::Yaml => {
            let y = yaml::parse(text()?).map_err(|source| LoadError::Yaml {
                path: path.to_string(),
                source,
            })?;
            validate(&y.spec, None, Some(path)).map_err(LoadError::Invalid)?
        }
    };
    if m.name.is_empty() || format != MachineFormat::Yaml {
        m.name = stem.to_string();
    }
    Ok(m)
}

/// Loads a machine from a path or an inline standard-format string.
pub fn load_machine(arg: &str) -> Result<Machine, LoadError> {
    load_machine_as(arg, None)
}

/// Loads a machine file in the format its extension, or else its content, says.
pub fn load_file(path: &Path) -> Result<Machine, LoadError> {
    load_file_as(path, None, 0)
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
