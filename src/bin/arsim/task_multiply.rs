//! `arsim task multiply`: the chains, their statistics, and one row of RESULTS.md's table.

use crate::progress::{phase_bars, progress_bar, TrainingBar};
use crate::task_flags::{print_resume_notes, CotArg, ModelArg, MultiplyArgs};
use crate::{print_json, Failure};
use anyhow::anyhow;
use arsim::tasks::multiply::{self, CotFormat, Pair, Split, Vocabulary};
use serde::Serialize;

/// One chain of `arsim task multiply --show`.
#[derive(Serialize)]
struct MultiplyShow {
    a: u32,
    b: u32,
    product: u64,
    split: Split,
    cot: CotFormat,
    /// Tokens in the whole chain (a count).
    chain_tokens: usize,
    prompt_len: usize,
    answer_start: usize,
    chain: String,
}

/// One format's shape in `arsim task multiply --stats`.
#[derive(Serialize)]
struct MultiplyFormatStats {
    cot: CotFormat,
    /// Tokens in the whole chain (a count).
    chain_tokens: usize,
    prompt_len: usize,
    answer_start: usize,
}

/// `arsim task multiply --stats`.
#[derive(Serialize)]
struct MultiplyStats {
    vocab_size: usize,
    formats: Vec<MultiplyFormatStats>,
    total_pairs: u64,
    train_pairs: u64,
    validation_pairs: u64,
    test_pairs: u64,
}

impl CotArg {
    /// The token format, or `None` for the Turing-machine route.
    fn format(self) -> Option<CotFormat> {
        match self {
            CotArg::Paper => Some(CotFormat::Paper),
            CotArg::None => Some(CotFormat::None),
            CotArg::Carry => Some(CotFormat::Carry),
            CotArg::Tm => None,
        }
    }
}

pub fn cmd_task_multiply(args: &MultiplyArgs, json: bool) -> Result<(), Failure> {
    let vocab = Vocabulary::new();
    if let Some(ab) = &args.show {
        let pair = Pair::new(ab[0], ab[1]).map_err(anyhow::Error::from)?;
        let Some(cot) = args.cot.format() else {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            let input = multiply::tm::binary_input(pair);
            return Err(anyhow!(
                "--cot tm has no token text; see the trace with: arsim trace {} --input '{input}' (machine {})",
                args.machine,
                m.name()
            )
            .into());
        };
        let chain = cot.chain(pair);
        let r = MultiplyShow {
            a: pair.a,
            b: pair.b,
            product: pair.product(),
            split: pair.split(),
            cot,
            chain_tokens: chain.tokens.len(),
            prompt_len: chain.prompt_len(),
            answer_start: chain.answer_range().start,
            chain: vocab.decode(&chain.tokens).map_err(anyhow::Error::from)?,
        };
        if json {
            print_json(&r);
        } else {
            println!(
                "pair         {} × {} = {} ({:?})",
                r.a, r.b, r.product, r.split
            );
            println!(
                "chain        {}: {} tokens, generation from {}, answer at {}..{}",
                r.cot, r.chain_tokens, r.prompt_len, r.answer_start, r.chain_tokens
            );
            println!("{}", r.chain);
        }
        return Ok(());
    }
    if !args.stats {
        return multiply_experiment(args, json);
    }
    let r = MultiplyStats {
        vocab_size: vocab.len(),
        formats: CotFormat::ALL
            .into_iter()
            .map(|f| MultiplyFormatStats {
                cot: f,
                chain_tokens: f.len(),
                prompt_len: f.prompt_len(),
                answer_start: f.answer_range().start,
            })
            .collect(),
        total_pairs: arsim::tasks::multiply::TOTAL_PAIRS,
        train_pairs: Split::Train.len(),
        validation_pairs: Split::Validation.len(),
        test_pairs: Split::Test.len(),
    };
    if json {
        print_json(&r);
    } else {
        println!("vocabulary   {} tokens", r.vocab_size);
        for f in &r.formats {
            println!(
                "cot {:<8} {} tokens, generation from {}, answer at {}..{}",
                f.cot.name(),
                f.chain_tokens,
                f.prompt_len,
                f.answer_start,
                f.chain_tokens
            );
        }
        println!(
            "pairs        {} (operands 1111..9999): train {} ({:.3}%, the paper's rule), validation {}, test {}",
            r.total_pairs,
            r.train_pairs,
            100.0 * r.train_pairs as f64 / r.total_pairs as f64,
            r.validation_pairs,
            r.test_pairs
        );
    }
    Ok(())
}

/// `arsim task multiply --cot … --model …`: one row of RESULTS.md's table.
fn multiply_experiment(args: &MultiplyArgs, json: bool) -> Result<(), Failure> {
    use arsim::nn::Architecture;
    let route = (args.cot.format(), args.model);
    let report = match route {
        (Some(format), ModelArg::Mlp | ModelArg::Linear | ModelArg::Transformer) => {
            let (batch, lr, weight_decay) = args.run.batch_lr_decay(
                (args.batch, args.lr, args.weight_decay),
                (
                    arsim::nn::Recipe::PAPER_BATCH,
                    arsim::nn::Recipe::PAPER_LR,
                    arsim::nn::Recipe::PAPER_WEIGHT_DECAY,
                ),
            );
            if args.d == 0 || args.batch == 0 || args.train_seqs == 0 || args.eval_pairs == 0 {
                return Err(anyhow!("--d, --batch, --train and --eval must be positive").into());
            }
            if !(args.lr > 0.0 && args.lr.is_finite()) {
                return Err(anyhow!("--lr {} must be positive", args.lr).into());
            }
            arsim::nn::set_threads(args.run.threads);
            let o = multiply::neural::NeuralOptions {
                format,
                architecture: match args.model {
                    ModelArg::Mlp => Architecture::Mlp,
                    ModelArg::Linear => Architecture::Linear,
                    _ => Architecture::Transformer,
                },
                d: args.d,
                layers: args.run.layers,
                heads: args.run.heads,
                train_seqs: args.train_seqs,
                batch,
                seed: args.seed,
                eval_pairs: args.eval_pairs,
                eval_split: args.eval_split,
                run: args.run.options(lr, weight_decay),
            };
            let mut bar = TrainingBar::new(json, "pairs decoded");
            let r = multiply::neural::run_neural(&o, &mut |p| bar.update(p))
                .map_err(|e| anyhow!("{e}"))?;
            bar.finish();
            print_resume_notes(&r.training.notes);
            serde_json::to_value(&r).expect("report serialises")
        }
        (None, ModelArg::Compiled) => {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            let bar = progress_bar(json, args.eval_pairs as u64, "pairs");
            let r = multiply::tm::run_compiled(&m, args.eval_pairs, args.eval_split, &mut |d| {
                bar.set_position(d as u64)
            });
            bar.finish_and_clear();
            serde_json::to_value(&r).expect("report serialises")
        }
        (None, ModelArg::Learned) => {
            let m = arsim::machine::load_machine(&args.machine).map_err(anyhow::Error::from)?;
            // Every phase (traces, training passes, held-out pairs) has a known total: a bar
            // per phase that shows it.
            let mut progress = phase_bars(json);
            let r = multiply::tm::run_learned(
                &m,
                args.train_seqs,
                args.eval_pairs,
                args.eval_split,
                args.seed,
                args.window,
                &mut progress,
            )
            .map_err(anyhow::Error::from)?;
            serde_json::to_value(&r).expect("report serialises")
        }
        (Some(_), _) => {
            return Err(anyhow!(
                "--model compiled and learned are the Turing-machine route: use them with --cot tm"
            )
            .into())
        }
        (None, _) => {
            return Err(anyhow!(
                "--cot tm runs the machine's own predictor: use --model compiled or learned"
            )
            .into())
        }
    };
    if json {
        print_json(&report);
    } else {
        print_multiply_row(&report);
    }
    Ok(())
}

/// The human-readable form of one multiplication row.
fn print_multiply_row(r: &serde_json::Value) {
    let f = |k: &str| r.pointer(k).cloned().unwrap_or(serde_json::Value::Null);
    if let Some(v) = r.get("validation") {
        let m = &r["model"];
        println!(
            "model        {} d={} context={} ({} parameters, masked weights not counted)",
            m["architecture"].as_str().unwrap_or("?"),
            m["d"],
            m["context"],
            f("/parameters")
        );
        println!(
            "cot          {} ({} tokens)",
            f("/cot").as_str().unwrap_or("?"),
            f("/chain_tokens")
        );
        println!(
            "training     {} sequences, batch {}, {} steps in {:.1} s ({:.0} tokens/s, {} threads); loss {:.4} → {:.4}",
            f("/train_seqs"),
            f("/batch"),
            f("/training/steps"),
            f("/training/seconds").as_f64().unwrap_or(0.0),
            f("/training/tokens_per_second").as_f64().unwrap_or(0.0),
            f("/threads"),
            f("/training/first_loss_mean10").as_f64().unwrap_or(0.0),
            f("/training/final_loss_mean10").as_f64().unwrap_or(0.0),
        );
        println!(
            "validation   {} pairs, greedy decoding: exact {} ({:.2} %), per digit {:.2} %, whole chain right {}",
            v["pairs"],
            v["exact"],
            100.0 * v["exact_rate"].as_f64().unwrap_or(0.0),
            100.0 * v["per_digit_accuracy"].as_f64().unwrap_or(0.0),
            v["chains_exact"]
        );
        println!(
            "             teacher-forced token accuracy after the prompt {:.2} %",
            100.0 * v["teacher_forced_accuracy"].as_f64().unwrap_or(0.0)
        );
        if let Some(w) = v["wrong_examples"].as_array() {
            for x in w {
                println!(
                    "  wrong      {} = {}, generated {}",
                    x["pair"].as_str().unwrap_or(""),
                    x["expected"].as_str().unwrap_or(""),
                    x["generated"].as_str().unwrap_or("")
                );
            }
        }
        if let Some(c) = r["checkpoint"].as_str() {
            println!("checkpoint   {c}");
        }
    } else {
        println!(
            "model        {} ({}), {} non-zero weights",
            f("/model").as_str().unwrap_or("?"),
            f("/machine").as_str().unwrap_or("?"),
            f("/parameters")
        );
        println!(
            "cot          tm: the machine's cells trace, {:.0} tokens on average",
            f("/chain_tokens_mean").as_f64().unwrap_or(0.0)
        );
        println!("conversion   {}", f("/conversion").as_str().unwrap_or(""));
        if f("/model") == "learned" {
            println!(
                "training     {} traces in {:.1} s",
                f("/train_seqs"),
                f("/training_seconds").as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "validation   {} pairs: exact {} ({:.2} %), {:.1} s, {:.1} M tokens/s verified",
            f("/validation/pairs"),
            f("/validation/exact"),
            100.0 * f("/validation/exact_rate").as_f64().unwrap_or(0.0),
            f("/seconds").as_f64().unwrap_or(0.0),
            f("/tokens_per_second").as_f64().unwrap_or(0.0) / 1e6
        );
    }
}
