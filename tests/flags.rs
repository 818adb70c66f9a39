//! The command line's one vocabulary (issue 14): every renamed flag works under its new name,
//! its old spelling still works as a hidden alias for one version, and both give the same
//! result; options a command cannot use are not offered.

mod common;
use common::arsim;

use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A report without its timings (keys that name seconds or a rate), which differ run to run.
fn untimed(out: &Output) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !k.contains("second"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
        Ok(mut v) => {
            strip(&mut v);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// Runs `base` + `new` and `base` + `old`: both exit with `code` and print the same report,
/// timings aside.
fn same_code(base: &[&str], new: &[&str], old: &[&str], code: i32) -> Output {
    let a = arsim(&[base, new].concat());
    let b = arsim(&[base, old].concat());
    assert_eq!(a.status.code(), Some(code), "{new:?}: {}", stderr(&a));
    assert_eq!(b.status.code(), Some(code), "{old:?}: {}", stderr(&b));
    assert_eq!(untimed(&a), untimed(&b), "{new:?} and {old:?} differ");
    a
}

/// [`same_code`] with exit 0.
fn same(base: &[&str], new: &[&str], old: &[&str]) -> Output {
    same_code(base, new, old, 0)
}

/// The old spelling is not listed in `--help` of the command `cmd`; the new one is.
fn hidden(cmd: &[&str], new: &str, old: &str) {
    let out = arsim(&[cmd, &["--help"]].concat());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains(&format!("{new} ")),
        "{cmd:?} --help lists {new}: {help}"
    );
    assert!(
        !help.contains(&format!("{old} ")) && !help.contains(&format!("{old}\n")),
        "{cmd:?} --help hides {old}: {help}"
    );
}

#[test]
fn length_tape_random_and_per_length() {
    let base = ["length", "machines/binary-increment.ron", "--json"];
    let v = same(&base, &["--tape", "8,16"], &["--tapes", "8,16"]);
    let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert!(v.to_string().contains("16"), "{v}");
    let base = [
        "length",
        "machines/binary-add.ron",
        "--lengths",
        "2",
        "--json",
    ];
    same(
        &base,
        &["--random", "--per-length", "2"],
        &["--inputs", "random", "--samples", "2"],
    );
    hidden(&["length"], "--tape", "--tapes");
    hidden(&["length"], "--per-length", "--samples");
    hidden(&["length"], "--random", "--inputs");
}

#[test]
fn learn_eval_and_out() {
    let dir = tempfile::tempdir().unwrap();
    // One path for both runs: the report names it.
    let path = dir.path().join("w.safetensors");
    let p = path.to_str().unwrap();
    let base = [
        "learn",
        "machines/binary-increment.ron",
        "--train",
        "20",
        "--json",
    ];
    same(
        &base,
        &["--eval", "3", "--out", p],
        &["--test", "3", "--save", p],
    );
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    hidden(&["learn"], "--eval", "--test");
    hidden(&["learn"], "--out", "--save");
}

#[test]
fn learn_offers_every_encoding_and_learns_sweep() {
    let help = arsim(&["learn", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    let line = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--encoding"))
        .take(7)
        .collect::<String>();
    for e in ["cells", "sweep", "gates"] {
        assert!(line.contains(e), "learn --help does not offer {e}: {line}");
    }
    // Every encoding it offers it learns: sweep traces at the compiled offsets 1, S, S+1.
    let out = arsim(&[
        "learn",
        "machines/binary-increment.ron",
        "--encoding",
        "sweep",
        "--window",
        "local",
        "--train",
        "20",
        "--eval",
        "20",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["encoding"], "sweep");
    assert_eq!(r["outputs"], "tokens");
}

#[test]
fn multiply_train_and_eval() {
    let base = [
        "task", "multiply", "--cot", "tm", "--model", "compiled", "--json",
    ];
    let out = same(&base, &["--eval", "2"], &["--eval-pairs", "2"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains('2'));
    // --train only matters to training runs: --stats shows parsing alone.
    same(
        &["task", "multiply", "--stats"],
        &["--train", "10"],
        &["--train-seqs", "10"],
    );
    hidden(&["task", "multiply"], "--train", "--train-seqs");
    hidden(&["task", "multiply"], "--eval", "--eval-pairs");
}

#[test]
fn parity_eval_train_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.ron"), dir.path().join("b.ron"));
    let base = ["task", "parity", "--n", "24", "--json"];
    same(&base, &["--eval", "5"], &["--samples", "5"]);
    same(
        &base,
        &["--train", "20", "--eval", "5"],
        &["--learn", "20", "--eval", "5"],
    );
    let base = ["task", "parity", "--n", "4"];
    let new = arsim(&[&base[..], &["--out", a.to_str().unwrap()]].concat());
    let old = arsim(&[&base[..], &["--circuit", b.to_str().unwrap()]].concat());
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    assert_eq!(old.status.code(), Some(0), "{}", stderr(&old));
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "circuits differ"
    );
    hidden(&["task", "parity"], "--eval", "--samples");
    hidden(&["task", "parity"], "--train", "--learn");
    hidden(&["task", "parity"], "--out", "--circuit");
}

#[test]
fn text_sample_tokens_and_hf_tokenizer() {
    let text: String = (0..30)
        .map(|i| format!("Once upon a time, a cat named Tom{i} sat.\n<|endoftext|>\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("stories.txt");
    std::fs::write(&corpus, text).unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let base = [
        "task",
        "text",
        "--corpus",
        corpus.to_str().unwrap(),
        "--vocab",
        "300",
        "--baselines",
        "--prompt",
        "Once upon a",
        "--json",
    ];
    same(&base, &["--sample-tokens", "7"], &["--tokens", "7"]);
    // --hf-tokenizer is written by a neural run: a tiny one.
    let base = [
        "task",
        "text",
        "--corpus",
        corpus.to_str().unwrap(),
        "--vocab",
        "300",
        "--context",
        "4",
        "--d",
        "4",
        "--samples",
        "1",
        "--sample-tokens",
        "2",
    ];
    let new = arsim(&[&base[..], &["--hf-tokenizer", a.to_str().unwrap()]].concat());
    let old = arsim(&[&base[..], &["--tokenizer-out", b.to_str().unwrap()]].concat());
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    assert_eq!(old.status.code(), Some(0), "{}", stderr(&old));
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "tokenizers differ"
    );
    hidden(&["task", "text"], "--sample-tokens", "--tokens");
    hidden(&["task", "text"], "--hf-tokenizer", "--tokenizer-out");
}

#[test]
fn one_default_seed() {
    for cmd in [
        &["length"][..],
        &["learn"],
        &["task", "multiply"],
        &["task", "parity"],
        &["task", "text"],
    ] {
        let out = arsim(&[cmd, &["--help"]].concat());
        let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
        let at = help
            .find("--seed <SEED>")
            .unwrap_or_else(|| panic!("{cmd:?} has --seed"));
        let rest = &help[at..];
        let default = rest.find("[default: ").map(|i| &rest[i + 10..i + 12]);
        assert_eq!(default, Some("0]"), "{cmd:?}: {rest}");
    }
}

#[test]
fn trace_emulate_weights_are_used_or_refused() {
    // Without a picture, --emulate (and --weights) would be ignored: refused instead.
    let out = arsim(&[
        "trace",
        "machines/binary-increment.ron",
        "--emulate",
        "--weights",
        "/nonexistent/w.safetensors",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--plot"), "{}", stderr(&out));
    // With a picture, a missing weights file is an error naming it.
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("t.png");
    let out = arsim(&[
        "trace",
        "machines/binary-increment.ron",
        "--emulate",
        "--weights",
        "/nonexistent/w.safetensors",
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nonexistent/w.safetensors"),
        "{}",
        stderr(&out)
    );
    assert!(!png.exists());
}

#[test]
fn plot_is_the_picture_flag_png_and_svg_its_old_spellings() {
    let dir = tempfile::tempdir().unwrap();
    for (cmd, old, ext) in [
        (&["compile", "machines/bb3.ron"][..], "--png", "png"),
        (&["compile", "machines/bb3.ron"][..], "--svg", "svg"),
        (&["trace", "machines/bb2.ron"][..], "--png", "png"),
        (&["trace", "machines/bb2.ron"][..], "--svg", "svg"),
    ] {
        let (a, b) = (
            dir.path().join(format!("a.{ext}")),
            dir.path().join(format!("b.{ext}")),
        );
        let new = arsim(&[cmd, &["--plot", a.to_str().unwrap()]].concat());
        let was = arsim(&[cmd, &[old, b.to_str().unwrap()]].concat());
        assert_eq!(new.status.code(), Some(0), "{cmd:?}: {}", stderr(&new));
        assert_eq!(
            was.status.code(),
            Some(0),
            "{cmd:?} {old}: {}",
            stderr(&was)
        );
        let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert!(
            a == b && !a.is_empty(),
            "{cmd:?}: --plot and {old} draw different files"
        );
        let is_png = a.starts_with(b"\x89PNG");
        assert_eq!(
            is_png,
            ext == "png",
            "{cmd:?}: the format follows the extension"
        );
        hidden(cmd, "--plot", old);
    }
    // Any other extension is refused before anything runs.
    let jpg = dir.path().join("x.jpg");
    let out = arsim(&["trace", "machines/bb2.ron", "--plot", jpg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("FILE.png or FILE.svg"),
        "{}",
        stderr(&out)
    );
    assert!(!jpg.exists());
}
