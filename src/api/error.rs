//! [`ApiError`]: every way a request to the front door can fail, typed; the shells map each to
//! their own words (flag names on the command line) and exit codes.

use crate::api::source::{InputSource, InputsField};
use crate::certify::CertifyError;
use crate::emulate::EmulateError;
use crate::learn::LearnError;
use crate::machine::{InputError, LoadError};
use crate::nn::NnError;
use crate::tasks::multiply::MultiplyError;
use crate::tasks::text::bpe::TokenizerError;
use crate::tasks::text::corpus::CorpusError;
use crate::tasks::text::hf_tokenizer::HfTokenizerError;
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
    /// The window cannot hold the run at all.
    #[error("machine {machine}: {source}")]
    Window {
        /// The machine's name.
        machine: String,
        /// Why.
        source: crate::window::WindowError,
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
    #[error("{path} holds {found} weights; run them as the {found} encoding")]
    Encoding {
        /// The file.
        path: String,
        /// The file's encoding.
        found: String,
    },
    /// The file is not a safetensors file at all (a PyTorch checkpoint, a pickle).
    #[error("{path} is {what}, not a safetensors weight file; arsim reads the safetensors weight files it writes itself (compiled, learned, or saved from Python) (from PyTorch, write one with safetensors.torch.save_file)")]
    NotSafetensors {
        /// The file.
        path: String,
        /// What it is instead.
        what: &'static str,
    },
    /// An option's value is not one of its names.
    #[error("invalid value '{value}' for '{what}' [possible values: {}]", .possible.join(", "))]
    Option {
        /// The option.
        what: String,
        /// The value given.
        value: String,
        /// The names it takes.
        possible: Vec<String>,
    },
    /// A token id outside the vocabulary (negative, or too large).
    #[error("{what}: token {index} is {value}{}; the vocabulary is 0..{vocab}", if *.value < 0 { ", a negative id" } else { "" })]
    TokenId {
        /// What the ids are (`prompt`, `chain 3`, …).
        what: String,
        /// Where in the sequence.
        index: usize,
        /// The id.
        value: i64,
        /// The vocabulary's size.
        vocab: usize,
    },
    /// An array of the wrong shape or size.
    #[error("{what}: {message}")]
    Shape {
        /// The argument.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// A model directory could not be written or read back (`compile --hf`, `certify --hf`).
    #[error(transparent)]
    Hf(#[from] crate::hf::HfError),
    /// A request these weights cannot serve (sparse weights as offset matrices, say).
    #[error("{message}")]
    Unsupported {
        /// What cannot be done, and why.
        message: String,
    },
    /// Integer weights whose scores could overflow the `i32` accumulator.
    #[error(transparent)]
    ScoreOverflow(#[from] crate::predictor::linear::ScoreOverflow),
    /// A learning run could not start.
    #[error("machine {machine}: {source}")]
    Learn {
        /// The machine's name.
        machine: String,
        /// Why.
        source: LearnError,
    },
    /// A model or checkpoint could not be read or run.
    #[error(transparent)]
    Model(#[from] NnError),
    /// A multiplication pair or chain is not one of the task's.
    #[error(transparent)]
    Multiply(#[from] MultiplyError),
    /// A tokenizer file could not be read or written.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// A tokenizer could not be written as a Hugging Face file.
    #[error(transparent)]
    HfTokenizer(#[from] HfTokenizerError),
    /// A text corpus could not be read.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// A request past one of the viewer's limits (`api::view`).
    #[error("{what} is over the limit of {limit}")]
    Limit {
        /// What was asked for, with its size.
        what: String,
        /// The limit.
        limit: String,
    },
    /// A request that took longer than it may.
    #[error("the request took longer than its limit of {seconds} s; ask for fewer steps or rows")]
    TimeLimit {
        /// The limit, in seconds.
        seconds: f64,
    },
    /// A text-task setting outside its values (a vocabulary below the bytes).
    #[error(transparent)]
    TextSetting(#[from] crate::tasks::text::TextSettingError),
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
