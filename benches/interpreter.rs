//! Interpreter speed: BB(5) (47,176,870 steps) through `arsim::interpreter` against the
//! plainest possible loop, a fixed array tape and a `(write, move, next)` table, in the same
//! run, so the figure that matters is the ratio.
//!
//! `cargo bench --bench interpreter`. The same loop in C, for whole-process times against
//! `arsim run machines/bb5.ron`: `benches/baseline/bb5.c` (BENCHMARKS.md has the commands).

use arsim::interpreter::Interpreter;
use arsim::machine::{load_machine, Input, Machine, StateId, SymbolId};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const BB5_STEPS: u64 = 47_176_870;

/// The baseline: the machine as a flat table, the tape as a fixed array that is large enough
/// for BB(5) (it visits 12,289 cells), no growth checks, no visited-range tracking.
fn plain_loop(m: &Machine) -> (u64, usize) {
    let k = m.num_symbols();
    // (write, delta, next); next = usize::MAX for halt or no rule.
    let table: Vec<(u8, isize, usize)> = (0..m.num_states() * k)
        .map(
            |i| match m.rule(StateId((i / k) as u16), SymbolId((i % k) as u8)) {
                Some(t) if !m.is_halting(t.next) => {
                    (t.write.0, t.movement.delta() as isize, t.next.index())
                }
                Some(t) => (t.write.0, t.movement.delta() as isize, usize::MAX),
                None => (0, 0, usize::MAX - 1),
            },
        )
        .collect();
    let mut tape = vec![0u8; 1 << 15];
    let mut pos = 1usize << 14;
    let mut state = m.start().index();
    let mut steps = 0u64;
    loop {
        let (w, d, next) = table[state * k + tape[pos] as usize];
        if next == usize::MAX - 1 {
            break;
        }
        tape[pos] = w;
        pos = pos.wrapping_add_signed(d);
        steps += 1;
        if next == usize::MAX {
            break;
        }
        state = next;
    }
    (steps, tape.iter().filter(|&&s| s != 0).count())
}

fn bench(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let bb5 = load_machine(&format!("{root}/machines/bb5.ron")).expect("corpus machine");
    assert_eq!(plain_loop(&bb5), (BB5_STEPS, 4098));
    let mut g = c.benchmark_group("interpreter/bb5");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BB5_STEPS));
    g.bench_function("arsim", |b| {
        b.iter(|| {
            let mut it = Interpreter::new(black_box(&bb5), &Input::default());
            it.run(u64::MAX);
            assert_eq!(it.steps(), BB5_STEPS);
        })
    });
    g.bench_function("plain-loop", |b| b.iter(|| plain_loop(black_box(&bb5))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
