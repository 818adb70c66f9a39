//! Properties over random machines and inputs: the compiled `cells` predictor equals the
//! interpreter on every token, the certificate holds, traces decode back to the run, and no
//! text makes a loader panic.

mod common;

use arsim::emulate::{emulate_cells, EmulateOptions};
use arsim::encoding::cells::certify::certify_cells;
use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::cells::{decode_row, Dictionary, ReferenceTrace};
use arsim::interpreter::Interpreter;
use arsim::machine::load::{from_ron_text, from_standard};
use arsim::machine::{Input, Machine};
use arsim::window::window_of_run;
use arsim::window::WindowConfig;
use proptest::prelude::*;

/// Random machines of up to 4 working states (see `common::random_machines`).
fn machines() -> impl Strategy<Value = Machine> {
    common::random_machines(4)
}

/// A machine with an input word over its alphabet.
fn machines_with_input() -> impl Strategy<Value = (Machine, Input)> {
    common::with_input(machines())
}

const MAX_STEPS: u64 = 300;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_equals_interpreter_on_every_token((m, input) in machines_with_input()) {
        let opts = EmulateOptions { input: input.clone(), window: None, max_steps: MAX_STEPS };
        let r = emulate_cells(&m, &opts, &mut |_| {}).unwrap();
        prop_assert!(r.agree, "{:?}", r.first_divergence);
        let run = arsim::interpreter::run(&m, &input, MAX_STEPS);
        prop_assert_eq!(r.steps, run.steps);
        prop_assert_eq!(r.generated_tokens, run.steps * (r.tape_cells as u64 + 1));
        prop_assert!(r.left_window.is_none());
    }

    #[test]
    fn certificate_holds_with_margin_one(m in machines(), s in 1usize..40) {
        let w = arsim::window::Window { size: s, origin: 0 };
        let cert = certify_cells(&m, &machine_to_cells_predictor(&m, w), w).unwrap();
        prop_assert!(cert.certified, "{:?}", cert.failures);
        prop_assert_eq!(cert.min_margin, arsim::certify::Margin::Exact(1));
    }

    #[test]
    fn trace_rows_decode_to_the_interpreters_configurations((m, input) in machines_with_input()) {
        let w = window_of_run(&m, &input, MAX_STEPS);
        let dict = Dictionary::new(&m);
        let tokens: Vec<_> = ReferenceTrace::new(&m, &input, w, MAX_STEPS).unwrap().collect();
        prop_assert_eq!(tokens.len() % (w.size + 1), 0);
        let mut it = Interpreter::new(&m, &input);
        for (t, row) in tokens.chunks(w.size + 1).enumerate() {
            let c: WindowConfig = decode_row(&dict, row).unwrap();
            prop_assert_eq!(c.state, it.state(), "row {}", t);
            prop_assert_eq!(c.head as i64 - w.origin as i64, it.head());
            for (i, &s) in c.cells.iter().enumerate() {
                prop_assert_eq!(s, it.cell(i as i64 - w.origin as i64));
            }
            it.run(t as u64 + 1);
        }
    }

    #[test]
    fn tokens_round_trip(m in machines()) {
        let dict = Dictionary::new(&m);
        for i in 0..=dict.len() as u32 {
            let id = arsim::predictor::TokenId(i);
            prop_assert_eq!(dict.encode(dict.decode(id)), id);
        }
    }

    #[test]
    fn random_text_never_panics_the_loaders(text in "\\PC{0,200}") {
        let _ = from_ron_text(&text, "random.ron", "random");
        let _ = from_standard(&text, "random");
    }

    #[test]
    fn mutated_corpus_files_never_panic_the_loader(
        file in 0usize..64,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let files = corpus_texts();
        let mut bytes = files[file % files.len()].clone().into_bytes();
        for (at, byte, kind) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = from_ron_text(&text, "mutated.ron", "mutated");
    }
}

fn corpus_texts() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("machines");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron") && !p.ends_with("bb5.ron"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}
