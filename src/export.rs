//! Weights out: a [`LinearAr`] as a safetensors file that numpy and PyTorch can load.
//!
//! One `int32` tensor per offset (`float32` for learned float weights, [`to_safetensors_f32`]), named `W.<offset name>` (e.g. `W.S+1`), of shape
//! `[vocab, vocab]`: row = output token, column = input token. The header metadata labels
//! everything: `tokens` and `offsets` (JSON arrays), `offset_names`, `encoding`, `machine`,
//! `window_size`, `origin`, and the rule `next = argmax_d sum_j W_j[d, x[p-j]]` (positions
//! before the trace read as a zero column). Files are written whole: a temporary file in the
//! same directory, then a rename.

use crate::predictor::{Layout, LinearAr, LinearArF32};
use nalgebra::DMatrix;
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Value of the `format` metadata key.
pub const FORMAT: &str = "arsim-linear-ar/1";

/// Errors writing or reading weight files; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a safetensors file of arsim's layout.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Writes `bytes` to `path` whole: to a temporary file beside it, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Serialises a predictor with its labels and extra metadata (e.g. `machine`, `encoding`).
pub fn to_safetensors(p: &LinearAr, extra: &[(&str, String)]) -> Vec<u8> {
    let data = row_major_bytes(p.weights(), |w| w.to_le_bytes());
    serialize(p.layout(), Dtype::I32, &data, extra)
}

/// Serialises a float predictor (learned weights) in the same layout, as `float32` tensors
/// with the same metadata; `dtype` in the metadata says `F32`.
pub fn to_safetensors_f32(p: &LinearArF32, extra: &[(&str, String)]) -> Vec<u8> {
    let data = row_major_bytes(p.weights(), |w| w.to_le_bytes());
    serialize(p.layout(), Dtype::F32, &data, extra)
}

/// Each matrix as row-major `[output, input]` little-endian bytes, as numpy expects.
fn row_major_bytes<T: nalgebra::Scalar + Copy>(
    weights: &[DMatrix<T>],
    bytes: impl Fn(T) -> [u8; 4],
) -> Vec<Vec<u8>> {
    weights
        .iter()
        .map(|w| {
            let mut out = Vec::with_capacity(w.len() * 4);
            for d in 0..w.nrows() {
                for x in 0..w.ncols() {
                    out.extend_from_slice(&bytes(w[(d, x)]));
                }
            }
            out
        })
        .collect()
}

fn serialize(layout: &Layout, dtype: Dtype, data: &[Vec<u8>], extra: &[(&str, String)]) -> Vec<u8> {
    let v = layout.tokens.len();
    let tensors: Vec<(String, TensorView<'_>)> = layout
        .offset_names
        .iter()
        .zip(data)
        .map(|(name, bytes)| {
            // Shape and byte length agree by construction.
            let view = TensorView::new(dtype, vec![v, v], bytes).expect("shape matches data");
            (format!("W.{name}"), view)
        })
        .collect();
    let mut meta: HashMap<String, String> = HashMap::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("dtype".into(), format!("{dtype:?}"));
    meta.insert(
        "tokens".into(),
        serde_json::to_string(&layout.tokens).unwrap_or_default(),
    );
    meta.insert(
        "offsets".into(),
        serde_json::to_string(&layout.offsets).unwrap_or_default(),
    );
    meta.insert(
        "offset_names".into(),
        serde_json::to_string(&layout.offset_names).unwrap_or_default(),
    );
    meta.insert(
        "rule".into(),
        "next = argmax_d sum_j W.<name_j>[d, x[p - offset_j]]; positions before the trace read as a zero column"
            .into(),
    );
    for (k, val) in extra {
        meta.insert((*k).to_string(), val.clone());
    }
    safetensors::tensor::serialize(tensors, Some(meta)).expect("in-memory serialisation")
}

/// Writes a predictor to `path` (whole, or not at all).
pub fn write_safetensors(
    p: &LinearAr,
    extra: &[(&str, String)],
    path: &Path,
) -> Result<(), ExportError> {
    write_atomic(path, &to_safetensors(p, extra))
}

/// Writes a float predictor to `path` (whole, or not at all).
pub fn write_safetensors_f32(
    p: &LinearArF32,
    extra: &[(&str, String)],
    path: &Path,
) -> Result<(), ExportError> {
    write_atomic(path, &to_safetensors_f32(p, extra))
}

/// Reads a predictor written by [`write_safetensors`], with its metadata.
pub fn read_safetensors(path: &Path) -> Result<(LinearAr, HashMap<String, String>), ExportError> {
    let (layout, weights, meta) = read_weights(path, Dtype::I32, i32::from_le_bytes)?;
    Ok((LinearAr::new(layout, weights), meta))
}

/// Reads a float predictor written by [`write_safetensors_f32`], with its metadata.
pub fn read_safetensors_f32(
    path: &Path,
) -> Result<(LinearArF32, HashMap<String, String>), ExportError> {
    let (layout, weights, meta) = read_weights(path, Dtype::F32, f32::from_le_bytes)?;
    Ok((LinearArF32::new(layout, weights), meta))
}

/// The layout, matrices and metadata of an arsim weight file whose tensors are `dtype`.
#[allow(clippy::type_complexity)]
fn read_weights<T: nalgebra::Scalar + Copy>(
    path: &Path,
    dtype: Dtype,
    decode: fn([u8; 4]) -> T,
) -> Result<(Layout, Vec<DMatrix<T>>, HashMap<String, String>), ExportError> {
    let shown = path.display().to_string();
    let bad = |message: String| ExportError::Format {
        path: shown.clone(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| ExportError::Io {
        path: shown.clone(),
        source,
    })?;
    let (_, header) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(bad(format!(
            "not an arsim weight file (metadata format is not {FORMAT})"
        )));
    }
    let field = |k: &str| {
        meta.get(k)
            .ok_or_else(|| bad(format!("metadata has no `{k}`")))
    };
    let parse_err = |k: &str, e: serde_json::Error| bad(format!("metadata `{k}`: {e}"));
    let tokens: Vec<String> =
        serde_json::from_str(field("tokens")?).map_err(|e| parse_err("tokens", e))?;
    let offsets: Vec<usize> =
        serde_json::from_str(field("offsets")?).map_err(|e| parse_err("offsets", e))?;
    let offset_names: Vec<String> =
        serde_json::from_str(field("offset_names")?).map_err(|e| parse_err("offset_names", e))?;
    if offsets.len() != offset_names.len() {
        return Err(bad("offsets and offset_names differ in length".into()));
    }
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let v = tokens.len();
    let mut weights = Vec::new();
    for name in &offset_names {
        let t = st
            .tensor(&format!("W.{name}"))
            .map_err(|e| bad(format!("tensor W.{name}: {e}")))?;
        if t.dtype() != dtype || t.shape() != [v, v] {
            return Err(bad(format!(
                "tensor W.{name} is {:?} {:?}, expected {dtype:?} [{v}, {v}]",
                t.dtype(),
                t.shape()
            )));
        }
        let vals: Vec<T> = t
            .data()
            .chunks_exact(4)
            .map(|c| decode([c[0], c[1], c[2], c[3]]))
            .collect();
        weights.push(DMatrix::from_row_slice(v, v, &vals));
    }
    Ok((
        Layout {
            tokens,
            offsets,
            offset_names,
        },
        weights,
        meta,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::machine_to_cells_predictor;
    use crate::encoding::cells::Window;
    use crate::machine::load::from_standard;

    #[test]
    fn weights_round_trip_through_a_file() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let p = machine_to_cells_predictor(&m, Window { size: 4, origin: 2 });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        write_safetensors(&p, &[("machine", "bb2".into())], &path).unwrap();
        let (q, meta) = read_safetensors(&path).unwrap();
        assert_eq!(p, q);
        assert_eq!(meta["machine"], "bb2");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn float_weights_round_trip_and_are_not_read_as_integers() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let c = machine_to_cells_predictor(&m, Window { size: 4, origin: 2 });
        let weights = c
            .weights()
            .iter()
            .map(|w| w.map(|x| x as f32 * 0.5))
            .collect();
        let p = LinearArF32::new(c.layout().clone(), weights);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.safetensors");
        write_safetensors_f32(&p, &[("machine", "bb2".into())], &path).unwrap();
        let (q, meta) = read_safetensors_f32(&path).unwrap();
        assert_eq!(p, q);
        assert_eq!(meta["dtype"], "F32");
        let err = read_safetensors(&path).unwrap_err().to_string();
        assert!(err.contains("expected I32"), "{err}");
    }

    #[test]
    fn a_foreign_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.safetensors");
        std::fs::write(&path, b"not safetensors").unwrap();
        let err = read_safetensors(&path).unwrap_err().to_string();
        assert!(err.contains("x.safetensors"), "{err}");
    }
}
