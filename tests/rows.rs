//! The row-parallel executor against the token-serial one: identical tokens on random machines,
//! inputs and windows (the compiled predictors), and on randomly perturbed weights, where ties
//! and wrong tokens occur, on one thread and two; and on every row scorer path the CPU has
//! (`--isa`), on random predictors of 2 to 63 tokens.

mod common;

use arsim::emulate::emulate_rows;
use arsim::emulate::{emulate_cells_with, EmulateOptions, EmulationReport};
use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::cells::Cells;
use arsim::encoding::cells::ReferenceTrace;
use arsim::executor::Executor;
use arsim::machine::{Input, Machine};
use arsim::predictor::Predictor;
use arsim::predictor::{LinearAr, TokenId};
use arsim::rows::{IsaError, RowExecutor, RowIsa, RowScorer, PARALLEL_MIN_ROW};
use arsim::window::Window;
use proptest::prelude::*;

/// A machine, an input word over its alphabet, and a window (possibly too small for the run,
/// possibly with the input starting off-centre).
fn machine_input_window() -> impl Strategy<Value = (Machine, Input, Window)> {
    (
        common::with_input(common::random_machines(4)),
        6usize..40,
        0usize..40,
    )
        .prop_map(|((m, input), size, origin)| {
            let origin = origin % (size - input.len());
            (m, input, Window { size, origin })
        })
}

/// The report without the fields that measure the run (time, speed, memory, executor).
fn outcome(r: &EmulationReport) -> impl PartialEq + std::fmt::Debug {
    (
        r.steps,
        r.stop.clone(),
        r.generated_tokens,
        r.agree,
        r.first_divergence.clone(),
        r.left_window.clone(),
        r.expected_tokens,
    )
}

/// `p` with `changes` weights set to values in -3..=3 (indices taken modulo the shapes).
fn perturbed(p: &LinearAr, changes: &[(usize, usize, usize, i32)]) -> LinearAr {
    let mut w = p.weights().to_vec();
    let v = p.layout().tokens.len();
    for &(o, d, x, value) in changes {
        w[o % 3][(d % v, x % v)] = value;
    }
    LinearAr::new(p.layout().clone(), w)
}

/// `rows` rows of each executor after the trace's first row as the prompt.
fn both(p: &LinearAr, prompt: &[TokenId], rows: usize, threads: usize) -> (Vec<u8>, Vec<u8>) {
    let ids: Vec<u32> = prompt.iter().map(|t| t.0).collect();
    on_path(p, &ids, prompt.len(), rows, threads, RowIsa::Auto)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rows_and_tokens_report_the_same_emulation(
        (m, input, w) in machine_input_window(),
        threads in 1usize..=2,
    ) {
        let opts = EmulateOptions { input, window: Some(w), max_steps: 300 };
        let p = machine_to_cells_predictor(&m, w);
        let by_tokens = emulate_cells_with(&m, p.clone(), &opts, &mut |_| {}).unwrap();
        let cells = Cells::new(&m, w);
        let by_rows = emulate_rows(&cells, &m, p, &opts, threads, RowIsa::Auto, &mut |_| {}).unwrap();
        prop_assert_eq!(outcome(&by_rows), outcome(&by_tokens));
        prop_assert_eq!((by_tokens.executor, by_rows.executor), ("tokens", "rows"));
    }

    #[test]
    fn rows_and_tokens_generate_the_same_tokens_from_wrong_weights(
        (m, input, w) in machine_input_window(),
        changes in proptest::collection::vec((0usize..3, 0usize..64, 0usize..64, -3i32..=3), 0..12),
        threads in 1usize..=2,
    ) {
        let p = perturbed(&machine_to_cells_predictor(&m, w), &changes);
        let prompt: Vec<TokenId> =
            ReferenceTrace::new(&m, &input, w, 0).unwrap().take(w.size + 1).collect();
        let (by_tokens, by_rows) = both(&p, &prompt, 12, threads);
        prop_assert_eq!(by_rows, by_tokens);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Rows long enough to be split over two threads, ragged at the end, for three blocks of
    /// rows (the threads meet at each).
    #[test]
    fn long_rows_split_over_two_threads_equal_tokens(
        m in common::random_machines(3),
        extra in 0usize..300,
        changes in proptest::collection::vec((0usize..3, 0usize..64, 0usize..64, -3i32..=3), 0..6),
    ) {
        let w = Window { size: PARALLEL_MIN_ROW + extra, origin: PARALLEL_MIN_ROW / 2 };
        let p = perturbed(&machine_to_cells_predictor(&m, w), &changes);
        let prompt: Vec<TokenId> =
            ReferenceTrace::new(&m, &Input::default(), w, 0).unwrap().take(w.size + 1).collect();
        let (by_tokens, by_rows) = both(&p, &prompt, 150, 2);
        prop_assert_eq!(by_rows, by_tokens);
    }

    /// Emulations on rows long enough for two threads, where each thread checks its own side
    /// of every row against its own copy of the reference, with a weight made wrong for the
    /// context of a token anywhere in the run (so that a divergence falls at or before it, on
    /// either side of the split): the token executor's report, the first divergence (position,
    /// context, top scores) included.
    #[test]
    fn long_rows_on_two_threads_report_what_tokens_report(
        m in common::random_machines(3),
        extra in 0usize..300,
        at in 0usize..100,
        pick in 0usize..1_000_000,
        wrong in 1usize..64,
    ) {
        // The head starts anywhere, so that divergences fall on either side of the split.
        let size = PARALLEL_MIN_ROW + extra;
        let w = Window { size, origin: (size - 1) * at / 100 };
        let opts = EmulateOptions { input: Input::default(), window: Some(w), max_steps: 120 };
        let good = machine_to_cells_predictor(&m, w);
        let trace: Vec<TokenId> = ReferenceTrace::new(&m, &Input::default(), w, 120).unwrap().collect();
        let len = size + 1;
        let offsets = good.layout().offsets.clone();
        // Generated positions under a rare token (the head's, a written cell's): a weight of
        // that token changes the run there and not at every blank cell.
        let mut count = vec![0usize; good.vocab() + 1];
        for t in &trace {
            count[(t.0 as usize).min(good.vocab())] += 1;
        }
        let most = count.iter().copied().max().unwrap_or(0);
        let reach = offsets.iter().copied().max().unwrap_or(0).max(len);
        let under_head: Vec<usize> = (reach..trace.len())
            .filter(|&q| count[(trace[q - offsets[1]].0 as usize).min(good.vocab())] * 8 < most)
            .collect();
        let p = if !under_head.is_empty() {
            // A generated position, its inputs, and another output that now wins there.
            let q = under_head[pick % under_head.len()];
            let xs: Vec<usize> = offsets.iter().map(|&j| trace[q - j].0 as usize).collect();
            let d = trace[q].0 as usize;
            let v = good.vocab();
            let e = (d + 1 + wrong % (v - 1)) % v;
            let score = |t: usize| -> i32 {
                good.weights().iter().zip(&xs).map(|(w, &x)| if x < v { w[(t, x)] } else { 0 }).sum()
            };
            // e now beats d by one at this context.
            let mut ws = good.weights().to_vec();
            ws[1][(e, xs[1])] += score(d) - score(e) + 1;
            LinearAr::new(good.layout().clone(), ws)
        } else {
            good
        };
        let by_tokens = emulate_cells_with(&m, p.clone(), &opts, &mut |_| {}).unwrap();
        let cells = Cells::new(&m, w);
        let by_rows = emulate_rows(&cells, &m, p, &opts, 2, RowIsa::Auto, &mut |_| {}).unwrap();
        prop_assert_eq!(outcome(&by_rows), outcome(&by_tokens));
    }
}

#[test]
fn cli_names_the_executor_and_rejects_rows_for_sweep() {
    for (choice, want) in [("auto", "rows"), ("rows", "rows"), ("tokens", "tokens")] {
        let out = common::arsim(&[
            "--json",
            "emulate",
            "machines/bb4.ron",
            "--executor",
            choice,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = common::json(&out);
        assert_eq!(
            (r["executor"].as_str(), r["agree"].as_bool()),
            (Some(want), Some(true))
        );
        assert_eq!(r["generated_tokens"], 107 * 15);
        assert!(r["peak_rss_bytes"].as_u64().unwrap_or(0) > 0);
    }
    let out = common::arsim(&[
        "emulate",
        "machines/bb4.ron",
        "--encoding",
        "sweep",
        "--executor",
        "rows",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the row executor needs every offset"));
}

/// The row scorer paths the running CPU has, saying which it skips.
fn paths() -> Vec<RowIsa> {
    for isa in RowIsa::PATHS {
        if let Some(f) = isa.missing_feature() {
            eprintln!("skipping the {} path: this CPU lacks {f}", isa.name());
        }
    }
    RowIsa::available()
}

/// A predictor on `vocab` tokens at offsets `s..s + k`, its weights from `seed` in a range that
/// keeps the packed byte keys exact where `wide` is false (so that the packed paths run), and
/// past it where `wide` is true (so that the columns do). Small ranges make ties common.
fn random_predictor(vocab: usize, k: usize, s: usize, wide: bool, seed: u64) -> LinearAr {
    let bits = usize::BITS - (vocab - 1).leading_zeros();
    let mask = (1usize << bits) - 1;
    let room = ((255 - mask) >> bits) / k; // (hi − lo) ≤ k·range keeps every key in a byte
    let range = if wide { room + 2 } else { room.max(1) } as u64;
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let shift = (next() % (range + 1)) as i32;
    let offsets: Vec<usize> = (s..s + k).collect();
    let weights = (0..k)
        .map(|_| {
            nalgebra::DMatrix::from_fn(vocab, vocab, |_, _| (next() % (range + 1)) as i32 - shift)
        })
        .collect();
    let layout = arsim::predictor::Layout {
        tokens: (0..vocab).map(|i| format!("t{i}")).collect(),
        offset_names: offsets.iter().map(|o| o.to_string()).collect(),
        offsets,
    };
    LinearAr::new(layout, weights)
}

/// `rows` rows of the token executor and of the row executor on `isa` after `prompt`.
fn on_path(
    p: &LinearAr,
    prompt: &[u32],
    row_len: usize,
    rows: usize,
    threads: usize,
    isa: RowIsa,
) -> (Vec<u8>, Vec<u8>) {
    let mut tokens = Executor::new(p.clone());
    let mut exec = RowExecutor::with_isa(p.clone(), row_len, threads, isa).unwrap();
    for &t in prompt {
        tokens.feed(TokenId(t));
        exec.feed(TokenId(t));
    }
    let by_tokens = (0..rows * row_len).map(|_| tokens.step().0 as u8).collect();
    let mut by_rows = Vec::new();
    exec.run(rows as u64, &mut |row| {
        by_rows.extend_from_slice(row);
        true
    })
    .unwrap();
    (by_tokens, by_rows)
}

/// Dictionary sizes around the packed paths' boundaries (16-entry `vpshufb` chunks, the
/// padding token included), and any other up to the packed limit.
fn vocab() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![2, 3, 15, 16, 17, 31, 32, 33, 47, 48, 49, 62, 63]),
        2usize..=63,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every path the CPU has against the token executor: random predictors of 1 to 4 offsets,
    /// random prompts (the padding token included), rows of any length (ragged 32- and 64-token
    /// tails).
    #[test]
    fn every_path_generates_the_tokens_of_the_token_executor(
        vocab in vocab(),
        k in 1usize..=4,
        row_len in 2usize..200,
        gap in 0usize..3,
        wide in proptest::bool::weighted(0.2),
        seed in any::<u64>(),
        prompt_rows in 1usize..=2,
    ) {
        let p = random_predictor(vocab, k, row_len - 1 + gap, wide, seed);
        let prompt: Vec<u32> = (0..prompt_rows * row_len)
            .map(|i| ((seed >> (i % 48)) as usize ^ i.wrapping_mul(2654435761)) as u32 % (vocab as u32 + 1))
            .collect();
        for isa in paths() {
            let (by_tokens, by_rows) = on_path(&p, &prompt, row_len, 5, 1, isa);
            prop_assert_eq!(by_rows, by_tokens, "{:?}, {} tokens, {} offsets", isa, vocab, k);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Rows long enough to be split over two threads, on every path, for three blocks of rows.
    #[test]
    fn every_path_splits_rows_over_two_threads(
        vocab in vocab(),
        extra in 0usize..100,
        seed in any::<u64>(),
    ) {
        let row_len = PARALLEL_MIN_ROW + extra;
        let p = random_predictor(vocab, 3, row_len - 1, false, seed);
        let prompt: Vec<u32> = (0..row_len).map(|i| (i * 7 + seed as usize % 5) as u32 % (vocab as u32 + 1)).collect();
        for isa in paths() {
            let (by_tokens, by_rows) = on_path(&p, &prompt, row_len, 130, 2, isa);
            prop_assert_eq!(by_rows, by_tokens, "{:?}, {} tokens", isa, vocab);
        }
    }

    /// The paths agree on any bytes, token ids or not (only the low six bits of a byte past the
    /// dictionary index a table, and they look up 0 on every path).
    #[test]
    fn every_path_scores_any_bytes_alike(
        vocab in vocab(),
        k in 1usize..=4,
        n in 1usize..150,
        seed in any::<u64>(),
        past in proptest::collection::vec(any::<u8>(), 160..400),
    ) {
        let p = random_predictor(vocab, k, 150, false, seed);
        let mut want = None;
        for isa in paths() {
            let mut scorer = RowScorer::with_isa(&p, isa).unwrap();
            let mut out = vec![0u8; n];
            scorer.score(&past, 150 - n, &mut out);
            match &want {
                None => want = Some(out),
                Some(w) => prop_assert_eq!(&out, w, "{:?}", isa),
            }
        }
    }
}

#[test]
fn each_path_runs_when_chosen_and_auto_takes_the_best() {
    let bb4 = arsim::machine::load_machine("machines/bb4.ron").unwrap();
    let w = Window {
        size: 14,
        origin: 10,
    };
    let p = machine_to_cells_predictor(&bb4, w);
    let name = |isa: RowIsa| match isa {
        RowIsa::Avx512Vbmi => "packed-avx512-vbmi",
        RowIsa::Avx2 => "packed-avx2",
        _ => "packed-portable",
    };
    for isa in RowIsa::PATHS {
        match isa.missing_feature() {
            None => {
                assert_eq!(RowScorer::with_isa(&p, isa).unwrap().kind(), name(isa));
                let e = RowExecutor::with_isa(p.clone(), w.size + 1, 1, isa).unwrap();
                assert_eq!(e.kind(), name(isa));
            }
            Some(feature) => {
                let e = RowScorer::with_isa(&p, isa).unwrap_err();
                assert_eq!(
                    e,
                    IsaError {
                        isa: isa.name(),
                        feature
                    }
                );
                eprintln!("the {} path is refused here: {e}", isa.name());
            }
        }
    }
    let best = RowIsa::available()[0];
    assert_eq!(RowScorer::new(&p).kind(), name(best));
    assert_eq!(
        RowScorer::with_isa(&p, RowIsa::Auto).unwrap().kind(),
        name(best)
    );
    // Outside the packed bound every path runs the columns.
    let wide = random_predictor(40, 3, 20, true, 7);
    for isa in RowIsa::available() {
        assert_eq!(RowScorer::with_isa(&wide, isa).unwrap().kind(), "columns");
    }
}

#[test]
fn cli_runs_the_path_isa_names_and_refuses_one_the_cpu_lacks() {
    for isa in ["auto", "avx512", "avx2", "portable"] {
        let choice: RowIsa = serde_json::from_value(serde_json::json!(isa)).unwrap();
        let out = common::arsim(&["--json", "emulate", "machines/bb4.ron", "--isa", isa]);
        match choice.missing_feature() {
            None => {
                assert!(
                    out.status.success(),
                    "{isa}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let r = common::json(&out);
                let want = RowScorer::with_isa(
                    &machine_to_cells_predictor(
                        &arsim::machine::load_machine("machines/bb4.ron").unwrap(),
                        Window {
                            size: 14,
                            origin: 10,
                        },
                    ),
                    choice,
                )
                .unwrap()
                .kind();
                assert_eq!(
                    (r["row_scorer"].as_str(), r["agree"].as_bool()),
                    (Some(want), Some(true)),
                    "{isa}"
                );
            }
            Some(feature) => {
                assert_eq!(out.status.code(), Some(2), "{isa}");
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.contains(feature) && err.contains("--isa"), "{err}");
            }
        }
    }
    // The token executor names no row scorer.
    let out = common::arsim(&[
        "--json",
        "emulate",
        "machines/bb4.ron",
        "--executor",
        "tokens",
    ]);
    assert_eq!(common::json(&out)["row_scorer"], serde_json::Value::Null);
}

/// The certificate checks the row scorer on every path the CPU has; each path, on its own,
/// picks the local rule's token on every context the certificate lists.
#[test]
fn the_certificate_holds_on_every_path() {
    use arsim::encoding::cells::certify::certify_cells;
    for (file, w) in [
        (
            "machines/bb4.ron",
            Window {
                size: 14,
                origin: 10,
            },
        ),
        (
            "machines/binary-add.ron",
            Window {
                size: 12,
                origin: 2,
            },
        ),
        ("machines/copy.ron", Window { size: 9, origin: 1 }),
    ] {
        let m = arsim::machine::load_machine(file).unwrap();
        let p = machine_to_cells_predictor(&m, w);
        let cert = certify_cells(&m, &p, w).unwrap();
        assert!(cert.certified, "{file}: {cert:?}");
        let vocab = p.vocab() as u32;
        let mut exact = p.clone();
        for isa in paths() {
            let mut scorer = RowScorer::with_isa(&p, isa).unwrap();
            // Every context of three tokens, the padding token included: a superset of the
            // certificate's.
            for a in 0..=vocab {
                for b in 0..=vocab {
                    for c in 0..=vocab {
                        let inputs = [TokenId(a), TokenId(b), TokenId(c)];
                        assert_eq!(
                            scorer.argmax_of(&inputs),
                            exact.argmax_of(&inputs),
                            "{file} on {isa:?} at {inputs:?}"
                        );
                    }
                }
            }
        }
    }
}
