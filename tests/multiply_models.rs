//! The multiplication task's models: the neural route learns (loss falls, decoding scores
//! what it generates), checkpoints give the same decoded chains, and the Turing-machine route
//! multiplies validation pairs exactly through binary.

use arsim::machine::load_machine;
use arsim::nn::{train, AdamW, ArModel, Architecture, Checkpoint, ModelConfig, TrainOptions};
use arsim::tasks::multiply::neural::{decode_and_score, ChainBatches, EVAL_SEED};
use arsim::tasks::multiply::tm::{binary_input, read_binary, run_compiled, run_learned};
use arsim::tasks::multiply::{CotFormat, Dataset, Pair, Split};
use candle_core::Device;

fn options(steps: usize) -> TrainOptions {
    TrainOptions {
        steps,
        stop_at: None,
        lr: 1e-2,
        weight_decay: 0.0,
        warmup: 5,
        checkpoint: None,
        checkpoint_seconds: 1e9,
        tokens_per_sequence: CotFormat::Carry.len() - 1,
        task: serde_json::json!({"task": "multiply"}),
        recipe: arsim::nn::Recipe::Arsim,
    }
}

fn tiny_mlp() -> (ArModel, AdamW) {
    let config = ModelConfig {
        architecture: Architecture::Mlp,
        vocab: arsim::tasks::multiply::VOCAB_SIZE,
        context: CotFormat::Carry.len() - 1,
        d: 8,
        chunk: 8,
        layers: 0,
        heads: 0,
    };
    let model = ArModel::new(config, 0, &Device::Cpu).unwrap();
    let vars: Vec<_> = model.named_vars().into_iter().map(|(_, v)| v).collect();
    let opt = AdamW::new(&vars, 1e-2, 0.0).unwrap();
    (model, opt)
}

#[test]
fn a_tiny_mlp_lowers_the_loss_and_a_checkpoint_decodes_the_same() {
    let data = ChainBatches {
        format: CotFormat::Carry,
        batch: 16,
        seed: 0,
    };
    // Batches are a pure function of the step, drawn from the training split.
    assert_eq!(data.pairs(3), data.pairs(3));
    assert!(data.pairs(3).iter().all(|p| p.split() == Split::Train));
    let (model, mut opt) = tiny_mlp();
    let r = train(&model, &mut opt, &data, &options(100), &mut |_| {}).unwrap();
    assert!(
        r.final_loss < 0.7 * r.first_loss,
        "loss {} → {}",
        r.first_loss,
        r.final_loss
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.safetensors");
    Checkpoint::capture(&model, &opt, &serde_json::json!({"task": "multiply"}))
        .unwrap()
        .save(&path)
        .unwrap();
    let (back, _) = Checkpoint::load(&path, &Device::Cpu)
        .unwrap()
        .restore()
        .unwrap();
    let chains = Dataset::new(Split::Validation, CotFormat::Carry).sample_chains(40, EVAL_SEED);
    let a = decode_and_score(&model, &chains, 16, &mut |_| {}).unwrap();
    let b = decode_and_score(&back, &chains, 7, &mut |_| {}).unwrap();
    assert_eq!(a.answers.pairs, 40);
    assert_eq!(
        (
            a.answers.exact,
            a.answers.digits_correct,
            a.answers.chains_exact
        ),
        (
            b.answers.exact,
            b.answers.digits_correct,
            b.answers.chains_exact
        )
    );
    // A chain right token for token has its answer right.
    assert!(a.answers.digits_correct <= 8 * 40 && a.answers.chains_exact <= a.answers.exact);
}

#[test]
fn decoding_scores_what_it_generates() {
    // A model that has learned nothing cannot be exact on 30 pairs; the score's bookkeeping
    // must say so, and per-digit accuracy must be the digits counted.
    let (model, _) = tiny_mlp();
    let chains = Dataset::new(Split::Validation, CotFormat::Carry).sample_chains(30, EVAL_SEED);
    let s = decode_and_score(&model, &chains, 30, &mut |_| {}).unwrap();
    assert_eq!(s.answers.exact, 0);
    assert_eq!(s.answers.chains_exact, 0);
    assert_eq!(
        s.answers.per_digit_accuracy,
        s.answers.digits_correct as f64 / 240.0
    );
    assert_eq!(s.answers.wrong_examples.len(), 3);
    // Teacher forcing scores every position after the prompt, none of the prompt's.
    let by = &s.teacher_forced_by_position;
    assert_eq!(by.len(), CotFormat::Carry.len());
    assert!(by[..11].iter().all(Option::is_none));
    assert!(by[11..]
        .iter()
        .all(|a| a.is_some_and(|a| (0.0..=1.0).contains(&a))));
    let mean = by[11..].iter().map(|a| a.unwrap()).sum::<f64>() / (by.len() - 11) as f64;
    assert!((mean - s.teacher_forced_accuracy).abs() < 1e-9);
}

#[test]
fn binary_conversion_round_trips() {
    let p = Pair::new(1234, 5678).unwrap();
    assert_eq!(binary_input(p), "10011010010*1011000101110");
    assert_eq!(read_binary(&format!("{:b}", 7_006_652)), Some(7_006_652));
    assert_eq!(read_binary("101"), Some(5));
    assert_eq!(read_binary(""), None);
    assert_eq!(read_binary("1x"), None);
}

fn machine() -> arsim::machine::Machine {
    load_machine(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/machines/binary-multiply.ron"
    ))
    .unwrap()
}

#[test]
fn the_compiled_machine_multiplies_validation_pairs_exactly() {
    let r = run_compiled(&machine(), 12, Split::Validation, &mut |_| {});
    assert_eq!((r.validation.pairs, r.validation.exact), (12, 12));
    assert_eq!(r.split, Split::Validation);
    // The test half is a different sample of pairs, and the machine multiplies it too.
    let t = run_compiled(&machine(), 3, Split::Test, &mut |_| {});
    assert_eq!(
        (t.validation.pairs, t.validation.exact, t.split),
        (3, 3, Split::Test)
    );
    assert!(r.chain_tokens_mean > 100_000.0, "{}", r.chain_tokens_mean);
    assert!(r.parameters > 0);
}

#[test]
fn the_learned_machine_predictor_is_scored_on_the_same_pairs() {
    // A handful of traces on the local window: the bookkeeping, not the learning curve (that
    // is RESULTS.md's row).
    let r = run_learned(
        &machine(),
        4,
        3,
        Split::Validation,
        0,
        arsim::encoding::WindowKind::Local,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.validation.pairs, 3);
    assert_eq!(r.train_seqs, 4);
    assert!(r.validation.exact <= 3);
    let learner = r.learner.unwrap();
    assert_eq!(learner.inputs.distribution, "given");
    assert_eq!(
        r.validation.exact,
        learner.test.traces - learner.test.trace_errors
    );
}
