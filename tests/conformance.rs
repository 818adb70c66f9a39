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
            failures.push(format!("{} ({}): got {got:?}, {} says {want:?}", e.file, m.name(), e.tool));
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
                    let same = (got.steps, got.halted, &got.tape) == (want.steps, want.halted, &want.tape);
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
