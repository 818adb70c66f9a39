//! `arsim certify`: the exhaustive check of a predictor on every local context.

use crate::flags::{MachineArgs, WindowArgs};
use crate::progress::progress_bar;
use crate::{load, print_json, Failure};
use arsim::api::{certify_json, prepare, CertifyReport, CERTIFY_MAX_STEPS};
use arsim::certify::Certificate;
use arsim::encoding::gates::certify::GatesCertificate;
use arsim::encoding::EncodingKind;
use arsim::machine::Machine;
use std::path::Path;

/// `arsim certify`.
pub fn cmd_certify(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    weights: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    // The contexts do not depend on S; S only fixes the offsets. Any window will do.
    let p = prepare(
        &m,
        &input,
        encoding,
        wargs.window(),
        weights,
        CERTIFY_MAX_STEPS,
    )
    .map_err(anyhow::Error::from)?;
    // Large dictionaries take minutes: a bar over the groups of contexts.
    let bar = progress_bar(json, 0, "context groups");
    let report = p.certify(&m, &input, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report.map_err(anyhow::Error::from)?;
    crate::verdict_before_printing(!report.certified());
    if json {
        print_json(&certify_json(&m, &p, &report));
    } else {
        match &report {
            CertifyReport::Local(cert) => print_local(&m, encoding, p.window().size, cert),
            CertifyReport::Gates(cert) => print_gates(&m, cert),
        }
    }
    if !report.certified() {
        return Err(Failure::Verification);
    }
    Ok(())
}

fn print_local(m: &Machine, encoding: EncodingKind, s: usize, cert: &Certificate) {
    println!("machine      {}", m.name());
    let (offsets, proof) = (encoding.info().offsets_text, encoding.info().proof);
    println!(
        "encoding     {} (offsets {offsets} with S = {s})",
        encoding.name()
    );
    println!("contexts     {} local contexts checked", cert.contexts);
    println!("min margin   {}", cert.min_margin);
    if let Some(reason) = &cert.reason {
        println!("certified    NO: {reason}");
    } else if cert.certified {
        println!("certified    yes: by {proof}, the predictor emulates every run that stays in the window");
    } else {
        println!("certified    NO: {} contexts fail", cert.failed);
        for f in &cert.failures {
            println!(
                "  ({}, {}, {}) → expected {}, got {} (margin {})",
                f.context[0], f.context[1], f.context[2], f.expected, f.got, f.margin
            );
        }
    }
}

fn print_gates(m: &Machine, cert: &GatesCertificate) {
    {
        println!("machine      {}", m.name());
        println!(
            "encoding     gates on a window of {} cells: {} gates a row (S·|Γ|(|Q|+1) = {}·{})",
            cert.tape_cells, cert.row_bits, cert.tape_cells, cert.bits_per_cell
        );
        println!(
        "circuit      {} steps: {} gates; {} rows unrolled and checked against the predictor gate by gate",
        cert.steps, cert.gates, cert.rows_unrolled
    );
        println!(
        "gates        {} enumerated (every assignment of the ≤ {} tokens read), {} proved from the weights",
        cert.enumerated,
        arsim::circuit::certify::ENUMERATE_MAX_SUPPORT,
        cert.proved
    );
        println!(
            "contexts     {} local contexts checked against the machine's rule",
            cert.contexts
        );
        println!("min margin   {}", cert.min_margin);
        if cert.certified {
            println!("certified    yes: by proofs/gates.md, the predictor emulates every run that stays in the window");
        } else {
            println!(
                "certified    NO: {} contexts fail, {} gates differ from the circuit",
                cert.failed, cert.circuit.failed
            );
            for f in &cert.failures {
                println!(
                    "  {} on ({}, {}, {}) → expected {}, got {} (margin {})",
                    f.gate, f.context[0], f.context[1], f.context[2], f.expected, f.got, f.margin
                );
            }
            for f in &cert.circuit.failures {
                println!("  {} (position {}): {}", f.gate, f.position, f.reason);
            }
            for s in &cert.stray_reads {
                println!("  {s}");
            }
        }
    }
}
