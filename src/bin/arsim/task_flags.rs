//! The flags of `arsim task`: parity, multiplication, text.

use arsim::encoding::WindowKind;
use arsim::nn::ResumeNote;
use arsim::tasks::multiply::{Model, Route, Split};
use arsim::tasks::parity::ParityCot;
use arsim::tasks::text::experiment::TextModel;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The experiments of `arsim task`.
#[derive(Subcommand, Debug)]
pub enum TaskCommand {
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
    /// the perceptron on --train training traces first. --show A B prints a chain of
    /// thought; --stats the vocabulary and formats. Examples:
    /// arsim task multiply --cot paper --model mlp --d 16 --train 20000 --seed 0;
    /// arsim task multiply --cot tm --model compiled --eval 2000;
    /// arsim task multiply --cot carry --show 1234 5678
    Multiply(MultiplyArgs),
    /// The frontier of the paper's trade-off, from multiplication runs already made: for each
    /// chain of thought, the smallest model that reaches --threshold exact on the validation
    /// pairs.
    ///
    /// Reads `arsim task multiply --json` reports (networks on none/carry/paper, the Turing
    /// machine's predictors on --cot tm); runs of one model differing only in seed are one
    /// config, which reaches the threshold when its seeds' mean exact rate does (the table also
    /// says whether every seed did). Where no config of a chain reaches it, its best is
    /// reported. --plot draws chain tokens against parameters, log-log. Test-split reports are
    /// refused: the frontier is chosen on validation. Example: arsim task frontier runs/*.json
    /// --plot frontier.svg
    Frontier(FrontierArgs),
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

/// Arguments of `arsim task frontier`.
#[derive(Args, Debug)]
pub struct FrontierArgs {
    /// `arsim task multiply --json` reports, one run each.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// The exact rate (fraction of validation pairs with all 8 digits right) a model must reach.
    #[arg(long, default_value_t = 0.99)]
    pub threshold: f64,
    /// Draw the frontier: chain tokens against parameters, log-log (FILE.svg or FILE.png).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Arguments of `arsim task multiply`.
#[derive(Args, Debug)]
pub struct MultiplyArgs {
    /// The chain of thought: the paper's (307 tokens), none (19), carry (75, running sums
    /// with carries), or tm (the trace of machines/binary-multiply.ron on the operands in
    /// binary, with --model compiled or learned).
    #[arg(long, value_enum, default_value_t = Route::Paper)]
    pub cot: Route,
    /// The predictor: mlp or linear (trained here, for paper/none/carry), compiled or learned
    /// (the Turing-machine route, --cot tm).
    #[arg(long, value_enum, default_value_t = Model::Mlp)]
    pub model: Model,
    /// Embedding width d (mlp, linear).
    #[arg(long, default_value_t = 16)]
    pub d: usize,
    /// Training sequences (mlp, linear: chains of training pairs drawn with replacement;
    /// learned: traces of distinct training pairs).
    #[arg(long = "train", alias = "train-seqs", default_value_t = 20_000)]
    pub train_seqs: usize,
    /// Seed of the initialisation and the training pairs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sequences per batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Peak learning rate (linear warm-up, cosine decay to 10%).
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Validation pairs scored (a fixed sample, the same for every model and format).
    #[arg(long = "eval", alias = "eval-pairs", default_value_t = 2_000)]
    pub eval_pairs: usize,
    /// The held-out half scored: validation (while tuning) or test (once, for a reported
    /// row). Both are halves of the paper's validation pairs.
    #[arg(long, value_enum, default_value_t = Split::Validation)]
    pub eval_split: Split,
    #[command(flatten)]
    pub run: TrainArgs,
    /// The multiplication machine of --cot tm.
    #[arg(long, default_value = "machines/binary-multiply.ron")]
    pub machine: String,
    /// Offsets the learned predictor reads (--model learned): all (1..S+2) or local (S, S+1, S+2).
    #[arg(long, value_enum, default_value_t = WindowKind::All)]
    pub window: WindowKind,
    /// Print the chain of thought of the pair A × B instead.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["stats", "hf"])]
    pub show: Option<Vec<u32>>,
    /// Print the vocabulary size, every format's length and the split counts instead.
    #[arg(long, conflicts_with = "hf")]
    pub stats: bool,
}

/// How a training run is kept and bounded (`arsim task multiply` and `task text`).
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Positions per chunk of the masked layer (0: automatic; speed only).
    #[arg(long, default_value_t = 0)]
    pub chunk: usize,
    /// Write checkpoints here (safetensors: parameters, AdamW moments, step; every 5 minutes
    /// and at the end). The text task writes its tokenizer beside it, FILE.tokenizer.json.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Continue training from this checkpoint; the run's data options must be the same (the
    /// checkpoint records them and a mismatch is refused).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// After training, write the final checkpoint as a Hugging Face GPT-2 directory here
    /// (--model transformer): config.json, model.safetensors, and the text task's tokenizer.json.
    #[arg(long, value_name = "DIR", requires = "checkpoint")]
    pub hf: Option<PathBuf>,
    /// Stop after this many optimizer steps in total (the schedule still spans the whole run;
    /// continue later with --resume).
    #[arg(long)]
    pub stop_at: Option<usize>,
    /// CPU threads for training (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// The paper's training recipe (emalach/LinearLM): PyTorch's uniform initialisation, no
    /// bias in the masked layer, weight decay 0.1 except on biases, gradients clipped to norm
    /// 1.0, linear decay after one warm-up step; and the paper's batch and learning rate
    /// (multiply: 2048 and 1e-3; text: 1024 and 5e-4), which replace --batch, --lr and
    /// --weight-decay. --d, --train and --epochs stay free.
    #[arg(long)]
    pub paper_config: bool,
    /// Transformer blocks (--model transformer).
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Attention heads per block (--model transformer; --d must be a multiple).
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
}

impl TrainArgs {
    /// The library's options, with the task's learning rate and weight decay.
    pub fn options(&self, lr: f64, weight_decay: f64) -> arsim::nn::RunOptions {
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
    pub fn batch_lr_decay(
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

/// Arguments of `arsim task text`.
#[derive(Args, Debug)]
pub struct TextArgs {
    /// The corpus: stories separated by lines `<|endoftext|>`.
    #[arg(long)]
    pub corpus: PathBuf,
    /// Tokenizer vocabulary size (bytes, `<|endoftext|>` and merges).
    #[arg(long, default_value_t = 1024)]
    pub vocab: usize,
    /// Seed of the story-level split (and of sampling).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Share of stories held out for validation.
    #[arg(long, default_value_t = 0.1)]
    pub validation: f64,
    /// Only the n-gram baselines: no neural model is trained.
    #[arg(long, conflicts_with = "hf")]
    pub baselines: bool,
    /// The neural model: linear (the paper's) or bigram (the softmax bigram baseline).
    #[arg(long, value_enum, default_value_t = TextModel::Linear)]
    pub model: TextModel,
    /// Context T of the linear model (tokens per window).
    #[arg(long, default_value_t = 64)]
    pub context: usize,
    /// Embedding width d of the linear model.
    #[arg(long, default_value_t = 64)]
    pub d: usize,
    /// Passes over the training windows.
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Windows per batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Peak learning rate (linear warm-up, cosine decay to 10%).
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// AdamW weight decay (the paper's: 0.1).
    #[arg(long, default_value_t = 0.1)]
    pub weight_decay: f64,
    #[command(flatten)]
    pub run: TrainArgs,
    /// Prompt of the samples (with --baselines, only the trigram is sampled, and only when a
    /// prompt is given).
    #[arg(long)]
    pub prompt: Option<String>,
    /// Tokens per sample.
    #[arg(long = "sample-tokens", alias = "tokens", default_value_t = 200)]
    pub tokens: usize,
    /// Temperature of the sampled continuations.
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// Samples per model: one greedy, the rest sampled (seeds --seed, --seed + 1, …).
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Measure the validation stories every this many steps as well as at the end (a
    /// learning curve in the report; 0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub eval_every: usize,
    /// Training windows: random (random crops of the training stream) or paper (each story cut
    /// into non-overlapping chunks of --context + 1 tokens, remainders dropped, as the paper's
    /// code; its context_length 64 is --context 63).
    #[arg(long, value_enum, default_value_t = arsim::tasks::text::neural::Windowing::Random)]
    pub windowing: arsim::tasks::text::neural::Windowing,
    /// Draw the learning curve (validation bits per byte against training tokens, with the
    /// n-gram baselines) to this .svg or .png file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Also write the tokenizer to this JSON file.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Also write the tokenizer as a Hugging Face `tokenizers` file (tokenizer.json), which
    /// encodes text to the same ids.
    #[arg(long = "hf-tokenizer", alias = "tokenizer-out")]
    pub tokenizer_out: Option<PathBuf>,
}

/// Arguments of `arsim task parity`.
#[derive(Args, Debug)]
pub struct ParityArgs {
    /// Input bits.
    #[arg(long)]
    pub n: usize,
    /// The chain of thought.
    #[arg(long, value_enum, default_value_t = ParityCot::Popcount)]
    pub cot: ParityCot,
    /// The most bits a token may read (with --cot kbounded).
    #[arg(long)]
    pub k: Option<usize>,
    /// Random inputs to try when n > 20 (every input is tried when n ≤ 20).
    #[arg(long = "eval", alias = "samples", default_value_t = 1000)]
    pub samples: u64,
    /// Seed of the random inputs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write the circuit to this .ron file.
    #[arg(long = "out", alias = "circuit")]
    pub circuit: Option<PathBuf>,
    /// Learn the chain instead of compiling it: one perceptron per position, trained on the
    /// chains of this many random inputs, then run free on --eval fresh ones.
    #[arg(long = "train", alias = "learn")]
    pub learn: Option<usize>,
}

/// Says on stderr what a resumed run changed against its checkpoint, each setting by its flag.
pub fn print_resume_notes(notes: &[ResumeNote]) {
    for n in notes {
        eprintln!("note: {}", crate::hints::note(n));
    }
}
