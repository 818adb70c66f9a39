//! The commands' pipelines written once: which predictor (compiled, or read from a weight
//! file), on which window, and what to do with it (emulate, certify, write). This is the one
//! place that dispatches on [`EncodingKind`] for these commands and on a file's dtype, so the
//! command line only turns flags into a [`Prepared`] and prints the typed report it returns.
//!
//! ```
//! use arsim::{encoding::EncodingKind, machine::load_machine, pipeline::prepare};
//! let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
//! let p = prepare(&bb2, &[], EncodingKind::Sweep, None, None, 1_000).unwrap();
//! let auto = arsim::rows::ExecutorChoice::Auto;
//! let report = p.emulate(&bb2, vec![], 1_000, auto, None, &mut |_| {}).unwrap();
//! assert!(report.agree);
//! ```

use crate::certify::{
    certify_cells, certify_gates_with, certify_sweep, Certificate, CertifyError, GatesCertificate,
    GatesCertifyError,
};
use crate::compiler::{machine_to_cells_predictor, machine_to_sweep_predictor};
use crate::emulate::{
    emulate_cells_on, emulate_cells_with, emulate_gates_with, emulate_sweep_with, window_of_run,
    EmulateError, EmulateOptions, EmulationReport,
};
use crate::encoding::cells::{Window, WindowError};
use crate::encoding::gates::{machine_to_gates_predictor, BitLayout};
use crate::encoding::sweep::StayLoops;
use crate::encoding::EncodingKind;
use crate::machine::{Machine, SymbolId};
use crate::predictor::{LinearAr, TimeDependentAr, TokenId};
use crate::rows::ExecutorChoice;
use crate::weights::{self, DenseWeights, Metadata, WeightsError};
use std::path::Path;

/// Steps the `certify` pipeline runs the interpreter for, to size the `gates` circuit it
/// unrolls (a row's certificate holds for every T).
pub const CERTIFY_MAX_STEPS: u64 = 100_000;

/// Why a pipeline could not run (bad input: exit 2 on the command line).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A weight file could not be read.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The emulation could not start.
    #[error("machine {machine}: {source}")]
    Emulate {
        /// The machine's name.
        machine: String,
        /// Why.
        source: EmulateError,
    },
    /// The local certificate does not apply.
    #[error(transparent)]
    Certify(#[from] CertifyError),
    /// The gates certificate does not apply.
    #[error("machine {machine}: {source}")]
    Gates {
        /// The machine's name.
        machine: String,
        /// Why.
        source: GatesCertifyError,
    },
    /// The machine cannot be compiled to this encoding.
    #[error("machine {machine}: {message}")]
    Compile {
        /// The machine's name.
        machine: String,
        /// Why.
        message: String,
    },
    /// A picture could not be drawn.
    #[error("machine {machine}: {source}")]
    Draw {
        /// The machine's name.
        machine: String,
        /// Why.
        source: crate::draw::DrawError,
    },
    /// A window or dictionary beyond what arsim builds.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
    /// The file holds weights of another encoding than the one asked for.
    #[error("{path} holds {found} weights; give --encoding {found}")]
    Encoding {
        /// The file.
        path: String,
        /// The file's encoding.
        found: &'static str,
    },
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
        fn dense<T: crate::predictor::Weight>(p: &LinearAr<T>) -> Vec<String> {
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
            Weights::Dense(DenseWeights::Int(p)) => dense(p),
            Weights::Dense(DenseWeights::F32(p)) => dense(p),
            Weights::Dense(DenseWeights::F64(p)) => dense(p),
            Weights::Sparse(p) => (0..p.num_maps())
                .flat_map(|k| p.map(k).iter().map(move |e| (k, *e)))
                .map(|(k, e)| p.label(k, &e))
                .collect(),
        }
    }

    /// Writes the weights to `path` (whole, or not at all) with `meta`.
    pub fn write(&self, meta: &Metadata, path: &Path) -> Result<(), WeightsError> {
        match self {
            Weights::Dense(DenseWeights::Int(p)) => weights::write_dense(p, meta, path),
            Weights::Dense(DenseWeights::F32(p)) => weights::write_dense(p, meta, path),
            Weights::Dense(DenseWeights::F64(p)) => weights::write_dense(p, meta, path),
            Weights::Sparse(p) => weights::write_sparse(p, meta, path),
        }
    }
}

/// The metadata arsim writes for `machine`'s weights under `encoding` on `window` (compiled
/// for `input`, when one was given).
pub fn metadata(
    machine: &Machine,
    encoding: EncodingKind,
    window: Window,
    input: Option<&[SymbolId]>,
) -> Metadata {
    let format = match encoding {
        EncodingKind::Gates => weights::SPARSE_FORMAT,
        _ => weights::DENSE_FORMAT,
    };
    let mut meta = Metadata::for_machine(format, machine, encoding, window, Vec::new());
    meta.input = input.map(|i| machine.render(i));
    if encoding == EncodingKind::Gates {
        let layout = BitLayout::new(machine, window);
        meta.extra
            .insert("bits_per_cell".into(), layout.bits_per_cell().to_string());
        meta.extra
            .insert("row_bits".into(), layout.row_bits().to_string());
    }
    meta
}

/// Compiles `machine` under `encoding` on `window`.
pub fn compile(
    machine: &Machine,
    encoding: EncodingKind,
    window: Window,
) -> Result<Weights, PipelineError> {
    let err = |message: String| PipelineError::Compile {
        machine: machine.name().to_string(),
        message,
    };
    crate::limits::check_dictionary(machine.num_states(), machine.num_symbols())?;
    Ok(match encoding {
        EncodingKind::Cells => Weights::Dense(DenseWeights::Int(machine_to_cells_predictor(
            machine, window,
        ))),
        EncodingKind::Sweep => Weights::Dense(DenseWeights::Int(
            machine_to_sweep_predictor(machine, window)
                .map_err(|e: StayLoops| err(e.to_string()))?,
        )),
        EncodingKind::Gates => Weights::Sparse(
            machine_to_gates_predictor(machine, window)
                .map_err(|e: WindowError| err(e.to_string()))?,
        ),
    })
}

/// The window: `tape` when given, else the weight file's, else the cells the run visits;
/// refused when empty or beyond [`crate::limits`].
pub fn resolve_window(
    tape: Option<Window>,
    meta: Option<&Metadata>,
    machine: &Machine,
    input: &[SymbolId],
    max_steps: u64,
) -> Result<Window, PipelineError> {
    let w = tape
        .or_else(|| meta.and_then(|m| m.window))
        .unwrap_or_else(|| window_of_run(machine, input, max_steps));
    crate::limits::check_window(w.size)?;
    Ok(w)
}

/// A predictor ready to run: compiled, or read from a file, with its window.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The encoding.
    pub encoding: EncodingKind,
    /// The tape window.
    pub window: Window,
    /// The predictor.
    pub weights: Weights,
    /// The file's metadata, when the weights came from a file.
    pub meta: Option<Metadata>,
}

/// Compiles `machine` under `encoding`, or reads `file`; the window is `tape`, else the file's,
/// else the run's (of `input`, up to `max_steps`).
pub fn prepare(
    machine: &Machine,
    input: &[SymbolId],
    encoding: EncodingKind,
    tape: Option<Window>,
    file: Option<&Path>,
    max_steps: u64,
) -> Result<Prepared, PipelineError> {
    let Some(path) = file else {
        let window = resolve_window(tape, None, machine, input, max_steps)?;
        return Ok(Prepared {
            encoding,
            window,
            weights: compile(machine, encoding, window)?,
            meta: None,
        });
    };
    let (weights, meta) = match encoding {
        EncodingKind::Gates => {
            let (p, meta) = weights::read_sparse(path)?;
            (Weights::Sparse(p), meta)
        }
        _ => {
            let (p, meta) = weights::read_dense(path)?;
            (Weights::Dense(p), meta)
        }
    };
    if let Some(found) = meta.encoding.filter(|&e| e != encoding) {
        return Err(PipelineError::Encoding {
            path: path.display().to_string(),
            found: found.name(),
        });
    }
    let window = resolve_window(tape, Some(&meta), machine, input, max_steps)?;
    Ok(Prepared {
        encoding,
        window,
        weights,
        meta: Some(meta),
    })
}

/// A certificate of any encoding.
#[derive(Clone, Debug, PartialEq)]
pub enum CertifyReport {
    /// `cells` or `sweep`: every local context.
    Local(Certificate),
    /// `gates`: every gate of a row, and the predictor against the unrolled circuit.
    Gates(GatesCertificate),
}

impl CertifyReport {
    /// Whether the predictor is certified.
    pub fn certified(&self) -> bool {
        match self {
            CertifyReport::Local(c) => c.certified,
            CertifyReport::Gates(c) => c.certified,
        }
    }
}

impl Prepared {
    /// Tokens the trace has per step of the machine (S+1 for `cells` and `sweep` rows, the
    /// row's bits for `gates`), to size progress reports.
    pub fn tokens_per_step(&self, machine: &Machine) -> u64 {
        match self.encoding {
            EncodingKind::Gates => BitLayout::new(machine, self.window).row_bits() as u64,
            _ => self.window.size as u64 + 1,
        }
    }

    /// Runs the predictor on `input` and checks every token against the interpreter: integer
    /// `cells` weights on the executor `executor` picks (`threads` for rows,
    /// [`crate::emulate::emulate_cells_on`]), everything else token by token.
    pub fn emulate(
        self,
        machine: &Machine,
        input: Vec<SymbolId>,
        max_steps: u64,
        executor: ExecutorChoice,
        threads: Option<usize>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<EmulationReport, PipelineError> {
        let token_by_token = !matches!(
            (self.encoding, &self.weights),
            (EncodingKind::Cells, Weights::Dense(DenseWeights::Int(_)))
        );
        if token_by_token && executor == ExecutorChoice::Rows {
            let message = if self.encoding == EncodingKind::Cells {
                "--executor rows runs integer cells weights; these run token by token (--executor tokens)".to_string()
            } else {
                format!(
                    "--executor rows runs `cells` predictors only; the {} encoding reads its own row",
                    self.encoding.name()
                )
            };
            return Err(PipelineError::Compile {
                machine: machine.name().to_string(),
                message,
            });
        }
        let opts = EmulateOptions {
            input,
            window: Some(self.window),
            max_steps,
        };
        let m = machine;
        let report = match (self.encoding, self.weights) {
            (EncodingKind::Cells, Weights::Dense(DenseWeights::Int(p))) => {
                emulate_cells_on(m, p, &opts, executor, threads, progress)
            }
            (EncodingKind::Cells, Weights::Dense(DenseWeights::F32(p))) => {
                emulate_cells_with(m, p, &opts, progress)
            }
            (EncodingKind::Cells, Weights::Dense(DenseWeights::F64(p))) => {
                emulate_cells_with(m, p, &opts, progress)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::Int(p))) => {
                emulate_sweep_with(m, p, &opts, progress)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::F32(p))) => {
                emulate_sweep_with(m, p, &opts, progress)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::F64(p))) => {
                emulate_sweep_with(m, p, &opts, progress)
            }
            (EncodingKind::Gates, Weights::Sparse(p)) => emulate_gates_with(m, &p, &opts, progress),
            (e, _) => {
                return Err(PipelineError::Compile {
                    machine: m.name().to_string(),
                    message: format!("the {} encoding does not run these weights", e.name()),
                })
            }
        };
        report.map_err(|source| PipelineError::Emulate {
            machine: m.name().to_string(),
            source,
        })
    }

    /// The space-time diagram of the rows this (`cells`) predictor generates, checked against
    /// the interpreter (differing tokens marked).
    pub fn draw_emulated(
        self,
        machine: &Machine,
        input: &[SymbolId],
        max_steps: u64,
        opts: &crate::draw::spacetime::SpaceTimeOptions,
    ) -> Result<crate::draw::spacetime::Diagram, PipelineError> {
        use crate::draw::spacetime::emulated;
        let (m, w) = (machine, self.window);
        let d = match self.weights {
            Weights::Dense(DenseWeights::Int(p)) => emulated(m, p, input, w, max_steps, opts),
            Weights::Dense(DenseWeights::F32(p)) => emulated(m, p, input, w, max_steps, opts),
            Weights::Dense(DenseWeights::F64(p)) => emulated(m, p, input, w, max_steps, opts),
            Weights::Sparse(_) => {
                return Err(PipelineError::Compile {
                    machine: m.name().to_string(),
                    message: "space-time diagrams draw the rows of cells predictors".into(),
                })
            }
        };
        d.map_err(|source| PipelineError::Draw {
            machine: m.name().to_string(),
            source,
        })
    }

    /// The exhaustive certificate of the predictor (`input` sizes the `gates` circuit).
    pub fn certify(
        &self,
        machine: &Machine,
        input: &[SymbolId],
    ) -> Result<CertifyReport, PipelineError> {
        let w = self.window;
        let m = machine;
        Ok(match (&self.encoding, &self.weights) {
            (EncodingKind::Cells, Weights::Dense(DenseWeights::Int(p))) => {
                CertifyReport::Local(certify_cells(m, p, w)?)
            }
            (EncodingKind::Cells, Weights::Dense(DenseWeights::F32(p))) => {
                CertifyReport::Local(certify_cells(m, p, w)?)
            }
            (EncodingKind::Cells, Weights::Dense(DenseWeights::F64(p))) => {
                CertifyReport::Local(certify_cells(m, p, w)?)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::Int(p))) => {
                CertifyReport::Local(certify_sweep(m, p, w)?)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::F32(p))) => {
                CertifyReport::Local(certify_sweep(m, p, w)?)
            }
            (EncodingKind::Sweep, Weights::Dense(DenseWeights::F64(p))) => {
                CertifyReport::Local(certify_sweep(m, p, w)?)
            }
            (EncodingKind::Gates, Weights::Sparse(p)) => {
                let steps = crate::interpreter::run(m, input, CERTIFY_MAX_STEPS).steps;
                CertifyReport::Gates(certify_gates_with(m, p, w, steps).map_err(|source| {
                    PipelineError::Gates {
                        machine: m.name().to_string(),
                        source,
                    }
                })?)
            }
            (e, _) => {
                return Err(PipelineError::Compile {
                    machine: m.name().to_string(),
                    message: format!("the {} encoding does not certify these weights", e.name()),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn every_encoding_compiles_writes_reads_and_emulates() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let dir = tempfile::tempdir().unwrap();
        for e in EncodingKind::ALL {
            let p = prepare(&m, &[], e, None, None, 1_000).unwrap();
            let path = dir.path().join(format!("{}.safetensors", e.name()));
            p.weights
                .write(&metadata(&m, e, p.window, None), &path)
                .unwrap();
            let q = prepare(&m, &[], e, None, Some(&path), 1_000).unwrap();
            assert_eq!(q.window, p.window);
            assert_eq!(q.weights, p.weights);
            assert!(q.certify(&m, &[]).unwrap().certified(), "{e:?}");
            assert!(
                q.emulate(
                    &m,
                    vec![],
                    1_000,
                    ExecutorChoice::Auto,
                    Some(1),
                    &mut |_| {}
                )
                .unwrap()
                .agree,
                "{e:?}"
            );
        }
        // A cells file asked to run as sweep says which encoding it holds.
        let cells = dir.path().join("cells.safetensors");
        let err = prepare(&m, &[], EncodingKind::Sweep, None, Some(&cells), 1_000).unwrap_err();
        assert!(err.to_string().contains("--encoding cells"), "{err}");
    }
}
