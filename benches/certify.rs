//! Certificate speed: local contexts checked per second for each encoding's certificate, beside
//! the baseline of enumerating the same `cells` contexts and applying the local rule alone (no
//! weights, no scores), so the figure is the cost of checking over the cost of listing.
//!
//! `cargo bench --bench certify`

use arsim::encoding::cells::certify::certify_cells;

use arsim::encoding::cells::compile::machine_to_cells_predictor;

use arsim::encoding::cells::{next_cell, Dictionary};
use arsim::encoding::sweep::certify::certify_sweep;
use arsim::encoding::sweep::compile::machine_to_sweep_predictor;
use arsim::machine::{load_machine, Input, Machine};
use arsim::window::window_of_run;
use arsim::window::CellToken;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// The baseline: the same cell and SEP contexts as `certify_cells`, through `next_cell` only.
fn enumerate_only(m: &Machine) -> u64 {
    let dict = Dictionary::new(m);
    let cells: Vec<CellToken> = dict.cells().collect();
    let heads = |t: &CellToken| matches!(t, CellToken::Cell { head: Some(_), .. }) as u32;
    let mut n = 0u64;
    let edge = [CellToken::Sep];
    for c in &cells {
        for l in cells.iter().chain(&edge) {
            for r in cells.iter().chain(&edge) {
                if heads(l) + heads(c) + heads(r) <= 1 {
                    black_box(next_cell(m, *l, *c, *r));
                    n += 1;
                }
            }
        }
    }
    n + (cells.len() * (cells.len() + 1)) as u64
}

fn bench(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut g = c.benchmark_group("certify");
    g.sample_size(10);
    for name in ["bb4", "binary-add", "binary-multiply"] {
        let m = load_machine(&format!("{root}/machines/{name}.ron")).expect("corpus machine");
        let w = window_of_run(&m, &Input::default(), 10_000);
        let cells = machine_to_cells_predictor(&m, w);
        let contexts = certify_cells(&m, &cells, w).unwrap().contexts;
        let id = format!("{name}/D={}", cells.layout().tokens.len());
        g.throughput(Throughput::Elements(contexts));
        g.bench_with_input(BenchmarkId::new("cells", &id), &(), |b, _| {
            b.iter(|| assert!(certify_cells(&m, black_box(&cells), w).unwrap().certified))
        });
        g.bench_with_input(BenchmarkId::new("enumerate-only", &id), &(), |b, _| {
            b.iter(|| enumerate_only(black_box(&m)))
        });
        let sweep = machine_to_sweep_predictor(&m, w).expect("no stay loops");
        let sweep_contexts = certify_sweep(&m, &sweep, w).unwrap().contexts;
        g.throughput(Throughput::Elements(sweep_contexts));
        g.bench_with_input(BenchmarkId::new("sweep", &id), &(), |b, _| {
            b.iter(|| assert!(certify_sweep(&m, black_box(&sweep), w).unwrap().certified))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
