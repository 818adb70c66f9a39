//! The `arsim` command line: a thin layer over the library. It parses arguments, calls the
//! library, prints (text, or one JSON object with `--json`) and maps outcomes to exit codes:
//! 0 success, 1 a verification or certification failure, 2 bad input or usage.

use anyhow::{anyhow, Context as _, Result};
use arsim::certify::{certify_cells, certify_gates_with, certify_sweep, GatesCertificate};
use arsim::compiler::{machine_to_cells_predictor, machine_to_sweep_predictor};
use arsim::draw::heatmap::Heatmap;
use arsim::draw::spacetime::{self, SpaceTimeOptions};
use arsim::emulate::{
    emulate_gates_with, emulate_sweep_with, window_of_run, EmulateOptions, EmulationReport,
};
use arsim::encoding::cells::{Window, WindowConfig, WindowError};
use arsim::encoding::gates::{machine_to_gates_predictor, BitLayout};
use arsim::encoding::EncodingKind;
use arsim::export::write_atomic;
use arsim::export::{read_safetensors, write_safetensors, write_safetensors_f32};
use arsim::interpreter::Interpreter;
use arsim::learn::dataset::WindowKind;
use arsim::learn::inputs::{InputSpec, Pattern};
use arsim::learn::outputs::OutputKind;
use arsim::learn::softmax::SoftmaxOptions;
use arsim::learn::sweep::{sweep, SweepReport};
use arsim::learn::{
    learn, Algo, LearnOptions, LearnReport, LearnedPredictor, LearnerKind, Progress,
};
use arsim::length::{measure, Plan};
use arsim::machine::convert::write_machine;
use arsim::machine::{
    load_machine_as, load_machine_with, LoadOptions, Machine, MachineFormat, Stop, SymbolId,
    Undefined,
};
use arsim::parity::{parity_circuit, parity_task, ParityCot, ParityReport};
use arsim::predictor::LinearAr;
use arsim::tasks::multiply::{self, CotFormat, Pair, Split, Vocabulary};
use arsim::time_dependent::TimeDependentAr;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
struct Cli {
    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
        /// Threads of the rows executor: 1 or 2 (default: 2 where the machine has two cores).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
        threads: Option<u8>,
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
        /// Draw the weights as labelled heatmaps (one panel per offset) in a PNG file.
        #[arg(long, value_parser = arsim::draw::png_path)]
        png: Option<PathBuf>,
        /// Draw the heatmaps as an SVG file.
        #[arg(long, value_parser = arsim::draw::svg_path)]
        svg: Option<PathBuf>,
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
    },
    /// Measure length complexity (generated tokens) against tape size or input length.
    ///
    /// Every count is measured by running the predictor with every token verified, and checked
    /// against the encoding's formula (cells: T·(S+1); sweep: (L+[final])·(S+1), L left moves).
    /// With --inputs random, a log-log fit gives the growth exponent of tokens against input
    /// length.
    /// Examples: arsim length machines/binary-increment.ron --tapes 8,16,32,64
    ///           arsim length machines/binary-add.ron --inputs random --lengths 2,4,8,16
    Length {
        #[command(flatten)]
        machine: MachineArgs,
        /// Encodings to measure, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "cells")]
        encoding: Vec<EncodingKind>,
        /// Window sizes S for a fixed input (--input).
        #[arg(long, value_delimiter = ',', conflicts_with = "inputs")]
        tapes: Vec<usize>,
        /// `random`: draw inputs from the machine's input distribution (its `inputs` field).
        #[arg(long, value_parser = ["random"], requires = "lengths")]
        inputs: Option<String>,
        /// Input lengths for --inputs random.
        #[arg(long, value_delimiter = ',')]
        lengths: Vec<usize>,
        /// Inputs drawn per length.
        #[arg(long, default_value_t = 3)]
        samples: usize,
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
        #[command(flatten)]
        picture: PictureArgs,
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
    /// --png renders it with Graphviz's `dot` program, which must be installed.
    Dot {
        #[command(flatten)]
        machine: MachineSource,
        /// Write the DOT text to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Render a PNG picture with Graphviz `dot -Tpng`.
        #[arg(long, value_parser = arsim::draw::png_path)]
        png: Option<PathBuf>,
    },
    /// Learn a linear predictor from chain-of-thought traces and compare it with the compiled one.
    ///
    /// Runs the machine on random inputs (words of --pattern, by default the shape of the machine
    /// file's example inputs, e.g. [01]*+[01]* for binary-add) or on --inputs, trains on the
    /// traces of --train inputs, then runs the learned predictor with the executor on --test
    /// held-out inputs. Prints token, trace and answer error, agreement with the compiled
    /// predictor and, for the perceptron, its mistakes against the bound (R² + 2τ)/γ² from the
    /// compiled weights. --encoding gates learns the bit traces with one perceptron per position
    /// (--learner time-dependent). Exit 1 when a held-out trace is wrong. --sweep 1,2,4,8
    /// instead reports held-out trace error against training traces for the time-invariant and
    /// the time-dependent learner (exit 0); --plot draws it.
    /// Example: arsim learn machines/binary-add.ron --train 50 --test 500 --seed 1
    Learn {
        /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
        machine: String,
        /// Read the machine in this format, whatever its extension or content.
        #[arg(long, value_enum)]
        format: Option<MachineFormat>,
        /// The encoding of runs as token traces (cells or gates).
        #[arg(long, value_enum, default_value_t = EncodingKind::Cells)]
        encoding: EncodingKind,
        /// Training traces (the largest --sweep size replaces it).
        #[arg(long, default_value_t = 50)]
        train: usize,
        /// Held-out traces (inputs disjoint from the training ones).
        #[arg(long, default_value_t = 500)]
        test: usize,
        /// Seed of the inputs, the shuffles and the learner.
        #[arg(long, default_value_t = 1)]
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
        #[arg(long, default_value_t = 2_000)]
        max_steps: u64,
        /// Perceptron: stop after this many passes.
        #[arg(long, default_value_t = 1_000)]
        max_passes: usize,
        /// Perceptron margin τ: update while an example's margin is at most τ (0 = Rosenblatt).
        #[arg(long, default_value_t = arsim::learn::perceptron::DEFAULT_MARGIN)]
        margin: i32,
        /// Softmax regression: most epochs.
        #[arg(long, default_value_t = 100)]
        epochs: usize,
        /// Write the learned weights (safetensors, the layout of `compile --out`; float32 for
        /// softmax). Time-invariant learners only.
        #[arg(long, conflicts_with = "sweep")]
        save: Option<PathBuf>,
        /// Training-set sizes for the sample-complexity sweep, e.g. 1,2,4,8,16.
        #[arg(long)]
        sweep: Option<String>,
        /// Draw the sweep (FILE.svg or FILE.png).
        #[arg(long, requires = "sweep")]
        plot: Option<PathBuf>,
    },
}

/// A machine without input (for convert and dot).
#[derive(Args, Debug)]
struct MachineSource {
    /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
    machine: String,
    /// Read the machine in this format, whatever its extension or content.
    #[arg(long, value_enum)]
    format: Option<MachineFormat>,
}

/// Pictures of a trace: a space-time diagram, one row per step, one column per cell.
#[derive(Args, Debug)]
struct PictureArgs {
    /// Draw the space-time diagram as a PNG file (instead of printing rows).
    #[arg(long, value_parser = arsim::draw::png_path)]
    png: Option<PathBuf>,
    /// Draw the space-time diagram as an SVG file.
    #[arg(long, value_parser = arsim::draw::svg_path)]
    svg: Option<PathBuf>,
    /// Draw only these steps, A..B (B excluded; A.. and ..B also work).
    #[arg(long, value_parser = parse_steps)]
    steps: Option<std::ops::Range<u64>>,
    /// Largest diagram width in pixels; wider tapes are downsampled, keeping the head.
    #[arg(long, default_value_t = 1200)]
    width: usize,
    /// Largest diagram height in pixels; longer runs show every k-th row.
    #[arg(long, default_value_t = 2000)]
    height: usize,
    /// Only the diagram's pixels: no title, step labels or legend.
    #[arg(long)]
    plain: bool,
    /// Draw the rows the compiled predictor generates (checked against the interpreter;
    /// differing tokens in red) instead of the interpreter's run.
    #[arg(long)]
    emulate: bool,
    /// With --emulate: run these weights (safetensors from `compile --out`) instead.
    #[arg(long, requires = "emulate")]
    weights: Option<PathBuf>,
}

/// Parses `A..B`, `A..` or `..B`.
fn parse_steps(s: &str) -> Result<std::ops::Range<u64>, String> {
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

/// The experiments of `arsim task`.
#[derive(Subcommand, Debug)]
enum TaskCommand {
    /// Parity of n bits as a threshold circuit whose gates are the chain of thought, compiled to
    /// a time-dependent linear predictor over {0, 1} and run on random inputs (every input when
    /// n ≤ 20), every token checked.
    ///
    /// --cot popcount emits the bits of the popcount, most significant first: ⌈log2(n+1)⌉ tokens.
    /// --cot running-xor carries the running parity: 2 tokens per input. --cot kbounded --k K
    /// builds the chain whose every token reads at most K bits: Θ(n/K) blocks, against the
    /// bound ⌈(n−1)/(K−1)⌉. Example: arsim task parity --n 1000 --cot popcount
    Parity(ParityArgs),
    /// 4-digit multiplication, the paper's experiment: train a model on chains of thought of
    /// training pairs and score greedy decoding on validation pairs (exact match and per-digit
    /// accuracy of the 8 answer digits), or run the Turing-machine route.
    ///
    /// Operands are 1111..9999, split 75/25 by the paper's rule; the held-out quarter is
    /// halved into validation (--eval-split validation, for tuning) and test. --cot paper|none|carry with
    /// --model mlp|linear trains the paper's architecture (progress bar, --checkpoint,
    /// --resume); --cot tm with --model compiled runs machines/binary-multiply.ron's compiled
    /// predictor on the operands in binary, every token verified, and --model learned trains
    /// the perceptron on --train-seqs training traces first. --show A B prints a chain of
    /// thought; --stats the vocabulary and formats. Examples:
    /// arsim task multiply --cot paper --model mlp --d 16 --train-seqs 20000 --seed 0;
    /// arsim task multiply --cot tm --model compiled --eval-pairs 2000;
    /// arsim task multiply --cot carry --show 1234 5678
    Multiply(MultiplyArgs),
    /// TinyStories with the paper's linear model: split a TinyStories-format corpus by story
    /// (seeded), train a byte-level BPE on the training stories, fit unigram, bigram and
    /// trigram Kneser-Ney baselines, train the linear model (embedding d, one masked linear
    /// layer over the T·d context, output layer; AdamW; progress bar, --checkpoint, --resume)
    /// and measure every model on the same validation tokens: cross-entropy, perplexity, bits
    /// per byte. Samples from the model and the trigram (greedy, then at --temperature).
    ///
    /// --model bigram trains the softmax bigram instead; --baselines skips the neural model.
    /// Examples: arsim task text --corpus ../shared/data/tinystories-sample.txt --context 16
    /// --d 32 --epochs 1; arsim task text --corpus ../shared/data/tinystories-sample.txt
    /// --baselines
    Text(TextArgs),
}

/// Arguments of `arsim task multiply`.
#[derive(Args, Debug)]
struct MultiplyArgs {
    /// The chain of thought: the paper's (307 tokens), none (19), carry (75, running sums
    /// with carries), or tm (the trace of machines/binary-multiply.ron on the operands in
    /// binary, with --model compiled or learned).
    #[arg(long, value_enum, default_value_t = CotArg::Paper)]
    cot: CotArg,
    /// The predictor: mlp or linear (trained here, for paper/none/carry), compiled or learned
    /// (the Turing-machine route, --cot tm).
    #[arg(long, value_enum, default_value_t = ModelArg::Mlp)]
    model: ModelArg,
    /// Embedding width d (mlp, linear).
    #[arg(long, default_value_t = 16)]
    d: usize,
    /// Training sequences (mlp, linear: chains of training pairs drawn with replacement;
    /// learned: traces of distinct training pairs).
    #[arg(long, default_value_t = 20_000)]
    train_seqs: usize,
    /// Seed of the initialisation and the training pairs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Sequences per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Peak learning rate (linear warm-up, cosine decay to 10%).
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Validation pairs scored (a fixed sample, the same for every model and format).
    #[arg(long, default_value_t = 2_000)]
    eval_pairs: usize,
    /// The held-out half scored: validation (while tuning) or test (once, for a reported
    /// row). Both are halves of the paper's validation pairs.
    #[arg(long, value_enum, default_value_t = Split::Validation)]
    eval_split: Split,
    #[command(flatten)]
    run: TrainArgs,
    /// The multiplication machine of --cot tm.
    #[arg(long, default_value = "machines/binary-multiply.ron")]
    machine: String,
    /// Offsets the learned predictor reads (--model learned): all (1..S+2) or local (S, S+1, S+2).
    #[arg(long, value_enum, default_value_t = WindowKind::All)]
    window: WindowKind,
    /// Print the chain of thought of the pair A × B instead.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    show: Option<Vec<u32>>,
    /// Print the vocabulary size, every format's length and the split counts instead.
    #[arg(long)]
    stats: bool,
}

/// How a training run is kept and bounded (`arsim task multiply` and `task text`).
#[derive(Args, Debug)]
struct TrainArgs {
    /// Positions per chunk of the masked layer (0: automatic; speed only).
    #[arg(long, default_value_t = 0)]
    chunk: usize,
    /// Write checkpoints here (safetensors: parameters, AdamW moments, step; every 5 minutes
    /// and at the end). The text task writes its tokenizer beside it, FILE.tokenizer.json.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Continue training from this checkpoint; the run's data options must be the same (the
    /// checkpoint records them and a mismatch is refused).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Stop after this many optimizer steps in total (the schedule still spans the whole run;
    /// continue later with --resume).
    #[arg(long)]
    stop_at: Option<usize>,
    /// CPU threads for training (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// The paper's training recipe (emalach/LinearLM): PyTorch's uniform initialisation, no
    /// bias in the masked layer, weight decay 0.1 except on biases, gradients clipped to norm
    /// 1.0, linear decay after one warm-up step; and the paper's batch and learning rate
    /// (multiply: 2048 and 1e-3; text: 1024 and 5e-4), which replace --batch, --lr and
    /// --weight-decay. --d, --train-seqs and --epochs stay free.
    #[arg(long)]
    paper_config: bool,
    /// Transformer blocks (--model transformer).
    #[arg(long, default_value_t = 2)]
    layers: usize,
    /// Attention heads per block (--model transformer; --d must be a multiple).
    #[arg(long, default_value_t = 4)]
    heads: usize,
}

impl TrainArgs {
    /// The library's options, with the task's learning rate and weight decay.
    fn options(&self, lr: f64, weight_decay: f64) -> arsim::nn::RunOptions {
        arsim::nn::RunOptions {
            lr,
            weight_decay,
            chunk: self.chunk,
            checkpoint: self.checkpoint.clone(),
            resume: self.resume.clone(),
            stop_at: self.stop_at,
            recipe: if self.paper_config {
                arsim::nn::Recipe::Paper
            } else {
                arsim::nn::Recipe::Arsim
            },
        }
    }

    /// `(batch, lr, weight decay)`: the paper's `paper` triple under --paper-config, else
    /// the flags'.
    fn batch_lr_decay(
        &self,
        flags: (usize, f64, f64),
        paper: (usize, f64, f64),
    ) -> (usize, f64, f64) {
        if self.paper_config {
            paper
        } else {
            flags
        }
    }
}

/// Says on stderr what a resumed run changed against its checkpoint.
fn print_resume_notes(notes: &[String]) {
    for n in notes {
        eprintln!("note: {n}");
    }
}

/// `--cot` of `arsim task multiply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CotArg {
    /// The paper's chain, 307 tokens.
    Paper,
    /// Prompt and answer only, 19 tokens.
    None,
    /// Schoolbook rows with running sums and carries, 75 tokens.
    Carry,
    /// The binary-multiplication Turing machine's `cells` trace.
    Tm,
}

/// `--model` of `arsim task multiply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ModelArg {
    /// The paper's MLP.
    Mlp,
    /// The paper's linear model.
    Linear,
    /// The compiled `cells` predictor of the machine.
    Compiled,
    /// The perceptron learned from the machine's traces.
    Learned,
    /// A small causal transformer (--layers, --heads).
    Transformer,
}

/// Arguments of `arsim task text`.
#[derive(Args, Debug)]
struct TextArgs {
    /// The corpus: stories separated by lines `<|endoftext|>`.
    #[arg(long)]
    corpus: PathBuf,
    /// Tokenizer vocabulary size (bytes, `<|endoftext|>` and merges).
    #[arg(long, default_value_t = 1024)]
    vocab: usize,
    /// Seed of the story-level split (and of sampling).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of stories held out for validation.
    #[arg(long, default_value_t = 0.1)]
    validation: f64,
    /// Only the n-gram baselines: no neural model is trained.
    #[arg(long)]
    baselines: bool,
    /// The neural model: linear (the paper's) or bigram (the softmax bigram baseline).
    #[arg(long, value_enum, default_value_t = TextModelArg::Linear)]
    model: TextModelArg,
    /// Context T of the linear model (tokens per window).
    #[arg(long, default_value_t = 64)]
    context: usize,
    /// Embedding width d of the linear model.
    #[arg(long, default_value_t = 64)]
    d: usize,
    /// Passes over the training windows.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Windows per batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Peak learning rate (linear warm-up, cosine decay to 10%).
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// AdamW weight decay (the paper's: 0.1).
    #[arg(long, default_value_t = 0.1)]
    weight_decay: f64,
    #[command(flatten)]
    run: TrainArgs,
    /// Prompt of the samples (with --baselines, only the trigram is sampled, and only when a
    /// prompt is given).
    #[arg(long)]
    prompt: Option<String>,
    /// Tokens per sample.
    #[arg(long, default_value_t = 200)]
    tokens: usize,
    /// Temperature of the sampled continuations.
    #[arg(long, default_value_t = 0.5)]
    temperature: f64,
    /// Samples per model: one greedy, the rest sampled (seeds --seed, --seed + 1, …).
    #[arg(long, default_value_t = 3)]
    samples: usize,
    /// Measure the validation stories every this many steps as well as at the end (a
    /// learning curve in the report; 0: only at the end).
    #[arg(long, default_value_t = 0)]
    eval_every: usize,
    /// Training windows: random (random crops of the training stream) or paper (each story cut
    /// into non-overlapping chunks of --context + 1 tokens, remainders dropped, as the paper's
    /// code; its context_length 64 is --context 63).
    #[arg(long, value_enum, default_value_t = arsim::tasks::text::neural::Windowing::Random)]
    windowing: arsim::tasks::text::neural::Windowing,
    /// Draw the learning curve (validation bits per byte against training tokens, with the
    /// n-gram baselines) to this .svg or .png file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Also write the tokenizer to this JSON file.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Also write the tokenizer as a Hugging Face `tokenizers` file (tokenizer.json), which
    /// encodes text to the same ids.
    #[arg(long)]
    tokenizer_out: Option<PathBuf>,
}

/// `--model` of `arsim task text`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TextModelArg {
    /// Embedding → masked linear over the context → output layer.
    Linear,
    /// A V×V table of logits trained by the same loop.
    Bigram,
    /// A small causal transformer (--layers, --heads).
    Transformer,
}

/// Arguments of `arsim task parity`.
#[derive(Args, Debug)]
struct ParityArgs {
    /// Input bits.
    #[arg(long)]
    n: usize,
    /// The chain of thought.
    #[arg(long, value_enum, default_value_t = ParityCot::Popcount)]
    cot: ParityCot,
    /// The most bits a token may read (with --cot kbounded).
    #[arg(long)]
    k: Option<usize>,
    /// Random inputs to try when n > 20 (every input is tried when n ≤ 20).
    #[arg(long, default_value_t = 1000)]
    samples: u64,
    /// Seed of the random inputs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the circuit to this .ron file.
    #[arg(long)]
    circuit: Option<PathBuf>,
    /// Learn the chain instead of compiling it: one perceptron per position, trained on the
    /// chains of this many random inputs, then run free on --samples fresh ones.
    #[arg(long)]
    learn: Option<usize>,
}

/// The machine and its input.
#[derive(Args, Debug)]
struct MachineArgs {
    /// A machine file (.ron, .tm, .yaml, .seed[#N]) or a bbchallenge standard-format string.
    machine: String,
    /// Read the machine in this format, whatever its extension or content.
    #[arg(long, value_enum)]
    format: Option<MachineFormat>,
    /// The input word, written from cell 0 with the head on cell 0 [default: the machine
    /// file's own input (turingmachine.io's input:, Morphett's $INITIAL_TAPE:), else empty]
    #[arg(long, short, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the input word from this file (a final line break dropped): for inputs longer
    /// than a command line holds.
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,
    /// Start in this state (Morphett files start in 0 unless told).
    #[arg(long, value_name = "STATE")]
    start: Option<String>,
    /// Morphett files: skip bad lines and let a later rule for the same state and symbol win,
    /// each with a warning, as Morphett's simulator does (strict by default).
    #[arg(long)]
    lenient: bool,
    /// An undefined transition (bbchallenge's ---, a Morphett state and symbol without a
    /// rule): halt = the step into it counts and halts, as bbchallenge and Morphett count;
    /// no-rule = the run stops before it, a step fewer.
    #[arg(long, value_enum, default_value_t = Undefined::Halt, value_name = "MEANING")]
    undefined: Undefined,
}

/// The tape window of the `cells` encoding.
#[derive(Args, Debug)]
struct WindowArgs {
    /// Window size S; by default the cells the run visits (plus the input's).
    #[arg(long)]
    tape: Option<usize>,
    /// Window cell where the input starts (with --tape; default 0).
    #[arg(long, requires = "tape")]
    origin: Option<usize>,
}

/// The inputs `learn` runs the machine on.
#[derive(Args, Debug)]
struct InputArgs {
    /// The shape of random inputs: literal symbols and classes, a starred class a run whose
    /// length comes from --lengths, e.g. [01]*+[01]* [default: inferred from the machine file's
    /// example inputs]
    #[arg(long, conflicts_with_all = ["inputs", "alphabet"])]
    pattern: Option<String>,
    /// Random inputs are any words over these symbols (the pattern [SYMBOLS]*).
    #[arg(long, conflicts_with = "inputs")]
    alphabet: Option<String>,
    /// Run lengths: numbers and ranges, e.g. 1-8 or 2,4,6; auto = the smallest 1-L with twice
    /// as many distinct inputs as needed [default: auto]
    #[arg(long, conflicts_with = "inputs")]
    lengths: Option<String>,
    /// A listed set of inputs instead of random ones, comma-separated (e.g. 101+11,0+0).
    #[arg(long)]
    inputs: Option<String>,
}

/// A failure and its exit code.
enum Failure {
    /// Bad input or usage: exit 2.
    Input(anyhow::Error),
    /// The predictor or certificate failed: exit 1 (the report has been printed).
    Verification,
    /// Bad input found after the report was printed (a run that left the window): exit 2,
    /// the message on stderr only, so `--json` still prints one object.
    InputAfterReport(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Input(e)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Verification) => ExitCode::from(1),
        Err(Failure::InputAfterReport(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Input(e)) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "error": format!("{e:#}"), "exit_code": 2 })
                );
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.json;
    match cli.command {
        Command::Run { machine, max_steps } => cmd_run(&machine, max_steps, json),
        Command::Emulate {
            machine,
            window,
            encoding,
            max_steps,
            weights,
            executor,
            threads,
        } => cmd_emulate(
            &machine,
            &window,
            encoding,
            max_steps,
            weights,
            (executor, threads.map(usize::from)),
            json,
        ),
        Command::Compile {
            machine,
            window,
            encoding,
            out,
            list,
            png,
            svg,
        } => cmd_compile(&machine, &window, encoding, out, list, [png, svg], json),
        Command::Certify {
            machine,
            window,
            encoding,
            weights,
        } => cmd_certify(&machine, &window, encoding, weights, json),
        Command::Length {
            machine,
            encoding,
            tapes,
            inputs,
            lengths,
            samples,
            seed,
            max_steps,
            plot,
        } => {
            let plan = if inputs.is_some() {
                Plan::Inputs {
                    lengths,
                    samples,
                    seed,
                }
            } else if !tapes.is_empty() {
                Plan::Tapes {
                    input: load(&machine)?.1,
                    tapes,
                }
            } else {
                return Err(Failure::Input(anyhow!(
                    "give --tapes S1,S2,… or --inputs random --lengths N1,N2,…"
                )));
            };
            cmd_length(&machine, &encoding, &plan, max_steps, plot.as_deref(), json)
        }
        Command::Task {
            task: TaskCommand::Parity(args),
        } => cmd_task_parity(&args, json),
        Command::Task {
            task: TaskCommand::Multiply(args),
        } => cmd_task_multiply(&args, json),
        Command::Task {
            task: TaskCommand::Text(args),
        } => cmd_task_text(&args, json),
        Command::Trace {
            machine,
            window,
            max_steps,
            tokens,
            picture,
        } => {
            if picture.png.is_some() || picture.svg.is_some() {
                cmd_trace_picture(&machine, &window, max_steps, &picture, json)
            } else {
                cmd_trace(&machine, &window, max_steps, tokens, json)
            }
        }
        Command::Convert { machine, to, out } => cmd_convert(&machine, to, out, json),
        Command::Dot { machine, out, png } => cmd_dot(&machine, out, png, json),
        Command::Learn {
            machine,
            format,
            encoding,
            train,
            test,
            seed,
            algo,
            window,
            outputs,
            learner,
            input,
            max_steps,
            max_passes,
            margin,
            epochs,
            save,
            sweep,
            plot,
        } => {
            let m = load_machine_as(&machine, format).map_err(anyhow::Error::from)?;
            let spec = input_spec(&m, &machine, &input)?;
            let opts = LearnOptions {
                encoding,
                inputs: spec,
                train,
                test,
                seed,
                algo,
                window,
                outputs,
                learner,
                max_steps,
                max_passes,
                margin,
                softmax: SoftmaxOptions {
                    epochs,
                    ..SoftmaxOptions::default()
                },
            };
            match sweep {
                Some(sizes) => cmd_sweep(&m, &opts, &sizes, plot, json),
                None => cmd_learn(&m, &opts, save, json),
            }
        }
    }
}

/// Loads the machine and parses the input (--input, --input-file, or the file's own) against
/// its alphabet; lenient loading's warnings go to stderr.
fn load(args: &MachineArgs) -> Result<(Machine, Vec<SymbolId>)> {
    let given = match (&args.input, &args.input_file) {
        (Some(word), _) => Some(word.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --input-file {}", path.display()))?;
            let word = text.strip_suffix('\n').unwrap_or(&text);
            Some(word.strip_suffix('\r').unwrap_or(word).to_string())
        }
        (None, None) => None,
    };
    let opts = LoadOptions {
        format: args.format,
        lenient: args.lenient,
        undefined: args.undefined,
        start: args.start.clone(),
        input: given.clone(),
    };
    let loaded = load_machine_with(&args.machine, &opts)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let m = loaded.machine;
    let word = given.unwrap_or_else(|| m.default_input().unwrap_or("").to_string());
    let input = m.parse_input(&word).map_err(|e| match (&args.input, &args.input_file) {
        (Some(_), _) => anyhow!("--input: {e}"),
        (None, Some(path)) => anyhow!("--input-file {}: {e}", path.display()),
        (None, None) => anyhow!("the input in {}: {e}", args.machine),
    })?;
    Ok((m, input))
}

/// The window from --tape/--origin, or from the run.
fn window(args: &WindowArgs, m: &Machine, input: &[SymbolId], max_steps: u64) -> Result<Window> {
    let w = match args.tape {
        Some(size) => Window {
            size,
            origin: args.origin.unwrap_or(0),
        },
        None => window_of_run(m, input, max_steps),
    };
    arsim::limits::check_window(w.size)?;
    Ok(w)
}

/// The compiled predictor, or the one in a weight file; and its window (from --tape, else the
/// file's metadata, else the run).
fn predictor(
    m: &Machine,
    input: &[SymbolId],
    wargs: &WindowArgs,
    encoding: EncodingKind,
    weights: Option<&Path>,
    max_steps: u64,
) -> Result<(LinearAr, Window)> {
    let Some(path) = weights else {
        let w = window(wargs, m, input, max_steps)?;
        return Ok((compile(m, encoding, w)?, w));
    };
    let (p, meta) = read_safetensors(path)?;
    let from_meta = |k: &str| meta.get(k).and_then(|v| v.parse::<usize>().ok());
    let w = match (wargs.tape, from_meta("window_size"), from_meta("origin")) {
        (None, Some(size), Some(origin)) => Window { size, origin },
        _ => window(wargs, m, input, max_steps)?,
    };
    Ok((p, w))
}

/// The compiled predictor of `encoding` (a machine the encoding cannot take is bad input).
fn compile(m: &Machine, encoding: EncodingKind, w: Window) -> Result<LinearAr> {
    arsim::limits::check_dictionary(m.num_states(), m.num_symbols())?;
    Ok(match encoding {
        EncodingKind::Cells => machine_to_cells_predictor(m, w),
        EncodingKind::Sweep => machine_to_sweep_predictor(m, w)?,
        EncodingKind::Gates => {
            return Err(anyhow!(
                "the gates encoding compiles to a time-dependent predictor over {{0, 1}}, not to offset matrices"
            ))
        }
    })
}

fn print_json(value: &impl Serialize) {
    // Our report types serialise infallibly.
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn cmd_run(args: &MachineArgs, max_steps: u64, json: bool) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let mut it = Interpreter::new(&m, &input);
    let bar = spinner(json, "steps");
    // Run in slices so the spinner moves on long runs; the loop itself is the same.
    let slice = 50_000_000;
    while it.steps() < max_steps {
        let limit = (it.steps() + slice).min(max_steps);
        if it.run(limit) != Stop::StepLimit {
            break;
        }
        bar.set_position(it.steps());
    }
    bar.finish_and_clear();
    let r = it.summary();
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "input": m.render(&input),
            "steps": r.steps,
            "stop": r.stop,
            "state": r.state,
            "nonblank": r.nonblank,
            "cells": r.cells,
            "head": r.head,
            "tape": r.tape,
            "tape_start": r.tape_start,
        }));
    } else {
        println!("machine   {}", m.name());
        println!("steps     {}", r.steps);
        println!("stop      {}", r.stop);
        println!("state     {}", r.state);
        println!("nonblank  {}", r.nonblank);
        println!(
            "cells     {} .. {} (head positions visited; input starts at 0)",
            r.cells[0], r.cells[1]
        );
        let shown = if r.tape.chars().count() > 200 {
            format!(
                "{}… ({} cells from {})",
                r.tape.chars().take(200).collect::<String>(),
                r.tape.chars().count(),
                r.tape_start
            )
        } else {
            format!("{} (from cell {})", r.tape, r.tape_start)
        };
        println!("tape      {shown}");
    }
    Ok(())
}

/// A progress bar on stderr, hidden with --json or when stderr is not a terminal.
fn progress_bar(json: bool, total: u64, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The bar of a training run: steps with the running loss and tokens per second, then the
/// evaluation's units.
struct TrainingBar {
    bar: ProgressBar,
    json: bool,
    unit: &'static str,
    evaluating: bool,
}

impl TrainingBar {
    fn new(json: bool, unit: &'static str) -> TrainingBar {
        let bar = if json {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} step {human_pos}/{human_len} (eta {eta}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        };
        TrainingBar {
            bar,
            json,
            unit,
            evaluating: false,
        }
    }

    fn update(&mut self, p: arsim::nn::Progress) {
        match p {
            arsim::nn::Progress::Step {
                step,
                steps,
                loss,
                tokens_per_second,
            } => {
                self.bar.set_length(steps as u64);
                self.bar.set_position(step as u64);
                self.bar
                    .set_message(format!("loss {loss:.4} · {tokens_per_second:.0} tokens/s"));
            }
            arsim::nn::Progress::Evaluate { done, total } => {
                if !self.evaluating {
                    self.evaluating = true;
                    self.bar.finish_and_clear();
                    self.bar = progress_bar(self.json, total as u64, self.unit);
                }
                self.bar.set_position(done as u64);
            }
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn spinner(json: bool, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{human_pos}} {unit} ({{per_sec}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

fn cmd_emulate(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    max_steps: u64,
    weights: Option<PathBuf>,
    (executor, threads): (arsim::rows::ExecutorChoice, Option<usize>),
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    if encoding != EncodingKind::Cells && executor == arsim::rows::ExecutorChoice::Rows {
        return Err(anyhow!(
            "--executor rows runs `cells` predictors only; the {} encoding reads its own row",
            encoding.name()
        )
        .into());
    }
    if encoding == EncodingKind::Gates {
        return cmd_emulate_gates(args, &m, input, wargs, max_steps, weights, json);
    }
    let (predictor, w) = predictor(&m, &input, wargs, encoding, weights.as_deref(), max_steps)?;
    // The interpreter is cheap next to the emulation: run it first to size the progress bar.
    let steps = arsim::interpreter::run(&m, &input, max_steps).steps;
    let bar = progress_bar(json, steps.saturating_mul(w.size as u64 + 1), "tokens");
    let opts = EmulateOptions {
        input,
        window: Some(w),
        max_steps,
    };
    let report = match encoding {
        EncodingKind::Cells => {
            arsim::emulate::emulate_cells_on(&m, predictor, &opts, executor, threads, &mut |n| {
                bar.set_position(n)
            })
        }
        EncodingKind::Sweep => {
            emulate_sweep_with(&m, predictor, &opts, &mut |n| bar.set_position(n))
        }
        EncodingKind::Gates => unreachable!("gates is emulated by cmd_emulate_gates"),
    }
    .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    bar.finish_and_clear();
    report_emulation(&report, json)
}

fn cmd_length(
    args: &MachineArgs,
    encodings: &[EncodingKind],
    plan: &Plan,
    max_steps: u64,
    plot: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (m, _) = load(args)?;
    if let Some(path) = plot {
        arsim::draw::plot::check_path(path).map_err(anyhow::Error::from)?;
    }
    let bar = progress_bar(json, 0, "runs");
    let report = measure(&m, encodings, plan, max_steps, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    bar.finish_and_clear();
    if let Some(path) = plot {
        arsim::length::plot(&report, path).map_err(anyhow::Error::from)?;
        if !json {
            println!("wrote {}", path.display());
        }
    }
    if json {
        print_json(&report);
    } else {
        println!("machine {} ({} mode)", report.machine, report.mode);
        println!(
            "{:<9} {:<24} {:>5} {:>10} {:<12} {:>6} {:>14} {:>11} {:<20} agree",
            "encoding", "input", "n", "steps", "stop", "S", "tokens", "tokens/step", "formula",
        );
        for r in &report.rows {
            let input = if r.input.chars().count() > 24 {
                format!("{}…", r.input.chars().take(23).collect::<String>())
            } else {
                r.input.clone()
            };
            let formula = format!(
                "{} {}",
                r.formula,
                if r.matches_formula { "=" } else { "≠" }
            );
            println!(
                "{:<9} {:<24} {:>5} {:>10} {:<12} {:>6} {:>14} {:>11.1} {:<20} {}",
                r.encoding,
                input,
                r.input_len,
                r.steps,
                r.stop,
                r.tape_cells,
                r.generated_tokens,
                r.tokens_per_step,
                formula,
                if r.agree { "yes" } else { "NO" }
            );
        }
        let against = if report.mode == "tapes" { "S" } else { "n" };
        for f in &report.fits {
            println!(
                "fit {:<9} tokens ≈ {:.3}·{against}^{:.3}  (R² = {:.4}, {} runs)",
                f.encoding, f.constant, f.exponent, f.r2, f.points
            );
        }
    }
    if !report.all_match {
        return Err(Failure::Verification);
    }
    Ok(())
}

/// Prints an emulation report and maps it to the exit status: a run that left the window is
/// bad input (2), a divergence a failed verification (1).
fn report_emulation(report: &EmulationReport, json: bool) -> Result<(), Failure> {
    if json {
        print_json(report);
    } else {
        print_emulation(report);
    }
    if let Some(why) = &report.left_window {
        return Err(Failure::InputAfterReport(anyhow!(
            "{why}; the trace was verified up to there. Give a larger --tape (or leave it out to use the cells the run visits)"
        )));
    }
    if !report.agree {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn print_emulation(r: &EmulationReport) {
    println!("machine      {} (input \"{}\")", r.machine, r.input);
    match (r.gates, r.offsets.first(), r.offsets.last()) {
        (Some(_), Some(lo), Some(hi)) => println!(
            "encoding     {}: {} tokens {{0, 1}}, time-dependent maps reading offsets {lo}..={hi}",
            r.encoding, r.dictionary
        ),
        _ => println!(
            "encoding     {}: {} tokens, offsets {:?}",
            r.encoding, r.dictionary, r.offsets
        ),
    }
    println!(
        "window       {} cells, input from cell {}",
        r.tape_cells, r.origin
    );
    println!("reference    {} steps, {}", r.steps, r.stop);
    println!("executor     {}", r.executor);
    let formula = match r.left_moves {
        // sweep: one row per left move, plus the final row (proofs/sweep.md#length).
        Some(l) => format!(
            "(L+[final])·(S+1) = ({l}+{})·{}",
            r.expected_tokens / (r.tape_cells as u64 + 1) - l,
            r.tape_cells + 1
        ),
        None => format!("T·(S+1) = {}·{}", r.steps, r.tape_cells + 1),
    };
    match r.gates {
        Some(gates) => {
            let b = r.prompt_tokens / (r.tape_cells.max(1) as u64);
            println!(
                "generated    {} bits after a prompt of {} (T·S·|Γ|(|Q|+1) = {}·{}·{} = {gates} gates)",
                r.generated_tokens, r.prompt_tokens, r.steps, r.tape_cells, b
            );
            if let Some(c) = r.cells_tokens {
                println!("             the cells encoding generates {c} tokens for the same run");
            }
        }
        None => println!(
            "generated    {} tokens after a prompt of {} ({formula} = {})",
            r.generated_tokens, r.prompt_tokens, r.expected_tokens
        ),
    }
    match &r.first_divergence {
        None => println!("agree        yes: every generated token equals the interpreter's"),
        Some(d) => {
            println!("agree        NO");
            let mut cell = d.cell.map_or("SEP".to_string(), |c| format!("cell {c}"));
            if let Some(bit) = &d.bit {
                cell = format!("{cell}, bit {bit}");
            }
            println!(
                "divergence   position {} (step {}, {}): expected {}, got {}",
                d.position,
                d.step,
                cell,
                d.expected.as_deref().unwrap_or("end of trace"),
                d.got.as_deref().unwrap_or("end of trace")
            );
            let which = if d.bit.is_some() {
                "cells i-1, i, i+1 of the previous row"
            } else {
                "S+2, S+1, S"
            };
            println!(
                "             context ({which}) = {:?}; top scores {:?}",
                d.context, d.top
            );
        }
    }
    let unit = if r.gates.is_some() { "bits" } else { "tokens" };
    println!(
        "speed        {:.1} M {unit}/s ({:.3} s)",
        r.tokens_per_second / 1e6,
        r.seconds
    );
    if let Some(bytes) = r.peak_rss_bytes {
        println!("memory       peak RSS {:.1} MB", bytes as f64 / 1e6);
    }
}

#[allow(clippy::too_many_arguments)]
fn cmd_compile(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    out: Option<PathBuf>,
    list: bool,
    pictures: [Option<PathBuf>; 2],
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let w = window(wargs, &m, &input, 1_000_000)?;
    if encoding == EncodingKind::Gates {
        if pictures.iter().any(Option::is_some) {
            return Err(Failure::Input(anyhow!(
                "--png/--svg draw offset matrices (cells, sweep); gates weights are one sparse map per position"
            )));
        }
        return cmd_compile_gates(&m, w, out, list, json);
    }
    let p = compile(&m, encoding, w)?;
    let layout = p.layout();
    let mut nonzero = Vec::new();
    for (o, wm) in p.weights().iter().enumerate() {
        for d in 0..wm.nrows() {
            for x in 0..wm.ncols() {
                if wm[(d, x)] != 0 {
                    nonzero.push(p.label(
                        o,
                        arsim::predictor::TokenId(d as u32),
                        arsim::predictor::TokenId(x as u32),
                    ));
                }
            }
        }
    }
    if let Some(path) = &out {
        let extra = [
            ("machine", m.name().to_string()),
            ("encoding", encoding.name().to_string()),
            ("window_size", w.size.to_string()),
            ("origin", w.origin.to_string()),
        ];
        write_safetensors(&p, &extra, path).map_err(anyhow::Error::from)?;
    }
    let [png, svg] = pictures;
    if png.is_some() || svg.is_some() {
        let title = format!(
            "{}: {} encoding on a window of {} cells, {} tokens",
            m.name(),
            encoding.name(),
            w.size,
            layout.tokens.len()
        );
        let h = Heatmap::new(&p, &title);
        if let Some(path) = &png {
            let bytes = h.to_png().map_err(anyhow::Error::from)?;
            write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
        }
        if let Some(path) = &svg {
            write_atomic(path, h.to_svg().as_bytes()).map_err(anyhow::Error::from)?;
        }
    }
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "encoding": encoding.name(),
            "tape_cells": w.size,
            "origin": w.origin,
            "dictionary": layout.tokens,
            "offsets": layout.offsets,
            "offset_names": layout.offset_names,
            "nonzero_weights": nonzero.len(),
            "weights": if list { Some(&nonzero) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
            "png": png.as_ref().map(|p| p.display().to_string()),
            "svg": svg.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        println!("machine      {}", m.name());
        println!(
            "encoding     {} on a window of {} cells",
            encoding.name(),
            w.size
        );
        println!(
            "dictionary   {} tokens: {}",
            layout.tokens.len(),
            layout.tokens.join(" ")
        );
        println!(
            "offsets      {} = {:?}",
            layout.offset_names.join(", "),
            layout.offsets
        );
        println!(
            "weights      {} matrices of {}×{}, {} non-zero",
            layout.offsets.len(),
            layout.tokens.len(),
            layout.tokens.len(),
            nonzero.len()
        );
        if list {
            for l in &nonzero {
                println!("  {l}");
            }
        }
        for path in [&out, &png, &svg].into_iter().flatten() {
            println!("wrote        {}", path.display());
        }
    }
    Ok(())
}

fn cmd_certify(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    weights: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    if encoding == EncodingKind::Gates {
        return cmd_certify_gates(&m, &input, wargs, weights, json);
    }
    // The contexts do not depend on S; S only fixes the offsets. Any window will do.
    let (predictor, w) = predictor(&m, &input, wargs, encoding, weights.as_deref(), 100_000)?;
    let cert = match encoding {
        EncodingKind::Cells => certify_cells(&m, &predictor, w),
        EncodingKind::Sweep => certify_sweep(&m, &predictor, w),
        EncodingKind::Gates => unreachable!("gates is certified by cmd_certify_gates"),
    }
    .map_err(anyhow::Error::from)?;
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "encoding": encoding.name(),
            "tape_cells": w.size,
            "certified": cert.certified,
            "contexts": cert.contexts,
            "min_margin": cert.min_margin,
            "failed": cert.failed,
            "failures": cert.failures,
        }));
    } else {
        println!("machine      {}", m.name());
        let (offsets, proof) = match encoding {
            EncodingKind::Cells => ("S, S+1, S+2", "proofs/cells.md"),
            EncodingKind::Sweep => ("1, S, S+1", "proofs/sweep.md"),
            EncodingKind::Gates => unreachable!("gates is certified by cmd_certify_gates"),
        };
        println!(
            "encoding     {} (offsets {offsets} with S = {})",
            encoding.name(),
            w.size
        );
        println!("contexts     {} local contexts checked", cert.contexts);
        println!("min margin   {}", cert.min_margin);
        if cert.certified {
            println!("certified    yes: by {proof}, the predictor emulates every run that stays in the window");
        } else {
            println!("certified    NO: {} contexts fail", cert.failed);
            for f in &cert.failures {
                println!(
                    "  ({}, {}, {}) → expected {}, got {} (margin {})",
                    f.context[0], f.context[1], f.context[2], f.expected, f.got, f.margin
                );
            }
        }
    }
    if !cert.certified {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn cmd_trace(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    tokens: bool,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let w = window(wargs, &m, &input, max_steps)?;
    let mut config = WindowConfig::initial(&m, &input, w)
        .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    let dict = arsim::encoding::cells::Dictionary::new(&m);
    let render = |c: &WindowConfig| {
        if tokens {
            let mut names = vec!["SEP".to_string()];
            names.extend((0..w.size).map(|i| dict.name(&m, dict.encode(c.token(i)))));
            names.join(" ")
        } else {
            c.render(&m)
        }
    };
    let mut rows = Vec::new();
    let mut left: Option<WindowError> = None;
    let mut step = 0u64;
    loop {
        let row = render(&config);
        if json {
            rows.push(serde_json::json!({ "step": step, "state": m.state_name(config.state), "head": config.head, "row": row }));
        } else {
            println!("{step:>6}  {row}");
        }
        if step >= max_steps {
            break;
        }
        match config.step(&m, step + 1) {
            Ok(true) => step += 1,
            Ok(false) => break,
            Err(e) => {
                left = Some(e);
                break;
            }
        }
    }
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "tape_cells": w.size,
            "origin": w.origin,
            "steps": step,
            "final": config.is_final(&m),
            "rows": rows,
            "left_window": left.as_ref().map(|e| e.to_string()),
        }));
    }
    if let Some(e) = left {
        return Err(Failure::InputAfterReport(anyhow!(
            "machine {}: {e}",
            args.machine
        )));
    }
    Ok(())
}

/// Loads a machine for convert and dot.
fn load_source(src: &MachineSource) -> Result<Machine> {
    Ok(load_machine_as(&src.machine, src.format)?)
}

fn cmd_convert(
    src: &MachineSource,
    to: MachineFormat,
    out: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let m = load_source(src)?;
    let bytes = write_machine(&m, to).map_err(|e| anyhow!("machine {}: {e}", src.machine))?;
    let text = String::from_utf8(bytes.clone()).ok();
    match &out {
        Some(path) => write_atomic(path, &bytes).map_err(anyhow::Error::from)?,
        None if text.is_none() && !json => {
            return Err(Failure::Input(anyhow!(
                "the {} format is binary: give --out FILE",
                to.name()
            )))
        }
        None => {}
    }
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "to": to,
            "out": out.as_ref().map(|p| p.display().to_string()),
            "bytes": bytes.len(),
            "text": if out.is_none() { text } else { None },
            "hex": if out.is_none() && to == MachineFormat::Seed {
                Some(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
            } else {
                None
            },
        }));
    } else if let Some(path) = &out {
        println!(
            "wrote {} ({}, {} bytes)",
            path.display(),
            to.name(),
            bytes.len()
        );
    } else if let Some(t) = text {
        print!("{t}");
    }
    Ok(())
}

fn cmd_dot(
    src: &MachineSource,
    out: Option<PathBuf>,
    png: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let m = load_source(src)?;
    let dot = arsim::graph::to_dot(&m);
    if let Some(path) = &png {
        let bytes = arsim::graph::dot_to_png(&dot).map_err(anyhow::Error::from)?;
        write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
    }
    if let Some(path) = &out {
        write_atomic(path, dot.as_bytes()).map_err(anyhow::Error::from)?;
    }
    if json {
        let g = arsim::graph::state_graph(&m);
        print_json(&serde_json::json!({
            "machine": m.name(),
            "states": g.node_count(),
            "edges": g.edge_count(),
            "rules": m.rules().count(),
            "dot": if out.is_none() { Some(&dot) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
            "png": png.as_ref().map(|p| p.display().to_string()),
        }));
    } else if out.is_none() && png.is_none() {
        print!("{dot}");
    } else {
        for path in [&out, &png].into_iter().flatten() {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn cmd_trace_picture(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    pic: &PictureArgs,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let opts = SpaceTimeOptions {
        steps: pic.steps.clone(),
        max_width: pic.width,
        max_height: pic.height,
        plain: pic.plain,
        ..SpaceTimeOptions::default()
    };
    let (diagram, w) = if pic.emulate {
        let (p, w) = predictor(
            &m,
            &input,
            wargs,
            EncodingKind::Cells,
            pic.weights.as_deref(),
            max_steps,
        )?;
        let d = spacetime::emulated(&m, p, &input, w, max_steps, &opts);
        (d, w)
    } else {
        let w = window(wargs, &m, &input, max_steps)?;
        (spacetime::reference(&m, &input, w, max_steps, &opts), w)
    };
    let d = diagram.map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    let mut written = Vec::new();
    if let Some(path) = &pic.png {
        let bytes = d.to_png().map_err(anyhow::Error::from)?;
        write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
        written.push(path.display().to_string());
    }
    if let Some(path) = &pic.svg {
        write_atomic(path, d.to_svg().as_bytes()).map_err(anyhow::Error::from)?;
        written.push(path.display().to_string());
    }
    let layout = d.layout();
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "input": m.render(&input),
            "tape_cells": w.size,
            "origin": w.origin,
            "emulate": pic.emulate,
            "rows": d.rows,
            "first_step": d.row_steps.first(),
            "last_step": d.row_steps.last(),
            "columns": d.cols,
            "cells_per_column": d.cells_per_col,
            "scale": d.scale,
            "width": layout.width,
            "height": layout.height,
            "differing_tokens": d.wrong_tokens,
            "files": written,
        }));
    } else {
        println!("machine    {} (input \"{}\")", m.name(), m.render(&input));
        println!(
            "diagram    {} rows (steps {}..={}), {} columns ({} cells each), {}×{} pixels",
            d.rows,
            d.row_steps.first().copied().unwrap_or(0),
            d.row_steps.last().copied().unwrap_or(0),
            d.cols,
            d.cells_per_col,
            layout.width,
            layout.height
        );
        if pic.emulate {
            println!(
                "differing  {} drawn cells differ from the interpreter",
                d.wrong_tokens
            );
        }
        for f in &written {
            println!("wrote      {f}");
        }
    }
    if pic.emulate && d.wrong_tokens > 0 {
        return Err(Failure::Verification);
    }
    Ok(())
}

/// The compiled `gates` predictor, or the one in a time-dependent weight file; and its window
/// (from --tape, else the file's metadata, else the run).
fn gates_predictor(
    m: &Machine,
    input: &[SymbolId],
    wargs: &WindowArgs,
    weights: Option<&Path>,
    max_steps: u64,
) -> Result<(TimeDependentAr, Window)> {
    let Some(path) = weights else {
        let w = window(wargs, m, input, max_steps)?;
        let p = machine_to_gates_predictor(m, w)?;
        return Ok((p, w));
    };
    let (p, meta) = arsim::time_dependent::read_safetensors(path)?;
    let from_meta = |k: &str| meta.get(k).and_then(|v| v.parse::<usize>().ok());
    let w = match (wargs.tape, from_meta("window_size"), from_meta("origin")) {
        (None, Some(size), Some(origin)) => Window { size, origin },
        _ => window(wargs, m, input, max_steps)?,
    };
    Ok((p, w))
}

/// `arsim emulate --encoding gates`: the compiled (or loaded) time-dependent predictor against
/// the interpreter's bits.
fn cmd_emulate_gates(
    args: &MachineArgs,
    m: &Machine,
    input: Vec<SymbolId>,
    wargs: &WindowArgs,
    max_steps: u64,
    weights: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let (p, w) = gates_predictor(m, &input, wargs, weights.as_deref(), max_steps)
        .map_err(|e| anyhow!("machine {}: {e:#}", args.machine))?;
    let steps = arsim::interpreter::run(m, &input, max_steps).steps;
    let r = BitLayout::new(m, w).row_bits() as u64;
    let bar = progress_bar(json, steps.saturating_mul(r), "bits");
    let opts = EmulateOptions {
        input,
        window: Some(w),
        max_steps,
    };
    let report = emulate_gates_with(m, &p, &opts, &mut |n| bar.set_position(n))
        .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    bar.finish_and_clear();
    report_emulation(&report, json)
}

fn cmd_compile_gates(
    m: &Machine,
    w: Window,
    out: Option<PathBuf>,
    list: bool,
    json: bool,
) -> Result<(), Failure> {
    let p = machine_to_gates_predictor(m, w).map_err(|e| anyhow!("machine {}: {e}", m.name()))?;
    let layout = BitLayout::new(m, w);
    let labels: Vec<String> = (0..p.num_maps())
        .flat_map(|k| p.map(k).iter().map(move |e| (k, *e)))
        .map(|(k, e)| p.label(k, &e))
        .collect();
    if let Some(path) = &out {
        let extra = [
            ("machine", m.name().to_string()),
            ("encoding", "gates".to_string()),
            ("window_size", w.size.to_string()),
            ("origin", w.origin.to_string()),
            ("bits_per_cell", layout.bits_per_cell().to_string()),
            ("row_bits", layout.row_bits().to_string()),
        ];
        arsim::time_dependent::write_safetensors(&p, &extra, path).map_err(anyhow::Error::from)?;
    }
    let (lo, hi) = (
        p.csr().1.iter().map(|e| e.offset).min().unwrap_or(0),
        p.csr().1.iter().map(|e| e.offset).max().unwrap_or(0),
    );
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "encoding": "gates",
            "tape_cells": w.size,
            "origin": w.origin,
            "dictionary": ["0", "1"],
            "bits_per_cell": layout.bits_per_cell(),
            "row_bits": layout.row_bits(),
            "schedule": p.schedule(),
            "maps": p.num_maps(),
            "offsets": [lo, hi],
            "nonzero_weights": p.nonzeros(),
            "weights": if list { Some(&labels) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        println!("machine      {}", m.name());
        println!(
            "encoding     gates on a window of {} cells: rows of R = S·|Γ|(|Q|+1) = {}·{} = {} bits",
            w.size,
            w.size,
            layout.bits_per_cell(),
            layout.row_bits()
        );
        println!("dictionary   2 tokens: 0 1");
        println!(
            "weights      {} maps, one per bit of a row, served periodically from position {} \
             (row t+1 reads row t at offsets {lo}..={hi}); {} non-zero",
            p.num_maps(),
            p.schedule().start(),
            p.nonzeros()
        );
        if list {
            for l in &labels {
                println!("  {l}");
            }
        }
        if let Some(path) = &out {
            println!("wrote        {}", path.display());
        }
    }
    Ok(())
}

fn cmd_certify_gates(
    m: &Machine,
    input: &[SymbolId],
    wargs: &WindowArgs,
    weights: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    const MAX_STEPS: u64 = 100_000;
    let (p, w) = gates_predictor(m, input, wargs, weights.as_deref(), MAX_STEPS)
        .map_err(|e| anyhow!("machine {}: {e:#}", m.name()))?;
    // The circuit is built for the run's steps (the certificate of a row holds for every T).
    let steps = arsim::interpreter::run(m, input, MAX_STEPS).steps;
    let cert: GatesCertificate =
        certify_gates_with(m, &p, w, steps).map_err(|e| anyhow!("machine {}: {e}", m.name()))?;
    if json {
        print_json(&cert);
    } else {
        println!("machine      {}", m.name());
        println!(
            "encoding     gates on a window of {} cells: {} gates a row (S·|Γ|(|Q|+1) = {}·{})",
            cert.tape_cells, cert.row_bits, cert.tape_cells, cert.bits_per_cell
        );
        println!(
            "circuit      {} steps: {} gates; {} rows unrolled and checked against the predictor gate by gate",
            cert.steps, cert.gates, cert.rows_unrolled
        );
        println!(
            "gates        {} enumerated (every assignment of the ≤ {} tokens read), {} proved from the weights",
            cert.enumerated,
            arsim::circuit::certify::ENUMERATE_MAX_SUPPORT,
            cert.proved
        );
        println!(
            "contexts     {} local contexts checked against the machine's rule",
            cert.contexts
        );
        println!("min margin   {}", cert.min_margin);
        if cert.certified {
            println!("certified    yes: by proofs/gates.md, the predictor emulates every run that stays in the window");
        } else {
            println!(
                "certified    NO: {} contexts fail, {} gates differ from the circuit",
                cert.failed, cert.circuit.failed
            );
            for f in &cert.failures {
                println!(
                    "  {} on ({}, {}, {}) → expected {}, got {} (margin {})",
                    f.gate, f.context[0], f.context[1], f.context[2], f.expected, f.got, f.margin
                );
            }
            for f in &cert.circuit.failures {
                println!("  {} (position {}): {}", f.gate, f.position, f.reason);
            }
            for s in &cert.stray_reads {
                println!("  {s}");
            }
        }
    }
    if !cert.certified {
        return Err(Failure::Verification);
    }
    Ok(())
}

/// One chain of `arsim task multiply --show`.
#[derive(Serialize)]
struct MultiplyShow {
    a: u32,
    b: u32,
    product: u64,
    split: Split,
    cot: CotFormat,
    tokens: usize,
    prompt_len: usize,
    answer_start: usize,
    chain: String,
}

/// One format's shape in `arsim task multiply --stats`.
#[derive(Serialize)]
struct MultiplyFormatStats {
    cot: CotFormat,
    tokens: usize,
    prompt_len: usize,
    answer_start: usize,
}

/// `arsim task multiply --stats`.
#[derive(Serialize)]
struct MultiplyStats {
    vocab_size: usize,
    formats: Vec<MultiplyFormatStats>,
    total_pairs: u64,
    train_pairs: u64,
    validation_pairs: u64,
    test_pairs: u64,
}

impl CotArg {
    /// The token format, or `None` for the Turing-machine route.
    fn format(self) -> Option<CotFormat> {
        match self {
            CotArg::Paper => Some(CotFormat::Paper),
            CotArg::None => Some(CotFormat::None),
            CotArg::Carry => Some(CotFormat::Carry),
            CotArg::Tm => None,
        }
    }
}

fn cmd_task_multiply(args: &MultiplyArgs, json: bool) -> Result<(), Failure> {
    let vocab = Vocabulary::new();
    if let Some(ab) = &args.show {
        let pair = Pair::new(ab[0], ab[1]).map_err(anyhow::Error::from)?;
        let Some(cot) = args.cot.format() else {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            let input = multiply::tm::binary_input(pair);
            return Err(anyhow!(
                "--cot tm has no token text; see the trace with: arsim trace {} --input '{input}' (machine {})",
                args.machine,
                m.name()
            )
            .into());
        };
        let chain = cot.chain(pair);
        let r = MultiplyShow {
            a: pair.a,
            b: pair.b,
            product: pair.product(),
            split: pair.split(),
            cot,
            tokens: chain.tokens.len(),
            prompt_len: chain.prompt_len(),
            answer_start: chain.answer_range().start,
            chain: vocab.decode(&chain.tokens).map_err(anyhow::Error::from)?,
        };
        if json {
            print_json(&r);
        } else {
            println!(
                "pair         {} × {} = {} ({:?})",
                r.a, r.b, r.product, r.split
            );
            println!(
                "chain        {}: {} tokens, generation from {}, answer at {}..{}",
                r.cot, r.tokens, r.prompt_len, r.answer_start, r.tokens
            );
            println!("{}", r.chain);
        }
        return Ok(());
    }
    if !args.stats {
        return multiply_experiment(args, json);
    }
    let r = MultiplyStats {
        vocab_size: vocab.len(),
        formats: CotFormat::ALL
            .into_iter()
            .map(|f| MultiplyFormatStats {
                cot: f,
                tokens: f.len(),
                prompt_len: f.prompt_len(),
                answer_start: f.answer_range().start,
            })
            .collect(),
        total_pairs: arsim::tasks::multiply::TOTAL_PAIRS,
        train_pairs: Split::Train.len(),
        validation_pairs: Split::Validation.len(),
        test_pairs: Split::Test.len(),
    };
    if json {
        print_json(&r);
    } else {
        println!("vocabulary   {} tokens", r.vocab_size);
        for f in &r.formats {
            println!(
                "cot {:<8} {} tokens, generation from {}, answer at {}..{}",
                f.cot.name(),
                f.tokens,
                f.prompt_len,
                f.answer_start,
                f.tokens
            );
        }
        println!(
            "pairs        {} (operands 1111..9999): train {} ({:.3}%, the paper's rule), validation {}, test {}",
            r.total_pairs,
            r.train_pairs,
            100.0 * r.train_pairs as f64 / r.total_pairs as f64,
            r.validation_pairs,
            r.test_pairs
        );
    }
    Ok(())
}

/// `arsim task multiply --cot … --model …`: one row of RESULTS.md's table.
fn multiply_experiment(args: &MultiplyArgs, json: bool) -> Result<(), Failure> {
    use arsim::nn::Architecture;
    let route = (args.cot.format(), args.model);
    let report = match route {
        (Some(format), ModelArg::Mlp | ModelArg::Linear | ModelArg::Transformer) => {
            let (batch, lr, weight_decay) = args.run.batch_lr_decay(
                (args.batch, args.lr, args.weight_decay),
                (
                    arsim::nn::Recipe::PAPER_BATCH,
                    arsim::nn::Recipe::PAPER_LR,
                    arsim::nn::Recipe::PAPER_WEIGHT_DECAY,
                ),
            );
            if args.d == 0 || args.batch == 0 || args.train_seqs == 0 || args.eval_pairs == 0 {
                return Err(anyhow!(
                    "--d, --batch, --train-seqs and --eval-pairs must be positive"
                )
                .into());
            }
            if !(args.lr > 0.0 && args.lr.is_finite()) {
                return Err(anyhow!("--lr {} must be positive", args.lr).into());
            }
            arsim::nn::set_threads(args.run.threads);
            let o = multiply::neural::NeuralOptions {
                format,
                architecture: match args.model {
                    ModelArg::Mlp => Architecture::Mlp,
                    ModelArg::Linear => Architecture::Linear,
                    _ => Architecture::Transformer,
                },
                d: args.d,
                layers: args.run.layers,
                heads: args.run.heads,
                train_seqs: args.train_seqs,
                batch,
                seed: args.seed,
                eval_pairs: args.eval_pairs,
                eval_split: args.eval_split,
                run: args.run.options(lr, weight_decay),
            };
            let mut bar = TrainingBar::new(json, "pairs decoded");
            let r = multiply::neural::run_neural(&o, &mut |p| bar.update(p))
                .map_err(|e| anyhow!("{e}"))?;
            bar.finish();
            print_resume_notes(&r.training.notes);
            serde_json::to_value(&r).expect("report serialises")
        }
        (None, ModelArg::Compiled) => {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            let bar = progress_bar(json, args.eval_pairs as u64, "pairs");
            let r = multiply::tm::run_compiled(&m, args.eval_pairs, args.eval_split, &mut |d| {
                bar.set_position(d as u64)
            });
            bar.finish_and_clear();
            serde_json::to_value(&r).expect("report serialises")
        }
        (None, ModelArg::Learned) => {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            let bar = spinner(json, "units");
            let r = multiply::tm::run_learned(
                &m,
                args.train_seqs,
                args.eval_pairs,
                args.eval_split,
                args.seed,
                args.window,
                &mut |p| match p {
                    arsim::learn::Progress::Phase { name, total } => {
                        bar.set_message(name);
                        bar.set_length(total);
                        bar.set_position(0);
                    }
                    arsim::learn::Progress::Done(d) => bar.set_position(d),
                },
            )
            .map_err(anyhow::Error::from)?;
            bar.finish_and_clear();
            serde_json::to_value(&r).expect("report serialises")
        }
        (Some(_), _) => {
            return Err(anyhow!(
                "--model compiled and learned are the Turing-machine route: use them with --cot tm"
            )
            .into())
        }
        (None, _) => {
            return Err(anyhow!(
                "--cot tm runs the machine's own predictor: use --model compiled or learned"
            )
            .into())
        }
    };
    if json {
        print_json(&report);
    } else {
        print_multiply_row(&report);
    }
    Ok(())
}

/// The human-readable form of one multiplication row.
fn print_multiply_row(r: &serde_json::Value) {
    let f = |k: &str| r.pointer(k).cloned().unwrap_or(serde_json::Value::Null);
    if let Some(v) = r.get("validation") {
        let m = &r["model"];
        println!(
            "model        {} d={} context={} ({} parameters, masked weights not counted)",
            m["architecture"].as_str().unwrap_or("?"),
            m["d"],
            m["context"],
            f("/parameters")
        );
        println!(
            "cot          {} ({} tokens)",
            f("/cot").as_str().unwrap_or("?"),
            f("/chain_tokens")
        );
        println!(
            "training     {} sequences, batch {}, {} steps in {:.1} s ({:.0} tokens/s, {} threads); loss {:.4} → {:.4}",
            f("/train_seqs"),
            f("/batch"),
            f("/training/steps"),
            f("/training/seconds").as_f64().unwrap_or(0.0),
            f("/training/tokens_per_second").as_f64().unwrap_or(0.0),
            f("/threads"),
            f("/training/first_loss").as_f64().unwrap_or(0.0),
            f("/training/final_loss").as_f64().unwrap_or(0.0),
        );
        println!(
            "validation   {} pairs, greedy decoding: exact {} ({:.2} %), per digit {:.2} %, whole chain right {}",
            v["pairs"],
            v["exact"],
            100.0 * v["exact_rate"].as_f64().unwrap_or(0.0),
            100.0 * v["per_digit_accuracy"].as_f64().unwrap_or(0.0),
            v["chains_exact"]
        );
        println!(
            "             teacher-forced token accuracy after the prompt {:.2} %",
            100.0 * v["teacher_forced_accuracy"].as_f64().unwrap_or(0.0)
        );
        if let Some(w) = v["wrong_examples"].as_array() {
            for x in w {
                println!(
                    "  wrong      {} = {}, generated {}",
                    x["pair"].as_str().unwrap_or(""),
                    x["expected"].as_str().unwrap_or(""),
                    x["generated"].as_str().unwrap_or("")
                );
            }
        }
        if let Some(c) = r["checkpoint"].as_str() {
            println!("checkpoint   {c}");
        }
    } else {
        println!(
            "model        {} ({}), {} non-zero weights",
            f("/model").as_str().unwrap_or("?"),
            f("/machine").as_str().unwrap_or("?"),
            f("/parameters")
        );
        println!(
            "cot          tm: the machine's cells trace, {:.0} tokens on average",
            f("/chain_tokens_mean").as_f64().unwrap_or(0.0)
        );
        println!("conversion   {}", f("/conversion").as_str().unwrap_or(""));
        if f("/model") == "learned" {
            println!(
                "training     {} traces in {:.1} s",
                f("/train_seqs"),
                f("/training_seconds").as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "validation   {} pairs: exact {} ({:.2} %), {:.1} s, {:.1} M tokens/s verified",
            f("/pairs"),
            f("/exact"),
            100.0 * f("/exact_rate").as_f64().unwrap_or(0.0),
            f("/seconds").as_f64().unwrap_or(0.0),
            f("/tokens_per_second").as_f64().unwrap_or(0.0) / 1e6
        );
    }
}

/// `arsim task text` with a neural model.
fn text_experiment(args: &TextArgs, json: bool) -> Result<(), Failure> {
    use arsim::tasks::text::{corpus, experiment};
    if args.context == 0 || args.d == 0 || args.epochs == 0 || args.batch == 0 {
        return Err(anyhow!("--context, --d, --epochs and --batch must be positive").into());
    }
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        return Err(anyhow!("--lr {} must be positive", args.lr).into());
    }
    if let Some(p) = &args.plot {
        arsim::tasks::text::plot::check_path(p).map_err(anyhow::Error::from)?;
    }
    let corpus = corpus::read_corpus(&args.corpus).map_err(anyhow::Error::from)?;
    arsim::nn::set_threads(args.run.threads);
    let (batch, lr, weight_decay) = args.run.batch_lr_decay(
        (args.batch, args.lr, args.weight_decay),
        (
            arsim::nn::Recipe::PAPER_TEXT_BATCH,
            arsim::nn::Recipe::PAPER_TEXT_LR,
            arsim::nn::Recipe::PAPER_WEIGHT_DECAY,
        ),
    );
    let o = experiment::TextOptions {
        vocab: args.vocab,
        seed: args.seed,
        validation_fraction: args.validation,
        architecture: match args.model {
            TextModelArg::Linear => arsim::nn::Architecture::Linear,
            TextModelArg::Bigram => arsim::nn::Architecture::Bigram,
            TextModelArg::Transformer => arsim::nn::Architecture::Transformer,
        },
        context: args.context,
        d: args.d,
        epochs: args.epochs,
        batch,
        layers: args.run.layers,
        heads: args.run.heads,
        windowing: args.windowing,
        run: args.run.options(lr, weight_decay),
        prompt: args
            .prompt
            .clone()
            .unwrap_or_else(|| "Once upon a".to_string()),
        temperature: args.temperature,
        sample_tokens: args.tokens,
        samples: args.samples,
        tokenizer: args.tokenizer.clone(),
        eval_every: args.eval_every,
    };
    // --tokenizer-out: the run saves its tokenizer (to --tokenizer, or a temporary file beside
    // the output), which is then converted.
    let mut o = o;
    let scratch = match (&args.tokenizer_out, &o.tokenizer) {
        (Some(out), None) => {
            let tmp = out.with_file_name(format!(".arsim-bpe.tmp{}.json", std::process::id()));
            o.tokenizer = Some(tmp.clone());
            Some(tmp)
        }
        _ => None,
    };
    let mut bar = TrainingBar::new(json, "windows");
    let r = experiment::run_text(&corpus, &o, &mut |p| bar.update(p));
    bar.finish();
    let converted = match (&args.tokenizer_out, &o.tokenizer, &r) {
        (Some(out), Some(saved), Ok(_)) => arsim::tasks::text::bpe::Bpe::load(saved)
            .map_err(anyhow::Error::from)
            .and_then(|bpe| {
                arsim::tasks::text::hf_tokenizer::write(&bpe, out).map_err(anyhow::Error::from)
            }),
        _ => Ok(()),
    };
    if let Some(tmp) = scratch {
        let _ = std::fs::remove_file(tmp);
    }
    let r = r.map_err(|e| anyhow!("{e}"))?;
    converted?;
    print_resume_notes(&r.neural.training.notes);
    if let Some(p) = &args.plot {
        arsim::tasks::text::plot::plot_curve(&r, p).map_err(anyhow::Error::from)?;
    }
    if json {
        print_json(&r);
        return Ok(());
    }
    let b = &r.baselines;
    println!("corpus       {} ({} stories)", b.corpus, b.stories);
    println!(
        "split        {} training, {} validation stories (seed {}); BPE {} tokens",
        b.train_stories, b.validation_stories, args.seed, b.vocab_size
    );
    let n = &r.neural;
    println!(
        "training     {}: {} parameters, {} epochs over {} tokens, {} steps in {:.1} s ({:.0} tokens/s, {} threads); loss {:.3} → {:.3}",
        n.model,
        n.parameters,
        n.epochs,
        n.train_stream_tokens,
        n.training.steps,
        n.training.seconds,
        n.training.tokens_per_second,
        n.threads,
        n.training.first_loss,
        n.training.final_loss
    );
    println!("model                 parameters  val tokens  nats/token  perplexity  bits/byte");
    let row = |name: &str, params: usize, v: &arsim::tasks::text::metrics::EvalReport| {
        println!(
            "{:<20} {:>11} {:>11} {:>11.4} {:>11.2} {:>10.4}",
            name, params, v.tokens, v.cross_entropy, v.perplexity, v.bits_per_byte
        )
    };
    for m in &b.models {
        row(&format!("{} (KN)", m.model), m.parameters, &m.validation);
    }
    for m in &b.modified_kn {
        row(&m.model, m.parameters, &m.validation);
    }
    row(&n.model, n.parameters, &n.validation);
    if n.curve.len() > 1 {
        println!("curve        step  tokens seen  train nats/token  val nats/token  val bits/byte");
        for c in &n.curve {
            println!(
                "{:>17} {:>12} {:>17.4} {:>15.4} {:>14.4}",
                c.step,
                c.train_tokens_seen,
                c.train_loss,
                c.validation_cross_entropy,
                c.validation_bits_per_byte
            );
        }
    }
    for s in &r.samples {
        println!("--- {}, {}\n{}", s.model, s.sampling, s.text);
    }
    if let Some(c) = &r.checkpoint {
        println!(
            "checkpoint   {c} (tokenizer: {})",
            experiment::tokenizer_path(c.as_ref()).display()
        );
    }
    Ok(())
}

fn cmd_task_text(args: &TextArgs, json: bool) -> Result<(), Failure> {
    use arsim::tasks::text::{baselines, corpus, sample};
    if !(0.0..1.0).contains(&args.validation) || args.validation == 0.0 {
        return Err(anyhow!("--validation {} must be in (0, 1)", args.validation).into());
    }
    if !args.baselines {
        return text_experiment(args, json);
    }
    let corpus = corpus::read_corpus(&args.corpus).map_err(anyhow::Error::from)?;
    let opts = baselines::BaselineOptions {
        vocab: args.vocab,
        seed: args.seed,
        validation_fraction: args.validation,
    };
    let b = baselines::run_baselines(&corpus, &opts);
    if b.report.validation_stories == 0 {
        return Err(anyhow!(
            "{} has no validation tokens: none of its {} stories fell in the --validation {} share (seed {})",
            args.corpus.display(),
            corpus.stories().len(),
            args.validation,
            args.seed
        )
        .into());
    }
    if let Some(path) = &args.tokenizer {
        b.bpe.save(path).map_err(anyhow::Error::from)?;
    }
    if let Some(path) = &args.tokenizer_out {
        arsim::tasks::text::hf_tokenizer::write(&b.bpe, path).map_err(anyhow::Error::from)?;
    }
    let samples: Vec<(String, String)> = match &args.prompt {
        None => vec![],
        Some(p) => {
            let tri = &b.models[2];
            let greedy = sample::complete(
                tri,
                &b.bpe,
                p,
                args.tokens,
                sample::Sampling::Greedy,
                args.seed,
            );
            let t = sample::Sampling::Temperature(args.temperature);
            let hot = sample::complete(tri, &b.bpe, p, args.tokens, t, args.seed);
            vec![
                ("greedy".to_string(), greedy),
                (format!("temperature {}", args.temperature), hot),
            ]
        }
    };
    let r = &b.report;
    if json {
        let samples: Vec<_> = samples
            .iter()
            .map(|(how, text)| serde_json::json!({"model": "trigram", "sampling": how, "text": text}))
            .collect();
        print_json(&serde_json::json!({"baselines": r, "samples": samples}));
    } else {
        println!("corpus       {} ({} stories)", r.corpus, r.stories);
        println!(
            "split        {} training, {} validation stories (seed {}, {:.0} % held out)",
            r.train_stories,
            r.validation_stories,
            args.seed,
            100.0 * args.validation
        );
        println!(
            "tokenizer    byte-level BPE, {} tokens, trained in {:.2} s; {} training tokens",
            r.vocab_size, r.tokenizer_seconds, r.train_tokens
        );
        println!("model      n-grams   val tokens  val bytes  nats/token  perplexity  bits/byte");
        for m in r.models.iter().chain(&r.modified_kn) {
            let v = &m.validation;
            println!(
                "{:<9} {:>9} {:>11} {:>10} {:>11.4} {:>11.2} {:>10.4}",
                m.model,
                m.parameters,
                v.tokens,
                v.bytes,
                v.cross_entropy,
                v.perplexity,
                v.bits_per_byte
            );
        }
        for (how, text) in &samples {
            println!("--- trigram, {how}\n{text}");
        }
        if let Some(path) = &args.tokenizer {
            println!("wrote        {}", path.display());
        }
    }
    Ok(())
}

fn cmd_task_parity(args: &ParityArgs, json: bool) -> Result<(), Failure> {
    if let Some(path) = &args.circuit {
        let c = parity_circuit(args.n, args.cot, args.k).map_err(anyhow::Error::from)?;
        arsim::circuit::file::write_circuit(&c, path).map_err(anyhow::Error::from)?;
    }
    if let Some(train) = args.learn {
        let o = arsim::tasks::parity_learn::ParityLearnOptions {
            n: args.n,
            cot: args.cot,
            k: args.k,
            train,
            test: args.samples as usize,
            seed: args.seed,
            max_passes: 1000,
        };
        let r = arsim::tasks::parity_learn::learn_parity(&o).map_err(anyhow::Error::from)?;
        if json {
            print_json(&r);
        } else {
            println!(
                "learned      parity of n = {} bits, chain {} ({} tokens): {} training chains, {} passes, {} mistakes, converged {}",
                r.n, r.cot, r.tokens, r.train, r.passes, r.mistakes, r.converged
            );
            println!(
                "free run     {} fresh inputs: {} chains exact ({:.2} %), {} answers right",
                r.test,
                r.exact,
                100.0 * r.exact_rate,
                r.answer_right
            );
        }
        return Ok(());
    }
    let r: ParityReport = parity_task(args.n, args.cot, args.k, args.samples, args.seed)
        .map_err(anyhow::Error::from)?;
    if json {
        print_json(&r);
    } else {
        println!("task         parity of n = {} bits, chain {}", r.n, r.cot);
        println!(
            "circuit      {} tokens (gates) in {} blocks, each reading at most {} bits; depth {}, largest weight {}",
            r.tokens, r.blocks, r.max_fan_in, r.depth, r.max_abs_weight
        );
        println!(
            "bound        no chain whose tokens read at most {} bits is shorter than ⌈(n−1)/(k−1)⌉ = {}",
            r.k, r.lower_bound
        );
        println!(
            "certified    {} ({} gates enumerated, {} proved from the weights)",
            if r.certified { "yes" } else { "NO" },
            r.enumerated,
            r.proved
        );
        let how = if r.exhaustive {
            "every input".to_string()
        } else {
            format!("random inputs, seed {}", r.seed)
        };
        println!(
            "accuracy     {:.4}: {}/{} ({how}); {} with a wrong token",
            r.accuracy, r.correct, r.samples, r.token_errors
        );
        if let Some(f) = &r.first_failure {
            println!("first wrong  input {} (parity {})", f.input, f.parity);
        }
        println!(
            "speed        {:.0} generated tokens/s, prompts included ({:.3} s)",
            r.tokens_per_second, r.seconds
        );
        if let Some(path) = &args.circuit {
            println!("wrote        {}", path.display());
        }
    }
    if !r.certified || r.correct != r.samples {
        return Err(Failure::Verification);
    }
    Ok(())
}

/// Parses `1-8`, `2,4,6`, `1-3,7` into a sorted list of numbers.
fn parse_numbers(text: &str, what: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |t: &str| {
            t.trim().parse::<usize>().map_err(|_| {
                anyhow!("bad {what} `{part}`: expected a number or a range such as 1-8")
            })
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(anyhow!("bad {what} `{part}`: the range is empty"));
                }
                if b - a > 10_000 {
                    return Err(anyhow!("bad {what} `{part}`: the range is too long"));
                }
                out.extend(a..=b);
            }
            None => out.push(num(part)?),
        }
    }
    if out.is_empty() {
        return Err(anyhow!("no {what} given"));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The input distribution from --pattern/--alphabet/--lengths or --inputs.
fn input_spec(m: &Machine, name: &str, args: &InputArgs) -> Result<InputSpec> {
    if let Some(list) = &args.inputs {
        let words = list
            .split(',')
            .map(|w| {
                m.parse_input(w)
                    .with_context(|| format!("bad --inputs for machine {name}"))
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(InputSpec::Listed(words));
    }
    let lengths = match args.lengths.as_deref() {
        None | Some("auto") => None,
        Some(l) => Some(parse_numbers(l, "--lengths")?),
    };
    let pattern = match (&args.pattern, &args.alphabet) {
        (Some(p), _) => {
            Pattern::parse(m, p).with_context(|| format!("bad --pattern for machine {name}"))?
        }
        (None, Some(a)) => Pattern::words_over(
            &m.parse_input(a)
                .with_context(|| format!("bad --alphabet for machine {name}"))?,
        ),
        (None, None) => Pattern::from_examples(m),
    };
    Ok(InputSpec::Random { pattern, lengths })
}

/// A progress callback that shows each phase as a bar (nothing with --json).
fn phase_bars(json: bool) -> impl FnMut(Progress) {
    let mut bar: Option<ProgressBar> = None;
    move |p| match p {
        Progress::Phase { name, total } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            bar = Some(progress_bar(json, total, name));
        }
        Progress::Done(n) => {
            if let Some(b) = &bar {
                b.set_position(n);
                if b.length() == Some(n) {
                    b.finish_and_clear();
                }
            }
        }
    }
}

fn cmd_learn(
    m: &Machine,
    opts: &LearnOptions,
    save: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    if save.is_some() && opts.learner == LearnerKind::TimeDependent {
        return Err(anyhow!(
            "--save writes time-invariant weights; the time-dependent learner has one classifier per position"
        )
        .into());
    }
    let mut progress = phase_bars(json);
    let learned =
        learn(m, opts, &mut progress).map_err(|e| anyhow!("machine {}: {e}", m.name()))?;
    drop(progress);
    if let Some(path) = &save {
        let r = &learned.report;
        let extra = [
            ("machine", m.name().to_string()),
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
        ];
        match &learned.predictor {
            LearnedPredictor::Integer(w) => write_safetensors(w, &extra, path),
            LearnedPredictor::Float(w) => write_safetensors_f32(w, &extra, path),
            LearnedPredictor::TimeDependent(_) => Ok(()),
        }
        .map_err(anyhow::Error::from)?;
    }
    let r = &learned.report;
    if json {
        let mut value = serde_json::to_value(r).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert(
                "saved".into(),
                serde_json::json!(save.as_ref().map(|p| p.display().to_string())),
            );
        }
        print_json(&value);
    } else {
        print_learn(r);
        if let Some(path) = &save {
            println!("saved        {}", path.display());
        }
    }
    if r.test.trace_errors > 0 {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn print_learn(r: &LearnReport) {
    println!(
        "machine      {} ({}: S = {} cells, |D| = {})",
        r.machine, r.encoding, r.tape_cells, r.dictionary
    );
    let algo = match r.algo {
        Algo::Perceptron => "perceptron",
        Algo::Softmax => "softmax regression",
    };
    let kind = match r.learner {
        LearnerKind::TimeInvariant => "time-invariant",
        LearnerKind::TimeDependent => "time-dependent (one per position)",
    };
    println!(
        "learner      {kind} {algo} over output {}, window {} ({} offsets: {}..{})",
        r.outputs.name(),
        r.window.name(),
        r.offsets.len(),
        r.offsets.first().unwrap_or(&0),
        r.offsets.last().unwrap_or(&0)
    );
    match (&r.inputs.pattern, &r.inputs.lengths) {
        (Some(a), Some(l)) => println!(
            "inputs       random words {a}, runs of lengths {:?}, seed {}; e.g. {:?}",
            l, r.seed, r.inputs.first_training_inputs
        ),
        _ => println!(
            "inputs       listed, seed {}; e.g. {:?}",
            r.seed, r.inputs.first_training_inputs
        ),
    }
    let t = &r.training;
    println!(
        "training     {} traces, {} examples ({} distinct), {} classifier(s), {:.2} s",
        t.traces, t.examples, t.distinct_examples, t.classifiers, t.seconds
    );
    if let Some(p) = &t.perceptron {
        println!(
            "perceptron   {} passes, {} mistakes{}",
            p.passes,
            p.mistakes,
            if p.converged {
                ", converged (a pass with no mistake)"
            } else {
                ", NOT converged (pass limit)"
            }
        );
    }
    if let Some(b) = &t.mistake_bound {
        println!(
            "bound        (R² + 2τ)/γ² = {:.0} (R = {:.3}, τ = {}, γ = {:.5} = margin {} / ‖U_compiled‖ {:.2}): mistakes {} the bound",
            b.bound,
            b.r,
            b.margin,
            b.gamma,
            b.compiled_min_margin,
            b.compiled_norm,
            if t.mistakes_within_bound == Some(true) { "within" } else { "EXCEED" }
        );
    }
    if let Some(s) = &t.softmax {
        println!(
            "softmax      {} epochs ({} AdamW steps), loss {:.5}, {} training examples wrong, min margin {:.3}{}",
            s.epochs,
            s.steps,
            s.loss_per_epoch.last().unwrap_or(&f64::NAN),
            s.train_errors,
            s.min_train_margin,
            if s.converged { ", converged" } else { "" }
        );
    }
    let e = &r.test;
    println!(
        "held-out     {} traces, {} tokens: token error {} ({}), trace error {} ({}), answer error {} ({})",
        e.traces,
        e.tokens,
        pct(e.token_error_rate),
        e.token_errors,
        pct(e.trace_error_rate),
        e.trace_errors,
        pct(e.answer_error_rate),
        e.answer_errors
    );
    println!(
        "compiled     agrees on {} of tokens and {} of traces ({} / {})",
        pct(e.compiled_token_agreement_rate),
        pct(e.compiled_trace_agreement_rate),
        e.compiled_trace_agreement,
        e.traces
    );
    println!(
        "coverage     {} held-out traces had every context in training; {} of them wrong",
        e.covered_traces, e.covered_trace_errors
    );
    if let Some(c) = &r.certificate {
        println!(
            "certificate  {} local contexts, {} fail, min margin {}{}",
            c.contexts,
            c.failed,
            c.min_margin,
            if c.certified {
                ": certified for every input in the window"
            } else {
                ""
            }
        );
    }
    if let Some(f) = &e.first_failure {
        let d = &f.divergence;
        let cell = d.cell.map_or("SEP".to_string(), |c| format!("cell {c}"));
        println!(
            "divergence   input \"{}\" ({} steps): position {} (step {}, {}): expected {}, got {}; context (S+2, S+1, S) = {:?}",
            f.input,
            f.steps,
            d.position,
            d.step,
            cell,
            d.expected.as_deref().unwrap_or("end of trace"),
            d.got.as_deref().unwrap_or("end of trace"),
            d.context
        );
    }
}

fn cmd_sweep(
    m: &Machine,
    opts: &LearnOptions,
    sizes: &str,
    plot: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let sizes = parse_numbers(sizes, "--sweep sizes")?;
    if sizes.contains(&0) {
        return Err(anyhow!("--sweep sizes must be at least 1").into());
    }
    if let Some(path) = &plot {
        arsim::learn::plot::check_path(path).map_err(anyhow::Error::from)?;
    }
    let mut progress = phase_bars(json);
    let report =
        sweep(m, opts, &sizes, &mut progress).map_err(|e| anyhow!("machine {}: {e}", m.name()))?;
    drop(progress);
    if let Some(path) = &plot {
        arsim::learn::plot::plot_sweep(&report, path).map_err(anyhow::Error::from)?;
    }
    if json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert(
                "plot".into(),
                serde_json::json!(plot.as_ref().map(|p| p.display().to_string())),
            );
        }
        print_json(&value);
    } else {
        print_sweep(&report);
        if let Some(path) = &plot {
            println!("plot         {}", path.display());
        }
    }
    Ok(())
}

fn print_sweep(r: &SweepReport) {
    println!(
        "machine      {} ({}: S = {} cells, |D| = {}), window {}, {} held-out traces, seed {}",
        r.machine,
        r.encoding,
        r.tape_cells,
        r.dictionary,
        r.window.name(),
        r.test_traces,
        r.seed
    );
    let algo = match r.algo {
        Algo::Perceptron => "perceptron",
        Algo::Softmax => "softmax",
    };
    println!(
        "{:>7} {:>9} | {:^34} | {:^38}",
        "",
        "",
        format!("time-invariant ({algo})"),
        "time-dependent (perceptron per position)"
    );
    println!(
        "{:>7} {:>9} | {:>10} {:>10} {:>12} | {:>10} {:>10} {:>16}",
        "traces",
        "examples",
        "trace err",
        "token err",
        "mistakes",
        "trace err",
        "token err",
        "classifiers"
    );
    for row in &r.rows {
        let (a, b) = (&row.time_invariant, &row.time_dependent);
        let ti = |f: fn(&arsim::learn::sweep::SweepPoint) -> String| {
            a.as_ref().map_or("-".to_string(), f)
        };
        println!(
            "{:>7} {:>9} | {:>10} {:>10} {:>12} | {:>10} {:>10} {:>16}",
            row.train_traces,
            row.examples,
            ti(|p| pct(p.trace_error_rate)),
            ti(|p| pct(p.token_error_rate)),
            ti(|p| p.mistakes.map_or("-".to_string(), |m| m.to_string())),
            pct(b.trace_error_rate),
            pct(b.token_error_rate),
            b.classifiers
        );
    }
}
