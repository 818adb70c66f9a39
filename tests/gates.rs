//! The `gates` encoding and the circuit pipeline end to end: the machine corpus under `gates`
//! (every bit checked), random circuits and random machines (proptest), parity chains
//! exhaustively, weight files, and the command line.

mod common;
use common::{arsim, corpus, json};

use arsim::circuit::file::{from_ron_text, to_ron};
use arsim::circuit::{certify_circuit, circuit_to_predictor, NodeId, ThresholdCircuit};
use arsim::emulate::{emulate_cells, emulate_gates, EmulateOptions};
use arsim::encoding::gates::certify::certify_gates;
use arsim::encoding::gates::{
    decode_row, machine_to_circuit, machine_to_gates_predictor, BitLayout, BitTrace,
};
use arsim::executor::Executor;
use arsim::interpreter::Interpreter;
use arsim::machine::{Example, Input, Machine};
use arsim::predictor::TokenId;
use arsim::tasks::parity::{count_bits, parity_circuit, parity_task, ParityCot};
use arsim::window::window_of_run;
use arsim::window::Window;
use proptest::prelude::*;

/// Examples whose `gates` trace is longer than this many bits are skipped here (the `cells`
/// corpus harness runs them); every other example is emulated with every bit checked.
const GATES_BUDGET: u64 = 40_000_000;

fn corpus_machine(name: &str) -> Machine {
    corpus()
        .into_iter()
        .find(|(p, _)| p.file_stem().is_some_and(|s| s == name))
        .unwrap_or_else(|| panic!("machines/{name}.ron"))
        .1
}

/// Runs one example under `gates`; `Err` says why it failed, `Ok(Some(reason))` why it was skipped.
fn gates_engine(m: &Machine, e: &Example) -> Result<Option<String>, String> {
    let limit = e.max_steps.unwrap_or(e.steps + 1);
    let w = window_of_run(m, &e.input, limit);
    let bits = BitLayout::new(m, w).length(e.steps);
    if bits > GATES_BUDGET {
        return Ok(Some(format!(
            "{bits} bits exceed the budget of {GATES_BUDGET}"
        )));
    }
    let opts = EmulateOptions {
        input: e.input.clone(),
        window: Some(w),
        max_steps: limit.min(e.steps),
    };
    let r = emulate_gates(m, &opts, &mut |_| {}).map_err(|err| err.to_string())?;
    if !r.agree {
        return Err(format!("diverges: {:?}", r.first_divergence));
    }
    if r.steps != e.steps || r.generated_tokens != bits || r.extras.gates != Some(bits) {
        return Err(format!(
            "covered {} steps / {} bits (expected {} / {bits})",
            r.steps, r.generated_tokens, e.steps
        ));
    }
    if r.extras.cells_tokens != Some(e.steps * (w.size as u64 + 1)) || r.left_window.is_some() {
        return Err(format!("report: {r:?}"));
    }
    Ok(None)
}

#[test]
fn corpus_agrees_under_gates_bit_by_bit() {
    let mut failures = Vec::new();
    let mut skips = Vec::new();
    let mut passes = 0;
    let mut certified = 0;
    for (path, m) in corpus() {
        for e in m.examples() {
            let at = format!(
                "{}:{} input {:?}",
                path.display(),
                e.line.unwrap_or(0),
                e.input_text
            );
            match gates_engine(&m, e) {
                Ok(None) => passes += 1,
                Ok(Some(why)) => skips.push(format!("{at}: skipped: {why}")),
                Err(why) => failures.push(format!("{at}: {why}")),
            }
        }
        // The certificate of the machine's rows, on the window of its first example.
        if let Some(e) = m.examples().first() {
            let limit = e.max_steps.unwrap_or(e.steps + 1).min(100_000);
            let w = window_of_run(&m, &e.input, limit);
            let cert = certify_gates(&m, w, e.steps.min(limit)).expect("window is not empty");
            if cert.certified && cert.min_margin == 1 {
                certified += 1;
            } else {
                failures.push(format!(
                    "{}: certificate fails: {:?} {:?}",
                    path.display(),
                    cert.failures,
                    cert.circuit.failures
                ));
            }
        }
    }
    for s in &skips {
        eprintln!("{s}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passes >= 60, "{passes} examples passed");
    assert!(certified >= 15, "{certified} machines certified");
    // Only long runs may skip: the two giants and the long counter and multiplier runs.
    assert!(skips.len() <= 12, "{skips:#?}");
}

#[test]
fn bb3_has_1050_gates_and_its_periodic_predictor_is_its_circuit() {
    let m = corpus_machine("bb3");
    let w = window_of_run(&m, &Input::default(), 100);
    let circuit = machine_to_circuit(&m, w, 21);
    // T·S·|Γ|(|Q|+1) = 21 · 5 · 2 · 5.
    assert_eq!(circuit.stats().gates, 1050);
    assert_eq!(circuit.stats().depth, 21);
    let sequential = circuit_to_predictor(&circuit).unwrap();
    let periodic = machine_to_gates_predictor(&m, w).unwrap();
    assert_eq!(periodic.num_maps(), 50);
    for p in 50..1100 {
        let (a, b) = (sequential.map_at(p).unwrap(), periodic.map_at(p).unwrap());
        assert_eq!(sequential.map(a), periodic.map(b), "position {p}");
    }
    let cert = certify_circuit(&circuit, &periodic);
    assert!(cert.certified, "{:?}", cert.failures);
    assert_eq!(cert.enumerated + cert.proved, 1050);
    // Rows share their checks, and so do the interior cells of a row: at most one check per
    // bit of the left edge cell, of an interior cell and of the right edge cell.
    assert!(
        (10..=3 * 10).contains(&cert.checks.len()),
        "{}",
        cert.checks.len()
    );
}

#[test]
fn bit_rows_decode_to_the_interpreters_configurations() {
    let m = corpus_machine("binary-increment");
    let input = m.parse_input("1011").unwrap();
    let w = window_of_run(&m, &input, 100);
    let layout = BitLayout::new(&m, w);
    let bits: Vec<bool> = BitTrace::new(&m, &input, w, 100)
        .unwrap()
        .map(|t| t.0 == 1)
        .collect();
    assert_eq!(bits.len(), 9 * layout.row_bits());
    let mut it = Interpreter::new(&m, &input);
    for (t, row) in bits.chunks(layout.row_bits()).enumerate() {
        let c = decode_row(&layout, row).unwrap();
        assert_eq!(c.state, it.state(), "row {t}");
        assert_eq!(c.head as i64 - w.origin as i64, it.head());
        for (i, &s) in c.cells.iter().enumerate() {
            assert_eq!(s, it.cell(i as i64 - w.origin as i64));
        }
        it.run(t as u64 + 1);
    }
}

#[test]
fn a_run_that_leaves_the_window_is_reported_after_verified_bits() {
    let m = corpus_machine("bb2");
    let opts = EmulateOptions {
        input: Input::default(),
        window: Some(Window { size: 2, origin: 0 }),
        max_steps: 100,
    };
    let r = emulate_gates(&m, &opts, &mut |_| {}).unwrap();
    assert!(r.agree);
    assert_eq!(r.steps, 2);
    assert!(r.left_window.unwrap().contains("leaves the tape window"));
}

#[test]
fn a_wrong_weight_shows_as_a_divergence_and_fails_the_certificate() {
    use arsim::predictor::time_dependent::{Schedule, TimeDependentAr};
    let m = corpus_machine("bb2");
    let w = window_of_run(&m, &Input::default(), 100);
    let p = machine_to_gates_predictor(&m, w).unwrap();
    // Map of cell 1's ⟨A,0⟩ bit: flip its bias so it fires when it should not.
    let k = BitLayout::new(&m, w).bits_per_cell() + 2;
    let maps = (0..p.num_maps())
        .map(|i| {
            let mut map = p.map(i).to_vec();
            if i == k {
                for e in map.iter_mut().filter(|e| e.output == 0) {
                    e.weight = -e.weight;
                }
            }
            (p.map_name(i).to_string(), map)
        })
        .collect();
    let broken = TimeDependentAr::new(maps, p.schedule()).unwrap();
    assert_eq!(
        broken.schedule(),
        Schedule::Periodic {
            start: p.schedule().start()
        }
    );
    let opts = EmulateOptions {
        input: Input::default(),
        window: Some(w),
        max_steps: 100,
    };
    let r = arsim::emulate::emulate_gates_with(&m, &broken, &opts, &mut |_| {}).unwrap();
    let d = r.first_divergence.expect("the broken bit diverges");
    assert_eq!((d.cell, d.bit.as_deref()), (Some(1), Some("⟨A,0⟩")));
    let cert = arsim::encoding::gates::certify::certify_gates_with(&m, &broken, w, 6).unwrap();
    assert!(!cert.certified);
    assert!(cert.failed > 0 && cert.circuit.failed > 0);
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// A random circuit: 1..24 inputs, 1..16 gates, each reading up to 24 earlier nodes with
/// weights in -3..=3 and a threshold in -4..=6 (wide gates exercise the proof from weights).
fn circuits() -> impl Strategy<Value = ThresholdCircuit> {
    (1usize..24, 1usize..16).prop_flat_map(|(n, g)| {
        let gate = (
            proptest::collection::vec((any::<prop::sample::Index>(), -3i32..=3), 0..24),
            -4i32..=6,
        );
        proptest::collection::vec(gate, g).prop_map(move |gates| {
            let mut c = ThresholdCircuit::new("random");
            let mut nodes: Vec<NodeId> = (0..n)
                .map(|i| c.add_input(format!("x{i}")).unwrap())
                .collect();
            for (i, (ins, theta)) in gates.into_iter().enumerate() {
                let inputs: Vec<(NodeId, i32)> = ins
                    .into_iter()
                    .map(|(at, w)| (nodes[at.index(nodes.len())], w))
                    .collect();
                nodes.push(c.add_gate(format!("g{i}"), &inputs, theta).unwrap());
            }
            c
        })
    })
}

/// Random machines of up to 4 working states (see `common::random_machines`).
fn machines() -> impl Strategy<Value = Machine> {
    common::random_machines(4)
}

fn machines_with_input() -> impl Strategy<Value = (Machine, Input)> {
    common::with_input(machines())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compiled_circuits_reproduce_the_circuit(c in circuits(), seeds in proptest::collection::vec(any::<u64>(), 8)) {
        let p = circuit_to_predictor(&c).unwrap();
        let cert = certify_circuit(&c, &p);
        prop_assert!(cert.certified, "{:?}", cert.failures);
        prop_assert_eq!(cert.enumerated + cert.proved, c.gates().len() as u64);
        let n = c.inputs().len();
        for seed in seeds {
            let x: Vec<bool> = (0..n).map(|i| seed >> (i % 64) & 1 == 1).collect();
            let want = c.evaluate(&x).unwrap();
            let mut ex = Executor::new(&p);
            for &b in &x {
                ex.feed(TokenId(b as u32));
            }
            let got: Vec<bool> = (0..want.len()).map(|_| ex.step().0 == 1).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn circuits_round_trip_through_ron(c in circuits()) {
        let d = from_ron_text(&to_ron(&c), "c.ron").unwrap();
        prop_assert_eq!(c.to_spec(), d.to_spec());
        prop_assert_eq!(circuit_to_predictor(&c).unwrap(), circuit_to_predictor(&d).unwrap());
    }

    #[test]
    fn random_machines_agree_under_gates_as_under_cells((m, input) in machines_with_input()) {
        let opts = EmulateOptions { input: input.clone(), window: None, max_steps: 200 };
        let g = emulate_gates(&m, &opts, &mut |_| {}).unwrap();
        let c = emulate_cells(&m, &opts, &mut |_| {}).unwrap();
        prop_assert!(g.agree, "{:?}", g.first_divergence);
        prop_assert!(c.agree);
        prop_assert_eq!(g.steps, c.steps);
        prop_assert_eq!(&g.stop, &c.stop);
        let b = (m.num_symbols() * (m.num_states() + 1)) as u64;
        prop_assert_eq!(g.generated_tokens, g.steps * g.tape_cells as u64 * b);
        prop_assert_eq!(g.extras.cells_tokens, Some(c.generated_tokens));
    }

    #[test]
    fn gates_certificate_holds_on_random_machines(m in machines(), s in 1usize..9, t in 0u64..6) {
        let cert = certify_gates(&m, Window { size: s, origin: 0 }, t).unwrap();
        prop_assert!(cert.certified, "{:?} {:?} {:?}", cert.failures, cert.circuit.failures, cert.stray_reads);
        prop_assert_eq!(cert.min_margin, 1);
        prop_assert_eq!(cert.gate_checks.len(), cert.row_bits);
    }
}

// ---------------------------------------------------------------------------------------------
// Parity.

#[test]
fn parity_is_exhaustively_right_under_every_chain_up_to_12_bits() {
    for n in 1..=12 {
        let mut chains = vec![(ParityCot::Popcount, None), (ParityCot::RunningXor, None)];
        chains.extend([2, 3, 4, 5, 8].map(|k| (ParityCot::Kbounded, Some(k))));
        for (cot, k) in chains {
            let r = parity_task(n, cot, k, 0, 0).unwrap();
            assert!(r.exhaustive && r.samples == 1 << n, "n = {n} {cot:?} {k:?}");
            assert_eq!(
                r.accuracy, 1.0,
                "n = {n} {cot:?} {k:?}: {:?}",
                r.first_failure
            );
            assert!(r.certified, "n = {n} {cot:?} {k:?}");
            if let Some(k) = k {
                assert!(
                    r.max_fan_in <= k,
                    "n = {n}: a token reads {} > {k} bits",
                    r.max_fan_in
                );
                assert!(r.tokens >= r.lower_bound);
            }
        }
    }
}

#[test]
fn popcount_has_ceil_log2_n_plus_1_gates() {
    for n in (1..=600).chain([1000, 1023, 1024, 4095, 4096, 100_000]) {
        let c = parity_circuit(n, ParityCot::Popcount, None).unwrap();
        let want = (n as f64 + 1.0).log2().ceil() as usize;
        assert_eq!(c.gates().len(), want, "n = {n}");
        assert_eq!(count_bits(n), want);
    }
}

#[test]
fn running_xor_is_linear_and_kbounded_is_n_over_k_blocks() {
    assert_eq!(
        parity_circuit(1000, ParityCot::RunningXor, None)
            .unwrap()
            .gates()
            .len(),
        1998
    );
    let n = 1000;
    for k in [3, 5, 10, 20, 50] {
        let r = parity_task(n, ParityCot::Kbounded, Some(k), 20, 1).unwrap();
        assert_eq!(r.accuracy, 1.0);
        let a = arsim::tasks::parity::block_operands(k).unwrap();
        assert_eq!(r.blocks, 1 + (n - a).div_ceil(a - 1), "k = {k}");
        // Θ(n/k): within a constant (and the block's log) of the fan-in bound.
        assert!(
            r.blocks >= r.lower_bound && r.blocks <= 3 * r.lower_bound,
            "k = {k}: {r:?}"
        );
    }
}

#[test]
fn parity_1000_popcount_is_10_tokens_and_always_right() {
    let r = parity_task(1000, ParityCot::Popcount, None, 300, 42).unwrap();
    assert_eq!((r.tokens, r.blocks, r.samples), (10, 1, 300));
    assert!(!r.exhaustive);
    assert_eq!(r.accuracy, 1.0);
    assert_eq!(r.proved, 10);
}

// ---------------------------------------------------------------------------------------------
// Command line.

#[test]
fn cli_emulate_bb3_gates_agrees_and_counts_gates() {
    let out = arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let j = json(&out);
    assert_eq!(j["encoding"], "gates");
    assert_eq!(j["agree"], true);
    assert_eq!(j["steps"], 21);
    assert_eq!(j["gates"], 1050);
    assert_eq!(j["generated_tokens"], 1050);
    assert_eq!(j["cells_tokens"], 21 * 6);
    let text = arsim(&["emulate", "machines/bb3.ron", "--encoding", "gates"]);
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(
        s.contains("1050 bits") && s.contains("T·S·|Γ|(|Q|+1) = 21·5·10 = 1050"),
        "{s}"
    );
}

#[test]
fn cli_certify_binary_increment_gates() {
    let out = arsim(&[
        "certify",
        "machines/binary-increment.ron",
        "--encoding",
        "gates",
        "--input",
        "1011",
    ]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.contains("certified    yes"), "{s}");
    let j = json(&arsim(&[
        "certify",
        "machines/binary-increment.ron",
        "--encoding",
        "gates",
        "--json",
    ]));
    assert_eq!(j["certified"], true);
    assert_eq!(j["min_margin"], 1);
}

#[test]
fn cli_task_parity() {
    let out = arsim(&[
        "task", "parity", "--n", "1000", "--cot", "popcount", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let j = json(&out);
    assert_eq!(j["chain_tokens"], 10);
    assert_eq!(j["accuracy"], 1.0);
    assert_eq!(j["exhaustive"], false);
    let j = json(&arsim(&[
        "task", "parity", "--n", "12", "--cot", "kbounded", "--k", "4", "--json",
    ]));
    assert_eq!(j["exhaustive"], true);
    assert_eq!(j["samples"], 4096);
    let bad = arsim(&["task", "parity", "--n", "10", "--cot", "kbounded"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--k"));
}

#[test]
fn cli_gates_weights_round_trip_and_a_broken_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bb3.safetensors");
    let p = path.to_str().unwrap();
    let out = arsim(&[
        "compile",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--out",
        p,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["maps"], 50);
    let j = json(&arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--weights",
        p,
        "--json",
    ]));
    assert_eq!(j["agree"], true);
    assert_eq!(j["gates"], 1050);
    let out = arsim(&[
        "certify",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--weights",
        p,
    ]);
    assert_eq!(out.status.code(), Some(0));
    // A cells weight file is not a gates one: bad input.
    let cells = dir.path().join("cells.safetensors");
    arsim(&[
        "compile",
        "machines/bb3.ron",
        "--out",
        cells.to_str().unwrap(),
    ]);
    let out = arsim(&[
        "emulate",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--weights",
        cells.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Flip one weight in the file: the certificate fails (exit 1).
    let (pred, meta) = arsim::weights::read_sparse(&path).unwrap();
    let maps = (0..pred.num_maps())
        .map(|i| {
            let mut map = pred.map(i).to_vec();
            if i == 7 {
                map[0].weight += 5;
            }
            (pred.map_name(i).to_string(), map)
        })
        .collect();
    let broken =
        arsim::predictor::time_dependent::TimeDependentAr::new(maps, pred.schedule()).unwrap();
    arsim::weights::write_sparse(&broken, &meta, &path).unwrap();
    let out = arsim(&[
        "certify",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--weights",
        p,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn cli_length_compares_gates_with_cells() {
    let out = arsim(&[
        "length",
        "machines/binary-increment.ron",
        "--input",
        "1011",
        "--tape",
        "6,12",
        "--encoding",
        "cells,gates",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let j = json(&out);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        assert_eq!(r["agree"], true);
        assert_eq!(r["matches_formula"], true);
        if r["encoding"] == "gates" {
            // |Γ|(|Q|+1) = 3·4 bits a cell.
            let (t, s) = (
                r["steps"].as_u64().unwrap(),
                r["tape_cells"].as_u64().unwrap(),
            );
            assert_eq!(r["generated_tokens"].as_u64().unwrap(), t * s * 12);
        }
    }
}

/// After a divergence the report does not pass the predictor's stop off as the reference's:
/// `stop` is `diverged` and `reference_stop` null (the run was not followed to its end), with
/// exit 1 (issue 25.3: bb3's gates weights on bb2 used to print `"stop": "step-limit"`).
#[test]
fn a_divergence_is_the_stop_and_the_reference_stop_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("bb3-gates.safetensors");
    let out = arsim(&[
        "compile",
        "machines/bb3.ron",
        "--encoding",
        "gates",
        "--out",
        w.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let args = [
        "--json",
        "emulate",
        "machines/bb2.ron",
        "--encoding",
        "gates",
        "--weights",
        w.to_str().unwrap(),
    ];
    let out = arsim(&args);
    assert_eq!(out.status.code(), Some(1));
    let j = json(&out);
    assert_eq!(
        (&j["stop"], &j["reference_stop"], &j["agree"]),
        (&"diverged".into(), &serde_json::Value::Null, &false.into())
    );
    // Without a divergence, both say how the reference ended.
    let j = json(&arsim(&[
        "--json",
        "emulate",
        "machines/bb2.ron",
        "--encoding",
        "gates",
    ]));
    assert_eq!(
        (&j["stop"], &j["reference_stop"], &j["reference_steps"]),
        (&"halted".into(), &"halted".into(), &6.into())
    );
}
