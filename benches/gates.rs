//! Executor speed on `gates` streams (bits per second) beside `cells` (tokens per second), on the
//! same machine and input, every token or bit verified against the interpreter; and the parity
//! chains (tokens per second, prompt included in the work).
//!
//! Baselines in the same group: `cells/compiled+verify` for a machine; `running-xor` for parity.
//!
//! `cargo bench --bench gates`

use arsim::circuit::circuit_to_predictor;
use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::cells::{Cells, ReferenceTrace};
use arsim::encoding::gates::{machine_to_gates_predictor, BitLayout, BitTrace, Gates};
use arsim::encoding::Encoding;
use arsim::executor::Executor;
use arsim::machine::load_machine;
use arsim::predictor::TokenId;
use arsim::tasks::parity::{parity_circuit, ParityCot};
use arsim::verify::run_verified;
use arsim::window::window_of_run;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use std::hint::black_box;

fn machines(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut g = c.benchmark_group("executor/gates-vs-cells");
    g.sample_size(10);
    for (file, label, input) in [
        ("bb4", "bb4", ""),
        ("counter", "counter-10", "0000000000"),
        ("binary-increment", "binary-increment-14", "11111111111111"),
    ] {
        let m = load_machine(&format!("{root}/machines/{file}.ron")).expect("corpus machine");
        let input = m.parse_input(input).unwrap();
        let w = window_of_run(&m, &input, u64::MAX);
        let steps = arsim::interpreter::run(&m, &input, u64::MAX).steps;
        let layout = BitLayout::new(&m, w);
        let mut cells = machine_to_cells_predictor(&m, w);
        let gates = machine_to_gates_predictor(&m, w).unwrap();
        let id = format!("{label}/S={}/T={steps}/R={}", w.size, layout.row_bits());
        g.throughput(Throughput::Elements(steps * (w.size as u64 + 1)));
        g.bench_with_input(
            BenchmarkId::new("cells/compiled+verify", &id),
            &(),
            |b, _| {
                b.iter(|| {
                    let mut e = Executor::new(&mut cells);
                    let mut reference = ReferenceTrace::new(&m, &input, w, u64::MAX).unwrap();
                    let mut halt = Cells::new(&m, w).halt(&m);
                    let v =
                        run_verified(&mut e, &mut halt, &mut reference, w.size + 1, &mut |_| {});
                    assert!(v.divergence.is_none());
                    v.generated
                })
            },
        );
        g.throughput(Throughput::Elements(layout.length(steps)));
        g.bench_with_input(
            BenchmarkId::new("gates/compiled+verify", &id),
            &(),
            |b, _| {
                b.iter(|| {
                    let mut e = Executor::new(&gates);
                    let mut reference = BitTrace::new(&m, &input, w, u64::MAX).unwrap();
                    let mut halt = Gates::new(&m, w).halt(&m);
                    let v = run_verified(
                        &mut e,
                        &mut halt,
                        &mut reference,
                        layout.row_bits(),
                        &mut |_| {},
                    );
                    assert!(v.divergence.is_none());
                    v.generated
                })
            },
        );
        let prompt: Vec<TokenId> = BitTrace::new(&m, &input, w, 0).unwrap().collect();
        g.bench_with_input(BenchmarkId::new("gates/compiled", &id), &(), |b, _| {
            b.iter(|| {
                let mut e = Executor::new(&gates);
                for &t in black_box(&prompt) {
                    e.feed(t);
                }
                let mut last = TokenId(0);
                for _ in 0..layout.length(steps) {
                    last = e.step();
                }
                last
            })
        });
    }
    g.finish();
}

fn parity(c: &mut Criterion) {
    let mut g = c.benchmark_group("parity/n=1000");
    g.sample_size(10);
    let n = 1000;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let inputs: Vec<Vec<TokenId>> = (0..64)
        .map(|_| {
            (0..n)
                .map(|_| TokenId(rng.random::<bool>() as u32))
                .collect()
        })
        .collect();
    for (cot, k) in [
        (ParityCot::RunningXor, None),
        (ParityCot::Popcount, None),
        (ParityCot::Kbounded, Some(32)),
    ] {
        let circuit = parity_circuit(n, cot, k).unwrap();
        let p = circuit_to_predictor(&circuit).unwrap();
        let tokens = circuit.gates().len() as u64;
        let id = format!(
            "{}{}/tokens={tokens}",
            cot.name(),
            k.map_or(String::new(), |k| format!("-k{k}"))
        );
        g.throughput(Throughput::Elements(inputs.len() as u64));
        g.bench_with_input(BenchmarkId::new("inputs", &id), &(), |b, _| {
            b.iter(|| {
                let mut ones = 0;
                for x in &inputs {
                    let mut e = Executor::new(&p);
                    for &t in x {
                        e.feed(t);
                    }
                    let mut last = TokenId(0);
                    for _ in 0..tokens {
                        last = e.step();
                    }
                    ones += last.0;
                }
                ones
            })
        });
    }
    g.finish();
}

criterion_group!(benches, machines, parity);
criterion_main!(benches);
