//! Two threads on every row, each on its own side, a fixed lag apart: the wavefront.
//!
//! A row reads only earlier rows and its own first token, and every offset is at least the
//! row length L minus one, so the cell at index i of row r reads row r−1 at indices ≤ i + 1
//! and nothing later. Split every row at one cell, `split`: the calling thread (left) scores
//! the first token and the cells left of the split, the worker (right) the cells from it on.
//!
//! - **Left**, row r: waits until right has begun row r−1 (so right has finished row r−2, and
//!   written the first cells right of the split, which left's edge reads), scores the first
//!   token, then its cells next to the split (and says so), then the rest of its side.
//! - **Right**, row r: waits for left's edge of row r−1 (its first cell reads the last cell
//!   left of the split), scores a short first chunk (and says so), then the rest; the row's
//!   last cell reads the row's own first token, so it waits for left to have begun row r.
//!
//! Each thread can thus run up to about a row ahead of the other, and waits on it only at a
//! cell the other reached long ago when the two sides take the same time. Each side's cells
//! stay in its own core's cache: only the cells at the split and the counters cross cores.
//! Whole rows given to the threads in turn send every row across, and on a 2-core Xeon ran at
//! 1.3× one thread.
//!
//! - **Checking** ([`Check`]): with two copies of the reference, each thread compares its own
//!   side of each row with its own copy, so neither reads the other's cells (left reading
//!   right's half to compare it cost as much as scoring it); the first divergence either finds
//!   bounds the run. With one callback, left hands it each whole row.
//! - **The split moves at every epoch** so that neither thread waits for the other: each
//!   measures the time it spent waiting, and half the difference, in cells, moves the split.
//! - **The threads start on two CPUs** (Linux): a new thread starts beside its parent and the
//!   kernel moved it only after ~15 ms, during which the two took turns on one core. The worker
//!   pins itself away from the caller's CPU for its first rows, then gives the pin back.
//! - **The buffer is fixed** (no reallocation while two threads hold pointers into it): a
//!   history prefix of `keep` (the largest offset) tokens, then `epoch` row slots (2 MiB; an
//!   epoch's barrier costs a few microseconds, against ~0.4 ms of rows on BB(5)). At each
//!   epoch's first row both threads meet: left waits for right to finish the row before,
//!   copies its last `keep` tokens into the prefix, moves the split, and lets right go on.
//!
//! Every slice a thread reads holds only positions it waited for (acquire ordering on the
//! counters), none that the other may still write, and every slice it writes is its own side
//! of its own row, so no memory is read and written at once.

use super::RowScorer;
use crate::predictor::{LinearAr, TokenId};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// A source of reference rows (`Trace::next_row`: overwrites the previous row, `false` once
/// the reference has ended) and its row.
type Source<'a> = (&'a mut (dyn FnMut(&mut [u8]) -> bool + Send), Vec<u8>);

/// How a run is checked.
pub(super) enum Check<'a> {
    /// The caller compares each row, in order, on this thread (`false`: stop after it).
    Rows(&'a mut dyn FnMut(&[u8]) -> bool),
    /// Each thread compares its side of each row with its own copy of the reference, so no
    /// thread reads the other's side: this thread's source and the worker's.
    Reference(
        &'a mut dyn FnMut(&mut [u8]) -> bool,
        &'a mut (dyn FnMut(&mut [u8]) -> bool + Send),
    ),
}

/// Spins before a waiting thread yields its core.
const SPINS: u32 = 256;
/// Cells of right's first chunk of a row (what left waits for).
const FIRST_CHUNK: usize = 256;

/// An atomic alone on its cache line pair, so the two threads' writes do not share a line.
#[repr(align(128))]
struct Padded(AtomicU64);

impl Padded {
    fn new(v: u64) -> Padded {
        Padded(AtomicU64::new(v))
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
    fn set(&self, v: u64) {
        self.0.store(v, Ordering::Release)
    }
    /// Asks for the counter's line ahead of a wait on it, so that the wait's load does not
    /// stall on the other core's cache (a hint: no effect on what is read).
    #[inline]
    fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: prefetching is a hint on a valid address; it reads and writes nothing.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                &self.0 as *const AtomicU64 as *const i8,
            )
        };
    }
}

/// What the two threads share. Rows count from the run's first (rows before it are the
/// prompt, complete); a counter `n` means rows `< n` have reached that point.
struct Shared {
    /// Rows whose first token left has written.
    left_first: Padded,
    /// Rows whose left cells next to the split (what right's next row reads) are written.
    left_edge: Padded,
    /// Rows whose right side's first chunk is complete.
    right_first: Padded,
    /// Rows whose right side is complete.
    right_done: Padded,
    /// The epoch's first row once left has copied the prefix and set the split.
    epoch_go: Padded,
    /// The split: the first cell (index into the row's cells, after its first token) of right.
    split: Padded,
    /// Nanoseconds right spent waiting for left.
    right_waited: Padded,
    /// The first divergence from the reference either thread found, as
    /// `(row·L + column) << 8 | expected token` (`u64::MAX`: none).
    div: Padded,
    /// Set when the run ends (or unwinds): waits return `false`.
    stop: AtomicBool,
    /// The buffer: `keep` tokens of history, then `epoch` row slots.
    buf: *mut u8,
    row_len: usize,
    keep: usize,
    epoch: u64,
    max_rows: u64,
    /// The smallest offset (at least `row_len − 1`).
    min_offset: usize,
}

// SAFETY: the buffer is shared by design; the module doc says why no byte is read and written
// at once (every access is ordered by the progress counters).
unsafe impl Sync for Shared {}

/// Sets `stop` when dropped, so the other thread ends even if the caller's loop unwinds.
struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// One thread's tools: its scorer, and (left) the predictor and inputs for first tokens.
struct Hands {
    scorer: RowScorer,
    predictor: LinearAr,
    inputs: Vec<TokenId>,
    offsets: Vec<usize>,
    /// Nanoseconds spent waiting.
    waited: u64,
}

/// Starts the calling thread on a CPU other than `other`'s, where the process may use one:
/// the kernel first places a new thread beside its parent and moves it only after many
/// milliseconds, during which the two would take turns on one core. Returns the affinity to
/// restore once the threads run apart (the kernel then has no reason to bring them together).
#[cfg(target_os = "linux")]
fn start_apart(other: libc::c_int) -> Option<libc::cpu_set_t> {
    // SAFETY: `cpu_set_t` is plain data, and these calls only read and write the sets given.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if other < 0 || libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return None;
        }
        let cpu = (0..libc::CPU_SETSIZE as usize)
            .find(|&c| c != other as usize && libc::CPU_ISSET(c, &allowed))?;
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        (libc::sched_setaffinity(0, size, &one) == 0).then_some(allowed)
    }
}

/// Gives the calling thread back the affinity `start_apart` took from it.
#[cfg(target_os = "linux")]
fn end_apart(allowed: Option<libc::cpu_set_t>) {
    if let Some(allowed) = allowed {
        // SAFETY: as in `start_apart`.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &allowed) };
    }
}

impl Shared {
    /// Where row `row` starts in the buffer.
    fn start(&self, row: u64) -> usize {
        self.keep + (row % self.epoch) as usize * self.row_len
    }

    /// The row of the first divergence found so far (`u64::MAX`: none).
    fn div_row(&self) -> u64 {
        match self.div.get() {
            u64::MAX => u64::MAX,
            d => (d >> 8) / self.row_len as u64,
        }
    }

    /// Records a divergence at `column` of `row`, where the reference has `expected`.
    fn diverged(&self, row: u64, column: usize, expected: u8) {
        let key = (row * self.row_len as u64 + column as u64) << 8 | expected as u64;
        self.div.0.fetch_min(key, Ordering::AcqRel);
    }

    /// Waits, for the sake of row `row`, until `counter ≥ n`, spinning a little and then
    /// yielding the core (the thread waited on may be waiting for it); `false` once `stop` is
    /// set or a divergence before `row` ends the run. Time spent is added to `waited`.
    #[inline]
    fn wait(&self, counter: &Padded, n: u64, row: u64, waited: &mut u64) -> bool {
        if counter.get() >= n {
            return true;
        }
        let t0 = Instant::now();
        let mut spins = 0u32;
        while counter.get() < n {
            if self.stop.load(Ordering::Acquire) || self.div_row() < row {
                return false;
            }
            if spins < SPINS {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        *waited += t0.elapsed().as_nanos() as u64;
        true
    }

    /// Compares cells `lo..hi` of row `row` with the same cells of `reference` (the row's
    /// tokens); `false` (and the divergence recorded) where one differs.
    fn check(&self, row: u64, lo: usize, hi: usize, reference: &[u8]) -> bool {
        let start = self.start(row);
        // SAFETY: these cells of this row are this thread's, written.
        let got = unsafe { std::slice::from_raw_parts(self.buf.add(start + lo), hi - lo) };
        // `==` first: a vectorised comparison; the column only where they differ.
        if got == &reference[lo..hi] {
            return true;
        }
        let k = got
            .iter()
            .zip(&reference[lo..hi])
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        self.diverged(row, lo + k, reference[lo + k]);
        false
    }

    /// Scores cells `lo..hi` of row `row` (cell c is the row's token c + 1).
    fn score_cells(&self, row: u64, lo: usize, hi: usize, scorer: &mut RowScorer) {
        if lo >= hi {
            return;
        }
        let out_start = self.start(row) + 1 + lo;
        // Cells lo..hi read positions from out_start − keep (the largest offset) up to
        // out_start + (hi − lo) − 1 − min_offset.
        let (read_lo, read_end) = (out_start - self.keep, out_start + hi - lo - self.min_offset);
        // SAFETY: `past` holds only positions the caller waited for (see the module doc), none
        // that the other thread may be writing; `out` is this thread's side of this row.
        unsafe {
            let past = std::slice::from_raw_parts(self.buf.add(read_lo), read_end - read_lo);
            let out = std::slice::from_raw_parts_mut(self.buf.add(out_start), hi - lo);
            scorer.score(past, out_start - read_end, out);
        }
    }

    /// Left's row: the first token, the cells next to the split (which right's next row reads),
    /// then the rest of its side. `false` if stopped.
    fn left_row(&self, row: u64, split: usize, hands: &mut Hands) -> bool {
        // Right has begun the row before: it has finished the one before that, and written the
        // cells right of the split that this row's edge reads.
        if !self.wait(&self.right_first, row, row, &mut hands.waited) {
            return false;
        }
        let start = self.start(row);
        for (x, &j) in hands.inputs.iter_mut().zip(&hands.offsets) {
            // SAFETY: start − j ≥ keep − max offset ≥ 0; position start − j ≤ the previous
            // row's token 1 (left's own) or in an older row, complete.
            *x = TokenId(unsafe { *self.buf.add(start - j) } as u32);
        }
        let first = hands.predictor.argmax_of(&hands.inputs).0 as u8;
        // SAFETY: position `start` is this row's first token, left's alone.
        unsafe { *self.buf.add(start) = first };
        self.left_first.set(row + 1);
        let edge = split.saturating_sub(FIRST_CHUNK);
        self.score_cells(row, edge, split, &mut hands.scorer);
        self.left_edge.set(row + 1);
        self.right_first.prefetch();
        self.score_cells(row, 0, edge, &mut hands.scorer);
        true
    }

    /// The worker: right's side of every row until the run ends or stops; with a reference,
    /// each row's side compared with it.
    fn right(&self, mut hands: Hands, mut reference: Option<Source<'_>>, left_cpu: i32) {
        #[cfg(target_os = "linux")]
        let mut apart = Some(start_apart(left_cpu));
        #[cfg(not(target_os = "linux"))]
        let _ = left_cpu;
        let cells = self.row_len - 1;
        let mut split = self.split.get() as usize;
        for row in 0..self.max_rows {
            #[cfg(target_os = "linux")]
            if row == 64 {
                end_apart(apart.take().flatten());
            }
            if self.div_row() < row {
                return;
            }
            if let Some((next, buf)) = &mut reference {
                if !next(buf) {
                    return;
                }
            }
            if row > 0 && row.is_multiple_of(self.epoch) {
                self.right_waited.set(hands.waited);
                if !self.wait(&self.epoch_go, row, row, &mut hands.waited) {
                    return;
                }
                split = self.split.get() as usize;
            }
            // The first cell reads the previous row's last cell left of the split.
            if !self.wait(&self.left_edge, row, row, &mut hands.waited) {
                return;
            }
            let mid = (split + FIRST_CHUNK).min(cells - 1).max(split);
            self.score_cells(row, split, mid, &mut hands.scorer);
            self.right_first.set(row + 1);
            self.left_first.prefetch();
            self.score_cells(row, mid, cells - 1, &mut hands.scorer);
            // The last cell reads this row's first token.
            if !self.wait(&self.left_first, row + 1, row, &mut hands.waited) {
                return;
            }
            self.score_cells(row, cells - 1, cells, &mut hands.scorer);
            self.right_done.set(row + 1);
            self.left_edge.prefetch();
            if let Some((_, buf)) = &reference {
                if !self.check(row, split + 1, self.row_len, buf) {
                    return;
                }
            }
        }
    }

    /// The new split after an epoch of `rows` rows that took `wall` ns: half the difference of
    /// the two threads' waits, in cells, moves it toward the thread that waited.
    fn rebalance(&self, split: usize, rows: u64, wall: u64, left: u64, right: u64) -> usize {
        let cells = (self.row_len - 1) as f64;
        // Both threads' working time over the cells they scored: time per cell.
        let busy = (2 * wall).saturating_sub(left + right) as f64;
        let per_cell = busy / (rows as f64 * cells);
        if per_cell <= 0.0 || rows == 0 {
            return split;
        }
        // Right waited longer: left is the slower side, give it fewer cells.
        let shift = (left as f64 - right as f64) / rows as f64 / per_cell / 2.0;
        let lo = (cells / 8.0).max(1.0);
        let hi = (cells * 7.0 / 8.0).max(lo);
        let next = (split as f64 + shift.clamp(-cells / 8.0, cells / 8.0)).clamp(lo, hi);
        // Whole vectors of 64 cells on left's side.
        ((next as usize).next_multiple_of(64).min(hi as usize)).max(1)
    }
}

/// What a run on two threads takes of the executor: its history (the last `max_offset`
/// tokens at least, rows after it; left ending with the last row generated), its row length,
/// its largest and smallest offsets and its tools (each thread clones its own).
pub(super) struct Parts<'a> {
    pub hist: &'a mut Vec<u8>,
    pub row_len: usize,
    pub max_offset: usize,
    pub scorer: &'a RowScorer,
    pub predictor: &'a LinearAr,
    pub inputs: &'a [TokenId],
    pub offsets: &'a [usize],
}

/// Runs up to `max_rows` rows of `exec` on two threads, checked as `check` says; returns the
/// rows generated (a refused or diverging row included) and the first divergence from the
/// reference, `(column in the last row, expected token)`.
pub(super) fn run(exec: Parts<'_>, max_rows: u64, check: Check<'_>) -> (u64, Option<(usize, u8)>) {
    if max_rows == 0 {
        return (0, None);
    }
    let len = exec.row_len;
    let cells = len - 1;
    let keep = exec.max_offset;
    // The reference row before the first: the last row of the prompt.
    let last_row = exec.hist[exec.hist.len() - len..].to_vec();
    // The history: the last `keep` tokens first, then the row slots.
    let drop = exec.hist.len() - keep;
    exec.hist.drain(..drop);
    let epoch = ((1usize << 21) / len).max(keep.div_ceil(len) + 8).max(16) as u64;
    exec.hist.resize(keep + epoch as usize * len, 0);
    let sh = Shared {
        left_first: Padded::new(0),
        left_edge: Padded::new(0),
        right_first: Padded::new(0),
        right_done: Padded::new(0),
        epoch_go: Padded::new(0),
        split: Padded::new((cells / 2).next_multiple_of(64).min(cells - 1) as u64),
        right_waited: Padded::new(0),
        div: Padded::new(u64::MAX),
        stop: AtomicBool::new(false),
        buf: exec.hist.as_mut_ptr(),
        row_len: len,
        keep,
        epoch,
        max_rows,
        min_offset: exec.offsets.iter().copied().min().unwrap_or(0),
    };
    let hands = || Hands {
        scorer: exec.scorer.clone(),
        predictor: exec.predictor.clone(),
        inputs: exec.inputs.to_vec(),
        offsets: exec.offsets.to_vec(),
        waited: 0,
    };
    let (theirs, mut mine) = (hands(), hands());
    let (mut on_row, mut own, their_source) = match check {
        Check::Rows(on_row) => (Some(on_row), None, None),
        Check::Reference(own, theirs) => (
            None,
            Some((own, last_row.clone())),
            Some((theirs, last_row)),
        ),
    };
    let rows = std::thread::scope(|s| {
        let sh = &sh;
        // SAFETY: `sched_getcpu` has no preconditions (-1 where it is not known).
        #[cfg(target_os = "linux")]
        let here = unsafe { libc::sched_getcpu() };
        #[cfg(not(target_os = "linux"))]
        let here = -1;
        s.spawn(move || sh.right(theirs, their_source, here));
        let _stop = StopOnDrop(sh);
        let mut split = sh.split.get() as usize;
        let mut epoch_start = (Instant::now(), 0u64, 0u64);
        // Rows before `compared` have been handed to `on_row`; left stays a row ahead of it
        // (row r is handed over before left's row r + 2), so right is not waited for at each
        // row.
        let mut compared = 0u64;
        // Hands rows up to `upto` to `on_row` once right has finished them: `Some(rows)` when
        // the run ends (it refused one, or stopped).
        let mut hand_over = |upto: u64, compared: &mut u64, hands: &mut Hands| -> Option<u64> {
            let on_row = on_row.as_mut()?;
            while *compared < upto {
                let row = *compared;
                if !sh.wait(&sh.right_done, row + 1, row, &mut hands.waited) {
                    return Some(row);
                }
                // SAFETY: a complete row is written by nobody until its slot comes round
                // again, an epoch later.
                let r = unsafe { std::slice::from_raw_parts(sh.buf.add(sh.start(row)), len) };
                *compared += 1;
                if !on_row(r) {
                    return Some(row + 1);
                }
            }
            None
        };
        for row in 0..max_rows {
            if sh.div_row() < row {
                return row;
            }
            if let Some((next, buf)) = &mut own {
                if !next(buf) {
                    return row;
                }
            }
            let meet = row > 0 && row.is_multiple_of(sh.epoch);
            // At an epoch's first row, every row before it; else those before row − 1.
            if let Some(n) = hand_over(
                if meet { row } else { row.saturating_sub(1) },
                &mut compared,
                &mut mine,
            ) {
                return n;
            }
            if meet {
                if !sh.wait(&sh.right_done, row, row, &mut mine.waited) {
                    return row;
                }
                let end = sh.start(row - 1) + len;
                // SAFETY: every row before `row` is complete and right waits on `epoch_go`;
                // nobody reads the prefix now. `copy` is a memmove.
                unsafe { std::ptr::copy(sh.buf.add(end - keep), sh.buf, keep) };
                let (t0, left0, right0) = epoch_start;
                let right_waited = sh.right_waited.get();
                split = sh.rebalance(
                    split,
                    sh.epoch,
                    t0.elapsed().as_nanos() as u64,
                    mine.waited - left0,
                    right_waited - right0,
                );
                sh.split.set(split as u64);
                epoch_start = (Instant::now(), mine.waited, right_waited);
                sh.epoch_go.set(row);
            }
            if !sh.left_row(row, split, &mut mine) {
                return row;
            }
            if let Some((_, buf)) = &own {
                if !sh.check(row, 0, split + 1, buf) {
                    return row + 1;
                }
            }
        }
        hand_over(max_rows, &mut compared, &mut mine).unwrap_or(max_rows)
    });
    // Both threads have stopped: the first divergence either found bounds the rows.
    let (rows, divergence) = match sh.div.get() {
        u64::MAX => (rows, None),
        d => {
            let at = d >> 8;
            let row = at / len as u64;
            (
                row + 1,
                Some(((at % len as u64) as usize, (d & 0xFF) as u8)),
            )
        }
    };
    if rows > 0 {
        let end = sh.start(rows - 1) + len;
        exec.hist.truncate(end);
    } else {
        exec.hist.truncate(keep);
    }
    (rows, divergence)
}
