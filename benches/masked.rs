//! The masked layer, the cost centre of the paper's models, against the core's measured f32
//! FMA peak, at the shapes the two tasks train: multiplication's `paper` chain (T = 306,
//! d = 16, batch 64, ReLU MLP) and TinyStories (T = 64, d = 64, batch 32, linear).
//!
//! - **Peak**: a plain FMA loop (AVX-512 when the CPU has it, else AVX2 + FMA) with 16
//!   independent accumulators, on 1 and 2 threads.
//! - **Layer**: [`MaskedLinear::forward`] (the `gemm` kernels), the same blocks in candle's own
//!   operations ([`MaskedLinear::forward_candle`], the previous implementation) and the paper's
//!   dense masked product `x · (W ⊙ M)`, forward alone and forward + backward, on 1 and 2
//!   threads. All three agree before anything is timed.
//! - **Model**: the whole model's forward and backward passes as the training step runs them
//!   (`nn::step::gradients`, hand-written, no autograd), against the peak.
//! - **Training step**: a whole step of the model (embedding, masked layer, head, softmax
//!   cross-entropy, backward, AdamW; `nn::train_step` with the paper's recipe), as tokens per
//!   second.
//!
//! GFLOP/s count the useful multiply-adds only, `2·B·d·h·T(T+1)/2` per product (forward;
//! forward + backward is three such products: `y`, `dx` and `dW`), not the masked entries the
//! diagonal squares multiply. Each figure is printed beside the peak measured in the same run,
//! as `% of peak` at the same thread count; criterion's rows report the same work as
//! elements (FLOP) per second.
//!
//! `cargo bench --bench masked`: the table for 1 and for 2 threads (each in a child process,
//! since candle sizes its thread pools once), then criterion's rows at `RAYON_NUM_THREADS`
//! (default: all cores). `MASKED_BENCH_QUICK=1` prints the tables only; `MASKED_BENCH_TRAIN=N`
//! times `N` training steps per case and prints them as JSON (for
//! `benches/baseline/torch_linearlm.py`, which compares them with the paper's PyTorch code).

use arsim::nn::masked::{block_mask, MaskedLinear, MaskedShape};
use arsim::nn::{AdamW, ArModel, Architecture, ModelConfig, Recipe};
use candle_core::{Device, Tensor, Var};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Seconds of one run: wall clock, and CPU time of the whole process (all its threads). On a
/// machine shared with other work the wall clock counts the time the scheduler gave away; the
/// CPU time does not, so ratios of CPU-time rates stay meaningful under load.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn time_once(f: &mut impl FnMut()) -> Timing {
    let (t0, c0) = (Instant::now(), process_cpu_seconds());
    f();
    Timing {
        wall: t0.elapsed().as_secs_f64(),
        cpu: process_cpu_seconds() - c0,
    }
}

/// FMA throughput of `threads` threads, GFLOP/s per wall second and per CPU second (best of a
/// few runs of ~0.2 s).
fn fma_peak(threads: usize) -> (f64, f64) {
    let iters = 20_000_000u64;
    let mut flops = 0.0;
    let mut run = || {
        let handles: Vec<_> = (0..threads)
            .map(|_| std::thread::spawn(move || black_box(fma_loop(black_box(iters)))))
            .collect();
        flops = handles.into_iter().map(|h| h.join().unwrap()).sum();
    };
    let runs: Vec<Timing> = (0..5).map(|_| time_once(&mut run)).collect();
    let best = |f: fn(&Timing) -> f64| runs.iter().map(f).fold(f64::INFINITY, f64::min);
    (
        flops / best(|t| t.wall) / 1e9,
        flops / best(|t| t.cpu) / 1e9,
    )
}

/// `iters` rounds of 16 independent FMAs on the widest vectors available; returns the FLOP
/// done (a checksum goes through `black_box` so the loop is not removed).
fn fma_loop(iters: u64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { fma_avx512(iters) };
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { fma_avx2(iters) };
        }
    }
    // A scalar fallback: 16 independent chains (what a compiler can do without SIMD).
    let mut acc = [1f32; 16];
    let (a, b) = (black_box(0.999_999f32), black_box(1e-7f32));
    for _ in 0..iters {
        for x in &mut acc {
            *x = x.mul_add(a, b);
        }
    }
    black_box(acc);
    iters as f64 * 16.0 * 2.0
}

macro_rules! fma_kernel {
    ($name:ident, $feat:literal, $vec:ty, $lanes:expr, $set1:ident, $fmadd:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feat)]
        unsafe fn $name(iters: u64) -> f64 {
            use std::arch::x86_64::*;
            let a = $set1(black_box(0.999_999f32));
            let b = $set1(black_box(1e-7f32));
            let mut acc: [$vec; 16] = [$set1(1.0); 16];
            for _ in 0..iters {
                // 16 independent chains hide the FMA latency (4 cycles) on 2 pipes.
                acc[0] = $fmadd(acc[0], a, b);
                acc[1] = $fmadd(acc[1], a, b);
                acc[2] = $fmadd(acc[2], a, b);
                acc[3] = $fmadd(acc[3], a, b);
                acc[4] = $fmadd(acc[4], a, b);
                acc[5] = $fmadd(acc[5], a, b);
                acc[6] = $fmadd(acc[6], a, b);
                acc[7] = $fmadd(acc[7], a, b);
                acc[8] = $fmadd(acc[8], a, b);
                acc[9] = $fmadd(acc[9], a, b);
                acc[10] = $fmadd(acc[10], a, b);
                acc[11] = $fmadd(acc[11], a, b);
                acc[12] = $fmadd(acc[12], a, b);
                acc[13] = $fmadd(acc[13], a, b);
                acc[14] = $fmadd(acc[14], a, b);
                acc[15] = $fmadd(acc[15], a, b);
            }
            black_box(acc);
            iters as f64 * 16.0 * $lanes as f64 * 2.0
        }
    };
}

fma_kernel!(
    fma_avx512,
    "avx512f",
    __m512,
    16,
    _mm512_set1_ps,
    _mm512_fmadd_ps
);
fma_kernel!(
    fma_avx2,
    "avx2,fma",
    __m256,
    8,
    _mm256_set1_ps,
    _mm256_fmadd_ps
);

/// Median wall and CPU seconds of `f` over enough runs to fill ~1 s (at least 5).
fn median_seconds(mut f: impl FnMut()) -> Timing {
    f();
    let once = time_once(&mut f).wall;
    let runs = ((1.0 / once.max(1e-6)) as usize).clamp(5, 200);
    let times: Vec<Timing> = (0..runs).map(|_| time_once(&mut f)).collect();
    let median = |g: fn(&Timing) -> f64| {
        let mut v: Vec<f64> = times.iter().map(g).collect();
        v.sort_by(f64::total_cmp);
        v[runs / 2]
    };
    Timing {
        wall: median(|t| t.wall),
        cpu: median(|t| t.cpu),
    }
}

struct Case {
    name: &'static str,
    architecture: Architecture,
    vocab: usize,
    positions: usize,
    d: usize,
    batch: usize,
}

const CASES: [Case; 2] = [
    Case {
        name: "multiply-paper",
        architecture: Architecture::Mlp,
        vocab: 117,
        positions: 306,
        d: 16,
        batch: 64,
    },
    Case {
        name: "tinystories",
        architecture: Architecture::Linear,
        vocab: 1024,
        positions: 64,
        d: 64,
        batch: 32,
    },
];

/// One shape's layer, inputs, and the three products as closures.
struct Setup {
    layer: MaskedLinear,
    dense: Var,
    mask: Tensor,
    bias: Var,
    x: Tensor,
    w: Tensor,
    /// Useful FLOP of one forward product.
    flops: f64,
}

impl Setup {
    fn new(case: &Case) -> Setup {
        let dev = Device::Cpu;
        let chunk = ModelConfig::default_chunk(case.positions);
        let shape = MaskedShape {
            positions: case.positions,
            d_in: case.d,
            d_out: case.d,
            chunk,
        };
        let layer = MaskedLinear::new(shape, 0, &dev).unwrap();
        let mask = block_mask(case.positions, case.d, case.d, &dev).unwrap();
        // The paper's parameters: one dense `T·d × T·d` matrix (and the bias), masked on
        // every forward pass.
        let dense = Var::from_tensor(&layer.to_dense().unwrap()).unwrap();
        let bias = Var::zeros(case.positions * case.d, candle_core::DType::F32, &dev).unwrap();
        let x = Tensor::randn(0f32, 1.0, (case.batch, case.positions * case.d), &dev).unwrap();
        let w = Tensor::randn(0f32, 1.0, (case.batch, case.positions * case.d), &dev).unwrap();
        let s = Setup {
            flops: 2.0 * case.batch as f64 * shape.live_weights() as f64,
            layer,
            dense,
            mask,
            bias,
            x,
            w,
        };
        let fast = s.forward(Path::Kernels);
        for other in [Path::Candle, Path::Dense] {
            let diff = arsim::nn::max_abs_difference(&fast, &s.forward(other)).unwrap();
            assert!(diff < 1e-3, "{}: {other:?} differs by {diff}", case.name);
        }
        s
    }

    fn forward(&self, path: Path) -> Tensor {
        match path {
            Path::Kernels => self.layer.forward(&self.x).unwrap(),
            Path::Candle => self.layer.forward_candle(&self.x).unwrap(),
            Path::Dense => self
                .x
                .matmul(&(self.dense.as_tensor() * &self.mask).unwrap())
                .unwrap()
                .broadcast_add(self.bias.as_tensor())
                .unwrap(),
        }
    }

    fn forward_backward(&self, path: Path) {
        let y = self.forward(path);
        black_box(
            (y * &self.w)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap(),
        );
    }
}

#[derive(Clone, Copy, Debug)]
enum Path {
    Kernels,
    Candle,
    Dense,
}

/// A model of the case's shape with the paper's recipe, its optimizer, and a fixed batch
/// (inputs, targets).
fn training_setup(case: &Case) -> (ArModel, AdamW, Tensor, Tensor) {
    let dev = Device::Cpu;
    let config = ModelConfig {
        architecture: case.architecture,
        vocab: case.vocab,
        context: case.positions,
        d: case.d,
        chunk: ModelConfig::default_chunk(case.positions),
        layers: 0,
        heads: 0,
    };
    // The paper's recipe: its initialisation, its decay groups, its clipping to norm 1.0 (the
    // optimizer `benches/baseline/torch_linearlm.py` runs on the PyTorch side).
    let model = ArModel::new_with(config, 0, Recipe::Paper, &dev).unwrap();
    let opt = AdamW::for_model(&model, 1e-3, 0.1, Recipe::Paper).unwrap();
    let tokens: Vec<u32> = (0..case.batch * (case.positions + 1))
        .map(|i| ((i * 7919) % case.vocab) as u32)
        .collect();
    let all = Tensor::from_vec(tokens, (case.batch, case.positions + 1), &dev).unwrap();
    let window = |from| {
        all.narrow(1, from, case.positions)
            .unwrap()
            .contiguous()
            .unwrap()
    };
    (model, opt, window(0), window(1))
}

/// One training step of the case (`nn::train_step`, what `nn::train` runs per step).
fn training_step(case: &Case) -> impl FnMut() {
    let (model, mut opt, inputs, targets) = training_setup(case);
    move || {
        arsim::nn::train_step(&model, &mut opt, &inputs, &targets, 1e-3).unwrap();
    }
}

/// The thread count of this process: `RAYON_NUM_THREADS`, else all cores. candle sizes its
/// pools once, at first use, so one process measures one thread count.
fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The printed table: every product against the peak measured in the same process, at its
/// thread count.
fn report() {
    arsim::nn::keep_freed_memory();
    let threads = threads();
    let (peak, peak_cpu) = fma_peak(threads);
    if let Ok(n) = std::env::var("CANDLE_NUM_THREADS") {
        println!("candle's element-wise operations on {n} thread(s)");
    }
    println!(
        "{threads} thread(s): f32 FMA peak (plain loop, 16 independent accumulators) \
         {peak:.1} GFLOP/s per wall second, {peak_cpu:.1} per CPU second"
    );
    println!(
        "{:<15} {:>3} {:<18} {:>10} {:>9} {:>8} | {:>10} {:>9} {:>8}",
        "shape", "thr", "product", "wall", "GFLOP/s", "of peak", "CPU", "GFLOP/cs", "of peak"
    );
    for case in &CASES {
        let s = Setup::new(case);
        let mut rows: Vec<(&str, Timing, f64)> = Vec::new();
        for (label, path) in [
            ("forward/kernels", Path::Kernels),
            ("forward/candle", Path::Candle),
        ] {
            rows.push((label, median_seconds(|| drop(s.forward(path))), s.flops));
        }
        for (label, path) in [
            ("fwd+bwd/kernels", Path::Kernels),
            ("fwd+bwd/candle", Path::Candle),
            ("fwd+bwd/dense", Path::Dense),
        ] {
            rows.push((
                label,
                median_seconds(|| s.forward_backward(path)),
                3.0 * s.flops,
            ));
        }
        for (label, t, flops) in rows {
            let (g, gc) = (flops / t.wall / 1e9, flops / t.cpu / 1e9);
            println!(
                "{:<15} {:>3} {:<18} {:>8.2}ms {:>9.1} {:>7.1}% | {:>8.2}ms {:>9.1} {:>7.1}%",
                case.name,
                threads,
                label,
                t.wall * 1e3,
                g,
                100.0 * g / peak,
                t.cpu * 1e3,
                gc,
                100.0 * gc / peak_cpu
            );
        }
        // What candle's autograd adds to every weight gradient the kernels return: a zero
        // tensor of the weight's size and an add into it (`GradStore::or_insert`, then `add`),
        // memory passes that no product choice removes.
        let grads = {
            let y = s.forward(Path::Kernels);
            (y * &s.w).unwrap().sum_all().unwrap().backward().unwrap()
        };
        let weight_grads: Vec<Tensor> = s
            .layer
            .named_vars("m")
            .iter()
            .map(|(_, v)| grads.get(v.as_tensor()).unwrap().clone())
            .collect();
        let accumulate = median_seconds(|| {
            for g in &weight_grads {
                black_box(g.zeros_like().unwrap().add(g).unwrap());
            }
        });
        println!(
            "{:<15} {:>3} {:<18} {:>8.2}ms {:>20} | {:>8.2}ms  (candle's gradient accumulation, inside fwd+bwd/kernels)",
            case.name,
            threads,
            "grad-accumulate",
            accumulate.wall * 1e3,
            "",
            accumulate.cpu * 1e3
        );
        // The whole model's forward and backward passes as the training step runs them
        // (`nn::step::gradients`: no optimizer), against the peak: the useful FLOP are
        // `ModelConfig::training_flops_per_token` per token (the masked layer's live weights
        // and the per-position layers, three products each).
        let tokens = (case.batch * case.positions) as f64;
        let (model, _, inputs, targets) = training_setup(case);
        let flops = model.config().training_flops_per_token() * tokens;
        let t = median_seconds(|| {
            black_box(arsim::nn::step::gradients(&model, &inputs, &targets).unwrap());
        });
        let (g, gc) = (flops / t.wall / 1e9, flops / t.cpu / 1e9);
        println!(
            "{:<15} {:>3} {:<18} {:>8.2}ms {:>9.1} {:>7.1}% | {:>8.2}ms {:>9.1} {:>7.1}%  (whole model, hand-written step)",
            case.name,
            threads,
            "fwd+bwd/model",
            t.wall * 1e3,
            g,
            100.0 * g / peak,
            t.cpu * 1e3,
            gc,
            100.0 * gc / peak_cpu
        );
        let t = median_seconds(training_step(case));
        println!(
            "{:<15} {:>3} {:<18} {:>8.2}ms {:>9.0} tokens/s | {:>8.2}ms {:>9.0} tokens per CPU second (whole step: model + AdamW)",
            case.name,
            threads,
            "train-step/model",
            t.wall * 1e3,
            tokens / t.wall,
            t.cpu * 1e3,
            tokens / t.cpu
        );
    }
}

/// The table for 1 and 2 threads, each in a child process of its own (this bench binary again,
/// `RAYON_NUM_THREADS` set, criterion rows skipped), one after the other.
fn report_each_thread_count() {
    if std::env::var_os("MASKED_BENCH_CHILD").is_some() {
        return report();
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    // Products on 1 and 2 threads; and 2 threads for the products with candle's element-wise
    // operations on one (`CANDLE_NUM_THREADS=1`): candle's element-wise pool spin-waits for its
    // workers, which costs dearly when another process holds the other core.
    for (threads, elementwise) in [(1, None), (2, None), (2, Some(1))] {
        let mut child = std::process::Command::new(&exe);
        child
            .arg("--bench")
            .env("RAYON_NUM_THREADS", threads.to_string())
            .env("MASKED_BENCH_CHILD", "1")
            .env("MASKED_BENCH_QUICK", "1");
        if let Some(n) = elementwise {
            child.env("CANDLE_NUM_THREADS", n.to_string());
        }
        let status = child.status().expect("the bench binary runs");
        assert!(status.success(), "the {threads}-thread table failed");
    }
}

/// `MASKED_BENCH_TRAIN=N`: `N` timed training steps per case (after two untimed ones), one
/// JSON line per case with every step's CPU and wall seconds, for
/// `benches/baseline/torch_linearlm.py`; `MASKED_BENCH_CASE` picks one case by name.
fn train_steps_json(steps: usize) {
    arsim::nn::keep_freed_memory();
    let only = std::env::var("MASKED_BENCH_CASE").ok();
    for case in CASES
        .iter()
        .filter(|c| only.as_deref().is_none_or(|n| n == c.name))
    {
        let mut step = training_step(case);
        step();
        step();
        let times: Vec<Timing> = (0..steps).map(|_| time_once(&mut step)).collect();
        let list = |f: fn(&Timing) -> f64| {
            times
                .iter()
                .map(|t| format!("{:.6}", f(t)))
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "{{\"case\":\"{}\",\"batch\":{},\"positions\":{},\"threads\":{},\"cpu_s\":[{}],\"wall_s\":[{}]}}",
            case.name,
            case.batch,
            case.positions,
            threads(),
            list(|t| t.cpu),
            list(|t| t.wall)
        );
    }
}

fn bench(c: &mut Criterion) {
    if let Some(steps) = std::env::var("MASKED_BENCH_TRAIN")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return train_steps_json(steps);
    }
    report_each_thread_count();
    if std::env::var_os("MASKED_BENCH_QUICK").is_some() {
        return;
    }
    let mut g = c.benchmark_group("masked");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let threads = threads();
    for case in &CASES {
        let s = Setup::new(case);
        let id = |what: &str| BenchmarkId::new(format!("{what}/{threads}t"), case.name);
        g.throughput(Throughput::Elements(s.flops as u64));
        g.bench_function(id("forward/kernels"), |b| {
            b.iter(|| black_box(s.forward(Path::Kernels)))
        });
        g.throughput(Throughput::Elements(3 * s.flops as u64));
        g.bench_function(id("fwd+bwd/kernels"), |b| {
            b.iter(|| s.forward_backward(Path::Kernels))
        });
        g.bench_function(id("fwd+bwd/candle"), |b| {
            b.iter(|| s.forward_backward(Path::Candle))
        });
        g.bench_function(id("fwd+bwd/dense"), |b| {
            b.iter(|| s.forward_backward(Path::Dense))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
