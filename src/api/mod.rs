//! The front door: the one library API every shell goes through (the `arsim` command line, the
//! Python package, any server). It takes typed requests and returns typed reports, and every
//! check lives here or below it: sizes against `limits`, a machine file's own input, the
//! window's resolution, the metadata written beside weights, the length of a collected trace.
//! A check, a limit or a default that lived in one shell and not the others would be a bug.
//!
//! The shells name nothing else of the library: `python/src` is held to this module by
//! `tests/architecture.rs`, and the types the front door returns are re-exported here.
//!
//! ```
//! use arsim::api::{load_run, prepare, ExecutorOptions, InputSource, MachineRequest};
//! use arsim::api::EncodingKind;
//! let req = MachineRequest {
//!     machine: "1RB1LB_1LA1RZ".into(),
//!     input: InputSource::Word("1*1".into()), // the head starts on cell 1
//!     ..Default::default()
//! };
//! let run = load_run(&req).unwrap();
//! let p = prepare(&run.machine, &run.input, EncodingKind::Cells, None, None, 1_000).unwrap();
//! let auto = ExecutorOptions::default();
//! let report = p.emulate(&run.machine, run.input, 1_000, auto, &mut |_| {}).unwrap();
//! assert!(report.agree && report.head_start == 1);
//! ```

pub mod error;
pub mod files;
pub mod hf;
pub mod inputs;
pub mod learner;
pub mod load;
pub mod models;
#[cfg(feature = "clap")]
pub mod options;
pub mod predictors;
pub mod prepare;
pub mod source;
pub mod tasks;
pub mod tokens;
pub mod trace;
pub mod view;

pub use crate::hf::Precision;
pub use error::{chain, ApiError};
pub use files::{file_metadata, read_weights, weights_bytes, write_weights};
pub use hf::{
    certify_hf, check_checkpoint_export, export_checkpoint_hf, export_hf, HfCertificate,
    HfCheckpointExport, HfExport,
};
pub use inputs::{input_spec, InputsField, InputsRequest};
pub use learner::{
    learn, learn_defaults, learned_predictor, Algo, InputSpec, LearnOptions, LearnProgress,
    LearnReport, Learned, LearnedPredictor, LearnerKind, OutputKind, SoftmaxOptions,
};
pub use load::{load_run, InputSource, LoadedRun, MachineRequest};
pub use models::{checkpoint_logits, checkpoint_tensors, CheckpointTensors};
#[cfg(feature = "clap")]
pub use options::{option_name, option_names, parse_option, ValueEnum};
pub use predictors::{
    certify_json, verdict, CertifyJson, HeldPredictor, Matrices, Verdict, COMPILE_MAX_STEPS,
};
pub use prepare::{
    compile, compiled_for, encoding, metadata, prepare, prepare_weights, resolve_window, save,
    Prepared,
};
pub use tokens::token_ids;
pub use trace::{token_trace, token_trace_with, TokenTrace, MAX_TRACE_TOKENS};
pub use view::{error_lines, page_html, RowsPage, View, ViewRequest, ViewSummary};

// The types the front door takes and returns.
pub use crate::certify::{Certificate, CertifyReport, LocalCertifyReport};
pub use crate::emulate::ExecutorOptions;
pub use crate::emulate::{EmulateOptions, EmulationReport};
pub use crate::encoding::gates::certify::CERTIFY_MAX_STEPS;
pub use crate::encoding::{EncodingInfo, EncodingKind, WindowKind};
pub use crate::interpreter::{run_report, RunReport};
pub use crate::machine::{
    load_machine, load_machine_as, Input, LoadOptions, Machine, MachineFormat, Undefined,
};
pub use crate::predictor::{Layout, LinearAr, LinearArF32, TokenId};
pub use crate::rows::{ExecutorChoice, RowIsa};
pub use crate::weights::{DenseWeights, Metadata, Weights};
pub use crate::window::Window;
