//! `examples/emulate_numpy.py` against `arsim trace`: the weight file alone (its dictionary,
//! offsets, window, blank, start state, halting states and input) is enough for numpy to
//! generate the same chain of thought, row for row, on every corpus machine that halts.
//!
//! Needs `python3` with numpy; without them the test says why on stderr and checks nothing.

mod common;
use common::{arsim, corpus};
use std::process::Command;

/// Tokens the Python loop is asked to generate at most per machine (about 20 µs each).
const PYTHON_BUDGET: u64 = 300_000;

fn numpy_available() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
    {
        Err(e) => Err(format!("python3 not runnable: {e}")),
        Ok(o) if !o.status.success() => Err(format!(
            "python3 cannot import numpy: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => Ok(()),
    }
}

#[test]
fn numpy_emulation_matches_arsim_trace_on_every_halting_machine() {
    if let Err(why) = numpy_available() {
        eprintln!("skipping the numpy comparison: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for (path, m) in corpus() {
        let file = path.to_str().unwrap();
        for (k, e) in m.examples().iter().enumerate() {
            if e.stop != arsim::machine::Stop::Halted {
                continue;
            }
            let w = arsim::window::window_of_run(&m, &e.input, e.steps + 1);
            let tokens = e.steps * (w.size as u64 + 1);
            if tokens > PYTHON_BUDGET {
                eprintln!("{file} example {k}: {tokens} tokens, beyond the Python loop's budget of {PYTHON_BUDGET}: skipped");
                continue;
            }
            let weights = dir.path().join(format!("{}-{k}.safetensors", m.name()));
            let out = arsim(&[
                "compile",
                file,
                "--input",
                &e.input_text,
                "--out",
                weights.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{file}: compile failed");
            let steps = (e.steps + 1).to_string();
            let trace = arsim(&[
                "trace",
                file,
                "--input",
                &e.input_text,
                "--tokens",
                "--max-steps",
                &steps,
            ]);
            let py = Command::new("python3")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/examples/emulate_numpy.py"
                ))
                .arg(&weights)
                .arg("--max-steps")
                .arg(&steps)
                .output()
                .expect("python3 runs");
            if !py.status.success() {
                failures.push(format!(
                    "{file} example {k}: python failed: {}",
                    String::from_utf8_lossy(&py.stderr)
                ));
            } else if py.stdout != trace.stdout {
                failures.push(format!(
                    "{file} example {k}: numpy's rows differ from arsim trace's\n--- numpy\n{}\n--- arsim\n{}",
                    String::from_utf8_lossy(&py.stdout),
                    String::from_utf8_lossy(&trace.stdout)
                ));
            } else {
                checked.push(format!("{file} example {k}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked.len() >= 5, "only {checked:?} were checked");
}
