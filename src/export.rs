//! The former home of weight files and `write_atomic`, kept as a thin alias so that code
//! written against it keeps compiling: weight files live in [`crate::weights`] and
//! `write_atomic` in [`crate::fs`].

pub use crate::weights::WeightsError as ExportError;

/// Writes `bytes` to `path` whole (see [`crate::fs::write_atomic`]).
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), ExportError> {
    Ok(crate::fs::write_atomic(path, bytes)?)
}
