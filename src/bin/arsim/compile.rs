//! `arsim compile`: the compiled weights, described, listed, drawn or written to a file.

use crate::flags::{MachineArgs, WindowArgs};
use crate::progress::phase_spinner;
use crate::{load, print_json, Failure};
use anyhow::anyhow;
use arsim::api::{compile, encoding as encoding_of, resolve_window, Weights, COMPILE_MAX_STEPS};
use arsim::draw::heatmap::Heatmap;
use arsim::encoding::gates::BitLayout;
use arsim::encoding::EncodingKind;
use arsim::fs::write_atomic;
use arsim::machine::Machine;
use arsim::predictor::{LinearAr, TimeDependentAr};
use arsim::weights::DenseWeights;
use std::path::PathBuf;

/// The pictures `--plot` (or the old `--png`/`--svg`) asks for.
pub struct Pictures {
    /// A PNG file.
    pub png: Option<PathBuf>,
    /// An SVG file.
    pub svg: Option<PathBuf>,
}

/// `arsim compile`.
pub fn cmd_compile(
    args: &MachineArgs,
    wargs: &WindowArgs,
    encoding: EncodingKind,
    out: Option<PathBuf>,
    list: bool,
    pictures: Pictures,
    hf: Option<(PathBuf, Option<usize>)>,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let w = resolve_window(wargs.window(), None, &m, &input, COMPILE_MAX_STEPS)
        .map_err(anyhow::Error::from)?;
    let enc = encoding_of(&m, encoding, w).map_err(anyhow::Error::from)?;
    // Weights grow as |D|²: a large machine compiles for seconds.
    let compiling = phase_spinner(json, "compiling");
    let weights = compile(&m, &enc).map_err(anyhow::Error::from);
    compiling.finish_and_clear();
    let weights = weights?;
    let pictured = pictures.png.is_some() || pictures.svg.is_some();
    if pictured && matches!(weights, Weights::Sparse(_)) {
        return Err(Failure::Input(anyhow!(
            "--plot draws offset matrices (cells, sweep); gates weights are one sparse map per position"
        )));
    }
    let labels = weights.nonzero_labels();
    if let Some(path) = &out {
        arsim::api::save(&m, &enc, &weights, &input, path).map_err(anyhow::Error::from)?;
    }
    let exported = match hf {
        Some((dir, context)) => Some(crate::hf::export(
            &m, &enc, &weights, &input, &dir, context, json,
        )?),
        None => None,
    };
    match &weights {
        Weights::Dense(DenseWeights::Int(p)) => dense(
            &m, encoding, w, p, &labels, list, out, pictures, exported, json,
        ),
        Weights::Sparse(p) => {
            sparse(&m, w, p, &labels, list, out, json);
            Ok(())
        }
        Weights::Dense(_) => Err(anyhow!("compiled weights are integers").into()),
    }
}

#[allow(clippy::too_many_arguments)]
fn dense(
    m: &Machine,
    encoding: EncodingKind,
    w: arsim::window::Window,
    p: &LinearAr,
    nonzero: &[String],
    list: bool,
    out: Option<PathBuf>,
    pictures: Pictures,
    hf: Option<arsim::api::HfExport>,
    json: bool,
) -> Result<(), Failure> {
    let layout = p.layout();
    let Pictures { png, svg } = pictures;
    if png.is_some() || svg.is_some() {
        let title = format!(
            "{}: {} encoding on a window of {} cells, {} tokens",
            m.name(),
            encoding.name(),
            w.size,
            layout.tokens.len()
        );
        let h = Heatmap::new(p, &title);
        if let Some(path) = &png {
            let bytes = h.to_png().map_err(anyhow::Error::from)?;
            write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
        }
        if let Some(path) = &svg {
            write_atomic(path, h.to_svg().as_bytes()).map_err(anyhow::Error::from)?;
        }
    }
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "encoding": encoding.name(),
            "tape_cells": w.size,
            "origin": w.origin,
            "dictionary": layout.tokens,
            "offsets": layout.offsets,
            "offset_names": layout.offset_names,
            "nonzero_weights": nonzero.len(),
            "weights": if list { Some(nonzero) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
            "png": png.as_ref().map(|p| p.display().to_string()),
            "svg": svg.as_ref().map(|p| p.display().to_string()),
            "hf": hf,
        }));
    } else {
        println!("machine      {}", m.name());
        println!(
            "encoding     {} on a window of {} cells",
            encoding.name(),
            w.size
        );
        println!(
            "dictionary   {} tokens: {}",
            layout.tokens.len(),
            layout.tokens.join(" ")
        );
        println!(
            "offsets      {} = {:?}",
            layout.offset_names.join(", "),
            layout.offsets
        );
        println!(
            "weights      {} matrices of {}×{}, {} non-zero",
            layout.offsets.len(),
            layout.tokens.len(),
            layout.tokens.len(),
            nonzero.len()
        );
        if list {
            for l in nonzero {
                println!("  {l}");
            }
        }
        for path in [&out, &png, &svg].into_iter().flatten() {
            println!("wrote        {}", path.display());
        }
        if let Some(e) = &hf {
            crate::hf::print_export(e);
        }
    }
    Ok(())
}

fn sparse(
    m: &Machine,
    w: arsim::window::Window,
    p: &TimeDependentAr,
    labels: &[String],
    list: bool,
    out: Option<PathBuf>,
    json: bool,
) {
    let layout = BitLayout::new(m, w);
    let (lo, hi) = (
        p.csr().1.iter().map(|e| e.offset).min().unwrap_or(0),
        p.csr().1.iter().map(|e| e.offset).max().unwrap_or(0),
    );
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "encoding": "gates",
            "tape_cells": w.size,
            "origin": w.origin,
            "dictionary": ["0", "1"],
            "bits_per_cell": layout.bits_per_cell(),
            "row_bits": layout.row_bits(),
            "schedule": p.schedule(),
            "maps": p.num_maps(),
            "offsets": [lo, hi],
            "nonzero_weights": p.nonzeros(),
            "weights": if list { Some(labels) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        println!("machine      {}", m.name());
        println!(
            "encoding     gates on a window of {} cells: rows of R = S·|Γ|(|Q|+1) = {}·{} = {} bits",
            w.size,
            w.size,
            layout.bits_per_cell(),
            layout.row_bits()
        );
        println!("dictionary   2 tokens: 0 1");
        println!(
            "weights      {} maps, one per bit of a row, served periodically from position {} \
             (row t+1 reads row t at offsets {lo}..={hi}); {} non-zero",
            p.num_maps(),
            p.schedule().start(),
            p.nonzeros()
        );
        if list {
            for l in labels {
                println!("  {l}");
            }
        }
        if let Some(path) = &out {
            println!("wrote        {}", path.display());
        }
    }
}
