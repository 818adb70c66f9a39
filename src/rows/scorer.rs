//! The row executor's arithmetic: [`RowScorer`] scores runs of positions that do not read each
//! other, with packed byte keys where the bound of the parent module's doc allows, else the
//! column kernel position by position. The certificate runs this same scorer, on every path the
//! CPU has.
//!
//! The packed keys run on one of three compiled paths ([`RowIsa`]), chosen at run time:
//! - AVX-512 VBMI: 64 positions a step, one `vpermb` (a 64-entry byte table) per lookup;
//! - AVX2: 32 positions a step, one in-lane `vpshufb` per 16-entry chunk of a table (the chunk
//!   broadcast to both 128-bit lanes): one per lookup up to 15 tokens, four at 63;
//! - portable Rust: a position at a time, the keys of every output token at once, from tables
//!   transposed to be indexed by input token first (loops over 16 to 64 bytes that the compiler
//!   vectorises with the target's baseline vector instructions).
//!
//! All three compute the same keys from the same tables, so they agree on every input byte (a
//! byte past the dictionary reads a zero table entry on each: only its low six bits index, and
//! entries past the padding token are zero).

use crate::predictor::{LinearAr, Predictor, TokenId};
use crate::rows::isa::{Isa, IsaError, RowIsa};

/// Largest token count of the packed byte path (`vpermb` tables hold 64 entries, padding
/// included).
const PACKED_MAX_VOCAB: usize = 63;

/// One 64-entry byte table, aligned so that it is one aligned AVX-512 load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
struct Table([u8; 64]);

/// 16 entries of a byte table, twice (one per 128-bit lane), for one aligned AVX2 load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
struct Lanes([u8; 32]);

/// The packed-key tables of a predictor (see the module doc for the key and its bound).
#[derive(Clone, Debug, PartialEq)]
struct Packed {
    vocab: usize,
    /// `2^b − 1`: the index bits of a key.
    mask: u8,
    /// `tables[d * k + o]`: the key contribution of offset o to output d, by input token.
    tables: Vec<Table>,
    /// The AVX2 path's copy: `lanes[(d * k + o) * chunks + c]` holds entries 16c..16c+16 of
    /// `tables[d * k + o]` (empty on the other paths).
    lanes: Vec<Lanes>,
    /// 16-entry chunks of a table that hold the dictionary and its padding token.
    chunks: usize,
    /// The portable path's copy, transposed: `by_input[o * 64 + x]` holds, by output token d,
    /// the key contribution of input x at offset o (0 past the dictionary). Every path keeps it:
    /// the vector paths fall back on it for more offsets than their kernels take.
    by_input: Vec<Table>,
    isa: Isa,
}

impl Packed {
    /// The tables, or `None` when some key could leave 0..=255 or the dictionary is too large.
    fn new(p: &LinearAr, isa: Isa) -> Option<Packed> {
        let vocab = p.vocab();
        let k = p.weights().len();
        if vocab == 0 || vocab > PACKED_MAX_VOCAB || k == 0 {
            return None;
        }
        let bits = usize::BITS - (vocab - 1).leading_zeros();
        let mask = (1u32 << bits) - 1;
        // The padding column (x = vocab) is 0, so every bound includes 0 per offset.
        let w = |o: usize, d: usize, x: usize| -> i64 {
            if x < vocab {
                p.weights()[o][(d, x)] as i64
            } else {
                0
            }
        };
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for d in 0..vocab {
            let (mut l, mut h) = (0i64, 0i64);
            for o in 0..k {
                l += (0..=vocab).map(|x| w(o, d, x)).min().unwrap_or(0);
                h += (0..=vocab).map(|x| w(o, d, x)).max().unwrap_or(0);
            }
            lo = lo.min(l);
            hi = hi.max(h);
        }
        // Every key ((s − lo) << b) + (mask − d) must lie in 0..=255.
        if (hi - lo) > (255 - mask as i64) >> bits {
            return None;
        }
        let mut tables = vec![Table([0; 64]); vocab * k];
        for d in 0..vocab {
            for o in 0..k {
                let t = &mut tables[d * k + o].0;
                for (x, slot) in t.iter_mut().enumerate().take(vocab + 1) {
                    let mut v = w(o, d, x);
                    if o == 0 {
                        v -= lo;
                    }
                    let mut key = (v << bits) as u64;
                    if o == 0 {
                        key += (mask as usize - d) as u64;
                    }
                    *slot = key as u8; // modulo 256: the sum over offsets is exact (module doc)
                }
            }
        }
        let mut packed = Packed {
            vocab,
            mask: mask as u8,
            tables,
            lanes: Vec::new(),
            chunks: (vocab + 1).div_ceil(16),
            by_input: vec![Table([0; 64]); k * 64],
            isa,
        };
        for d in 0..vocab {
            for o in 0..k {
                for x in 0..64 {
                    packed.by_input[o * 64 + x].0[d] = packed.tables[d * k + o].0[x];
                }
            }
        }
        packed.set_isa(isa);
        Some(packed)
    }

    /// Runs on `isa` from now on, with the copy of the tables it reads.
    fn set_isa(&mut self, isa: Isa) {
        self.isa = isa;
        self.lanes.clear();
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx2 {
            for t in &self.tables {
                for c in 0..self.chunks {
                    let mut l = Lanes([0; 32]);
                    l.0[..16].copy_from_slice(&t.0[16 * c..16 * c + 16]);
                    l.0[16..].copy_from_slice(&t.0[16 * c..16 * c + 16]);
                    self.lanes.push(l);
                }
            }
        }
    }

    fn score(&self, js: &[usize], past: &[u8], first: usize, out: &mut [u8]) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the features were detected at run time; `score` checked the bounds.
            Isa::Avx512Vbmi => unsafe {
                match js.len() {
                    1 => avx512::score::<1>(self, js, past, first, out),
                    2 => avx512::score::<2>(self, js, past, first, out),
                    3 => avx512::score::<3>(self, js, past, first, out),
                    4 => avx512::score::<4>(self, js, past, first, out),
                    _ => self.score_portable(js, past, first, out),
                }
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `Isa::Avx2` is only made where AVX2 was detected at run time
            // (`RowIsa::resolve`), and `set_isa` built `lanes` for it with `self.chunks`
            // chunks a table; `score` checked the bounds.
            Isa::Avx2 => unsafe {
                match (js.len(), self.chunks) {
                    (1, c) => avx2::score_k::<1>(self, c, js, past, first, out),
                    (2, c) => avx2::score_k::<2>(self, c, js, past, first, out),
                    (3, c) => avx2::score_k::<3>(self, c, js, past, first, out),
                    (4, c) => avx2::score_k::<4>(self, c, js, past, first, out),
                    _ => self.score_portable(js, past, first, out),
                }
            },
            Isa::Portable => self.score_portable(js, past, first, out),
        }
    }

    /// The same keys in plain Rust: per position, the keys of every output token at once (W
    /// bytes, the dictionary rounded up to 16), then their maximum.
    fn score_portable(&self, js: &[usize], past: &[u8], first: usize, out: &mut [u8]) {
        match self.chunks {
            1 => self.score_portable_w::<16>(js, past, first, out),
            2 => self.score_portable_w::<32>(js, past, first, out),
            3 => self.score_portable_w::<48>(js, past, first, out),
            _ => self.score_portable_w::<64>(js, past, first, out),
        }
    }

    fn score_portable_w<const W: usize>(
        &self,
        js: &[usize],
        past: &[u8],
        first: usize,
        out: &mut [u8],
    ) {
        match js.len() {
            1 => self.score_portable_kw::<1, W>(js, past, first, out),
            2 => self.score_portable_kw::<2, W>(js, past, first, out),
            3 => self.score_portable_kw::<3, W>(js, past, first, out),
            4 => self.score_portable_kw::<4, W>(js, past, first, out),
            _ => {
                // More offsets than the unrolled copies take: K lookups in a loop.
                let base = past.len() + first;
                for (i, slot) in out.iter_mut().enumerate() {
                    let mut key = [0u8; W];
                    for (o, &j) in js.iter().enumerate() {
                        let row = &self.by_input[o * 64 + (past[base + i - j] & 63) as usize];
                        add_row(&mut key, &row.0);
                    }
                    *slot = self.argmax_of_keys(&key);
                }
            }
        }
    }

    /// [`Packed::score_portable`] for K offsets and W keys, the lookups unrolled.
    fn score_portable_kw<const K: usize, const W: usize>(
        &self,
        js: &[usize],
        past: &[u8],
        first: usize,
        out: &mut [u8],
    ) {
        let base = past.len() + first;
        let n = out.len();
        // Offset o's inputs, one a position; `score` checked that they lie in `past`.
        let inputs: [&[u8]; K] = std::array::from_fn(|o| &past[base - js[o]..base - js[o] + n]);
        let rows: [&[Table]; K] = std::array::from_fn(|o| &self.by_input[o * 64..o * 64 + 64]);
        for (i, slot) in out.iter_mut().enumerate() {
            let mut key = [0u8; W];
            for o in 0..K {
                add_row(&mut key, &rows[o][(inputs[o][i] & 63) as usize].0);
            }
            *slot = self.argmax_of_keys(&key);
        }
    }

    /// The argmax whose key is the largest of `key` (entries past the dictionary are 0, never
    /// above the real maximum).
    #[inline(always)]
    fn argmax_of_keys<const W: usize>(&self, key: &[u8; W]) -> u8 {
        let best = key.iter().fold(0u8, |a, &b| a.max(b));
        self.mask - (best & self.mask)
    }
}

/// `key[d] += row[d]` (wrapping) for the first W entries.
#[inline(always)]
fn add_row<const W: usize>(key: &mut [u8; W], row: &[u8; 64]) {
    for (k, &v) in key.iter_mut().zip(&row[..W]) {
        *k = k.wrapping_add(v);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Packed;
    use std::arch::x86_64::*;

    /// 64 positions per step: per output token d, K `vpermb` lookups, K − 1 byte adds and one
    /// unsigned byte maximum; then the index bits of the best key give the argmax.
    ///
    /// # Safety
    /// AVX-512 F, BW and VBMI must be available; `js.len() == K`, `first + out.len() ≤ min(js)`
    /// and `past.len() + first ≥ max(js)` (every input in `past`), as [`super::RowScorer::score`]
    /// checks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) unsafe fn score<const K: usize>(
        p: &Packed,
        js: &[usize],
        past: &[u8],
        first: usize,
        out: &mut [u8],
    ) {
        let base = past.len() + first;
        let n = out.len();
        let maskv = _mm512_set1_epi8(p.mask as i8);
        let tables = p.tables.as_ptr();
        let mut i = 0;
        while i < n {
            let lanes = (n - i).min(64);
            let m: __mmask64 = if lanes == 64 { !0 } else { (1u64 << lanes) - 1 };
            let mut x = [_mm512_setzero_si512(); K];
            for o in 0..K {
                // Lanes past `lanes` are masked off and never read.
                let src = past.as_ptr().add(base + i - js[o]);
                x[o] = _mm512_maskz_loadu_epi8(m, src as *const i8);
            }
            let mut best = _mm512_setzero_si512();
            for d in 0..p.vocab {
                let t = tables.add(d * K);
                let mut key = _mm512_permutexvar_epi8(x[0], _mm512_load_si512(t as *const _));
                for (o, &xo) in x.iter().enumerate().skip(1) {
                    let w = _mm512_load_si512(t.add(o) as *const _);
                    key = _mm512_add_epi8(key, _mm512_permutexvar_epi8(xo, w));
                }
                best = _mm512_max_epu8(best, key);
            }
            let arg = _mm512_sub_epi8(maskv, _mm512_and_si512(best, maskv));
            _mm512_mask_storeu_epi8(out.as_mut_ptr().add(i) as *mut i8, m, arg);
            i += 64;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Lanes, Packed};
    use std::arch::x86_64::*;

    /// [`score`] for a table of `chunks` 16-entry chunks.
    ///
    /// # Safety
    /// As [`score`]; `chunks == p.chunks` (1..=4).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn score_k<const K: usize>(
        p: &Packed,
        chunks: usize,
        js: &[usize],
        past: &[u8],
        first: usize,
        out: &mut [u8],
    ) {
        match chunks {
            1 => score::<K, 1>(p, js, past, first, out),
            2 => score::<K, 2>(p, js, past, first, out),
            3 => score::<K, 3>(p, js, past, first, out),
            _ => score::<K, 4>(p, js, past, first, out),
        }
    }

    /// 32 positions per step: per output token d, K·C `vpshufb` lookups (C 16-entry chunks of
    /// each table, an index outside a chunk looking up 0), K·C − 1 byte adds and one unsigned
    /// byte maximum; then the index bits of the best key give the argmax. The last positions
    /// (fewer than 32) are copied into a zero-padded block, so nothing is read past `past`.
    ///
    /// # Safety
    /// AVX2 must be available; `js.len() == K`, `p.lanes` built for the AVX2 path with
    /// `p.chunks == C`, `first + out.len() ≤ min(js)` and `past.len() + first ≥ max(js)`
    /// (every input in `past`), as [`super::RowScorer::score`] checks.
    #[target_feature(enable = "avx2")]
    unsafe fn score<const K: usize, const C: usize>(
        p: &Packed,
        js: &[usize],
        past: &[u8],
        first: usize,
        out: &mut [u8],
    ) {
        let base = past.len() + first;
        let n = out.len();
        let mut i = 0;
        while i + 32 <= n {
            let mut x = [_mm256_setzero_si256(); K];
            for o in 0..K {
                // base + i + 31 − js[o] < past.len() + first + n − min(js) ≤ past.len().
                let src = past.as_ptr().add(base + i - js[o]);
                x[o] = _mm256_loadu_si256(src as *const __m256i);
            }
            let arg = block::<K, C>(p, &x);
            _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, arg);
            i += 32;
        }
        if i < n {
            let lanes = n - i;
            let mut x = [_mm256_setzero_si256(); K];
            for o in 0..K {
                let mut buf = [0u8; 32];
                let src = base + i - js[o];
                buf[..lanes].copy_from_slice(&past[src..src + lanes]);
                x[o] = _mm256_loadu_si256(buf.as_ptr() as *const __m256i);
            }
            let mut tail = [0u8; 32];
            _mm256_storeu_si256(tail.as_mut_ptr() as *mut __m256i, block::<K, C>(p, &x));
            out[i..].copy_from_slice(&tail[..lanes]);
        }
    }

    /// The argmax of 32 positions whose inputs at offset o are the bytes of `x[o]`.
    ///
    /// # Safety
    /// AVX2 must be available; `p.lanes` holds `p.vocab · K · C` entries.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block<const K: usize, const C: usize>(p: &Packed, x: &[__m256i; K]) -> __m256i {
        // The index of input x into chunk c: x − 16c + 0x70 with unsigned saturation keeps
        // 0..16 as 0x70..0x80 (bit 7 clear, low bits the entry) and sends every other byte to
        // 0x80 or above, which `vpshufb` looks up as 0. Only the low six bits of an input index,
        // as `vpermb` reads them.
        let six = _mm256_set1_epi8(63);
        let bias = _mm256_set1_epi8(0x70);
        let mut idx = [[_mm256_setzero_si256(); C]; K];
        for o in 0..K {
            let xo = _mm256_and_si256(x[o], six);
            for (c, slot) in idx[o].iter_mut().enumerate() {
                let shifted = _mm256_sub_epi8(xo, _mm256_set1_epi8(16 * c as i8));
                *slot = _mm256_adds_epu8(shifted, bias);
            }
        }
        let tables: *const Lanes = p.lanes.as_ptr();
        let mut best = _mm256_setzero_si256();
        for d in 0..p.vocab {
            let t = tables.add(d * K * C);
            let mut key = _mm256_shuffle_epi8(_mm256_load_si256(t as *const _), idx[0][0]);
            for (o, chunks) in idx.iter().enumerate() {
                for (c, &ix) in chunks.iter().enumerate() {
                    if o + c > 0 {
                        let w = _mm256_load_si256(t.add(o * C + c) as *const _);
                        key = _mm256_add_epi8(key, _mm256_shuffle_epi8(w, ix));
                    }
                }
            }
            best = _mm256_max_epu8(best, key);
        }
        let maskv = _mm256_set1_epi8(p.mask as i8);
        _mm256_sub_epi8(maskv, _mm256_and_si256(best, maskv))
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tier {
    /// Packed byte keys (AVX-512 VBMI, or the same keys portably).
    Packed(Packed),
    /// The column kernel of [`LinearAr::argmax_of`], one position at a time.
    Columns(Box<LinearAr>, Vec<TokenId>),
}

/// Scores runs of positions that do not read each other: the row executor's arithmetic, which
/// the certificate runs too.
#[derive(Clone, Debug, PartialEq)]
pub struct RowScorer {
    /// The offsets, in the order of the predictor's weight matrices.
    offsets: Vec<usize>,
    tier: Tier,
}

impl RowScorer {
    /// The scorer of `predictor`: packed byte keys where the bound allows, on the best path the
    /// CPU has ([`RowIsa::Auto`]), else the columns.
    pub fn new(predictor: &LinearAr) -> RowScorer {
        // Auto always resolves (portable at worst).
        let isa = RowIsa::Auto.resolve().unwrap_or(Isa::Portable);
        RowScorer::on(predictor, isa)
    }

    /// The scorer of `predictor` with its packed keys on the path `isa` names; an error naming
    /// the missing feature when the CPU lacks it. Predictors outside the packed bound run on
    /// the columns whatever the path.
    pub fn with_isa(predictor: &LinearAr, isa: RowIsa) -> Result<RowScorer, IsaError> {
        isa.check()?;
        Ok(RowScorer::on(
            predictor,
            isa.resolve().unwrap_or(Isa::Portable),
        ))
    }

    /// One scorer of `predictor` for every path the CPU has, best first (one, on the columns,
    /// when the predictor is outside the packed bound): what the certificate checks.
    pub fn every_path(predictor: &LinearAr) -> Vec<RowScorer> {
        let first = RowScorer::new(predictor);
        let Tier::Packed(packed) = &first.tier else {
            return vec![first];
        };
        let mut all = Vec::new();
        for isa in RowIsa::available() {
            if let Ok(i) = isa.resolve() {
                let mut p = packed.clone();
                p.set_isa(i);
                all.push(RowScorer {
                    offsets: first.offsets.clone(),
                    tier: Tier::Packed(p),
                });
            }
        }
        all
    }

    fn on(predictor: &LinearAr, isa: Isa) -> RowScorer {
        let offsets = predictor.layout().offsets.clone();
        let tier = match Packed::new(predictor, isa) {
            Some(p) => Tier::Packed(p),
            None => Tier::Columns(Box::new(predictor.clone()), vec![TokenId(0); offsets.len()]),
        };
        RowScorer { offsets, tier }
    }

    /// Reads its inputs at `offsets` instead (as many, in the same order): the same predictor
    /// on positions laid out with another row length.
    pub(super) fn set_offsets(&mut self, offsets: &[usize]) {
        debug_assert_eq!(offsets.len(), self.offsets.len());
        self.offsets.copy_from_slice(offsets);
    }

    /// Which arithmetic scores: `packed-avx512-vbmi`, `packed-avx2`, `packed-portable` or
    /// `columns`.
    pub fn kind(&self) -> &'static str {
        match &self.tier {
            Tier::Packed(p) => match p.isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512Vbmi => "packed-avx512-vbmi",
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => "packed-avx2",
                Isa::Portable => "packed-portable",
            },
            Tier::Columns(..) => "columns",
        }
    }

    /// Scores `out.len()` positions: `out[i]` is the argmax at position `past.len() + first + i`
    /// (counting positions from the start of `past`), whose input at offset `j` is
    /// `past[past.len() + first + i − j]`.
    ///
    /// # Panics
    /// If an input falls outside `past` (a position reads another output, or before `past`).
    pub fn score(&mut self, past: &[u8], first: usize, out: &mut [u8]) {
        if out.is_empty() {
            return;
        }
        let min = self.offsets.iter().copied().min().unwrap_or(0);
        let max = self.offsets.iter().copied().max().unwrap_or(0);
        assert!(
            first + out.len() <= min && past.len() + first >= max,
            "row scorer inputs out of range"
        );
        match &mut self.tier {
            Tier::Packed(p) => p.score(&self.offsets, past, first, out),
            Tier::Columns(pred, inputs) => {
                let base = past.len() + first;
                for (i, slot) in out.iter_mut().enumerate() {
                    for (x, &j) in inputs.iter_mut().zip(&self.offsets) {
                        *x = TokenId(past[base + i - j] as u32);
                    }
                    *slot = pred.argmax_of(inputs).0 as u8;
                }
            }
        }
    }

    /// The argmax for input token `inputs[o]` at each offset, through [`RowScorer::score`]
    /// (the certificate's view of this executor).
    pub fn argmax_of(&mut self, inputs: &[TokenId]) -> TokenId {
        let min = self.offsets.iter().copied().min().unwrap_or(1);
        let max = self.offsets.iter().copied().max().unwrap_or(1);
        // A position p = len + min − 1 whose input at offset j is past[len + min − 1 − j].
        let len = max - min + 1;
        let mut small = [0u8; 16];
        let mut large = Vec::new();
        let past: &mut [u8] = if len <= small.len() {
            &mut small[..len]
        } else {
            large.resize(len, 0);
            &mut large
        };
        for (&x, &j) in inputs.iter().zip(&self.offsets) {
            past[len + min - 1 - j] = x.0.min(255) as u8;
        }
        let mut out = [0u8];
        self.score(past, min - 1, &mut out);
        TokenId(out[0] as u32)
    }
}

#[cfg(test)]
impl RowScorer {
    /// The same scorer with its packed keys on the portable copy (tests compare the two).
    pub(super) fn portable(&self) -> RowScorer {
        let mut copy = self.clone();
        if let Tier::Packed(pk) = &mut copy.tier {
            pk.set_isa(Isa::Portable);
        }
        copy
    }
}
