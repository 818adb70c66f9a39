//! Turning a MACHINE argument into a [`Machine`]: a file path (format chosen by extension or
//! content, or forced with a [`MachineFormat`]) or an inline bbchallenge standard-format string.
//! A seed database file takes the index of its machine after a `#`: `all_5_states.seed#42`.

use super::morphett::{self, MorphettError};
use super::ron_format::{self, SourceMap};
use super::seed::{self, SeedError};
use super::spec::MachineSpec;
use super::standard::{self, StandardError};
use super::validate::{validate, ValidationErrors};
use super::yaml::{self, YamlError};
use super::{Machine, Undefined};
use serde::Serialize;
use std::path::Path;

/// The machine file formats arsim reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
    /// The argument is no file, and reads as a standard-format string with a mistake.
    #[error("{arg} is no machine file, and as a standard-format string: {error}")]
    NotStandard {
        /// The argument.
        arg: String,
        /// Where the string goes wrong.
        error: StandardError,
    },
    /// `FILE#N` on a file that holds one machine: only a seed database has machines to pick.
    #[error("{path}#{index}: `#N` picks a machine of a seed database; {path} is one machine ({format} format)")]
    NotADatabase {
        /// The file.
        path: String,
        /// The index asked for.
        index: usize,
        /// The file's format.
        format: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        error: std::io::Error,
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
    #[error("{origin}: {error}")]
    Standard {
        /// The file, or the string itself.
        origin: String,
        /// What is wrong.
        error: StandardError,
    },
    /// A malformed Morphett file.
    #[error("{}", at_line(path, error.line, &error.kind))]
    Morphett {
        /// The file.
        path: String,
        /// What is wrong, and where (shown in the message, not chained: printed once).
        error: MorphettError,
    },
    /// A malformed turingmachine.io YAML file.
    #[error("{}", at_line(path, error.line.unwrap_or(0), &error.message))]
    Yaml {
        /// The file.
        path: String,
        /// What is wrong, and where.
        error: YamlError,
    },
    /// A malformed bbchallenge seed file.
    #[error("{path}: {error}")]
    Seed {
        /// The file.
        path: String,
        /// What is wrong.
        error: SeedError,
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

/// How to read a MACHINE argument: everything but the argument itself.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Read the file in this format, whatever its extension or content.
    pub format: Option<MachineFormat>,
    /// Morphett files: skip bad lines and let later duplicate rules win, with warnings, as
    /// Morphett's simulator does (strict by default).
    pub lenient: bool,
    /// What an undefined transition means where the format's tool gives it a meaning
    /// (bbchallenge's `---`, a Morphett state and symbol without a rule).
    pub undefined: Undefined,
    /// The start state, for formats without one of their own (Morphett's is `0`) or to
    /// start elsewhere.
    pub start: Option<String>,
    /// The input the machine will run on, if not the file's own: formats whose tools put any
    /// character on the tape (Morphett, turingmachine.io) take its characters into the alphabet.
    pub input: Option<String>,
}

/// A loaded machine, and what lenient loading stepped over.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The machine.
    pub machine: Machine,
    /// Each warning, naming its file and line.
    pub warnings: Vec<String>,
}

/// Loads a machine as [`load_machine`] does, in a forced format when `format` is given.
///
/// `FILE#N` picks machine N (0-based) of a seed database.
pub fn load_machine_as(arg: &str, format: Option<MachineFormat>) -> Result<Machine, LoadError> {
    let opts = LoadOptions {
        format,
        ..LoadOptions::default()
    };
    load_machine_with(arg, &opts).map(|l| l.machine)
}

/// Loads a machine from a path, `FILE#N` or an inline standard-format string, as `opts` says.
pub fn load_machine_with(arg: &str, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let path = Path::new(arg);
    if path.is_file() {
        return load_file_with(path, opts, None);
    }
    if let Some((file, index)) = arg.rsplit_once('#') {
        if let (true, Ok(i)) = (Path::new(file).is_file(), index.parse::<usize>()) {
            return load_file_with(Path::new(file), opts, Some(i));
        }
    }
    if matches!(opts.format, None | Some(MachineFormat::Standard)) && standard::looks_standard(arg)
    {
        let spec =
            standard::parse_with(arg, opts.undefined).map_err(|error| LoadError::Standard {
                origin: arg.to_string(),
                error,
            })?;
        return finish(spec, opts, arg, None, Vec::new());
    }
    if matches!(opts.format, None | Some(MachineFormat::Standard))
        && (opts.format.is_some() || standard::looks_attempted(arg))
    {
        if let Err(error) = standard::parse_with(arg, opts.undefined) {
            return Err(LoadError::NotStandard {
                arg: arg.to_string(),
                error,
            });
        }
    }
    Err(LoadError::NotFound(arg.to_string()))
}

/// Validates a spec after the options' start state is put in; `name` replaces an empty name.
fn finish(
    mut spec: MachineSpec,
    opts: &LoadOptions,
    origin: &str,
    name: Option<&str>,
    warnings: Vec<String>,
) -> Result<Loaded, LoadError> {
    if let Some(start) = &opts.start {
        spec.start = start.clone();
    }
    if let Some(name) = name {
        if spec.name.is_empty() {
            spec.name = name.to_string();
        }
    }
    let machine = validate(&spec, None, Some(origin)).map_err(LoadError::Invalid)?;
    Ok(Loaded { machine, warnings })
}

/// Loads machine `index` (0 unless the file is a seed database) of a file, in `format` or,
/// when `None`, the format its extension or else its content says.
pub(crate) fn load_file_as(
    path: &Path,
    format: Option<MachineFormat>,
    index: usize,
) -> Result<Machine, LoadError> {
    let opts = LoadOptions {
        format,
        ..LoadOptions::default()
    };
    load_file_with(path, &opts, Some(index)).map(|l| l.machine)
}

/// Loads a file as `opts` says; `index` picks a machine of a seed database (which needs one).
pub(crate) fn load_file_with(
    path: &Path,
    opts: &LoadOptions,
    index: Option<usize>,
) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let bytes =
        crate::fs::read_bounded(path, crate::limits::MAX_FILE).map_err(|error| LoadError::Io {
            path: shown.clone(),
            error,
        })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = opts
        .format
        .or_else(|| MachineFormat::from_extension(path))
        .unwrap_or_else(|| MachineFormat::detect(&bytes));
    from_bytes_with(&bytes, format, &shown, &stem, index, opts)
}

/// Parses and validates a machine in a given format; `path` names it in errors, `stem` is
/// the default name, `index` picks a machine of a seed database (a bare machine is 0).
pub fn from_bytes(
    bytes: &[u8],
    format: MachineFormat,
    path: &str,
    stem: &str,
    index: usize,
) -> Result<Machine, LoadError> {
    let index = seed::header(bytes).map(|_| index);
    from_bytes_with(bytes, format, path, stem, index, &LoadOptions::default()).map(|l| l.machine)
}

/// Parses and validates a machine in a given format as `opts` says; `index` picks a machine
/// of a seed database.
pub(crate) fn from_bytes_with(
    bytes: &[u8],
    format: MachineFormat,
    path: &str,
    stem: &str,
    index: Option<usize>,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    // A byte-order mark (editors on Windows write one) is no part of the text.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = || {
        std::str::from_utf8(bytes).map_err(|_| LoadError::NotText {
            path: path.to_string(),
        })
    };
    if let (Some(index @ 1..), false) = (index, format == MachineFormat::Seed) {
        return Err(LoadError::NotADatabase {
            path: path.to_string(),
            index,
            format: format.name(),
        });
    }
    let mut loaded = match format {
        MachineFormat::Ron => {
            let text = text()?;
            let mut spec = ron_format::parse(text).map_err(|e| LoadError::Ron {
                path: path.to_string(),
                line: e.line,
                col: e.col,
                message: e.message,
            })?;
            let mut map = SourceMap::scan(text);
            if let Some(start) = &opts.start {
                spec.start = start.clone();
                map.forget("start");
            }
            let mut m = validate(&spec, Some(&map), Some(path)).map_err(LoadError::Invalid)?;
            if m.name.is_empty() {
                m.name = crate::printable::printable(stem).into_owned();
            }
            return Ok(Loaded {
                machine: m,
                warnings: Vec::new(),
            });
        }
        MachineFormat::Seed => {
            let spec =
                seed::parse(bytes, index, opts.undefined).map_err(|error| LoadError::Seed {
                    path: path.to_string(),
                    error,
                })?;
            let mut l = finish(spec, opts, path, None, Vec::new())?;
            let stem = crate::printable::printable(stem);
            l.machine.name = match (seed::header(bytes), index) {
                (Some(_), Some(i)) => format!("{stem}#{i}"),
                _ => stem.into_owned(),
            };
            return Ok(l);
        }
        MachineFormat::Standard => {
            let spec = standard::parse_with(text()?.trim(), opts.undefined).map_err(|error| {
                LoadError::Standard {
                    origin: path.to_string(),
                    error,
                }
            })?;
            finish(spec, opts, path, None, Vec::new())?
        }
        MachineFormat::Morphett => {
            let mopts = morphett::MorphettOptions {
                lenient: opts.lenient,
                undefined: opts.undefined,
                start: opts.start.as_deref(),
                input: opts.input.as_deref(),
            };
            let parsed =
                morphett::parse_with(text()?, &mopts).map_err(|error| LoadError::Morphett {
                    path: path.to_string(),
                    error,
                })?;
            let warnings = parsed
                .warnings
                .iter()
                .map(|w| at_line(path, w.line, &w.kind))
                .collect();
            let mut l = finish(parsed.spec, opts, path, None, warnings)?;
            l.machine.space_is_blank = true;
            l
        }
        MachineFormat::Yaml => {
            let mut y = yaml::parse(text()?).map_err(|error| LoadError::Yaml {
                path: path.to_string(),
                error,
            })?;
            // turingmachine.io puts any character on the tape; one no rule reads stops the run.
            for c in opts.input.iter().flat_map(|i| i.chars()) {
                if !y.spec.symbols.iter().any(|s| s.chars().eq([c])) {
                    y.spec.symbols.push(c.to_string());
                }
            }
            let name = y.spec.name.clone();
            let warnings = y
                .warnings
                .iter()
                .map(|w| at_line(path, w.line.unwrap_or(0), &w.message))
                .collect();
            let mut l = finish(y.spec, opts, path, None, warnings)?;
            l.machine.name =
                crate::printable::printable(if name.is_empty() { stem } else { &name })
                    .into_owned();
            return Ok(l);
        }
    };
    loaded.machine.name = crate::printable::printable(stem).into_owned();
    Ok(loaded)
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
        m.name = crate::printable::printable(stem).into_owned();
    }
    Ok(m)
}

/// Parses and validates a standard-format string; `origin` names it in errors.
pub fn from_standard(text: &str, origin: &str) -> Result<Machine, LoadError> {
    let spec = standard::parse(text).map_err(|error| LoadError::Standard {
        origin: origin.to_string(),
        error,
    })?;
    validate(&spec, None, Some(origin)).map_err(LoadError::Invalid)
}
