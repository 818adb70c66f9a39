//! The data of 4-digit multiplication (issue 5): the paper's chain token for token, its fixed
//! length, the 117-token vocabulary, the pinned split, and every chain's answer.

use arsim::tasks::multiply::data::{mix64, TRAIN_PAIRS, VALIDATION_PAIRS};
use arsim::tasks::multiply::{
    split_of, CotFormat, Dataset, Pair, Split, Vocabulary, TOTAL_PAIRS, VOCAB_SIZE,
};

/// The paper's chain for 1234 × 5678, every one of its 307 tokens written out.
const PAPER_1234_5678: &str = "[BOS] 1 2 3 4 x 5 6 7 8 = \
( 4 x 1 + 3 x 1 0 + 2 x 1 0 0 + 1 x 1 0 0 0 ) x ( 8 x 1 + 7 x 1 0 + 6 x 1 0 0 + 5 x 1 0 0 0 ) = \
4x8 x 1 x 1 + 4x7 x 1 x 1 0 + 4x6 x 1 x 1 0 0 + 4x5 x 1 x 1 0 0 0 + \
3x8 x 1 0 x 1 + 3x7 x 1 0 x 1 0 + 3x6 x 1 0 x 1 0 0 + 3x5 x 1 0 x 1 0 0 0 + \
2x8 x 1 0 0 x 1 + 2x7 x 1 0 0 x 1 0 + 2x6 x 1 0 0 x 1 0 0 + 2x5 x 1 0 0 x 1 0 0 0 + \
1x8 x 1 0 0 0 x 1 + 1x7 x 1 0 0 0 x 1 0 + 1x6 x 1 0 0 0 x 1 0 0 + 1x5 x 1 0 0 0 x 1 0 0 0 = \
3 2 + 2 8 0 + 2 4 0 0 + 2 0 0 0 0 + \
2 4 0 + 2 1 0 0 + 1 8 0 0 0 + 1 5 0 0 0 0 + \
1 6 0 0 + 1 4 0 0 0 + 1 2 0 0 0 0 + 1 0 0 0 0 0 0 + \
0 8 0 0 0 + 0 7 0 0 0 0 + 0 6 0 0 0 0 0 + 0 5 0 0 0 0 0 0 = \
0 7 0 0 6 6 5 2";

/// Pairs the per-chain tests check: a seeded sample of a million (750,000 train, 250,000
/// validation) plus the corners of the operand range. All 79,014,321 pairs would take about 47 s
/// for the `paper` format alone (600 ns a chain, measured in release), against a budget of a few
/// seconds; the lengths are fixed by construction (see `CotFormat::Paper`), which the sample
/// checks.
fn checked_pairs() -> Vec<Pair> {
    let mut pairs = Dataset::new(Split::Train, CotFormat::None).sample(750_000, 11);
    pairs.extend(Dataset::new(Split::Validation, CotFormat::None).sample(250_000, 12));
    for a in [1111, 1112, 1999, 5000, 9998, 9999] {
        for b in [1111, 1112, 1999, 5000, 9998, 9999] {
            pairs.push(Pair::new(a, b).unwrap());
        }
    }
    pairs
}

#[test]
fn paper_chain_of_1234_times_5678_token_for_token() {
    let vocab = Vocabulary::new();
    let chain = CotFormat::Paper.chain(Pair::new(1234, 5678).unwrap());
    assert_eq!(vocab.decode(&chain.tokens).unwrap(), PAPER_1234_5678);
    assert_eq!(vocab.encode(PAPER_1234_5678).unwrap(), chain.tokens);
    assert_eq!(chain.tokens.len(), 307);
    assert_eq!(chain.prompt_len(), 11);
    assert_eq!(
        vocab.decode(chain.prompt()).unwrap(),
        "[BOS] 1 2 3 4 x 5 6 7 8 ="
    );
    assert_eq!(chain.answer_range(), 299..307);
    assert_eq!(chain.answer_value(), Some(7_006_652));
}

#[test]
fn vocabulary_has_117_tokens() {
    let vocab = Vocabulary::new();
    assert_eq!(vocab.len(), 117);
    assert_eq!(VOCAB_SIZE, 117);
    let mut words: Vec<&str> = vocab.words().iter().map(String::as_str).collect();
    assert_eq!(
        &words[..17],
        &[
            "[UNK]", "[BOS]", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "(", ")", "+", "x",
            "="
        ]
    );
    assert_eq!(words[17], "0x0");
    assert_eq!(words[116], "9x9");
    words.sort_unstable();
    words.dedup();
    assert_eq!(words.len(), 117);
}

#[test]
fn every_chain_has_its_fixed_length_known_tokens_and_the_true_product() {
    let vocab = Vocabulary::new();
    let pairs = checked_pairs();
    assert_eq!(pairs.len(), 1_000_036);
    for format in CotFormat::ALL {
        for (k, &p) in pairs.iter().enumerate() {
            let c = format.chain(p);
            assert_eq!(c.tokens.len(), format.len(), "{format} {p:?}");
            assert!(
                c.tokens.iter().all(|t| t.index() < VOCAB_SIZE),
                "{format} {p:?}"
            );
            assert_eq!(c.answer_value(), Some(p.product()), "{format} {p:?}");
            if k % 100 != 0 {
                continue;
            }
            assert_eq!(vocab.decode(c.prompt()).unwrap(), {
                let d = |x: u32| {
                    x.to_string()
                        .chars()
                        .map(String::from)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                format!("[BOS] {} x {} =", d(p.a), d(p.b))
            });
        }
    }
    assert_eq!(CotFormat::Paper.len(), 307);
    assert_eq!(CotFormat::None.len(), 19);
    assert_eq!(CotFormat::Carry.len(), 75);
}

#[test]
fn decode_then_encode_round_trips_every_format() {
    let vocab = Vocabulary::new();
    for format in CotFormat::ALL {
        for p in Dataset::new(Split::Validation, format).sample(2_000, 3) {
            let c = format.chain(p);
            let text = vocab.decode(&c.tokens).unwrap();
            assert_eq!(vocab.encode(&text).unwrap(), c.tokens);
            assert_eq!(vocab.decode(&vocab.encode(&text).unwrap()).unwrap(), text);
        }
    }
}

#[test]
fn paper_chain_steps_are_the_true_partial_products() {
    // The 16 partial products the chain writes add up to the product, and each is aᵢ·bⱼ·10ⁱ⁺ʲ.
    let vocab = Vocabulary::new();
    for p in Dataset::new(Split::Train, CotFormat::Paper).sample(2_000, 5) {
        let text = vocab.decode(&CotFormat::Paper.chain(p).tokens).unwrap();
        let sections: Vec<&str> = text.split(" = ").collect();
        assert_eq!(sections.len(), 5);
        let partials: Vec<u64> = sections[3]
            .split(" + ")
            .map(|s| s.replace(' ', "").parse().unwrap())
            .collect();
        let (a, b) = (p.digits_a(), p.digits_b());
        let expected: Vec<u64> = (0..4)
            .flat_map(|i| (0..4).map(move |j| u64::from(a[i] * b[j]) * 10u64.pow((i + j) as u32)))
            .collect();
        assert_eq!(partials, expected);
        assert_eq!(partials.iter().sum::<u64>(), p.product());
    }
}

#[test]
fn split_is_pinned_and_about_75_25() {
    // The exact counts over all 79,014,321 pairs.
    let train = (0..TOTAL_PAIRS)
        .filter(|&k| split_of(1111 + (k / 8889) as u32, 1111 + (k % 8889) as u32) == Split::Train)
        .count() as u64;
    assert_eq!(train, TRAIN_PAIRS);
    assert_eq!(TRAIN_PAIRS + VALIDATION_PAIRS, 79_014_321);
    let frac = train as f64 / TOTAL_PAIRS as f64;
    assert!((frac - 0.75).abs() < 0.001, "train fraction {frac}");
    // A few pairs' membership, pinned.
    assert_eq!(mix64(12_345_678), MIX_12345678);
    for (a, b, split) in PINNED {
        assert_eq!(split_of(a, b), split, "{a} × {b}");
        assert_eq!(Pair::new(a, b).unwrap().split(), split);
    }
}

/// `mix64(10000·1234 + 5678)`, computed independently (numpy, wrapping uint64).
const MIX_12345678: u64 = 0x11d5_cf7b_5b0a_e679;

/// Pairs whose split is pinned (computed independently with numpy).
const PINNED: [(u32, u32, Split); 8] = [
    (1111, 1111, Split::Validation),
    (1234, 5678, Split::Validation),
    (5678, 1234, Split::Validation),
    (9999, 9999, Split::Train),
    (4321, 8765, Split::Train),
    (2024, 1111, Split::Validation),
    (3141, 5926, Split::Train),
    (7777, 2222, Split::Train),
];

fn arsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn cli_shows_a_chain_and_the_stats() {
    let out = arsim(&[
        "task", "multiply", "--cot", "paper", "--show", "1234", "5678", "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["chain"], PAPER_1234_5678);
    assert_eq!(v["tokens"], 307);
    assert_eq!(v["split"], "validation");

    let out = arsim(&["task", "multiply", "--stats", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vocab_size"], 117);
    assert_eq!(v["train_pairs"], 59_258_093);
    assert_eq!(v["formats"][2]["cot"], "carry");
    assert_eq!(v["formats"][2]["tokens"], 75);

    let out = arsim(&["task", "multiply", "--show", "1110", "5678"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("operand 1110 is outside 1111..=9999"));
    // With neither --show nor --stats it trains; a route that does not exist is bad usage.
    assert_eq!(
        arsim(&["task", "multiply", "--cot", "tm"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_sample_of_most_of_a_split_leaves_out_exactly_the_rest() {
    let d = Dataset::new(Split::Validation, CotFormat::None);
    let n = VALIDATION_PAIRS as usize - 1_000;
    let s = d.sample(n, 9);
    assert_eq!(s.len(), n);
    assert!(s.windows(2).all(|w| w[0] < w[1]));
    assert!(s.iter().all(|p| p.split() == Split::Validation));
    assert_eq!(d.sample(3, 9).len(), 3);
}
