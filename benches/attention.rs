//! Causal attention, the transformer's cost centre on long chains: the custom op
//! ([`causal_attention`], no `T × T` tensor, probabilities recomputed in the backward pass)
//! against the same attention in candle's tensor operations ([`causal_attention_by_tensors`],
//! what the op replaced), forward + backward, at the shapes the transformer trains:
//! multiplication's `paper` chain (T = 307, d = 28, 4 heads) and `carry` chain (T = 75, d = 36),
//! and TinyStories (T = 64, d = 72).
//!
//! Both agree (outputs and gradients) before anything is timed. The table printed first gives
//! each path's median time for one forward + backward and the ratio, measured in the same run;
//! criterion's rows follow, in elements (query–key pairs, `B·H·T(T+1)/2`) per second.
//!
//! `cargo bench --bench attention` (threads: `RAYON_NUM_THREADS`, default all cores);
//! `ATTENTION_BENCH_QUICK=1` prints the table only.

use arsim::nn::attention::{causal_attention, causal_attention_by_tensors};
use candle_core::{Device, Tensor, Var};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Instant;

struct Shape {
    name: &'static str,
    batch: usize,
    positions: usize,
    d: usize,
    heads: usize,
}

const SHAPES: [Shape; 3] = [
    Shape {
        name: "paper T=307 d=28",
        batch: 16,
        positions: 307,
        d: 28,
        heads: 4,
    },
    Shape {
        name: "carry T=75 d=36",
        batch: 32,
        positions: 75,
        d: 36,
        heads: 4,
    },
    Shape {
        name: "text T=64 d=72",
        batch: 32,
        positions: 64,
        d: 72,
        heads: 4,
    },
];

type Path = fn(&Tensor, usize) -> candle_core::Result<Tensor>;

/// One forward + backward pass of `path` over `qkv`, the loss `Σ y ⊙ w`; `qkv`'s gradient.
fn forward_backward(path: Path, qkv: &Var, w: &Tensor, heads: usize) -> Tensor {
    let y = path(qkv.as_tensor(), heads).unwrap();
    let grads = (y * w).unwrap().sum_all().unwrap().backward().unwrap();
    grads.get(qkv).unwrap().clone()
}

/// The largest absolute difference of two tensors.
fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar()
        .unwrap()
}

/// Median seconds of `f` over at least 5 runs (about a second's worth).
fn median_seconds(mut f: impl FnMut()) -> f64 {
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    let once = time(&mut f);
    let runs = ((1.0 / once.max(1e-6)) as usize).clamp(5, 100);
    let mut v: Vec<f64> = (0..runs).map(|_| time(&mut f)).collect();
    v.sort_by(f64::total_cmp);
    v[runs / 2]
}

fn inputs(s: &Shape) -> (Var, Tensor) {
    let dev = Device::Cpu;
    let qkv = Tensor::randn(0f32, 1.0, (s.batch, s.positions, 3 * s.d), &dev).unwrap();
    let w = Tensor::randn(0f32, 1.0, (s.batch, s.positions, s.d), &dev).unwrap();
    (Var::from_tensor(&qkv).unwrap(), w)
}

fn report() {
    println!(
        "causal attention, forward + backward ({} threads)",
        candle_core::utils::get_num_threads()
    );
    println!("| shape | batch | op (ms) | tensors (ms) | tensors / op |");
    println!("|---|---|---|---|---|");
    for s in &SHAPES {
        let (qkv, w) = inputs(s);
        let (a, b) = (
            forward_backward(causal_attention, &qkv, &w, s.heads),
            forward_backward(causal_attention_by_tensors, &qkv, &w, s.heads),
        );
        let diff = max_diff(&a, &b);
        assert!(diff < 1e-4, "{}: the gradients differ by {diff}", s.name);
        let op = median_seconds(|| {
            black_box(forward_backward(causal_attention, &qkv, &w, s.heads));
        });
        let tensors = median_seconds(|| {
            black_box(forward_backward(
                causal_attention_by_tensors,
                &qkv,
                &w,
                s.heads,
            ));
        });
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2}× |",
            s.name,
            s.batch,
            op * 1e3,
            tensors * 1e3,
            tensors / op
        );
    }
}

fn bench(c: &mut Criterion) {
    report();
    if std::env::var_os("ATTENTION_BENCH_QUICK").is_some() {
        return;
    }
    let mut g = c.benchmark_group("attention");
    g.sample_size(10);
    for s in &SHAPES {
        let (qkv, w) = inputs(s);
        let pairs = s.batch * s.heads * s.positions * (s.positions + 1) / 2;
        g.throughput(Throughput::Elements(pairs as u64));
        for (name, path) in [
            ("op", causal_attention as Path),
            ("tensors", causal_attention_by_tensors as Path),
        ] {
            g.bench_function(BenchmarkId::new(format!("fwd+bwd/{name}"), s.name), |b| {
                b.iter(|| black_box(forward_backward(path, &qkv, &w, s.heads)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
