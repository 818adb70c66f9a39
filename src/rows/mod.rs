//! The row-parallel executor: a whole row scored at once, vectorised across positions.
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
//! `vpermb` (or 32 with AVX2 `vpshufb`, or one at a time in portable Rust: [`RowIsa`] picks the
//! path, by default the best the CPU has). The argmax is one running unsigned byte maximum of a
//! packed key
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
//! The executor knows token ids only; `emulate::rows` runs an encoding's emulation on it, each
//! generated row compared with the reference row of its trace.

use crate::predictor::{LinearAr, Predictor, TokenId};

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
    /// The scorer path asked for needs a CPU feature this CPU lacks.
    #[error(transparent)]
    Isa(#[from] IsaError),
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

/// How [`RowExecutor::run_checked`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Rows generated, a diverging one included.
    pub rows: u64,
    /// The first token that differs from the reference: its column in the last row, and the
    /// reference's token there.
    pub divergence: Option<(usize, u8)>,
}

/// Rows at least this long run on two threads (`rows::blocks`: each side scores its half widened
/// by margins of up to 64 positions, which shorter rows would spend most of their time on).
pub const PARALLEL_MIN_ROW: usize = 2048;

// Each side keeps at least an eighth of a row, wider than its two margins.
const _: () = assert!(PARALLEL_MIN_ROW / 8 > 2 * (blocks::MAX_BLOCK + 1));

mod blocks;
mod isa;
mod scorer;

pub use isa::{IsaError, RowIsa};
pub use scorer::RowScorer;

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
    /// to run rows of at least [`PARALLEL_MIN_ROW`] tokens on two cores.
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

    /// [`RowExecutor::new`] with its row scorer on the path `isa` names
    /// ([`RowScorer::with_isa`]).
    pub fn with_isa(
        predictor: LinearAr,
        row_len: usize,
        threads: usize,
        isa: RowIsa,
    ) -> Result<RowExecutor, RowsError> {
        let mut e = RowExecutor::new(predictor, row_len, threads)?;
        e.scorer = RowScorer::with_isa(&e.predictor, isa)?;
        Ok(e)
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
        if !self.two_threads() {
            let mut rows = 0;
            while rows < max_rows {
                let start = self.one_row();
                rows += 1;
                if !on_row(&self.hist[start..]) {
                    break;
                }
            }
            return Ok(rows);
        }
        let check = blocks::Check::Rows(on_row);
        Ok(self.run_two(max_rows, check).0)
    }

    /// Generates rows until `max_rows`, the first token that differs from the reference, or
    /// the reference's end, whichever comes first. `reference` fills the next reference row
    /// (overwriting the previous one, as [`Trace::next_row`](crate::encoding::Trace::next_row)
    /// does) and returns `false` once the reference has ended; `twin` is a second source of
    /// the same rows, for the second thread, so that each thread compares its own side of a
    /// row (one thread does not read the cells the other wrote).
    pub fn run_checked(
        &mut self,
        max_rows: u64,
        reference: &mut dyn FnMut(&mut [u8]) -> bool,
        twin: &mut (dyn FnMut(&mut [u8]) -> bool + Send),
    ) -> Result<Checked, RowsError> {
        if !self.pos.is_multiple_of(self.row_len as u64) {
            return Err(RowsError::Misaligned {
                pos: self.pos,
                row_len: self.row_len,
            });
        }
        if self.two_threads() {
            let check = blocks::Check::Reference(reference, twin);
            let (rows, divergence) = self.run_two(max_rows, check);
            return Ok(Checked { rows, divergence });
        }
        let mut expected = self.hist[self.hist.len() - self.row_len..].to_vec();
        let mut rows = 0;
        while rows < max_rows && reference(&mut expected) {
            let start = self.one_row();
            rows += 1;
            let row = &self.hist[start..];
            // `!=` first: a vectorised comparison; the column only where they differ.
            if row != &expected[..] {
                let k = row
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                return Ok(Checked {
                    rows,
                    divergence: Some((k, expected[k])),
                });
            }
        }
        Ok(Checked {
            rows,
            divergence: None,
        })
    }

    /// Whether rows run on two threads: asked for, rows of at least [`PARALLEL_MIN_ROW`]
    /// tokens, and offsets within one of the row length (`rows::blocks`). Only then does
    /// [`RowExecutor::run_checked`] call its second source.
    pub fn two_threads(&self) -> bool {
        self.threads >= 2
            && self.row_len >= PARALLEL_MIN_ROW
            && blocks::fits(&self.offsets, self.row_len)
    }

    /// Rows on two threads ([`blocks`]); the position moves past the rows generated.
    fn run_two(&mut self, max_rows: u64, check: blocks::Check<'_>) -> (u64, Option<(usize, u8)>) {
        let parts = blocks::Parts {
            hist: &mut self.hist,
            row_len: self.row_len,
            offsets: &self.offsets,
            scorer: &self.scorer,
            pad: self.vocab as u8,
        };
        let (rows, divergence) = blocks::run(parts, max_rows, check);
        self.pos += rows * self.row_len as u64;
        (rows, divergence)
    }

    /// Generates one row on this thread; returns where it starts in `hist` (it ends `hist`).
    fn one_row(&mut self) -> usize {
        let start = self.begin_row();
        let (past, out) = self.hist.split_at_mut(start);
        self.scorer.score(past, 0, out);
        self.pos += self.row_len as u64;
        start - 1
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;
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

    /// A predictor with pseudo-random weights in `-r..=r` at the given offsets.
    fn predictor_at(vocab: usize, offsets: Vec<usize>, r: i32, seed: u64) -> LinearAr {
        let mut p = random_predictor(vocab, 1, r, seed);
        let weights = p
            .weights()
            .iter()
            .cycle()
            .take(offsets.len())
            .cloned()
            .collect();
        let layout = Layout {
            tokens: p.layout().tokens.clone(),
            offset_names: offsets.iter().map(|o| o.to_string()).collect(),
            offsets,
        };
        p = LinearAr::new(layout, weights);
        p
    }

    #[test]
    fn two_threads_equal_tokens_across_blocks_stops_and_resumes() {
        // 1,100 rows of 2,101 tokens: 18 blocks of the two threads, every slot of the edge rows
        // and of the rows handed over reused many times; stopped inside a block.
        let len = PARALLEL_MIN_ROW + 53;
        let cases = [
            // cells' offsets (L−1, L, L+1): two threads
            predictor_at(15, vec![len - 1, len, len + 1], 2, 21),
            // offsets two and three rows back: one thread, whatever was asked
            predictor_at(9, vec![2 * len + 5, len - 1, 3 * len], 2, 22),
        ];
        for p in cases {
            let prompt: Vec<u32> = (0..3 * len).map(|i| (i * 7 % p.vocab()) as u32).collect();
            let rows = 1_100;
            let want = token_stream(&p, &prompt, rows * len);
            let mut e = RowExecutor::new(p.clone(), len, 2).unwrap();
            for &t in &prompt {
                e.feed(TokenId(t));
            }
            let mut got = Vec::new();
            // Stopped by the caller at row 700 (of at most 777), then resumed for the rest.
            let ran = e
                .run(777, &mut |row| {
                    got.extend_from_slice(row);
                    got.len() < 700 * len
                })
                .unwrap();
            assert_eq!(ran, 700);
            assert_eq!(e.position(), (prompt.len() + 700 * len) as u64);
            let ran = e
                .run((rows - 700) as u64, &mut |row| {
                    got.extend_from_slice(row);
                    true
                })
                .unwrap();
            assert_eq!(ran, (rows - 700) as u64);
            assert_eq!(got.len(), want.len());
            let first = got.iter().zip(&want).position(|(a, b)| a != b);
            assert_eq!(first, None, "first difference at token {first:?}");
            // The history left behind is the stream's own: the last two rows at least.
            let n = e.position();
            let tail: Vec<u8> = e
                .tokens_before(n, 2 * len)
                .iter()
                .map(|t| t.0 as u8)
                .collect();
            assert_eq!(tail, want[want.len() - 2 * len..]);
        }
    }

    #[test]
    fn two_threads_on_long_rows_meet_in_shorter_blocks() {
        // Rows of 300,001 tokens: blocks of 13 rows (a thread's rows stay within a few MiB),
        // 40 rows are three blocks and a ragged one, through both ways of checking.
        let len = 300_001;
        assert_eq!(blocks::block_rows(len), 13);
        let p = predictor_at(7, vec![len - 1, len, len + 1], 2, 41);
        let prompt: Vec<u32> = (0..len).map(|i| (i * 3 % 7) as u32).collect();
        let rows = 40;
        let want = token_stream(&p, &prompt, rows * len);
        assert!(row_stream(&p, &prompt, rows as u64, len, 2) == want);
        let mut e = RowExecutor::new(p, len, 2).unwrap();
        for &t in &prompt {
            e.feed(TokenId(t));
        }
        let source = || {
            let (want, mut row) = (want.clone(), 0);
            move |buf: &mut [u8]| {
                let more = row < rows;
                if more {
                    buf.copy_from_slice(&want[row * len..(row + 1) * len]);
                    row += 1;
                }
                more
            }
        };
        let (mut a, mut b) = (source(), source());
        let checked = e.run_checked(u64::MAX, &mut a, &mut b).unwrap();
        assert_eq!((checked.rows, checked.divergence), (rows as u64, None));
    }

    #[test]
    fn checked_runs_find_the_first_divergence_on_either_side_and_the_reference_end() {
        let len = PARALLEL_MIN_ROW + 53;
        let p = predictor_at(15, vec![len - 1, len, len + 1], 2, 31);
        let prompt: Vec<u32> = (0..len).map(|i| (i * 5 % 15) as u32).collect();
        let rows = 300;
        let want = token_stream(&p, &prompt, rows * len);
        // (row, column) of a planted difference: left of the split, right of it, the first
        // token, the last cell; or none with the reference ending at row 250.
        // Blocks are 64 rows: rows 0, 63, 64 and 127 are a block's first or last.
        let cases = [
            Some((0, 9)),
            Some((40, 17)),
            Some((41, len - 300)),
            Some((63, len - 2)),
            Some((64, 1)),
            Some((127, len - 70)),
            Some((130, 0)),
            Some((200, len - 1)),
            None,
        ];
        for plant in cases {
            let mut reference = want.clone();
            if let Some((r, c)) = plant {
                reference[r * len + c] ^= 1;
            }
            let end = if plant.is_none() { 250 } else { rows };
            let source = |reference: Vec<u8>| {
                let mut row = 0;
                move |buf: &mut [u8]| {
                    if row == end {
                        return false;
                    }
                    buf.copy_from_slice(&reference[row * len..(row + 1) * len]);
                    row += 1;
                    true
                }
            };
            for threads in [1, 2] {
                let mut e = RowExecutor::new(p.clone(), len, threads).unwrap();
                for &t in &prompt {
                    e.feed(TokenId(t));
                }
                let (mut a, mut b) = (source(reference.clone()), source(reference.clone()));
                let got = e.run_checked(rows as u64, &mut a, &mut b).unwrap();
                let expect = match plant {
                    Some((r, c)) => Checked {
                        rows: r as u64 + 1,
                        divergence: Some((c, reference[r * len + c])),
                    },
                    None => Checked {
                        rows: 250,
                        divergence: None,
                    },
                };
                assert_eq!(got, expect, "plant {plant:?}, {threads} threads");
                assert_eq!(e.position(), (prompt.len() as u64) + got.rows * len as u64);
                // What the executor keeps is the predictor's own stream up to there.
                let n = got.rows as usize * len;
                let kept: Vec<u8> = e
                    .tokens_before(e.position(), len)
                    .iter()
                    .map(|t| t.0 as u8)
                    .collect();
                assert_eq!(kept, want[n - len..n]);
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
}
