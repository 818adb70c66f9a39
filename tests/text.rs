//! The text task's non-neural foundation on the TinyStories sample
//! (`../shared/data/tinystories-sample.txt`), or, where that file is absent (a clone without
//! `../shared/`), on a small corpus the test writes itself.

use arsim::tasks::text::baselines::{run_baselines, BaselineOptions, Baselines};
use arsim::tasks::text::bpe::{Bpe, END_OF_TEXT_ID};
use arsim::tasks::text::corpus::{read_corpus, Corpus, CorpusError};
use arsim::tasks::text::metrics::{evaluate, EvalSet};
use arsim::tasks::text::sample::{complete, Sampling};
use arsim::tasks::text::split::split_stories;
use std::path::PathBuf;
use std::sync::OnceLock;

const SEED: u64 = 0;
const FRACTION: f64 = 0.1;
const VOCAB: usize = 1024;

/// The sample's story count (from its README) and its validation share under seed 0, 10 %.
const SAMPLE_STORIES: usize = 4042;
const SAMPLE_VALIDATION: usize = 425;

struct Fixture {
    corpus: Corpus,
    real: bool,
    _dir: Option<tempfile::TempDir>,
}

/// A corpus of templated stories, for clones without the sample.
fn own_corpus_text() -> String {
    let names = ["Lily", "Ben", "Tom", "Mia", "Sam", "Anna", "Max"];
    let things = ["ball", "cat", "dog", "tree", "box", "kite"];
    let feelings = ["happy", "sad", "scared", "proud"];
    let mut text = String::new();
    for i in 0..300 {
        let (n, t, f) = (names[i % 7], things[(i / 7) % 6], feelings[(i / 3) % 4]);
        text += &format!(
            "Once upon a time, there was a girl named {n}. {n} had a big {t}.\n\
             One day, the {t} was lost. {n} was {f}. She looked for the {t} all day.\n\
             At last {n} found the {t} under a tree, and they were friends again.\n<|endoftext|>\n"
        );
    }
    text
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let sample =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tinystories-sample.txt");
        if sample.exists() {
            Fixture {
                corpus: read_corpus(&sample).unwrap(),
                real: true,
                _dir: None,
            }
        } else {
            eprintln!(
                "{} not found: testing on a small corpus written by the test instead",
                sample.display()
            );
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("own-stories.txt");
            std::fs::write(&path, own_corpus_text()).unwrap();
            Fixture {
                corpus: read_corpus(&path).unwrap(),
                real: false,
                _dir: Some(dir),
            }
        }
    })
}

fn baselines() -> &'static Baselines {
    static B: OnceLock<Baselines> = OnceLock::new();
    B.get_or_init(|| {
        let opts = BaselineOptions {
            vocab: VOCAB,
            seed: SEED,
            validation_fraction: FRACTION,
        };
        run_baselines(&fixture().corpus, &opts)
    })
}

#[test]
fn tokenizer_round_trips_on_the_corpus() {
    let f = fixture();
    let b = baselines();
    let text = std::fs::read_to_string(f.corpus.path()).unwrap();
    let ids = b.bpe.encode(&text);
    assert_eq!(b.bpe.decode(&ids), text);
    assert_eq!(
        ids.iter().filter(|&&t| t == END_OF_TEXT_ID).count(),
        f.corpus.stories().len()
    );
    for story in f.corpus.stories() {
        let ids = b.bpe.encode_story(story);
        assert_eq!(b.bpe.decode(&ids[..ids.len() - 1]), *story);
    }
    if f.real {
        assert_eq!(b.bpe.vocab_size(), VOCAB);
        // BPE compresses: well under half a token per byte.
        assert!(ids.len() * 3 < text.len(), "{} tokens", ids.len());
    }
}

#[test]
fn tokenizer_saved_and_loaded_encodes_the_same() {
    let b = baselines();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    b.bpe.save(&path).unwrap();
    let back = Bpe::load(&path).unwrap();
    assert_eq!(back.vocab_size(), b.bpe.vocab_size());
    let stories = &fixture().corpus.stories()[..20];
    assert_eq!(back.encode_stories(stories), b.bpe.encode_stories(stories));
}

#[test]
fn split_is_stable_and_disjoint() {
    let f = fixture();
    let stories = f.corpus.stories();
    let s = split_stories(stories, SEED, FRACTION);
    let again = split_stories(stories, SEED, FRACTION);
    assert_eq!((&s.train, &s.validation), (&again.train, &again.validation));
    assert_eq!(s.train.len() + s.validation.len(), stories.len());
    let mut all: Vec<usize> = s.train.iter().chain(&s.validation).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), stories.len());
    assert!(!s.validation.is_empty() && !s.train.is_empty());
    if f.real {
        assert_eq!(stories.len(), SAMPLE_STORIES);
        assert_eq!(s.validation.len(), SAMPLE_VALIDATION);
        // The sample's stories are all different, so no text is on both sides.
        let train: std::collections::HashSet<&String> =
            s.train.iter().map(|&i| &stories[i]).collect();
        assert!(s.validation.iter().all(|&i| !train.contains(&stories[i])));
    }
}

#[test]
fn bits_per_byte_divide_by_bytes_not_tokens() {
    let f = fixture();
    let b = baselines();
    let stories = f.corpus.stories();
    let s = split_stories(stories, SEED, FRACTION);
    let valid: Vec<&str> = s.validation.iter().map(|&i| stories[i].as_str()).collect();
    let coarse = EvalSet::new(&valid, &b.bpe);
    let bytes_only = EvalSet::new(&valid, &Bpe::train(&valid, 257));
    assert_eq!(coarse.bytes, bytes_only.bytes);
    assert_eq!(coarse.bytes, valid.iter().map(|v| v.len()).sum::<usize>());
    assert!(coarse.tokens() < bytes_only.tokens());
    let r = evaluate(&b.trigram, &coarse);
    assert_eq!(r.bytes, coarse.bytes);
    let expect = r.total_nats / std::f64::consts::LN_2 / coarse.bytes as f64;
    assert!((r.bits_per_byte - expect).abs() < 1e-12);
    assert!((r.cross_entropy - r.total_nats / coarse.tokens() as f64).abs() < 1e-12);
}

#[test]
fn trigram_beats_bigram_beats_unigram() {
    let rows = &baselines().report.models;
    let ce: Vec<f64> = rows.iter().map(|r| r.validation.cross_entropy).collect();
    assert_eq!(
        rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
        ["unigram", "bigram", "trigram"]
    );
    assert!(ce[2] < ce[1] && ce[1] < ce[0], "{ce:?}");
    for r in rows {
        let v = &r.validation;
        assert!((v.perplexity - v.cross_entropy.exp()).abs() < 1e-9 * v.perplexity);
        assert!(v.bits_per_byte > 0.0 && v.bits_per_byte < 8.0);
    }
}

#[test]
fn trigram_samples_from_a_prompt() {
    let b = baselines();
    let tri = &b.trigram;
    let greedy = complete(tri, &b.bpe, "Once upon a", 30, Sampling::Greedy, 0);
    assert!(greedy.starts_with("Once upon a") && greedy.len() > "Once upon a".len());
    assert_eq!(
        greedy,
        complete(tri, &b.bpe, "Once upon a", 30, Sampling::Greedy, 9)
    );
    let hot = complete(
        tri,
        &b.bpe,
        "Once upon a",
        30,
        Sampling::Temperature(0.8),
        1,
    );
    assert_eq!(
        hot,
        complete(
            tri,
            &b.bpe,
            "Once upon a",
            30,
            Sampling::Temperature(0.8),
            1
        )
    );
}

#[test]
fn missing_corpus_is_a_typed_error_naming_the_file() {
    let path = PathBuf::from("/nonexistent/stories.txt");
    let e = read_corpus(&path).unwrap_err();
    assert!(matches!(&e, CorpusError::Io { path: p, .. } if *p == path));
    assert!(e.to_string().contains("/nonexistent/stories.txt"), "{e}");
}

#[test]
fn invalid_utf8_is_a_typed_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(
        &path,
        b"One day.\n<|endoftext|>\nA \xc3\x28 cat.\n<|endoftext|>\n",
    )
    .unwrap();
    let e = read_corpus(&path).unwrap_err();
    assert!(
        matches!(
            e,
            CorpusError::InvalidUtf8 {
                line: 3,
                byte: 25,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("bad.txt") && e.to_string().contains("line 3"),
        "{e}"
    );
}

/// The training and validation stories of the fixture's split.
fn split_texts() -> (Vec<&'static str>, Vec<&'static str>) {
    let stories = fixture().corpus.stories();
    let split = split_stories(stories, SEED, FRACTION);
    (
        split.train.iter().map(|&i| stories[i].as_str()).collect(),
        split
            .validation
            .iter()
            .map(|&i| stories[i].as_str())
            .collect(),
    )
}

/// A small linear model (T = 8, d = 16) trained for 250 steps (a few seconds).
fn small_linear_model() -> &'static arsim::nn::ArModel {
    use arsim::nn::{train, AdamW, ArModel, Architecture, ModelConfig, TrainOptions};
    use arsim::tasks::text::neural::StreamWindows;
    static M: OnceLock<ArModel> = OnceLock::new();
    M.get_or_init(|| {
        let b = baselines();
        let (train_stories, _) = split_texts();
        let data = StreamWindows::new(&b.bpe.encode_stories(&train_stories), 8, 32, SEED);
        let config = ModelConfig {
            architecture: Architecture::Linear,
            vocab: b.bpe.vocab_size(),
            context: 8,
            d: 16,
            chunk: 4,
            layers: 0,
            heads: 0,
        };
        let model = ArModel::new(config, SEED, &candle_core::Device::Cpu).unwrap();
        let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
        let mut opt = AdamW::new(&vars, 1e-2, 0.0).unwrap();
        let opts = TrainOptions {
            steps: 250,
            stop_at: None,
            lr: 1e-2,
            weight_decay: 0.0,
            warmup: 10,
            checkpoint: None,
            checkpoint_seconds: 1e9,
            tokens_per_sequence: 8,
            task: serde_json::json!({}),
            recipe: arsim::nn::Recipe::Arsim,
        };
        train(&model, &mut opt, &data, &opts, &mut |_| {}).unwrap();
        model
    })
}

#[test]
fn a_small_linear_model_beats_the_unigram_on_validation() {
    use arsim::tasks::text::neural::evaluate_model;
    let b = baselines();
    let (_, valid) = split_texts();
    let set = EvalSet::new(&valid, &b.bpe);
    let r = evaluate_model(small_linear_model(), &set, 64).unwrap();
    let unigram = &b.report.models[0].validation;
    // The same tokens and bytes as the baselines are scored on.
    assert_eq!((r.tokens, r.bytes), (unigram.tokens, unigram.bytes));
    assert!(
        r.bits_per_byte < unigram.bits_per_byte,
        "linear {} bits/byte, unigram {}",
        r.bits_per_byte,
        unigram.bits_per_byte
    );
}

#[test]
fn a_checkpointed_text_model_gives_the_same_next_token_distribution() {
    use arsim::nn::{AdamW, Checkpoint};
    use arsim::tasks::text::neural::NeuralTokenModel;
    use arsim::tasks::text::ngram::TokenModel;
    let model = small_linear_model();
    let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
    let opt = AdamW::new(&vars, 1e-2, 0.0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.safetensors");
    Checkpoint::capture(model, &opt, &serde_json::json!({"task": "text"}))
        .unwrap()
        .save(&path)
        .unwrap();
    let (back, _) = Checkpoint::load(&path, &candle_core::Device::Cpu)
        .unwrap()
        .restore()
        .unwrap();
    let history = baselines()
        .bpe
        .encode_story("Once upon a time, there was a dog.");
    let (a, b) = (NeuralTokenModel(model), NeuralTokenModel(&back));
    for cut in [0, 1, 5, history.len()] {
        let (p, q) = (
            a.distribution(&history[..cut]),
            b.distribution(&history[..cut]),
        );
        assert_eq!(p, q, "after {cut} tokens");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    }
}

/// Issue 14: a checkpoint knows its corpus by content, so the same stories under another path
/// are the same corpus and an edited file is not.
#[test]
fn the_corpus_is_known_by_its_content() {
    use arsim::tasks::text::corpus::parse_corpus;
    let text = "One day.\n<|endoftext|>\nThe end.\n";
    let a = parse_corpus(text.as_bytes(), std::path::Path::new("a.txt")).unwrap();
    let b = parse_corpus(text.as_bytes(), std::path::Path::new("elsewhere/b.txt")).unwrap();
    let edited = parse_corpus(
        "One day!\n<|endoftext|>\nThe end.\n".as_bytes(),
        std::path::Path::new("a.txt"),
    )
    .unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    assert_ne!(a.content_hash(), edited.content_hash());
    assert_eq!(a.content_hash().len(), 16);
}

/// The paper's windowing: each story's tokens (end token dropped) in non-overlapping chunks of
/// T + 1 from its start, remainders dropped, read in order.
#[test]
fn paper_windows_are_whole_chunks_of_each_story() {
    use arsim::nn::Batches;
    use arsim::predictor::TokenId;
    use arsim::tasks::text::neural::ChunkWindows;
    let eot = END_OF_TEXT_ID;
    let story = |from: u32, n: u32| {
        let mut s: Vec<TokenId> = (from..from + n).map(TokenId).collect();
        s.push(eot);
        s
    };
    // T = 3: chunks of 4. 10 tokens → 2 chunks (2 dropped); 3 tokens → none; 8 → 2.
    let w = ChunkWindows::new(&[story(100, 10), story(200, 3), story(300, 8)], 3, 2);
    assert_eq!(w.windows(), 4);
    assert_eq!(w.tokens(), 21);
    assert_eq!(w.batches_per_epoch(), 2);
    let (x, y) = w.batch(0, &candle_core::Device::Cpu).unwrap();
    let x: Vec<Vec<u32>> = x.to_vec2().unwrap();
    let y: Vec<Vec<u32>> = y.to_vec2().unwrap();
    assert_eq!(x, vec![vec![100, 101, 102], vec![104, 105, 106]]);
    assert_eq!(y, vec![vec![101, 102, 103], vec![105, 106, 107]]);
    let (x, _) = w.batch(1, &candle_core::Device::Cpu).unwrap();
    let x: Vec<Vec<u32>> = x.to_vec2().unwrap();
    assert_eq!(x, vec![vec![300, 301, 302], vec![304, 305, 306]]);
    // Batch 2 wraps to the first chunk again.
    let (x, _) = w.batch(2, &candle_core::Device::Cpu).unwrap();
    assert_eq!(x.to_vec2::<u32>().unwrap()[0], vec![100, 101, 102]);
}

/// Issue 14: a corpus with no validation story is bad input (exit 2), not perplexity 1.
#[test]
fn a_corpus_without_validation_tokens_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.txt");
    std::fs::write(&path, "Only one story here.\n").unwrap();
    for extra in [&["--baselines"][..], &["--context", "2", "--d", "2"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(["task", "text", "--corpus"])
            .arg(&path)
            .args(["--validation", "0.01", "--vocab", "260"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("has no validation tokens"), "{err}");
    }
}
