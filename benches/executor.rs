//! Executor speed on `cells` traces: tokens per second of the compiled linear predictor
//! (real scores and argmax for every token), alone and with every token verified against the
//! interpreter, and of the `sweep` predictor on the same run (`benches/gates.rs` has `gates`),
//! against two baselines in the same run:
//! - `naive-dense`: the full one-hot window vector (offsets 1..S+2) times the full weight
//!   matrix, then argmax — the textbook evaluation of the same linear map;
//! - `dense-f32-all-offsets`: the shape a learned predictor has by default (`f32` weights at
//!   every offset 1..S+2), here holding the compiled weights so the trace is the same;
//! - `lookup-table`: the local rule tabulated over (left, centre, right) — the fastest way to
//!   produce the same trace, with no scores at all.
//!
//!
//! `executor/rows/…`: the row-parallel executor (`arsim::rows`, a whole row scored at once,
//! on one and on two threads) against the token-serial kernel and the lookup table, on bb4's
//! real window (S = 14) and on BB(5) from its first row at S = 1,024 and at its real window
//! S = 12,289, one group per size so that each figure is a ratio in the same run. At S = 12,289
//! each row scorer path the CPU has (`--isa avx512|avx2|portable`) runs on one thread too:
//! `rows-1t-PATH` per wall second, `rows-1t-PATH-cpu-time` per CPU second of its thread.
//!
//! `cargo bench --bench executor`

use arsim::encoding::cells::compile::machine_to_cells_predictor;
use arsim::encoding::cells::{next_cell, Cells, Dictionary, ReferenceTrace};
use arsim::encoding::Encoding;
use arsim::executor::Executor;
use arsim::machine::{load_machine, Input, Machine};
use arsim::predictor::{argmax, LinearAr, Predictor, TokenId};
use arsim::rows::{RowExecutor, RowIsa};
use arsim::verify::run_verified;
use arsim::window::window_of_run;
use arsim::window::Window;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// The prompt and the number of tokens to generate for `machine` on `input`.
fn setup(m: &Machine, input: &Input) -> (Window, Vec<TokenId>, u64) {
    let w = window_of_run(m, input, u64::MAX);
    let trace = ReferenceTrace::new(m, input, w, u64::MAX).unwrap();
    let prompt: Vec<TokenId> = trace.clone().take(w.size + 1).collect();
    let total = trace.count() as u64 - prompt.len() as u64;
    (w, prompt, total)
}

fn generate<P: Predictor>(p: P, prompt: &[TokenId], n: u64) -> TokenId {
    let mut e = Executor::new(p);
    for &t in prompt {
        e.feed(t);
    }
    let mut last = TokenId(0);
    for _ in 0..n {
        last = e.step();
    }
    last
}

/// The same predictor evaluated the textbook way: a dense |D| × (K·(|D|+1)) matrix over the
/// one-hot encoding of the last K = S+2 tokens.
struct NaiveDense {
    vocab: usize,
    k: usize,
    w: Vec<i32>,
    x: Vec<i32>,
    scores: Vec<i32>,
}

impl NaiveDense {
    fn new(p: &LinearAr) -> NaiveDense {
        let v = p.vocab();
        let k = p.max_offset();
        let cols = k * (v + 1);
        let mut w = vec![0; v * cols];
        for (o, &j) in p.layout().offsets.iter().enumerate() {
            for d in 0..v {
                for x in 0..v {
                    w[d * cols + (j - 1) * (v + 1) + x] = p.weights()[o][(d, x)];
                }
            }
        }
        NaiveDense {
            vocab: v,
            k,
            w,
            x: vec![0; cols],
            scores: vec![0; v],
        }
    }
}

impl Predictor for NaiveDense {
    fn vocab(&self) -> usize {
        self.vocab
    }
    fn max_offset(&self) -> usize {
        self.k
    }
    fn predict(&mut self, ctx: &arsim::predictor::Context<'_>, _: u64) -> TokenId {
        let v1 = self.vocab + 1;
        self.x.fill(0);
        for j in 1..=self.k {
            self.x[(j - 1) * v1 + ctx.back(j).index()] = 1;
        }
        let cols = self.x.len();
        for d in 0..self.vocab {
            let row = &self.w[d * cols..(d + 1) * cols];
            self.scores[d] = row.iter().zip(&self.x).map(|(a, b)| a * b).sum();
        }
        TokenId(argmax(&self.scores) as u32)
    }
    fn scores(&self, _: &arsim::predictor::Context<'_>, _: u64) -> Vec<f64> {
        Vec::new()
    }
}

/// The compiled weights as a learner's `f32` predictor over every offset 1..S+2.
fn learned_shape(p: &LinearAr) -> arsim::predictor::LinearArF32 {
    let v = p.vocab();
    let k = p.max_offset();
    let mut weights = vec![nalgebra::DMatrix::<f32>::zeros(v, v); k];
    for (o, &j) in p.layout().offsets.iter().enumerate() {
        weights[j - 1] = p.weights()[o].map(|w| w as f32);
    }
    let layout = arsim::predictor::Layout {
        tokens: p.layout().tokens.clone(),
        offsets: (1..=k).collect(),
        offset_names: (1..=k).map(|j| j.to_string()).collect(),
    };
    arsim::predictor::LinearArF32::from_weights(layout, weights)
}

/// The local rule as a table over (left, centre, right) at offsets S+2, S+1, S.
struct Lookup {
    v1: usize,
    s: usize,
    table: Vec<TokenId>,
}

impl Lookup {
    fn new(m: &Machine, w: Window) -> Lookup {
        let dict = Dictionary::new(m);
        let v1 = dict.len() + 1;
        let mut table = vec![TokenId(0); v1 * v1 * v1];
        for l in 0..v1 {
            for c in 0..v1 {
                for r in 0..v1 {
                    let t = |i: usize| dict.decode(TokenId(i as u32));
                    table[(l * v1 + c) * v1 + r] = dict.encode(next_cell(m, t(l), t(c), t(r)));
                }
            }
        }
        Lookup {
            v1,
            s: w.size,
            table,
        }
    }
}

impl Predictor for Lookup {
    fn vocab(&self) -> usize {
        self.v1 - 1
    }
    fn max_offset(&self) -> usize {
        self.s + 2
    }
    #[inline]
    fn predict(&mut self, ctx: &arsim::predictor::Context<'_>, _: u64) -> TokenId {
        let (l, c, r) = (
            ctx.back(self.s + 2).index(),
            ctx.back(self.s + 1).index(),
            ctx.back(self.s).index(),
        );
        self.table[(l * self.v1 + c) * self.v1 + r]
    }
    fn scores(&self, _: &arsim::predictor::Context<'_>, _: u64) -> Vec<f64> {
        Vec::new()
    }
}

fn bench(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut g = c.benchmark_group("executor/cells");
    g.sample_size(10);
    for (name, input) in [
        ("bb4", ""),
        ("counter-13", "0000000000000"),
        ("binary-multiply-9999x9999", "10011100001111*10011100001111"),
    ] {
        let file = name.split('-').next().unwrap();
        let file = if file == "binary" {
            "binary-multiply"
        } else {
            file
        };
        let m = load_machine(&format!("{root}/machines/{file}.ron")).expect("corpus machine");
        let input = m.parse_input(input).unwrap();
        let (w, prompt, total) = setup(&m, &input);
        let mut compiled = machine_to_cells_predictor(&m, w);
        let mut lookup = Lookup::new(&m, w);
        let mut naive = NaiveDense::new(&compiled);
        let id = format!("{name}/S={}/D={}", w.size, compiled.vocab());
        g.throughput(Throughput::Elements(total));
        g.bench_with_input(BenchmarkId::new("compiled", &id), &(), |b, _| {
            b.iter(|| generate(&mut compiled, black_box(&prompt), total))
        });
        g.bench_with_input(BenchmarkId::new("compiled+verify", &id), &(), |b, _| {
            b.iter(|| {
                let mut e = Executor::new(&mut compiled);
                let mut reference = ReferenceTrace::new(&m, &input, w, u64::MAX).unwrap();
                let v = run_verified(
                    &mut e,
                    &mut Cells::new(&m, w).halt(&m),
                    &mut reference,
                    w.size + 1,
                    &mut |_| {},
                );
                assert!(v.divergence.is_none());
                v.generated
            })
        });
        // The sweep encoding of the same run: fewer tokens, each computed the same way.
        let mut sweep = arsim::encoding::sweep::compile::machine_to_sweep_predictor(&m, w)
            .expect("no stay loops");
        let sweep_trace =
            arsim::encoding::sweep::ReferenceTrace::new(&m, &input, w, u64::MAX).unwrap();
        let sweep_prompt: Vec<TokenId> = sweep_trace.clone().take(w.size + 1).collect();
        let sweep_total = sweep_trace.count() as u64 - sweep_prompt.len() as u64;
        g.throughput(Throughput::Elements(sweep_total));
        g.bench_with_input(BenchmarkId::new("sweep-compiled", &id), &(), |b, _| {
            b.iter(|| generate(&mut sweep, black_box(&sweep_prompt), sweep_total))
        });
        // A dense float predictor of the learner's default shape (every offset 1..S+2, f32):
        // the compiled weights placed at S, S+1, S+2 and zeros elsewhere, so it produces the
        // same trace at the cost of any learned predictor of that shape.
        let mut dense = learned_shape(&compiled);
        g.throughput(Throughput::Elements(total));
        g.bench_with_input(
            BenchmarkId::new("dense-f32-all-offsets", &id),
            &(),
            |b, _| b.iter(|| generate(&mut dense, black_box(&prompt), total)),
        );
        g.bench_with_input(BenchmarkId::new("lookup-table", &id), &(), |b, _| {
            b.iter(|| generate(&mut lookup, black_box(&prompt), total))
        });
        // The naive evaluation is slow: time a prefix, and report it per token like the others.
        let n = total.min(20_000);
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new("naive-dense", &id), &(), |b, _| {
            b.iter(|| generate(&mut naive, black_box(&prompt), n))
        });
    }
    g.finish();
}

/// `rows` rows from the prompt with the row executor, its scorer on `isa`; returns the last
/// token.
fn generate_rows(p: &LinearAr, prompt: &[TokenId], rows: u64, threads: usize, isa: RowIsa) -> u8 {
    let mut e = RowExecutor::with_isa(p.clone(), prompt.len(), threads, isa).unwrap();
    for &t in prompt {
        e.feed(t);
    }
    let mut last = 0;
    e.run(rows, &mut |row| {
        last = row[row.len() - 1];
        true
    })
    .unwrap();
    last
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn bench_rows(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let bb4 = load_machine(&format!("{root}/machines/bb4.ron")).expect("corpus machine");
    let bb5 = load_machine(&format!("{root}/machines/bb5.ron")).expect("corpus machine");
    // (machine, window, rows): bb4's whole run; BB(5)'s first rows.
    let cases = [
        (
            "bb4",
            &bb4,
            Window {
                size: 14,
                origin: 10,
            },
            107u64,
        ),
        (
            "bb5",
            &bb5,
            Window {
                size: 1024,
                origin: 980,
            },
            20_000,
        ),
        (
            "bb5",
            &bb5,
            Window {
                size: 12_289,
                origin: 12_243,
            },
            2_000,
        ),
    ];
    for (name, m, w, rows) in cases {
        let prompt: Vec<TokenId> = ReferenceTrace::new(m, &Input::default(), w, 0)
            .unwrap()
            .take(w.size + 1)
            .collect();
        let compiled = machine_to_cells_predictor(m, w);
        let total = rows * (w.size as u64 + 1);
        let mut g = c.benchmark_group(format!("executor/rows/S={}", w.size));
        let auto = RowIsa::Auto;
        g.sample_size(10);
        g.throughput(Throughput::Elements(total));
        let id = format!("{name}/D={}/rows={rows}", compiled.vocab());
        for threads in [1, 2] {
            g.bench_with_input(
                BenchmarkId::new(format!("rows-{threads}t"), &id),
                &(),
                |b, _| b.iter(|| generate_rows(&compiled, black_box(&prompt), rows, threads, auto)),
            );
        }
        // Each row scorer path on one thread, BB(5)'s real window: per wall second, and per
        // CPU second of the thread that runs it (what a loaded machine does not distort).
        for isa in RowIsa::PATHS.into_iter().filter(|_| w.size > 10_000) {
            if let Some(f) = isa.missing_feature() {
                eprintln!("executor/rows: no {} row, this CPU lacks {f}", isa.name());
                continue;
            }
            let path = format!("rows-1t-{}", isa.name());
            let run = || generate_rows(&compiled, black_box(&prompt), rows, 1, isa);
            g.bench_with_input(BenchmarkId::new(&path, &id), &(), |b, _| b.iter(run));
            let per_cpu = BenchmarkId::new(format!("{path}-cpu-time"), &id);
            g.bench_with_input(per_cpu, &(), |b, _| {
                b.iter_custom(|iters| {
                    let start = thread_cpu_time();
                    for _ in 0..iters {
                        black_box(run());
                    }
                    thread_cpu_time() - start
                })
            });
        }
        let mut kernel = compiled.clone();
        g.bench_with_input(BenchmarkId::new("tokens-kernel", &id), &(), |b, _| {
            b.iter(|| generate(&mut kernel, black_box(&prompt), total))
        });
        let mut lookup = Lookup::new(m, w);
        g.bench_with_input(BenchmarkId::new("lookup-table", &id), &(), |b, _| {
            b.iter(|| generate(&mut lookup, black_box(&prompt), total))
        });
        g.finish();
    }
}

criterion_group!(benches, bench, bench_rows);
criterion_main!(benches);
