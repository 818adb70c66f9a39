//! Every call from the Python bindings into the arsim library, in one file.
//!
//! The bindings are a shell (STYLE.md): `lib.rs` converts Python values to the types below and
//! back, and this file calls the library. Nothing here decides a rule, checks a result or words
//! an error that the library or the command line already has; where the command line wraps a
//! library error with context ("machine bb4: …", "bad --input for machine …"), the same words
//! are used here so the two front ends cannot drift apart. When the library's shape changes
//! (the `Encoding` trait, typed weight metadata), only this file is re-pointed.
//!
//! Reports cross the border as `serde_json::Value`s built from the library's own `Serialize`
//! report types, so a Python dict has exactly the keys of `arsim … --json`.

use arsim::certify::{CertifyReport, LocalCertifyReport};
use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::sweep::compile::machine_to_sweep_predictor;
use arsim::emulate::{emulate_with, EmulateOptions};
use arsim::window::window_of_run;
use arsim::encoding::cells;
use arsim::window::Window;
use arsim::encoding::{AnyEncoding, Encoding, EncodingKind, Trace};
use arsim::executor::Executor;
use arsim::interpreter::RunReport;
use arsim::export::{
    read_safetensors, read_safetensors_f32, write_safetensors, write_safetensors_f32,
};
use arsim::encoding::WindowKind;
use arsim::learn::inputs::{InputSpec, Pattern};
use arsim::learn::outputs::OutputKind;
use arsim::learn::{learn as learn_machine, Algo, LearnOptions, LearnedPredictor, LearnerKind};
use arsim::machine::{load_machine_as, Input, Machine, MachineFormat};
use arsim::nn::{ArModel, Checkpoint};
use arsim::predictor::{LinearAr, LinearArF32, Predictor, TokenId};
use arsim::weights::DenseWeights;
use arsim::tasks::multiply::neural::{ChainBatches, EVAL_SEED};
use arsim::tasks::multiply::{CotFormat, Dataset, Pair, Split, Vocabulary, ANSWER_DIGITS};
use arsim::tasks::text::baselines::{run_baselines, BaselineOptions};
use arsim::tasks::text::bpe::Bpe;
use arsim::tasks::text::corpus::read_corpus;
use arsim::tasks::text::hf_tokenizer;
use arsim::tasks::text::metrics::{evaluate, EvalSet};
use arsim::tasks::text::ngram::{NgramModel, Order};
use arsim::tasks::text::split::split_stories;
use candle_core::{Device, Tensor};
use clap::ValueEnum;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::path::Path;

/// Why a call failed, in the command line's exit-code terms.
#[derive(Debug)]
pub enum Failure {
    /// Bad input (the command line's exit status 2), with its message.
    Input(String),
    /// A check that did not pass (exit status 1), with its message.
    Verification(String),
}

pub type Result<T> = std::result::Result<T, Failure>;

/// An error and its sources joined by ": ", as the command line prints them (anyhow's `{:#}`).
fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn bad(e: impl StdError) -> Failure {
    Failure::Input(chain(&e))
}

/// Parses a value of one of the library's option enums by the name the command line uses,
/// with clap's wording on failure.
pub fn parse_enum<T: ValueEnum>(what: &str, value: &str) -> Result<T> {
    T::from_str(value, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        Failure::Input(format!(
            "invalid value '{value}' for '{what}' [possible values: {}]",
            names.join(", ")
        ))
    })
}

// ---------------------------------------------------------------- machines

/// `machine::load_machine_as`: a file (.ron, .tm, .yaml, .seed[#N]) or a standard string.
pub fn load(arg: &str, format: Option<&str>) -> Result<Machine> {
    let format = format
        .map(|f| parse_enum::<MachineFormat>("--format", f))
        .transpose()?;
    load_machine_as(arg, format).map_err(bad)
}

/// `Machine::parse_input`, with the command line's context.
pub fn parse_input(m: &Machine, input: &str) -> Result<Input> {
    m.parse_input(input).map_err(|e| {
        Failure::Input(format!(
            "bad --input for machine {}: {}",
            m.name(),
            chain(&e)
        ))
    })
}

/// The machine's name.
pub fn name(m: &Machine) -> String {
    m.name().to_string()
}

/// The machine's alphabet, states, blank, start state and its file's example runs.
pub fn describe(m: &Machine) -> Value {
    json!({
        "name": m.name(),
        "description": m.description(),
        "symbols": m.symbols().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "blank": m.symbol_char(m.blank()).to_string(),
        "states": m.states(),
        "start": m.state_name(m.start()),
        "examples": m.examples().iter().map(|e| json!({
            "input": e.input_text,
            "steps": e.steps,
            "stop": e.stop,
            "max_steps": e.max_steps,
        })).collect::<Vec<_>>(),
    })
}

/// `interpreter::run_report`: the reference run, as `arsim run --json` reports it.
pub fn run(m: &Machine, input: &Input, max_steps: u64) -> RunReport {
    arsim::interpreter::run_report(m, input, max_steps)
}

/// The window of `--tape/--origin`, or the cells the run visits (`emulate::window_of_run`).
pub fn window(
    m: &Machine,
    input: &Input,
    tape: Option<usize>,
    origin: Option<usize>,
    max_steps: u64,
) -> Result<Window> {
    match (tape, origin) {
        (Some(size), origin) => Ok(Window {
            size,
            origin: origin.unwrap_or(0),
        }),
        (None, Some(_)) => Err(Failure::Input(
            "the argument '--origin <ORIGIN>' requires '--tape <TAPE>'".into(),
        )),
        (None, None) => Ok(window_of_run(m, input, max_steps)),
    }
}

/// A run as a token trace of `encoding`: token ids, the dictionary's labels, and how it ended.
pub fn trace(
    m: &Machine,
    input: &Input,
    encoding: EncodingKind,
    w: Window,
    max_steps: u64,
) -> Result<(Vec<u32>, Vec<String>, Value)> {
    let context = |e: &dyn std::fmt::Display| Failure::Input(format!("machine {}: {e}", m.name()));
    let enc = AnyEncoding::new(encoding, m, w).map_err(|e| context(&e))?;
    let mut t = enc.trace(m, input, max_steps).map_err(|e| context(&e))?;
    let ids = t.by_ref().map(|x| x.0).collect();
    let end = Trace::end(&t).map(|e| match e {
        cells::TraceEnd::Final(stop) => stop.name().to_string(),
        cells::TraceEnd::StepLimit => "step-limit".to_string(),
        cells::TraceEnd::LeftWindow(w) => format!("left-window: {w}"),
    });
    let info = json!({
        "machine": m.name(),
        "encoding": encoding.name(),
        "tape_cells": w.size,
        "origin": w.origin,
        "prompt_tokens": enc.row_len(),
        "steps": Trace::steps(&t),
        "end": end,
    });
    Ok((ids, enc.token_names(m), info))
}

// ---------------------------------------------------------------- predictors

/// A time-invariant linear predictor's weights, as compiled or read from a file.
#[derive(Clone, Debug)]
pub enum Weights {
    /// `int32` weights: compiled, or learned by the perceptron.
    Int(LinearAr),
    /// `float32` weights: learned by softmax regression.
    Float(LinearArF32),
}

impl Weights {
    /// The token names, offsets and offset names.
    pub fn layout(&self) -> &arsim::predictor::Layout {
        match self {
            Weights::Int(p) => p.layout(),
            Weights::Float(p) => p.layout(),
        }
    }

    /// Each offset's `[vocab, vocab]` matrix, row-major (row = output token), as `f64`s when
    /// float and `i32`s when integer; `dtype` says which.
    pub fn matrices(&self) -> (&'static str, Vec<Vec<u8>>) {
        fn rows<T: nalgebra::Scalar + Copy>(
            ws: &[nalgebra::DMatrix<T>],
            bytes: impl Fn(T) -> [u8; 4],
        ) -> Vec<Vec<u8>> {
            ws.iter()
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
        match self {
            Weights::Int(p) => ("int32", rows(p.weights(), i32::to_le_bytes)),
            Weights::Float(p) => ("float32", rows(p.weights(), f32::to_le_bytes)),
        }
    }
}

/// The same layout with new matrices (`dtype` `int32` or `float32`; one row-major
/// `[vocab, vocab]` little-endian matrix per offset), e.g. weights edited in numpy.
pub fn replace_weights(w: &Weights, dtype: &str, mats: &[Vec<u8>]) -> Result<Weights> {
    let layout = w.layout().clone();
    let v = layout.tokens.len();
    if mats.len() != layout.offsets.len() {
        return Err(Failure::Input(format!(
            "{} matrices for {} offsets {:?}",
            mats.len(),
            layout.offsets.len(),
            layout.offsets
        )));
    }
    if let Some((k, m)) = mats.iter().enumerate().find(|(_, m)| m.len() != v * v * 4) {
        return Err(Failure::Input(format!(
            "the matrix of offset {} has {} entries; the dictionary has {v} tokens, so it must be {v}×{v}",
            layout.offset_names[k],
            m.len() / 4
        )));
    }
    let words = |m: &Vec<u8>| -> Vec<[u8; 4]> {
        m.chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect()
    };
    match dtype {
        "int32" => Ok(Weights::Int(LinearAr::new(
            layout,
            mats.iter()
                .map(|m| {
                    let vals: Vec<i32> = words(m).into_iter().map(i32::from_le_bytes).collect();
                    nalgebra::DMatrix::from_row_slice(v, v, &vals)
                })
                .collect(),
        ))),
        "float32" => Ok(Weights::Float(LinearArF32::from_weights(
            layout,
            mats.iter()
                .map(|m| {
                    let vals: Vec<f32> = words(m).into_iter().map(f32::from_le_bytes).collect();
                    nalgebra::DMatrix::from_row_slice(v, v, &vals)
                })
                .collect(),
        ))),
        other => Err(Failure::Input(format!(
            "weights of dtype {other}: arsim's predictors hold int32 or float32"
        ))),
    }
}

/// The compiled predictor of `encoding` (the command line's `compile`).
pub fn compile(m: &Machine, encoding: EncodingKind, w: Window) -> Result<LinearAr> {
    match encoding {
        EncodingKind::Cells => Ok(machine_to_cells_predictor(m, w)),
        EncodingKind::Sweep => machine_to_sweep_predictor(m, w).map_err(bad),
        EncodingKind::Gates => Err(Failure::Input(
            "the gates encoding compiles to a time-dependent predictor over {0, 1}, not to offset matrices"
                .into(),
        )),
    }
}

/// The metadata `arsim compile --out` writes beside the weights.
pub fn compile_meta(m: &Machine, encoding: EncodingKind, w: Window) -> HashMap<String, String> {
    [
        ("machine", m.name().to_string()),
        ("encoding", encoding.name().to_string()),
        ("window_size", w.size.to_string()),
        ("origin", w.origin.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The window recorded in a weight file's metadata, when it records one.
pub fn meta_window(meta: &HashMap<String, String>) -> Option<Window> {
    let get = |k: &str| meta.get(k).and_then(|v| v.parse::<usize>().ok());
    Some(Window {
        size: get("window_size")?,
        origin: get("origin")?,
    })
}

/// The encoding recorded in a weight file's metadata (`cells` when absent).
pub fn meta_encoding(meta: &HashMap<String, String>) -> Result<EncodingKind> {
    parse_enum(
        "--encoding",
        meta.get("encoding").map_or("cells", String::as_str),
    )
}

/// `export::read_safetensors` or `read_safetensors_f32`, by the file's `dtype` metadata.
pub fn load_weights(path: &Path) -> Result<(Weights, HashMap<String, String>)> {
    // Try integers first; a float file is refused by its tensors' dtype, and then read as floats.
    match read_safetensors(path) {
        Ok((p, meta)) => Ok((Weights::Int(p), meta)),
        Err(int_err) => match read_safetensors_f32(path) {
            Ok((p, meta)) => Ok((Weights::Float(p), meta)),
            Err(_) => Err(bad(int_err)),
        },
    }
}

/// `export::write_safetensors` / `write_safetensors_f32` (whole, or not at all).
pub fn save_weights(w: &Weights, meta: &HashMap<String, String>, path: &Path) -> Result<()> {
    // The library writes the layout keys itself; pass the rest through.
    const OWN: [&str; 5] = ["format", "dtype", "tokens", "offsets", "offset_names"];
    let mut extra: Vec<(&str, String)> = meta
        .iter()
        .filter(|(k, _)| !OWN.contains(&k.as_str()) && k.as_str() != "rule")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    extra.sort();
    match w {
        Weights::Int(p) => write_safetensors(p, &extra, path),
        Weights::Float(p) => write_safetensors_f32(p, &extra, path),
    }
    .map_err(bad)
}

/// `emulate::emulate_with`: the predictor (integer or float) run from the prompt of `input`
/// under `encoding`, every token checked against the interpreter. The report is
/// `arsim emulate --json`'s.
pub fn emulate(
    m: &Machine,
    encoding: EncodingKind,
    w: &Weights,
    window: Window,
    input: Input,
    max_steps: u64,
) -> Result<Value> {
    let enc = AnyEncoding::new(encoding, m, window).map_err(bad)?;
    let opts = EmulateOptions {
        input,
        window: Some(window),
        max_steps,
    };
    let report = match w {
        Weights::Int(p) => emulate_with(&enc, m, p.clone(), &opts, &mut |_| {}),
        Weights::Float(p) => emulate_with(&enc, m, p.clone(), &opts, &mut |_| {}),
    }
    .map_err(|e| Failure::Input(format!("machine {}: {e}", m.name())))?;
    Ok(serde_json::to_value(&report).unwrap_or_default())
}

/// The command line's verdict on an emulation report: `None` when it passed, else the failure
/// and its message (a run that left the window is bad input; a divergence failed verification).
pub fn emulation_verdict(report: &Value) -> Option<Failure> {
    if let Some(why) = report.get("left_window").and_then(Value::as_str) {
        return Some(Failure::Input(format!(
            "{why}; the trace was verified up to there. Give a larger --tape (or leave it out to use the cells the run visits)"
        )));
    }
    if report.get("agree").and_then(Value::as_bool) != Some(true) {
        let d = report
            .get("first_divergence")
            .cloned()
            .unwrap_or(Value::Null);
        return Some(Failure::Verification(format!(
            "the predictor diverged from the interpreter: {d}"
        )));
    }
    None
}

/// The encoding's certificate: every local context, as `arsim certify --json`.
pub fn certify(m: &Machine, encoding: EncodingKind, w: &Weights, window: Window) -> Result<Value> {
    let enc = AnyEncoding::new(encoding, m, window).map_err(bad)?;
    let dense = arsim::weights::Weights::Dense(match w {
        Weights::Int(p) => DenseWeights::Int(p.clone()),
        Weights::Float(p) => DenseWeights::F32(p.clone()),
    });
    let cert = match enc.certify(m, &dense, &Input::default(), &mut |_, _| {}).map_err(bad)? {
        CertifyReport::Local(c) => c,
        CertifyReport::Gates(_) => {
            return Err(Failure::Input(
                "the gates encoding is certified gate by gate, not as offset matrices".into(),
            ))
        }
    };
    let report = LocalCertifyReport {
        machine: m.name().to_string(),
        encoding: encoding.name(),
        tape_cells: window.size,
        certificate: &cert,
    };
    Ok(serde_json::to_value(&report).unwrap_or_default())
}

/// `executor::Executor`: feeds `prompt`, then generates `n` tokens greedily.
pub fn generate(w: &Weights, prompt: &[u32], n: usize) -> Result<Vec<u32>> {
    fn go<P: Predictor>(p: P, prompt: &[u32], n: usize) -> Result<Vec<u32>> {
        let vocab = p.vocab() as u32;
        if let Some((i, &t)) = prompt.iter().enumerate().find(|(_, &t)| t >= vocab) {
            return Err(Failure::Input(format!(
                "prompt token {i} is {t}; the predictor's tokens are 0..{vocab}"
            )));
        }
        let mut exec = Executor::new(p);
        for &t in prompt {
            exec.feed(TokenId(t));
        }
        Ok((0..n).map(|_| exec.step().0).collect())
    }
    match w {
        Weights::Int(p) => go(p.clone(), prompt, n),
        Weights::Float(p) => go(p.clone(), prompt, n),
    }
}

/// The options of `arsim learn`, by the command line's names.
pub struct LearnArgs {
    pub encoding: String,
    pub train: usize,
    pub test: usize,
    pub seed: u64,
    pub algo: String,
    pub window: String,
    pub outputs: String,
    pub learner: String,
    pub pattern: Option<String>,
    pub alphabet: Option<String>,
    pub lengths: Option<Vec<usize>>,
    pub inputs: Option<Vec<String>>,
    pub max_steps: u64,
    pub max_passes: usize,
    pub margin: i32,
    pub epochs: Option<usize>,
}

impl LearnArgs {
    /// The defaults of `arsim learn` for `m` (`LearnOptions::for_machine`).
    pub fn defaults(m: &Machine) -> LearnArgs {
        let o = LearnOptions::for_machine(m);
        let name = |v: Option<clap::builder::PossibleValue>| {
            v.map(|p| p.get_name().to_string()).unwrap_or_default()
        };
        LearnArgs {
            encoding: o.encoding.name().to_string(),
            train: o.train,
            test: o.test,
            seed: o.seed,
            algo: name(o.algo.to_possible_value()),
            window: name(o.window.to_possible_value()),
            outputs: name(o.outputs.to_possible_value()),
            learner: name(o.learner.to_possible_value()),
            pattern: None,
            alphabet: None,
            lengths: None,
            inputs: None,
            max_steps: o.max_steps,
            max_passes: o.max_passes,
            margin: o.margin,
            epochs: None,
        }
    }
}

/// `learn::learn`, as `arsim learn` runs it: the report (its `--json`), and the learned
/// time-invariant weights with the metadata `learn --out` writes.
pub fn learn(
    m: &Machine,
    a: &LearnArgs,
) -> Result<(Value, Option<(Weights, HashMap<String, String>)>)> {
    let name = m.name().to_string();
    let inputs = if let Some(list) = &a.inputs {
        let words = list
            .iter()
            .map(|w| {
                let word = m
                    .parse_input(w)
                    .map_err(|e| e.to_string())
                    .and_then(|i| i.into_word_from_first_cell().map_err(|e| e.to_string()));
                word.map_err(|e| Failure::Input(format!("bad --inputs for machine {name}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        InputSpec::Listed(words)
    } else {
        let pattern = match (&a.pattern, &a.alphabet) {
            (Some(p), _) => Pattern::parse(m, p).map_err(|e| {
                Failure::Input(format!("bad --pattern for machine {name}: {}", chain(&e)))
            })?,
            (None, Some(al)) => Pattern::words_over(&m.parse_input(al).map_err(|e| {
                Failure::Input(format!("bad --alphabet for machine {name}: {}", chain(&e)))
            })?),
            (None, None) => Pattern::from_examples(m),
        };
        InputSpec::Random {
            pattern,
            lengths: a.lengths.clone(),
            eval_lengths: None,
        }
    };
    let mut opts = LearnOptions::for_machine(m);
    opts.encoding = parse_enum("--encoding", &a.encoding)?;
    opts.inputs = inputs;
    opts.train = a.train;
    opts.test = a.test;
    opts.seed = a.seed;
    opts.algo = parse_enum::<Algo>("--algo", &a.algo)?;
    opts.window = parse_enum::<WindowKind>("--window", &a.window)?;
    opts.outputs = parse_enum::<OutputKind>("--outputs", &a.outputs)?;
    opts.learner = parse_enum::<LearnerKind>("--learner", &a.learner)?;
    opts.max_steps = a.max_steps;
    opts.max_passes = a.max_passes;
    opts.margin = a.margin;
    if let Some(e) = a.epochs {
        opts.softmax.epochs = e;
    }
    let learned = learn_machine(m, &opts, &mut |_| {})
        .map_err(|e| Failure::Input(format!("machine {name}: {e}")))?;
    let r = &learned.report;
    let meta: HashMap<String, String> = [
        ("machine", name.clone()),
        ("encoding", r.encoding.to_string()),
        ("window_size", learned.window.size.to_string()),
        ("origin", learned.window.origin.to_string()),
        (
            "learned",
            format!(
                "{:?} seed {} on {} traces",
                r.algo, r.seed, r.training.traces
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let weights = match learned.predictor {
        LearnedPredictor::Integer(w) => Some((Weights::Int(w), meta)),
        LearnedPredictor::Float(w) => Some((Weights::Float(w), meta)),
        LearnedPredictor::TimeDependent(_) => None,
    };
    Ok((serde_json::to_value(r).unwrap_or_default(), weights))
}

// ---------------------------------------------------------------- tasks::multiply

/// The 117 words of the multiplication vocabulary, by id.
pub fn multiply_vocabulary() -> Vec<String> {
    Vocabulary::new().words().to_vec()
}

/// A chain of thought by its `--cot` name.
pub fn cot(name: &str) -> Result<CotFormat> {
    parse_enum("--cot", name)
}

/// `CotFormat`'s lengths: (tokens, prompt, answer start).
pub fn cot_shape(f: CotFormat) -> (usize, usize, usize) {
    (f.len(), f.prompt_len(), f.answer_range().start)
}

/// The pair a × b (each below 10^4).
pub fn pair(a: u32, b: u32) -> Result<Pair> {
    Pair::new(a, b).map_err(bad)
}

/// The chain of thought of a × b.
pub fn multiply_chain(f: CotFormat, a: u32, b: u32) -> Result<Vec<u32>> {
    Ok(f.chain(pair(a, b)?).tokens.iter().map(|t| t.0).collect())
}

/// Which side of the fixed split a × b is on.
pub fn multiply_split_of(a: u32, b: u32) -> Result<&'static str> {
    Ok(match pair(a, b)?.split() {
        Split::Train => "train",
        Split::Validation => "validation",
        Split::Test => "test",
    })
}

/// The number of pairs in each side of the split.
pub fn multiply_split_sizes() -> (u64, u64, u64) {
    (Split::Train.len(), Split::Validation.len(), Split::Test.len())
}

/// Training batch `step` of a run (`ChainBatches`): the pairs and their whole chains,
/// row-major `[batch, len]`.
pub fn multiply_batch(
    f: CotFormat,
    batch: usize,
    seed: u64,
    step: usize,
) -> (Vec<(u32, u32)>, Vec<u32>) {
    let pairs = ChainBatches {
        format: f,
        batch,
        seed,
    }
    .pairs(step);
    let ids = pairs
        .iter()
        .flat_map(|&p| f.chain(p).tokens.into_iter().map(|t| t.0))
        .collect();
    (pairs.iter().map(|p| (p.a, p.b)).collect(), ids)
}

/// The fixed validation sample of `arsim task multiply --eval n` (seed `EVAL_SEED`).
pub fn multiply_validation(f: CotFormat, n: usize) -> (Vec<(u32, u32)>, Vec<u32>) {
    let chains = Dataset::new(Split::Validation, f).sample_chains(n, EVAL_SEED);
    let pairs = chains.iter().map(|c| (c.pair.a, c.pair.b)).collect();
    let ids = chains
        .iter()
        .flat_map(|c| c.tokens.iter().map(|t| t.0))
        .collect();
    (pairs, ids)
}

/// Scores greedily decoded chains of the validation sample with `Chain::digits_correct`, the
/// rule of `decode_and_score`: `generated` is row-major `[n, len]`, row k the chain decoded
/// from the prompt of sample pair k.
pub fn multiply_score(f: CotFormat, n: usize, generated: &[u32]) -> Result<Value> {
    let chains = Dataset::new(Split::Validation, f).sample_chains(n, EVAL_SEED);
    let len = f.len();
    if generated.len() != chains.len() * len {
        return Err(Failure::Input(format!(
            "expected {} chains of {len} tokens (the validation sample of {n} pairs, --cot {}), got {} tokens",
            chains.len(),
            f.name(),
            generated.len()
        )));
    }
    let vocab = Vocabulary::new();
    let (mut exact, mut digits, mut chains_exact) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for (k, (chain, row)) in chains.iter().zip(generated.chunks(len)).enumerate() {
        let row: Vec<TokenId> = row.iter().map(|&t| TokenId(t)).collect();
        if row[..chain.prompt_len()] != *chain.prompt() {
            return Err(Failure::Input(format!(
                "chain {k} does not start with the prompt of validation pair {}×{}",
                chain.pair.a, chain.pair.b
            )));
        }
        let right = chain.digits_correct(&row);
        digits += right;
        if right == ANSWER_DIGITS {
            exact += 1;
        } else if wrong.len() < 3 {
            wrong.push(json!({
                "pair": format!("{}×{}", chain.pair.a, chain.pair.b),
                "expected": format!("{:08}", chain.pair.product()),
                "generated": vocab.decode(&row[chain.answer_range()]).unwrap_or_else(|_| "?".into()),
            }));
        }
        if row == chain.tokens {
            chains_exact += 1;
        }
    }
    let pairs = chains.len();
    Ok(json!({
        "pairs": pairs,
        "exact": exact,
        "exact_rate": exact as f64 / pairs.max(1) as f64,
        "digits_correct": digits,
        "per_digit_accuracy": digits as f64 / (ANSWER_DIGITS * pairs).max(1) as f64,
        "chains_exact": chains_exact,
        "wrong_examples": wrong,
    }))
}

// ---------------------------------------------------------------- tasks::text

/// `corpus::read_corpus`: the stories of a TinyStories-format file.
pub fn text_corpus(path: &Path) -> Result<Vec<String>> {
    Ok(read_corpus(path).map_err(bad)?.stories().to_vec())
}

/// `split::split_stories`: (training, validation) story indices.
pub fn text_split(stories: &[String], seed: u64, fraction: f64) -> (Vec<usize>, Vec<usize>) {
    let s = split_stories(stories, seed, fraction);
    (s.train, s.validation)
}

/// `Bpe::train`.
pub fn bpe_train(stories: &[String], vocab: usize) -> Bpe {
    Bpe::train(stories, vocab)
}

/// `Bpe::load`.
pub fn bpe_load(path: &Path) -> Result<Bpe> {
    Bpe::load(path).map_err(bad)
}

/// `Bpe::save`.
pub fn bpe_save(b: &Bpe, path: &Path) -> Result<()> {
    b.save(path).map_err(bad)
}

/// `Bpe::encode` (a literal `<|endoftext|>` is the special token).
pub fn bpe_encode(b: &Bpe, text: &str) -> Vec<u32> {
    b.encode(text).into_iter().map(|t| t.0).collect()
}

/// `Bpe::encode_story`: the story's tokens and the end token.
pub fn bpe_encode_story(b: &Bpe, text: &str) -> Vec<u32> {
    b.encode_story(text).into_iter().map(|t| t.0).collect()
}

/// `Bpe::decode`, checking the ids first.
pub fn bpe_decode(b: &Bpe, ids: &[u32]) -> Result<String> {
    check_ids(ids, b.vocab_size())?;
    Ok(b.decode(&ids.iter().map(|&t| TokenId(t)).collect::<Vec<_>>()))
}

/// `Bpe::vocab_size`.
pub fn bpe_vocab_size(b: &Bpe) -> usize {
    b.vocab_size()
}

/// `Bpe::to_json` (arsim's own format).
pub fn bpe_json(b: &Bpe) -> String {
    b.to_json()
}

/// `hf_tokenizer::to_json`: the tokenizer as a Hugging Face `tokenizers` file.
pub fn bpe_hf_json(b: &Bpe) -> Result<String> {
    hf_tokenizer::to_json(b).map_err(bad)
}

/// `hf_tokenizer::write`: the Hugging Face file, written whole.
pub fn bpe_hf_save(b: &Bpe, path: &Path) -> Result<()> {
    hf_tokenizer::write(b, path).map_err(bad)
}

fn check_ids(ids: &[u32], vocab: usize) -> Result<()> {
    match ids.iter().enumerate().find(|(_, &t)| t as usize >= vocab) {
        Some((i, t)) => Err(Failure::Input(format!(
            "token {i} is {t}; the vocabulary is 0..{vocab}"
        ))),
        None => Ok(()),
    }
}

/// `NgramModel::fit` on token sequences.
pub fn ngram_fit(order: usize, vocab: usize, sequences: Vec<Vec<u32>>) -> Result<NgramModel> {
    let order = match order {
        1 => Order::Unigram,
        2 => Order::Bigram,
        3 => Order::Trigram,
        n => {
            return Err(Failure::Input(format!(
                "n-gram order {n}: the baselines are unigram (1), bigram (2) and trigram (3)"
            )))
        }
    };
    for s in &sequences {
        check_ids(s, vocab)?;
    }
    let seqs: Vec<Vec<TokenId>> = sequences
        .into_iter()
        .map(|s| s.into_iter().map(TokenId).collect())
        .collect();
    Ok(NgramModel::fit(order, vocab, &seqs))
}

/// `metrics::evaluate` of an n-gram model on stories: cross-entropy, perplexity, bits per byte.
pub fn ngram_evaluate(model: &NgramModel, b: &Bpe, stories: &[String]) -> Value {
    let set = EvalSet::new(stories, b);
    serde_json::to_value(evaluate(model, &set)).unwrap_or_default()
}

/// The n-gram model's name and size.
pub fn ngram_describe(model: &NgramModel) -> Value {
    json!({ "model": model.order().name(), "parameters": model.parameters(), "discounts": model.discounts() })
}

/// `baselines::run_baselines`: the table of `arsim task text --baselines`, and its tokenizer.
pub fn text_baselines(path: &Path, vocab: usize, seed: u64, fraction: f64) -> Result<(Value, Bpe)> {
    let corpus = read_corpus(path).map_err(bad)?;
    let b = run_baselines(
        &corpus,
        &BaselineOptions {
            vocab,
            seed,
            validation_fraction: fraction,
        },
    );
    Ok((serde_json::to_value(&b.report).unwrap_or_default(), b.bpe))
}

/// Bits per byte from a total negative log-likelihood in nats (the rule of `metrics::evaluate`).
pub fn bits_per_byte(total_nats: f64, bytes: usize) -> f64 {
    total_nats / std::f64::consts::LN_2 / bytes.max(1) as f64
}

// ---------------------------------------------------------------- nn checkpoints

/// `Checkpoint::load`: the model's configuration, the task, and every parameter tensor (AdamW's
/// moments left out) as (shape, little-endian `float32` bytes).
pub fn checkpoint_tensors(path: &Path) -> Result<(Value, Vec<(String, Vec<usize>, Vec<u8>)>)> {
    let ck = Checkpoint::load(path, &Device::Cpu).map_err(bad)?;
    let mut out = Vec::new();
    for (name, t) in &ck.tensors {
        if name.starts_with("adam.") {
            continue;
        }
        let t = t
            .to_dtype(candle_core::DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|f| f.to_vec1::<f32>())
            .map_err(|e| Failure::Input(format!("{}: tensor {name}: {e}", path.display())))?;
        let shape = ck.tensors[name].dims().to_vec();
        out.push((
            name.clone(),
            shape,
            t.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let info = json!({ "config": ck.config, "task": ck.task, "step": ck.step });
    Ok((info, out))
}

/// `ArModel::forward` of a checkpoint's model on `tokens` (`[batch, len]`, row-major): the
/// logits `[batch, len, vocab]`, row-major `float32`.
pub fn checkpoint_logits(path: &Path, tokens: &[u32], batch: usize) -> Result<(Vec<f32>, usize)> {
    let ck = Checkpoint::load(path, &Device::Cpu).map_err(bad)?;
    let (model, _): (ArModel, _) = ck.restore().map_err(bad)?;
    let vocab = model.config().vocab;
    check_ids(tokens, vocab)?;
    let len = tokens.len() / batch.max(1);
    let context = model.config().context;
    if batch == 0 || len == 0 || len * batch != tokens.len() || len > context {
        return Err(Failure::Input(format!(
            "tokens must be [batch, len] with 1 ≤ len ≤ the model's context {context}"
        )));
    }
    let nn = |e: candle_core::Error| Failure::Input(format!("{}: {e}", path.display()));
    let x = Tensor::from_vec(tokens.to_vec(), (batch, len), &Device::Cpu).map_err(nn)?;
    let logits = model
        .forward(&x)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(nn)?;
    Ok((logits, vocab))
}
