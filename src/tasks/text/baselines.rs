//! The whole non-neural text task in one call: split, train the tokenizer, fit the unigram,
//! bigram and trigram baselines and measure them on the validation stories.

use super::bpe::Bpe;
use super::corpus::Corpus;
use super::metrics::{evaluate, EvalReport, EvalSet};
use super::ngram::{NgramModel, Order, Smoothing};
use super::sample::{complete, SampleText, Sampling};
use super::split::{split_stories, StorySplit};
use serde::Serialize;
use std::time::Instant;

/// What [`run_baselines`] needs besides the corpus.
#[derive(Clone, Copy, Debug)]
pub struct BaselineOptions {
    /// Tokenizer vocabulary size (at least 257).
    pub vocab: usize,
    /// Seed of the story-level split.
    pub seed: u64,
    /// Share of stories held out for validation.
    pub validation_fraction: f64,
}

/// One baseline's line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRow {
    /// "unigram", "bigram" or "trigram".
    pub model: String,
    /// Stored n-grams, all orders.
    pub parameters: usize,
    /// Its measures on the validation stories.
    pub validation: EvalReport,
}

/// The baselines' table and what it was computed on.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineReport {
    /// The corpus file.
    pub corpus: String,
    /// Stories in the corpus.
    pub stories: usize,
    /// Training stories.
    pub train_stories: usize,
    /// Validation stories.
    pub validation_stories: usize,
    /// The tokenizer's vocabulary size (merges stop early on tiny corpora).
    pub vocab_size: usize,
    /// Seconds to train the tokenizer.
    pub tokenizer_seconds: f64,
    /// Training tokens (end tokens included).
    pub train_tokens: usize,
    /// One row per model, unigram first (interpolated Kneser-Ney, one discount per order).
    pub models: Vec<ModelRow>,
    /// The same three orders with modified Kneser-Ney (three discounts per order), the
    /// standard baseline.
    pub modified_kn: Vec<ModelRow>,
}

/// The trained tokenizer and models beside their report.
#[derive(Clone, Debug)]
pub struct Baselines {
    /// The tokenizer, trained on the training stories.
    pub bpe: Bpe,
    /// The unigram model (interpolated Kneser-Ney).
    pub unigram: NgramModel,
    /// The bigram model (interpolated Kneser-Ney).
    pub bigram: NgramModel,
    /// The trigram model (interpolated Kneser-Ney): the one sampled beside the neural model.
    pub trigram: NgramModel,
    /// The table.
    pub report: BaselineReport,
    /// The story-level split the table was measured on.
    pub split: StorySplit,
}

impl Baselines {
    /// The interpolated Kneser-Ney model of `order`.
    pub fn model(&self, order: Order) -> &NgramModel {
        match order {
            Order::Unigram => &self.unigram,
            Order::Bigram => &self.bigram,
            Order::Trigram => &self.trigram,
        }
    }

    /// `arsim task text --baselines --prompt`: the trigram's greedy continuation of `prompt`,
    /// then one drawn at `temperature` with `seed`, each at most `tokens` tokens.
    pub fn trigram_samples(
        &self,
        prompt: &str,
        tokens: usize,
        temperature: f64,
        seed: u64,
    ) -> Vec<SampleText> {
        [
            ("greedy".to_string(), Sampling::Greedy),
            (
                format!("temperature {temperature}"),
                Sampling::Temperature(temperature),
            ),
        ]
        .into_iter()
        .map(|(how, sampling)| SampleText {
            model: "trigram".to_string(),
            sampling: how,
            text: complete(&self.trigram, &self.bpe, prompt, tokens, sampling, seed),
        })
        .collect()
    }

    /// The training and the validation stories of `corpus` under [`Baselines::split`].
    pub fn stories<'c>(&self, corpus: &'c Corpus) -> (Vec<&'c str>, Vec<&'c str>) {
        let stories = corpus.stories();
        let pick = |ix: &[usize]| ix.iter().map(|&i| stories[i].as_str()).collect();
        (pick(&self.split.train), pick(&self.split.validation))
    }
}

/// Runs the baselines on `corpus`.
pub fn run_baselines(corpus: &Corpus, opts: &BaselineOptions) -> Baselines {
    let stories = corpus.stories();
    let split = split_stories(stories, opts.seed, opts.validation_fraction);
    let pick = |ix: &[usize]| -> Vec<&str> { ix.iter().map(|&i| stories[i].as_str()).collect() };
    let (train, valid) = (pick(&split.train), pick(&split.validation));
    let t0 = Instant::now();
    let bpe = Bpe::train(&train, opts.vocab);
    let tokenizer_seconds = t0.elapsed().as_secs_f64();
    let train_seqs = bpe.encode_stories(&train);
    let set = EvalSet::new(&valid, &bpe);
    let mut rows = Vec::new();
    let mut modified_kn = Vec::new();
    // Each order's interpolated model (kept, and a row of the table) and its modified-KN row.
    let mut fit = |order: Order| {
        let m = NgramModel::fit(order, bpe.vocab_size(), &train_seqs);
        rows.push(ModelRow {
            model: order.name().to_string(),
            parameters: m.parameters(),
            validation: evaluate(&m, &set),
        });
        let mk = NgramModel::fit_with(
            order,
            bpe.vocab_size(),
            &train_seqs,
            Smoothing::ModifiedKneserNey,
        );
        modified_kn.push(ModelRow {
            model: format!("{}, modified KN", order.name()),
            parameters: mk.parameters(),
            validation: evaluate(&mk, &set),
        });
        m
    };
    let (unigram, bigram, trigram) = (fit(Order::Unigram), fit(Order::Bigram), fit(Order::Trigram));
    let report = BaselineReport {
        corpus: corpus.path().display().to_string(),
        stories: stories.len(),
        train_stories: train.len(),
        validation_stories: valid.len(),
        vocab_size: bpe.vocab_size(),
        tokenizer_seconds,
        train_tokens: train_seqs.iter().map(Vec::len).sum(),
        models: rows,
        modified_kn,
    };
    Baselines {
        bpe,
        unigram,
        bigram,
        trigram,
        report,
        split,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::text::corpus::parse_corpus;

    #[test]
    fn baselines_on_a_tiny_corpus() {
        let text = "The dog ran. The dog sat.\n<|endoftext|>\n".to_string()
            + &(0..40)
                .map(|i| format!("The cat {i} ran to the dog.\n<|endoftext|>\n"))
                .collect::<String>();
        let c = parse_corpus(text.as_bytes(), "tiny".as_ref()).unwrap();
        let opts = BaselineOptions {
            vocab: 300,
            seed: 1,
            validation_fraction: 0.25,
        };
        let b = run_baselines(&c, &opts);
        let r = &b.report;
        assert_eq!(r.train_stories + r.validation_stories, 41);
        assert_eq!(r.models.len(), 3);
        // The named models are the table's rows, in its order.
        for (row, order) in r
            .models
            .iter()
            .zip([Order::Unigram, Order::Bigram, Order::Trigram])
        {
            assert_eq!(b.model(order).order(), order);
            assert_eq!(row.model, order.name());
            assert_eq!(row.parameters, b.model(order).parameters());
        }
        let samples = b.trigram_samples("The cat", 8, 0.5, 3);
        let labels: Vec<(&str, &str)> = samples
            .iter()
            .map(|s| (s.model.as_str(), s.sampling.as_str()))
            .collect();
        assert_eq!(
            labels,
            [("trigram", "greedy"), ("trigram", "temperature 0.5")]
        );
        assert_eq!(
            samples[0].text,
            complete(&b.trigram, &b.bpe, "The cat", 8, Sampling::Greedy, 3)
        );
        assert!(samples.iter().all(|s| s.text.starts_with("The cat")));
        assert!(r
            .models
            .iter()
            .all(|m| m.validation.bits_per_byte.is_finite()));
    }
}
