//! The row-parallel executor against the token-serial one: identical tokens on random machines,
//! inputs and windows (the compiled predictors), and on randomly perturbed weights, where ties
//! and wrong tokens occur, on one thread and two.

mod common;

use arsim::emulate::emulate_rows;
use arsim::emulate::{emulate_cells_with, EmulateOptions, EmulationReport};
use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::cells::Cells;
use arsim::encoding::cells::ReferenceTrace;
use arsim::executor::Executor;
use arsim::machine::{Input, Machine};
use arsim::predictor::{LinearAr, TokenId};
use arsim::rows::{RowExecutor, PARALLEL_MIN_ROW};
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
    let row_len = prompt.len();
    let mut tokens = Executor::new(p.clone());
    for &t in prompt {
        tokens.feed(t);
    }
    let by_tokens = (0..rows * row_len).map(|_| tokens.step().0 as u8).collect();
    let mut exec = RowExecutor::new(p.clone(), row_len, threads).unwrap();
    for &t in prompt {
        exec.feed(t);
    }
    let mut by_rows = Vec::new();
    exec.run(rows as u64, &mut |row| {
        by_rows.extend_from_slice(row);
        true
    })
    .unwrap();
    (by_tokens, by_rows)
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
        let by_rows = emulate_rows(&Cells::new(&m, w), &m, p, &opts, threads, &mut |_| {}).unwrap();
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
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Rows long enough to be split over two threads, ragged at the end.
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
        let (by_tokens, by_rows) = both(&p, &prompt, 4, 2);
        prop_assert_eq!(by_rows, by_tokens);
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
