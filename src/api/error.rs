//! [`ApiError`]: every way a request to the front door can fail, typed; the shells map each to
//! their own words (flag names on the command line) and exit codes.

use crate::api::learn::InputsField;
use crate::api::load::InputSource;
use crate::certify::CertifyError;
use crate::emulate::EmulateError;
use crate::machine::{InputError, LoadError};
use crate::weights::WeightsError;

/// Why a request to the front door could not be served: bad input (exit 2 on the command
/// line; `arsim.BadInput` in Python), each variant naming the file, machine or size at fault.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The machine could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The input is not a word over the machine's alphabet.
    #[error("{}: {source}", input_origin(.origin, .machine))]
    Input {
        /// Where the word came from.
        origin: InputSource,
        /// The machine argument.
        machine: String,
        /// Why.
        source: InputError,
    },
    /// A learner's inputs cannot be drawn as asked.
    #[error("bad {} for machine {machine}: {message}", .field.name())]
    Inputs {
        /// Which part of the request.
        field: InputsField,
        /// The machine's name.
        machine: String,
        /// Why.
        message: String,
    },
    /// A collected trace would hold more tokens than the limit.
    #[error("machine {machine}: the trace has more than {limit} tokens (after {steps} steps); bound the steps, or take a smaller window")]
    TraceTooLong {
        /// The machine's name.
        machine: String,
        /// The steps covered when the limit was reached.
        steps: u64,
        /// The limit, in tokens.
        limit: u64,
    },
    /// The input file could not be read.
    #[error("cannot read the input file {path}: {source}")]
    InputFile {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The input file is larger than any input arsim lays on a tape.
    #[error("the input file {path} has {bytes} bytes; no input longer than {limit} cells fits a tape window")]
    InputFileSize {
        /// The file.
        path: String,
        /// Its size.
        bytes: u64,
        /// The longest input, in cells.
        limit: usize,
    },
    /// A weight file could not be read.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The emulation could not start.
    #[error("machine {machine}: {source}")]
    Emulate {
        /// The machine's name.
        machine: String,
        /// Why.
        source: EmulateError,
    },
    /// The local certificate does not apply.
    #[error(transparent)]
    Certify(#[from] CertifyError),
    /// The machine cannot be compiled to this encoding.
    #[error("machine {machine}: {message}")]
    Compile {
        /// The machine's name.
        machine: String,
        /// Why.
        message: String,
    },
    /// A picture could not be drawn.
    #[error("machine {machine}: {source}")]
    Draw {
        /// The machine's name.
        machine: String,
        /// Why.
        source: crate::draw::DrawError,
    },
    /// A window or dictionary beyond what arsim builds.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
    /// The file names an encoding arsim does not have.
    #[error("{path}: metadata `encoding`: unknown encoding `{found}`")]
    UnknownEncoding {
        /// The file.
        path: String,
        /// The name it gives.
        found: String,
    },
    /// The file holds weights of another encoding than the one asked for.
    #[error("{path} holds {found} weights; give --encoding {found}")]
    Encoding {
        /// The file.
        path: String,
        /// The file's encoding.
        found: String,
    },
}

/// Where an input word came from, for a message.
fn input_origin(origin: &InputSource, machine: &str) -> String {
    match origin {
        InputSource::Own => format!("the input in {machine}"),
        InputSource::Word(_) => "the input".to_string(),
        InputSource::File(p) => format!("the input file {}", p.display()),
    }
}

/// An error and its sources joined by ": ", each said once (many errors print their source in
/// their own message already): what every shell shows.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
