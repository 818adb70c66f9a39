//! The scoring kernel behind [`LinearAr::predict`](crate::predictor::LinearAr): the hot loop of
//! every emulation.
//!
//! A token's scores are the sum of one weight column per offset, and the token is their argmax.
//! The kernel stores each column as `i16` lanes padded to a multiple of 32 (one AVX-512 register,
//! two AVX2 registers), adds the columns lane by lane and finds the first maximal lane. It is
//! exact: it is only built when every score's magnitude is bounded by [`I16_BOUND`] (the sum over
//! offsets of each row's largest |weight|), so no sum can overflow; padded lanes hold
//! `-(I16_BOUND + 1)` in the first column and 0 elsewhere, so they never win. The same generic
//! code is compiled three times (AVX-512, AVX2, portable) and chosen once at run time.

use crate::token::TokenId;

/// Lanes per padded column.
const LANES: usize = 32;

/// Largest score magnitude the `i16` kernel accepts.
pub const I16_BOUND: i32 = 16_383;

/// Which compiled copy of the kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }
}

/// Padded `i16` columns, input-major: column (o, x) starts at `(o * (vocab + 1) + x) * width`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    vocab: usize,
    width: usize,
    cols: Vec<i16>,
    scratch: Vec<i16>,
    isa: Isa,
}

impl Kernel {
    /// Builds the kernel from the input-major `i32` columns (`flat[(o * (vocab + 1) + x) * vocab + d]`,
    /// padding column `x = vocab` included), or `None` if some score could exceed [`I16_BOUND`].
    pub fn new(flat: &[i32], vocab: usize, offsets: usize) -> Option<Kernel> {
        if vocab == 0 {
            return None;
        }
        // bound = max_d Σ_o max_x |W_o[d, x]|.
        let mut bound = 0i64;
        for d in 0..vocab {
            let mut sum = 0i64;
            for o in 0..offsets {
                let m = (0..=vocab)
                    .map(|x| (flat[(o * (vocab + 1) + x) * vocab + d] as i64).abs())
                    .max()
                    .unwrap_or(0);
                sum += m;
            }
            bound = bound.max(sum);
        }
        if bound > I16_BOUND as i64 {
            return None;
        }
        let width = vocab.div_ceil(LANES) * LANES;
        if width > 0xFFFF {
            return None;
        }
        let mut cols = vec![0i16; offsets * (vocab + 1) * width];
        for o in 0..offsets {
            for x in 0..=vocab {
                let dst = &mut cols[(o * (vocab + 1) + x) * width..][..width];
                for d in 0..vocab {
                    dst[d] = flat[(o * (vocab + 1) + x) * vocab + d] as i16;
                }
                if o == 0 {
                    dst[vocab..].fill(-(I16_BOUND as i16) - 1);
                }
            }
        }
        Some(Kernel {
            vocab,
            width,
            cols,
            scratch: vec![0; width],
            isa: Isa::detect(),
        })
    }

    /// The argmax of the scores for input tokens `inputs[o]` at each offset (first maximum wins).
    #[inline]
    pub fn argmax(&mut self, inputs: &[TokenId]) -> TokenId {
        if inputs.len() != 3 {
            // Other offset counts (learned predictors): the generic path.
            return self.argmax_many(inputs);
        }
        let col =
            |o: usize, x: TokenId| (o * (self.vocab + 1) + x.index().min(self.vocab)) * self.width;
        let start_list = &[col(0, inputs[0]), col(1, inputs[1]), col(2, inputs[2])];
        let best = match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the ISA was detected at run time.
            Isa::Avx512 => unsafe { sum3_avx512(&self.cols, start_list, self.width) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx2 => unsafe { sum3_avx2(&self.cols, start_list, self.width) },
            Isa::Portable => sum3(&self.cols, start_list, self.width),
        };
        TokenId(best as u32)
    }

    fn argmax_many(&mut self, inputs: &[TokenId]) -> TokenId {
        let w = self.width;
        self.scratch.fill(0);
        for (o, &x) in inputs.iter().enumerate() {
            let start = (o * (self.vocab + 1) + x.index().min(self.vocab)) * w;
            for (s, c) in self.scratch.iter_mut().zip(&self.cols[start..start + w]) {
                *s += c;
            }
        }
        TokenId(first_max(&self.scratch) as u32)
    }
}

/// Sums three padded columns and returns the first maximal lane. The work goes in blocks of
/// 32 lanes held in fixed-size arrays, so the compiler emits whole-register operations; the
/// argmax is one running maximum of the keys `score · 2^16 + (65535 − index)`: the largest key
/// holds the largest score at the lowest index (widths stay below 2^16, see [`Kernel::new`]).
#[inline(always)]
fn sum3(cols: &[i16], starts: &[usize; 3], width: usize) -> usize {
    let mut best = [i32::MIN; LANES];
    for block in (0..width).step_by(LANES) {
        let a = lanes(cols, starts[0] + block);
        let b = lanes(cols, starts[1] + block);
        let c = lanes(cols, starts[2] + block);
        for l in 0..LANES {
            let score = (a[l] + b[l] + c[l]) as i32;
            best[l] = best[l].max((score << 16) | (0xFFFF - (block + l) as i32));
        }
    }
    let best = best.iter().copied().fold(i32::MIN, i32::max);
    (0xFFFF - (best & 0xFFFF)) as usize
}

/// The block of 32 lanes at `at` (in bounds: columns are whole blocks).
#[inline(always)]
fn lanes(cols: &[i16], at: usize) -> &[i16; LANES] {
    cols[at..at + LANES]
        .try_into()
        .expect("columns are whole blocks")
}

/// Index of the first maximal element (the generic path for other offset counts).
fn first_max(v: &[i16]) -> usize {
    let mut best = i32::MIN;
    for (i, &s) in v.iter().enumerate() {
        best = best.max(((s as i32) << 16) | (0xFFFF - i as i32));
    }
    (0xFFFF - (best & 0xFFFF)) as usize
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn sum3_avx512(cols: &[i16], starts: &[usize; 3], width: usize) -> usize {
    sum3(cols, starts, width)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum3_avx2(cols: &[i16], starts: &[usize; 3], width: usize) -> usize {
    sum3(cols, starts, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(flat: &[i32], v: usize, inputs: &[TokenId]) -> usize {
        let mut s = vec![0i32; v];
        for (o, x) in inputs.iter().enumerate() {
            for d in 0..v {
                s[d] += flat[(o * (v + 1) + x.index()) * v + d];
            }
        }
        crate::predictor::linear::argmax(&s)
    }

    #[test]
    fn every_isa_agrees_with_the_i32_scores() {
        // A pseudo-random 37-token, 3-offset predictor with ties and negative weights.
        let v = 37;
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 9) as i32 - 4
        };
        let mut flat: Vec<i32> = (0..3 * (v + 1) * v).map(|_| next()).collect();
        for o in 0..3 {
            for d in 0..v {
                flat[(o * (v + 1) + v) * v + d] = 0; // padding column
            }
        }
        let mut k = Kernel::new(&flat, v, 3).unwrap();
        let isas = [Isa::detect(), Isa::Portable];
        for a in 0..=v {
            for b in (0..=v).step_by(3) {
                for c in (0..=v).step_by(5) {
                    let inputs = [TokenId(a as u32), TokenId(b as u32), TokenId(c as u32)];
                    let want = reference(&flat, v, &inputs);
                    for isa in isas {
                        k.isa = isa;
                        assert_eq!(k.argmax(&inputs).index(), want, "{isa:?} {inputs:?}");
                    }
                }
            }
        }
        // More offsets take the generic path.
        let mut k4 =
            Kernel::new(&[flat.clone(), flat[..(v + 1) * v].to_vec()].concat(), v, 4).unwrap();
        let inputs = [TokenId(1), TokenId(2), TokenId(3), TokenId(4)];
        let all = [flat.clone(), flat[..(v + 1) * v].to_vec()].concat();
        assert_eq!(k4.argmax(&inputs).index(), reference(&all, v, &inputs));
    }

    #[test]
    fn large_weights_fall_back() {
        let flat = vec![20_000, 0, 0, 0];
        assert!(Kernel::new(&flat, 1, 1).is_none());
    }
}
