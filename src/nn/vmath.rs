//! Elementary functions in arithmetic that vectorises, and the run-time choice of vector width,
//! for the custom ops' element loops ([`super::attention`], [`super::gelu`]).
//!
//! libm's `expf` and `tanhf` are a call per element, which no loop around them can vectorise;
//! in the transformer's training step they were a fifth of the time. The functions here are
//! polynomials and a few bit operations, inlined into the loop, so the loop runs 16 lanes wide
//! under AVX-512. Rust never contracts `a·b + c` into a fused multiply-add on its own, so
//! every vector width computes the same floats.

/// Defines `fn $name($args)` that runs `$body($args)` compiled for the widest vector unit the
/// CPU has (AVX-512, else AVX2, else the baseline), chosen at run time as the executor's kernel
/// is. `$body` must be `#[inline(always)]` for the features to reach its loops.
macro_rules! dispatch {
    ($name:ident, $body:ident, ($($arg:ident: $ty:ty),*)) => {
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has the features the function was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if is_x86_feature_detected!("avx2") {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use dispatch;

/// `eˣ` for `x ≤ 0` (a softmax's scores less their maximum): `eˣ = 2ᵏ·eʳ` with
/// `k = ⌊x·log₂e + ½⌋`, `r = x − k·ln 2` (ln 2 in two parts, so `r` is exact to f32) and
/// Cephes' degree-6 polynomial for `eʳ`, `|r| ≤ ½ln 2`; relative error under 10⁻⁷ (8.3·10⁻⁸ at
/// worst on a grid of step 10⁻⁴, checked against f64 below). Arguments under −87 are taken as
/// −87 (`e⁻⁸⁷ ≈ 1.6·10⁻³⁸` instead of a smaller number), which keeps `2ᵏ` a normal float.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = if x > -87.0 { x } else { -87.0 };
    let k = (x * LOG2E + 0.5).floor();
    let r = x - k * LN2_HI - k * LN2_LO;
    let mut p = 1.987_569_2e-4;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    e_r * f32::from_bits(((k as i32 + 127) as u32) << 23)
}

/// `tanh x`, as Cephes' `tanhf` computes it: for `|x| < 0.625` its odd polynomial
/// `x + x·z·P(z)`, `z = x²`; above, `(1 − e)/(1 + e)` with `e = e^{−2|x|}` (no cancellation:
/// `e ≤ 0.29`), and the sign of `x`. Both branches are computed and one is selected, so the
/// loop stays branch-free. Absolute error under 2·10⁻⁷ (checked against f64 below).
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3;
    p = p * z + 2.063_909e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 0.133_314_42;
    p = p * z - 0.333_332_8;
    let small = p * z * x + x;
    let e = exp_nonpositive(-2.0 * a);
    let large = ((1.0 - e) / (1.0 + e)).copysign(x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

#[cfg(test)]
mod tests {
    use super::{exp_nonpositive, tanh};

    #[test]
    fn exp_is_within_a_ten_millionth_of_f64s() {
        let mut worst = 0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let want = f64::from(x).exp();
            let err = (f64::from(exp_nonpositive(x)) - want).abs() / want;
            worst = worst.max(err);
        }
        assert!(worst < 1e-7, "relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(-1000.0) > 0.0 && exp_nonpositive(-1000.0) < 1e-37);
    }

    #[test]
    fn tanh_is_within_two_ten_millionths_of_f64s() {
        let mut worst = 0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4;
            let err = (f64::from(tanh(x)) - f64::from(x).tanh()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 2e-7, "absolute error {worst}");
        assert_eq!((tanh(0.0), tanh(50.0), tanh(-50.0)), (0.0, 1.0, -1.0));
        // Odd, and the small-argument branch keeps relative accuracy near 0.
        assert_eq!(tanh(-0.3), -tanh(0.3));
        assert!((f64::from(tanh(1e-5)) / 1e-5 - 1.0).abs() < 1e-6);
    }
}
