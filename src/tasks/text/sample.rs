//! Sampling text from a [`TokenModel`]: greedy or with a temperature, seeded. Last stage of
//! the text task.

use super::bpe::{Bpe, END_OF_TEXT_ID};
use super::ngram::TokenModel;
use crate::predictor::TokenId;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// One sample of a report: which model, how it was sampled, and the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleText {
    /// `linear …` or `trigram`.
    pub model: String,
    /// `greedy` or `temperature T` (with `, seed S` in the neural run's report).
    pub sampling: String,
    /// Prompt and continuation.
    pub text: String,
}

/// How the next token is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// The most probable token (ties: the smallest id).
    Greedy,
    /// Drawn from `p^(1/t)` renormalised; `t <= 0` is greedy.
    Temperature(f64),
}

/// Continues `prompt` by up to `max_tokens` tokens, stopping after `<|endoftext|>`; returns
/// the continuation only. The history starts with the end token, as in training.
pub fn generate<M: TokenModel + ?Sized>(
    model: &M,
    prompt: &[TokenId],
    max_tokens: usize,
    sampling: Sampling,
    seed: u64,
) -> Vec<TokenId> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut history: Vec<TokenId> = [END_OF_TEXT_ID].iter().chain(prompt).copied().collect();
    let start = history.len();
    for _ in 0..max_tokens {
        let p = model.distribution(&history);
        let next = match sampling {
            Sampling::Temperature(t) if t > 0.0 => {
                let w: Vec<f64> = p.iter().map(|&x| x.powf(1.0 / t)).collect();
                let mut u = rng.random::<f64>() * w.iter().sum::<f64>();
                let mut pick = w.len() - 1;
                for (i, &x) in w.iter().enumerate() {
                    if u < x {
                        pick = i;
                        break;
                    }
                    u -= x;
                }
                pick
            }
            _ => (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0),
        };
        history.push(TokenId(next as u32));
        if TokenId(next as u32) == END_OF_TEXT_ID {
            break;
        }
    }
    history.split_off(start)
}

/// Encodes `prompt`, continues it, and returns prompt and continuation as text (the end
/// token, if drawn, not shown).
pub fn complete<M: TokenModel + ?Sized>(
    model: &M,
    bpe: &Bpe,
    prompt: &str,
    max_tokens: usize,
    sampling: Sampling,
    seed: u64,
) -> String {
    let p = bpe.encode_ordinary(prompt);
    let mut out = generate(model, &p, max_tokens, sampling, seed);
    if out.last() == Some(&END_OF_TEXT_ID) {
        out.pop();
    }
    format!("{prompt}{}", bpe.decode(&out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::text::ngram::{NgramModel, Order};

    #[test]
    fn greedy_follows_counts_and_sampling_is_seeded() {
        let stories = ["the cat sat on the mat\n"; 5];
        let bpe = Bpe::train(&stories, 270);
        let m = NgramModel::fit(
            Order::Trigram,
            bpe.vocab_size(),
            &bpe.encode_stories(&stories),
        );
        let greedy = complete(&m, &bpe, "the cat", 40, Sampling::Greedy, 0);
        assert_eq!(greedy, "the cat sat on the mat\n");
        let a = complete(&m, &bpe, "the", 20, Sampling::Temperature(1.0), 3);
        assert_eq!(
            a,
            complete(&m, &bpe, "the", 20, Sampling::Temperature(1.0), 3)
        );
        assert!(a.starts_with("the"));
    }
}
