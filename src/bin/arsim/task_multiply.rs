//! `arsim task multiply`: the chains, their statistics, and one row of RESULTS.md's table.

use crate::progress::{phase_bars, progress_bar, TrainingBar};
use crate::task_flags::{print_resume_notes, MultiplyArgs};
use crate::{print_json, Failure};
use anyhow::anyhow;
use arsim::tasks::multiply::neural::NeuralReport;
use arsim::tasks::multiply::tm::TmReport;
use arsim::tasks::multiply::{
    self, run_row, CotFormat, MultiplyOptions, MultiplyRow, Pair, RowProgress, Split, Vocabulary,
};
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
    let (batch, lr, weight_decay) = args.run.batch_lr_decay(
        (args.batch, args.lr, args.weight_decay),
        (
            arsim::nn::Recipe::PAPER_BATCH,
            arsim::nn::Recipe::PAPER_LR,
            arsim::nn::Recipe::PAPER_WEIGHT_DECAY,
        ),
    );
    let o = MultiplyOptions {
        route: args.cot,
        model: args.model,
        d: args.d,
        layers: args.run.layers,
        heads: args.run.heads,
        train_seqs: args.train_seqs,
        batch,
        seed: args.seed,
        eval_pairs: args.eval_pairs,
        eval_split: args.eval_split,
        threads: args.run.threads,
        run: args.run.options(lr, weight_decay),
        machine: args.machine.clone(),
        window: args.window,
    };
    crate::hf::check_trained(&args.run, args.model.architecture())?;
    // One bar per route, each shown only once its route reports to it.
    let mut training = TrainingBar::new(json, "pairs decoded");
    let pairs = progress_bar(json, args.eval_pairs as u64, "pairs");
    // Every phase of the learned route (traces, training passes, held-out pairs) has a known
    // total: a bar per phase that shows it.
    let mut phases = phase_bars(json);
    let row = run_row(&o, &mut |p| match p {
        RowProgress::Neural(p) => training.update(p),
        RowProgress::Compiled { done, .. } => pairs.set_position(done as u64),
        RowProgress::Learned(p) => phases(p),
    });
    training.finish();
    pairs.finish_and_clear();
    let row = row.map_err(anyhow::Error::from)?;
    let MultiplyRow::Neural(r) = &row else {
        if json {
            print_json(&row);
        } else {
            print_multiply_row(&row);
        }
        return Ok(());
    };
    print_resume_notes(&r.training.notes);
    let hf = crate::hf::export_trained(&args.run, json)?;
    if json {
        print_json(&crate::hf::WithHf { report: &**r, hf });
    } else {
        print_neural_row(r);
        if let Some(e) = &hf {
            crate::hf::print_trained(e);
        }
    }
    Ok(())
}

/// The human-readable form of one multiplication row.
fn print_multiply_row(row: &MultiplyRow) {
    match row {
        MultiplyRow::Neural(r) => print_neural_row(r),
        MultiplyRow::Compiled(r) | MultiplyRow::Learned(r) => print_tm_row(r),
    }
}

fn print_neural_row(r: &NeuralReport) {
    let (m, t, v) = (&r.model, &r.training, &r.validation.answers);
    println!(
        "model        {} d={} context={} ({} parameters, masked weights not counted)",
        m.architecture.name(),
        m.d,
        m.context,
        r.parameters
    );
    println!("cot          {} ({} tokens)", r.cot.name(), r.chain_tokens);
    println!(
        "training     {} sequences, batch {}, {} steps in {:.1} s ({:.0} tokens/s, {} threads); {}",
        r.train_seqs,
        r.batch,
        t.steps,
        t.seconds,
        t.tokens_per_second,
        r.threads,
        t.loss_said(4),
    );
    println!(
        "validation   {} pairs, greedy decoding: exact {} ({:.2} %), per digit {:.2} %, whole chain right {}",
        v.pairs,
        v.exact,
        100.0 * v.exact_rate,
        100.0 * v.per_digit_accuracy,
        v.chains_exact
    );
    println!(
        "             teacher-forced token accuracy after the prompt {:.2} %",
        100.0 * r.validation.teacher_forced_accuracy
    );
    for x in &v.wrong_examples {
        println!(
            "  wrong      {} = {}, generated {}",
            x.pair, x.expected, x.generated
        );
    }
    if let Some(c) = &r.checkpoint {
        println!("checkpoint   {c}");
    }
}

fn print_tm_row(r: &TmReport) {
    println!(
        "model        {} ({}), {} non-zero weights",
        r.model, r.machine, r.parameters
    );
    println!(
        "cot          tm: the machine's cells trace, {:.0} tokens on average",
        r.chain_tokens_mean
    );
    println!("conversion   {}", r.conversion);
    if r.model == "learned" {
        println!(
            "training     {} traces in {:.1} s",
            r.train_seqs, r.training_seconds
        );
    }
    println!(
        "validation   {} pairs: exact {} ({:.2} %), {:.1} s, {:.1} M tokens/s verified",
        r.validation.pairs,
        r.validation.exact,
        100.0 * r.validation.exact_rate,
        r.seconds,
        r.tokens_per_second / 1e6
    );
}
