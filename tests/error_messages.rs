//! Issue 22: the library's errors say what is wrong in the library's own words (the learning
//! rate, the start state), never by a command-line flag, so that Python users read no flag they
//! do not have; the command line (`src/bin/arsim/hints.rs`) says the same errors with their
//! flags, as it always has.
//!
//! One test reads the library's source and refuses a flag in any `#[error(…)]` message or any
//! string built inside an error's constructor; the others take each class of error through the
//! library (no flag) and through the binary (the flag named).

mod common;
use common::arsim;

use std::path::{Path, PathBuf};

/// Whether `text` names a flag: `--` followed by a letter.
fn names_a_flag(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'-' && w[1] == b'-' && w[2].is_ascii_alphabetic())
}

/// The library's `.rs` files: `src/` less `src/bin/`.
fn library_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                if !path.ends_with("bin") || path.parent() != Some(src().as_path()) {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&src(), &mut out);
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The file's lines (1-based number, text) less comment lines and `#[cfg(test)]` items: the
/// item after the attribute (and its other attributes), to the `}` that closes it at its own
/// indentation when it opens a block (`mod tests {`), else its one line. (rustfmt's layout.)
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.starts_with("#[cfg(test)]") {
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with("#[") {
                i += 1;
            }
            if let Some(item) = lines.get(i) {
                if item.trim_end().ends_with('{') {
                    let close = " ".repeat(indent(item)) + "}";
                    while i < lines.len() && lines[i].trim_end() != close {
                        i += 1;
                    }
                }
            }
            i += 1;
            continue;
        }
        if !t.starts_with("//") {
            out.push((i + 1, lines[i]));
        }
        i += 1;
    }
    out
}

/// The string literals of the constructor that starts `code` (escapes left as written), each
/// with where it starts, up to where its first bracket closes (the end of the line when no
/// bracket opens first), and the bytes it spans. Char literals (`'"'`, `'('`) are neither
/// quotes nor brackets.
fn constructor_strings(code: &str) -> (Vec<(usize, String)>, usize) {
    let (mut strings, mut current) = (Vec::new(), None::<(usize, String)>);
    let (mut depth, mut opened, mut escaped) = (0i64, false, false);
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some((_, s)) = current.as_mut() {
            if escaped {
                escaped = false;
                s.push(c);
            } else if c == '\\' {
                escaped = true;
                s.push(c);
            } else if c == '"' {
                strings.push(current.take().unwrap_or_default());
            } else {
                s.push(c);
            }
            continue;
        }
        match c {
            '"' => current = Some((i, String::new())),
            '\'' => {
                let rest: Vec<char> = chars.clone().take(3).map(|(_, c)| c).collect();
                let skip = match rest.as_slice() {
                    ['\\', _, '\'', ..] => 3,
                    [_, '\'', ..] => 2,
                    _ => 0,
                };
                for _ in 0..skip {
                    chars.next();
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                opened = true;
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if opened && depth <= 0 {
                    return (strings, i + 1);
                }
            }
            '\n' if !opened => return (strings, i),
            _ => {}
        }
    }
    strings.extend(current);
    (strings, code.len())
}

/// In a file's `text`: every `#[error(…)]` message and every string built inside an error's
/// constructor (`Err(…)`, `SomeError::Variant(…)`, `SomeError { … }`) that names a flag, with
/// its line. Tests and comments are left out.
fn flags_in_errors(text: &str) -> Vec<(usize, String)> {
    // The code as one text, each line's start remembered for its number.
    let mut code = String::new();
    let mut starts = Vec::new();
    for (number, line) in code_lines(text) {
        starts.push((code.len(), number));
        code.push_str(line);
        code.push('\n');
    }
    let number_at = |at: usize| starts[starts.partition_point(|&(s, _)| s <= at) - 1].1;
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(next) = ["#[error(", "Err(", "Error::", "Error {"]
        .iter()
        .filter_map(|m| code[at..].find(m))
        .min()
    {
        let start = at + next;
        let (strings, len) = constructor_strings(&code[start..]);
        found.extend(
            strings
                .into_iter()
                .filter(|(_, s)| names_a_flag(s))
                .map(|(i, s)| (number_at(start + i), s)),
        );
        at = start + len.max(1);
    }
    found
}

#[test]
fn the_scan_finds_flags_in_errors_and_skips_tests_and_comments() {
    assert!(names_a_flag("give --tape 1 or more"));
    assert!(!names_a_flag("a -- b, --1, --{}"));
    let code = r#"
/// Doc: --tape.
#[error("give --tape 1")]
A,
#[error(
    "nests {depth} (--depth)"
)]
B,
let e = NnError::Data(format!(
    "choose a smaller \
     --d or context",
    x
));
// return Err("--comment");
let fine = "--not-an-error";
#[cfg(test)]
mod tests {
    fn f() { let s = '"'; assert!(Err::<(), _>("--in-a-test").is_err()); }
}
#[error("after the tests: --after")]
C,
"#;
    let lines = code_lines(code);
    assert!(lines.iter().all(|(_, l)| !l.contains("--in-a-test")));
    assert!(lines.iter().any(|(_, l)| l.contains("--after")));
    let found: Vec<String> = flags_in_errors(code).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        found,
        [
            "give --tape 1",
            "nests {depth} (--depth)",
            "choose a smaller \\\n     --d or context",
            "after the tests: --after"
        ]
    );
}

/// The library's errors name no command-line flag: the binary's `hints` module adds them.
#[test]
fn no_library_error_names_a_flag() {
    let mut found = Vec::new();
    for path in library_files() {
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path);
        for (line, s) in flags_in_errors(&text) {
            found.push(format!("{}:{line}: {s}", rel.display()));
        }
    }
    assert!(
        found.is_empty(),
        "library errors that name a command-line flag (say the option in words, and map the \
         error to its flag in src/bin/arsim/hints.rs):\n{}",
        found.join("\n")
    );
}

/// Runs the binary, expects exit 2, and returns stderr.
fn refused(args: &[&str]) -> String {
    let out = arsim(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

/// Each class through the library (its message names no flag) and through the command line
/// (the same problem, its flag named: the text the command line has always printed).
#[test]
fn the_library_says_options_in_words_and_the_command_line_names_their_flags() {
    use arsim::tasks::parity::{parity_circuit, parity_task, ParityCot};
    let no_flag = |e: &dyn std::fmt::Display| {
        let text = e.to_string();
        assert!(!names_a_flag(&text), "{text}");
        text
    };

    // The tape window.
    let e = arsim::limits::check_window(0).unwrap_err();
    assert!(no_flag(&e).contains("the window needs 1 cell or more"));
    assert!(refused(&["emulate", "machines/bb2.ron", "--tape", "0"])
        .contains("a tape window of 0 cells holds no cell to run on: give --tape 1 or more"));

    // Morphett's start state.
    let e = arsim::machine::morphett::parse("1 _ 1 r halt\n").unwrap_err();
    assert!(no_flag(&e).contains("the start state \"0\" has no rules"));
    let dir = tempfile::tempdir().unwrap();
    let tm = dir.path().join("s.tm");
    std::fs::write(&tm, "1 _ 1 r halt\n").unwrap();
    assert!(refused(&["run", tm.to_str().unwrap()]).contains(
        "the start state \"0\" has no rules (Morphett's machines start in state 0; give another \
         with --start)"
    ));

    // Parity.
    let e = parity_circuit(10, ParityCot::Kbounded, None).unwrap_err();
    assert!(no_flag(&e).contains("needs k"));
    assert!(
        refused(&["task", "parity", "--n", "10", "--cot", "kbounded"])
            .contains("--cot kbounded needs --k (the most bits a token may read)")
    );
    let e = parity_task(40, ParityCot::Popcount, None, 0, 1).unwrap_err();
    no_flag(&e);
    assert!(refused(&["task", "parity", "--n", "40", "--eval", "0"])
        .contains("--eval must be at least 1 for n > 20"));

    // Learning.
    let m = arsim::machine::load_machine("machines/binary-increment.ron").unwrap();
    let opts = arsim::learn::LearnOptions {
        learner: arsim::learn::LearnerKind::TimeDependent,
        algo: arsim::learn::Algo::Softmax,
        ..arsim::learn::LearnOptions::for_machine(&m)
    };
    let e = arsim::learn::learn(&m, &opts, &mut |_| {}).unwrap_err();
    assert!(no_flag(&e).contains("the softmax algorithm"));
    assert!(refused(&[
        "learn",
        "machines/binary-increment.ron",
        "--learner",
        "time-dependent",
        "--algo",
        "softmax"
    ])
    .contains(
        "machine binary-increment: the time-dependent learner is one perceptron per position; \
         --algo softmax is for the time-invariant learner"
    ));
    let chain = arsim::learn::chain_length::ChainLengthOptions {
        lengths: vec![7],
        epsilon: 1.5,
        ..Default::default()
    };
    let e = arsim::learn::chain_length::chain_length(
        &m,
        &arsim::learn::LearnOptions::for_machine(&m),
        &chain,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(no_flag(&e).contains("the error tolerance ε"));
    assert!(refused(&[
        "learn",
        "machines/binary-increment.ron",
        "--chain-length",
        "7",
        "--epsilon",
        "1.5"
    ])
    .contains("machine binary-increment: --epsilon must be at least 0 and below 1 (got 1.5)"));

    // Multiplication rows.
    assert!(
        refused(&["task", "multiply", "--cot", "paper", "--lr", "0"])
            .contains("--lr 0 must be positive")
    );
    assert!(
        refused(&["task", "multiply", "--cot", "tm", "--model", "mlp"])
            .contains("--cot tm runs the machine's own predictor: use --model compiled or learned")
    );

    // Pictures.
    let e = arsim::draw::check_extension(Path::new("x.svg"), arsim::draw::ImageFormat::Png)
        .unwrap_err();
    no_flag(&e);
    assert!(refused(&["trace", "machines/bb2.ron", "--png", "x.svg"])
        .contains("x.svg would get PNG bytes: name it .png (or use --svg for .svg)"));

    // The frontier's reports.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let e = arsim::tasks::multiply::frontier::read_run(&bad).unwrap_err();
    no_flag(&e);
    assert!(refused(&["task", "frontier", bad.to_str().unwrap()])
        .contains("not a `task multiply --json` report"));
}

/// A checkpoint resumed with other settings: the library says them in words (tests/nn.rs), the
/// command line by their flags, in the refusal and in the notes of a run that goes on.
#[test]
fn resuming_names_the_flags_that_differ() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck.safetensors");
    let ck = ck.to_str().unwrap();
    let run = [
        "task", "multiply", "--cot", "paper", "--batch", "32", "--eval", "1",
    ];
    let first = arsim(&[&run[..], &["--d", "4", "--train", "64", "--checkpoint", ck]].concat());
    assert_eq!(first.status.code(), Some(0));
    let err = refused(
        &[
            &run[..],
            &[
                "--d", "8", "--model", "linear", "--train", "64", "--resume", ck,
            ],
        ]
        .concat(),
    );
    assert!(
        err.contains(
            "a different architecture: --model is linear here but mlp in the checkpoint; --d is \
             8 here but 4 in the checkpoint"
        ),
        "{err}"
    );
    let err = refused(
        &[
            &run[..],
            &[
                "--d",
                "4",
                "--train",
                "64",
                "--resume",
                ck,
                "--paper-config",
            ],
        ]
        .concat(),
    );
    assert!(
        err.contains("the recipe is paper here but arsim in the checkpoint (--paper-config)"),
        "{err}"
    );
    let on = arsim(
        &[
            &run[..],
            &[
                "--d", "4", "--train", "128", "--lr", "0.01", "--resume", ck, "--json",
            ],
        ]
        .concat(),
    );
    let err = String::from_utf8_lossy(&on.stderr);
    assert_eq!(on.status.code(), Some(0), "{err}");
    assert!(
        err.contains("note: --lr 0.01 differs from the checkpoint's 0.003"),
        "{err}"
    );
    // The JSON report carries the library's words.
    let v = common::json(&on);
    let notes = v["training"]["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("the learning rate 0.01 differs")),
        "{notes:?}"
    );
}

/// The text task's corpus too small for its options.
#[test]
fn a_text_corpus_too_small_names_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("stories.txt");
    let stories: String = (0..200)
        .map(|i| {
            format!("story {i}: the cat sat on the mat and the dog ran {i} times.\n<|endoftext|>\n")
        })
        .collect();
    std::fs::write(&corpus, stories).unwrap();
    let err = refused(&[
        "task",
        "text",
        "--corpus",
        corpus.to_str().unwrap(),
        "--vocab",
        "260",
        "--context",
        "100000",
        "--d",
        "2",
    ]);
    assert!(
        err.contains("not one window of --context 100000 + 1"),
        "{err}"
    );
    let err = refused(&[
        "task",
        "text",
        "--corpus",
        corpus.to_str().unwrap(),
        "--vocab",
        "260",
        "--context",
        "1000",
        "--d",
        "100000",
    ]);
    assert!(
        err.contains("choose a smaller --d, --context or --vocab"),
        "{err}"
    );
}
