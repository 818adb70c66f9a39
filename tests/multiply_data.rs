//! The data of 4-digit multiplication (issue 5): the paper's chain token for token, its fixed
//! length, the 117-token vocabulary, the pinned split, and every chain's answer.

use arsim::tasks::multiply::data::{
    residue, HELD_OUT_PAIRS, TEST_PAIRS, TRAIN_PAIRS, VALIDATION_PAIRS,
};
use arsim::tasks::multiply::{
    paper_is_train, split_of, CotFormat, Dataset, Pair, Split, Vocabulary, TOTAL_PAIRS, VOCAB_SIZE,
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
    pairs.extend(Dataset::new(Split::Validation, CotFormat::None).sample(125_000, 12));
    pairs.extend(Dataset::new(Split::Test, CotFormat::None).sample(125_000, 13));
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
fn split_is_the_papers_rule_with_its_exact_counts() {
    // Every one of the 79,014,321 pairs, counted (about 0.3 s in release): the paper's
    // 59,260,740 / 19,753,581, and its validation quarter halved into validation and test.
    let mut counts = [0u64; 3];
    for a in 1111..=9999u32 {
        for b in 1111..=9999u32 {
            counts[split_of(a, b) as usize] += 1;
        }
    }
    assert_eq!(counts, [TRAIN_PAIRS, VALIDATION_PAIRS, TEST_PAIRS]);
    assert_eq!(counts[0], 59_260_740);
    assert_eq!(counts[1] + counts[2], 19_753_581);
    assert_eq!(HELD_OUT_PAIRS, 19_753_581);
    assert_eq!(counts.iter().sum::<u64>(), TOTAL_PAIRS);
    for (a, b, r, split) in PINNED {
        assert_eq!(residue(a, b), r, "{a} × {b}");
        assert_eq!(split_of(a, b), split, "{a} × {b}");
        assert_eq!(paper_is_train(a, b), split == Split::Train, "{a} × {b}");
        assert_eq!(Pair::new(a, b).unwrap().split(), split);
    }
}

/// Pairs with their residue `((a−1111) + 8889·(b−1111))·PRIME mod 8889²` and split, computed
/// independently in Python with the paper's expression on arbitrary-precision integers.
/// The order of the operands matters: `a` is the low digit of the index (1234 × 5678 is held
/// out, 5678 × 1234 is a training pair).
const PINNED: [(u32, u32, u64, Split); 10] = [
    (1111, 1111, 0, Split::Test),
    (1234, 5678, 18_448_764, Split::Validation),
    (5678, 1234, 63_819_179, Split::Train),
    (9999, 9999, 45_824_713, Split::Train),
    (4321, 8765, 65_168_556, Split::Train),
    (2024, 1111, 39_627_161, Split::Train),
    (3141, 5926, 59_156_137, Split::Train),
    (7777, 2222, 23_712_846, Split::Train),
    (1112, 1111, 33_189_608, Split::Train),
    (1111, 1112, 61_965_219, Split::Train),
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
    assert_eq!(v["chain_tokens"], 307);
    assert_eq!(v["split"], "validation");
    let out = arsim(&["task", "multiply", "--show", "1111", "1111", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["split"], "test");

    let out = arsim(&["task", "multiply", "--stats", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vocab_size"], 117);
    assert_eq!(v["train_pairs"], 59_260_740);
    assert_eq!(v["validation_pairs"], 9_876_790);
    assert_eq!(v["test_pairs"], 9_876_791);
    assert_eq!(v["formats"][2]["cot"], "carry");
    assert_eq!(v["formats"][2]["chain_tokens"], 75);

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
