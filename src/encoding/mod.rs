//! Encodings: rules that turn a run into a trace of tokens and back.
//!
//! An encoding is one folder (`cells/`, `sweep/`, `gates/`) and one implementation of the
//! [`Encoding`] trait (`contract`): its dictionary on a machine and window, the interpreter's run as a
//! [`Trace`], the row-counting stop rule, its compiler, its certificate, where a divergence
//! lies, what a learner reads, and what its weight files hold. `emulate`, `certify`, `compile`,
//! `length` and `learn` are written once over the trait; [`registry`] is the one place that lists
//! them and dispatches on [`EncodingKind`]. This file only declares and re-exports.
//!
//! Each encoding states its dictionary, the offsets its next token depends on, and its length
//! complexity. [`cells`] is the time-invariant encoding (T·(S+1) generated tokens for T steps
//! on a window of S cells); [`sweep`] spells a whole run of right moves per row ((L+1)·(S+1)
//! tokens for a run with L left moves); [`gates`] is the paper's threshold-circuit encoding
//! (T·S·|Γ|(|Q|+1) bits, time-dependent).

pub mod cells;
pub mod contract;
pub mod divergence;
pub mod dynamic;
pub mod gates;
pub mod halt;
pub mod registry;
pub mod sweep;

pub use contract::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
pub use divergence::DivergenceReport;
pub use dynamic::DynEncoding;
pub use registry::{AnyEncoding, AnyTrace, EncodingKind, WithEncoding};
