//! The former home of the compilers, kept as aliases: each encoding compiles in its own folder
//! (`encoding::cells::compile`, `encoding::sweep::compile`, `encoding::gates`), and
//! [`crate::encoding::Encoding::compile`] is the one entry point.

pub use crate::encoding::cells::compile::*;
pub use crate::encoding::sweep::compile::{folded_to_sweep_predictor, machine_to_sweep_predictor};
