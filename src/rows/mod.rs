//! The row-parallel executor: a whole `cells` row scored at once, vectorised across positions.
//!
//! A time-invariant [`LinearAr`] whose smallest offset is at least the row length L minus one
//! reads, for every token of a row but the first, only tokens of earlier rows and the row's own
//! first token (offset L−1 from its last column). So once the first token (the separator, for
//! `cells`) is scored, the other L−1 tokens of the row are independent of each other and can
//! be scored together, in any order, on any number of cores. [`RowExecutor`] does exactly
//! that; it produces the same tokens as [`Executor`](crate::executor::Executor), token for token.
//!
//! Scoring, per position p and output token d: `score_d(p) = Σ_o W_o[d, x(p − j_o)]`. The
//! [`RowScorer`] keeps, per dictionary entry d and offset o, the weight row `W_o[d, ·]` as a
//! 64-byte table indexed by token id, and looks up 64 positions at once with one AVX-512 VBMI
//! `vpermb`. The argmax is one running unsigned byte maximum of a packed key
//!
//! ```text
//! key_d(p) = ((score_d(p) − lo) << b) + (2^b − 1 − d)        (b bits hold any d < |D|)
//! ```
//!
//! whose largest value holds the largest score at the lowest d: the first maximum, exactly the
//! tie rule of [`argmax`](crate::predictor::argmax) and of the column kernel
//! ([`crate::kernel`]). The key is built in wrapping byte arithmetic: the table of the first
//! offset holds `((W_0[d,x] − lo) << b) + 2^b − 1 − d`, the others `W_o[d,x] << b`, so the sum is
//! the key modulo 256, and the key is exact because [`RowScorer::new`] only takes this path when
//! every key lies in 0..=255: `(hi − lo)·2^b + 2^b − 1 ≤ 255`, where `lo` and `hi` bound every
//! score (`lo = min_d Σ_o min_x W_o[d,x]`, `hi = max_d Σ_o max_x W_o[d,x]`, the padding
//! column included). Predictors outside that bound, or with more than 63 tokens, are scored
//! position by position with the column kernel (`LinearAr::argmax_of`), still row by row.
//! Nothing is memoised: every token of every row is the argmax of its own scores.
//!
//! [`emulate_cells_rows`] is the `cells` emulation on this executor: each generated row is
//! compared with the interpreter's row for that step (an encoded [`WindowConfig`], two cells
//! re-encoded per step), the first differing token reported as [`Divergence`] data.

use crate::emulate::{
    cells_dictionary_of, stop_of, token_divergence, EmulateError, EmulateOptions, EmulationReport,
};
use crate::encoding::cells::{CellToken, Dictionary, TraceEnd, WindowConfig};
use crate::machine::{Machine, Stop};
use crate::predictor::{Context, LinearAr, Predictor, TokenId};
use crate::verify::Divergence;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

/// Why a predictor cannot run row by row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowsError {
    /// Some offset is nearer than the row length minus one, so tokens of a row read each other.
    #[error("the predictor reads offset {min}; the row executor needs every offset ≥ the row length {row_len} minus one")]
    NearOffset {
        /// The smallest offset.
        min: usize,
        /// The row length.
        row_len: usize,
    },
    /// Token ids are kept in bytes.
    #[error("the predictor has {0} tokens; the row executor keeps token ids in bytes (at most 255 tokens)")]
    Vocab(usize),
    /// A row needs a first token and at least one more.
    #[error("rows of {0} tokens are too short for the row executor (at least 2)")]
    RowLen(usize),
    /// Rows are generated from a row boundary.
    #[error("the executor is at position {pos}, not at the start of a row of {row_len} tokens")]
    Misaligned {
        /// Tokens so far.
        pos: u64,
        /// The row length.
        row_len: usize,
    },
}

/// Which executor runs a `cells` emulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ExecutorChoice {
    /// Rows when the predictor qualifies ([`RowExecutor::qualifies`]), else tokens.
    #[default]
    Auto,
    /// The row-parallel executor (an error if the predictor does not qualify).
    Rows,
    /// The token-serial [`Executor`](crate::executor::Executor).
    Tokens,
}

/// Rows at least this long are split over two threads (shorter ones cost more to hand over
/// than to score).
pub const PARALLEL_MIN_ROW: usize = 2048;

mod scorer;

pub use scorer::RowScorer;

/// The handover of a row's cells between the main thread and the worker: the cells are cut
/// into chunks, and whichever thread advances `claim` past a chunk scores it. The main thread
/// never waits for a chunk nobody has started (it claims it itself), only for chunks the worker
/// holds, so a worker the scheduler has parked costs at most one chunk.
struct Shared {
    /// The row being scored (1-based; 0 = none yet).
    row: AtomicU64,
    /// `row << 32 | next chunk`.
    claim: AtomicU64,
    /// `row << 32 | chunks the worker has finished in that row`.
    worker_done: AtomicU64,
    stop: AtomicBool,
    past: AtomicPtr<u8>,
    past_len: AtomicUsize,
    out: AtomicPtr<u8>,
}

/// Claims the next chunk of `row`, if any is left.
#[inline]
fn claim(sh: &Shared, row: u64, chunks: usize) -> Option<usize> {
    let mut v = sh.claim.load(Ordering::SeqCst);
    loop {
        let next = (v & 0xFFFF_FFFF) as usize;
        if v >> 32 != row || next >= chunks {
            return None;
        }
        match sh
            .claim
            .compare_exchange_weak(v, v + 1, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => return Some(next),
            Err(now) => v = now,
        }
    }
}

/// Sets `stop` when dropped, so the worker ends even if the main loop unwinds.
struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// Spins (then yields, on a busy machine) until `done(a)` or `stop` is set; `false` on stop.
#[inline]
fn wait_until(a: &AtomicU64, stop: &AtomicBool, done: impl Fn(u64) -> bool) -> bool {
    let mut spins = 0u32;
    while !done(a.load(Ordering::Acquire)) {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        if spins < 20_000 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
    true
}

/// A predictor run row by row: the row's first token by the column kernel, the rest at once.
#[derive(Clone, Debug)]
pub struct RowExecutor {
    predictor: LinearAr,
    scorer: RowScorer,
    offsets: Vec<usize>,
    row_len: usize,
    max_offset: usize,
    vocab: usize,
    /// The last tokens: `hist[i]` is position `pos − hist.len() + i`; it starts with
    /// `max_offset` padding tokens (what positions before the trace read).
    hist: Vec<u8>,
    /// Compact `hist` to its last `max_offset` tokens when a row would pass this length.
    cap: usize,
    pos: u64,
    threads: usize,
    inputs: Vec<TokenId>,
}

impl RowExecutor {
    /// Whether `predictor` can run on rows of `row_len` tokens.
    pub fn qualifies(predictor: &LinearAr, row_len: usize) -> Result<(), RowsError> {
        if row_len < 2 {
            return Err(RowsError::RowLen(row_len));
        }
        if predictor.vocab() > 255 {
            return Err(RowsError::Vocab(predictor.vocab()));
        }
        let min = predictor
            .layout()
            .offsets
            .iter()
            .copied()
            .min()
            .unwrap_or(0);
        if min + 1 < row_len {
            return Err(RowsError::NearOffset { min, row_len });
        }
        Ok(())
    }

    /// An executor on rows of `row_len` tokens, its context all padding; `threads` is 1, or 2
    /// to split rows of at least [`PARALLEL_MIN_ROW`] tokens over two cores.
    pub fn new(
        predictor: LinearAr,
        row_len: usize,
        threads: usize,
    ) -> Result<RowExecutor, RowsError> {
        RowExecutor::qualifies(&predictor, row_len)?;
        let max_offset = predictor.max_offset();
        let vocab = predictor.vocab();
        let cap = (max_offset + row_len).max(1 << 20) + max_offset + row_len;
        let mut hist = Vec::with_capacity(cap);
        hist.resize(max_offset, vocab as u8);
        Ok(RowExecutor {
            scorer: RowScorer::new(&predictor),
            offsets: predictor.layout().offsets.clone(),
            inputs: vec![TokenId(0); predictor.layout().offsets.len()],
            predictor,
            row_len,
            max_offset,
            vocab,
            hist,
            cap,
            pos: 0,
            threads: threads.clamp(1, 2),
        })
    }

    /// Which arithmetic scores the rows ([`RowScorer::kind`]).
    pub fn kind(&self) -> &'static str {
        self.scorer.kind()
    }

    /// Tokens so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The predictor.
    pub fn predictor(&self) -> &LinearAr {
        &self.predictor
    }

    /// Appends a prompt token (ids past the dictionary read as padding, as in the kernel).
    pub fn feed(&mut self, token: TokenId) {
        self.compact(1);
        self.hist.push(token.0.min(self.vocab as u32) as u8);
        self.pos += 1;
    }

    /// The `len` tokens before `position` (oldest first; padding before the trace), for
    /// reports. `position` must be within the last rows kept.
    pub fn tokens_before(&self, position: u64, len: usize) -> Vec<TokenId> {
        // Position of hist[0]; negative while the leading padding is kept.
        let start = self.pos as i64 - self.hist.len() as i64;
        (0..len as i64)
            .map(|k| {
                let q = position as i64 - len as i64 + k;
                let t = if q < 0 || q < start {
                    self.vocab as u8
                } else {
                    self.hist[(q - start) as usize]
                };
                TokenId(t as u32)
            })
            .collect()
    }

    /// Keeps room for `n` more tokens, dropping all but the last `max_offset`.
    fn compact(&mut self, n: usize) {
        if self.hist.len() + n > self.cap {
            let drop = self.hist.len() - self.max_offset;
            self.hist.drain(..drop);
        }
    }

    /// Generates up to `max_rows` rows, calling `on_row` with each (its `row_len` token ids)
    /// and stopping early when it returns `false`; returns the rows generated.
    pub fn run(
        &mut self,
        max_rows: u64,
        on_row: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<u64, RowsError> {
        if !self.pos.is_multiple_of(self.row_len as u64) {
            return Err(RowsError::Misaligned {
                pos: self.pos,
                row_len: self.row_len,
            });
        }
        if self.threads < 2 || self.row_len < PARALLEL_MIN_ROW {
            let mut rows = 0;
            while rows < max_rows {
                let start = self.begin_row();
                let (past, out) = self.hist.split_at_mut(start);
                self.scorer.score(past, 0, out);
                self.pos += self.row_len as u64;
                rows += 1;
                if !on_row(&self.hist[start - 1..]) {
                    break;
                }
            }
            return Ok(rows);
        }
        let shared = Shared {
            row: AtomicU64::new(0),
            claim: AtomicU64::new(0),
            worker_done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            past: AtomicPtr::new(std::ptr::null_mut()),
            past_len: AtomicUsize::new(0),
            out: AtomicPtr::new(std::ptr::null_mut()),
        };
        let mut worker_scorer = self.scorer.clone();
        // About 8 chunks a row, each whole 64-token vectors but the last.
        let cells = self.row_len - 1;
        let chunk = (cells.div_ceil(8)).div_ceil(64) * 64;
        let chunks = cells.div_ceil(chunk);
        let span = move |c: usize| (c * chunk, ((c + 1) * chunk).min(cells));
        let rows = std::thread::scope(|s| {
            let sh = &shared;
            s.spawn(move || {
                let mut seen = 0;
                while wait_until(&sh.row, &sh.stop, |r| r > seen) {
                    let row = sh.row.load(Ordering::SeqCst);
                    seen = row;
                    let past = sh.past.load(Ordering::SeqCst);
                    let past_len = sh.past_len.load(Ordering::SeqCst);
                    let out = sh.out.load(Ordering::SeqCst);
                    let mut finished = 0;
                    // A successful claim of `row` means the main thread is still on `row`, so
                    // the pointers read above are this row's (it republishes them only after
                    // every chunk of the row is claimed and finished).
                    while let Some(c) = claim(sh, row, chunks) {
                        let (lo, hi) = span(c);
                        // SAFETY: `past` is read-only during the row; chunk `c` of `out` is
                        // ours alone (claimed), disjoint from `past` and from other chunks.
                        unsafe {
                            let past = std::slice::from_raw_parts(past, past_len);
                            let out = std::slice::from_raw_parts_mut(out.add(lo), hi - lo);
                            worker_scorer.score(past, lo, out);
                        }
                        finished += 1;
                        sh.worker_done
                            .store(row << 32 | finished, Ordering::Release);
                    }
                }
            });
            let _stop = StopOnDrop(sh);
            let mut rows = 0;
            while rows < max_rows {
                let start = self.begin_row();
                let row = rows + 1;
                let (past, out) = self.hist.split_at_mut(start);
                let out = out.as_mut_ptr();
                sh.past.store(past.as_ptr() as *mut u8, Ordering::SeqCst);
                sh.past_len.store(past.len(), Ordering::SeqCst);
                sh.out.store(out, Ordering::SeqCst);
                sh.claim.store(row << 32, Ordering::SeqCst);
                sh.row.store(row, Ordering::SeqCst);
                let mut mine = 0;
                while let Some(c) = claim(sh, row, chunks) {
                    let (lo, hi) = span(c);
                    // SAFETY: as for the worker: chunk `c` is ours alone.
                    let out = unsafe { std::slice::from_raw_parts_mut(out.add(lo), hi - lo) };
                    self.scorer.score(past, lo, out);
                    mine += 1;
                }
                let theirs = (chunks - mine) as u64;
                if theirs > 0 && !wait_until(&sh.worker_done, &sh.stop, |v| v == row << 32 | theirs)
                {
                    break; // only reached if the worker was told to stop
                }
                self.pos += self.row_len as u64;
                rows += 1;
                if !on_row(&self.hist[start - 1..]) {
                    break;
                }
            }
            rows
        });
        Ok(rows)
    }

    /// Scores the row's first token, appends it and room for the rest; returns where the rest
    /// starts in `hist`.
    fn begin_row(&mut self) -> usize {
        self.compact(self.row_len);
        let n = self.hist.len();
        for (x, &j) in self.inputs.iter_mut().zip(&self.offsets) {
            *x = TokenId(self.hist[n - j] as u32);
        }
        let first = self.predictor.argmax_of(&self.inputs);
        self.hist.push(first.0 as u8);
        self.hist.resize(n + self.row_len, 0);
        n + 1
    }
}

/// The tokens of a row of the reference: `SEP enc(C)`, as bytes.
fn encode_row(dict: &Dictionary, config: &WindowConfig, row: &mut [u8]) {
    row[0] = dict.encode(CellToken::Sep).0 as u8;
    for i in 0..config.cells.len() {
        row[1 + i] = dict.encode(config.token(i)).0 as u8;
    }
}

/// The peak resident set size of this process in bytes (`VmHWM` of `/proc/self/status`), where
/// the system reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Emulates `machine` with a `cells` predictor on the row executor, every row compared with the
/// interpreter's row for its step; the report is the token executor's, with `executor: "rows"`.
///
/// `threads` (1 or 2) splits long rows over cores. `progress` is called about every 2^20
/// tokens with the number generated so far.
///
/// ```
/// use arsim::{compiler::machine_to_cells_predictor, emulate::EmulateOptions};
/// use arsim::{machine::load_machine, rows::emulate_cells_rows};
/// let bb3 = load_machine("1RB1RZ_1LB0RC_1LC1LA").unwrap();
/// let opts = EmulateOptions { input: Default::default(), window: None, max_steps: 1_000 };
/// let w = opts.window_for(&bb3);
/// let p = machine_to_cells_predictor(&bb3, w);
/// let report = emulate_cells_rows(&bb3, p, &opts, 1, &mut |_| {}).unwrap();
/// assert!(report.agree);
/// assert_eq!((report.executor, report.steps), ("rows", 21));
/// assert_eq!(report.generated_tokens, 21 * (w.size as u64 + 1));
/// ```
pub fn emulate_cells_rows(
    machine: &Machine,
    predictor: LinearAr,
    opts: &EmulateOptions,
    threads: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let window = opts.window_for(machine);
    let dict = cells_dictionary_of(machine, &predictor)?;
    let row_len = window.size + 1;
    let offsets = predictor.layout().offsets.clone();
    let mut config = WindowConfig::initial(machine, &opts.input, window)?;
    let mut exec = RowExecutor::new(predictor, row_len, threads)?;
    let start = Instant::now();
    let mut reference = vec![0u8; row_len];
    encode_row(&dict, &config, &mut reference);
    for &t in &reference {
        exec.feed(TokenId(t as u32));
    }
    let mut steps = 0u64;
    let mut end: Option<TraceEnd> = None;
    // Advances the reference to the next row; `false` (with `end` set) when there is none.
    let advance = |config: &mut WindowConfig, reference: &mut [u8], steps: &mut u64| {
        if config.is_final(machine) {
            let stop = if machine.is_halting(config.state) {
                Stop::Halted
            } else {
                Stop::NoRule
            };
            return Err(TraceEnd::Final(stop));
        }
        if *steps >= opts.max_steps {
            return Err(TraceEnd::StepLimit);
        }
        let from = config.head;
        config
            .step(machine, *steps + 1)
            .map_err(TraceEnd::LeftWindow)?;
        for i in [from, config.head] {
            reference[1 + i] = dict.encode(config.token(i)).0 as u8;
        }
        *steps += 1;
        Ok(())
    };
    let mut diverged: Option<usize> = None;
    let mut generated = 0u64;
    let mut next_report = 1u64 << 20;
    if let Err(e) = advance(&mut config, &mut reference, &mut steps) {
        end = Some(e);
    } else {
        exec.run(u64::MAX, &mut |row| {
            if row != &reference[..] {
                diverged = row.iter().zip(&reference).position(|(a, b)| a != b);
                return false;
            }
            generated += row_len as u64;
            if generated >= next_report {
                progress(generated);
                next_report = generated + (1 << 20);
            }
            match advance(&mut config, &mut reference, &mut steps) {
                Ok(()) => true,
                Err(e) => {
                    end = Some(e);
                    false
                }
            }
        })?;
    }
    let seconds = start.elapsed().as_secs_f64();
    // The stop rule of `cells` (a final head in the row just generated) reads only tokens; on
    // rows equal to the interpreter's it fires exactly where the reference ends in a final
    // configuration, so no overrun check is needed once every row agreed.
    let divergence = diverged.map(|col| {
        generated += col as u64 + 1;
        let position = exec.position() - row_len as u64 + col as u64;
        let k = exec.predictor().max_offset();
        let context = exec.tokens_before(position, k);
        let got = exec.tokens_before(position + 1, 1)[0];
        let ring_len = (k + 1).next_power_of_two();
        let mut ring = vec![TokenId(dict.len() as u32); ring_len];
        ring[ring_len - k..].copy_from_slice(&context);
        let mut ranked: Vec<(TokenId, f64)> = exec
            .predictor()
            .scores(&Context::new(&ring, 0), position)
            .into_iter()
            .enumerate()
            .map(|(i, s)| (TokenId(i as u32), s))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(2);
        Divergence {
            position,
            expected: Some(TokenId(reference[col] as u32)),
            got: Some(got),
            top: ranked,
            context,
        }
    });
    let (stop, left_window) = stop_of(&end);
    let first_divergence =
        divergence.map(|d| token_divergence(d, window, &offsets, |t| dict.name(machine, t)));
    let s1 = row_len as u64;
    Ok(EmulationReport {
        machine: machine.name().to_string(),
        encoding: "cells",
        executor: "rows",
        input: machine.render(&opts.input),
        head_start: opts.input.head,
        steps,
        stop,
        tape_cells: window.size,
        origin: window.origin,
        dictionary: dict.len(),
        offsets,
        prompt_tokens: s1,
        generated_tokens: generated,
        expected_tokens: steps * s1,
        agree: first_divergence.is_none(),
        first_divergence,
        tokens_per_second: if seconds > 0.0 {
            generated as f64 / seconds
        } else {
            0.0
        },
        seconds,
        peak_rss_bytes: peak_rss_bytes(),
        left_window,
        left_moves: None,
        gates: None,
        cells_tokens: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::machine_to_cells_predictor;
    use crate::encoding::cells::Window;
    use crate::executor::Executor;
    use crate::machine::load::from_standard;
    use crate::machine::Input;
    use crate::predictor::Layout;
    use nalgebra::DMatrix;

    /// A predictor with pseudo-random weights in `-r..=r` (ties likely) at offsets s, s+1, s+2.
    fn random_predictor(vocab: usize, s: usize, r: i32, seed: u64) -> LinearAr {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % (2 * r as u64 + 1)) as i32 - r
        };
        let offsets = vec![s, s + 1, s + 2];
        let weights = (0..3)
            .map(|_| DMatrix::from_fn(vocab, vocab, |_, _| next()))
            .collect();
        let layout = Layout {
            tokens: (0..vocab).map(|i| format!("t{i}")).collect(),
            offset_names: offsets.iter().map(|o| o.to_string()).collect(),
            offsets,
        };
        LinearAr::new(layout, weights)
    }

    /// The token executor's stream after `prompt`, `n` tokens.
    fn token_stream(p: &LinearAr, prompt: &[u32], n: usize) -> Vec<u8> {
        let mut e = Executor::new(p.clone());
        for &t in prompt {
            e.feed(TokenId(t));
        }
        (0..n).map(|_| e.step().0 as u8).collect()
    }

    fn row_stream(
        p: &LinearAr,
        prompt: &[u32],
        rows: u64,
        row_len: usize,
        threads: usize,
    ) -> Vec<u8> {
        let mut e = RowExecutor::new(p.clone(), row_len, threads).unwrap();
        for &t in prompt {
            e.feed(TokenId(t));
        }
        let mut out = Vec::new();
        e.run(rows, &mut |row| {
            out.extend_from_slice(row);
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn packed_keys_and_columns_agree_with_exact_argmax() {
        // (|D|, weights in -r..=r, seed, packed?): packing needs (hi − lo)·2^b + 2^b − 1 ≤ 255.
        let cases = [
            (5, 2, 1, true),
            (15, 2, 2, true),
            (13, 1, 3, true),
            (31, 1, 4, true),
            (40, 1, 5, false),
            (7, 40, 6, false),
        ];
        for (vocab, r, seed, packed) in cases {
            let s = 70;
            let p = random_predictor(vocab, s, r, seed);
            let mut scorer = RowScorer::new(&p);
            assert_eq!(scorer.kind() != "columns", packed, "vocab {vocab} r {r}");
            let mut portable = scorer.portable();
            let mut exact = p.clone();
            let mut past = vec![0u8; 3 * s];
            let mut x = seed;
            for t in past.iter_mut() {
                x = x.wrapping_mul(0x9E3779B97F4A7C15).wrapping_add(7);
                *t = ((x >> 40) % (vocab as u64 + 1)) as u8; // padding included
            }
            let mut a = vec![0u8; s];
            let mut b = vec![0u8; s];
            scorer.score(&past, 0, &mut a);
            portable.score(&past, 0, &mut b);
            for i in 0..s {
                let q = past.len() + i;
                let inputs = [s, s + 1, s + 2].map(|j| TokenId(past[q - j] as u32));
                let want = exact.argmax_of(&inputs).0 as u8;
                assert_eq!(
                    (a[i], b[i]),
                    (want, want),
                    "vocab {vocab} r {r} position {i}"
                );
            }
        }
    }

    #[test]
    fn rows_equal_tokens_on_random_weights_one_and_two_threads() {
        // Rows long enough to be split over two threads, with a ragged tail.
        for (vocab, s, seed) in [(15, PARALLEL_MIN_ROW + 37, 11), (9, 100, 12), (31, 5, 13)] {
            let p = random_predictor(vocab, s, 2, seed);
            let prompt: Vec<u32> = (0..=s).map(|i| (i * 7 % vocab) as u32).collect();
            let rows = 6;
            let want = token_stream(&p, &prompt, rows * (s + 1));
            for threads in [1, 2] {
                assert_eq!(row_stream(&p, &prompt, rows as u64, s + 1, threads), want);
            }
        }
    }

    #[test]
    fn near_offsets_do_not_qualify() {
        let p = random_predictor(5, 3, 1, 1);
        assert_eq!(
            RowExecutor::qualifies(&p, 5),
            Err(RowsError::NearOffset { min: 3, row_len: 5 })
        );
        assert!(RowExecutor::qualifies(&p, 4).is_ok());
    }

    #[test]
    fn a_wrong_weight_is_reported_at_its_token() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let good = machine_to_cells_predictor(&m, w);
        let opts = EmulateOptions {
            input: Input::default(),
            window: Some(w),
            max_steps: 100,
        };
        let want =
            crate::emulate::emulate_cells_with(&m, good.clone(), &opts, &mut |_| {}).unwrap();
        let got = emulate_cells_rows(&m, good.clone(), &opts, 1, &mut |_| {}).unwrap();
        assert!(got.agree);
        assert_eq!(
            (got.steps, got.generated_tokens, &got.stop),
            (want.steps, want.generated_tokens, &want.stop)
        );
        // A wrong weight: a SEP one back in the row above now votes for ⟨0⟩ over SEP.
        let mut weights = good.weights().to_vec();
        weights[1][(1, 0)] = 20;
        let bad = LinearAr::new(good.layout().clone(), weights);
        let want = crate::emulate::emulate_cells_with(&m, bad.clone(), &opts, &mut |_| {}).unwrap();
        let got = emulate_cells_rows(&m, bad, &opts, 1, &mut |_| {}).unwrap();
        assert!(!got.agree);
        assert_eq!(got.first_divergence, want.first_divergence);
        assert_eq!(got.generated_tokens, want.generated_tokens);
    }
}
