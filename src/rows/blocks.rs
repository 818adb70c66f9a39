//! Two threads on every row, each on its own side in its own memory, meeting once a block of
//! K rows (64 of BB(5)'s; [`block_rows`]): blocks with margins.
//!
//! Position p reads p − L − 1, p − L and p − L + 1 (offsets within one of the row length L;
//! [`fits`] says when), so K rows of a side depend on the rows before them only within K
//! positions of the side's ends. Split every row at `s`: the calling thread (A) owns positions
//! `0..s` of each row (the first token included), the worker (B) positions `s..L`. For a block
//! of K rows, each thread copies the two rows before the block (from a small shared buffer both
//! filled at the end of the block before) into its own memory, then scores, row by row, its
//! side widened by a margin that shrinks by one position a row: the positions of the other
//! side that its own depend on, computed a second time. The two threads thus touch only their
//! own memory for K rows, wait for each other once a block, and exchange only the two rows at
//! its end. Scoring the margins again costs about K positions a row, 1% of BB(5)'s half rows.
//!
//! This replaced a wavefront (the two sides of each row a row apart, waiting for each other at
//! every row in one shared buffer), which ran BB(5)'s first 10^5 rows at 1.72× one thread:
//! every row's sides written in shared memory were read back slower than on one thread,
//! whichever thread read them, and each row paid its waits twice.
//!
//! Rows are positions: row q, column x (`0 ≤ x < L`) is position qL + x, and x may run past
//! either end of a row (x < 0 is the previous row's tail, x ≥ L the next row's head). Thread
//! A's private row q holds columns `−M..s + M` (M = K + 1, the largest margin and the one
//! position it reads beyond), thread B's columns `s − M..L + M`, so in its private rows a
//! thread's position reads the private row before at the same three neighbours: its offsets
//! become W − 1, W, W + 1 for the private row's width W. In block n, rows r0 = nK up to
//! r0 + k, a thread scores private row q at columns `x0 − g..x1 + g` with g = r0 + k − 1 − q,
//! only positions at or past the block's first (earlier ones are copied): B scores private
//! row r0 − 1 too, whose right margin is row r0's head (the helix: B's right neighbour is A's
//! next row), A never needs to.
//!
//! Checking ([`Check`]): each thread compares its side of each row with its own copy of the
//! reference, the first divergence either finds bounds the run (a thread stops at a row past
//! it, and finishes rows up to it: an earlier divergence on its side wins); or the caller's
//! callback gets each whole row, copied by both threads into three blocks of rows.

use super::RowScorer;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Most rows of a block: the threads meet once per block.
pub(super) const MAX_BLOCK: usize = 64;
/// Fewest rows of a block (rows of millions of tokens).
const MIN_BLOCK: usize = 2;
/// Tokens of a block's rows, about: what bounds a thread's private rows on long rows.
const BLOCK_TOKENS: usize = 4 << 20;

/// Rows of a block for rows of `row_len` tokens: 64, or fewer where 64 rows would pass
/// [`BLOCK_TOKENS`] (each thread keeps a block of its half rows and three more; memory stays
/// within a few rows however long they are, as on one thread).
pub(super) fn block_rows(row_len: usize) -> usize {
    (BLOCK_TOKENS / row_len).clamp(MIN_BLOCK, MAX_BLOCK)
}

/// Spins before a waiting thread yields its core.
const SPINS: u32 = 256;

/// A source of reference rows (`Trace::next_row`: overwrites the previous row, `false` once
/// the reference has ended).
type Source<'a> = &'a mut (dyn FnMut(&mut [u8]) -> bool + Send);

/// A source of reference rows on the thread that calls it.
type LocalSource<'a> = &'a mut dyn FnMut(&mut [u8]) -> bool;

/// The caller's callback for whole rows (`false`: stop after this one).
type OnRow<'a> = &'a mut dyn FnMut(&[u8]) -> bool;

/// How a run is checked.
pub(super) enum Check<'a> {
    /// The caller compares each row, in order, on this thread (`false`: stop after it).
    Rows(OnRow<'a>),
    /// Each thread compares its side of each row with its own copy of the reference: this
    /// thread's source and the worker's.
    Reference(LocalSource<'a>, Source<'a>),
}

/// Whether rows of `row_len` tokens (long enough for margins: the caller's threshold) under
/// `offsets` can run on two threads: every offset within one of the row length.
pub(super) fn fits(offsets: &[usize], row_len: usize) -> bool {
    offsets
        .iter()
        .all(|&j| j + 1 >= row_len && j <= row_len + 1)
}

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
}

/// What the two threads share. Thread 0 is A (the caller), 1 is B.
struct Shared {
    /// Blocks each thread has finished (and written its side of their last two rows for).
    done: [Padded; 2],
    /// The split of block n at `n % 2` (A sets block n + 1's at the start of block n).
    split: [Padded; 2],
    /// Nanoseconds B has waited for A, up to its last block's start.
    waited_b: Padded,
    /// The first divergence either thread found, as `(row·L + column) << 8 | expected token`
    /// (`u64::MAX`: none).
    div: Padded,
    /// Set when the run ends (or unwinds): waits return `false`.
    stop: AtomicBool,
    /// Rows r0 − 2 and r0 − 1 of block n at `edges + (n % 2)·2L`: each thread writes its side.
    edges: *mut u8,
    /// With a callback: block n's rows at `rows + (n % 3)·K·L` (three blocks, since B may be a
    /// block ahead of the one A hands over, which may need the last row of the one before).
    rows: *mut u8,
    row_len: usize,
    /// Rows of a block ([`block_rows`]).
    block: usize,
    max_rows: u64,
}

// SAFETY: `edges` and `rows` are shared by design: each thread writes only its own side's
// columns of a slot, and reads a slot only after the `done` counter (acquire) says the other
// has written it; the module doc and `Shared::side` say why no slot is rewritten while read.
unsafe impl Sync for Shared {}

/// Sets `stop` when dropped, so the other thread ends even if the caller's loop unwinds.
struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// One thread's memory and tools.
struct Hands {
    scorer: RowScorer,
    /// The offsets in row positions, in the scorer's order.
    offsets: Vec<usize>,
    /// Private rows r0 − 2 .. r0 + k of the current block, `width` apart.
    ring: Vec<u8>,
    /// The margin of a private row on each side: the widest margin scored (the block's rows)
    /// and the neighbour it reads.
    margin: usize,
    width: usize,
    /// The current block's first row and this thread's columns.
    r0: i64,
    x0: usize,
    x1: usize,
    /// Nanoseconds spent waiting.
    waited: u64,
    /// The worker's CPU affinity before it was started apart from the caller's.
    #[cfg(target_os = "linux")]
    apart: Option<libc::cpu_set_t>,
}

impl Hands {
    /// Where column `x` of row `q` lies in the ring (q ≥ r0 − 2, x within the private row).
    fn at(&self, q: i64, x: isize) -> usize {
        let slot = (q + 2 - self.r0) as usize;
        slot * self.width + (x + self.margin as isize - self.x0 as isize) as usize
    }

    /// This thread's side of row `q`.
    fn side(&self, q: i64) -> &[u8] {
        let at = self.at(q, self.x0 as isize);
        &self.ring[at..at + self.x1 - self.x0]
    }
}

impl Shared {
    /// The row of the first divergence found so far (`u64::MAX`: none).
    fn div_row(&self) -> u64 {
        match self.div.get() {
            u64::MAX => u64::MAX,
            d => (d >> 8) / self.row_len as u64,
        }
    }

    /// Waits until `counter ≥ n`, spinning a little and then yielding the core; `false` once
    /// `stop` is set or a divergence before row `row` ends the run. Time spent is added to
    /// `waited`.
    fn wait(&self, counter: &Padded, n: u64, row: u64, waited: &mut u64) -> bool {
        if counter.get() >= n {
            return true;
        }
        let t0 = Instant::now();
        let mut spins = 0u32;
        while counter.get() < n {
            if self.stop.load(Ordering::Acquire) || self.div_row() < row {
                // The other may have reached `n` just before it stopped.
                return counter.get() >= n && self.div_row() >= row;
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

    /// The edge rows slot of block `n` (rows r0 − 2 and r0 − 1, 2L tokens).
    fn edges(&self, n: u64) -> *mut u8 {
        // SAFETY: the buffer holds two slots of 2L.
        unsafe { self.edges.add((n % 2) as usize * 2 * self.row_len) }
    }

    /// Row `q`'s slot in the callback's rows (`q` in block `q / K`).
    fn row_slot(&self, q: u64) -> *mut u8 {
        let k = self.block as u64;
        let i = ((q / k) % 3 * k + q % k) as usize;
        // SAFETY: the buffer holds three blocks of K rows of L.
        unsafe { self.rows.add(i * self.row_len) }
    }

    /// Thread `me`'s blocks until the run ends: returns the rows it generated and checked (up
    /// to a divergence or the reference's end), or, for A with a callback, the rows handed
    /// over.
    fn side(
        &self,
        me: usize,
        hands: &mut Hands,
        mut reference: Option<(LocalSource<'_>, Vec<u8>)>,
        mut on_row: Option<OnRow<'_>>,
    ) -> u64 {
        let len = self.row_len;
        let other = &self.done[1 - me];
        let (mut balance_at, mut balance_a, mut balance_b) = (Instant::now(), 0u64, 0u64);
        let mut handed = 0u64;
        let mut n = 0u64;
        loop {
            let r0 = n * self.block as u64;
            // Blocks before n are complete on both sides (their edges written).
            if n > 0 && !self.wait(other, n, r0, &mut hands.waited) {
                return if on_row.is_some() { handed } else { r0 };
            }
            #[cfg(target_os = "linux")]
            if n == 1 {
                end_apart(hands.apart.take());
            }
            if let Some(cb) = on_row.as_deref_mut() {
                // Hand over block n − 1 (both sides written to its rows).
                while handed < r0.min(self.max_rows) {
                    // SAFETY: the rows of block n − 1 are complete, and neither thread writes
                    // block n + 2's slot (the same) before A has finished block n.
                    let row = unsafe { std::slice::from_raw_parts(self.row_slot(handed), len) };
                    handed += 1;
                    if !cb(row) {
                        return handed;
                    }
                }
            }
            if r0 >= self.max_rows {
                return if on_row.is_some() {
                    handed
                } else {
                    self.max_rows
                };
            }
            if me == 0 && n > 0 {
                // Block n + 1's split, from the waits since the last change.
                let (wa, wb) = (hands.waited, self.waited_b.get());
                if n.is_multiple_of(8) {
                    let s = self.split[(n % 2) as usize].get() as usize;
                    let next = rebalance(
                        len,
                        s,
                        8 * self.block as u64,
                        balance_at.elapsed().as_nanos() as u64,
                        wa - balance_a,
                        wb - balance_b,
                    );
                    self.split[((n + 1) % 2) as usize].set(next as u64);
                    (balance_at, balance_a, balance_b) = (Instant::now(), wa, wb);
                } else {
                    let s = self.split[(n % 2) as usize].get();
                    self.split[((n + 1) % 2) as usize].set(s);
                }
            }
            if me == 1 {
                self.waited_b.set(hands.waited);
            }
            let k = (self.max_rows - r0).min(self.block as u64);
            let s = self.split[(n % 2) as usize].get() as usize;
            self.fill(me, hands, n, s);
            // Private rows r0 − 1 (B only: its right margin is row r0's head) to r0 + k − 1,
            // each over the side widened by the margin g, from the block's first position on.
            let (r0, k) = (r0 as i64, k as i64);
            for q in r0 - 1..r0 + k {
                if q + 1 == r0 && me == 0 {
                    continue;
                }
                if q >= r0 && self.div_row() < q as u64 {
                    return q as u64;
                }
                let g = (r0 + k - 1 - q) as isize;
                let mut lo = hands.x0 as isize - g;
                let hi = hands.x1 as isize + g;
                if q + 1 == r0 {
                    lo = lo.max(len as isize);
                } else if q == r0 {
                    lo = lo.max(0);
                }
                if lo < hi {
                    let at = hands.at(q, lo);
                    score_run(hands, at, (hi - lo) as usize);
                }
                if q < r0 {
                    continue;
                }
                if let Some((next, expected)) = &mut reference {
                    if !next(expected) {
                        return q as u64;
                    }
                    let got = hands.side(q);
                    let want = &expected[hands.x0..hands.x1];
                    // `!=` first: a vectorised comparison; the column only where they differ.
                    if got != want {
                        let c = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                        let col = hands.x0 + c;
                        let key = (q as u64 * len as u64 + col as u64) << 8 | expected[col] as u64;
                        self.div.0.fetch_min(key, Ordering::AcqRel);
                        return q as u64 + 1;
                    }
                }
                if self.wants_rows() {
                    // SAFETY: row q's slot, which nobody reads until this block is done (see
                    // `row_slot`).
                    unsafe { put_side(self.row_slot(q as u64), hands, q) };
                }
            }
            // This side of the block's last two rows, for both threads' next block.
            let edges = self.edges(n + 1);
            for (i, q) in [r0 + k - 2, r0 + k - 1].into_iter().enumerate() {
                // SAFETY: the slot for block n + 1, which the other read last for block n − 1,
                // before it finished that block and this one began.
                unsafe { put_side(edges.add(i * len), hands, q) };
            }
            self.done[me].set(n + 1);
            n += 1;
        }
    }

    /// Whether the caller takes whole rows (`rows` is allocated).
    fn wants_rows(&self) -> bool {
        !self.rows.is_null()
    }

    /// Lays out thread `me`'s private rows r0 − 2 .. r0 for block `n` at split `s`, their
    /// positions before the block copied from its edge rows.
    fn fill(&self, me: usize, hands: &mut Hands, n: u64, s: usize) {
        let len = self.row_len;
        let r0 = (n * self.block as u64) as i64;
        (hands.x0, hands.x1) = if me == 0 { (0, s) } else { (s, len) };
        hands.r0 = r0;
        hands.width = hands.x1 - hands.x0 + 2 * hands.margin;
        let need = (self.block + 3) * hands.width;
        if hands.ring.len() < need {
            hands.ring.resize(need, 0);
        }
        let shift = hands.width as isize - len as isize;
        let offsets: Vec<usize> = hands
            .offsets
            .iter()
            .map(|&j| (j as isize + shift) as usize)
            .collect();
        hands.scorer.set_offsets(&offsets);
        // SAFETY: the slot of block n, complete on both sides (`done` waited for), not written
        // until both have finished block n.
        let edges = unsafe { std::slice::from_raw_parts(self.edges(n), 2 * len) };
        // Edge rows are positions (r0 − 2)L .. r0·L.
        let first = (r0 - 2) * len as i64;
        for q in r0 - 2..=r0 {
            let row_start = q * len as i64;
            let lo = (row_start + hands.x0 as i64 - hands.margin as i64).max(first);
            let hi = (row_start + hands.x1 as i64 + hands.margin as i64).min(r0 * len as i64);
            if lo < hi {
                let at = hands.at(q, (lo - row_start) as isize);
                let from = (lo - first) as usize;
                hands.ring[at..at + (hi - lo) as usize]
                    .copy_from_slice(&edges[from..from + (hi - lo) as usize]);
            }
        }
    }
}

/// Copies this thread's side of row `q` into its columns of the shared row at `row`.
///
/// # Safety
/// `row` holds a row of L tokens whose columns `x0..x1` nobody else reads or writes now.
unsafe fn put_side(row: *mut u8, hands: &Hands, q: i64) {
    let side = hands.side(q);
    // SAFETY: as the caller promises; `side` is this thread's ring, not shared.
    unsafe { std::ptr::copy_nonoverlapping(side.as_ptr(), row.add(hands.x0), side.len()) };
}

/// Scores `n` positions of the ring from `at` (private offsets W − 1 ..= W + 1, every offset
/// within one of the row length as [`fits`] asks: they read the private row before).
fn score_run(hands: &mut Hands, at: usize, n: usize) {
    let (min, max) = (hands.width - 1, hands.width + 1);
    let (past, out) = hands.ring.split_at_mut(at);
    // Positions at..at + n read from at − max up to at + n − min (≤ at: n ≤ min).
    let read_end = at + n - min;
    hands
        .scorer
        .score(&past[at - max..read_end], at - read_end, &mut out[..n]);
}

/// The split after `rows` rows that took `wall` ns, in which A waited `a` ns and B `b`: half
/// the difference of the waits, in positions, moves it toward the thread that waited.
fn rebalance(len: usize, split: usize, rows: u64, wall: u64, a: u64, b: u64) -> usize {
    let cells = len as f64;
    let busy = (2 * wall).saturating_sub(a + b) as f64;
    let per_cell = busy / (rows as f64 * cells);
    if per_cell <= 0.0 || rows == 0 {
        return split;
    }
    // B waited longer: A is the slower side, give it fewer positions.
    let shift = (a as f64 - b as f64) / rows as f64 / per_cell / 2.0;
    let lo = cells / 8.0;
    let hi = cells * 7.0 / 8.0;
    let next = (split as f64 + shift.clamp(-cells / 64.0, cells / 64.0)).clamp(lo, hi);
    // Whole vectors of 64 positions on A's side.
    (next as usize).next_multiple_of(64).min(hi as usize)
}

/// What a run on two threads takes of the executor: its history (the last row at least, rows
/// after it appended), its row length and offsets, and its scorer (each thread clones it).
pub(super) struct Parts<'a> {
    pub hist: &'a mut Vec<u8>,
    pub row_len: usize,
    pub offsets: &'a [usize],
    pub scorer: &'a RowScorer,
    /// The padding token (what positions before the trace read).
    pub pad: u8,
}

/// Runs up to `max_rows` rows on two threads, checked as `check` says; returns the rows
/// generated (a refused or diverging row included) and the first divergence from the
/// reference, `(column in the last row, expected token)`. `hist` ends with the last row
/// generated and keeps at least the row before it.
pub(super) fn run(exec: Parts<'_>, max_rows: u64, check: Check<'_>) -> (u64, Option<(usize, u8)>) {
    if max_rows == 0 {
        return (0, None);
    }
    let len = exec.row_len;
    // Block 0's edge rows: the last two rows of the history (padding before it).
    let mut edges = vec![exec.pad; 4 * len];
    let have = exec.hist.len().min(2 * len);
    edges[2 * len - have..2 * len].copy_from_slice(&exec.hist[exec.hist.len() - have..]);
    let wants_rows = matches!(check, Check::Rows(_));
    let block = block_rows(len);
    let mut rows_buf = if wants_rows {
        vec![0u8; 3 * block * len]
    } else {
        Vec::new()
    };
    let half = ((len / 2).next_multiple_of(64)) as u64;
    let sh = Shared {
        done: [Padded::new(0), Padded::new(0)],
        split: [Padded::new(half), Padded::new(half)],
        waited_b: Padded::new(0),
        div: Padded::new(u64::MAX),
        stop: AtomicBool::new(false),
        edges: edges.as_mut_ptr(),
        rows: if wants_rows {
            rows_buf.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        row_len: len,
        block,
        max_rows,
    };
    let hands = || Hands {
        scorer: exec.scorer.clone(),
        offsets: exec.offsets.to_vec(),
        ring: Vec::new(),
        margin: block + 1,
        width: 0,
        r0: 0,
        x0: 0,
        x1: 0,
        waited: 0,
        #[cfg(target_os = "linux")]
        apart: None,
    };
    let (mut a, mut b) = (hands(), hands());
    let (on_row, own, theirs) = match check {
        Check::Rows(on_row) => (Some(on_row), None, None),
        // Sources overwrite the row before: it starts as the history's last row.
        Check::Reference(own, theirs) => (
            None,
            Some((own, edges[len..2 * len].to_vec())),
            Some((theirs, edges[len..2 * len].to_vec())),
        ),
    };
    let (rows_a, rows_b) = std::thread::scope(|s| {
        let sh = &sh;
        let hb = &mut b;
        // SAFETY: `sched_getcpu` has no preconditions (-1 where it is not known).
        #[cfg(target_os = "linux")]
        let here = unsafe { libc::sched_getcpu() };
        let worker = s.spawn(move || {
            #[cfg(target_os = "linux")]
            {
                hb.apart = start_apart(here);
            }
            let _stop = StopOnDrop(sh);
            let theirs = theirs.map(|(f, row)| (f as LocalSource<'_>, row));
            let rows = sh.side(1, hb, theirs, None);
            #[cfg(target_os = "linux")]
            end_apart(hb.apart.take());
            rows
        });
        let rows_a = {
            let _stop = StopOnDrop(sh);
            sh.side(0, &mut a, own, on_row)
        };
        // A panic on the worker is the executor's bug: raise it here.
        let rows_b = worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (rows_a, rows_b)
    });
    let (rows, divergence) = match sh.div.get() {
        u64::MAX if wants_rows => (rows_a, None),
        u64::MAX => (rows_a.min(rows_b), None),
        d => {
            let at = d >> 8;
            let row = at / len as u64;
            (
                row + 1,
                Some(((at % len as u64) as usize, (d & 0xFF) as u8)),
            )
        }
    };
    // The history ends with the last two rows generated (the row before the first is there).
    let row = |q: u64| -> Vec<u8> {
        if wants_rows {
            // SAFETY: both threads have stopped; rows up to `rows` were handed over, and the
            // slots of their block and the one before are intact.
            unsafe { std::slice::from_raw_parts(sh.row_slot(q), len) }.to_vec()
        } else {
            let mut r = a.side(q as i64).to_vec();
            r.extend_from_slice(b.side(q as i64));
            r
        }
    };
    if rows >= 2 {
        let (before, last) = (row(rows - 2), row(rows - 1));
        exec.hist.clear();
        exec.hist.extend_from_slice(&before);
        exec.hist.extend_from_slice(&last);
    } else if rows == 1 {
        let last = row(0);
        exec.hist.extend_from_slice(&last);
    }
    (rows, divergence)
}

/// Starts the calling thread on a CPU other than `other`'s, where the process may use one:
/// the kernel first places a new thread beside its parent and moves it only after many
/// milliseconds, during which the two would take turns on one core. Returns the affinity to
/// restore once the thread has run a while.
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
