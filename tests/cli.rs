//! The command line's contract: outputs, `--json`, and exit codes (0 ok, 1 verification
//! failed, 2 bad input) with messages that name the file, line, state or symbol.

mod common;
use common::{arsim, json};

use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `text` to a file in a fresh temporary directory (kept alive by the returned guard).
fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const GOOD: &str = r#"(
    symbols: ["0", "1"],
    blank: "0",
    states: ["A", "Z"],
    start: "A",
    halting: ["Z"],
    rules: [
        ("A", "0", "1", R, "Z"),
    ],
)
"#;

/// Runs `arsim run FILE` on GOOD with one line replaced, and checks exit 2 and the message.
fn bad_machine(from: &str, to: &str, expect: &[&str]) {
    let text = GOOD.replace(from, to);
    assert_ne!(text, GOOD, "the replacement applies");
    let (_dir, path) = file("bad.ron", &text);
    let out = arsim(&["run", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.ron"), "names the file: {err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
}

#[test]
fn run_bb5_json() {
    let out = arsim(&["run", "machines/bb5.ron", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["steps"], 47_176_870);
    assert_eq!(v["nonblank"], 4_098);
    assert_eq!(v["stop"], "halted");
    assert_eq!(v["state"], "Z");
    assert!(v["cells"].is_array() && v["tape"].is_string());
}

#[test]
fn standard_string_is_a_machine_argument() {
    let out = arsim(&["run", "1RB1LB_1LA1RZ", "--json"]);
    assert_eq!(json(&out)["steps"], 6);
}

#[test]
fn emulate_json_agrees() {
    let out = arsim(&["emulate", "machines/bb4.ron", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["encoding"], "cells");
    assert_eq!(v["steps"], 107);
    assert_eq!(v["agree"], true);
    assert!(v["first_divergence"].is_null());
    let s = v["tape_cells"].as_u64().unwrap();
    assert_eq!(v["generated_tokens"].as_u64().unwrap(), 107 * (s + 1));
    assert!(v["tokens_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn certify_json() {
    let out = arsim(&["certify", "machines/binary-add.ron", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["certified"], true);
    assert_eq!(v["min_margin"], 1);
    assert!(v["contexts"].as_u64().unwrap() > 100);
}

#[test]
fn step_limit_is_reported_not_an_error() {
    let out = arsim(&["run", "machines/loop.ron", "--max-steps", "1000", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["stop"], "step-limit");
    assert_eq!(v["steps"], 1000);
    let out = arsim(&[
        "emulate",
        "machines/loop.ron",
        "--max-steps",
        "200",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(
        (
            v["stop"].as_str(),
            v["steps"].as_u64(),
            v["agree"].as_bool()
        ),
        (Some("step-limit"), Some(200), Some(true))
    );
}

#[test]
fn compile_writes_labelled_safetensors_and_emulate_runs_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bb3.safetensors");
    let out = arsim(&[
        "compile",
        "machines/bb3.ron",
        "--out",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["offsets"], serde_json::json!([5, 6, 7]));
    let out = arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--weights",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(json(&out)["agree"], true);
}

/// A wrong weight is caught by the verifier (exit 1, first divergence named) and by the
/// certificate (exit 1, failing context named).
#[test]
fn broken_weights_fail_verification_with_exit_1() {
    use arsim::encoding::cells::compile::{machine_to_cells_predictor, CENTRE};
    use arsim::machine::Input;
    use arsim::predictor::LinearAr;
    use arsim::window::window_of_run;
    let m = arsim::machine::load_machine(&manifest("machines/bb3.ron")).unwrap();
    let w = window_of_run(&m, &Input::default(), 1000);
    let p = machine_to_cells_predictor(&m, w);
    let mut weights = p.weights().to_vec();
    // ⟨A,0⟩ (id 3) in the centre now votes to keep symbol 0 (token ⟨0⟩, id 1).
    weights[CENTRE][(1, 3)] += 8;
    let broken = LinearAr::new(p.layout().clone(), weights);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.safetensors");
    let cells = arsim::api::encoding(&m, arsim::encoding::EncodingKind::Cells, w).unwrap();
    let meta = arsim::api::metadata(&m, &cells, None);
    arsim::weights::write_dense(&broken, &meta, &path).unwrap();
    let out = arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--weights",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["agree"], false);
    let d = &v["first_divergence"];
    assert_eq!(
        (
            d["step"].as_u64(),
            d["expected"].as_str(),
            d["got"].as_str()
        ),
        (Some(1), Some("⟨1⟩"), Some("⟨0⟩"))
    );
    let out = arsim(&[
        "certify",
        "machines/bb3.ron",
        "--weights",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("⟨A,0⟩"));
}

fn manifest(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn malformed_ron_names_file_and_line() {
    bad_machine(
        "start: \"A\",",
        "start: \"A\"",
        &["bad.ron:6:5: Expected comma"],
    );
}

#[test]
fn unknown_state_in_rule() {
    bad_machine(
        "(\"A\", \"0\", \"1\", R, \"Z\")",
        "(\"A\", \"0\", \"1\", R, \"Q\")",
        &["bad.ron:8:", "unknown state \"Q\""],
    );
}

#[test]
fn duplicate_rule() {
    bad_machine(
        "(\"A\", \"0\", \"1\", R, \"Z\"),",
        "(\"A\", \"0\", \"1\", R, \"Z\"),\n        (\"A\", \"0\", \"0\", L, \"Z\"),",
        &[
            "bad.ron:9:",
            "duplicate rule for state \"A\" reading '0'",
            "line 8",
        ],
    );
}

#[test]
fn missing_rules_stop_with_no_rule() {
    // A missing rule is not an error: the run stops there (the count earlier versions gave
    // bbchallenge's ---, kept by --undefined no-rule).
    let out = arsim(&["run", "1RB---_1LA---", "--json", "--undefined", "no-rule"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["stop"], "no-rule");
    assert_eq!(json(&out)["steps"], 2);
    // bbchallenge counts the step into ---, and halts.
    let out = arsim(&["run", "1RB---_1LA---", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        (json(&out)["stop"].as_str(), json(&out)["steps"].as_u64()),
        (Some("halted"), Some(3))
    );
}

#[test]
fn rule_out_of_halting_state() {
    bad_machine(
        "(\"A\", \"0\", \"1\", R, \"Z\"),",
        "(\"A\", \"0\", \"1\", R, \"Z\"),\n        (\"Z\", \"0\", \"1\", R, \"A\"),",
        &["bad.ron:9:", "rule out of halting state \"Z\""],
    );
}

#[test]
fn multi_character_symbol() {
    bad_machine(
        "symbols: [\"0\", \"1\"]",
        "symbols: [\"0\", \"1\", \"10\"]",
        &[
            "bad.ron:2:",
            "symbol \"10\" in symbols is not a single character",
        ],
    );
}

#[test]
fn blank_not_in_alphabet() {
    bad_machine(
        "blank: \"0\"",
        "blank: \"_\"",
        &["bad.ron:3:", "blank '_' is not in the alphabet"],
    );
}

#[test]
fn empty_machine() {
    bad_machine(
        "states: [\"A\", \"Z\"]",
        "states: []",
        &["empty machine: no states"],
    );
}

#[test]
fn unknown_field_is_a_ron_error() {
    bad_machine(
        "blank: \"0\",",
        "blank: \"0\",\n    colour: \"red\",",
        &["bad.ron:4:", "colour"],
    );
}

#[test]
fn input_outside_the_alphabet() {
    let out = arsim(&["run", "machines/binary-add.ron", "--input", "10+2"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("input symbol '2' at position 3"), "{err}");
}

#[test]
fn run_that_leaves_the_window() {
    let out = arsim(&["emulate", "machines/bb3.ron", "--tape", "3", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("leaves the tape window of 3 cells"),
        "{}",
        stderr(&out)
    );
    let v = json(&out);
    assert_eq!(v["stop"], "left-window");
    assert_eq!(v["agree"], true, "the trace up to there was verified");
}

#[test]
fn input_longer_than_the_window() {
    let out = arsim(&[
        "emulate",
        "machines/binary-increment.ron",
        "--input",
        "1011",
        "--tape",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not fit in a window of 2 cells"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_file_and_bad_standard_string() {
    let out = arsim(&["run", "machines/nope.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such machine file: machines/nope.ron"));
    let out = arsim(&["run", "1RB1LX_1LA"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_errors_are_json_too() {
    let out = arsim(&["run", "machines/nope.ron", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["exit_code"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let out = arsim(&["emulate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = arsim(&["emulate", "machines/bb2.ron", "--encoding", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn trace_prints_rows() {
    let out = arsim(&["trace", "machines/bb2.ron", "--json"]);
    let v = json(&out);
    assert_eq!(v["steps"], 6);
    assert_eq!(v["rows"].as_array().unwrap().len(), 7);
    assert_eq!(v["rows"][6]["row"], "1 1 [Z]1 1");
}

#[test]
fn help_teaches() {
    let out = arsim(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["emulate", "certify", "compile", "Exit codes"] {
        assert!(text.contains(word), "{text}");
    }
}

#[test]
fn length_rows_match_the_formula() {
    let out = arsim(&[
        "length",
        "machines/binary-increment.ron",
        "--tape",
        "8,16,32,64",
        "--input",
        "1011",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (r, s) in rows.iter().zip([8u64, 16, 32, 64]) {
        assert_eq!(r["tape_cells"], s);
        assert_eq!(
            r["generated_tokens"].as_u64().unwrap(),
            r["steps"].as_u64().unwrap() * (s + 1)
        );
        assert_eq!(r["matches_formula"], true);
    }
    let out = arsim(&[
        "length",
        "machines/binary-add.ron",
        "--inputs",
        "random",
        "--lengths",
        "4,8,16",
        "--json",
    ]);
    let v = json(&out);
    let fit = &v["fits"][0];
    assert!(
        fit["exponent"].as_f64().unwrap() > 1.5,
        "binary-add is quadratic-ish: {fit}"
    );
    assert_eq!(v["all_match"], true);
}

#[test]
fn task_text_missing_corpus_is_exit_2_naming_the_file() {
    let out = arsim(&[
        "task",
        "text",
        "--corpus",
        "no/such/stories.txt",
        "--baselines",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/stories.txt"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn task_text_baselines_json() {
    let text: String = (0..30)
        .map(|i| format!("Once upon a time, a cat named Tom{i} sat.\n<|endoftext|>\n"))
        .collect();
    let (_dir, path) = file("stories.txt", &text);
    let p = path.to_str().unwrap();
    let args = [
        "task",
        "text",
        "--corpus",
        p,
        "--vocab",
        "300",
        "--baselines",
    ];
    let out = arsim(
        &[
            &args[..],
            &["--prompt", "Once upon a", "--sample-tokens", "10", "--json"],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["baselines"]["stories"], 30);
    assert_eq!(v["baselines"]["models"][2]["model"], "trigram");
    assert_eq!(v["samples"].as_array().unwrap().len(), 2);
}

#[test]
fn length_plot_draws_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("length.png");
    let out = arsim(&[
        "length",
        "machines/binary-add.ron",
        "--inputs",
        "random",
        "--lengths",
        "2,4,8",
        "--encoding",
        "cells,sweep,gates",
        "--plot",
        png.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["fits"].as_array().unwrap().len(), 3);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let svg = dir.path().join("length.svg");
    arsim(&[
        "length",
        "machines/binary-add.ron",
        "--inputs",
        "random",
        "--lengths",
        "2,4",
        "--encoding",
        "cells,sweep",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("sweep") && text.contains("cells"),
        "the legend names both encodings"
    );
    let out = arsim(&[
        "length",
        "machines/binary-add.ron",
        "--tape",
        "8",
        "--plot",
        "x.pdf",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn task_multiply_trains_and_scores_json() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("m.safetensors");
    let ck = ck.to_str().unwrap();
    let base = [
        "task",
        "multiply",
        "--cot",
        "none",
        "--model",
        "linear",
        "--d",
        "4",
        "--train",
        "256",
        "--batch",
        "32",
        "--eval",
        "20",
        "--checkpoint",
        ck,
    ];
    let out = arsim(&[&base[..], &["--stop-at", "4", "--json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["cot"], "none");
    assert_eq!(v["chain_tokens"], 19);
    assert_eq!(v["training"]["steps"], 4);
    assert_eq!(v["validation"]["pairs"], 20);
    assert!(v["validation"]["per_digit_accuracy"].as_f64().unwrap() <= 1.0);
    // Resume the stopped run to its end.
    let out = arsim(&[&base[..], &["--resume", ck, "--json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["training"]["started_at_step"], 4);
    assert_eq!(v["training"]["steps"], 8);
    // A checkpoint of another run is refused, naming the file.
    let other = [
        "task", "multiply", "--cot", "carry", "--model", "linear", "--d", "4", "--resume", ck,
    ];
    let out = arsim(&other);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("m.safetensors"), "{}", stderr(&out));
}

#[test]
fn task_multiply_mismatched_route_is_exit_2() {
    for args in [
        &["task", "multiply", "--cot", "tm", "--model", "mlp"][..],
        &["task", "multiply", "--cot", "paper", "--model", "compiled"][..],
        &["task", "multiply", "--cot", "paper", "--d", "0"][..],
    ] {
        let out = arsim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("--"), "{}", stderr(&out));
    }
}

#[test]
fn task_multiply_tm_compiled_json() {
    let out = arsim(&[
        "task", "multiply", "--cot", "tm", "--model", "compiled", "--eval", "3", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["model"], "compiled");
    assert_eq!(v["validation"]["pairs"], 3);
    assert_eq!(v["validation"]["exact"], 3);
}

/// The text form of a Turing-machine row once read the report as the neural route's (both have
/// a `validation` key) and printed `d=null` and `? (null tokens)`.
#[test]
fn task_multiply_tm_row_prints_the_machine_form() {
    let out = arsim(&[
        "task", "multiply", "--cot", "tm", "--model", "compiled", "--eval", "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("model        compiled (binary-multiply), ")
            && text.contains("non-zero weights")
            && text.contains("validation   2 pairs: exact 2 (100.00 %)"),
        "{text}"
    );
    assert!(!text.contains("null"), "{text}");
}

#[test]
fn task_text_trains_a_linear_model_json() {
    let text: String = (0..40)
        .map(|i| format!("Once upon a time, a cat named Tom{i} sat on a mat.\n<|endoftext|>\n"))
        .collect();
    let (dir, path) = file("stories.txt", &text);
    let plot = dir.path().join("curve.svg");
    let out = arsim(&[
        "task",
        "text",
        "--corpus",
        path.to_str().unwrap(),
        "--vocab",
        "300",
        "--context",
        "4",
        "--d",
        "8",
        "--epochs",
        "2",
        "--samples",
        "2",
        "--sample-tokens",
        "8",
        "--eval-every",
        "3",
        "--plot",
        plot.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let n = &v["neural"];
    let curve = n["curve"].as_array().unwrap();
    assert!(curve.len() >= 2, "{curve:?}");
    assert_eq!(
        curve.last().unwrap()["validation_bits_per_byte"],
        n["validation"]["bits_per_byte"]
    );
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    assert_eq!(n["model"], "linear T=4 d=8");
    assert_eq!(
        n["validation"]["predicted_tokens"],
        v["baselines"]["models"][0]["validation"]["predicted_tokens"]
    );
    assert_eq!(v["samples"].as_array().unwrap().len(), 4);
    assert!(v["samples"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Once upon a"));
}

/// Rewrites every tensor of a dense weight file through `f(tensor name, row, column, value)`,
/// keeping its dtype (I32) and metadata: a hand edit, as a user would make it with numpy.
fn edit_weights(path: &Path, f: impl Fn(&str, usize, usize, i32) -> i32) {
    use safetensors::tensor::TensorView;
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone();
    let data: Vec<(String, Vec<u8>, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(name, t)| {
            let v = t.shape()[1];
            let out = t
                .data()
                .chunks_exact(4)
                .enumerate()
                .flat_map(|(i, c)| {
                    let x = i32::from_le_bytes(c.try_into().unwrap());
                    f(&name, i / v, i % v, x).to_le_bytes()
                })
                .collect();
            (name, out, t.shape().to_vec())
        })
        .collect();
    let views: Vec<(String, TensorView<'_>)> = data
        .iter()
        .map(|(n, b, s)| (n.clone(), TensorView::new(t_i32(), s.clone(), b).unwrap()))
        .collect();
    std::fs::write(path, safetensors::tensor::serialize(views, meta).unwrap()).unwrap();
}

fn t_i32() -> safetensors::tensor::Dtype {
    safetensors::tensor::Dtype::I32
}

#[test]
fn bb2_with_separator_weights_near_2_30_is_refused_never_certified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bb2.safetensors");
    let file = path.to_str().unwrap();
    assert_eq!(
        arsim(&["compile", "machines/bb2.ron", "--out", file])
            .status
            .code(),
        Some(0)
    );
    // Every offset votes 2^30 for SEP (row 0) after SEP: an i32 sum would wrap to negative.
    edit_weights(
        &path,
        |_, d, x, w| if d == 0 && x == 0 { 1 << 30 } else { w },
    );
    for cmd in ["certify", "emulate"] {
        let out = arsim(&[cmd, "machines/bb2.ron", "--weights", file]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("largest possible score") && err.contains("3221225472"),
            "{err}"
        );
    }
}

#[test]
fn softmax_learned_files_run_and_certify_with_exit_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.safetensors");
    let file = path.to_str().unwrap();
    let out = arsim(&[
        "learn",
        "machines/bb2.ron",
        "--algo",
        "softmax",
        "--train",
        "20",
        "--eval",
        "20",
        "--out",
        file,
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    for cmd in ["emulate", "certify"] {
        let out = arsim(&[cmd, "machines/bb2.ron", "--weights", file, "--json"]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out)["schema_version"], 2);
    }
}

#[test]
fn a_closed_stdout_ends_quietly_with_0() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args(["trace", "machines/bb5.ron", "--max-steps", "100000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // 100 MB of rows: read one byte, then close the pipe while the trace is being printed.
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `--json` run of `args`, which must succeed.
fn run_json(args: &[&str]) -> serde_json::Value {
    let out = arsim(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
}

#[test]
fn a_morphett_head_start_marks_the_cell_the_head_starts_on() {
    // Morphett's Reset(): nHeadPosition = indexOf("*"), then every `*` is removed. On
    // `10*1` the head starts on cell 2 (the last 1) and walks left while it reads a symbol:
    // cells 2, 1, 0 (three steps), then the blank on cell -1, where it writes # and halts (step
    // 4). Morphett's tape then reads `#101` from cell -1, the head on the #. Morphett's own
    // code agrees on this run and the three below (jsturing.js at 896a320 through
    // tests/data/conformance/tools/morphett.js, printing nHeadPosition too: steps 4, state
    // halt, tape #101, head -1; then 11x1 head 2, 11x head 2, x1 head 0, one step each).
    let (_dir, path) = file(
        "left.tm",
        "; $INITIAL_TAPE: 10*1\n0 _ # * halt\n0 * * l 0\n",
    );
    let path = path.to_str().unwrap();
    let v = run_json(&["--json", "run", path]);
    assert_eq!(
        (
            &v["input"],
            &v["head_start"],
            &v["steps"],
            &v["stop"],
            &v["state"]
        ),
        (
            &serde_json::json!("101"),
            &serde_json::json!(2),
            &serde_json::json!(4),
            &serde_json::json!("halted"),
            &serde_json::json!("halt")
        )
    );
    assert_eq!(
        (
            &v["tape"],
            &v["tape_start"],
            &v["head"],
            &v["cells"],
            &v["nonblank"]
        ),
        (
            &serde_json::json!("#101"),
            &serde_json::json!(-1),
            &serde_json::json!(-1),
            &serde_json::json!([-1, 2]),
            &serde_json::json!(4)
        )
    );
    // Every encoding follows the interpreter from the same start; the window holds cells
    // -1..2, the input from window cell 1, the head from window cell 3.
    for encoding in ["cells", "sweep", "gates"] {
        let e = run_json(&["--json", "emulate", path, "--encoding", encoding]);
        assert_eq!(
            (
                &e["agree"],
                &e["steps"],
                &e["head_start"],
                &e["tape_cells"],
                &e["origin"]
            ),
            (
                &serde_json::json!(true),
                &serde_json::json!(4),
                &serde_json::json!(2),
                &serde_json::json!(4),
                &serde_json::json!(1)
            ),
            "{encoding}: {e}"
        );
    }
    let c = run_json(&["--json", "certify", path]);
    assert_eq!(c["certified"], serde_json::json!(true), "{c}");

    // A rule that writes where the head starts: `11*01` rewrites cell 2 (the 0) in one step;
    // `11*` starts the head on the blank right of the input.
    let (_dir, path) = file("write.tm", "0 * x * halt\n");
    let path = path.to_str().unwrap();
    for (input, tape, head) in [("11*01", "11x1", 2), ("11*", "11x", 2), ("*11", "x1", 0)] {
        let v = run_json(&["--json", "run", path, "--input", input]);
        assert_eq!(
            (
                &v["tape"],
                &v["head"],
                &v["head_start"],
                &v["steps"],
                &v["cells"]
            ),
            (
                &serde_json::json!(tape),
                &serde_json::json!(head),
                &serde_json::json!(head),
                &serde_json::json!(1),
                &serde_json::json!([head, head])
            ),
            "{input}"
        );
    }
}

#[test]
fn a_star_symbol_stays_a_symbol() {
    // binary-multiply's alphabet holds `*`, its operator: 11*10 is 3·2 = 6, the head starting
    // on cell 0.
    let v = run_json(&[
        "--json",
        "run",
        &manifest("machines/binary-multiply.ron"),
        "--input",
        "11*10",
    ]);
    assert_eq!(
        (&v["input"], &v["head_start"], &v["tape"], &v["stop"]),
        (
            &serde_json::json!("11*10"),
            &serde_json::json!(0),
            &serde_json::json!("110"),
            &serde_json::json!("halted")
        )
    );
}

/// An error whose message already names its cause is printed once, not as "X: X" (the
/// pipeline's `machine M: {source}` errors; issue 14).
#[test]
fn every_error_message_is_said_once() {
    let said = "does not fit in a window of 3 cells";
    for (command, json_out) in [("emulate", false), ("trace", false), ("emulate", true)] {
        let mut args = vec![command, "machines/binary-add.ron", "--input", "1011+11"];
        args.extend(["--tape", "3"]);
        if json_out {
            args.push("--json");
        }
        let out = arsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.matches(said).count(), 1, "{args:?}: {err}");
        if json_out {
            let v = json(&out);
            assert_eq!(v["error"].as_str().unwrap().matches(said).count(), 1);
        }
    }
}

/// A standard-format string that starts with an undefined transition (`---1LB_1LA---`) is the
/// machine, wherever it stands among the flags, not an unknown flag (issue 25.6); an unknown flag
/// is still one.
#[test]
fn a_standard_string_starting_with_dashes_is_a_machine() {
    for args in [
        &["--json", "run", "---1LB_1LA---"][..],
        &["--json", "run", "--max-steps", "9", "---1LB_1LA---"][..],
        &["--json", "run", "---1LB_1LA---", "--max-steps", "9"][..],
    ] {
        let out = arsim(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j = json(&out);
        assert_eq!(
            (&j["machine"], &j["steps"], &j["stop"]),
            (&"---1LB_1LA---".into(), &1.into(), &"halted".into()),
            "{args:?}"
        );
    }
    let out = arsim(&["run", "--bogus", "machines/bb2.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--bogus'"));
}

/// `convert` and `dot` take `--start`, `--lenient` and `--undefined` as every other command does:
/// the message that tells a user to give `--start` is one they can follow there too (issue 25.7).
#[test]
fn convert_and_dot_take_the_loading_flags() {
    let dir = tempfile::tempdir().unwrap();
    let tm = dir.path().join("m.tm");
    std::fs::write(&tm, "a _ 1 r b\nb _ 1 l halt\n").unwrap();
    let out = arsim(&["convert", tm.to_str().unwrap(), "--to", "ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--start"));
    std::fs::write(&tm, "a _ 1 r b\nb _ 1 l halt\nnot a rule\n").unwrap();
    let tm = tm.to_str().unwrap();
    let out = arsim(&["convert", tm, "--start", "a", "--lenient", "--to", "ron"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("start: \"a\""));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
    let out = arsim(&["dot", tm, "--start", "a", "--lenient"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = arsim(&[
        "convert",
        "1RB---_1LA1RZ",
        "--undefined",
        "no-rule",
        "--to",
        "standard",
    ]);
    assert!(out.status.success());
}

/// Exits that tell the truth when stdout fails (issue 25.24): a pipe closed before the report
/// is printed cuts the output short but keeps a failed certificate's exit 1, and a full disk is
/// an error (exit 2, said on stderr), not a panic (101).
#[test]
fn a_failed_write_never_turns_into_success_or_a_panic() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("bb2.safetensors");
    assert!(
        arsim(&["compile", "machines/bb2.ron", "--out", w.to_str().unwrap()])
            .status
            .success()
    );
    let closed = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        child.wait().unwrap().code()
    };
    // bb2's weights on another machine: the certificate fails, and says so through the pipe.
    assert_eq!(
        closed(&["certify", "1RB0LB_1LA1RZ", "--weights", w.to_str().unwrap()]),
        Some(1)
    );
    assert_eq!(closed(&["certify", "machines/bb2.ron"]), Some(0));
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(["run", "machines/bb2.ron"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot write to standard output") && !err.contains("panicked"),
            "{err}"
        );
    }
}

/// Nonsense refused where it is given (issue 25.27): an origin outside the window is refused
/// before a file is written that `emulate` would refuse, and `#N` on a file of one machine is
/// not silently ignored.
#[test]
fn an_origin_outside_the_window_and_an_index_into_one_machine_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("o.safetensors");
    let out = arsim(&[
        "compile",
        "machines/bb2.ron",
        "--tape",
        "5",
        "--origin",
        "18446744073709551615",
        "--out",
        w.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("origin, cell 18446744073709551615, lies outside its 5 cells"));
    assert!(!w.exists());
    let out = arsim(&["run", "machines/bb2.ron#3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("picks a machine of a seed database"));
    assert!(arsim(&["run", "machines/bb2.ron#0"]).status.success());
}
