//! Weight files as every shell reads and writes them: [`read_weights`] takes a file of either
//! kind (dense offset matrices or sparse maps, by the format its metadata names) in any dtype
//! [`Weights::read`] takes, and says plainly when the file is not safetensors at all (a PyTorch
//! `.pt`, a pickle); [`write_weights`] writes the same bytes for the same weights every time,
//! whichever process writes them, so that `arsim compile --out` and Python's `Predictor.save`
//! agree byte for byte.

use crate::api::error::ApiError;
use crate::fs::write_atomic;
use crate::weights::{self, with_dense, Metadata, Weights, WeightsError};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The largest safetensors header arsim reads (the safetensors crate's own limit).
const MAX_HEADER: u64 = 100_000_000;

/// Reads a weight file, dense or sparse as its metadata's `format` says, in any dtype
/// [`Weights::read`] takes (integer files whose scores could overflow the `i32` accumulator are
/// refused, naming the bound; nothing is wrapped).
pub fn read_weights(path: &Path) -> Result<(Weights, Metadata), ApiError> {
    let sparse = match header_format(path)? {
        Some(format) => format.starts_with(weights::SPARSE_FORMAT),
        // Not a header arsim can read: the library's own reading says why.
        None => false,
    };
    Ok(Weights::read(path, sparse)?)
}

/// The metadata `format` of a safetensors file, `None` when its header cannot be read as one;
/// an error when the file cannot be opened or is recognisably something else.
fn header_format(path: &Path) -> Result<Option<String>, ApiError> {
    let io = |source| {
        ApiError::Weights(WeightsError::Io {
            path: path.display().to_string(),
            source,
        })
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    // The 8-byte header length and the header's first byte, `{` in every safetensors file: a
    // length whose low bytes happen to read as a pickle's opcode is still a safetensors file.
    let mut head = [0u8; 9];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    if let Some(what) = weights::foreign_format(&head[..got]) {
        return Err(ApiError::NotSafetensors {
            path: path.display().to_string(),
            what,
        });
    }
    if got < head.len() {
        return Ok(None);
    }
    let n = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    if n > MAX_HEADER || n == 0 {
        return Ok(None);
    }
    let mut json = vec![b'{'; n as usize];
    if file.read_exact(&mut json[1..]).is_err() {
        return Ok(None);
    }
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&json) else {
        return Ok(None);
    };
    Ok(header
        .get("__metadata__")
        .and_then(|m| m.get("format"))
        .and_then(|f| f.as_str())
        .map(str::to_string))
}

/// Writes `weights` with `meta` to `path`, whole or not at all, in the same bytes every time
/// (the header's keys sorted: `weights::canonical`).
pub fn write_weights(weights: &Weights, meta: &Metadata, path: &Path) -> Result<(), ApiError> {
    write_atomic(path, &weights_bytes(weights, meta)).map_err(WeightsError::from)?;
    Ok(())
}

/// The bytes [`write_weights`] writes.
pub fn weights_bytes(weights: &Weights, meta: &Metadata) -> Vec<u8> {
    match weights {
        Weights::Dense(d) => with_dense!(d, p => weights::dense_bytes(p, meta)),
        Weights::Sparse(p) => weights::sparse_bytes(p, meta),
    }
}

/// The metadata a file of `weights` written with `meta` holds, key by key (the layout, dtype and
/// rule filled in from the weights, as [`write_weights`] writes them).
pub fn file_metadata(weights: &Weights, meta: &Metadata) -> BTreeMap<String, String> {
    let bytes = weights_bytes(weights, meta);
    weights::header(&bytes)
        .and_then(|h| h.get("__metadata__").cloned())
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{compile, encoding, metadata};
    use crate::encoding::EncodingKind;
    use crate::machine::load::from_standard;
    use crate::window::Window;

    #[test]
    fn the_same_weights_write_the_same_bytes_and_read_back() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let dir = tempfile::tempdir().unwrap();
        for kind in EncodingKind::ALL {
            let enc = encoding(&m, kind, Window { size: 4, origin: 1 }).unwrap();
            let w = compile(&m, &enc).unwrap();
            let meta = metadata(&m, &enc, None);
            let (a, b) = (dir.path().join("a"), dir.path().join("b"));
            write_weights(&w, &meta, &a).unwrap();
            // A fresh map (another hash order) for the second write.
            let meta2 = Metadata {
                extra: meta.extra.clone(),
                ..meta.clone()
            };
            write_weights(&w, &meta2, &b).unwrap();
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            let (read, _) = read_weights(&a).unwrap();
            assert_eq!(read, w, "{kind:?}");
        }
    }

    #[test]
    fn a_zip_or_pickle_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let pt = dir.path().join("model.pt");
        std::fs::write(&pt, b"PK\x03\x04\x14\x00\x00\x00rest").unwrap();
        let e = read_weights(&pt).unwrap_err().to_string();
        assert!(
            e.contains("zip archive") && e.contains("safetensors"),
            "{e}"
        );
        std::fs::write(&pt, b"\x80\x02}q\x00.").unwrap();
        let e = read_weights(&pt).unwrap_err().to_string();
        assert!(e.contains("pickle"), "{e}");
    }

    #[test]
    fn a_header_whose_length_reads_like_a_pickle_is_still_safetensors() {
        // A header of 0x280 bytes starts the file with 0x80 0x02, a pickle's first two bytes.
        let mut header = r#"{"__metadata__":{"format":"arsim-linear-ar/1","pad":""}}"#.to_string();
        let pad = 0x280 - header.len();
        header.insert_str(header.len() - 3, &"x".repeat(pad));
        assert_eq!(header.len(), 0x280);
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            header_format(&path).unwrap().as_deref(),
            Some("arsim-linear-ar/1")
        );
    }
}
