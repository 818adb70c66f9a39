//! The exported model's tensors, config and tokenizer, as Hugging Face `transformers` names
//! them for `GPT2LMHeadModel` (Conv1D weights are `[in, out]`, `lm_head` is `[out, in]`).
//!
//! Each weight is written from the plan's named dimensions ([`Dim`]); see the module
//! [`super::plan`] for what each dimension holds and proofs/transformer.md for why the argmax of
//! the logits is the linear predictor's.

use super::plan::{Dim, Plan, LAYER_NORM_EPSILON};
use crate::predictor::{LinearAr, Weight};
use serde_json::{json, Value};

/// A named tensor: its shape and row-major values, in `f64` (rounded once, when written).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// The parameter's name in `GPT2LMHeadModel`'s state dict.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f64>,
}

impl Tensor {
    /// The tensor `name` of `shape` holding `values` (row-major).
    pub fn new(name: impl Into<String>, shape: &[usize], values: Vec<f64>) -> Tensor {
        debug_assert_eq!(shape.iter().product::<usize>(), values.len());
        Tensor {
            name: name.into(),
            shape: shape.to_vec(),
            values,
        }
    }

    fn zeros(name: &str, shape: &[usize]) -> Tensor {
        Tensor {
            name: name.to_string(),
            shape: shape.to_vec(),
            values: vec![0.0; shape.iter().product()],
        }
    }

    fn ones(name: &str, n: usize) -> Tensor {
        Tensor {
            name: name.to_string(),
            shape: vec![n],
            values: vec![1.0; n],
        }
    }

    fn set(&mut self, row: usize, col: usize, v: f64) {
        let cols = self.shape[1];
        self.values[row * cols + col] = v;
    }

    /// The value at `[row, col]` of a matrix.
    pub fn at(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.shape[1] + col]
    }
}

/// The offset matrices as `f64`, `[head][output][input]`.
pub fn head_weights<T: Weight>(p: &LinearAr<T>) -> Vec<Vec<Vec<f64>>> {
    p.weights()
        .iter()
        .map(|w| {
            (0..w.nrows())
                .map(|d| (0..w.ncols()).map(|x| w[(d, x)].to_f64()).collect())
                .collect()
        })
        .collect()
}

/// The score `<bos>` gets in units of the heads' scores: one below the least score any token can
/// get (Σ_h min(0, min W_h)), so it never wins.
pub fn bos_score(weights: &[Vec<Vec<f64>>]) -> f64 {
    let least: f64 = weights
        .iter()
        .map(|w| {
            w.iter()
                .flatten()
                .fold(0.0f64, |m, &x| if x < m { x } else { m })
        })
        .sum();
    (least - 1.0).floor()
}

/// Every tensor of the model, in the order `GPT2LMHeadModel` lists them.
pub fn tensors(plan: &Plan, weights: &[Vec<Vec<f64>>]) -> Vec<Tensor> {
    let d = plan.n_embd();
    let v1 = plan.vocab_size();
    let hd = plan.head_dim;
    let k = plan.frequencies;
    let at = |dim| plan.index(dim);

    let mut wte = Tensor::zeros("transformer.wte.weight", &[v1, d]);
    for t in 0..v1 {
        wte.set(t, at(Dim::Tok(t)), 1.0);
        wte.set(t, at(Dim::TokMean), -1.0);
    }
    let mut wpe = Tensor::zeros("transformer.wpe.weight", &[plan.context, d]);
    for m in 0..plan.context {
        let p = plan.position(m);
        for f in 0..k {
            wpe.set(m, at(Dim::PosCos(f)), p[2 * f]);
            wpe.set(m, at(Dim::PosSin(f)), p[2 * f + 1]);
        }
        wpe.set(m, at(Dim::PosFix(0)), p[2 * k]);
        wpe.set(m, at(Dim::PosFix(1)), p[2 * k + 1]);
    }

    // Queries, keys and values; every column reads `x_i − x_anchor` (its anchor weight is minus
    // the sum of its others), which a rounded layer-norm mean cannot move.
    let mut c_attn = Tensor::zeros("transformer.h.0.attn.c_attn.weight", &[d, 3 * d]);
    let mut column = |col: usize, terms: &[(usize, f64)]| {
        let mut sum = 0.0;
        for &(row, w) in terms {
            c_attn.set(row, col, w);
            sum += w;
        }
        c_attn.set(at(Dim::Anchor), col, -sum);
    };
    let lambda = plan.qk_factor();
    for (h, &offset) in plan.offsets.iter().enumerate() {
        // Predicting the token after position m, head h reads position m + 1 − offset.
        let back = offset as i64 - 1;
        for f in 0..k {
            let (s, c) = super::plan::angle(back, f).sin_cos();
            let (cos_f, sin_f) = (at(Dim::PosCos(f)), at(Dim::PosSin(f)));
            let q = h * hd + 2 * f;
            // q(m) = λ (cos ω(m − back), sin ω(m − back)), k(n) = λ (cos ωn, sin ωn).
            column(q, &[(cos_f, lambda * c), (sin_f, lambda * s)]);
            column(q + 1, &[(cos_f, -lambda * s), (sin_f, lambda * c)]);
            column(d + q, &[(cos_f, lambda)]);
            column(d + q + 1, &[(sin_f, lambda)]);
        }
        for t in 0..v1 {
            column(2 * d + h * hd + t, &[(at(Dim::Tok(t)), 1.0)]);
        }
        column(2 * d + h * hd + v1, &[(at(Dim::TokMean), 1.0)]);
    }

    // The output map writes head h's token into `head h:t`, undoing the layer norm's c₁.
    let g = 1.0 / plan.ln1_scale();
    let mut c_proj = Tensor::zeros("transformer.h.0.attn.c_proj.weight", &[d, d]);
    for h in 0..plan.heads() {
        for t in 0..v1 {
            c_proj.set(h * hd + t, at(Dim::Head(h, t)), g);
        }
        c_proj.set(h * hd + v1, at(Dim::HeadMean(h)), g);
    }

    // The unembedding holds the predictor's weights.
    let mut lm_head = Tensor::zeros("lm_head.weight", &[v1, d]);
    for (h, w) in weights.iter().enumerate() {
        for (out, row) in w.iter().enumerate() {
            for (input, &x) in row.iter().enumerate() {
                lm_head.set(out, at(Dim::Head(h, input)), x);
            }
        }
    }
    // `<bos>` and `<unk>` score `bos_score` from head 0's mean dimension (−1 at every position).
    lm_head.set(plan.bos(), at(Dim::HeadMean(0)), -bos_score(weights));
    lm_head.set(plan.unk(), at(Dim::HeadMean(0)), -bos_score(weights));
    for out in 0..v1 {
        let sum: f64 = (0..d).map(|i| lm_head.at(out, i)).sum();
        lm_head.set(out, at(Dim::Anchor), -sum);
    }

    vec![
        wte,
        wpe,
        Tensor::ones("transformer.h.0.ln_1.weight", d),
        Tensor::zeros("transformer.h.0.ln_1.bias", &[d]),
        c_attn,
        Tensor::zeros("transformer.h.0.attn.c_attn.bias", &[3 * d]),
        c_proj,
        Tensor::zeros("transformer.h.0.attn.c_proj.bias", &[d]),
        Tensor::ones("transformer.h.0.ln_2.weight", d),
        Tensor::zeros("transformer.h.0.ln_2.bias", &[d]),
        // The MLP adds exactly 0: one hidden unit, all its weights 0, and gelu(0) = 0.
        Tensor::zeros("transformer.h.0.mlp.c_fc.weight", &[d, 1]),
        Tensor::zeros("transformer.h.0.mlp.c_fc.bias", &[1]),
        Tensor::zeros("transformer.h.0.mlp.c_proj.weight", &[1, d]),
        Tensor::zeros("transformer.h.0.mlp.c_proj.bias", &[d]),
        Tensor::ones("transformer.ln_f.weight", d),
        Tensor::zeros("transformer.ln_f.bias", &[d]),
        lm_head,
    ]
}

/// `config.json`: a standard `GPT2LMHeadModel` (no custom code), with arsim's own record under
/// `arsim` (which `transformers` keeps and ignores).
pub fn config(plan: &Plan, arsim: Value) -> Value {
    let bos = plan.bos();
    json!({
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": plan.vocab_size(),
        "n_positions": plan.context,
        "n_ctx": plan.context,
        "n_embd": plan.n_embd(),
        "n_layer": 1,
        "n_head": plan.heads(),
        "n_inner": 1,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "layer_norm_epsilon": LAYER_NORM_EPSILON,
        "initializer_range": 0.02,
        "scale_attn_weights": true,
        "scale_attn_by_inverse_layer_idx": false,
        "reorder_and_upcast_attn": false,
        "use_cache": true,
        "bos_token_id": bos,
        "eos_token_id": bos,
        "pad_token_id": bos,
        "tie_word_embeddings": false,
        "dtype": "float32",
        "arsim": arsim,
    })
}

/// `generation_config.json`: greedy, to the end of the context, `<bos>` as padding (and as the
/// end token, which the model never emits).
pub fn generation_config(plan: &Plan) -> Value {
    let bos = plan.bos();
    json!({
        "bos_token_id": bos,
        "eos_token_id": bos,
        "pad_token_id": bos,
        "do_sample": false,
        "max_length": plan.context,
    })
}

/// `tokenizer.json`: a `tokenizers` word-level model over the dictionary's labels, split on
/// white space, with `<bos>` put before every text; a label not in the dictionary is `<unk>`.
pub fn tokenizer(plan: &Plan, labels: &[String]) -> Value {
    let bos = plan.bos();
    let mut vocab = serde_json::Map::new();
    for (i, l) in labels.iter().enumerate() {
        vocab.insert(l.clone(), json!(i));
    }
    vocab.insert("<bos>".into(), json!(bos));
    vocab.insert("<unk>".into(), json!(plan.unk()));
    let special = |id: &str| json!({"SpecialToken": {"id": id, "type_id": 0}});
    let seq = |id: &str| json!({"Sequence": {"id": id, "type_id": 0}});
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
            {"id": bos, "content": "<bos>", "single_word": false, "lstrip": false,
             "rstrip": false, "normalized": false, "special": true},
            {"id": plan.unk(), "content": "<unk>", "single_word": false, "lstrip": false,
             "rstrip": false, "normalized": false, "special": true}
        ],
        "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("<bos>"), seq("A")],
            "pair": [special("<bos>"), seq("A"), seq("B")],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [bos], "tokens": ["<bos>"]}}
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    })
}

/// `tokenizer_config.json`: the fast tokenizer over `tokenizer.json`, `<bos>` for every special
/// role.
pub fn tokenizer_config(plan: &Plan) -> Value {
    json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<bos>",
        "eos_token": "<bos>",
        "pad_token": "<bos>",
        "unk_token": "<unk>",
        "model_max_length": plan.context,
        "clean_up_tokenization_spaces": false,
    })
}
