//! The paper's experiments as a shell reaches them (`arsim.tasks` in Python): 4-digit
//! multiplication (the vocabulary, the chains of thought, the fixed split, seeded training
//! batches, the validation sample and the scoring of greedily decoded chains) and TinyStories
//! (the corpus, its story-level split, arsim's BPE tokenizer and its Hugging Face file, the
//! n-gram baselines, bits per byte). Ids from outside are checked here ([`token_ids`]).

use crate::api::error::ApiError;
use crate::api::tokens::token_ids;
use crate::tasks::multiply::neural::{ChainBatches, EVAL_SEED};
use crate::tasks::multiply::{Dataset, Vocabulary};
use crate::tasks::text::baselines::{run_baselines, BaselineOptions, BaselineReport};
use crate::tasks::text::metrics::{evaluate, EvalReport, EvalSet};
use crate::tasks::text::{corpus, hf_tokenizer, split};
use crate::token::TokenId;
use serde::Serialize;
use std::path::Path;

pub use crate::tasks::multiply::neural::{ChainsScore, WrongAnswer};
pub use crate::tasks::multiply::{Chain, CotFormat, Pair, Split};
pub use crate::tasks::text::bpe::Bpe;
pub use crate::tasks::text::ngram::{NgramModel, Order};

// ---------------------------------------------------------------- multiplication

/// The words of the multiplication vocabulary, by id.
pub fn multiply_vocabulary() -> Vec<String> {
    Vocabulary::new().words().to_vec()
}

/// The pair a × b (each operand in 1111..=9999).
pub fn multiply_pair(a: u32, b: u32) -> Result<Pair, ApiError> {
    Ok(Pair::new(a, b)?)
}

/// The chain of thought of a × b in `format`.
pub fn multiply_chain(format: CotFormat, a: u32, b: u32) -> Result<Vec<TokenId>, ApiError> {
    Ok(format.chain(multiply_pair(a, b)?).tokens)
}

/// The pairs in the training, validation and test sides of the split.
pub fn multiply_split_sizes() -> (u64, u64, u64) {
    (
        Split::Train.len(),
        Split::Validation.len(),
        Split::Test.len(),
    )
}

/// Training batch `step` of a run with `seed` (`arsim task multiply --seed --batch`): the pairs
/// and their whole chains, row-major `[batch, len]`.
pub fn multiply_batch(
    format: CotFormat,
    batch: usize,
    seed: u64,
    step: usize,
) -> (Vec<Pair>, Vec<TokenId>) {
    let pairs = ChainBatches {
        format,
        batch,
        seed,
    }
    .pairs(step);
    let ids = pairs.iter().flat_map(|&p| format.chain(p).tokens).collect();
    (pairs, ids)
}

/// The fixed sample of `arsim task multiply --eval n --eval-split split` (seed `EVAL_SEED`):
/// the held-out pairs every row is scored on (`Split::Validation` while tuning, `Split::Test`
/// once for a reported row). `Split::Train` is refused: it is not a held-out half.
pub fn multiply_validation(
    format: CotFormat,
    split: Split,
    n: usize,
) -> Result<Vec<Chain>, ApiError> {
    if split == Split::Train {
        return Err(ApiError::Shape {
            what: "split".to_string(),
            message:
                "the scored sample is drawn from a held-out half: validation or test, not train"
                    .to_string(),
        });
    }
    Ok(Dataset::new(split, format).sample_chains(n, EVAL_SEED))
}

/// Scores greedily decoded chains of the sample of `n` pairs of `split` (validation or test):
/// row k of `generated` is the chain decoded from the prompt of sample pair k (the rule of
/// `decode_and_score`: answer digits right, whole answers, whole chains).
pub fn multiply_score(
    format: CotFormat,
    split: Split,
    n: usize,
    generated: &[Vec<i64>],
) -> Result<ChainsScore, ApiError> {
    let chains = multiply_validation(format, split, n)?;
    let len = format.len();
    if generated.len() != chains.len() || generated.iter().any(|r| r.len() != len) {
        let lens: Vec<usize> = generated.iter().map(Vec::len).collect();
        return Err(ApiError::Shape {
            what: "predicted chains".to_string(),
            message: format!(
                "expected {} chains of {len} tokens (the {} sample of {n} pairs, cot {}), got {} rows of lengths {:?}",
                chains.len(),
                split.name(),
                format.name(),
                generated.len(),
                &lens[..lens.len().min(8)]
            ),
        });
    }
    let vocab = Vocabulary::new();
    let mut score = ChainsScore::default();
    for (k, (chain, row)) in chains.iter().zip(generated).enumerate() {
        let row = token_ids(&format!("chain {k}"), row, vocab.len())?;
        if row[..chain.prompt_len()] != *chain.prompt() {
            return Err(ApiError::Shape {
                what: "predicted chains".to_string(),
                message: format!(
                    "chain {k} does not start with the prompt of validation pair {}×{}",
                    chain.pair.a, chain.pair.b
                ),
            });
        }
        score.add(chain, &row, &vocab);
    }
    Ok(score)
}

// ---------------------------------------------------------------- TinyStories

/// The stories of a TinyStories-format file (UTF-8 checked; errors name file and line).
pub fn read_stories(path: &Path) -> Result<Vec<String>, ApiError> {
    Ok(corpus::read_corpus(path)?.stories().to_vec())
}

/// The story-level split of `arsim task text`: (training indices, validation indices).
pub fn split_stories(
    stories: &[String],
    seed: u64,
    validation_fraction: f64,
) -> (Vec<usize>, Vec<usize>) {
    let s = split::split_stories(stories, seed, validation_fraction);
    (s.train, s.validation)
}

/// `ids` decoded by the tokenizer, each checked against its vocabulary first.
pub fn bpe_decode(bpe: &Bpe, ids: &[i64]) -> Result<String, ApiError> {
    Ok(bpe.decode(&token_ids("ids", ids, bpe.vocab_size())?))
}

/// The tokenizer as a Hugging Face `tokenizers` JSON file's text.
pub fn bpe_hf_json(bpe: &Bpe) -> Result<String, ApiError> {
    Ok(hf_tokenizer::to_json(bpe)?)
}

/// Writes the tokenizer as a Hugging Face `tokenizers` file, whole.
pub fn bpe_hf_save(bpe: &Bpe, path: &Path) -> Result<(), ApiError> {
    Ok(hf_tokenizer::write(bpe, path)?)
}

/// The n-gram model of order `order` (1, 2 or 3) fitted on token sequences over `vocab` ids.
pub fn ngram_fit(
    order: usize,
    vocab: usize,
    sequences: &[Vec<i64>],
) -> Result<NgramModel, ApiError> {
    let order = match order {
        1 => Order::Unigram,
        2 => Order::Bigram,
        3 => Order::Trigram,
        n => {
            return Err(ApiError::Option {
                what: "order".to_string(),
                value: n.to_string(),
                possible: vec!["1".into(), "2".into(), "3".into()],
            })
        }
    };
    let seqs = sequences
        .iter()
        .enumerate()
        .map(|(k, s)| token_ids(&format!("sequence {k}"), s, vocab))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NgramModel::fit(order, vocab, &seqs))
}

/// An n-gram model's name and size.
#[derive(Clone, Debug, Serialize)]
pub struct NgramInfo {
    /// `unigram`, `bigram` or `trigram`.
    pub model: &'static str,
    /// Its parameters.
    pub parameters: usize,
    /// Its Kneser-Ney discounts.
    pub discounts: Vec<f64>,
}

/// The model's name and size.
pub fn ngram_info(model: &NgramModel) -> NgramInfo {
    NgramInfo {
        model: model.order().name(),
        parameters: model.parameters(),
        discounts: model.discounts(),
    }
}

/// Cross-entropy, perplexity and bits per byte of `model` on `stories` (every token scored once).
pub fn ngram_evaluate(model: &NgramModel, bpe: &Bpe, stories: &[String]) -> EvalReport {
    evaluate(model, &EvalSet::new(stories, bpe))
}

/// The baselines of `arsim task text --baselines` on the corpus at `path`: the table and the
/// tokenizer trained for it.
pub fn text_baselines(
    path: &Path,
    vocab: usize,
    seed: u64,
    validation_fraction: f64,
) -> Result<(BaselineReport, Bpe), ApiError> {
    // The baselines sample nothing: only the vocabulary is checked (a temperature of 0).
    crate::tasks::text::check_settings(vocab, 0.0)?;
    let corpus = corpus::read_corpus(path)?;
    let b = run_baselines(
        &corpus,
        &BaselineOptions {
            vocab,
            seed,
            validation_fraction,
        },
    );
    Ok((b.report, b.bpe))
}

/// Bits per byte of a total negative log-likelihood in nats over `bytes` bytes of text (the
/// rule of `metrics::evaluate`).
pub fn bits_per_byte(total_nats: f64, bytes: usize) -> f64 {
    total_nats / std::f64::consts::LN_2 / bytes.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validation_sample_scores_perfectly_and_bad_rows_are_named() {
        let f = CotFormat::Carry;
        let truth: Vec<Vec<i64>> = multiply_validation(f, Split::Validation, 5)
            .unwrap()
            .iter()
            .map(|c| c.tokens.iter().map(|t| i64::from(t.0)).collect())
            .collect();
        let s = multiply_score(f, Split::Validation, 5, &truth).unwrap();
        assert_eq!((s.exact, s.chains_exact, s.per_digit_accuracy), (5, 5, 1.0));
        let mut bad = truth.clone();
        bad[2][20] = -1;
        let e = multiply_score(f, Split::Validation, 5, &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("chain 2: token 20 is -1, a negative id"), "{e}");
        let e = multiply_score(f, Split::Validation, 5, &truth[..4])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected 5 chains of 75 tokens"), "{e}");
        // The test half is another sample, scored by the same rules; train is no held-out half.
        let test = multiply_validation(f, Split::Test, 5).unwrap();
        assert!(test.iter().all(|c| c.pair.split() == Split::Test));
        assert!(test[0].pair != multiply_validation(f, Split::Validation, 1).unwrap()[0].pair);
        let e = multiply_score(f, Split::Test, 5, &truth)
            .unwrap_err()
            .to_string();
        assert!(e.contains("prompt"), "{e}");
        assert!(multiply_validation(f, Split::Train, 5).is_err());
    }
}
