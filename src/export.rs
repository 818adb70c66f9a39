//! The former home of weight files and `write_atomic`, kept as thin aliases so that code written
//! against it (the Python bindings among them) keeps compiling: weight files live in
//! [`crate::weights`] (typed [`Metadata`], every dtype, exact integer scores) and
//! `write_atomic` in [`crate::fs`]. New code should use those.

use crate::predictor::{LinearAr, LinearArF32};
use crate::weights::{read_dense, write_dense, DenseWeights, Metadata, DENSE_FORMAT};
use std::collections::HashMap;
use std::path::Path;

pub use crate::weights::WeightsError as ExportError;

/// Writes `bytes` to `path` whole (see [`crate::fs::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    Ok(crate::fs::write_atomic(path, bytes)?)
}

/// The typed metadata of the former `extra` key-value pairs (`machine`, `encoding`,
/// `window_size`, `origin`, anything else kept as written).
fn metadata_of(extra: &[(&str, String)]) -> Metadata {
    let mut map: HashMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    map.insert("format".into(), format!("{DENSE_FORMAT}/1"));
    map.entry("tokens".into()).or_insert_with(|| "[]".into());
    Metadata::from_map(&map, DENSE_FORMAT).unwrap_or_else(|_| {
        Metadata::from_map(
            &HashMap::from([
                ("format".to_string(), format!("{DENSE_FORMAT}/1")),
                ("tokens".to_string(), "[]".to_string()),
            ]),
            DENSE_FORMAT,
        )
        .expect("a minimal map reads")
    })
}

/// Writes an integer predictor with `extra` metadata (see [`crate::weights::write_dense`]).
pub fn write_safetensors(
    p: &LinearAr,
    extra: &[(&str, String)],
    path: &Path,
) -> Result<(), ExportError> {
    write_dense(p, &metadata_of(extra), path)
}

/// Writes an `f32` predictor with `extra` metadata (see [`crate::weights::write_dense`]).
pub fn write_safetensors_f32(
    p: &LinearArF32,
    extra: &[(&str, String)],
    path: &Path,
) -> Result<(), ExportError> {
    write_dense(p, &metadata_of(extra), path)
}

/// Reads an integer file (any integer dtype) with its metadata as strings.
pub fn read_safetensors(path: &Path) -> Result<(LinearAr, HashMap<String, String>), ExportError> {
    match read_dense(path)? {
        (DenseWeights::Int(p), meta) => Ok((p, meta.to_map())),
        (_, meta) => Err(ExportError::Format {
            path: path.display().to_string(),
            message: format!("tensors are {}, expected an integer dtype", meta.dtype),
        }),
    }
}

/// Reads a float file (`F16`, `BF16`, `F32`) with its metadata as strings.
pub fn read_safetensors_f32(
    path: &Path,
) -> Result<(LinearArF32, HashMap<String, String>), ExportError> {
    match read_dense(path)? {
        (DenseWeights::F32(p), meta) => Ok((p, meta.to_map())),
        (_, meta) => Err(ExportError::Format {
            path: path.display().to_string(),
            message: format!("tensors are {}, expected F16, BF16 or F32", meta.dtype),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::machine_to_cells_predictor;
    use crate::machine::load::from_standard;
    use crate::window::Window;

    #[test]
    fn the_former_functions_round_trip() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let extra = [
            ("machine", "bb2".to_string()),
            ("window_size", "4".into()),
            ("origin", "2".into()),
        ];
        write_safetensors(&p, &extra, &path).unwrap();
        let (q, meta) = read_safetensors(&path).unwrap();
        assert_eq!(p, q);
        assert_eq!(meta["machine"], "bb2");
        assert_eq!(meta["window_size"], "4");
        let err = read_safetensors_f32(&path).unwrap_err().to_string();
        assert!(err.contains("expected F16"), "{err}");
    }
}
