//! Every flag of `arsim`, as clap definitions: what was typed. The commands turn these into
//! the library's own types ([`WindowArgs::window`]); the task flags are in `task_flags.rs`.

use crate::task_flags::TaskCommand;
use arsim::api::Precision;
use arsim::encoding::EncodingKind;
use arsim::encoding::WindowKind;
use arsim::learn::outputs::OutputKind;
use arsim::learn::softmax::SoftmaxOptions;
use arsim::learn::{Algo, LearnOptions, LearnerKind};
use arsim::machine::{MachineFormat, Undefined};
use arsim::window::Window;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Auto-regressive linear predictors that emulate Turing machines, token by token, verified.
///
/// arsim makes executable the theorem that linear next-token predictors, given chain-of-thought
/// tokens, can emulate any Turing machine (Malach, ICML 2024). A MACHINE is a `.ron` file
/// (see machines/), a Morphett (.tm), turingmachine.io (.yaml) or bbchallenge seed (.seed, with
/// FILE#N for machine N of a database) file, or a bbchallenge standard-format string such as
/// 1RB1LB_1LA1RZ. The format comes from the extension, else the content; --format forces it.
///
/// Exit codes: 0 success; 1 a verification or certification failed; 2 bad input or usage.
#[derive(Parser, Debug)]
#[command(name = "arsim", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the reference interpreter: steps, why it stopped, final state and tape.
    ///
    /// Example: arsim run machines/bb5.ron   (47,176,870 steps, 4,098 non-blank cells)
    Run {
        #[command(flatten)]
        machine: MachineArgs,
        /// Step limit.
        #[arg(long, default_value_t = 1_000_000_000)]
        max_steps: u64,
    },
    /// Compile the machine, run the linear predictor token by token from the prompt, and check
    /// every generated token against the interpreter.
    ///
    /// Prints the length complexity (generated tokens), agreement, the first divergence if any,
    /// and tokens per second. Without --tape the window is the cells the run visits.
    /// Example: arsim emulate machines/bb4.ron
    Emulate {
        #[command(flatten)]
        machine: MachineArgs,
        #[command(flatten)]
        window: WindowArgs,
        /// The encoding of runs as token traces.
        #[arg(long, value_enum, default_value_t = EncodingKind::Cells)]
        encoding: EncodingKind,
        /// Step limit (the emulation covers at most this many steps).
        #[arg(long, default_value_t = 10_000_000)]
        max_steps: u64,
        /// Run these weights (a safetensors file from `compile --out`, possibly edited or
        /// learned) instead of compiling the machine.
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Executor for `cells`: rows (a whole row at once, on up to two cores), tokens (one
        /// token at a time), or auto (rows when the predictor's offsets allow it).
        #[arg(long, value_enum, default_value_t = arsim::rows::ExecutorChoice::Auto)]
        executor: arsim::rows::ExecutorChoice,
        /// Threads of the rows executor: 1 or 2 (default: 2 where the machine has two cores;
        /// rows shorter than 2,048 tokens run on one).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
        threads: Option<u8>,
        /// The row executor's compiled path: avx512 (AVX-512 VBMI, 64 tokens a step), avx2 (32
        /// a step), portable (plain Rust, any CPU), or auto (the best this CPU has). A path the
        /// CPU lacks is refused.
        #[arg(long, value_enum, default_value_t = arsim::rows::RowIsa::Auto)]
        isa: arsim::rows::RowIsa,
    },
    /// Compile the machine to a linear predictor and describe or write its weights.
    ///
    /// --out FILE.safetensors writes one int32 matrix per offset with every row and column
    /// labelled in the metadata (numpy/PyTorch can load it). --list prints every non-zero
    /// weight as W[output ← (offset, input)] = value.
    Compile {
        #[command(flatten)]
        machine: MachineArgs,
        #[command(flatten)]
        window: WindowArgs,
        /// The encoding.
        #[arg(long, value_enum, default_value_t = EncodingKind::Cells)]
        encoding: EncodingKind,
        /// Write the weights to this safetensors file (whole, or not at all).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print every non-zero weight with its labels.
        #[arg(long)]
        list: bool,
        /// Draw the weights as labelled heatmaps (one panel per offset): FILE.png or FILE.svg.
        #[arg(long, value_parser = picture_path, conflicts_with_all = ["png", "svg"])]
        plot: Option<PathBuf>,
        /// The old spelling of --plot FILE.png, kept for one version.
        #[arg(long, value_parser = png_path, hide = true)]
        png: Option<PathBuf>,
        /// The old spelling of --plot FILE.svg, kept for one version.
        #[arg(long, value_parser = svg_path, hide = true)]
        svg: Option<PathBuf>,
        /// Also write the predictor as a Hugging Face GPT-2 model directory (config.json,
        /// model.safetensors, tokenizer): `AutoModelForCausalLM.from_pretrained(DIR)` loads it and
        /// its greedy generate() is this predictor (proofs/transformer.md).
        #[arg(long, value_name = "DIR")]
        hf: Option<PathBuf>,
        /// The model's context length with --hf, `<bos>` included [default: the trace of the
        /// input, plus one].
        #[arg(long, value_name = "N", requires = "hf")]
        context: Option<usize>,
    },
    /// Check the compiled weights on every local context a valid trace can contain.
    ///
    /// Together with proofs/cells.md (or proofs/sweep.md) this proves the emulation right for
    /// every input that stays inside the window. Prints the contexts checked and the minimum
    /// margin.
    Certify {
        #[command(flatten)]
        machine: MachineArgs,
        #[command(flatten)]
        window: WindowArgs,
        /// The encoding.
        #[arg(long, value_enum, default_value_t = EncodingKind::Cells)]
        encoding: EncodingKind,
        /// Certify these weights (a safetensors file) instead of the compiled ones.
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Certify a model directory written by `compile --hf`: its predictor on every local
        /// context, the model against the construction bit for bit, and the float bound (f32
        /// and bf16) at every position before its context length.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["weights", "encoding", "tape"])]
        hf: Option<PathBuf>,
        /// The precision the --hf verdict is for (both are bounded and reported): the model
        /// is certified, exit 0, only where the bound holds at this one.
        #[arg(long, value_enum, default_value_t = Precision::F32, requires = "hf")]
        precision: Precision,
    },
    /// Measure length complexity (generated tokens) against tape size or input length.
    ///
    /// Every count is measured by running the predictor with every token verified, and checked
    /// against the encoding's formula (cells: T·(S+1); sweep: (L+[final])·(S+1), L left moves).
    /// With --random, a log-log fit gives the growth exponent of tokens against input
    /// length.
    /// Examples: arsim length machines/binary-increment.ron --tape 8,16,32,64
    ///           arsim length machines/binary-add.ron --random --lengths 2,4,8,16
    Length {
        #[command(flatten)]
        machine: MachineArgs,
        /// Encodings to measure, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "cells")]
        encoding: Vec<EncodingKind>,
        /// Window sizes S for a fixed input (--input), comma-separated.
        #[arg(long = "tape", alias = "tapes", value_name = "S", value_delimiter = ',', conflicts_with_all = ["random", "inputs_random"])]
        tapes: Vec<usize>,
        /// Draw inputs from the machine's input distribution (its `inputs` field), of the
        /// --lengths given.
        #[arg(long, requires = "lengths")]
        random: bool,
        /// The old spelling of --random (`--inputs random`), kept for one version.
        #[arg(long = "inputs", id = "inputs_random", value_parser = ["random"], requires = "lengths", hide = true)]
        inputs_random: Option<String>,
        /// Input lengths for --random.
        #[arg(long, value_delimiter = ',')]
        lengths: Vec<usize>,
        /// Inputs drawn per length.
        #[arg(long = "per-length", alias = "samples", default_value_t = 3)]
        per_length: usize,
        /// Seed for the inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Step limit per run.
        #[arg(long, default_value_t = 1_000_000)]
        max_steps: u64,
        /// Draw tokens against S or n on log-log axes, one line per encoding (.svg or .png).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// The experiments: `parity` (chains of thought of different lengths for n-bit parity),
    /// `multiply` (4-digit multiplication's data), `text` (TinyStories baselines).
    Task {
        #[command(subcommand)]
        task: TaskCommand,
    },
    /// Print the chain of thought: one row per step, the head's cell marked [state].
    Trace {
        #[command(flatten)]
        machine: MachineArgs,
        #[command(flatten)]
        window: WindowArgs,
        /// Step limit.
        #[arg(long, default_value_t = 10_000)]
        max_steps: u64,
        /// Print the token names instead of the compact row.
        #[arg(long)]
        tokens: bool,
        /// Write the viewer page (`arsim serve`'s) with this run embedded, to open with no
        /// server: FILE.html
        #[arg(long, conflicts_with_all = ["tokens", "plot", "png", "svg", "emulate"])]
        html: Option<PathBuf>,
        #[command(flatten)]
        picture: PictureArgs,
    },
    /// Serve the viewer page: paste a machine and watch the predictor generate its run.
    ///
    /// A local web server (loopback unless --bind) with one page and a JSON API, both
    /// through the library's front door and its limits. Example: arsim serve --open
    Serve {
        /// The port (0: any free one; the first line printed says which).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on; anything but loopback is reachable from elsewhere.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the page in a browser.
        #[arg(long)]
        open: bool,
    },
    /// Write a machine in another format: ron, standard, seed, morphett or yaml.
    ///
    /// Prints the text (or writes --out whole). A format that cannot express the machine
    /// (e.g. the standard format and a stay move, the seed format and a halting transition)
    /// says why and exits 2.
    /// Example: arsim convert machines/bb5.ron --to standard
    Convert {
        #[command(flatten)]
        machine: MachineSource,
        /// The format to write.
        #[arg(long, value_enum)]
        to: MachineFormat,
        /// Write to this file instead of stdout (whole, or not at all).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the state graph as Graphviz DOT: edges labelled read/write,move, halting states
    /// as double circles, the start state filled.
    ///
    /// --plot FILE.png renders it with Graphviz's `dot` program, which must be installed.
    Dot {
        #[command(flatten)]
        machine: MachineSource,
        /// Write the DOT text to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Render a PNG picture with Graphviz `dot -Tpng` (FILE.png; `dot -Tsvg` on --out
        /// gives SVG).
        #[arg(long = "plot", alias = "png", value_parser = png_path)]
        png: Option<PathBuf>,
    },
    /// Learn a linear predictor from chain-of-thought traces and compare it with the compiled one.
    ///
    /// Runs the machine on random inputs (words of --pattern, by default the shape of the machine
    /// file's example inputs, e.g. [01]*+[01]* for binary-add) or on --inputs, trains on the
    /// traces of --train inputs, then runs the learned predictor with the executor on --eval
    /// held-out inputs. Prints token, trace and answer error, agreement with the compiled
    /// predictor and, for the perceptron, its mistakes against the bound (R² + 2τ)/γ² from the
    /// compiled weights. --encoding gates learns the bit traces with one perceptron per position
    /// (--learner time-dependent). Exit 1 when a held-out trace is wrong. --sample-sizes 1,2,4,8
    /// instead reports held-out trace error against training traces for the time-invariant and
    /// the time-dependent learner (exit 0); --plot draws it. --chain-length 10,20,40 instead
    /// reports, for inputs of each length, the training traces each learner needs for held-out
    /// trace error at most --epsilon against the chain length T (exit 0; proofs/learnability.md);
    /// --plot draws it against the bounds, --plot-with adds earlier reports' panels.
    /// Example: arsim learn machines/binary-add.ron --train 50 --eval 500 --seed 1
    Learn {
        /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
        machine: String,
        /// Read the machine in this format, whatever its extension or content.
        #[arg(long, value_enum)]
        format: Option<MachineFormat>,
        /// The encoding of runs as token traces: cells, sweep (both time-invariant), or gates (one
        /// perceptron per position).
        #[arg(long, value_enum, default_value = "cells")]
        encoding: EncodingKind,
        /// Training traces (the largest --sample-sizes size replaces it).
        #[arg(long, default_value_t = LearnOptions::DEFAULT_TRAIN)]
        train: usize,
        /// Held-out traces (inputs disjoint from the training ones).
        #[arg(long = "eval", alias = "test", default_value_t = LearnOptions::DEFAULT_TEST)]
        test: usize,
        /// Seed of the inputs, the shuffles and the learner.
        #[arg(long, default_value_t = LearnOptions::DEFAULT_SEED)]
        seed: u64,
        /// The learning algorithm.
        #[arg(long, value_enum, default_value_t = Algo::Perceptron)]
        algo: Algo,
        /// The offsets the learner reads: all = 1..S+2, local = S, S+1, S+2.
        #[arg(long, value_enum, default_value_t = WindowKind::All)]
        window: WindowKind,
        /// Output features: tokens = one weight row per token; parts = a cell token's row is
        /// its symbol part plus its head part (the form of the compiled weights). gates: tokens.
        #[arg(long, value_enum, default_value_t = OutputKind::Parts)]
        outputs: OutputKind,
        /// One set of weights for every position, or one classifier per position.
        #[arg(long, value_enum, default_value_t = LearnerKind::TimeInvariant)]
        learner: LearnerKind,
        #[command(flatten)]
        input: InputArgs,
        /// Step limit of every run.
        #[arg(long, default_value_t = LearnOptions::DEFAULT_MAX_STEPS)]
        max_steps: u64,
        /// Perceptron: stop after this many passes.
        #[arg(long, default_value_t = LearnOptions::DEFAULT_MAX_PASSES)]
        max_passes: usize,
        /// Perceptron margin τ: update while an example's margin is at most τ (0 = Rosenblatt).
        #[arg(long, default_value_t = arsim::learn::perceptron::DEFAULT_MARGIN)]
        margin: i32,
        /// Softmax regression: most epochs.
        #[arg(long, default_value_t = SoftmaxOptions::DEFAULT_EPOCHS)]
        epochs: usize,
        /// Write the learned weights (safetensors, the layout of `compile --out`; float32 for
        /// softmax). Time-invariant learners only.
        #[arg(long = "out", alias = "save", conflicts_with = "sample_sizes")]
        save: Option<PathBuf>,
        /// Sample complexity: the training-set sizes to learn from, each on the same held-out
        /// inputs, e.g. 1,2,4,8,16 (formerly --sweep, a name the encoding `sweep` also has).
        #[arg(
            long,
            alias = "sweep",
            conflicts_with = "eval_lengths",
            value_name = "SIZES"
        )]
        sample_sizes: Option<String>,
        /// Sample complexity against chain length: for each input length n (e.g. 10,20,40,80:
        /// every run of the pattern has n symbols), the fewest training traces at which each
        /// learner's held-out trace error is at most --epsilon (doubling, then bisection, up to
        /// --budget), with the mean trace length T in tokens.
        #[arg(long, conflicts_with_all = ["sample_sizes", "save", "lengths", "eval_lengths", "inputs"])]
        chain_length: Option<String>,
        /// --chain-length: the held-out trace error to reach [default: 0.05].
        #[arg(long, requires = "chain_length")]
        epsilon: Option<f64>,
        /// --chain-length: most training traces tried at one length [default: 1024].
        #[arg(long, requires = "chain_length")]
        budget: Option<usize>,
        /// --chain-length: the seeds to repeat each length with, e.g. 1,2,3 [default: --seed].
        #[arg(long, requires = "chain_length")]
        seeds: Option<String>,
        /// --chain-length --plot: also draw these earlier `learn --chain-length --json` reports,
        /// one panel each after this run's.
        #[arg(long, requires = "plot")]
        plot_with: Vec<PathBuf>,
        /// Draw the sample-complexity or the chain-length measurement (FILE.svg or FILE.png).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
}

/// A machine without input (for convert and dot).
#[derive(Args, Debug)]
pub struct MachineSource {
    /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
    pub machine: String,
    /// Read the machine in this format, whatever its extension or content.
    #[arg(long, value_enum)]
    pub format: Option<MachineFormat>,
    /// Start in this state (Morphett files start in 0 unless told).
    #[arg(long, value_name = "STATE")]
    pub start: Option<String>,
    /// Morphett files: skip bad lines and let a later rule for the same state and symbol win,
    /// each with a warning, as Morphett's simulator does (strict by default).
    #[arg(long)]
    pub lenient: bool,
    /// An undefined transition (bbchallenge's ---, a Morphett state and symbol without a
    /// rule): halt = the step into it counts and halts; no-rule = the run stops before it.
    #[arg(long, value_enum, default_value_t = Undefined::Halt, value_name = "MEANING")]
    pub undefined: Undefined,
}

/// Pictures of a trace: a space-time diagram, one row per step, one column per cell.
#[derive(Args, Debug)]
pub struct PictureArgs {
    /// Draw the space-time diagram (instead of printing rows): FILE.png or FILE.svg.
    #[arg(long, value_parser = picture_path, conflicts_with_all = ["png", "svg"])]
    pub plot: Option<PathBuf>,
    /// The old spelling of --plot FILE.png, kept for one version.
    #[arg(long, value_parser = png_path, hide = true)]
    pub png: Option<PathBuf>,
    /// The old spelling of --plot FILE.svg, kept for one version.
    #[arg(long, value_parser = svg_path, hide = true)]
    pub svg: Option<PathBuf>,
    /// Draw only these steps, A..B (B excluded; A.. and ..B also work).
    #[arg(long, value_parser = parse_steps)]
    pub steps: Option<std::ops::Range<u64>>,
    /// Largest diagram width in pixels; wider tapes are downsampled, keeping the head.
    #[arg(long, default_value_t = 1200)]
    pub width: usize,
    /// Largest diagram height in pixels; longer runs show every k-th row.
    #[arg(long, default_value_t = 2000)]
    pub height: usize,
    /// Only the diagram's pixels: no title, step labels or legend.
    #[arg(long)]
    pub plain: bool,
    /// Draw the rows the compiled predictor generates (checked against the interpreter;
    /// differing tokens in red) instead of the interpreter's run.
    #[arg(long)]
    pub emulate: bool,
    /// With --emulate and --plot: run these weights (safetensors from `compile --out`) instead.
    #[arg(long, requires = "emulate")]
    pub weights: Option<PathBuf>,
}

/// A `.png` path (for `--png` and the PNG-only `--plot`s), refused with the flag for the other
/// format named.
pub fn png_path(s: &str) -> Result<PathBuf, String> {
    picture_of(s, arsim::draw::ImageFormat::Png)
}

/// A `.svg` path (for `--svg`).
pub fn svg_path(s: &str) -> Result<PathBuf, String> {
    picture_of(s, arsim::draw::ImageFormat::Svg)
}

fn picture_of(s: &str, format: arsim::draw::ImageFormat) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    arsim::draw::check_extension(&p, format).map_err(|e| crate::hints::extension(&e))?;
    Ok(p)
}

/// The value of `--plot`: a `.png` or `.svg` path, the format its extension.
fn picture_path(s: &str) -> Result<PathBuf, String> {
    png_path(s)
        .or_else(|_| svg_path(s).map_err(|_| format!("{s}: a picture is FILE.png or FILE.svg")))
}

/// `(png, svg)`: where `--plot` (by its extension) or the old `--png`/`--svg` ask for a picture.
pub fn pictures(
    plot: Option<PathBuf>,
    png: Option<PathBuf>,
    svg: Option<PathBuf>,
) -> (Option<PathBuf>, Option<PathBuf>) {
    match plot {
        Some(p) if png_path(&p.to_string_lossy()).is_ok() => (Some(p), svg),
        Some(p) => (png, Some(p)),
        None => (png, svg),
    }
}

impl PictureArgs {
    /// Moves `--plot` into the `png`/`svg` slot its extension names.
    pub fn resolve(mut self) -> PictureArgs {
        let (png, svg) = pictures(self.plot.take(), self.png.take(), self.svg.take());
        self.png = png;
        self.svg = svg;
        self
    }
}

/// Parses `A..B`, `A..` or `..B`.
pub fn parse_steps(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("expected A..B, got \"{s}\""))?;
    let num = |t: &str, default: u64| -> Result<u64, String> {
        if t.is_empty() {
            Ok(default)
        } else {
            t.replace('_', "")
                .parse()
                .map_err(|_| format!("\"{t}\" is not a step number"))
        }
    };
    let (a, b) = (num(a, 0)?, num(b, u64::MAX)?);
    if a >= b {
        return Err(format!("empty step range {a}..{b}"));
    }
    Ok(a..b)
}

/// The machine and its input.
#[derive(Args, Debug)]
pub struct MachineArgs {
    /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
    pub machine: String,
    /// Read the machine in this format, whatever its extension or content.
    #[arg(long, value_enum)]
    pub format: Option<MachineFormat>,
    /// The input word, written from cell 0 with the head on cell 0, or, when `*` is not one
    /// of the machine's symbols, on the cell of the first `*` (Morphett's head marker; every
    /// `*` is removed: `10*1` starts on the last 1) [default: the machine file's own input
    /// (turingmachine.io's input:, Morphett's $INITIAL_TAPE:), else empty]
    #[arg(long, short, conflicts_with = "input_file")]
    pub input: Option<String>,
    /// Read the input word from this file (a final line break dropped): for inputs longer
    /// than a command line holds.
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// Start in this state (Morphett files start in 0 unless told).
    #[arg(long, value_name = "STATE")]
    pub start: Option<String>,
    /// Morphett files: skip bad lines and let a later rule for the same state and symbol win,
    /// each with a warning, as Morphett's simulator does (strict by default).
    #[arg(long)]
    pub lenient: bool,
    /// An undefined transition (bbchallenge's ---, a Morphett state and symbol without a
    /// rule): halt = the step into it counts and halts, as bbchallenge and Morphett count;
    /// no-rule = the run stops before it, a step fewer.
    #[arg(long, value_enum, default_value_t = Undefined::Halt, value_name = "MEANING")]
    pub undefined: Undefined,
}

/// The tape window of the `cells` encoding.
#[derive(Args, Debug)]
pub struct WindowArgs {
    /// Window size S; by default the cells the run visits (plus the input's).
    #[arg(long)]
    pub tape: Option<usize>,
    /// Window cell where the input starts (with --tape; default 0).
    #[arg(long, requires = "tape")]
    pub origin: Option<usize>,
}

/// The inputs `learn` runs the machine on.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// The shape of random inputs: literal symbols and classes, a starred class a run whose
    /// length comes from --lengths, e.g. [01]*+[01]* [default: inferred from the machine file's
    /// example inputs]
    #[arg(long, conflicts_with_all = ["inputs", "alphabet"])]
    pub pattern: Option<String>,
    /// Random inputs are any words over these symbols (the pattern [SYMBOLS]*).
    #[arg(long, conflicts_with = "inputs")]
    pub alphabet: Option<String>,
    /// Run lengths: numbers and ranges, e.g. 1-8 or 2,4,6; auto = the smallest 1-L with twice
    /// as many distinct inputs as needed [default: auto]
    #[arg(long, conflicts_with = "inputs")]
    pub lengths: Option<String>,
    /// Length extrapolation: the held-out inputs' run lengths (e.g. 7-10), where they differ
    /// from the training inputs' --lengths. Training traces are laid on a window fitted to the
    /// training inputs, held-out traces on a wider one fitted to theirs, and the learned
    /// weights move to it offset for offset (--window local, --encoding cells, time-invariant)
    #[arg(long, conflicts_with = "inputs")]
    pub eval_lengths: Option<String>,
    /// A listed set of inputs instead of random ones, comma-separated (e.g. 101+11,0+0).
    #[arg(long)]
    pub inputs: Option<String>,
}

impl WindowArgs {
    /// The window --tape/--origin give, if any.
    pub fn window(&self) -> Option<Window> {
        self.tape.map(|size| Window {
            size,
            origin: self.origin.unwrap_or(0),
        })
    }
}
