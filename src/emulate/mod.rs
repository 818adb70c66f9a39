//! Emulation, the main job: compile a machine, run the predictor from the prompt of an
//! input, and check every generated token against the interpreter's trace.
//!
//! [`emulate_with`] is written once over the [`Encoding`](crate::encoding::Encoding) trait and any [`Predictor`](crate::predictor::Predictor): the
//! encoding's prompt → [`Executor`](crate::executor::Executor) → [`run_verified`](crate::verify::run_verified) against the encoding's streaming
//! [`Trace`](crate::encoding::Trace), its stop rule, its divergence report. [`emulate`] compiles first (window from the
//! interpreter's run, or given); `emulate_{cells,sweep,gates}[_with]` are shorthands for one
//! encoding. [`rows`] runs the same check on the row-parallel executor, for encodings and predictors it
//! applies to ([`emulate_on`] chooses).

pub mod report;
pub mod rows;
pub mod tokens;

pub use report::{EmulateError, EmulateOptions, EmulationReport};
pub use rows::{emulate_on, emulate_rows, emulate_weights, ExecutorOptions};
pub use tokens::{
    emulate, emulate_cells, emulate_cells_with, emulate_compiled, emulate_gates,
    emulate_gates_with, emulate_sweep, emulate_sweep_with, emulate_with,
};
