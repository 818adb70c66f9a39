//! The shared neural layer: the block-triangular masked layer computes the paper's dense masked
//! product (outputs and gradients), single positions agree with whole windows, training lowers
//! the loss, and a checkpoint round-trips to the same predictions and optimizer state.

use arsim::nn::masked::{block_mask, MaskedLinear, MaskedShape};
use arsim::nn::{
    train, AdamW, ArModel, Architecture, Checkpoint, ModelConfig, Recipe, TrainOptions,
};
use candle_core::{Device, Tensor};
use common::counting::Counting;

mod common;

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
        layers: 0,
        heads: 0,
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

/// The hand-written training step (`nn::step`: embedding, masked layer, ReLU MLP, output
/// layer and cross-entropy, forward and backward, without candle's autograd) gives the loss
/// and every parameter's gradient of candle's autograd through `ArModel::loss`, to 10⁻⁵ of
/// the largest entry, for both models, both recipes, and chunks that do and do not divide T.
#[test]
fn hand_written_step_equals_autograd() {
    let dev = Device::Cpu;
    for (arch, recipe, chunk) in [
        (Architecture::Mlp, Recipe::Arsim, 4),
        (Architecture::Mlp, Recipe::Paper, 3),
        (Architecture::Linear, Recipe::Arsim, 9),
        (Architecture::Linear, Recipe::Paper, 1),
    ] {
        let config = ModelConfig {
            chunk,
            ..tiny(arch)
        };
        let model = ArModel::new_with(config, 5, recipe, &dev).unwrap();
        // A non-zero masked bias (the arsim recipe trains it), so that it is compared too.
        let named = model.named_vars();
        let bias = &named.iter().find(|(n, _)| n == "masked.bias").unwrap().1;
        bias.set(&Tensor::randn(0f32, 0.5, bias.shape(), &dev).unwrap())
            .unwrap();
        let inputs = Tensor::new(
            &[
                [1u32, 2, 3, 4, 5, 6, 0, 1, 2],
                [6, 5, 4, 3, 2, 1, 0, 6, 5],
                [0, 0, 1, 1, 2, 2, 3, 3, 4],
            ],
            &dev,
        )
        .unwrap();
        // The next token of each input, modulo the vocabulary.
        let next: Vec<u32> = inputs
            .flatten_all()
            .unwrap()
            .to_vec1::<u32>()
            .unwrap()
            .iter()
            .map(|k| (k + 1) % 7)
            .collect();
        let targets = Tensor::from_vec(next, inputs.dims(), &dev).unwrap();
        let loss = model.loss(&inputs, &targets).unwrap();
        let want = loss.backward().unwrap();
        let (got_loss, got) = arsim::nn::step::gradients(&model, &inputs, &targets)
            .unwrap()
            .expect("the hand-written step applies to this model");
        let want_loss = loss.to_scalar::<f32>().unwrap();
        assert!(
            (got_loss - want_loss).abs() <= 1e-5 * want_loss.abs(),
            "{arch:?} {recipe:?}: loss {got_loss} against {want_loss}"
        );
        for (name, var) in &named {
            let a = got.get(var.as_tensor()).expect("a hand-written gradient");
            let b = want.get(var.as_tensor()).expect("an autograd gradient");
            assert_eq!(a.dims(), b.dims(), "{name}");
            let scale = b
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(
                scale > 0.0,
                "{arch:?} {recipe:?}: {name} has no gradient to compare"
            );
            let d = max_abs_diff(a, b);
            assert!(
                d <= 1e-5 * scale,
                "{arch:?} {recipe:?} chunk {chunk}: gradient of {name} differs by {d} (largest {scale})"
            );
        }
    }
    // A token outside the vocabulary is an error, not a read out of bounds.
    let model = ArModel::new(tiny(Architecture::Linear), 1, &dev).unwrap();
    let bad = Tensor::new(&[[1u32, 2, 3, 4, 5, 6, 7, 1, 2]], &dev).unwrap();
    let e = arsim::nn::step::gradients(&model, &bad, &bad).unwrap_err();
    assert!(e.to_string().contains("token 7"), "{e}");
}

/// Training through the hand-written step and through candle's autograd (the same update,
/// `AdamW::update`, fed by either) ends at the same parameters.
#[test]
fn hand_written_training_follows_autograd_training() {
    let dev = Device::Cpu;
    for arch in [Architecture::Mlp, Architecture::Linear] {
        let models: Vec<ArModel> = (0..2)
            .map(|_| ArModel::new_with(tiny(arch), 2, Recipe::Paper, &dev).unwrap())
            .collect();
        let mut opts: Vec<AdamW> = models
            .iter()
            .map(|m| AdamW::for_model(m, 3e-2, 0.1, Recipe::Paper).unwrap())
            .collect();
        for step in 0..5u32 {
            let inputs = Tensor::new(
                &[
                    [step, 2, 3, 4, 5, 6, 0, 1, 2],
                    [6, 5, 4, 3, 2, 1, 0, 6, step],
                ],
                &dev,
            )
            .unwrap();
            let targets = inputs.flip(&[1]).unwrap().contiguous().unwrap();
            arsim::nn::train_step(&models[0], &mut opts[0], &inputs, &targets, 3e-2).unwrap();
            let loss = models[1].loss(&inputs, &targets).unwrap();
            opts[1].backward_step(&loss, 3e-2).unwrap();
        }
        for ((name, a), (_, b)) in models[0].named_vars().iter().zip(models[1].named_vars()) {
            let d = max_abs_diff(a.as_tensor(), b.as_tensor());
            assert!(d < 1e-4, "{arch:?}: {name} differs by {d} after 5 steps");
        }
        assert!(opts[0].last_grad_norm > 0.0);
        assert!(
            (opts[0].last_grad_norm - opts[1].last_grad_norm).abs() < 1e-4 * opts[1].last_grad_norm
        );
    }
}

fn options(steps: usize, checkpoint: Option<std::path::PathBuf>) -> TrainOptions {
    common::counting::options(steps, checkpoint, 3e-2, 0.0)
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

/// `--paper-config`: the paper's code's initialisation, decay groups, frozen masked bias,
/// clipping and schedule (emalach/LinearLM, issue 16).
#[test]
fn the_paper_recipe_initialises_and_trains_as_the_papers_code() {
    use arsim::nn::Recipe;
    let dev = Device::Cpu;
    let config = tiny(Architecture::Mlp);
    let model = ArModel::new_with(config, 5, Recipe::Paper, &dev).unwrap();
    let (t, d) = (config.context as f32, config.d as f32);
    let max_abs = |name: &str| -> f32 {
        let v = &model
            .named_vars()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1;
        v.as_tensor()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar()
            .unwrap()
    };
    // Uniform ±1/√(T·d) in the masked layer, ±1/√d in the d×d and output layers.
    for k in 0..3 {
        let m = max_abs(&format!("masked.diagonal.{k}"));
        assert!(
            m <= 1.0 / (t * d).sqrt() && m > 0.5 / (t * d).sqrt(),
            "diagonal {k}: {m}"
        );
    }
    let m = max_abs("masked.below.1");
    assert!(
        m <= 1.0 / (t * d).sqrt() && m > 0.5 / (t * d).sqrt(),
        "below: {m}"
    );
    for name in [
        "hidden.weight",
        "hidden.bias",
        "output.weight",
        "output.bias",
    ] {
        let m = max_abs(name);
        assert!(m <= 1.0 / d.sqrt() && m > 0.3 / d.sqrt(), "{name}: {m}");
    }
    assert_eq!(model.masked().unwrap().masked_leak().unwrap(), 0.0);
    // Decay on weights only; the masked bias never trains (the paper never applies it).
    let mut opt = AdamW::for_model(&model, 1e-2, 0.1, Recipe::Paper).unwrap();
    let names: Vec<String> = model.named_vars().into_iter().map(|(n, _)| n).collect();
    for (k, n) in names.iter().enumerate() {
        assert_eq!(opt.decay[k], !n.ends_with("bias"), "{n}");
        assert_eq!(opt.trained[k], n != "masked.bias", "{n}");
    }
    assert_eq!(opt.clip_norm, Some(1.0));
    let opts = TrainOptions {
        recipe: Recipe::Paper,
        ..options(30, None)
    };
    // The schedule: update 0 at rate 0, then linear from the peak to 0 at the end.
    assert_eq!(opts.lr_at(0), 0.0);
    assert!((opts.lr_at(1) - 3e-2).abs() < 1e-12);
    assert!((opts.lr_at(15) - 3e-2 * 15.0 / 29.0).abs() < 1e-12);
    assert!((opts.lr_at(29) - 3e-2 / 29.0).abs() < 1e-12);
    let long = TrainOptions {
        recipe: Recipe::Paper,
        ..options(100, None)
    };
    let r = train(&model, &mut opt, &Counting, &long, &mut |_| {}).unwrap();
    assert!(
        r.final_loss < 0.5 * r.first_loss,
        "{} → {}",
        r.first_loss,
        r.final_loss
    );
    assert!(opt.last_grad_norm > 0.0);
    assert_eq!(max_abs("masked.bias"), 0.0);
    assert_eq!(r.recipe, Recipe::Paper);
}

/// Issue 14: a resume that does not fit is refused with every difference named, a new learning
/// rate is said, and a checkpoint beyond the run's end is refused. Issue 22: the library says
/// the settings in words, never by a flag (tests/cli.rs checks that the command line names them).
#[test]
fn resume_refuses_a_different_architecture_and_says_a_different_lr() {
    use arsim::nn::{start_or_resume, Hyper, NnError, Recipe, ResumeNote, TrainSetting};
    let dev = Device::Cpu;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    let config = tiny(Architecture::Mlp);
    let model = ArModel::new(config, 1, &dev).unwrap();
    let mut opt = AdamW::for_model(&model, 3e-2, 0.0, Recipe::Arsim).unwrap();
    let opts = options(10, Some(path.clone()));
    train(&model, &mut opt, &Counting, &opts, &mut |_| {}).unwrap();
    let task = serde_json::json!({"task": "counting"});
    let hyper = Hyper {
        lr: 3e-2,
        weight_decay: 0.0,
        recipe: Recipe::Arsim,
    };
    let message = |r: Result<arsim::nn::Started, NnError>| match r {
        Err(e @ (NnError::Resume(_) | NnError::Mismatch { .. })) => {
            let m = e.to_string();
            assert!(!m.contains("--"), "{m}");
            m
        }
        other => panic!("expected a refusal, got {other:?}"),
    };
    let other = ModelConfig {
        d: 8,
        context: 5,
        architecture: Architecture::Linear,
        ..config
    };
    let m = message(start_or_resume(other, 1, &hyper, Some(&path), &task));
    for said in [
        "the architecture is linear here but mlp",
        "the width d is 8 here but 4",
        "the context is 5 here but 9",
    ] {
        assert!(m.contains(said), "{m}");
    }
    let paper = Hyper {
        recipe: Recipe::Paper,
        ..hyper
    };
    assert!(message(start_or_resume(config, 1, &paper, Some(&path), &task)).contains("recipe"));
    let other_task = serde_json::json!({"task": "other"});
    assert!(
        message(start_or_resume(config, 1, &hyper, Some(&path), &other_task))
            .contains("was trained for")
    );
    // The same architecture with another learning rate resumes and says so.
    let faster = Hyper { lr: 1e-2, ..hyper };
    let started = start_or_resume(config, 1, &faster, Some(&path), &task).unwrap();
    assert_eq!(
        started.notes,
        [ResumeNote::Changed {
            setting: TrainSetting::LearningRate,
            saved: 3e-2,
            now: 1e-2
        }]
    );
    assert_eq!(
        started.notes[0].to_string(),
        "the learning rate 0.01 differs from the checkpoint's 0.03: the run continues with 0.01"
    );
    assert!(start_or_resume(config, 1, &hyper, Some(&path), &task)
        .unwrap()
        .notes
        .is_empty());
    // The run's length may change (and is said); the data may not.
    let saved = dir.path().join("scheduled.safetensors");
    let mut ck = Checkpoint::load(&path, &dev).unwrap();
    ck.task = serde_json::json!({"task": "counting", "schedule": {"train_seqs": 10}});
    ck.save(&saved).unwrap();
    let longer = serde_json::json!({"task": "counting", "schedule": {"train_seqs": 20}});
    let notes = start_or_resume(config, 1, &hyper, Some(&saved), &longer)
        .unwrap()
        .notes;
    assert!(
        notes[0].to_string().contains("the run's length changed"),
        "{notes:?}"
    );
    let other_data = serde_json::json!({"task": "other", "schedule": {"train_seqs": 10}});
    assert!(message(start_or_resume(
        config,
        1,
        &hyper,
        Some(&saved),
        &other_data
    ))
    .contains("was trained for"));
    // A checkpoint at step 10 does not continue a run of 5 steps.
    let mut opt = started.opt;
    let short = options(5, None);
    match train(&started.model, &mut opt, &Counting, &short, &mut |_| {}) {
        Err(e @ NnError::Resume(_)) => assert!(
            e.to_string()
                .contains("from step 10: this run ends at step 5"),
            "{e}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
