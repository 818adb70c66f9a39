//! `arsim._arsim`: the Rust half of the Python package, a shell around the library.
//!
//! Every function converts Python values to Rust ones, calls [`core`] (the one file that calls
//! the arsim library) with the GIL released where the call can be long, and converts back:
//! reports as JSON text (the Python half parses it into dicts with the keys of `--json`), token
//! ids and weights as little-endian bytes (the Python half views them as numpy arrays).
//! Failures become `arsim.BadInput` (the command line's exit status 2) or
//! `arsim.VerificationFailed` (status 1), both `arsim.Error`, with the command line's message.

mod core;

use crate::core::{Failure, Weights};
use arsim::window::Window;
use arsim::encoding::EncodingKind;
use arsim::machine::Machine as RsMachine;
use arsim::tasks::text::bpe::Bpe;
use arsim::tasks::text::ngram::NgramModel;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(_arsim, Error, PyException, "Any failure reported by arsim.");
create_exception!(
    _arsim,
    BadInput,
    Error,
    "Bad input: a machine, input, file or option arsim cannot take (the command line's exit status 2)."
);
create_exception!(
    _arsim,
    VerificationFailed,
    Error,
    "A check that did not pass: a divergence from the interpreter, a failed certificate (exit status 1)."
);

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Input(m) => BadInput::new_err(m),
            Failure::Verification(m) => VerificationFailed::new_err(m),
        }
    }
}

type Result<T> = std::result::Result<T, PyErr>;

fn json(v: &serde_json::Value) -> String {
    v.to_string()
}

fn le_bytes(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn encoding(name: &str) -> Result<EncodingKind> {
    Ok(core::parse_enum("--encoding", name)?)
}

/// A validated Turing machine.
#[pyclass(frozen, module = "arsim._arsim")]
struct Machine {
    inner: Arc<RsMachine>,
}

#[pymethods]
impl Machine {
    /// The machine's name.
    #[getter]
    fn name(&self) -> String {
        core::name(&self.inner)
    }

    /// Name, description, symbols, blank, states and start state, as JSON.
    fn describe(&self) -> String {
        json(&core::describe(&self.inner))
    }

    /// The reference run's summary, as JSON.
    fn run(&self, py: Python<'_>, input: &str, max_steps: u64) -> Result<String> {
        let m = self.inner.clone();
        let input = core::parse_input(&m, input)?;
        let report = py.allow_threads(|| core::run(&m, &input, max_steps));
        serde_json::to_string(&report).map_err(|e| Error::new_err(e.to_string()))
    }

    /// The run as a token trace: (ids as little-endian u32 bytes, labels, info JSON).
    #[pyo3(signature = (input, encoding_name, tape, origin, max_steps))]
    fn trace<'py>(
        &self,
        py: Python<'py>,
        input: &str,
        encoding_name: &str,
        tape: Option<usize>,
        origin: Option<usize>,
        max_steps: u64,
    ) -> Result<(Bound<'py, PyBytes>, Vec<String>, String)> {
        let m = self.inner.clone();
        let input = core::parse_input(&m, input)?;
        let enc = encoding(encoding_name)?;
        let (ids, labels, info) = py.allow_threads(|| {
            let w = core::window(&m, &input, tape, origin, max_steps)?;
            core::trace(&m, &input, enc, w, max_steps)
        })?;
        Ok((PyBytes::new(py, &le_bytes(&ids)), labels, json(&info)))
    }

    /// The compiled predictor.
    #[pyo3(signature = (encoding_name, tape, origin, input))]
    fn compile(
        &self,
        py: Python<'_>,
        encoding_name: &str,
        tape: Option<usize>,
        origin: Option<usize>,
        input: &str,
    ) -> Result<Predictor> {
        let m = self.inner.clone();
        let input = core::parse_input(&m, input)?;
        let enc = encoding(encoding_name)?;
        let (p, w) = py.allow_threads(|| -> core::Result<_> {
            // The command line's `compile` sizes the window from a run of at most 10^6 steps.
            let w = core::window(&m, &input, tape, origin, 1_000_000)?;
            Ok((core::compile(&m, enc, w)?, w))
        })?;
        Ok(Predictor {
            weights: Weights::Int(p),
            meta: core::compile_meta(&m, enc, w),
            encoding: enc,
            window: Some(w),
            machine: Some(m),
        })
    }

    /// `arsim learn`: (report JSON, learned predictor or None for time-dependent learners).
    #[pyo3(signature = (encoding_name, train, test, seed, algo, window, outputs, learner, pattern, alphabet, lengths, inputs, max_steps, max_passes, margin, epochs))]
    #[allow(clippy::too_many_arguments)]
    fn learn(
        &self,
        py: Python<'_>,
        encoding_name: String,
        train: usize,
        test: usize,
        seed: u64,
        algo: String,
        window: String,
        outputs: String,
        learner: String,
        pattern: Option<String>,
        alphabet: Option<String>,
        lengths: Option<Vec<usize>>,
        inputs: Option<Vec<String>>,
        max_steps: u64,
        max_passes: usize,
        margin: i32,
        epochs: Option<usize>,
    ) -> Result<(String, Option<Predictor>)> {
        let m = self.inner.clone();
        let args = core::LearnArgs {
            encoding: encoding_name,
            train,
            test,
            seed,
            algo,
            window,
            outputs,
            learner,
            pattern,
            alphabet,
            lengths,
            inputs,
            max_steps,
            max_passes,
            margin,
            epochs,
        };
        let (report, learned) = py.allow_threads(|| core::learn(&m, &args))?;
        let predictor = match learned {
            Some((weights, meta)) => Some(Predictor {
                encoding: core::meta_encoding(&meta)?,
                window: core::meta_window(&meta),
                weights,
                meta,
                machine: Some(m),
            }),
            None => None,
        };
        Ok((json(&report), predictor))
    }

    /// The defaults of `arsim learn` for this machine, as JSON.
    fn learn_defaults(&self) -> String {
        let d = core::LearnArgs::defaults(&self.inner);
        json(&serde_json::json!({
            "encoding": d.encoding, "train": d.train, "test": d.test, "seed": d.seed,
            "algo": d.algo, "window": d.window, "outputs": d.outputs, "learner": d.learner,
            "max_steps": d.max_steps, "max_passes": d.max_passes, "margin": d.margin,
        }))
    }
}

/// A time-invariant linear predictor: one weight matrix per offset.
#[pyclass(module = "arsim._arsim")]
struct Predictor {
    weights: Weights,
    meta: HashMap<String, String>,
    encoding: EncodingKind,
    window: Option<Window>,
    machine: Option<Arc<RsMachine>>,
}

impl Predictor {
    fn machine_for(&self, machine: Option<&Machine>) -> Result<Arc<RsMachine>> {
        match (machine, &self.machine) {
            (Some(m), _) => Ok(m.inner.clone()),
            (None, Some(m)) => Ok(m.clone()),
            (None, None) => Err(BadInput::new_err(
                "these weights were read from a file, which names its machine but does not hold it: pass machine=arsim.load(...)",
            )),
        }
    }
}

#[pymethods]
impl Predictor {
    /// Token names, by id.
    #[getter]
    fn dictionary(&self) -> Vec<String> {
        self.weights.layout().tokens.clone()
    }

    /// The offsets read, in the order of the matrices.
    #[getter]
    fn offsets(&self) -> Vec<usize> {
        self.weights.layout().offsets.clone()
    }

    /// How each offset is written (e.g. `S+1`).
    #[getter]
    fn offset_names(&self) -> Vec<String> {
        self.weights.layout().offset_names.clone()
    }

    /// The metadata a weight file holds.
    #[getter]
    fn meta(&self) -> HashMap<String, String> {
        self.meta.clone()
    }

    /// The encoding's name.
    #[getter]
    fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    /// (window size S, origin), when known.
    #[getter]
    fn window(&self) -> Option<(usize, usize)> {
        self.window.map(|w| (w.size, w.origin))
    }

    /// (dtype name, one row-major `[vocab, vocab]` matrix per offset as little-endian bytes).
    fn matrices<'py>(&self, py: Python<'py>) -> (&'static str, Vec<Bound<'py, PyBytes>>) {
        let (dtype, ms) = self.weights.matrices();
        (dtype, ms.iter().map(|m| PyBytes::new(py, m)).collect())
    }

    /// `arsim emulate --json` for this predictor.
    #[pyo3(signature = (input, machine, max_steps, tape, origin))]
    fn emulate(
        &self,
        py: Python<'_>,
        input: &str,
        machine: Option<&Machine>,
        max_steps: u64,
        tape: Option<usize>,
        origin: Option<usize>,
    ) -> Result<String> {
        let m = self.machine_for(machine)?;
        let input = core::parse_input(&m, input)?;
        let weights = self.weights.clone();
        let (enc, own) = (self.encoding, self.window);
        let report = py.allow_threads(|| -> core::Result<_> {
            // As the command line: --tape, else the file's window, else the run's.
            let w = match (tape, own) {
                (None, Some(w)) if origin.is_none() => w,
                _ => core::window(&m, &input, tape, origin, max_steps)?,
            };
            core::emulate(&m, enc, &weights, w, input, max_steps)
        })?;
        Ok(json(&report))
    }

    /// Raises the command line's failure for an emulation report, if it failed.
    #[staticmethod]
    fn check_emulation(report: &str) -> Result<()> {
        let v: serde_json::Value =
            serde_json::from_str(report).map_err(|e| BadInput::new_err(e.to_string()))?;
        match core::emulation_verdict(&v) {
            Some(f) => Err(f.into()),
            None => Ok(()),
        }
    }

    /// `arsim certify --json` for this predictor.
    #[pyo3(signature = (machine))]
    fn certify(&self, py: Python<'_>, machine: Option<&Machine>) -> Result<String> {
        let m = self.machine_for(machine)?;
        let weights = self.weights.clone();
        let enc = self.encoding;
        let w = match self.window {
            Some(w) => w,
            None => core::window(&m, &Default::default(), None, None, 100_000)?,
        };
        Ok(py.allow_threads(|| core::certify(&m, enc, &weights, w).map(|v| json(&v)))?)
    }

    /// Writes the weights and metadata as a safetensors file (whole, or not at all).
    fn save(&self, py: Python<'_>, path: PathBuf) -> Result<()> {
        Ok(py.allow_threads(|| core::save_weights(&self.weights, &self.meta, &path))?)
    }

    /// The same predictor with new matrices (dtype name, one row-major matrix per offset).
    fn replaced(&self, dtype: &str, matrices: Vec<Vec<u8>>) -> Result<Predictor> {
        let mut meta = self.meta.clone();
        meta.insert("edited".into(), "weights replaced from Python".into());
        Ok(Predictor {
            weights: core::replace_weights(&self.weights, dtype, &matrices)?,
            meta,
            encoding: self.encoding,
            window: self.window,
            machine: self.machine.clone(),
        })
    }

    /// Feeds `prompt` to arsim's executor, then generates `n` tokens.
    fn generate(&self, py: Python<'_>, prompt: Vec<u32>, n: usize) -> Result<Vec<u32>> {
        let weights = self.weights.clone();
        Ok(py.allow_threads(|| core::generate(&weights, &prompt, n))?)
    }
}

/// Loads a machine file or standard string.
#[pyfunction]
#[pyo3(signature = (arg, format=None))]
fn load(py: Python<'_>, arg: &str, format: Option<&str>) -> Result<Machine> {
    let m = py.allow_threads(|| core::load(arg, format))?;
    Ok(Machine { inner: Arc::new(m) })
}

/// Reads a weight file (`int32` or `float32`).
#[pyfunction]
fn load_weights(py: Python<'_>, path: PathBuf) -> Result<Predictor> {
    let (weights, meta) = py.allow_threads(|| core::load_weights(&path))?;
    Ok(Predictor {
        encoding: core::meta_encoding(&meta)?,
        window: core::meta_window(&meta),
        weights,
        meta,
        machine: None,
    })
}

// ---------------------------------------------------------------- tasks::multiply

#[pyfunction]
fn multiply_vocabulary() -> Vec<String> {
    core::multiply_vocabulary()
}

/// (tokens, prompt length, answer start) of a chain format.
#[pyfunction]
fn multiply_cot_shape(cot: &str) -> Result<(usize, usize, usize)> {
    Ok(core::cot_shape(core::cot(cot)?))
}

#[pyfunction]
fn multiply_chain(cot: &str, a: u32, b: u32) -> Result<Vec<u32>> {
    Ok(core::multiply_chain(core::cot(cot)?, a, b)?)
}

#[pyfunction]
fn multiply_split_of(a: u32, b: u32) -> Result<&'static str> {
    Ok(core::multiply_split_of(a, b)?)
}

#[pyfunction]
fn multiply_split_sizes() -> (u64, u64, u64) {
    core::multiply_split_sizes()
}

/// (pairs, chains as little-endian u32 bytes `[batch, len]`).
#[pyfunction]
fn multiply_batch<'py>(
    py: Python<'py>,
    cot: &str,
    batch: usize,
    seed: u64,
    step: usize,
) -> Result<(Vec<(u32, u32)>, Bound<'py, PyBytes>)> {
    let f = core::cot(cot)?;
    let (pairs, ids) = py.allow_threads(|| core::multiply_batch(f, batch, seed, step));
    Ok((pairs, PyBytes::new(py, &le_bytes(&ids))))
}

#[pyfunction]
fn multiply_validation<'py>(
    py: Python<'py>,
    cot: &str,
    n: usize,
) -> Result<(Vec<(u32, u32)>, Bound<'py, PyBytes>)> {
    let f = core::cot(cot)?;
    let (pairs, ids) = py.allow_threads(|| core::multiply_validation(f, n));
    Ok((pairs, PyBytes::new(py, &le_bytes(&ids))))
}

#[pyfunction]
fn multiply_score(py: Python<'_>, cot: &str, n: usize, generated: Vec<u32>) -> Result<String> {
    let f = core::cot(cot)?;
    Ok(py.allow_threads(|| core::multiply_score(f, n, &generated).map(|v| json(&v)))?)
}

// ---------------------------------------------------------------- tasks::text

/// arsim's byte-level BPE tokenizer.
#[pyclass(frozen, module = "arsim._arsim")]
struct Tokenizer {
    inner: Bpe,
}

#[pymethods]
impl Tokenizer {
    #[staticmethod]
    fn train(py: Python<'_>, stories: Vec<String>, vocab: usize) -> Tokenizer {
        Tokenizer {
            inner: py.allow_threads(|| core::bpe_train(&stories, vocab)),
        }
    }

    #[staticmethod]
    fn load(path: PathBuf) -> Result<Tokenizer> {
        Ok(Tokenizer {
            inner: core::bpe_load(&path)?,
        })
    }

    fn save(&self, path: PathBuf) -> Result<()> {
        Ok(core::bpe_save(&self.inner, &path)?)
    }

    #[getter]
    fn vocab_size(&self) -> usize {
        core::bpe_vocab_size(&self.inner)
    }

    fn encode(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        py.allow_threads(|| core::bpe_encode(&self.inner, text))
    }

    fn encode_story(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        py.allow_threads(|| core::bpe_encode_story(&self.inner, text))
    }

    fn decode(&self, ids: Vec<u32>) -> Result<String> {
        Ok(core::bpe_decode(&self.inner, &ids)?)
    }

    fn to_json(&self) -> String {
        core::bpe_json(&self.inner)
    }

    fn to_hf_json(&self) -> Result<String> {
        Ok(core::bpe_hf_json(&self.inner)?)
    }

    fn save_hf(&self, path: PathBuf) -> Result<()> {
        Ok(core::bpe_hf_save(&self.inner, &path)?)
    }
}

/// An interpolated Kneser-Ney n-gram model.
#[pyclass(frozen, module = "arsim._arsim")]
struct Ngram {
    inner: NgramModel,
}

#[pymethods]
impl Ngram {
    #[staticmethod]
    fn fit(py: Python<'_>, order: usize, vocab: usize, sequences: Vec<Vec<u32>>) -> Result<Ngram> {
        Ok(Ngram {
            inner: py.allow_threads(|| core::ngram_fit(order, vocab, sequences))?,
        })
    }

    fn evaluate(&self, py: Python<'_>, tokenizer: &Tokenizer, stories: Vec<String>) -> String {
        py.allow_threads(|| {
            json(&core::ngram_evaluate(
                &self.inner,
                &tokenizer.inner,
                &stories,
            ))
        })
    }

    fn describe(&self) -> String {
        json(&core::ngram_describe(&self.inner))
    }
}

#[pyfunction]
fn text_corpus(py: Python<'_>, path: PathBuf) -> Result<Vec<String>> {
    Ok(py.allow_threads(|| core::text_corpus(&path))?)
}

#[pyfunction]
fn text_split(stories: Vec<String>, seed: u64, fraction: f64) -> (Vec<usize>, Vec<usize>) {
    core::text_split(&stories, seed, fraction)
}

#[pyfunction]
fn text_baselines(
    py: Python<'_>,
    path: PathBuf,
    vocab: usize,
    seed: u64,
    fraction: f64,
) -> Result<(String, Tokenizer)> {
    let (report, bpe) = py.allow_threads(|| core::text_baselines(&path, vocab, seed, fraction))?;
    Ok((json(&report), Tokenizer { inner: bpe }))
}

#[pyfunction]
fn bits_per_byte(total_nats: f64, bytes: usize) -> f64 {
    core::bits_per_byte(total_nats, bytes)
}

// ---------------------------------------------------------------- nn checkpoints

/// (info JSON, [(name, shape, little-endian f32 bytes)]).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn checkpoint_tensors<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> Result<(String, Vec<(String, Vec<usize>, Bound<'py, PyBytes>)>)> {
    let (info, tensors) = py.allow_threads(|| core::checkpoint_tensors(&path))?;
    Ok((
        json(&info),
        tensors
            .into_iter()
            .map(|(n, s, b)| (n, s, PyBytes::new(py, &b)))
            .collect(),
    ))
}

/// (logits as little-endian f32 bytes `[batch, len, vocab]`, vocab).
#[pyfunction]
fn checkpoint_logits<'py>(
    py: Python<'py>,
    path: PathBuf,
    tokens: Vec<u32>,
    batch: usize,
) -> Result<(Bound<'py, PyBytes>, usize)> {
    let (logits, vocab) = py.allow_threads(|| core::checkpoint_logits(&path, &tokens, batch))?;
    let bytes: Vec<u8> = logits.iter().flat_map(|x| x.to_le_bytes()).collect();
    Ok((PyBytes::new(py, &bytes), vocab))
}

#[pymodule]
fn _arsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("BadInput", py.get_type::<BadInput>())?;
    m.add("VerificationFailed", py.get_type::<VerificationFailed>())?;
    m.add_class::<Machine>()?;
    m.add_class::<Predictor>()?;
    m.add_class::<Tokenizer>()?;
    m.add_class::<Ngram>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(load_weights, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_vocabulary, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_cot_shape, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_chain, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_split_of, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_split_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_batch, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_validation, m)?)?;
    m.add_function(wrap_pyfunction!(multiply_score, m)?)?;
    m.add_function(wrap_pyfunction!(text_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(text_split, m)?)?;
    m.add_function(wrap_pyfunction!(text_baselines, m)?)?;
    m.add_function(wrap_pyfunction!(bits_per_byte, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint_tensors, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint_logits, m)?)?;
    Ok(())
}
