//! Measures of a [`TokenModel`] on held-out stories: cross-entropy, perplexity and bits per
//! byte. Fifth stage of the text task.

use super::bpe::Bpe;
use super::ngram::TokenModel;
use crate::predictor::TokenId;
use serde::Serialize;

/// Held-out stories under one tokenization: their token sequences and their byte count.
#[derive(Clone, Debug)]
pub struct EvalSet {
    /// Each story's tokens, ending with `<|endoftext|>`.
    pub sequences: Vec<Vec<TokenId>>,
    /// UTF-8 bytes of the stories' text (separator lines not counted); independent of the
    /// tokenizer.
    pub bytes: usize,
}

impl EvalSet {
    /// Encodes `stories` with `bpe` and counts their bytes.
    pub fn new<S: AsRef<str>>(stories: &[S], bpe: &Bpe) -> EvalSet {
        EvalSet {
            sequences: bpe.encode_stories(stories),
            bytes: stories.iter().map(|s| s.as_ref().len()).sum(),
        }
    }

    /// Number of tokens predicted (every story's tokens and its end token).
    pub fn tokens(&self) -> usize {
        self.sequences.iter().map(Vec::len).sum()
    }
}

/// A model's measures on an [`EvalSet`].
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Tokens predicted, each story's end token included (a count).
    #[serde(rename = "predicted_tokens")]
    pub tokens: usize,
    /// UTF-8 bytes of the text those tokens cover.
    pub bytes: usize,
    /// Total negative log-likelihood, in nats.
    pub total_nats: f64,
    /// Mean negative log-likelihood per token, in nats.
    pub cross_entropy: f64,
    /// `exp(cross_entropy)`: perplexity per token of this tokenization.
    pub perplexity: f64,
    /// Bits per byte (see [`evaluate`]).
    pub bits_per_byte: f64,
}

/// Measures `model` on `set`.
///
/// Bits per byte is the total negative log2-likelihood of the validation tokens (each story's
/// end token included) divided by the UTF-8 byte count of the validation text they cover
/// (the stories' bytes, separator lines excluded): `total_nats / ln 2 / bytes`. The
/// denominator does not depend on the tokenizer, so models with different tokenizations
/// compare; cross-entropy and perplexity are per token and compare only under one
/// tokenization.
pub fn evaluate<M: TokenModel + ?Sized>(model: &M, set: &EvalSet) -> EvalReport {
    let mut nats = 0.0;
    for seq in &set.sequences {
        for i in 0..seq.len() {
            nats -= model.log_prob(&seq[..i], seq[i]);
        }
    }
    let tokens = set.tokens();
    let cross_entropy = nats / tokens.max(1) as f64;
    EvalReport {
        tokens,
        bytes: set.bytes,
        total_nats: nats,
        cross_entropy,
        perplexity: cross_entropy.exp(),
        bits_per_byte: nats / std::f64::consts::LN_2 / set.bytes.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform over V tokens: log V nats per token.
    struct Uniform(usize);

    impl TokenModel for Uniform {
        fn vocab_size(&self) -> usize {
            self.0
        }
        fn log_prob(&self, _: &[TokenId], _: TokenId) -> f64 {
            -(self.0 as f64).ln()
        }
        fn distribution(&self, _: &[TokenId]) -> Vec<f64> {
            vec![1.0 / self.0 as f64; self.0]
        }
    }

    #[test]
    fn uniform_model_measures() {
        let bpe = Bpe::train(&["ab ab"], 257);
        let set = EvalSet::new(&["ab", "c"], &bpe);
        assert_eq!((set.tokens(), set.bytes), (5, 3));
        let r = evaluate(&Uniform(257), &set);
        assert!((r.cross_entropy - 257f64.ln()).abs() < 1e-12);
        assert!((r.perplexity - 257.0).abs() < 1e-9);
        assert!((r.bits_per_byte - 5.0 * 257f64.log2() / 3.0).abs() < 1e-12);
    }
}
