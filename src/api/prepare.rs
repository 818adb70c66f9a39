//! Which predictor (compiled, or read from a weight file), on which window, and what to do with
//! it (emulate, certify, draw, write): the one place the shells turn an [`EncodingKind`] into an
//! [`AnyEncoding`] and dispatch on a file's dtype, so that they only turn their arguments into a
//! [`Prepared`] and print or convert the typed report it returns.
//!
//! ```
//! use arsim::api::{load_machine, prepare, EncodingKind};
//! let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
//! let input = bb2.parse_input("1*1").unwrap(); // the head starts on cell 1
//! let p = prepare(&bb2, &input, EncodingKind::Sweep, None, None, 1_000).unwrap();
//! let run = arsim::api::ExecutorOptions::default(); // rows where they apply, any path
//! let report = p.emulate(&bb2, input, 1_000, run, &mut |_| {}).unwrap();
//! assert!(report.agree && report.head_start == 1 && report.steps == 2);
//! ```

use crate::api::error::ApiError;
use crate::api::files::{read_weights, write_weights};
use crate::certify::CertifyReport;
use crate::emulate::{
    emulate_weights, EmulateError, EmulateOptions, EmulationReport, ExecutorOptions,
};
use crate::encoding::{AnyEncoding, Encoding, EncodingKind, WithEncoding};
use crate::machine::{Input, Machine};
use crate::weights::Weights;
use crate::weights::{self, with_dense, Metadata};
use crate::window::window_of_run;
use crate::window::{Window, WindowError};
use std::path::Path;

/// `kind` for `machine` on `window`; a machine the encoding cannot take is a compile error.
pub fn encoding(
    machine: &Machine,
    kind: EncodingKind,
    window: Window,
) -> Result<AnyEncoding, ApiError> {
    AnyEncoding::check_window(kind, machine, window.size)?;
    AnyEncoding::new(kind, machine, window).map_err(|e| ApiError::Compile {
        machine: machine.name().to_string(),
        message: e.to_string(),
    })
}

/// The metadata arsim writes for `machine`'s weights under `enc` (compiled for `input`, when one
/// was given).
pub fn metadata(machine: &Machine, enc: &AnyEncoding, input: Option<&Input>) -> Metadata {
    let format = match enc.info().sparse_weights {
        true => weights::SPARSE_FORMAT,
        false => weights::DENSE_FORMAT,
    };
    let mut meta =
        Metadata::for_machine(format, machine, enc.info().name, enc.window(), Vec::new());
    meta.input = input.map(|i| machine.render_input(i));
    enc.write_metadata(&mut meta);
    meta
}

/// Writes `weights` of `machine` under `enc` to `path` whole, with the metadata every shell
/// writes (`arsim compile --out`, Python's `Predictor.save`): the machine, its fingerprint,
/// blank, start and halting states, the encoding and window, and `input` when it is not the
/// empty word from cell 0.
pub fn save(
    machine: &Machine,
    enc: &AnyEncoding,
    weights: &Weights,
    input: &Input,
    path: &Path,
) -> Result<(), ApiError> {
    write_weights(weights, &metadata(machine, enc, compiled_for(input)), path)
}

/// The input weights are compiled for, as their metadata records it: none for the empty word
/// from cell 0.
pub fn compiled_for(input: &Input) -> Option<&Input> {
    (!input.is_empty() || input.head > 0).then_some(input)
}

/// Compiles `machine` under `enc`, after checking the dictionary's size against
/// [`crate::limits`].
pub fn compile(machine: &Machine, enc: &AnyEncoding) -> Result<Weights, ApiError> {
    crate::limits::check_dictionary(machine.num_states(), machine.num_symbols())?;
    enc.compile(machine).map_err(|e| ApiError::Compile {
        machine: machine.name().to_string(),
        message: e.to_string(),
    })
}

/// The window: `tape` when given, else the weight file's, else the cells the run visits;
/// refused when empty or beyond [`crate::limits`].
pub fn resolve_window(
    tape: Option<Window>,
    meta: Option<&Metadata>,
    machine: &Machine,
    input: &Input,
    max_steps: u64,
) -> Result<Window, ApiError> {
    let w = tape
        .or_else(|| meta.and_then(|m| m.window))
        .unwrap_or_else(|| window_of_run(machine, input, max_steps));
    crate::limits::check_window(w.size)?;
    if w.origin >= w.size {
        return Err(ApiError::Window {
            machine: machine.name().to_string(),
            source: WindowError::OriginOutside {
                origin: w.origin,
                size: w.size,
            },
        });
    }
    Ok(w)
}

/// A predictor ready to run: compiled, or read from a file, with its encoding and window.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The encoding, on the window.
    pub enc: AnyEncoding,
    /// The predictor.
    pub weights: Weights,
    /// The file's metadata, when the weights came from a file.
    pub meta: Option<Metadata>,
}

/// Compiles `machine` under `kind`, or reads `file`; the window is `tape`, else the file's,
/// else the run's (of `input`, up to `max_steps`).
pub fn prepare(
    machine: &Machine,
    input: &Input,
    kind: EncodingKind,
    tape: Option<Window>,
    file: Option<&Path>,
    max_steps: u64,
) -> Result<Prepared, ApiError> {
    let Some(path) = file else {
        let window = resolve_window(tape, None, machine, input, max_steps)?;
        let enc = encoding(machine, kind, window)?;
        return Ok(Prepared {
            weights: compile(machine, &enc)?,
            enc,
            meta: None,
        });
    };
    let (weights, meta) = read_weights(path)?;
    let origin = path.display().to_string();
    prepare_weights(
        machine, input, kind, tape, weights, meta, &origin, max_steps,
    )
}

/// Weights already read (from the file `origin`, named in messages) or held by a shell, checked
/// against `kind`; the window is `tape`, else the metadata's, else the run's.
#[allow(clippy::too_many_arguments)]
pub fn prepare_weights(
    machine: &Machine,
    input: &Input,
    kind: EncodingKind,
    tape: Option<Window>,
    weights: Weights,
    meta: Metadata,
    origin: &str,
    max_steps: u64,
) -> Result<Prepared, ApiError> {
    if let Some(found) = meta.encoding.as_deref() {
        if EncodingKind::from_name(found).is_none() {
            return Err(ApiError::UnknownEncoding {
                path: origin.to_string(),
                found: found.to_string(),
            });
        }
    }
    if let Some(found) = meta.encoding.as_deref().filter(|&e| e != kind.name()) {
        return Err(ApiError::Encoding {
            path: origin.to_string(),
            found: found.to_string(),
        });
    }
    let window = resolve_window(tape, Some(&meta), machine, input, max_steps)?;
    Ok(Prepared {
        enc: encoding(machine, kind, window)?,
        weights,
        meta: Some(meta),
    })
}

impl Prepared {
    /// The encoding's kind.
    pub fn kind(&self) -> EncodingKind {
        self.enc.kind()
    }

    /// The tape window.
    pub fn window(&self) -> Window {
        self.enc.window()
    }

    /// Tokens the trace has per step of the machine (a row), to size progress reports.
    pub fn tokens_per_step(&self) -> u64 {
        self.enc.row_len() as u64
    }

    /// Runs the predictor on `input` and checks every token against the interpreter: integer
    /// offset matrices on the executor `run` picks (its threads and row scorer path for rows,
    /// [`crate::emulate::emulate_on`]), everything else token by token
    /// ([`crate::emulate::emulate_with`]).
    pub fn emulate(
        self,
        machine: &Machine,
        input: Input,
        max_steps: u64,
        run: ExecutorOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<EmulationReport, ApiError> {
        let opts = EmulateOptions {
            input,
            window: Some(self.enc.window()),
            max_steps,
        };
        // The encoding's own type from here on: its trace is read a token at a time.
        struct Run<'a, 'p> {
            machine: &'a Machine,
            weights: Weights,
            opts: &'a EmulateOptions,
            run: ExecutorOptions,
            progress: &'a mut (dyn FnMut(u64) + 'p),
        }
        impl WithEncoding for Run<'_, '_> {
            type Output = Result<EmulationReport, EmulateError>;
            fn call<E: Encoding>(self, enc: &E) -> Self::Output {
                emulate_weights(
                    enc,
                    self.machine,
                    self.weights,
                    self.opts,
                    self.run,
                    self.progress,
                )
            }
        }
        let m = machine;
        let report = self.enc.with(Run {
            machine,
            weights: self.weights,
            opts: &opts,
            run,
            progress,
        });
        report.map_err(|source: EmulateError| ApiError::Emulate {
            machine: m.name().to_string(),
            source,
        })
    }

    /// The space-time diagram of the rows this (`cells`) predictor generates, checked against
    /// the interpreter (differing tokens marked).
    pub fn draw_emulated(
        self,
        machine: &Machine,
        input: &Input,
        max_steps: u64,
        opts: &crate::draw::spacetime::SpaceTimeOptions,
    ) -> Result<crate::draw::spacetime::Diagram, ApiError> {
        use crate::draw::spacetime::emulated;
        let (m, enc) = (machine, &self.enc);
        let d = match self.weights {
            Weights::Dense(d) => {
                with_dense!(d, p => emulated(m, enc, p, input, max_steps, opts))
            }
            Weights::Sparse(p) => emulated(m, enc, p, input, max_steps, opts),
        };
        d.map_err(|source| ApiError::Draw {
            machine: m.name().to_string(),
            source,
        })
    }

    /// The exhaustive certificate of the predictor (`input` sizes the `gates` circuit);
    /// `progress(done, total)` as it goes.
    pub fn certify(
        &self,
        machine: &Machine,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, ApiError> {
        Ok(self.enc.certify(machine, &self.weights, input, progress)?)
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
            let p = prepare(&m, &Input::default(), e, None, None, 1_000).unwrap();
            let path = dir.path().join(format!("{}.safetensors", e.name()));
            p.weights.write(&metadata(&m, &p.enc, None), &path).unwrap();
            let q = prepare(&m, &Input::default(), e, None, Some(&path), 1_000).unwrap();
            assert_eq!(q.window(), p.window());
            assert_eq!(q.weights, p.weights);
            assert!(
                q.certify(&m, &Input::default(), &mut |_, _| {})
                    .unwrap()
                    .certified(),
                "{e:?}"
            );
            assert!(
                q.emulate(
                    &m,
                    Input::default(),
                    1_000,
                    ExecutorOptions {
                        threads: Some(1),
                        ..Default::default()
                    },
                    &mut |_| {}
                )
                .unwrap()
                .agree,
                "{e:?}"
            );
        }
        // A cells file asked to run as sweep says which encoding it holds.
        let cells = dir.path().join("cells.safetensors");
        let err = prepare(
            &m,
            &Input::default(),
            EncodingKind::Sweep,
            None,
            Some(&cells),
            1_000,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("holds cells weights; run them as the cells encoding"),
            "{err}"
        );
    }
}
