//! Predictors a shell holds between calls (Python's `Predictor`): compiled, learned or read from
//! a weight file, each with the metadata a file of it carries, so that saving one writes what
//! `arsim compile --out` writes. What a shell does with one goes through here: run it under the
//! executor from a prompt ([`HeldPredictor::generate`]), emulate and certify it as the commands
//! do ([`HeldPredictor::prepared`]), see its offset matrices and replace them
//! ([`HeldPredictor::matrices`], [`HeldPredictor::with_matrices`], checked as a file's are),
//! and the verdict the command line gives an emulation report ([`verdict`]).
//!
//! ```
//! use arsim::api::{load_machine, EncodingKind, HeldPredictor, Input};
//! let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
//! let p = HeldPredictor::compile(&bb2, &Input::default(), EncodingKind::Cells, None).unwrap();
//! let report = p.emulate(&bb2, Input::default(), None, 1_000, Default::default(), &mut |_| {});
//! assert!(report.unwrap().agree);
//! ```

use crate::api::error::ApiError;
use crate::api::files::{file_metadata, read_weights, write_weights};
use crate::api::prepare::{compiled_for, metadata, prepare, prepare_weights, Prepared};
use crate::api::tokens::token_ids;
use crate::api::trace::MAX_TRACE_TOKENS;
use crate::certify::{CertifyReport, LocalCertifyReport};
use crate::emulate::{EmulationReport, ExecutorOptions};
use crate::encoding::gates::certify::{GatesCertificate, CERTIFY_MAX_STEPS};
use crate::encoding::EncodingKind;
use crate::executor::Executor;
use crate::machine::{Input, Machine};
use crate::predictor::{Layout, LinearAr, Weight};
use crate::token::TokenId;
use crate::weights::{DenseWeights, Metadata, Weights};
use crate::window::Window;
use nalgebra::DMatrix;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The steps of the run `arsim compile` sizes its window from when no tape is given.
pub const COMPILE_MAX_STEPS: u64 = 1_000_000;

/// A predictor with the metadata a file of it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldPredictor {
    /// The weights.
    pub weights: Weights,
    /// The metadata: machine, encoding, window, blank, start and halting states, input, ….
    pub meta: Metadata,
    /// Where the weights came from, for messages (a file's path, `the compiled predictor`).
    pub origin: String,
}

/// Offset matrices, one row-major `[vocab, vocab]` matrix per offset (row = output token,
/// column = input token), in the order of the layout's offsets.
#[derive(Clone, Debug, PartialEq)]
pub enum Matrices {
    /// Integer weights (each must fit `i32`, and every score the accumulator).
    Int(Vec<Vec<i64>>),
    /// `float32` weights.
    F32(Vec<Vec<f32>>),
    /// `float64` weights.
    F64(Vec<Vec<f64>>),
}

impl HeldPredictor {
    /// `machine` compiled under `kind` as `arsim compile` compiles it: the window `tape`, else
    /// the cells the run of `input` visits (at most [`COMPILE_MAX_STEPS`] steps), with the
    /// metadata `arsim compile --out` writes.
    pub fn compile(
        machine: &Machine,
        input: &Input,
        kind: EncodingKind,
        tape: Option<Window>,
    ) -> Result<HeldPredictor, ApiError> {
        let p = prepare(machine, input, kind, tape, None, COMPILE_MAX_STEPS)?;
        Ok(HeldPredictor {
            meta: metadata(machine, &p.enc, compiled_for(input)),
            weights: p.weights,
            origin: format!("the compiled predictor of {}", machine.name()),
        })
    }

    /// A weight file, dense or sparse, in any dtype arsim reads ([`read_weights`]).
    pub fn read(path: &Path) -> Result<HeldPredictor, ApiError> {
        let (weights, meta) = read_weights(path)?;
        Ok(HeldPredictor {
            weights,
            meta,
            origin: path.display().to_string(),
        })
    }

    /// Writes the weights and metadata to `path`, whole, in the bytes `arsim compile --out`
    /// writes for the same predictor.
    pub fn save(&self, path: &Path) -> Result<(), ApiError> {
        write_weights(&self.weights, &self.meta, path)
    }

    /// The metadata a file of these weights holds, key by key.
    pub fn file_metadata(&self) -> BTreeMap<String, String> {
        file_metadata(&self.weights, &self.meta)
    }

    /// The encoding the metadata names (`cells` for files from before it was recorded).
    pub fn kind(&self) -> Result<EncodingKind, ApiError> {
        match self.meta.encoding.as_deref() {
            None => Ok(EncodingKind::Cells),
            Some(name) => EncodingKind::from_name(name).ok_or_else(|| ApiError::UnknownEncoding {
                path: self.origin.clone(),
                found: name.to_string(),
            }),
        }
    }

    /// The window the weights were laid out for, when recorded.
    pub fn window(&self) -> Option<Window> {
        self.meta.window
    }

    /// The offset matrices' layout (token names, offsets); `None` for sparse weights.
    pub fn layout(&self) -> Option<&Layout> {
        match &self.weights {
            Weights::Dense(d) => Some(d.layout()),
            Weights::Sparse(_) => None,
        }
    }

    /// The number of tokens the predictor emits.
    pub fn vocab(&self) -> usize {
        match &self.weights {
            Weights::Dense(d) => d.layout().tokens.len(),
            Weights::Sparse(_) => 2,
        }
    }

    /// The predictor ready to emulate or certify `input` on `machine`: the window `tape`, else
    /// the metadata's, else the run's (at most `max_steps` steps), as the commands take a file.
    pub fn prepared(
        &self,
        machine: &Machine,
        input: &Input,
        tape: Option<Window>,
        max_steps: u64,
    ) -> Result<Prepared, ApiError> {
        prepare_weights(
            machine,
            input,
            self.kind()?,
            tape,
            self.weights.clone(),
            self.meta.clone(),
            &self.origin,
            max_steps,
        )
    }

    /// `arsim emulate` with these weights: run from the prompt of `input`, every token checked
    /// against the interpreter, on the executor `run` picks.
    pub fn emulate(
        &self,
        machine: &Machine,
        input: Input,
        tape: Option<Window>,
        max_steps: u64,
        run: ExecutorOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<EmulationReport, ApiError> {
        self.prepared(machine, &input, tape, max_steps)?
            .emulate(machine, input, max_steps, run, progress)
    }

    /// `arsim certify` with these weights: every local context (every gate for `gates`).
    pub fn certify(
        &self,
        machine: &Machine,
        input: &Input,
        tape: Option<Window>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Prepared, CertifyReport), ApiError> {
        let p = self.prepared(machine, input, tape, CERTIFY_MAX_STEPS)?;
        let report = p.certify(machine, input, progress)?;
        Ok((p, report))
    }

    /// The offset matrices (dense weights only).
    pub fn matrices(&self) -> Result<Matrices, ApiError> {
        fn rows<T: Weight, U>(p: &LinearAr<T>, f: impl Fn(T) -> U) -> Vec<Vec<U>> {
            p.weights()
                .iter()
                .map(|w| {
                    let mut out = Vec::with_capacity(w.len());
                    for d in 0..w.nrows() {
                        for x in 0..w.ncols() {
                            out.push(f(w[(d, x)]));
                        }
                    }
                    out
                })
                .collect()
        }
        match &self.weights {
            Weights::Dense(DenseWeights::Int(p)) => Ok(Matrices::Int(rows(p, i64::from))),
            Weights::Dense(DenseWeights::F32(p)) => Ok(Matrices::F32(rows(p, |x| x))),
            Weights::Dense(DenseWeights::F64(p)) => Ok(Matrices::F64(rows(p, |x| x))),
            Weights::Sparse(_) => Err(sparse_has_no_matrices()),
        }
    }

    /// The same predictor with new offset matrices (e.g. weights edited in numpy), checked as a
    /// file's are: one `[vocab, vocab]` matrix per offset, integers within `i32` and every score
    /// within the accumulator. `note` is recorded in the metadata as `edited`.
    pub fn with_matrices(&self, mats: Matrices, note: &str) -> Result<HeldPredictor, ApiError> {
        let layout = self.layout().ok_or_else(sparse_has_no_matrices)?.clone();
        let v = layout.tokens.len();
        let sizes: Vec<usize> = match &mats {
            Matrices::Int(m) => m.iter().map(Vec::len).collect(),
            Matrices::F32(m) => m.iter().map(Vec::len).collect(),
            Matrices::F64(m) => m.iter().map(Vec::len).collect(),
        };
        let shape = |message: String| ApiError::Shape {
            what: "weights".to_string(),
            message,
        };
        if sizes.len() != layout.offsets.len() {
            return Err(shape(format!(
                "{} matrices for {} offsets {:?}",
                sizes.len(),
                layout.offsets.len(),
                layout.offset_names
            )));
        }
        if let Some((k, n)) = sizes.iter().enumerate().find(|(_, &n)| n != v * v) {
            return Err(shape(format!(
                "the matrix of offset {} has {n} entries; the dictionary has {v} tokens, so it must be {v}×{v}",
                layout.offset_names[k]
            )));
        }
        let weights = match mats {
            Matrices::Int(ms) => {
                let mut narrow = Vec::with_capacity(ms.len());
                for (k, m) in ms.iter().enumerate() {
                    let vals = m
                        .iter()
                        .enumerate()
                        .map(|(i, &x)| {
                            i32::try_from(x).map_err(|_| {
                                shape(format!(
                                    "W.{}[{}, {}] = {x} does not fit int32",
                                    layout.offset_names[k],
                                    i / v,
                                    i % v
                                ))
                            })
                        })
                        .collect::<Result<Vec<i32>, _>>()?;
                    narrow.push(DMatrix::from_row_slice(v, v, &vals));
                }
                DenseWeights::Int(LinearAr::try_new(layout, narrow)?)
            }
            Matrices::F32(ms) => DenseWeights::F32(LinearAr::from_weights(
                layout,
                ms.iter()
                    .map(|m| DMatrix::from_row_slice(v, v, m))
                    .collect(),
            )),
            Matrices::F64(ms) => DenseWeights::F64(LinearAr::from_weights(
                layout,
                ms.iter()
                    .map(|m| DMatrix::from_row_slice(v, v, m))
                    .collect(),
            )),
        };
        let mut meta = self.meta.clone();
        meta.extra.insert("edited".into(), note.to_string());
        Ok(HeldPredictor {
            weights: Weights::Dense(weights),
            meta,
            origin: format!("{} (edited)", self.origin),
        })
    }

    /// Feeds each prompt to arsim's executor, then generates `n` tokens greedily after it;
    /// every id is checked against the vocabulary first, and the whole output against
    /// [`MAX_TRACE_TOKENS`]. `progress(tokens)` is called about every 2^16 tokens.
    pub fn generate(
        &self,
        prompts: &[Vec<i64>],
        n: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<Vec<TokenId>>, ApiError> {
        let vocab = self.vocab();
        let total = (prompts.len() as u64).saturating_mul(n as u64);
        if total > MAX_TRACE_TOKENS {
            return Err(ApiError::Shape {
                what: "n".to_string(),
                message: format!(
                    "{n} tokens after each of {} prompts is more than the {MAX_TRACE_TOKENS} tokens arsim generates at once",
                    prompts.len()
                ),
            });
        }
        let checked = prompts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let what = match prompts.len() {
                    1 => "prompt".to_string(),
                    _ => format!("prompt {k}"),
                };
                token_ids(&what, p, vocab)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut weights = self.weights.clone();
        let mut done = 0u64;
        let mut out = Vec::with_capacity(prompts.len());
        for prompt in checked {
            let mut exec = Executor::new(weights.as_predictor());
            for t in prompt {
                exec.feed(t);
            }
            let mut row = Vec::with_capacity(n);
            for _ in 0..n {
                row.push(exec.step());
                done += 1;
                if done.is_multiple_of(1 << 16) {
                    progress(done);
                }
            }
            out.push(row);
        }
        Ok(out)
    }
}

fn sparse_has_no_matrices() -> ApiError {
    ApiError::Unsupported {
        message:
            "these are gates weights: one sparse map per position over {0, 1}, not offset matrices"
                .to_string(),
    }
}

/// A certificate as `arsim certify --json` prints it: the machine, encoding and window, then a
/// local certificate's keys; a `gates` certificate as it is.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum CertifyJson<'c> {
    /// `cells`, `sweep`.
    Local(LocalCertifyReport<'c>),
    /// `gates`.
    Gates(&'c GatesCertificate),
}

/// The report of `arsim certify --json` for `report`, certified on `prepared`.
pub fn certify_json<'c>(
    machine: &Machine,
    prepared: &Prepared,
    report: &'c CertifyReport,
) -> CertifyJson<'c> {
    match report {
        CertifyReport::Local(certificate) => CertifyJson::Local(LocalCertifyReport {
            machine: machine.name().to_string(),
            encoding: prepared.kind().name(),
            tape_cells: prepared.window().size,
            certificate,
        }),
        CertifyReport::Gates(g) => CertifyJson::Gates(g),
    }
}

/// What an emulation report says, as the command line's exit status does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every token agreed (exit 0).
    Agree,
    /// The run left the window: bad input (exit 2), with the message.
    LeftWindow(String),
    /// The predictor diverged: verification failed (exit 1), with the message.
    Diverged(String),
}

/// The command line's verdict on an emulation report.
pub fn verdict(report: &EmulationReport) -> Verdict {
    if let Some(why) = &report.left_window {
        return Verdict::LeftWindow(format!(
            "{why}; the trace was verified up to there. Give a larger tape window (or none, to use the cells the run visits)"
        ));
    }
    if !report.agree {
        let d = serde_json::to_string(&report.first_divergence).unwrap_or_default();
        return Verdict::Diverged(format!("the predictor diverged from the interpreter: {d}"));
    }
    Verdict::Agree
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    fn bb2() -> Machine {
        from_standard("1RB1LB_1LA1RZ", "bb2").unwrap()
    }

    #[test]
    fn matrices_round_trip_and_are_checked() {
        let m = bb2();
        let p = HeldPredictor::compile(&m, &Input::default(), EncodingKind::Cells, None).unwrap();
        let Matrices::Int(mut ms) = p.matrices().unwrap() else {
            panic!("compiled weights are integers")
        };
        let same = p.with_matrices(Matrices::Int(ms.clone()), "none").unwrap();
        assert_eq!(same.weights, p.weights);
        assert_eq!(same.meta.extra["edited"], "none");
        ms[0][0] = i64::from(i32::MAX) + 1;
        let e = p.with_matrices(Matrices::Int(ms.clone()), "").unwrap_err();
        assert!(e.to_string().contains("does not fit int32"), "{e}");
        ms[0][0] = i64::from(i32::MAX);
        ms[1][0] = i64::from(i32::MAX);
        let e = p.with_matrices(Matrices::Int(ms), "").unwrap_err();
        assert!(e.to_string().contains("accumulator"), "{e}");
        let e = p
            .with_matrices(Matrices::F32(vec![vec![0.0; 4]]), "")
            .unwrap_err();
        assert!(e.to_string().contains("matrices for 3 offsets"), "{e}");
    }

    #[test]
    fn generate_checks_ids_and_follows_the_trace() {
        let m = bb2();
        let input = Input::default();
        let p = HeldPredictor::compile(&m, &input, EncodingKind::Cells, None).unwrap();
        let t = crate::api::token_trace(&m, &input, EncodingKind::Cells, p.window(), 100, 1 << 20)
            .unwrap();
        let prompt: Vec<i64> = t.ids[..t.prompt_tokens]
            .iter()
            .map(|t| i64::from(t.0))
            .collect();
        let rest = t.ids.len() - t.prompt_tokens;
        let out = p
            .generate(&[prompt.clone(), prompt], rest, &mut |_| {})
            .unwrap();
        assert_eq!(out[0], t.ids[t.prompt_tokens..]);
        assert_eq!(out[1], out[0]);
        let e = p.generate(&[vec![0, -3]], 1, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("negative"), "{e}");
    }
}
