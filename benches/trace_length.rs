//! Generating and verifying whole traces as the tape window grows (S = 16 … 1024), for each
//! encoding, beside the baseline of the interpreter's reference trace alone (the `cells` token
//! stream, produced and discarded). Throughput is in machine steps, so the figures compare what
//! one step costs under each encoding at each window size.
//!
//! `cargo bench --bench trace_length`

use arsim::emulate::{emulate, EmulateOptions};
use arsim::encoding::cells::ReferenceTrace;
use arsim::encoding::EncodingKind;
use arsim::machine::load_machine;
use arsim::window::Window;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    // binary-increment on 14 ones: 30 steps that sweep the input twice, on ever larger windows.
    let m = load_machine(&format!("{root}/machines/binary-increment.ron")).expect("corpus machine");
    let input = m.parse_input("11111111111111").unwrap();
    let steps = arsim::interpreter::run(&m, &input, u64::MAX).steps;
    let mut g = c.benchmark_group("trace_length/binary-increment-14");
    g.sample_size(10);
    g.throughput(Throughput::Elements(steps));
    for s in [16usize, 64, 256, 1024] {
        let w = Window { size: s, origin: 1 };
        g.bench_with_input(BenchmarkId::new("reference-only", s), &w, |b, &w| {
            b.iter(|| {
                ReferenceTrace::new(&m, black_box(&input), w, u64::MAX)
                    .unwrap()
                    .count()
            })
        });
        for kind in [
            EncodingKind::Cells,
            EncodingKind::Sweep,
            EncodingKind::Gates,
        ] {
            let opts = EmulateOptions {
                input: input.clone(),
                window: Some(w),
                max_steps: u64::MAX,
            };
            g.bench_with_input(BenchmarkId::new(kind.name(), s), &opts, |b, opts| {
                b.iter(|| {
                    let r = emulate(kind, &m, black_box(opts), &mut |_| {}).unwrap();
                    assert!(r.agree);
                    r.generated_tokens
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
