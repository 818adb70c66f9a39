//! The TinyStories task's non-neural foundation: corpus reading, the story-level split, a
//! byte-level BPE tokenizer, n-gram baselines (interpolated Kneser-Ney), their measures
//! (cross-entropy, perplexity, bits per byte) and sampling.
//!
//! Pipeline ([`baselines::run_baselines`] runs it): [`corpus::read_corpus`] →
//! [`split::split_stories`] → [`bpe::Bpe::train`] on the training stories →
//! [`bpe::Bpe::encode_stories`] → [`ngram::NgramModel::fit`] → [`metrics::evaluate`] on the
//! validation stories, and [`sample::generate`] from a prompt.
//!
//! ```
//! use arsim::tasks::text::{bpe::Bpe, corpus::parse_corpus, metrics::{evaluate, EvalSet}};
//! use arsim::tasks::text::ngram::{NgramModel, Order};
//! let text = "Once upon a time.\n<|endoftext|>\nThe cat sat.\n<|endoftext|>\n";
//! let corpus = parse_corpus(text.as_bytes(), "inline".as_ref()).unwrap();
//! let bpe = Bpe::train(corpus.stories(), 300);
//! let seqs = bpe.encode_stories(corpus.stories());
//! let model = NgramModel::fit(Order::Trigram, bpe.vocab_size(), &seqs);
//! let report = evaluate(&model, &EvalSet::new(corpus.stories(), &bpe));
//! assert_eq!(report.bytes, corpus.story_bytes());
//! assert!(report.bits_per_byte > 0.0);
//! ```

pub mod baselines;
pub mod bpe;
pub mod corpus;
pub mod experiment;
pub mod hf_tokenizer;
pub mod metrics;
pub mod neural;
pub mod ngram;
pub mod plot;
pub mod sample;
pub mod split;

/// A setting of the text task outside the values it takes, said in words.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TextSettingError {
    /// A vocabulary smaller than the bytes and `<|endoftext|>`.
    #[error("the vocabulary size {0} is below the {min} tokens of the bytes and <|endoftext|>", min = bpe::MIN_VOCAB)]
    Vocabulary(usize),
    /// A temperature that is not a number of 0 or more.
    #[error("the sampling temperature {0} must be a number of 0 or more (0: greedy)")]
    Temperature(f64),
}

/// Checks the tokenizer's vocabulary size and the sampling temperature before any work (a
/// vocabulary below [`bpe::MIN_VOCAB`] was silently raised to it; a `NaN` temperature sampled
/// nonsense).
pub fn check_settings(vocab: usize, temperature: f64) -> Result<(), TextSettingError> {
    if vocab < bpe::MIN_VOCAB {
        return Err(TextSettingError::Vocabulary(vocab));
    }
    if !(temperature >= 0.0 && temperature.is_finite()) {
        return Err(TextSettingError::Temperature(temperature));
    }
    Ok(())
}
