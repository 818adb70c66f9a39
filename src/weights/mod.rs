//! Weight files: every predictor arsim can write, as safetensors that numpy and PyTorch load,
//! read back with their typed [`Metadata`].
//!
//! - **Dense, time-invariant** ([`write_dense`], [`read_dense`]): one `[vocab, vocab]` tensor
//!   per offset, `W.<offset name>` (row = output token, column = input token), format
//!   `arsim-linear-ar/1`, rule `next = argmax_d Σ_j W_j[d, x[p-j]]` (positions before the trace
//!   read as a zero column).
//! - **Sparse, time-dependent** ([`write_sparse`], [`read_sparse`]): COO tensors `map`,
//!   `offset`, `input`, `output`, `weight` of shape `[nnz]`, format
//!   `arsim-time-dependent-ar/1` (see [`crate::predictor::time_dependent`]).
//!
//! Reading accepts every integer dtype (`I8` … `I64`, `U8` … `U64`) and every float dtype
//! (`F16`, `BF16`, `F32`, `F64`). The arithmetic is stated, not assumed:
//!
//! - integer weights are summed exactly: a file whose largest possible score
//!   `max_d Σ_j max_x |W_j[d, x]|` exceeds the `i32` accumulator is refused at load, with the
//!   bound in the message, so every score the executor computes is the `int64` score of the
//!   rule (and the `i16` kernel runs when the bound is at most 16,383);
//! - float weights are scored in their own precision (`F16`/`BF16` widen to `f32` exactly,
//!   `F64` stays `f64`) in one fixed order, offset by offset, by [`LinearAr`], the same code
//!   the certificate checks.
//!
//! Offsets must be at least 1: offset 0 would read the position being predicted.

mod canonical;
pub mod meta;

pub(crate) use canonical::canonical as canonical_bytes;
pub use meta::{ascii_alias, fingerprint, Metadata};

use crate::fs::{write_atomic, WriteError};
use crate::predictor::time_dependent::{Entry, Schedule, TimeDependentAr};
use crate::predictor::{Layout, LinearAr, Weight};
use crate::token::TokenId;
use canonical::canonical;
pub(crate) use canonical::header;
use nalgebra::DMatrix;
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

/// Format name of dense time-invariant files.
pub const DENSE_FORMAT: &str = "arsim-linear-ar";
/// Format name of sparse time-dependent files.
pub const SPARSE_FORMAT: &str = "arsim-time-dependent-ar";

use crate::limits::MAX_OFFSET;

/// The dense rule, as written into every dense file.
pub(crate) const DENSE_RULE: &str = "next = argmax_d sum_j W.<name_j>[d, x[p - offset_j]]; positions before the trace read as a zero column; integer weights are summed exactly (int64), ties go to the lowest d";

/// The sparse rule, as written into every sparse file.
pub(crate) const SPARSE_RULE: &str = "next[p] = argmax_d sum over entries e of map(p) with output = d of weight[e] * (x[p - offset[e]] == input[e]); \
     map(p) = p - start (sequential) or (p - start) mod maps (periodic); positions before start have no map (token 0); \
     positions before the trace read as padding, which no entry matches; ties go to token 0";

/// Errors reading or writing weight files; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
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
    /// Integer weights whose scores could overflow the accumulator.
    #[error("{path}: the largest possible score of these weights is {bound} (max over outputs d of sum over offsets j of max_x |W_j[d, x]|), beyond the i32 accumulator's {max}; refusing the file rather than let a sum overflow")]
    Overflow {
        /// The file.
        path: String,
        /// The bound.
        bound: i64,
        /// The accumulator's largest value.
        max: i64,
    },
}

impl From<WriteError> for WeightsError {
    fn from(e: WriteError) -> WeightsError {
        WeightsError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

/// Runs `$body` with `$p` bound to the dense predictor, whatever its scalar: the one match on a
/// dense file's dtype, so code over [`LinearAr<T>`] is written once.
macro_rules! with_dense {
    ($w:expr, $p:pat => $body:expr) => {
        match $w {
            $crate::weights::DenseWeights::Int($p) => $body,
            $crate::weights::DenseWeights::F32($p) => $body,
            $crate::weights::DenseWeights::F64($p) => $body,
        }
    };
}
pub(crate) use with_dense;

/// A dense predictor as read from a file, in the precision its dtype needs.
#[derive(Clone, Debug, PartialEq)]
pub enum DenseWeights {
    /// Integer dtypes: exact `i32` sums (the bound was checked).
    Int(LinearAr<i32>),
    /// `F16`, `BF16`, `F32`.
    F32(LinearAr<f32>),
    /// `F64`.
    F64(LinearAr<f64>),
}

impl DenseWeights {
    /// The layout (labels and offsets).
    pub fn layout(&self) -> &Layout {
        with_dense!(self, p => p.layout())
    }
}

/// A predictor of any kind arsim runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// Time-invariant offset matrices (`cells`, `sweep`).
    Dense(DenseWeights),
    /// One sparse map per position (`gates`).
    Sparse(TimeDependentAr),
}

impl Weights {
    /// Every non-zero weight with its labels, e.g. `W[⟨B,1⟩ ← (S+1, ⟨A,0⟩)] = 2`.
    pub fn nonzero_labels(&self) -> Vec<String> {
        fn dense<T: Weight>(p: &LinearAr<T>) -> Vec<String> {
            let mut out = Vec::new();
            for (o, w) in p.weights().iter().enumerate() {
                for d in 0..w.nrows() {
                    for x in 0..w.ncols() {
                        if w[(d, x)] != T::default() {
                            out.push(p.label(o, TokenId(d as u32), TokenId(x as u32)));
                        }
                    }
                }
            }
            out
        }
        match self {
            Weights::Dense(d) => with_dense!(d, p => dense(p)),
            Weights::Sparse(p) => (0..p.num_maps())
                .flat_map(|k| p.map(k).iter().map(move |e| (k, *e)))
                .map(|(k, e)| p.label(k, &e))
                .collect(),
        }
    }

    /// Writes the weights to `path` (whole, or not at all) with `meta`.
    pub fn write(&self, meta: &Metadata, path: &Path) -> Result<(), WeightsError> {
        match self {
            Weights::Dense(d) => with_dense!(d, p => write_dense(p, meta, path)),
            Weights::Sparse(p) => write_sparse(p, meta, path),
        }
    }

    /// Reads a weight file: one sparse map a position when `sparse`, else dense offset matrices.
    pub fn read(path: &Path, sparse: bool) -> Result<(Weights, Metadata), WeightsError> {
        Ok(if sparse {
            let (p, meta) = read_sparse(path)?;
            (Weights::Sparse(p), meta)
        } else {
            let (p, meta) = read_dense(path)?;
            (Weights::Dense(p), meta)
        })
    }

    /// The predictor, for an executor that takes any.
    pub fn as_predictor(&mut self) -> &mut dyn crate::predictor::Predictor {
        match self {
            Weights::Dense(d) => with_dense!(d, p => p),
            Weights::Sparse(p) => p,
        }
    }
}

/// A scalar a dense file can be written in.
pub trait Storable: Weight {
    /// Its safetensors dtype.
    const DTYPE: Dtype;
    /// Little-endian bytes.
    fn le_bytes(self, out: &mut Vec<u8>);
}

impl Storable for i32 {
    const DTYPE: Dtype = Dtype::I32;
    fn le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Storable for f32 {
    const DTYPE: Dtype = Dtype::F32;
    fn le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Storable for f64 {
    const DTYPE: Dtype = Dtype::F64;
    fn le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// Serialises a dense predictor; `meta` supplies the machine fields, and its format, labels,
/// offsets, rule and dtype are set from the predictor.
pub fn dense_bytes<T: Storable>(p: &LinearAr<T>, meta: &Metadata) -> Vec<u8> {
    let layout = p.layout();
    let v = layout.tokens.len();
    let data: Vec<Vec<u8>> = p
        .weights()
        .iter()
        .map(|w| {
            let mut out = Vec::with_capacity(w.len() * 8);
            for d in 0..w.nrows() {
                for x in 0..w.ncols() {
                    w[(d, x)].le_bytes(&mut out);
                }
            }
            out
        })
        .collect();
    let tensors: Vec<(String, TensorView<'_>)> = layout
        .offset_names
        .iter()
        .zip(&data)
        .map(|(name, bytes)| {
            // Shape and byte length agree by construction.
            let view = TensorView::new(T::DTYPE, vec![v, v], bytes).expect("shape matches data");
            (format!("W.{name}"), view)
        })
        .collect();
    let mut meta = meta.clone();
    meta.format = DENSE_FORMAT.into();
    meta.version = 1;
    meta.tokens = layout.tokens.clone();
    meta.token_aliases = layout.tokens.iter().map(|t| ascii_alias(t)).collect();
    meta.offsets = layout.offsets.clone();
    meta.offset_names = layout.offset_names.clone();
    meta.rule = DENSE_RULE.into();
    meta.dtype = format!("{:?}", T::DTYPE);
    canonical(
        safetensors::tensor::serialize(tensors, Some(meta.to_map()))
            .expect("in-memory serialisation"),
    )
}

/// Writes a dense predictor to `path` (whole, or not at all).
pub fn write_dense<T: Storable>(
    p: &LinearAr<T>,
    meta: &Metadata,
    path: &Path,
) -> Result<(), WeightsError> {
    Ok(write_atomic(path, &dense_bytes(p, meta))?)
}

/// The file's bytes and a function making its format errors.
fn open(path: &Path) -> Result<(Vec<u8>, impl Fn(String) -> WeightsError), WeightsError> {
    let shown = path.display().to_string();
    let bytes = crate::fs::read_bounded(path, crate::limits::MAX_FILE).map_err(|source| {
        WeightsError::Io {
            path: shown.clone(),
            source,
        }
    })?;
    let bad = move |message: String| WeightsError::Format {
        path: shown.clone(),
        message,
    };
    Ok((bytes, bad))
}

/// A tensor's values, widened: integers to `i64`, floats to `f64` (both exactly).
enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>, Dtype),
}

fn decode(dtype: Dtype, data: &[u8]) -> Option<Values> {
    fn ints<const N: usize>(data: &[u8], f: fn([u8; N]) -> i64) -> Vec<i64> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunks of N")))
            .collect()
    }
    fn floats<const N: usize>(data: &[u8], f: fn([u8; N]) -> f64) -> Vec<f64> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunks of N")))
            .collect()
    }
    Some(match dtype {
        Dtype::I8 => Values::Int(ints::<1>(data, |b| i64::from(i8::from_le_bytes(b)))),
        Dtype::U8 => Values::Int(ints::<1>(data, |b| i64::from(b[0]))),
        Dtype::I16 => Values::Int(ints::<2>(data, |b| i64::from(i16::from_le_bytes(b)))),
        Dtype::U16 => Values::Int(ints::<2>(data, |b| i64::from(u16::from_le_bytes(b)))),
        Dtype::I32 => Values::Int(ints::<4>(data, |b| i64::from(i32::from_le_bytes(b)))),
        Dtype::U32 => Values::Int(ints::<4>(data, |b| i64::from(u32::from_le_bytes(b)))),
        Dtype::I64 => Values::Int(ints::<8>(data, i64::from_le_bytes)),
        // Beyond i64::MAX saturates, which the bound check then refuses.
        Dtype::U64 => Values::Int(ints::<8>(data, |b| {
            i64::try_from(u64::from_le_bytes(b)).unwrap_or(i64::MAX)
        })),
        Dtype::F16 => Values::Float(
            floats::<2>(data, |b| f16_to_f64(u16::from_le_bytes(b))),
            dtype,
        ),
        Dtype::BF16 => Values::Float(
            floats::<2>(data, |b| {
                f64::from(f32::from_bits(u32::from(u16::from_le_bytes(b)) << 16))
            }),
            dtype,
        ),
        Dtype::F32 => Values::Float(
            floats::<4>(data, |b| f64::from(f32::from_le_bytes(b))),
            dtype,
        ),
        Dtype::F64 => Values::Float(floats::<8>(data, f64::from_le_bytes), dtype),
        _ => return None,
    })
}

/// IEEE half precision to `f64`, exactly.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// What a file is, from its first bytes, when it is recognisably not safetensors: PyTorch's
/// `torch.save` zip archive, or a pickle. Every reader of safetensors files (weight files,
/// training checkpoints) says so, instead of the safetensors crate's "header too large" (the
/// zip's first bytes read as a header length of gigabytes).
pub fn foreign_format(head: &[u8]) -> Option<&'static str> {
    match head {
        // A safetensors header starts with `{` after its 8-byte length: a length whose low
        // bytes read like a pickle's opcode (0x280 bytes: 0x80 0x02) is still safetensors.
        [_, _, _, _, _, _, _, _, b'{', ..] => None,
        [b'P', b'K', 3, 4, ..] => {
            Some("a zip archive (PyTorch's torch.save writes these .pt files)")
        }
        [0x80, 2..=5, ..] => Some("a Python pickle (an old torch.save .pt file?)"),
        _ => None,
    }
}

/// Reads a dense predictor with its metadata.
pub fn read_dense(path: &Path) -> Result<(DenseWeights, Metadata), WeightsError> {
    let (bytes, bad) = open(path)?;
    let (_, header) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
    let map = header.metadata().clone().unwrap_or_default();
    let meta = Metadata::from_map(&map, DENSE_FORMAT).map_err(&bad)?;
    if meta.offsets.is_empty() {
        return Err(bad("metadata lists no offsets".into()));
    }
    if let Some(&j) = meta.offsets.iter().find(|&&j| j < 1 || j > MAX_OFFSET) {
        return Err(bad(format!(
            "offset {j} is outside 1..={MAX_OFFSET} (offset 0 would read the position being predicted)"
        )));
    }
    if meta.window.is_some_and(|w| w.size < 1) {
        return Err(bad(
            "window_size is 0; a window has at least one cell".into()
        ));
    }
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let v = meta.tokens.len();
    let mut ints: Vec<DMatrix<i64>> = Vec::new();
    let mut floats: Vec<DMatrix<f64>> = Vec::new();
    let mut float_dtype = None;
    for name in &meta.offset_names {
        let t = st
            .tensor(&format!("W.{name}"))
            .map_err(|e| bad(format!("tensor W.{name}: {e}")))?;
        if t.shape() != [v, v] {
            return Err(bad(format!(
                "tensor W.{name} has shape {:?}, expected [{v}, {v}] (one row and column per token)",
                t.shape()
            )));
        }
        match decode(t.dtype(), t.data()) {
            Some(Values::Int(vals)) if floats.is_empty() => {
                ints.push(DMatrix::from_row_slice(v, v, &vals))
            }
            Some(Values::Float(vals, dt)) if ints.is_empty() => {
                float_dtype = Some(if dt == Dtype::F64 || float_dtype == Some(Dtype::F64) {
                    Dtype::F64
                } else {
                    Dtype::F32
                });
                floats.push(DMatrix::from_row_slice(v, v, &vals))
            }
            Some(_) => return Err(bad("the tensors mix integer and float dtypes".into())),
            None => {
                return Err(bad(format!(
                    "tensor W.{name} is {:?}; arsim reads I8..I64, U8..U64, F16, BF16, F32, F64",
                    t.dtype()
                )))
            }
        }
    }
    let layout = Layout {
        tokens: meta.tokens.clone(),
        offsets: meta.offsets.clone(),
        offset_names: meta.offset_names.clone(),
    };
    let weights = if !ints.is_empty() {
        let bound = crate::predictor::linear::score_bound(&ints);
        if bound > i64::from(i32::MAX) {
            return Err(WeightsError::Overflow {
                path: path.display().to_string(),
                bound,
                max: i64::from(i32::MAX),
            });
        }
        // Every |w| is at most the bound, so each fits i32.
        let narrow = ints.iter().map(|w| w.map(|x| x as i32)).collect();
        DenseWeights::Int(LinearAr::new(layout, narrow))
    } else if float_dtype == Some(Dtype::F64) {
        DenseWeights::F64(LinearAr::from_weights(layout, floats))
    } else {
        // F16, BF16 and F32 values are all exactly f32.
        let narrow = floats.iter().map(|w| w.map(|x| x as f32)).collect();
        DenseWeights::F32(LinearAr::from_weights(layout, narrow))
    };
    Ok((weights, meta))
}

/// The COO tensors of a sparse file, in the order of an entry's fields.
const COO_NAMES: [&str; 5] = ["map", "offset", "input", "output", "weight"];

/// Serialises a time-dependent predictor as COO tensors; `meta` supplies the machine fields.
pub fn sparse_bytes(p: &TimeDependentAr, meta: &Metadata) -> Vec<u8> {
    let (ptr, entries) = p.csr();
    let mut columns: [Vec<u8>; 5] = Default::default();
    for m in 0..p.num_maps() {
        for e in &entries[ptr[m]..ptr[m + 1]] {
            let vals = [
                m as i32,
                e.offset as i32,
                e.input as i32,
                e.output as i32,
                e.weight,
            ];
            for (col, v) in columns.iter_mut().zip(vals) {
                col.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let nnz = entries.len();
    let tensors: Vec<(&str, TensorView<'_>)> = COO_NAMES
        .iter()
        .zip(&columns)
        .map(|(&name, bytes)| {
            // Shape and byte length agree by construction.
            let view = TensorView::new(Dtype::I32, vec![nnz], bytes).expect("shape matches data");
            (name, view)
        })
        .collect();
    let mut meta = meta.clone();
    meta.format = SPARSE_FORMAT.into();
    meta.version = 1;
    meta.tokens = vec!["0".into(), "1".into()];
    meta.token_aliases = meta.tokens.clone();
    meta.rule = SPARSE_RULE.into();
    meta.dtype = "I32".into();
    let extra = [
        ("schedule", p.schedule().name().to_string()),
        ("start", p.schedule().start().to_string()),
        ("maps", p.num_maps().to_string()),
        (
            "map_names",
            serde_json::to_string(p.map_names()).unwrap_or_default(),
        ),
    ];
    for (k, v) in extra {
        meta.extra.insert(k.into(), v);
    }
    canonical(
        safetensors::tensor::serialize(tensors, Some(meta.to_map()))
            .expect("in-memory serialisation"),
    )
}

/// Writes a time-dependent predictor to `path` (whole, or not at all).
pub fn write_sparse(p: &TimeDependentAr, meta: &Metadata, path: &Path) -> Result<(), WeightsError> {
    Ok(write_atomic(path, &sparse_bytes(p, meta))?)
}

/// Reads a time-dependent predictor with its metadata. Integer dtypes of any width are read
/// (each value must fit its field); float tensors only when every value is an integer.
pub fn read_sparse(path: &Path) -> Result<(TimeDependentAr, Metadata), WeightsError> {
    let (bytes, bad) = open(path)?;
    let (_, header) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
    let map = header.metadata().clone().unwrap_or_default();
    let meta = Metadata::from_map(&map, SPARSE_FORMAT).map_err(&bad)?;
    let field = |k: &str| {
        meta.extra
            .get(k)
            .ok_or_else(|| bad(format!("metadata has no `{k}`")))
    };
    let number = |k: &str| -> Result<u64, WeightsError> {
        field(k)?
            .parse()
            .map_err(|e| bad(format!("metadata `{k}`: {e}")))
    };
    let start = number("start")?;
    let maps = number("maps")? as usize;
    let schedule = match field("schedule")?.as_str() {
        "sequential" => Schedule::Sequential { start },
        "periodic" => Schedule::Periodic { start },
        other => return Err(bad(format!("unknown schedule `{other}`"))),
    };
    let names: Vec<String> = serde_json::from_str(field("map_names")?)
        .map_err(|e| bad(format!("metadata `map_names`: {e}")))?;
    if names.len() != maps {
        return Err(bad(format!("{} map names for {maps} maps", names.len())));
    }
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let mut columns: Vec<Vec<i64>> = Vec::with_capacity(COO_NAMES.len());
    for name in COO_NAMES {
        let t = st
            .tensor(name)
            .map_err(|e| bad(format!("tensor {name}: {e}")))?;
        if t.shape().len() != 1 {
            return Err(bad(format!(
                "tensor {name} has shape {:?}, expected [nnz]",
                t.shape()
            )));
        }
        let vals = match decode(t.dtype(), t.data()) {
            Some(Values::Int(v)) => v,
            Some(Values::Float(v, dt)) => v
                .iter()
                .map(|&x| {
                    (x.fract() == 0.0 && x.abs() <= 9.0e15)
                        .then_some(x as i64)
                        .ok_or_else(|| {
                            bad(format!("tensor {name} ({dt:?}) holds {x}, not an integer"))
                        })
                })
                .collect::<Result<_, _>>()?,
            None => {
                return Err(bad(format!(
                    "tensor {name} is {:?}; arsim reads integer and float dtypes",
                    t.dtype()
                )))
            }
        };
        columns.push(vals);
    }
    let nnz = columns[0].len();
    if columns.iter().any(|c| c.len() != nnz) {
        return Err(bad("the COO tensors differ in length".into()));
    }
    let mut lists: Vec<(String, Vec<Entry>)> = names.into_iter().map(|n| (n, Vec::new())).collect();
    let rows = (0..nnz).map(|i| [0, 1, 2, 3, 4].map(|c| columns[c][i]));
    for (i, [m, offset, input, output, weight]) in rows.enumerate() {
        let list = usize::try_from(m)
            .ok()
            .and_then(|m| lists.get_mut(m))
            .ok_or_else(|| bad(format!("entry {i} belongs to map {m}, outside 0..{maps}")))?;
        let (Ok(offset), Ok(input), Ok(output), Ok(weight)) = (
            u32::try_from(offset),
            u8::try_from(input),
            u8::try_from(output),
            i32::try_from(weight),
        ) else {
            return Err(bad(format!(
                "entry {i} has offset {offset}, input {input}, output {output}, weight {weight} (weights must fit i32)"
            )));
        };
        list.1.push(Entry {
            offset,
            input,
            output,
            weight,
        });
    }
    let p = TimeDependentAr::new(lists, schedule).map_err(|e| bad(e.to_string()))?;
    Ok((p, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::machine::load::from_standard;
    use crate::token::TokenId;
    use crate::window::Window;
    use std::collections::HashMap;

    fn bb2_meta(w: Window) -> Metadata {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        Metadata::for_machine(DENSE_FORMAT, &m, "cells", w, Vec::new())
    }

    /// Every map of a process hashes its keys in its own order; the bytes must not follow it.
    #[test]
    fn the_same_weights_are_the_same_bytes() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let first = dense_bytes(&p, &bb2_meta(w));
        for _ in 0..20 {
            assert_eq!(dense_bytes(&p, &bb2_meta(w)), first);
        }
        let (_, header) = safetensors::SafeTensors::read_metadata(&first).unwrap();
        assert_eq!(header.metadata().as_ref().unwrap()["encoding"], "cells");
    }

    #[test]
    fn dense_weights_round_trip_through_a_file() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        write_dense(&p, &bb2_meta(w), &path).unwrap();
        let (q, meta) = read_dense(&path).unwrap();
        assert_eq!(q, DenseWeights::Int(p));
        assert_eq!(meta.machine.as_deref(), Some(m.name()));
        assert_eq!(meta.window, Some(w));
        assert_eq!(meta.dtype, "I32");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Rewrites a dense file's tensors in `dtype`, values converted by `conv`.
    fn retype(path: &Path, dtype: Dtype, conv: impl Fn(i32) -> Vec<u8>) -> Vec<u8> {
        let bytes = std::fs::read(path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let meta: HashMap<String, String> = header.metadata().clone().unwrap();
        let data: Vec<(String, Vec<u8>, Vec<usize>)> = st
            .tensors()
            .into_iter()
            .map(|(n, t)| {
                let vals: Vec<u8> = t
                    .data()
                    .chunks_exact(4)
                    .flat_map(|c| conv(i32::from_le_bytes(c.try_into().unwrap())))
                    .collect();
                (n, vals, t.shape().to_vec())
            })
            .collect();
        let views: Vec<(String, TensorView<'_>)> = data
            .iter()
            .map(|(n, b, s)| (n.clone(), TensorView::new(dtype, s.clone(), b).unwrap()))
            .collect();
        safetensors::tensor::serialize(views, Some(meta)).unwrap()
    }

    #[test]
    fn every_dtype_reads_to_the_same_argmax() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        write_dense(&p, &bb2_meta(w), &path).unwrap();
        let cases: Vec<(Dtype, Box<dyn Fn(i32) -> Vec<u8>>)> = vec![
            (Dtype::I8, Box::new(|x| (x as i8).to_le_bytes().to_vec())),
            (Dtype::I16, Box::new(|x| (x as i16).to_le_bytes().to_vec())),
            (Dtype::I64, Box::new(|x| (x as i64).to_le_bytes().to_vec())),
            (
                Dtype::F16,
                Box::new(|x| {
                    // Small integers in half precision: sign, exponent and mantissa by hand.
                    let f = x as f32;
                    let bits = if f == 0.0 {
                        0u16
                    } else {
                        let e = f.abs().log2().floor() as i32;
                        let mant = ((f.abs() / 2f32.powi(e) - 1.0) * 1024.0) as u16;
                        (if f < 0.0 { 0x8000 } else { 0 }) | (((e + 15) as u16) << 10) | mant
                    };
                    bits.to_le_bytes().to_vec()
                }),
            ),
            (
                Dtype::BF16,
                Box::new(|x| (((x as f32).to_bits() >> 16) as u16).to_le_bytes().to_vec()),
            ),
            (Dtype::F32, Box::new(|x| (x as f32).to_le_bytes().to_vec())),
            (Dtype::F64, Box::new(|x| (x as f64).to_le_bytes().to_vec())),
        ];
        let ctx = [TokenId(0), TokenId(3), TokenId(1)];
        let mut compiled = p.clone();
        let want = compiled.argmax_of(&ctx);
        for (dtype, conv) in cases {
            let other = dir.path().join(format!("{dtype:?}.safetensors"));
            std::fs::write(&other, retype(&path, dtype, conv)).unwrap();
            let (q, _) = read_dense(&other).unwrap();
            let got = match q {
                DenseWeights::Int(mut q) => q.argmax_of(&ctx),
                DenseWeights::F32(mut q) => {
                    assert!(matches!(dtype, Dtype::F16 | Dtype::BF16 | Dtype::F32));
                    q.argmax_of(&ctx)
                }
                DenseWeights::F64(mut q) => {
                    assert_eq!(dtype, Dtype::F64);
                    q.argmax_of(&ctx)
                }
            };
            assert_eq!(got, want, "{dtype:?}");
        }
    }

    #[test]
    fn scores_that_could_overflow_are_refused_with_the_bound() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        write_dense(&p, &bb2_meta(w), &path).unwrap();
        let big = dir.path().join("big.safetensors");
        std::fs::write(
            &big,
            retype(&path, Dtype::I64, |x| {
                (i64::from(x) << 30).to_le_bytes().to_vec()
            }),
        )
        .unwrap();
        let err = read_dense(&big).unwrap_err().to_string();
        assert!(
            err.contains("largest possible score") && err.contains("big.safetensors"),
            "{err}"
        );
    }

    #[test]
    fn offset_zero_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.safetensors");
        std::fs::write(&path, b"not safetensors").unwrap();
        let err = read_dense(&path).unwrap_err().to_string();
        assert!(err.contains("x.safetensors"), "{err}");
        let layout = Layout {
            tokens: vec!["a".into()],
            offsets: vec![0],
            offset_names: vec!["0".into()],
        };
        let p = LinearAr::new(layout, vec![DMatrix::from_element(1, 1, 1)]);
        let zero = dir.path().join("zero.safetensors");
        write_dense(&p, &bb2_meta(Window { size: 1, origin: 0 }), &zero).unwrap();
        let err = read_dense(&zero).unwrap_err().to_string();
        assert!(err.contains("offset 0"), "{err}");
    }
}
