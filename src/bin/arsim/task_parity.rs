//! `arsim task parity`.

use crate::task_flags::ParityArgs;
use crate::{print_json, Failure};
use arsim::tasks::parity::{parity_circuit, parity_task, ParityReport};

pub fn cmd_task_parity(args: &ParityArgs, json: bool) -> Result<(), Failure> {
    if let Some(path) = &args.circuit {
        let c = parity_circuit(args.n, args.cot, args.k).map_err(anyhow::Error::from)?;
        arsim::circuit::file::write_circuit(&c, path).map_err(anyhow::Error::from)?;
    }
    if let Some(train) = args.learn {
        let o = arsim::tasks::parity_learn::ParityLearnOptions {
            n: args.n,
            cot: args.cot,
            k: args.k,
            train,
            test: args.samples as usize,
            seed: args.seed,
            max_passes: 1000,
        };
        let r = arsim::tasks::parity_learn::learn_parity(&o).map_err(anyhow::Error::from)?;
        if json {
            print_json(&r);
        } else {
            println!(
                "learned      parity of n = {} bits, chain {} ({} tokens): {} training chains, {} passes, {} mistakes, converged {}",
                r.n, r.cot, r.tokens, r.train, r.passes, r.mistakes, r.converged
            );
            println!(
                "free run     {} fresh inputs: {} chains exact ({:.2} %), {} answers right",
                r.test,
                r.exact,
                100.0 * r.exact_rate,
                r.answer_right
            );
        }
        return Ok(());
    }
    let r: ParityReport = parity_task(args.n, args.cot, args.k, args.samples, args.seed)
        .map_err(anyhow::Error::from)?;
    if json {
        print_json(&r);
    } else {
        println!("task         parity of n = {} bits, chain {}", r.n, r.cot);
        println!(
            "circuit      {} tokens (gates) in {} blocks, each reading at most {} bits; depth {}, largest weight {}",
            r.tokens, r.blocks, r.max_fan_in, r.depth, r.max_abs_weight
        );
        println!(
            "bound        no chain whose tokens read at most {} bits is shorter than ⌈(n−1)/(k−1)⌉ = {}",
            r.k, r.lower_bound
        );
        println!(
            "certified    {} ({} gates enumerated, {} proved from the weights)",
            if r.certified { "yes" } else { "NO" },
            r.enumerated,
            r.proved
        );
        let how = if r.exhaustive {
            "every input".to_string()
        } else {
            format!("random inputs, seed {}", r.seed)
        };
        println!(
            "accuracy     {:.4}: {}/{} ({how}); {} with a wrong token",
            r.accuracy, r.correct, r.samples, r.token_errors
        );
        if let Some(f) = &r.first_failure {
            println!("first wrong  input {} (parity {})", f.input, f.parity);
        }
        println!(
            "speed        {:.0} generated tokens/s, prompts included ({:.3} s)",
            r.tokens_per_second, r.seconds
        );
        if let Some(path) = &args.circuit {
            println!("wrote        {}", path.display());
        }
    }
    if !r.certified || r.correct != r.samples {
        return Err(Failure::Verification);
    }
    Ok(())
}
