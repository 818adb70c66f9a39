//! The masked layer's `gemm` kernels (`src/nn/masked/kernel.rs`) compute the paper's dense
//! masked product, outputs and every gradient (weights, bias and the input), in the cases the
//! common path in `tests/nn.rs` does not reach: a strided (non-contiguous) input, masked
//! entries that are not zero, products large enough to be split over two threads, and the
//! candle implementation of the same blocks.

use arsim::nn::masked::{block_mask, MaskedLinear, MaskedShape};
use candle_core::{Device, Tensor, Var};

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    arsim::nn::max_abs_difference(a, b).unwrap()
}

/// Forward and all gradients (the input's included) of the kernels against the dense masked
/// product, on input `x` (which may be a strided view of `base`, whose gradient is compared).
fn assert_matches_dense(layer: &MaskedLinear, base: &Var, x: &Tensor, what: &str) {
    let dev = Device::Cpu;
    let s = layer.shape();
    let mask = block_mask(s.positions, s.d_in, s.d_out, &dev).unwrap();
    let fast = layer.forward(x).unwrap();
    let dense = layer.forward_dense_masked(x, &mask).unwrap();
    let scale = dense
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
        .max(1.0);
    assert!(
        max_abs_diff(&fast, &dense) <= 1e-5 * scale,
        "{what}: forward differs"
    );
    let w = Tensor::randn(0f32, 1.0, fast.shape(), &dev).unwrap();
    let g_fast = (fast * &w).unwrap().sum_all().unwrap().backward().unwrap();
    let g_dense = (dense * &w).unwrap().sum_all().unwrap().backward().unwrap();
    let mut vars = layer.named_vars("m");
    vars.push(("input".into(), base.clone()));
    for (name, var) in &vars {
        let a = g_fast
            .get(var.as_tensor())
            .expect("gradient through the kernels");
        let b = g_dense
            .get(var.as_tensor())
            .expect("gradient through dense");
        let scale = b.abs().unwrap().flatten_all().unwrap().max(0).unwrap();
        let scale = scale.to_scalar::<f32>().unwrap().max(1.0);
        assert!(
            max_abs_diff(a, b) <= 1e-5 * scale,
            "{what}: gradient of {name} differs by {}",
            max_abs_diff(a, b)
        );
    }
}

#[test]
fn a_strided_input_and_uneven_chunks_match_the_dense_product() {
    let dev = Device::Cpu;
    for (positions, d_in, d_out, chunk) in [(11, 3, 5, 4), (9, 4, 2, 9), (6, 2, 2, 1)] {
        let shape = MaskedShape {
            positions,
            d_in,
            d_out,
            chunk,
        };
        let layer = MaskedLinear::new(shape, 7, &dev).unwrap();
        let bias = layer.named_vars("m").pop().unwrap().1;
        bias.set(&Tensor::randn(0f32, 1.0, bias.shape(), &dev).unwrap())
            .unwrap();
        // Columns 2.. of a wider matrix: row stride larger than the row.
        let base = Var::randn(0f32, 1.0, (3, positions * d_in + 5), &dev).unwrap();
        let x = base.as_tensor().narrow(1, 2, positions * d_in).unwrap();
        assert!(!x.is_contiguous());
        assert_matches_dense(&layer, &base, &x, &format!("{shape:?} strided"));
        // And its transpose's transpose: column stride ≠ 1.
        let base_t = Var::randn(0f32, 1.0, (positions * d_in, 3), &dev).unwrap();
        let x_t = base_t.as_tensor().t().unwrap();
        assert_matches_dense(&layer, &base_t, &x_t, &format!("{shape:?} transposed"));
    }
}

#[test]
fn masked_entries_are_masked_even_when_not_zero() {
    let dev = Device::Cpu;
    let shape = MaskedShape {
        positions: 8,
        d_in: 3,
        d_out: 2,
        chunk: 4,
    };
    let layer = MaskedLinear::new(shape, 2, &dev).unwrap();
    // Fill every diagonal square with non-zero values, masked entries included.
    for (name, var) in layer.named_vars("m") {
        if name.contains("diagonal") {
            var.set(&Tensor::randn(0f32, 1.0, var.shape(), &dev).unwrap())
                .unwrap();
        }
    }
    assert!(layer.masked_leak().unwrap() > 0.0);
    let base = Var::randn(0f32, 1.0, (4, 8 * 3), &dev).unwrap();
    assert_matches_dense(&layer, &base, base.as_tensor(), "non-zero masked entries");
    // Their gradient is zero, so training never moves them.
    let y = layer.forward(base.as_tensor()).unwrap();
    let grads = y.sum_all().unwrap().backward().unwrap();
    let mask = block_mask(4, 3, 2, &dev).unwrap();
    for (name, var) in layer.named_vars("m") {
        if name.contains("diagonal") {
            let g = grads.get(var.as_tensor()).unwrap();
            let outside = (g * (1.0 - &mask).unwrap()).unwrap();
            assert_eq!(
                outside
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap(),
                0.0,
                "{name}: masked entries got a gradient"
            );
        }
    }
}

#[test]
fn kernels_split_over_two_threads_and_agree_with_candle() {
    // Products above a million FLOP are split over `RAYON_NUM_THREADS` threads.
    std::env::set_var("RAYON_NUM_THREADS", "2");
    let dev = Device::Cpu;
    let shape = MaskedShape {
        positions: 40,
        d_in: 8,
        d_out: 8,
        chunk: 8,
    };
    let layer = MaskedLinear::new(shape, 5, &dev).unwrap();
    let base = Var::randn(0f32, 1.0, (64, 40 * 8), &dev).unwrap();
    assert_matches_dense(&layer, &base, base.as_tensor(), "two threads");
    let candle = layer.forward_candle(base.as_tensor()).unwrap();
    let fast = layer.forward(base.as_tensor()).unwrap();
    assert!(max_abs_diff(&candle, &fast) < 1e-4);
}
