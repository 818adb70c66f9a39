//! The experiments of the paper (Malach, ICML 2024), as data a model can be trained and scored
//! on, beside the Turing-machine pipeline rather than inside it.
//!
//! - [`multiply`]: 4-digit multiplication, the paper's headline experiment: the 117-token
//!   vocabulary, the paper's train/validation split of all operand pairs (its validation quarter halved
//!   into validation and test), and the chains
//!   of thought (`paper`, `none`, and the finer `carry`) as token sequences.
//! - [`text`]: TinyStories: the corpus, a story-level split, a byte-level BPE, and the n-gram
//!   baselines with their cross-entropy, perplexity and bits per byte, and sampling.
//!
//! - [`parity`]: chains of thought of different lengths for n-bit parity, as threshold circuits;
//!   [`parity_learn`]: the same chains learned by one perceptron per position from random
//!   inputs' chains, then run free.

pub mod multiply;
pub mod parity;
pub mod parity_learn;
pub mod text;
