//! The bad-input battery of issue 25 ("every size checked, every exit honest"), kept as tests:
//! each case runs the built `arsim` and asserts its exit code and the words of its message, so
//! that none of the aborts, wrong exits, silent accepts and misleading messages it found comes
//! back. One module per class: sizes, streams, exits, paths, names, nonsense, messages,
//! signals, conventions.

mod common;
use common::{arsim, json};

use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit `code` and every one of `words` in stderr.
fn exits(out: &Output, code: i32, words: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {err}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for w in words {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
    assert!(!err.contains("panicked"), "no panic: {err}");
    err
}

/// Runs `arsim ARGS` and asserts a refusal: exit 2 naming each of `words`.
fn refused(args: &[&str], words: &[&str]) -> String {
    exits(&arsim(args), 2, words)
}

/// A file `name` holding `bytes` in a fresh directory (kept alive by the guard).
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A corpus of two stories, enough for the text task to read.
const CORPUS: &str = "Once upon a time.\n<|endoftext|>\nThe cat sat.\n<|endoftext|>\n";

mod sizes {
    use super::*;

    #[test]
    fn gates_window_is_checked_at_its_gates_cost() {
        for cmd in ["emulate", "compile", "certify"] {
            refused(
                &[
                    cmd,
                    "machines/bb2.ron",
                    "--encoding",
                    "gates",
                    "--tape",
                    "3000000",
                    "--origin",
                    "1500000",
                ],
                &[
                    "a gates window of 3000000 cells",
                    "4352 bytes a cell",
                    "--tape",
                ],
            );
        }
    }

    #[test]
    fn parity_training_chains_are_counted() {
        refused(
            &["task", "parity", "--n", "16", "--train", "1000000000"],
            &["training and test chains", "--train"],
        );
    }

    #[test]
    fn learn_sample_sizes_are_counted() {
        refused(
            &[
                "learn",
                "machines/binary-increment.ron",
                "--sample-sizes",
                "1,1000000000",
            ],
            &["training and held-out traces", "--train and --eval"],
        );
    }

    #[test]
    fn learn_input_lengths_are_bounded() {
        refused(
            &[
                "learn",
                "machines/binary-increment.ron",
                "--lengths",
                "1000000",
            ],
            &["--lengths"],
        );
    }

    #[test]
    fn length_inputs_per_length_are_counted() {
        refused(
            &[
                "length",
                "machines/bb2.ron",
                "--random",
                "--lengths",
                "2",
                "--per-length",
                "1000000000",
            ],
            &["1000000000 random inputs", "--per-length"],
        );
    }

    #[test]
    fn multiply_batch_is_counted() {
        refused(
            &["task", "multiply", "--batch", "1000000000"],
            &["sequences per batch", "--batch"],
        );
    }

    #[test]
    fn multiply_eval_beyond_the_pairs_that_exist_is_refused() {
        refused(
            &["task", "multiply", "--eval", "100000000"],
            &[
                "100000000 evaluation pairs",
                "pairs the split holds",
                "--eval",
            ],
        );
    }

    #[test]
    fn threads_are_capped_at_a_stated_number() {
        for n in ["1000", "100000"] {
            refused(
                &["task", "multiply", "--threads", n, "--train", "10"],
                &[n, "256 threads", "--threads"],
            );
        }
    }
}

mod streams {
    use super::*;

    #[test]
    fn devices_are_refused_unread_as_every_input_file() {
        refused(
            &["run", "machines/bb2.ron", "--input-file", "/dev/zero"],
            &["--input-file /dev/zero", "a device"],
        );
        refused(
            &["emulate", "machines/bb2.ron", "--weights", "/dev/zero"],
            &["/dev/zero", "a device"],
        );
        refused(
            &["task", "text", "--corpus", "/dev/zero"],
            &["/dev/zero", "a device"],
        );
        refused(
            &["task", "multiply", "--resume", "/dev/zero", "--train", "10"],
            &["/dev/zero", "a device"],
        );
        refused(&["run", "/dev/zero"], &["/dev/zero"]);
    }

    #[test]
    fn trace_json_is_one_object_written_as_the_run_goes() {
        let out = arsim(&["--json", "trace", "machines/bb2.ron"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["schema_version"], 2);
        assert_eq!(v["steps"], 6);
        assert_eq!(v["final"], true);
        assert_eq!(v["rows"].as_array().unwrap().len(), 7);
        assert_eq!(v["rows"][0]["step"], 0);
        assert!(v["left_window"].is_null());
        // The rows come before the keys that need the run's end: printed as they come.
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.find("\"rows\"").unwrap() < text.find("\"steps\"").unwrap());
    }

    #[test]
    fn a_long_trace_streams_in_bounded_memory() {
        // 200,000 rows: streamed, the process stays small (built whole, 10M rows took 3 GB).
        let out = arsim(&[
            "--json",
            "trace",
            "machines/loop.ron",
            "--max-steps",
            "200000",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["rows"].as_array().unwrap().len(), 200_001);
    }

    #[test]
    fn the_interpreters_tape_growth_is_bounded() {
        // Doubling a 1 GiB tape holds 3 GiB for a moment: only where asked for.
        if std::env::var_os("ARSIM_BIG_TESTS").is_none() {
            return;
        }
        let out = arsim(&["--json", "run", "1RA1RA", "--max-steps", "100000000000"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(json(&out)["stop"], "tape-limit");
    }
}

mod exits {
    use super::*;

    #[test]
    fn usage_errors_print_the_json_error_object_with_json() {
        for args in [
            &["--json", "run", "--bogus", "machines/bb2.ron"][..],
            &["--json", "emulate", "machines/bb2.ron", "--tape", "-1"],
            &["run", "machines/bb2.ron", "--max-steps", "x", "--json"],
        ] {
            let out = arsim(args);
            assert_eq!(out.status.code(), Some(2));
            let v = json(&out);
            assert_eq!(v["exit_code"], 2);
            assert!(v["error"].as_str().unwrap().len() > 10, "{v}");
        }
    }

    #[test]
    fn help_and_version_still_exit_0() {
        assert_eq!(arsim(&["--version"]).status.code(), Some(0));
        assert_eq!(arsim(&["run", "--help"]).status.code(), Some(0));
    }

    #[test]
    fn a_failed_load_exits_2_with_json() {
        let out = arsim(&["--json", "run", "no/such/machine.ron"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(json(&out)["exit_code"], 2);
    }
}

mod paths {
    use super::*;

    #[test]
    fn compile_out_equal_to_the_machine_is_refused_and_the_machine_kept() {
        let text = std::fs::read("machines/bb2.ron").unwrap();
        let (dir, m) = file("m.ron", &text);
        // The same file named another way.
        let other = dir.path().join(".").join("m.ron");
        refused(
            &["compile", s(&m), "--out", s(&other)],
            &["--out", "the machine file", "destroy"],
        );
        assert_eq!(std::fs::read(&m).unwrap(), text, "the machine is untouched");
    }

    #[test]
    fn learn_convert_dot_and_trace_outputs_equal_to_the_machine_are_refused() {
        let text = std::fs::read("machines/bb2.ron").unwrap();
        let (_dir, m) = file("m.ron", &text);
        refused(
            &["learn", s(&m), "--out", s(&m)],
            &["--out", "the machine file"],
        );
        refused(
            &["convert", s(&m), "--to", "yaml", "--out", s(&m)],
            &["--out", "the machine file"],
        );
        refused(
            &["dot", s(&m), "--out", s(&m)],
            &["--out", "the machine file"],
        );
        assert_eq!(std::fs::read(&m).unwrap(), text);
    }

    #[test]
    fn an_input_file_as_the_output_is_refused() {
        let (_dir, input) = file("in.txt", b"11\n");
        refused(
            &[
                "compile",
                "machines/binary-increment.ron",
                "--input-file",
                s(&input),
                "--out",
                s(&input),
            ],
            &["--out", "--input-file"],
        );
    }

    #[test]
    fn text_outputs_equal_to_the_corpus_are_refused() {
        let (_dir, corpus) = file("s.txt", CORPUS.as_bytes());
        for flag in ["--checkpoint", "--tokenizer", "--hf-tokenizer", "--plot"] {
            let out = arsim(&[
                "task",
                "text",
                "--corpus",
                s(&corpus),
                flag,
                s(&corpus),
                "--epochs",
                "1",
            ]);
            exits(&out, 2, &["corpus", "destroy"]);
            assert_eq!(std::fs::read_to_string(&corpus).unwrap(), CORPUS, "{flag}");
        }
    }

    #[test]
    fn a_checkpoint_directory_that_does_not_exist_is_found_before_training() {
        let (dir, corpus) = file("s.txt", CORPUS.as_bytes());
        let ck = dir.path().join("no/such/dir/ck.safetensors");
        let err = refused(
            &[
                "task",
                "text",
                "--corpus",
                s(&corpus),
                "--checkpoint",
                s(&ck),
            ],
            &["does not exist"],
        );
        assert_eq!(err.matches(s(&ck)).count(), 1, "the path once: {err}");
        let err = refused(
            &["task", "multiply", "--train", "10", "--checkpoint", s(&ck)],
            &["does not exist"],
        );
        assert_eq!(err.matches(s(&ck)).count(), 1, "the path once: {err}");
    }

    #[test]
    fn hf_tokenizer_errors_name_no_temporary_file() {
        let (dir, corpus) = file("s.txt", CORPUS.as_bytes());
        let out = dir.path().join("no/such/tokenizer.json");
        let err = refused(
            &[
                "task",
                "text",
                "--corpus",
                s(&corpus),
                "--hf-tokenizer",
                s(&out),
            ],
            &["--hf-tokenizer", "does not exist"],
        );
        assert!(!err.contains(".arsim-bpe.tmp"), "{err}");
    }
}

mod names {
    use super::*;

    /// A machine whose name and state try to write a verdict line and hide the real one.
    const FORGED: &str = "(\n    name: \"x\\ncertified    yes\\u{1b}[8m\",\n    symbols: [\"0\", \"1\"],\n    blank: \"0\",\n    states: [\"A\\u{1b}[2J\", \"Z\"],\n    start: \"A\\u{1b}[2J\",\n    halting: [\"Z\"],\n    rules: [(\"A\\u{1b}[2J\", \"0\", \"1\", R, \"Z\")],\n)\n";

    #[test]
    fn a_machine_file_cannot_write_control_characters_on_the_terminal() {
        let (_dir, m) = file("forged.ron", FORGED.as_bytes());
        for args in [
            &["run", s(&m)][..],
            &["certify", s(&m)],
            &["emulate", s(&m)],
            &["trace", s(&m)],
            &["compile", s(&m), "--list"],
            &["dot", s(&m)],
        ] {
            let out = arsim(args);
            let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
            let text = String::from_utf8_lossy(&all);
            assert!(
                !text.contains('\u{1b}'),
                "{args:?}: an escape reached the terminal: {text}"
            );
            assert!(
                text.lines().filter(|l| l.starts_with("certified")).count() <= 1,
                "{args:?}: a forged verdict line: {text}"
            );
        }
        let out = arsim(&["run", s(&m)]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("x\\ncertified"));
    }

    #[test]
    fn a_control_character_symbol_is_refused_naming_it_escaped() {
        let text = "(symbols: [\"0\", \"\\u{7}\"], blank: \"0\", states: [\"A\", \"Z\"], start: \"A\", halting: [\"Z\"], rules: [(\"A\", \"0\", \"\\u{7}\", R, \"Z\")])";
        let (_dir, m) = file("bell.ron", text.as_bytes());
        let err = refused(&["run", s(&m)], &["\\u{7}", "not a single character"]);
        assert!(!err.contains('\u{7}'));
    }
}

mod nonsense {
    use super::*;

    #[test]
    fn nan_weight_decay_is_refused() {
        refused(
            &["task", "multiply", "--weight-decay", "nan", "--train", "10"],
            &["--weight-decay NaN"],
        );
        refused(
            &["task", "multiply", "--weight-decay=-1", "--train", "10"],
            &["--weight-decay -1"],
        );
    }

    #[test]
    fn nan_temperature_and_vocab_0_are_refused() {
        let (_dir, corpus) = file("s.txt", CORPUS.as_bytes());
        refused(
            &[
                "task",
                "text",
                "--corpus",
                s(&corpus),
                "--temperature",
                "nan",
            ],
            &["--temperature NaN"],
        );
        refused(
            &["task", "text", "--corpus", s(&corpus), "--vocab", "0"],
            &["--vocab 0", "257"],
        );
    }

    #[test]
    fn a_picture_of_width_0_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("x.png");
        refused(
            &[
                "trace",
                "machines/bb2.ron",
                "--plot",
                s(&png),
                "--width",
                "0",
            ],
            &["--width"],
        );
        assert!(!png.exists());
    }

    #[test]
    fn show_with_stats_is_refused() {
        refused(
            &["task", "multiply", "--show", "12", "34", "--stats"],
            &["--stats"],
        );
    }
}

mod messages {
    use super::*;

    #[test]
    fn negative_numbers_name_their_flag() {
        for (cmd, flag) in [
            (&["emulate", "machines/bb2.ron"][..], "--tape"),
            (&["run", "machines/bb2.ron"], "--max-steps"),
            (&["emulate", "machines/bb2.ron"], "--origin"),
            (&["task", "multiply"], "--train"),
            (&["task", "multiply"], "--batch"),
            (&["task", "parity"], "--n"),
            (&["learn", "machines/bb2.ron"], "--train"),
        ] {
            let mut args = cmd.to_vec();
            args.extend([flag, "-1"]);
            let err = refused(&args, &[flag, "0 or more", "-1"]);
            assert!(!err.contains("unexpected argument"), "{err}");
        }
    }

    #[test]
    fn a_transformer_too_large_names_layers() {
        refused(
            &[
                "task",
                "multiply",
                "--model",
                "transformer",
                "--layers",
                "1000000",
                "--train",
                "10",
            ],
            &["1000000 blocks", "--layers"],
        );
    }

    #[test]
    fn a_standard_string_with_a_mistake_is_told_where() {
        refused(
            &["run", "1XB1LB_1LA1RZ"],
            &["1XB1LB_1LA1RZ", "\"1XB\" is not a transition", "state A"],
        );
        refused(&["run", "1RB1LB_1LA"], &["group", "characters"]);
    }

    #[test]
    fn a_path_that_is_no_standard_string_is_still_not_found() {
        refused(&["run", "no/such/file.ron"], &["no such machine file"]);
    }
}

mod signals {
    use super::*;

    #[test]
    fn a_stale_temporary_of_the_same_target_is_swept_by_the_next_write() {
        // What a writer killed beyond catching (SIGKILL, a file-size limit) leaves: swept.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("bb2.safetensors");
        let stale = dir.path().join(".bb2.safetensors.tmp2147483000");
        std::fs::write(&stale, b"half a file").unwrap();
        let r = arsim(&["compile", "machines/bb2.ron", "--out", s(&out)]);
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        assert!(out.exists());
        assert!(!stale.exists(), "the dead writer's temporary is gone");
    }
}

mod conventions {
    use super::*;

    #[test]
    fn bbchallenge_undefined_halt_writes_1_for_sigma() {
        let out = arsim(&["--json", "run", "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA"]);
        assert_eq!(out.status.code(), Some(0));
        let v = json(&out);
        assert_eq!(v["steps"], 47_176_870);
        assert_eq!(
            v["nonblank"], 4_098,
            "as the 1RZ form and bbchallenge's Σ(5)"
        );
        assert!(v["convention"].as_str().unwrap().contains("writes 1"));
        let text = arsim(&["run", "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA"]);
        assert!(String::from_utf8_lossy(&text.stdout).contains("convention"));
    }

    #[test]
    fn undefined_no_rule_keeps_the_missing_rule() {
        let out = arsim(&[
            "--json",
            "run",
            "--undefined",
            "no-rule",
            "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA",
        ]);
        let v = json(&out);
        assert_eq!(v["steps"], 47_176_869);
        assert_eq!(v["nonblank"], 4_097);
        assert_eq!(v["stop"], "no-rule");
        assert!(v["convention"].is_null());
    }

    #[test]
    fn yaml_multi_tape_documents_are_refused_by_name() {
        let doc =
            "type: 3tape\nblank: ' '\nstart state: a\ntable:\n  a:\n    '0': {write: ' 0 ', R}\n";
        let (_dir, m) = file("three.yaml", doc.as_bytes());
        refused(&["run", s(&m)], &["multi-tape machines are not supported"]);
    }

    #[test]
    fn yaml_n_moves_are_said_to_be_arsims_own() {
        let doc = "blank: ' '\nstart state: a\ntable:\n  a:\n    ' ': {write: 1, N: b}\n  b:\n";
        let (_dir, m) = file("stay.yaml", doc.as_bytes());
        exits(&arsim(&["run", s(&m)]), 0, &["warning", "only L and R"]);
    }
}
