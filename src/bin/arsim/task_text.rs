//! `arsim task text`: TinyStories baselines and the neural models.

use crate::progress::{phase_spinner, TrainingBar};
use crate::task_flags::{print_resume_notes, TextArgs};
use crate::{print_json, Failure};
use anyhow::anyhow;
use arsim::tasks::text::baselines::BaselineReport;
use arsim::tasks::text::sample::SampleText;
use serde::Serialize;

/// `arsim task text --baselines --json`.
#[derive(Serialize)]
struct BaselinesOnly<'a> {
    baselines: &'a BaselineReport,
    samples: &'a [SampleText],
}

/// `arsim task text` with a neural model.
fn text_experiment(args: &TextArgs, json: bool) -> Result<(), Failure> {
    use arsim::tasks::text::{corpus, experiment};
    if args.context == 0 || args.d == 0 || args.epochs == 0 || args.batch == 0 {
        return Err(anyhow!("--context, --d, --epochs and --batch must be positive").into());
    }
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        return Err(anyhow!("--lr {} must be positive", args.lr).into());
    }
    if let Some(p) = &args.plot {
        arsim::tasks::text::plot::check_path(p).map_err(anyhow::Error::from)?;
    }
    crate::hf::check_trained(&args.run, Some(args.model.architecture()))?;
    let reading = phase_spinner(json, "reading the corpus");
    let corpus = corpus::read_corpus(&args.corpus).map_err(anyhow::Error::from);
    reading.finish_and_clear();
    let corpus = corpus?;
    arsim::nn::set_threads(args.run.threads).map_err(anyhow::Error::from)?;
    let (batch, lr, weight_decay) = args.run.batch_lr_decay(
        (args.batch, args.lr, args.weight_decay),
        (
            arsim::nn::Recipe::PAPER_TEXT_BATCH,
            arsim::nn::Recipe::PAPER_TEXT_LR,
            arsim::nn::Recipe::PAPER_WEIGHT_DECAY,
        ),
    );
    let o = experiment::TextOptions {
        vocab: args.vocab,
        seed: args.seed,
        validation_fraction: args.validation,
        model: args.model,
        context: args.context,
        d: args.d,
        epochs: args.epochs,
        batch,
        layers: args.run.layers,
        heads: args.run.heads,
        windowing: args.windowing,
        run: args.run.options(lr, weight_decay),
        prompt: args
            .prompt
            .clone()
            .unwrap_or_else(|| "Once upon a".to_string()),
        temperature: args.temperature,
        sample_tokens: args.tokens,
        samples: args.samples,
        tokenizer: args.tokenizer.clone(),
        eval_every: args.eval_every,
    };
    // --hf-tokenizer: the run saves its tokenizer (to --tokenizer, or a temporary file beside
    // the output), which is then converted.
    let mut o = o;
    let scratch = match (&args.tokenizer_out, &o.tokenizer) {
        (Some(out), None) => {
            let tmp = out.with_file_name(format!(".arsim-bpe.tmp{}.json", std::process::id()));
            o.tokenizer = Some(tmp.clone());
            Some(tmp)
        }
        _ => None,
    };
    let mut bar = TrainingBar::new(json, "windows");
    let r = experiment::run_text(&corpus, &o, &mut |p| bar.update(p));
    bar.finish();
    let converted = match (&args.tokenizer_out, &o.tokenizer, &r) {
        (Some(out), Some(saved), Ok(_)) => arsim::tasks::text::bpe::Bpe::load(saved)
            .map_err(anyhow::Error::from)
            .and_then(|bpe| {
                arsim::tasks::text::hf_tokenizer::write(&bpe, out).map_err(anyhow::Error::from)
            }),
        _ => Ok(()),
    };
    if let Some(tmp) = scratch {
        let _ = std::fs::remove_file(tmp);
    }
    let r = r.map_err(anyhow::Error::from)?;
    converted?;
    print_resume_notes(&r.neural.training.notes);
    if let Some(p) = &args.plot {
        arsim::tasks::text::plot::plot_curve(&r, p).map_err(anyhow::Error::from)?;
    }
    let hf = crate::hf::export_trained(&args.run, json)?;
    if json {
        print_json(&crate::hf::WithHf { report: &r, hf });
        return Ok(());
    }
    let b = &r.baselines;
    println!("corpus       {} ({} stories)", b.corpus, b.stories);
    println!(
        "split        {} training, {} validation stories (seed {}); BPE {} tokens",
        b.train_stories, b.validation_stories, args.seed, b.vocab_size
    );
    let n = &r.neural;
    println!(
        "training     {}: {} parameters, {} epochs over {} tokens, {} steps in {:.1} s ({:.0} tokens/s, {} threads); {}",
        n.model,
        n.parameters,
        n.epochs,
        n.train_stream_tokens,
        n.training.steps,
        n.training.seconds,
        n.training.tokens_per_second,
        n.threads,
        n.training.loss_said(3)
    );
    println!("model                 parameters  val tokens  nats/token  perplexity  bits/byte");
    let row = |name: &str, params: usize, v: &arsim::tasks::text::metrics::EvalReport| {
        println!(
            "{:<20} {:>11} {:>11} {:>11.4} {:>11.2} {:>10.4}",
            name, params, v.tokens, v.cross_entropy, v.perplexity, v.bits_per_byte
        )
    };
    for m in &b.models {
        row(&format!("{} (KN)", m.model), m.parameters, &m.validation);
    }
    for m in &b.modified_kn {
        row(&m.model, m.parameters, &m.validation);
    }
    row(&n.model, n.parameters, &n.validation);
    if n.curve.len() > 1 {
        println!("curve        step  tokens seen  train nats/token  val nats/token  val bits/byte");
        for c in &n.curve {
            println!(
                "{:>17} {:>12} {:>17.4} {:>15.4} {:>14.4}",
                c.step,
                c.train_tokens_seen,
                c.train_loss,
                c.validation_cross_entropy,
                c.validation_bits_per_byte
            );
        }
    }
    for s in &r.samples {
        println!("--- {}, {}\n{}", s.model, s.sampling, s.text);
    }
    if let Some(c) = &r.checkpoint {
        println!(
            "checkpoint   {c} (tokenizer: {})",
            experiment::tokenizer_path(c.as_ref()).display()
        );
    }
    if let Some(e) = &hf {
        crate::hf::print_trained(e);
    }
    Ok(())
}

pub fn cmd_task_text(args: &TextArgs, json: bool) -> Result<(), Failure> {
    use arsim::tasks::text::{baselines, corpus};
    arsim::tasks::text::check_settings(args.vocab, args.temperature).map_err(|e| {
        anyhow!(match e {
            arsim::tasks::text::TextSettingError::Vocabulary(v) => format!(
                "--vocab {v} is below the {} tokens of the bytes and <|endoftext|>",
                arsim::tasks::text::bpe::MIN_VOCAB
            ),
            arsim::tasks::text::TextSettingError::Temperature(t) =>
                format!("--temperature {t} must be a number of 0 or more (0: greedy)"),
        })
    })?;
    // Outputs written only here, after the run: refused before it when they would overwrite
    // the corpus or land in a directory that does not exist (the run's own outputs, the
    // checkpoint and the tokenizer, are checked by the library).
    let outputs = [
        ("--hf-tokenizer", &args.tokenizer_out),
        ("--plot", &args.plot),
        ("--tokenizer", &args.tokenizer),
    ];
    for (flag, path) in outputs {
        if let Some(path) = path {
            arsim::fs::refuse_overwrite((flag, path), &[("--corpus", &args.corpus)])
                .map_err(anyhow::Error::from)?;
            arsim::fs::check_directory_of(path).map_err(|e| anyhow!("{flag} {}", e))?;
        }
    }
    if !(0.0..1.0).contains(&args.validation) || args.validation == 0.0 {
        return Err(anyhow!("--validation {} must be in (0, 1)", args.validation).into());
    }
    if !args.baselines {
        return text_experiment(args, json);
    }
    let phase = phase_spinner(json, "reading the corpus");
    let corpus = corpus::read_corpus(&args.corpus).map_err(anyhow::Error::from);
    phase.finish_and_clear();
    let corpus = corpus?;
    let opts = baselines::BaselineOptions {
        vocab: args.vocab,
        seed: args.seed,
        validation_fraction: args.validation,
    };
    let phase = phase_spinner(
        json,
        "splitting, training the tokenizer and counting n-grams",
    );
    let b = baselines::run_baselines(&corpus, &opts);
    phase.finish_and_clear();
    if b.report.validation_stories == 0 {
        return Err(anyhow!(
            "{} has no validation tokens: none of its {} stories fell in the --validation {} share (seed {})",
            args.corpus.display(),
            corpus.stories().len(),
            args.validation,
            args.seed
        )
        .into());
    }
    if let Some(path) = &args.tokenizer {
        b.bpe.save(path).map_err(anyhow::Error::from)?;
    }
    if let Some(path) = &args.tokenizer_out {
        arsim::tasks::text::hf_tokenizer::write(&b.bpe, path).map_err(anyhow::Error::from)?;
    }
    let samples = match &args.prompt {
        None => vec![],
        Some(p) => b.trigram_samples(p, args.tokens, args.temperature, args.seed),
    };
    let r = &b.report;
    if json {
        print_json(&BaselinesOnly {
            baselines: r,
            samples: &samples,
        });
    } else {
        println!("corpus       {} ({} stories)", r.corpus, r.stories);
        println!(
            "split        {} training, {} validation stories (seed {}, {:.0} % held out)",
            r.train_stories,
            r.validation_stories,
            args.seed,
            100.0 * args.validation
        );
        println!(
            "tokenizer    byte-level BPE, {} tokens, trained in {:.2} s; {} training tokens",
            r.vocab_size, r.tokenizer_seconds, r.train_tokens
        );
        println!("model      n-grams   val tokens  val bytes  nats/token  perplexity  bits/byte");
        for m in r.models.iter().chain(&r.modified_kn) {
            let v = &m.validation;
            println!(
                "{:<9} {:>9} {:>11} {:>10} {:>11.4} {:>11.2} {:>10.4}",
                m.model,
                m.parameters,
                v.tokens,
                v.bytes,
                v.cross_entropy,
                v.perplexity,
                v.bits_per_byte
            );
        }
        for s in &samples {
            println!("--- {}, {}\n{}", s.model, s.sampling, s.text);
        }
        if let Some(path) = &args.tokenizer {
            println!("wrote        {}", path.display());
        }
    }
    Ok(())
}
