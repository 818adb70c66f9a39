//! The conformance corpus: the public example machines of the tools machines come from
//! (`tests/data/conformance/`: Morphett's sample programs, turingmachine.io's examples,
//! bbchallenge's champions and seed test vector), each run through arsim and compared with
//! the figures its own tool gives (`manifest.json`, measured by running each tool's own code:
//! `tests/data/conformance/tools/make_manifest.py`).
//!
//! For every machine: the reference run (steps, halting, final state, final tape), the
//! `cells` emulation where the run is at most 10^5 steps, and a round trip through every
//! format that can hold it.

use arsim::emulate::{emulate, EmulateOptions};
use arsim::encoding::EncodingKind;
use arsim::interpreter;
use arsim::machine::convert::write_machine;
use arsim::machine::load::from_bytes;
use arsim::machine::{load_machine_with, LoadOptions, Machine, MachineFormat, Stop};
use serde::Deserialize;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

/// One manifest entry: a machine and what its tool reports for its own input.
#[derive(Debug, Deserialize)]
struct Entry {
    /// A path under the corpus folder, or a standard-format string.
    file: String,
    /// `morphett`, `turingmachine.io` or `bbchallenge`.
    tool: String,
    max_steps: u64,
    steps: u64,
    /// Whether the tool's run ended by itself within `max_steps`.
    halted: bool,
    state: Option<String>,
    /// The tape from its first to its last non-blank cell.
    tape: Option<String>,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load(e: &Entry) -> Machine {
    let arg = if e.file.contains('/') {
        Path::new(ROOT).join(&e.file).display().to_string()
    } else {
        e.file.clone()
    };
    load_machine_with(&arg, &LoadOptions::default())
        .unwrap_or_else(|err| panic!("{}: {err}", e.file))
        .machine
}

/// What a run gives, in the manifest's terms.
#[derive(Debug, PartialEq)]
struct Figures {
    steps: u64,
    halted: bool,
    state: String,
    tape: String,
}

fn figures(m: &Machine, max_steps: u64) -> Figures {
    figures_on(m, m.default_input().unwrap_or(""), max_steps)
}

fn figures_on(m: &Machine, word: &str, max_steps: u64) -> Figures {
    let input = m.parse_input(word).unwrap();
    let r = interpreter::run(m, &input, max_steps);
    Figures {
        steps: r.steps,
        // turingmachine.io stops where no instruction is defined; arsim says no-rule there.
        halted: matches!(r.stop, Stop::Halted | Stop::NoRule),
        state: r.state,
        tape: r.tape,
    }
}

#[test]
fn every_file_computes_what_its_tool_computes() {
    let mut failures = Vec::new();
    let entries = manifest();
    assert!(entries.len() >= 30, "{} entries", entries.len());
    for e in &entries {
        let m = load(e);
        let got = figures(&m, e.max_steps);
        let mut want = Figures {
            steps: e.steps,
            halted: e.halted,
            state: got.state.clone(),
            tape: got.tape.clone(),
        };
        if let Some(s) = &e.state {
            want.state = s.clone();
        }
        if let Some(t) = &e.tape {
            want.tape = t.clone();
        }
        if got != want {
            failures.push(format!(
                "{} ({}): got {got:?}, {} says {want:?}",
                e.file,
                m.name(),
                e.tool
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn short_runs_emulate_token_for_token() {
    let mut failures = Vec::new();
    let mut emulated = 0;
    for e in manifest().iter().filter(|e| e.steps <= 100_000) {
        let m = load(e);
        let input = m.parse_input(m.default_input().unwrap_or("")).unwrap();
        let opts = EmulateOptions {
            input,
            window: None,
            max_steps: e.max_steps,
        };
        match emulate(EncodingKind::Cells, &m, &opts, &mut |_| {}) {
            Ok(r) if r.agree && r.steps == e.steps => emulated += 1,
            Ok(r) => failures.push(format!(
                "{}: agree {} after {} steps ({}), {:?}",
                e.file, r.agree, r.steps, r.stop, r.first_divergence
            )),
            Err(err) => failures.push(format!("{}: {err}", e.file)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(emulated >= 28, "{emulated} emulated");
}

#[test]
fn every_file_round_trips_through_the_formats_that_hold_it() {
    let mut failures = Vec::new();
    for e in manifest().iter().filter(|e| e.steps <= 100_000) {
        let m = load(e);
        let want = figures(&m, e.max_steps);
        for format in [
            MachineFormat::Ron,
            MachineFormat::Yaml,
            MachineFormat::Morphett,
            MachineFormat::Standard,
            MachineFormat::Seed,
        ] {
            let bytes = match write_machine(&m, format) {
                Ok(b) => b,
                // Each tool's own format must hold its own machines; arsim's own and
                // turingmachine.io's hold every machine.
                Err(err) => {
                    let own = matches!(
                        (e.tool.as_str(), format),
                        ("morphett", MachineFormat::Morphett)
                            | ("turingmachine.io", MachineFormat::Yaml)
                            | ("bbchallenge", MachineFormat::Standard | MachineFormat::Seed)
                            | (_, MachineFormat::Ron | MachineFormat::Yaml)
                    );
                    if own {
                        failures.push(format!("{} as {format:?}: {err}", e.file));
                    }
                    continue;
                }
            };
            match from_bytes(&bytes, format, "back", "back", 0) {
                Ok(back) => {
                    // The standard and seed formats hold no input: give the original's.
                    let word = m.default_input().unwrap_or("");
                    let got = figures_on(&back, word, e.max_steps);
                    // Formats may rename states; the run must be the same.
                    let same =
                        (got.steps, got.halted, &got.tape) == (want.steps, want.halted, &want.tape);
                    if !same {
                        failures.push(format!("{} as {format:?}: {got:?} ≠ {want:?}", e.file));
                    }
                }
                Err(err) => failures.push(format!("{} as {format:?} reads back as: {err}", e.file)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The command line over the corpus: default inputs, the new machine flags, and the size and
/// error-message checks that go with them.
mod cli {
    use super::ROOT;
    use std::process::{Command, Output};

    fn arsim(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_arsim"))
            .args(args)
            .output()
            .unwrap()
    }

    fn json(out: &Output) -> serde_json::Value {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    #[test]
    fn a_file_runs_its_own_input_by_default() {
        let f = format!("{ROOT}/turingmachine.io/binaryIncrement.yaml");
        let out = arsim(&["run", &f, "--json"]);
        assert_eq!(out.status.code(), Some(0));
        let j = json(&out);
        assert_eq!(
            (j["input"].as_str(), j["tape"].as_str()),
            (Some("1011"), Some("1100"))
        );
        let f = format!("{ROOT}/morphett/binaryadd.txt");
        let j = json(&arsim(&["run", &f, "--json"]));
        assert_eq!(
            (j["steps"].as_u64(), j["tape"].as_str()),
            (Some(135), Some("1100001"))
        );
        // --input replaces it; --input-file reads it from a file.
        let j = json(&arsim(&["run", &f, "--json", "--input", "1 1"]));
        assert_eq!(j["tape"].as_str(), Some("10"));
        let dir = std::env::temp_dir().join(format!("arsim-conformance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("input.txt");
        std::fs::write(&input, "1 1\n").unwrap();
        let j = json(&arsim(&[
            "run",
            &f,
            "--json",
            "--input-file",
            input.to_str().unwrap(),
        ]));
        assert_eq!(j["tape"].as_str(), Some("10"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn morphett_start_and_lenient() {
        let dir = std::env::temp_dir().join(format!("arsim-morphett-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("m.tm");
        std::fs::write(&f, "s _ 1 r Halt\ns x\ns _ 0 r halt\n").unwrap();
        let f = f.to_str().unwrap();
        let out = arsim(&["run", f, "--start", "s"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("m.tm:2: expected 5 fields"), "{err}");
        // Printed once, not as "X: X".
        assert_eq!(err.matches("expected 5 fields").count(), 1, "{err}");
        let out = arsim(&["run", f, "--start", "s", "--lenient", "--json"]);
        assert_eq!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("warning: ") && err.contains("m.tm:2:") && err.contains("m.tm:3:"),
            "{err}"
        );
        let j = json(&out);
        assert_eq!(
            (j["tape"].as_str(), j["state"].as_str()),
            (Some("0"), Some("halt"))
        );
        let out = arsim(&["run", f, "--lenient"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("the start state \"0\" has no rules"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes_are_refused_before_they_are_allocated() {
        let bb3 = concat!(env!("CARGO_MANIFEST_DIR"), "/machines/bb3.ron");
        for tape in ["1000000000", "18446744073709551615", "0"] {
            let t = std::time::Instant::now();
            let out = arsim(&["trace", bb3, "--tape", tape]);
            assert_eq!(out.status.code(), Some(2), "--tape {tape}");
            assert!(t.elapsed().as_secs() < 5, "--tape {tape}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("tape window of"), "{err}");
        }
        let out = arsim(&["certify", bb3, "--tape", "0"]);
        assert_eq!(out.status.code(), Some(2));
    }
}
