//! The shared neural layer: the block-triangular masked layer computes the paper's dense masked
//! product (outputs and gradients), single positions agree with whole windows, training lowers
//! the loss, and a checkpoint round-trips to the same predictions and optimizer state.

use arsim::nn::masked::{block_mask, MaskedLinear, MaskedShape};
use arsim::nn::{
    train, AdamW, ArModel, Architecture, Batches, Checkpoint, ModelConfig, TrainOptions,
};
use candle_core::{Device, Tensor};

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    arsim::nn::max_abs_difference(a, b).unwrap()
}

#[test]
fn block_triangular_layer_equals_dense_masked_forward_and_gradients() {
    let dev = Device::Cpu;
    for (positions, d_in, d_out, chunk, seed) in [
        (7, 3, 2, 3, 1),
        (10, 4, 4, 1, 2),
        (12, 2, 5, 12, 3),
        (9, 3, 3, 4, 4),
    ] {
        let shape = MaskedShape {
            positions,
            d_in,
            d_out,
            chunk,
        };
        let layer = MaskedLinear::new(shape, seed, &dev).unwrap();
        // A non-zero bias, so that it is compared too.
        let vars = layer.named_vars("m");
        let bias = &vars.last().unwrap().1;
        bias.set(&Tensor::randn(0f32, 1.0, bias.shape(), &dev).unwrap())
            .unwrap();
        let x = Tensor::randn(0f32, 1.0, (5, positions * d_in), &dev).unwrap();
        let mask = block_mask(positions, d_in, d_out, &dev).unwrap();
        let fast = layer.forward(&x).unwrap();
        let dense = layer.forward_dense_masked(&x, &mask).unwrap();
        assert!(
            max_abs_diff(&fast, &dense) < 1e-4,
            "forward differs for {shape:?}"
        );
        // Gradients of the same scalar through both products, for every parameter.
        let w = Tensor::randn(0f32, 1.0, fast.shape(), &dev).unwrap();
        let g_fast = (fast * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let g_dense = (dense * &w).unwrap().sum_all().unwrap().backward().unwrap();
        for (name, var) in &vars {
            let a = g_fast
                .get(var.as_tensor())
                .expect("gradient through blocks");
            let b = g_dense
                .get(var.as_tensor())
                .expect("gradient through dense");
            assert!(
                max_abs_diff(a, b) < 1e-4,
                "gradient of {name} differs for {shape:?}"
            );
        }
        // Output position t depends on input positions ≤ t only: perturb position p and see
        // which outputs move.
        let p = positions / 2;
        let bump = Tensor::zeros((5, positions * d_in), candle_core::DType::F32, &dev)
            .unwrap()
            .slice_assign(
                &[0..5, p * d_in..p * d_in + 1],
                &Tensor::ones((5, 1), candle_core::DType::F32, &dev).unwrap(),
            )
            .unwrap();
        let moved =
            (layer.forward(&(&x + bump).unwrap()).unwrap() - layer.forward(&x).unwrap()).unwrap();
        let moved: Vec<Vec<f32>> = moved.to_vec2().unwrap();
        for t in 0..positions {
            let m = (t * d_out..(t + 1) * d_out)
                .map(|c| moved[0][c].abs())
                .fold(0f32, f32::max);
            if t < p {
                assert_eq!(m, 0.0, "output {t} saw input {p}");
            }
        }
        assert_eq!(layer.masked_leak().unwrap(), 0.0);
    }
}

fn tiny(architecture: Architecture) -> ModelConfig {
    ModelConfig {
        architecture,
        vocab: 7,
        context: 9,
        d: 4,
        chunk: 4,
    }
}

#[test]
fn one_position_equals_the_whole_window() {
    let dev = Device::Cpu;
    for arch in [
        Architecture::Mlp,
        Architecture::Linear,
        Architecture::Bigram,
    ] {
        let model = ArModel::new(tiny(arch), 3, &dev).unwrap();
        let tokens = Tensor::new(
            &[[1u32, 2, 3, 4, 5, 6, 0, 1, 2], [6, 5, 4, 3, 2, 1, 0, 6, 5]],
            &dev,
        )
        .unwrap();
        let all = model.forward(&tokens).unwrap();
        let dense = model.forward_dense_masked(&tokens).unwrap();
        assert!(max_abs_diff(&all, &dense) < 1e-4);
        for t in 0..9 {
            let one = model.logits_at(&tokens, t).unwrap();
            let want = all.narrow(1, t, 1).unwrap().squeeze(1).unwrap();
            assert!(max_abs_diff(&one, &want) < 1e-4, "{arch:?} position {t}");
            // Only the prefix is read.
            let prefix = tokens.narrow(1, 0, t + 1).unwrap();
            assert!(max_abs_diff(&model.logits_at(&prefix, t).unwrap(), &want) < 1e-4);
        }
    }
}

/// Sequences that count up modulo 7 from a seeded start: the next token is always the
/// current one plus one, which every architecture can learn.
struct Counting;

impl Batches for Counting {
    fn batch(&self, step: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let rows: Vec<u32> = (0..8)
            .flat_map(|b| (0..10).map(move |t| ((step * 3 + b * 5 + t) % 7) as u32))
            .collect();
        let all = Tensor::from_vec(rows, (8, 10), device)?;
        Ok((all.narrow(1, 0, 9)?, all.narrow(1, 1, 9)?))
    }
}

fn options(steps: usize, checkpoint: Option<std::path::PathBuf>) -> TrainOptions {
    TrainOptions {
        steps,
        stop_at: None,
        lr: 3e-2,
        weight_decay: 0.0,
        warmup: 5,
        checkpoint,
        checkpoint_seconds: 1e9,
        tokens_per_sequence: 9,
        task: serde_json::json!({"task": "counting"}),
    }
}

#[test]
fn training_lowers_the_loss() {
    let dev = Device::Cpu;
    for arch in [
        Architecture::Mlp,
        Architecture::Linear,
        Architecture::Bigram,
    ] {
        let model = ArModel::new(tiny(arch), 1, &dev).unwrap();
        let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
        let mut opt = AdamW::new(&vars, 3e-2, 0.0).unwrap();
        let report = train(
            &model,
            &mut opt,
            &Counting,
            &options(150, None),
            &mut |_| {},
        )
        .unwrap();
        assert!(
            report.final_loss < 0.2 * report.first_loss && report.final_loss < 0.3,
            "{arch:?}: loss {} → {}",
            report.first_loss,
            report.final_loss
        );
        assert!(model.masked().map_or(0.0, |m| m.masked_leak().unwrap()) == 0.0);
    }
}

#[test]
fn checkpoint_round_trips_and_resumes_exactly() {
    let dev = Device::Cpu;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    // A 40-step run stopped at `stop` (interrupted), or resumed from the checkpoint.
    let run = |stop: usize, resume: bool| {
        let (model, mut opt) = if resume {
            Checkpoint::load(&path, &dev).unwrap().restore().unwrap()
        } else {
            let model = ArModel::new(tiny(Architecture::Mlp), 2, &dev).unwrap();
            let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
            let opt = AdamW::new(&vars, 3e-2, 0.1).unwrap();
            (model, opt)
        };
        let opts = TrainOptions {
            stop_at: Some(stop),
            ..options(40, Some(path.clone()))
        };
        train(&model, &mut opt, &Counting, &opts, &mut |_| {}).unwrap();
        model
    };
    let tokens = Tensor::new(&[[3u32, 4, 5, 6, 0, 1, 2, 3, 4]], &dev).unwrap();
    // Save and load: the same distribution.
    let model = run(20, false);
    let loaded = Checkpoint::load(&path, &dev).unwrap();
    assert_eq!(loaded.step, 20);
    assert_eq!(loaded.task["task"], "counting");
    let (again, _) = loaded.restore().unwrap();
    assert_eq!(
        max_abs_diff(
            &model.forward(&tokens).unwrap(),
            &again.forward(&tokens).unwrap()
        ),
        0.0
    );
    // 20 steps, then 20 more from the checkpoint, equals 40 in one go.
    let resumed = run(40, true);
    std::fs::remove_file(&path).unwrap();
    let straight = run(40, false);
    let diff = max_abs_diff(
        &resumed.forward(&tokens).unwrap(),
        &straight.forward(&tokens).unwrap(),
    );
    assert!(diff < 1e-5, "resumed run differs by {diff}");
}

#[test]
fn bad_checkpoints_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.safetensors");
    std::fs::write(&path, b"not a checkpoint").unwrap();
    let err = Checkpoint::load(&path, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("junk.safetensors") && err.contains("not a safetensors"),
        "{err}"
    );
    let err = Checkpoint::load(&dir.path().join("missing"), &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn a_checkpoint_missing_a_tensor_names_the_file_and_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.safetensors");
    let model = ArModel::new(tiny(Architecture::Linear), 0, &Device::Cpu).unwrap();
    let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
    let opt = AdamW::new(&vars, 1e-2, 0.0).unwrap();
    let mut ck = Checkpoint::capture(&model, &opt, &serde_json::json!({})).unwrap();
    ck.tensors.remove("output.weight");
    ck.save(&path).unwrap();
    let err = Checkpoint::load(&path, &Device::Cpu)
        .unwrap()
        .restore()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("partial.safetensors") && err.contains("output.weight"),
        "{err}"
    );
}
