//! The masked layer, the cost centre of the paper's models: the block-triangular product of
//! [`MaskedLinear::forward`] (masked blocks skipped, chunks of `c` positions) against the
//! paper's dense masked product (`x · (W ⊙ M)` over the whole `T·d × T·d` matrix) on the
//! same parameters, forward alone and forward + backward (the training step's cost), at the
//! shapes the two tasks train: multiplication's `paper` chain (T = 306, d = 16, batch 64) and
//! TinyStories (T = 64, d = 64, batch 32). Aim: the blocks at least 1.5× the dense product.
//!
//! `cargo bench --bench masked` (single-threaded: `RAYON_NUM_THREADS=1`)

use arsim::nn::masked::{block_mask, MaskedLinear, MaskedShape};
use candle_core::{Device, Tensor, Var};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = c.benchmark_group("masked");
    g.sample_size(10);
    for (name, positions, d, batch, chunk) in [
        ("multiply-paper", 306, 16, 64, 20),
        ("tinystories", 64, 64, 32, 4),
    ] {
        let shape = MaskedShape {
            positions,
            d_in: d,
            d_out: d,
            chunk,
        };
        let layer = MaskedLinear::new(shape, 0, &dev).unwrap();
        let mask = block_mask(positions, d, d, &dev).unwrap();
        // The paper's parameters: one dense `T·d × T·d` matrix (and the bias), masked on
        // every forward pass.
        let dense = Var::from_tensor(&layer.to_dense().unwrap()).unwrap();
        let bias = Var::zeros(positions * d, candle_core::DType::F32, &dev).unwrap();
        let paper = |x: &Tensor| {
            x.matmul(&(dense.as_tensor() * &mask).unwrap())
                .unwrap()
                .broadcast_add(bias.as_tensor())
                .unwrap()
        };
        let x = Tensor::randn(0f32, 1.0, (batch, positions * d), &dev).unwrap();
        let w = Tensor::randn(0f32, 1.0, (batch, positions * d), &dev).unwrap();
        // The two products agree before either is timed.
        let diff = arsim::nn::max_abs_difference(&layer.forward(&x).unwrap(), &paper(&x)).unwrap();
        assert!(diff < 1e-3, "{name}: block and dense differ by {diff}");
        g.throughput(Throughput::Elements((batch * positions) as u64));
        g.bench_function(BenchmarkId::new("forward/blocks", name), |b| {
            b.iter(|| black_box(layer.forward(&x).unwrap()))
        });
        g.bench_function(BenchmarkId::new("forward/dense-masked", name), |b| {
            b.iter(|| black_box(paper(&x)))
        });
        g.bench_function(BenchmarkId::new("train-step/blocks", name), |b| {
            b.iter(|| {
                let y = layer.forward(&x).unwrap();
                black_box((y * &w).unwrap().sum_all().unwrap().backward().unwrap())
            })
        });
        g.bench_function(BenchmarkId::new("train-step/dense-masked", name), |b| {
            b.iter(|| {
                let y = paper(&x);
                black_box((y * &w).unwrap().sum_all().unwrap().backward().unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
