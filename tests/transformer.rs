//! The small causal transformer (issue 16): no position sees a later token, one position alone
//! equals the whole window, it learns, its parameter count is what `ModelConfig` says, and a
//! run resumed from its checkpoint is the uninterrupted run.

use arsim::nn::{train, ArModel, Architecture, Checkpoint, ModelConfig, Recipe, TrainOptions};
use candle_core::{Device, Tensor};
use common::counting::Counting;

mod common;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    arsim::nn::max_abs_difference(a, b).unwrap()
}

fn tiny() -> ModelConfig {
    ModelConfig::new(Architecture::Transformer, 7, 9, 8, 2, 2)
}

#[test]
fn no_position_sees_a_later_token() {
    let dev = Device::Cpu;
    let model = ArModel::new(tiny(), 1, &dev).unwrap();
    let a = Tensor::new(&[[1u32, 2, 3, 4, 5, 6, 0, 1, 2]], &dev).unwrap();
    for p in 0..9 {
        // Change the token at position p only.
        let mut changed = vec![1u32, 2, 3, 4, 5, 6, 0, 1, 2];
        changed[p] = (changed[p] + 3) % 7;
        let b = Tensor::from_vec(changed, (1, 9), &dev).unwrap();
        let (la, lb) = (model.forward(&a).unwrap(), model.forward(&b).unwrap());
        for t in 0..9 {
            let d = max_abs_diff(&la.narrow(1, t, 1).unwrap(), &lb.narrow(1, t, 1).unwrap());
            if t < p {
                assert_eq!(d, 0.0, "position {t} saw the token at {p}");
            } else if t == p {
                // Not vacuous: the position itself does see its token.
                assert!(d > 1e-6, "position {t} ignored its own token");
            }
        }
    }
}

#[test]
fn one_position_equals_the_whole_window_and_the_count_is_right() {
    let dev = Device::Cpu;
    let model = ArModel::new(tiny(), 3, &dev).unwrap();
    let tokens = Tensor::new(
        &[[1u32, 2, 3, 4, 5, 6, 0, 1, 2], [6, 5, 4, 3, 2, 1, 0, 6, 5]],
        &dev,
    )
    .unwrap();
    let all = model.forward(&tokens).unwrap();
    assert_eq!(all.dims(), &[2, 9, 7]);
    for t in 0..9 {
        let one = model.logits_at(&tokens, t).unwrap();
        let want = all.narrow(1, t, 1).unwrap().squeeze(1).unwrap();
        assert!(max_abs_diff(&one, &want) < 1e-5, "position {t}");
    }
    let counted: usize = model.named_vars().iter().map(|(_, v)| v.elem_count()).sum();
    assert_eq!(counted, tiny().parameters());
    // 2 blocks of 12d² + d(T+1) multiply-adds per token, plus the output layer d·V.
    let c = tiny();
    assert_eq!(
        c.forward_macs_per_token(),
        2.0 * (12.0 * 64.0 + 8.0 * 10.0) + 8.0 * 7.0
    );
    assert_eq!(
        c.training_flops_per_token(),
        6.0 * c.forward_macs_per_token()
    );
    // A width that the heads do not divide is refused, not mis-shaped.
    assert!(ArModel::new(
        ModelConfig::new(Architecture::Transformer, 7, 9, 6, 1, 4),
        0,
        &dev
    )
    .is_err());
}

fn options(steps: usize, checkpoint: Option<std::path::PathBuf>) -> TrainOptions {
    common::counting::options(steps, checkpoint, 1e-2, 0.1)
}

#[test]
fn it_learns_to_count() {
    let dev = Device::Cpu;
    let model = ArModel::new(tiny(), 0, &dev).unwrap();
    let mut opt = arsim::nn::AdamW::for_model(&model, 1e-2, 0.1, Recipe::Arsim).unwrap();
    let r = train(&model, &mut opt, &Counting, &options(80, None), &mut |_| {}).unwrap();
    assert!(
        r.final_loss < 0.3 * r.first_loss,
        "loss {} → {}",
        r.first_loss,
        r.final_loss
    );
}

#[test]
fn a_resumed_run_is_the_uninterrupted_run() {
    let dev = Device::Cpu;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transformer.safetensors");
    let run = |stop: usize, resume: bool| {
        let (model, mut opt) = if resume {
            Checkpoint::load(&path, &dev).unwrap().restore().unwrap()
        } else {
            let model = ArModel::new(tiny(), 2, &dev).unwrap();
            let opt = arsim::nn::AdamW::for_model(&model, 1e-2, 0.1, Recipe::Arsim).unwrap();
            (model, opt)
        };
        let opts = TrainOptions {
            stop_at: Some(stop),
            ..options(30, Some(path.clone()))
        };
        train(&model, &mut opt, &Counting, &opts, &mut |_| {}).unwrap();
        model
    };
    let tokens = Tensor::new(&[[3u32, 4, 5, 6, 0, 1, 2, 3, 4]], &dev).unwrap();
    let model = run(15, false);
    let loaded = Checkpoint::load(&path, &dev).unwrap();
    assert_eq!((loaded.step, loaded.config), (15, tiny()));
    let (again, _) = loaded.restore().unwrap();
    assert_eq!(
        max_abs_diff(
            &model.forward(&tokens).unwrap(),
            &again.forward(&tokens).unwrap()
        ),
        0.0
    );
    let resumed = run(30, true);
    std::fs::remove_file(&path).unwrap();
    let straight = run(30, false);
    let diff = max_abs_diff(
        &resumed.forward(&tokens).unwrap(),
        &straight.forward(&tokens).unwrap(),
    );
    // The same arithmetic in the same order: bit-identical on one machine.
    assert_eq!(diff, 0.0, "resumed run differs by {diff}");
}

#[test]
fn the_attention_op_is_the_tensor_formulation_forward_and_backward() {
    use candle_core::Var;
    let dev = Device::Cpu;
    // Head widths 4 and 7 (the `paper` chain's d = 28 over 4 heads); 37 positions, so that
    // rows are both shorter and longer than the op's 16-lane sums.
    for (b, t, d, heads) in [(3, 37, 12, 3), (2, 37, 28, 4), (1, 1, 8, 2)] {
        let qkv =
            Var::from_tensor(&Tensor::randn(0f32, 1.0, (b, t, 3 * d), &dev).unwrap()).unwrap();
        let weight = Tensor::randn(0f32, 1.0, (b, t, d), &dev).unwrap();
        let fused = arsim::nn::attention::causal_attention(qkv.as_tensor(), heads).unwrap();
        let reference =
            arsim::nn::attention::causal_attention_by_tensors(qkv.as_tensor(), heads).unwrap();
        assert_eq!(fused.dims(), &[b, t, d]);
        let diff = max_abs_diff(&fused, &reference);
        assert!(
            diff < 1e-5,
            "forward, {b}×{t}, d {d}, {heads} heads: {diff}"
        );
        let grad = |y: &Tensor| {
            let loss = (y * &weight).unwrap().sum_all().unwrap();
            loss.backward().unwrap().get(&qkv).unwrap().clone()
        };
        let (g_fused, g_reference) = (grad(&fused), grad(&reference));
        let scale = arsim::nn::max_abs_difference(&g_reference, &g_reference.zeros_like().unwrap())
            .unwrap();
        let diff = max_abs_diff(&g_fused, &g_reference);
        assert!(scale > 0.1, "a gradient to compare");
        assert!(
            diff < 1e-5 * scale.max(1.0),
            "backward, {b}×{t}, d {d}, {heads} heads: {diff} (largest {scale})"
        );
    }
}

#[test]
fn the_gelu_op_is_candles_forward_and_backward() {
    use candle_core::Var;
    let dev = Device::Cpu;
    let x = Var::from_tensor(&(Tensor::randn(0f32, 1.0, (64, 40), &dev).unwrap() * 3.0).unwrap())
        .unwrap();
    let weight = Tensor::randn(0f32, 1.0, (64, 40), &dev).unwrap();
    let ours = arsim::nn::gelu::gelu(x.as_tensor()).unwrap();
    let candles = x.as_tensor().gelu().unwrap();
    // Its tanh is a polynomial within 2·10⁻⁷ of libm's; the output moves by ½|x| times that.
    let diff = max_abs_diff(&ours, &candles);
    assert!(diff < 1e-6, "forward differs by {diff}");
    let grad = |y: &Tensor| {
        let loss = (y * &weight).unwrap().sum_all().unwrap();
        loss.backward().unwrap().get(&x).unwrap().clone()
    };
    let diff = max_abs_diff(&grad(&ours), &grad(&candles));
    // candle's backward rounds its constants to six digits (0.797885, 0.0356774, …).
    assert!(diff < 1e-5, "backward differs by {diff}");
}

#[test]
fn decoding_one_position_at_a_time_gives_the_whole_windows_logits() {
    let dev = Device::Cpu;
    let rows: [[u32; 9]; 2] = [[1, 2, 3, 4, 5, 6, 0, 1, 2], [6, 5, 4, 3, 2, 1, 0, 6, 5]];
    let tokens = Tensor::new(&rows, &dev).unwrap();
    // The transformer (key–value cache) and the MLP (the prefix re-run), 9 positions each.
    for config in [tiny(), ModelConfig::new(Architecture::Mlp, 7, 9, 4, 0, 0)] {
        let model = ArModel::new(config, 5, &dev).unwrap();
        let all = model.forward(&tokens).unwrap();
        let mut decoder = model.decoder(2);
        for t in 0..9 {
            decoder.push(&[rows[0][t], rows[1][t]]).unwrap();
            let want = all.narrow(1, t, 1).unwrap().squeeze(1).unwrap();
            let diff = max_abs_diff(&decoder.logits().unwrap(), &want);
            assert!(
                diff < 1e-5,
                "{:?}, position {t}: {diff}",
                config.architecture
            );
        }
        // The context is full: a tenth token is refused, not wrapped.
        assert!(decoder.push(&[0, 0]).is_err());
    }
}
