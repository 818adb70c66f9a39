//! Compiled predictors as Hugging Face GPT-2 checkpoints (issue 23, proofs/transformer.md): the
//! float certificate checked against the float model itself, evaluated directly in f32 and
//! bf16 (`arsim::hf::forward`), and refused where it must be.

mod common;

use arsim::api::{
    certify_hf, export_hf, load_machine, token_trace, EncodingKind, HeldPredictor, Input, Matrices,
};
use arsim::hf::forward::{argmax, Model};
use arsim::hf::{gpt2, Plan, Precision};

/// The exported model of `machine`'s compiled cells predictor, with its trace (`<bos>` first).
fn export(machine: &str) -> (HeldPredictor, Plan, Vec<gpt2::Tensor>, Vec<usize>, usize) {
    let m = load_machine(machine).unwrap();
    let held = HeldPredictor::compile(&m, &Input::default(), EncodingKind::Cells, None).unwrap();
    let (ids, prompt) = model_input(&m, &held);
    let arsim::api::Weights::Dense(arsim::api::DenseWeights::Int(p)) = &held.weights else {
        panic!("compiled cells weights are dense integers")
    };
    let (plan, tensors) = arsim::hf::build(p, ids.len(), prompt).unwrap();
    (held.clone(), plan, tensors, ids, prompt)
}

/// The model's input for `m`'s run on `held`'s window: `<bos>` (the dictionary's size), then the
/// trace; and the prompt's length.
fn model_input(m: &arsim::api::Machine, held: &HeldPredictor) -> (Vec<usize>, usize) {
    let (input, kind) = (Input::default(), EncodingKind::Cells);
    let t = token_trace(m, &input, kind, held.window(), 10_000, 1 << 20).unwrap();
    let mut ids = vec![t.labels.len()];
    ids.extend(t.ids.iter().map(|id| id.index()));
    (ids, t.prompt_tokens)
}

/// The linear predictor's integer scores for the token after position `m` of `ids`.
fn scores(plan: &Plan, tensors: &[gpt2::Tensor], ids: &[usize], m: usize) -> Vec<f64> {
    // The unembedding holds W_h[d, t] at `head h:t`; read the predictor back from it.
    let lm = tensors.iter().find(|t| t.name == "lm_head.weight").unwrap();
    (0..plan.vocab_size())
        .map(|d| {
            plan.offsets
                .iter()
                .enumerate()
                .map(|(h, &j)| {
                    let n = m + 1 - j;
                    let col = plan.index(arsim::hf::plan::Dim::Head(h, ids[n]));
                    let mean = plan.index(arsim::hf::plan::Dim::HeadMean(h));
                    lm.at(d, col) - lm.at(d, mean)
                })
                .sum()
        })
        .collect()
}

/// The least `loss` for which one common scale `A > 0` puts every logit difference within
/// `A·(Δs ± loss)` of the integer one: what the float model actually lost, in score units.
fn realised_loss(logits: &[f64], s: &[f64]) -> f64 {
    let w = argmax(s);
    let feasible = |loss: f64| {
        let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
        for d in (0..s.len()).filter(|&d| d != w) {
            let (dl, ds) = (logits[w] - logits[d], s[w] - s[d]);
            lo = lo.max(dl / (ds + loss));
            if ds > loss {
                hi = hi.min(dl / (ds - loss));
            }
        }
        lo <= hi
    };
    let (mut a, mut b) = (0.0, 1.0);
    while !feasible(b) {
        b *= 2.0;
    }
    for _ in 0..40 {
        let mid = (a + b) / 2.0;
        if feasible(mid) {
            b = mid;
        } else {
            a = mid;
        }
    }
    b
}

fn check_against_float(machine: &str, precision: Precision) -> (f64, f64, bool) {
    let (held, plan, tensors, ids, prompt) = export(machine);
    let arsim::api::Weights::Dense(arsim::api::DenseWeights::Int(p)) = &held.weights else {
        unreachable!()
    };
    let cert = arsim::hf::float_certificate(&plan, p, 1.0);
    let b = cert
        .bounds
        .iter()
        .find(|b| b.precision == precision)
        .unwrap();
    let model = Model::new(&plan, &tensors, Some(precision));
    let logits = model.logits(&ids);
    let mut worst: f64 = 0.0;
    let mut right = true;
    // Position m predicts trace token m (ids[m + 1]); the prompt is given, not predicted.
    for m in prompt..ids.len() - 1 {
        let s = scores(&plan, &tensors, &ids, m);
        assert_eq!(
            argmax(&s),
            ids[m + 1],
            "{machine}: the integer predictor at {m}"
        );
        right &= argmax(&logits[m]) == ids[m + 1];
        worst = worst.max(realised_loss(&logits[m], &s));
    }
    (worst, b.margin_loss, right && b.holds)
}

#[test]
fn the_f32_bound_holds_and_bounds_what_the_f32_model_loses() {
    for machine in ["machines/bb2.ron", "machines/bb3.ron"] {
        let (realised, bound, ok) = check_against_float(machine, Precision::F32);
        eprintln!("{machine} f32: realised loss {realised:.2e}, bound {bound:.2e}");
        assert!(ok, "{machine}: f32 bound or argmax failed");
        assert!(
            realised <= bound,
            "{machine}: the model lost {realised} > the bound {bound}"
        );
        assert!(realised > 0.0, "the check measures something");
    }
}

#[test]
fn the_bf16_bound_bounds_what_the_bf16_model_loses_where_it_holds() {
    let (realised, bound, holds) = check_against_float("machines/bb2.ron", Precision::Bf16);
    eprintln!("bb2 bf16: realised loss {realised:.3}, bound {bound:.3}, holds {holds}");
    // Whether or not it certifies, the bound must bound what the bf16 model loses.
    assert!(
        realised <= bound,
        "the bf16 model lost {realised} > {bound}"
    );
    assert!(realised > 0.0, "bf16 rounding moves the logits");
}

#[test]
fn a_model_built_to_break_bf16_is_refused_and_does_break() {
    // Adding 1000 to every weight of head 0 keeps every integer argmax and margin, but bf16
    // holds integers only to 256: the margin of 1 drowns in rounding.
    let (held, ..) = export("machines/bb2.ron");
    let Matrices::Int(mut ms) = held.matrices().unwrap() else {
        unreachable!()
    };
    for x in ms[0].iter_mut() {
        *x += 1000;
    }
    let shifted = held.with_matrices(Matrices::Int(ms), "shifted").unwrap();
    let m = load_machine("machines/bb2.ron").unwrap();
    let dir = tempfile::tempdir().unwrap();
    export_hf(&shifted, &m, &Input::default(), dir.path(), None).unwrap();
    let cert = certify_hf(dir.path(), Some(&m), Precision::F32, &mut |_, _| {}).unwrap();
    assert!(cert.local.certified, "the integer predictor is still right");
    assert!(
        cert.certified,
        "f32 still holds: {:?}",
        cert.float.bounds[0]
    );
    assert!(
        !cert.certified_bf16,
        "bf16 must be refused: {:?}",
        cert.float.bounds[1]
    );
    // And the bf16 model does go wrong somewhere.
    let arsim::api::Weights::Dense(arsim::api::DenseWeights::Int(p)) = &shifted.weights else {
        unreachable!()
    };
    let (ids, prompt) = model_input(&m, &held);
    let (plan, tensors) = arsim::hf::build(p, ids.len(), prompt).unwrap();
    let logits = Model::new(&plan, &tensors, Some(Precision::Bf16)).logits(&ids);
    let wrong = (prompt..ids.len() - 1)
        .filter(|&m| argmax(&logits[m]) != ids[m + 1])
        .count();
    assert!(
        wrong > 0,
        "the refused bf16 model should mispredict somewhere"
    );
}

#[test]
fn the_command_line_exports_certifies_and_refuses_a_changed_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("bb3");
    let ds = d.to_str().unwrap();
    let out = common::arsim(&["compile", "machines/bb3.ron", "--hf", ds]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
    ] {
        assert!(d.join(f).exists(), "{f} written");
    }
    let out = common::arsim(&["--json", "certify", "machines/bb3.ron", "--hf", ds]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = common::json(&out);
    assert_eq!(j["certified"], true);
    assert_eq!(j["model_is_construction"], true);
    // One changed weight: refused as bad input, naming the tensor.
    let path = d.join("model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let out = common::arsim(&["certify", "machines/bb3.ron", "--hf", ds]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tensor transformer.") && err.contains("not the construction"),
        "{err}"
    );
    // gates weights have no offsets for heads to read.
    let out = common::arsim(&[
        "compile",
        "machines/bb2.ron",
        "--encoding",
        "gates",
        "--hf",
        ds,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gates"));
}

#[test]
fn a_context_too_long_for_bf16_is_certified_in_f32_only_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("bb4");
    let ds = d.to_str().unwrap();
    let out = common::arsim(&["compile", "machines/bb4.ron", "--hf", ds]);
    assert!(out.status.success());
    let out = common::arsim(&["--json", "certify", "machines/bb4.ron", "--hf", ds]);
    let j = common::json(&out);
    assert_eq!(j["certified"], true);
    assert_eq!(j["certified_bf16"], false);
    let bf16 = j["float"]["largest_context"]["bfloat16"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        bf16 < 1621,
        "bf16 certifies {bf16} positions, fewer than bb4's trace"
    );
    // Asked for bf16, the command refuses with exit 1 and names the bound.
    let bf16_verdict = |json: &str| {
        let args = [
            json,
            "certify",
            "machines/bb4.ron",
            "--hf",
            ds,
            "--precision",
            "bf16",
        ];
        common::arsim(&args[usize::from(json.is_empty())..])
    };
    let out = bf16_verdict("");
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!(
            "NO in bfloat16: the bound fails at context 1621; bfloat16 certifies contexts up to {bf16}"
        )),
        "{said}"
    );
    let out = bf16_verdict("--json");
    assert_eq!(out.status.code(), Some(1));
    let j = common::json(&out);
    assert_eq!(
        (&j["precision"], &j["certified"]),
        (&"bf16".into(), &false.into())
    );
}

#[test]
fn a_trained_transformer_exports_to_gpt2_with_the_same_logits() {
    // A short multiplication run of arsim's transformer (2 blocks, 4 heads of 2), then its
    // checkpoint as a GPT-2: the output bias rides on the mean dimensions.
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("t.safetensors");
    let cks = ck.to_str().unwrap();
    let hf_dir = dir.path().join("hf");
    let out = common::arsim(&[
        "--json",
        "task",
        "multiply",
        "--cot",
        "none",
        "--model",
        "transformer",
        "--d",
        "8",
        "--train",
        "64",
        "--batch",
        "32",
        "--eval",
        "5",
        "--checkpoint",
        cks,
        "--hf",
        hf_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = &common::json(&out)["hf"];
    assert_eq!(
        (&e["layers"], &e["heads"], &e["n_embd"]),
        (&2.into(), &4.into(), &12.into())
    );
    assert_eq!(
        e["tokenizer"],
        serde_json::Value::Null,
        "multiplication has no BPE"
    );
    assert!(hf_dir.join("model.safetensors").exists() && hf_dir.join("config.json").exists());

    let t = arsim::api::checkpoint_tensors(&ck).unwrap();
    let get = |name: &str| {
        t.tensors
            .iter()
            .find(|x| x.0 == name)
            .map(|x| (x.1.as_slice(), x.2.as_slice()))
    };
    let c = |k: &str| t.config[k].as_u64().unwrap() as usize;
    let shape = arsim::hf::checkpoint::TransformerShape {
        vocab: c("vocab"),
        context: c("context"),
        d: c("d"),
        layers: c("layers"),
        heads: c("heads"),
    };
    let (config, tensors) = arsim::hf::checkpoint::gpt2_of_transformer(shape, &get).unwrap();
    let model = Model::of_shape(
        arsim::hf::forward::Shape {
            n_embd: config["n_embd"].as_u64().unwrap() as usize,
            n_head: shape.heads,
            n_layer: shape.layers,
            n_inner: 4 * shape.d,
            vocab: shape.vocab,
            epsilon: config["layer_norm_epsilon"].as_f64().unwrap(),
        },
        &tensors,
        Some(Precision::F32),
    );
    let tokens: Vec<i64> = (0..shape.context as i64)
        .map(|i| (i * 7 + 3) % shape.vocab as i64)
        .collect();
    let (want, vocab) = arsim::api::checkpoint_logits(&ck, &tokens, 1).unwrap();
    let ids: Vec<usize> = tokens.iter().map(|&x| x as usize).collect();
    let got = model.logits(&ids);
    let mut worst: f64 = 0.0;
    for (m, row) in got.iter().enumerate() {
        for (d, &x) in row.iter().enumerate() {
            worst = worst.max((x - f64::from(want[m * vocab + d])).abs());
        }
    }
    eprintln!("GPT-2 of the trained transformer: logits within {worst:.2e} of arsim's");
    assert!(worst < 1e-4, "logits differ by {worst}");
}

#[test]
fn a_trained_text_transformer_exports_with_its_tokenizer_and_other_models_are_refused_first() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::write_stories(dir.path());
    let ck = dir.path().join("t.safetensors");
    let hf_dir = dir.path().join("hf");
    let run = |model: &str| {
        common::arsim(&[
            "--json",
            "task",
            "text",
            "--corpus",
            corpus.to_str().unwrap(),
            "--vocab",
            "300",
            "--context",
            "4",
            "--d",
            "8",
            "--heads",
            "2",
            "--layers",
            "1",
            "--epochs",
            "1",
            "--model",
            model,
            "--checkpoint",
            ck.to_str().unwrap(),
            "--hf",
            hf_dir.to_str().unwrap(),
        ])
    };
    // The paper's linear model is not a GPT-2: refused before anything is trained or written.
    let out = run("linear");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("linear model is not a transformer"), "{err}");
    assert!(
        !ck.exists() && !hf_dir.exists(),
        "nothing trained or written"
    );

    let out = run("transformer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = common::json(&out);
    assert!(j["hf"]["tokenizer"].is_string());
    // The run's BPE (fewer than --vocab tokens on a corpus this small), in Hugging Face's
    // format: one entry per row of the model's output layer.
    let tokenizer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(hf_dir.join("tokenizer.json")).unwrap()).unwrap();
    let entries = tokenizer["model"]["vocab"]
        .as_object()
        .map_or(0, |v| v.len());
    assert_eq!(j["hf"]["vocab_size"], entries);
    assert_eq!(j["neural"]["config"]["vocab"], entries);
}
