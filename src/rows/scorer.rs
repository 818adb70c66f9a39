//! The row executor's arithmetic: [`RowScorer`] scores runs of positions that do not read each
//! other, with packed byte keys looked up 64 positions at a time (AVX-512 VBMI `vpermb`, or the
//! same keys portably) where the bound of the parent module's doc allows, else the column
//! kernel position by position. The certificate runs this same scorer.

use crate::predictor::{LinearAr, Predictor, TokenId};

/// Largest token count of the packed byte path (`vpermb` tables hold 64 entries, padding
/// included).
const PACKED_MAX_VOCAB: usize = 63;

/// One 64-entry byte table, aligned so that it is one aligned AVX-512 load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
struct Table([u8; 64]);

/// Which compiled copy of the packed scorer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512Vbmi,
    Portable,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vbmi")
            {
                return Isa::Avx512Vbmi;
            }
        }
        Isa::Portable
    }
}

/// The packed-key tables of a predictor (see the module doc for the key and its bound).
#[derive(Clone, Debug, PartialEq)]
struct Packed {
    vocab: usize,
    /// `2^b − 1`: the index bits of a key.
    mask: u8,
    /// `tables[d * k + o]`: the key contribution of offset o to output d, by input token.
    tables: Vec<Table>,
    isa: Isa,
}

impl Packed {
    /// The tables, or `None` when some key could leave 0..=255 or the dictionary is too large.
    fn new(p: &LinearAr) -> Option<Packed> {
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
        Some(Packed {
            vocab,
            mask: mask as u8,
            tables,
            isa: Isa::detect(),
        })
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
            Isa::Portable => self.score_portable(js, past, first, out),
        }
    }

    /// The same keys, one position at a time (any CPU).
    fn score_portable(&self, js: &[usize], past: &[u8], first: usize, out: &mut [u8]) {
        let k = js.len();
        let base = past.len() + first;
        for (i, slot) in out.iter_mut().enumerate() {
            let p = base + i;
            let mut best = 0u8;
            for d in 0..self.vocab {
                let mut key = 0u8;
                for (o, &j) in js.iter().enumerate() {
                    key = key.wrapping_add(self.tables[d * k + o].0[(past[p - j] & 63) as usize]);
                }
                best = best.max(key);
            }
            *slot = self.mask - (best & self.mask);
        }
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
    /// The scorer of `predictor`: packed byte keys where the bound allows, else the columns.
    pub fn new(predictor: &LinearAr) -> RowScorer {
        let offsets = predictor.layout().offsets.clone();
        let tier = match Packed::new(predictor) {
            Some(p) => Tier::Packed(p),
            None => Tier::Columns(Box::new(predictor.clone()), vec![TokenId(0); offsets.len()]),
        };
        RowScorer { offsets, tier }
    }

    /// Which arithmetic scores: `packed-avx512-vbmi`, `packed-portable` or `columns`.
    pub fn kind(&self) -> &'static str {
        match &self.tier {
            #[cfg(target_arch = "x86_64")]
            Tier::Packed(Packed {
                isa: Isa::Avx512Vbmi,
                ..
            }) => "packed-avx512-vbmi",
            Tier::Packed(_) => "packed-portable",
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
            pk.isa = Isa::Portable;
        }
        copy
    }
}
