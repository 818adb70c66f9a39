//! `arsim._arsim`: the Rust half of the Python package, a shell over the library's front door
//! (`arsim::api`, the one part of the library it names).
//!
//! Every function converts Python values to the front door's types (with [`core`]'s help), calls
//! it with the GIL released where the call can be long (and, for emulate, certify, learn, trace
//! and generate, answering Ctrl-C from the library's progress callbacks), and converts back:
//! reports as JSON text (the Python half parses it into dicts with the keys of `--json`), token
//! ids and weights as little-endian bytes (the Python half views them as read-only numpy
//! arrays). Failures become `arsim.BadInput` (the command line's exit status 2) or
//! `arsim.VerificationFailed` (status 1), both `arsim.Error`, with the front door's message.

mod core;

use crate::core::{id_bytes, input_failure, interruptible, window, Failure};
use arsim::api::tasks::{self, Bpe, CotFormat, NgramModel};
use arsim::api::{
    self, EncodingKind, ExecutorOptions, HeldPredictor, InputSource, InputsRequest, LoadOptions,
    LoadedRun, MachineFormat, MachineRequest, Undefined, Verdict,
};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

// The module named is `arsim`, where the package exports them: `pickle` finds them there.
create_exception!(arsim, Error, PyException, "Any failure reported by arsim.");
create_exception!(
    arsim,
    BadInput,
    Error,
    "Bad input: a machine, input, file or option arsim cannot take (the command line's exit status 2)."
);
create_exception!(
    arsim,
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

/// A report as JSON text (the front door's types serialise as `--json` prints them).
macro_rules! json {
    ($v:expr) => {
        serde_json::to_string(&$v).unwrap_or_default()
    };
}

fn bad(e: api::ApiError) -> PyErr {
    Failure::from(e).into()
}

fn option<T: api::ValueEnum>(what: &str, value: &str) -> Result<T> {
    api::parse_option(what, value).map_err(bad)
}

/// A machine as loaded (with its file's own input), and the request that loads it again with
/// another input, as the command line loads it with `--input`.
#[derive(Clone)]
struct Loaded {
    request: MachineRequest,
    own: Arc<LoadedRun>,
}

impl Loaded {
    /// The machine and the input `input` (`None`: the file's own), parsed against its alphabet.
    fn with_input(&self, input: Option<&str>) -> core::Result<Arc<LoadedRun>> {
        match input {
            None => Ok(self.own.clone()),
            Some(word) => {
                let req = MachineRequest {
                    input: InputSource::Word(word.to_string()),
                    ..self.request.clone()
                };
                let run =
                    api::load_run(&req).map_err(|e| input_failure(e, self.own.machine.name()))?;
                Ok(Arc::new(run))
            }
        }
    }
}

/// A validated Turing machine.
#[pyclass(frozen, module = "arsim._arsim")]
struct Machine {
    loaded: Loaded,
}

#[pymethods]
impl Machine {
    /// The machine's name.
    #[getter]
    fn name(&self) -> String {
        self.loaded.own.machine.name().to_string()
    }

    /// Name, description, symbols, blank, states, start state, its file's input and examples,
    /// and lenient loading's warnings, as JSON.
    fn describe(&self) -> String {
        let own = &self.loaded.own;
        let m = &own.machine;
        json!(serde_json::json!({
            "name": m.name(),
            "description": m.description(),
            "symbols": m.symbols().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "blank": m.symbol_char(m.blank()).to_string(),
            "states": m.states(),
            "start": m.state_name(m.start()),
            "input": m.render_input(&own.input),
            "warnings": own.warnings,
            "examples": m.examples().iter().map(|e| serde_json::json!({
                "input": e.input_text,
                "steps": e.steps,
                "stop": e.stop,
                "max_steps": e.max_steps,
            })).collect::<Vec<_>>(),
        }))
    }

    /// The reference run's summary (`arsim run --json`), as JSON.
    #[pyo3(signature = (input, max_steps))]
    fn run(&self, py: Python<'_>, input: Option<&str>, max_steps: u64) -> Result<String> {
        let run = self.loaded.with_input(input)?;
        let report = py.allow_threads(|| api::run_report(&run.machine, &run.input, max_steps));
        Ok(json!(report))
    }

    /// The run as a token trace: (ids as little-endian u32 bytes, labels, info JSON).
    #[pyo3(signature = (input, encoding, tape, origin, max_steps))]
    fn trace<'py>(
        &self,
        py: Python<'py>,
        input: Option<&str>,
        encoding: &str,
        tape: Option<i64>,
        origin: Option<i64>,
        max_steps: u64,
    ) -> Result<(Bound<'py, PyBytes>, Vec<String>, String)> {
        let run = self.loaded.with_input(input)?;
        let kind: EncodingKind = option("encoding", encoding)?;
        let w = window(tape, origin)?;
        let t = interruptible(py, |tick| {
            let limit = api::MAX_TRACE_TOKENS;
            let progress = &mut |_| tick();
            Ok(api::token_trace_with(
                &run.machine,
                &run.input,
                kind,
                w,
                max_steps,
                limit,
                progress,
            )?)
        })?;
        let bytes = id_bytes(t.ids.iter().map(|t| t.0));
        Ok((PyBytes::new(py, &bytes), t.labels.clone(), json!(t)))
    }

    /// The viewer page (`arsim serve`'s) with this run embedded, in an `<iframe srcdoc>`: a
    /// notebook's `_repr_html_` (`api::view`, its limits on steps and embedded bytes).
    #[pyo3(signature = (input, encoding, tape, origin, max_steps))]
    fn viewer_html(
        &self,
        py: Python<'_>,
        input: Option<&str>,
        encoding: &str,
        tape: Option<i64>,
        origin: Option<i64>,
        max_steps: u64,
    ) -> Result<String> {
        let run = (*self.loaded.with_input(input)?).clone();
        let kind: EncodingKind = option("encoding", encoding)?;
        let w = window(tape, origin)?;
        py.allow_threads(|| {
            api::View::of_run(run, "", (kind, w, max_steps), None)?.notebook_html(u64::MAX)
        })
        .map_err(bad)
    }

    /// The compiled predictor (`arsim compile`).
    #[pyo3(signature = (encoding, tape, origin, input))]
    fn compile(
        &self,
        py: Python<'_>,
        encoding: &str,
        tape: Option<i64>,
        origin: Option<i64>,
        input: Option<&str>,
    ) -> Result<Predictor> {
        let run = self.loaded.with_input(input)?;
        let kind: EncodingKind = option("encoding", encoding)?;
        let w = window(tape, origin)?;
        let held = py
            .allow_threads(|| HeldPredictor::compile(&run.machine, &run.input, kind, w))
            .map_err(bad)?;
        Ok(Predictor {
            held,
            machine: Some(self.loaded.clone()),
        })
    }

    /// `arsim learn`: (report JSON, learned predictor or None for time-dependent learners).
    /// Every option left `None` takes the command line's default.
    #[pyo3(signature = (encoding, train, test, seed, algo, window, outputs, learner, pattern, alphabet, lengths, eval_lengths, inputs, max_steps, max_passes, margin, epochs))]
    #[allow(clippy::too_many_arguments)]
    fn learn(
        &self,
        py: Python<'_>,
        encoding: Option<&str>,
        train: Option<usize>,
        test: Option<usize>,
        seed: Option<u64>,
        algo: Option<&str>,
        window: Option<&str>,
        outputs: Option<&str>,
        learner: Option<&str>,
        pattern: Option<String>,
        alphabet: Option<String>,
        lengths: Option<Vec<usize>>,
        eval_lengths: Option<Vec<usize>>,
        inputs: Option<Vec<String>>,
        max_steps: Option<u64>,
        max_passes: Option<usize>,
        margin: Option<i32>,
        epochs: Option<usize>,
    ) -> Result<(String, Option<Predictor>)> {
        let m = &self.loaded.own.machine;
        let mut opts = api::learn_defaults(m);
        if let Some(e) = encoding {
            opts.encoding = option("encoding", e)?;
        }
        if let Some(a) = algo {
            opts.algo = option("algo", a)?;
        }
        if let Some(w) = window {
            opts.window = option("window", w)?;
        }
        if let Some(o) = outputs {
            opts.outputs = option("outputs", o)?;
        }
        if let Some(l) = learner {
            opts.learner = option("learner", l)?;
        }
        opts.train = train.unwrap_or(opts.train);
        opts.test = test.unwrap_or(opts.test);
        opts.seed = seed.unwrap_or(opts.seed);
        opts.max_steps = max_steps.unwrap_or(opts.max_steps);
        opts.max_passes = max_passes.unwrap_or(opts.max_passes);
        opts.margin = margin.unwrap_or(opts.margin);
        opts.softmax.epochs = epochs.unwrap_or(opts.softmax.epochs);
        let req = InputsRequest {
            words: inputs,
            pattern,
            alphabet,
            lengths,
            eval_lengths,
        };
        opts.inputs = api::input_spec(m, &req).map_err(bad)?;
        let (report, held) = interruptible(py, |tick| {
            let learned = api::learn(m, &opts, &mut |_| tick())?;
            Ok((json!(learned.report), api::learned_predictor(m, &learned)))
        })?;
        let predictor = held.map(|held| Predictor {
            held,
            machine: Some(self.loaded.clone()),
        });
        Ok((report, predictor))
    }
}

/// A predictor: compiled, learned or read from a weight file.
#[pyclass(frozen, module = "arsim._arsim")]
struct Predictor {
    held: HeldPredictor,
    machine: Option<Loaded>,
}

impl Predictor {
    fn machine_for(&self, machine: Option<&Machine>) -> Result<Loaded> {
        match (machine, &self.machine) {
            (Some(m), _) => Ok(m.loaded.clone()),
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
        match self.held.layout() {
            Some(l) => l.tokens.clone(),
            None => vec!["0".into(), "1".into()],
        }
    }

    /// The offsets read, in the order of the matrices (none for sparse `gates` weights).
    #[getter]
    fn offsets(&self) -> Vec<usize> {
        self.held
            .layout()
            .map(|l| l.offsets.clone())
            .unwrap_or_default()
    }

    /// How each offset is written (e.g. `S+1`).
    #[getter]
    fn offset_names(&self) -> Vec<String> {
        self.held
            .layout()
            .map(|l| l.offset_names.clone())
            .unwrap_or_default()
    }

    /// The metadata a weight file of this predictor holds, key by key.
    #[getter]
    fn meta(&self) -> BTreeMap<String, String> {
        self.held.file_metadata()
    }

    /// The encoding's name.
    #[getter]
    fn encoding(&self) -> Result<&'static str> {
        Ok(self.held.kind().map_err(bad)?.name())
    }

    /// (window size S, origin), when known.
    #[getter]
    fn window(&self) -> Option<(usize, usize)> {
        self.held.window().map(|w| (w.size, w.origin))
    }

    /// (dtype name, one row-major `[vocab, vocab]` matrix per offset as little-endian bytes).
    fn matrices<'py>(&self, py: Python<'py>) -> Result<(&'static str, Vec<Bound<'py, PyBytes>>)> {
        let (dtype, ms) = core::matrices_to_bytes(self.held.matrices().map_err(bad)?);
        Ok((dtype, ms.iter().map(|m| PyBytes::new(py, m)).collect()))
    }

    /// `arsim emulate --json` for this predictor, its row scorer on the path `isa` names
    /// (`--isa`); with `check`, a failure raises as the command line fails.
    #[pyo3(signature = (input, machine, max_steps, tape, origin, check, isa))]
    #[allow(clippy::too_many_arguments)]
    fn emulate(
        &self,
        py: Python<'_>,
        input: Option<&str>,
        machine: Option<&Machine>,
        max_steps: u64,
        tape: Option<i64>,
        origin: Option<i64>,
        check: bool,
        isa: &str,
    ) -> Result<String> {
        let run = self.machine_for(machine)?.with_input(input)?;
        let w = window(tape, origin)?;
        let on = ExecutorOptions {
            isa: option("isa", isa)?,
            ..Default::default()
        };
        let report = interruptible(py, |tick| {
            let (m, input) = (&run.machine, run.input.clone());
            Ok(self
                .held
                .emulate(m, input, w, max_steps, on, &mut |_| tick())?)
        })?;
        if check {
            match api::verdict(&report) {
                Verdict::Agree => {}
                Verdict::LeftWindow(m) => return Err(BadInput::new_err(m)),
                Verdict::Diverged(m) => return Err(VerificationFailed::new_err(m)),
            }
        }
        Ok(json!(report))
    }

    /// The viewer page running these weights on `input` (`Machine.viewer_html`'s page).
    #[pyo3(signature = (machine, input, max_steps))]
    fn viewer_html(
        &self,
        py: Python<'_>,
        machine: Option<&Machine>,
        input: Option<&str>,
        max_steps: u64,
    ) -> Result<String> {
        let run = (*self.machine_for(machine)?.with_input(input)?).clone();
        py.allow_threads(|| {
            let p = self.held.prepared(&run.machine, &run.input, None, max_steps)?;
            api::View::of_prepared(run, "", p, max_steps, None)?.notebook_html(u64::MAX)
        })
        .map_err(bad)
    }

    /// `arsim certify --json` for this predictor.
    #[pyo3(signature = (machine, input))]
    fn certify(
        &self,
        py: Python<'_>,
        machine: Option<&Machine>,
        input: Option<&str>,
    ) -> Result<String> {
        let run = self.machine_for(machine)?.with_input(input)?;
        interruptible(py, |tick| {
            let m = &run.machine;
            let (p, report) = self.held.certify(m, &run.input, None, &mut |_, _| tick())?;
            Ok(json!(api::certify_json(m, &p, &report)))
        })
    }

    /// `arsim compile --hf DIR` for this predictor: a Hugging Face GPT-2 model directory
    /// (proofs/transformer.md); the export's facts as JSON.
    #[pyo3(signature = (dir, machine, input, context))]
    fn export_hf(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        machine: Option<&Machine>,
        input: Option<&str>,
        context: Option<usize>,
    ) -> Result<String> {
        let run = self.machine_for(machine)?.with_input(input)?;
        let e = py
            .allow_threads(|| api::export_hf(&self.held, &run.machine, &run.input, &dir, context))
            .map_err(bad)?;
        Ok(json!(e))
    }

    /// Writes the weights and metadata as a safetensors file (whole, or not at all), the bytes
    /// `arsim compile --out` writes.
    fn save(&self, py: Python<'_>, path: PathBuf) -> Result<()> {
        py.allow_threads(|| self.held.save(&path)).map_err(bad)
    }

    /// The same predictor with new matrices (dtype `int64`, `float32` or `float64`; one
    /// row-major little-endian matrix per offset), checked as a weight file's are.
    fn with_matrices(&self, dtype: &str, matrices: Vec<Vec<u8>>) -> Result<Predictor> {
        let mats = core::matrices_from_bytes(dtype, &matrices)?;
        let held = self
            .held
            .with_matrices(mats, "weights replaced from Python")
            .map_err(bad)?;
        Ok(Predictor {
            held,
            machine: self.machine.clone(),
        })
    }

    /// Feeds each prompt to arsim's executor, then generates `n` tokens after it: one
    /// little-endian u32 byte string per prompt.
    fn generate<'py>(
        &self,
        py: Python<'py>,
        prompts: Vec<Vec<i64>>,
        n: usize,
    ) -> Result<Vec<Bound<'py, PyBytes>>> {
        let out = interruptible(py, |tick| {
            Ok(self.held.generate(&prompts, n, &mut |_| tick())?)
        })?;
        Ok(out
            .into_iter()
            .map(|row| PyBytes::new(py, &id_bytes(row.into_iter().map(|t| t.0))))
            .collect())
    }
}

/// Loads a machine file or standard string (with its own input, if its file has one).
#[pyfunction]
#[pyo3(signature = (arg, format=None, lenient=false, undefined=None, start=None))]
fn load(
    py: Python<'_>,
    arg: &str,
    format: Option<&str>,
    lenient: bool,
    undefined: Option<&str>,
    start: Option<String>,
) -> Result<Machine> {
    let request = MachineRequest {
        machine: arg.to_string(),
        options: LoadOptions {
            format: format
                .map(|f| option::<MachineFormat>("format", f))
                .transpose()?,
            lenient,
            undefined: undefined
                .map(|u| option::<Undefined>("undefined", u))
                .transpose()?
                .unwrap_or_default(),
            start,
            input: None,
        },
        input: InputSource::Own,
    };
    let own = py.allow_threads(|| api::load_run(&request)).map_err(bad)?;
    Ok(Machine {
        loaded: Loaded {
            request,
            own: Arc::new(own),
        },
    })
}

/// Reads a weight file (dense or sparse, any dtype arsim reads).
#[pyfunction]
fn load_weights(py: Python<'_>, path: PathBuf) -> Result<Predictor> {
    let held = py
        .allow_threads(|| HeldPredictor::read(&path))
        .map_err(bad)?;
    Ok(Predictor {
        held,
        machine: None,
    })
}

// ---------------------------------------------------------------- tasks::multiply

/// Pairs `(a, b)` and their chains as little-endian u32 bytes, row-major `[pairs, len]`.
type PairsAndChains<'py> = (Vec<(u32, u32)>, Bound<'py, PyBytes>);

fn cot(name: &str) -> Result<CotFormat> {
    option("cot", name)
}

#[pyfunction]
fn multiply_vocabulary() -> Vec<String> {
    tasks::multiply_vocabulary()
}

/// (tokens, prompt length, answer start) of a chain format.
#[pyfunction]
fn multiply_cot_shape(cot_name: &str) -> Result<(usize, usize, usize)> {
    let f = cot(cot_name)?;
    Ok((f.len(), f.prompt_len(), f.answer_range().start))
}

#[pyfunction]
fn multiply_chain(cot_name: &str, a: u32, b: u32) -> Result<Vec<u32>> {
    let ids = tasks::multiply_chain(cot(cot_name)?, a, b).map_err(bad)?;
    Ok(ids.into_iter().map(|t| t.0).collect())
}

#[pyfunction]
fn multiply_split_of(a: u32, b: u32) -> Result<&'static str> {
    Ok(tasks::multiply_pair(a, b).map_err(bad)?.split().name())
}

#[pyfunction]
fn multiply_split_sizes() -> (u64, u64, u64) {
    tasks::multiply_split_sizes()
}

/// (pairs, chains as little-endian u32 bytes `[batch, len]`).
#[pyfunction]
fn multiply_batch<'py>(
    py: Python<'py>,
    cot_name: &str,
    batch: usize,
    seed: u64,
    step: usize,
) -> Result<PairsAndChains<'py>> {
    let f = cot(cot_name)?;
    let (pairs, ids) = py.allow_threads(|| tasks::multiply_batch(f, batch, seed, step));
    let pairs = pairs.iter().map(|p| (p.a, p.b)).collect();
    Ok((
        pairs,
        PyBytes::new(py, &id_bytes(ids.into_iter().map(|t| t.0))),
    ))
}

#[pyfunction]
fn multiply_validation<'py>(
    py: Python<'py>,
    cot_name: &str,
    split: &str,
    n: usize,
) -> Result<PairsAndChains<'py>> {
    let f = cot(cot_name)?;
    let split = option::<tasks::Split>("split", split)?;
    let chains = py
        .allow_threads(|| tasks::multiply_validation(f, split, n))
        .map_err(bad)?;
    let pairs = chains.iter().map(|c| (c.pair.a, c.pair.b)).collect();
    let ids = chains.iter().flat_map(|c| c.tokens.iter().map(|t| t.0));
    Ok((pairs, PyBytes::new(py, &id_bytes(ids))))
}

#[pyfunction]
fn multiply_score(
    py: Python<'_>,
    cot_name: &str,
    split: &str,
    n: usize,
    generated: Vec<Vec<i64>>,
) -> Result<String> {
    let f = cot(cot_name)?;
    let split = option::<tasks::Split>("split", split)?;
    let score = py
        .allow_threads(|| tasks::multiply_score(f, split, n, &generated))
        .map_err(bad)?;
    Ok(json!(score))
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
            inner: py.allow_threads(|| Bpe::train(&stories, vocab)),
        }
    }

    #[staticmethod]
    fn load(path: PathBuf) -> Result<Tokenizer> {
        let inner = Bpe::load(&path).map_err(|e| bad(e.into()))?;
        Ok(Tokenizer { inner })
    }

    fn save(&self, path: PathBuf) -> Result<()> {
        self.inner.save(&path).map_err(|e| bad(e.into()))
    }

    #[getter]
    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    fn encode(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        py.allow_threads(|| self.inner.encode(text).into_iter().map(|t| t.0).collect())
    }

    fn encode_story(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        py.allow_threads(|| {
            self.inner
                .encode_story(text)
                .into_iter()
                .map(|t| t.0)
                .collect()
        })
    }

    fn decode(&self, ids: Vec<i64>) -> Result<String> {
        tasks::bpe_decode(&self.inner, &ids).map_err(bad)
    }

    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn to_hf_json(&self) -> Result<String> {
        tasks::bpe_hf_json(&self.inner).map_err(bad)
    }

    fn save_hf(&self, path: PathBuf) -> Result<()> {
        tasks::bpe_hf_save(&self.inner, &path).map_err(bad)
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
    fn fit(py: Python<'_>, order: usize, vocab: usize, sequences: Vec<Vec<i64>>) -> Result<Ngram> {
        let inner = py
            .allow_threads(|| tasks::ngram_fit(order, vocab, &sequences))
            .map_err(bad)?;
        Ok(Ngram { inner })
    }

    fn evaluate(&self, py: Python<'_>, tokenizer: &Tokenizer, stories: Vec<String>) -> String {
        py.allow_threads(|| {
            json!(tasks::ngram_evaluate(
                &self.inner,
                &tokenizer.inner,
                &stories
            ))
        })
    }

    fn describe(&self) -> String {
        json!(tasks::ngram_info(&self.inner))
    }
}

#[pyfunction]
fn text_corpus(py: Python<'_>, path: PathBuf) -> Result<Vec<String>> {
    py.allow_threads(|| tasks::read_stories(&path)).map_err(bad)
}

#[pyfunction]
fn text_split(stories: Vec<String>, seed: u64, fraction: f64) -> (Vec<usize>, Vec<usize>) {
    tasks::split_stories(&stories, seed, fraction)
}

#[pyfunction]
fn text_baselines(
    py: Python<'_>,
    path: PathBuf,
    vocab: usize,
    seed: u64,
    fraction: f64,
) -> Result<(String, Tokenizer)> {
    let (report, bpe) = py
        .allow_threads(|| tasks::text_baselines(&path, vocab, seed, fraction))
        .map_err(bad)?;
    Ok((json!(report), Tokenizer { inner: bpe }))
}

#[pyfunction]
fn bits_per_byte(total_nats: f64, bytes: usize) -> f64 {
    tasks::bits_per_byte(total_nats, bytes)
}

// ---------------------------------------------------------------- nn checkpoints

/// (info JSON, [(name, shape, little-endian f32 bytes)]).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn checkpoint_tensors<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> Result<(String, Vec<(String, Vec<usize>, Bound<'py, PyBytes>)>)> {
    let ck = py
        .allow_threads(|| api::checkpoint_tensors(&path))
        .map_err(bad)?;
    let tensors = ck
        .tensors
        .iter()
        .map(|(n, s, v)| {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (n.clone(), s.clone(), PyBytes::new(py, &bytes))
        })
        .collect();
    Ok((json!(ck), tensors))
}

/// (logits as little-endian f32 bytes `[batch, len, vocab]`, vocab).
#[pyfunction]
fn checkpoint_logits<'py>(
    py: Python<'py>,
    path: PathBuf,
    tokens: Vec<i64>,
    batch: usize,
) -> Result<(Bound<'py, PyBytes>, usize)> {
    let (logits, vocab) = py
        .allow_threads(|| api::checkpoint_logits(&path, &tokens, batch))
        .map_err(bad)?;
    let bytes: Vec<u8> = logits.iter().flat_map(|x| x.to_le_bytes()).collect();
    Ok((PyBytes::new(py, &bytes), vocab))
}

/// `arsim certify --hf DIR --json`: the model directory's predictor, construction and float
/// bound (the machine from `machine`, else the directory's own `machine.ron`).
#[pyfunction]
#[pyo3(signature = (dir, machine=None, precision="f32"))]
fn certify_hf(
    py: Python<'_>,
    dir: PathBuf,
    machine: Option<&Machine>,
    precision: &str,
) -> Result<String> {
    let m = machine.map(|m| m.loaded.own.machine.clone());
    let precision: api::Precision = option("precision", precision)?;
    interruptible(py, |tick| {
        Ok(json!(api::certify_hf(
            &dir,
            m.as_ref(),
            precision,
            &mut |_, _| tick()
        )?))
    })
}

/// A trained `--model transformer` checkpoint as a Hugging Face GPT-2 directory (its logits the
/// checkpoint's; `hf::checkpoint`); the export's facts as JSON.
#[pyfunction]
fn export_checkpoint_hf(py: Python<'_>, path: PathBuf, dir: PathBuf) -> Result<String> {
    let e = py
        .allow_threads(|| api::export_checkpoint_hf(&path, &dir))
        .map_err(bad)?;
    Ok(json!(e))
}

// ---------------------------------------------------------------- the command line

/// The command line (`arsim ARGS…`, the first argument the program's name): the binary's own
/// `main` (crate `python/cli`), run by the `arsim` console script. Returns the exit status. The
/// GIL is released: the command prints to the process's stdout and stderr itself.
#[pyfunction]
fn main(py: Python<'_>, args: Vec<std::ffi::OsString>) -> u8 {
    py.allow_threads(|| arsim_cli::main_with_args(args))
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
    m.add_function(wrap_pyfunction!(certify_hf, m)?)?;
    m.add_function(wrap_pyfunction!(export_checkpoint_hf, m)?)?;
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
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
