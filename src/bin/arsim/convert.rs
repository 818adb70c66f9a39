//! `arsim convert` and `arsim dot`: a machine in another format, its state graph.

use crate::flags::MachineSource;
use crate::{print_json, Failure};
use anyhow::{anyhow, Result};
use arsim::api::{load_run, InputSource, LoadOptions, MachineRequest};
use arsim::fs::write_atomic;
use arsim::machine::convert::write_machine;
use arsim::machine::{Machine, MachineFormat};
use std::path::PathBuf;

/// Loads a machine for convert and dot.
/// The machine of `src`, loaded through the front door as every command loads one (its own
/// input is not needed here); lenient loading's warnings go to stderr.
fn load_source(src: &MachineSource) -> Result<Machine> {
    let req = MachineRequest {
        machine: src.machine.clone(),
        options: LoadOptions {
            format: src.format,
            lenient: src.lenient,
            undefined: src.undefined,
            start: src.start.clone(),
            input: None,
        },
        input: InputSource::Own,
    };
    let loaded = load_run(&req).map_err(crate::flag_hint)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded.machine)
}

pub fn cmd_convert(
    src: &MachineSource,
    to: MachineFormat,
    out: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let m = load_source(src)?;
    let bytes = write_machine(&m, to).map_err(|e| anyhow!("machine {}: {e}", src.machine))?;
    let text = String::from_utf8(bytes.clone()).ok();
    match &out {
        Some(path) => write_atomic(path, &bytes).map_err(anyhow::Error::from)?,
        None if text.is_none() && !json => {
            return Err(Failure::Input(anyhow!(
                "the {} format is binary: give --out FILE",
                to.name()
            )))
        }
        None => {}
    }
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "to": to,
            "out": out.as_ref().map(|p| p.display().to_string()),
            "bytes": bytes.len(),
            "text": if out.is_none() { text } else { None },
            "hex": if out.is_none() && to == MachineFormat::Seed {
                Some(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
            } else {
                None
            },
        }));
    } else if let Some(path) = &out {
        println!(
            "wrote {} ({}, {} bytes)",
            path.display(),
            to.name(),
            bytes.len()
        );
    } else if let Some(t) = text {
        print!("{t}");
    }
    Ok(())
}

pub fn cmd_dot(
    src: &MachineSource,
    out: Option<PathBuf>,
    png: Option<PathBuf>,
    json: bool,
) -> Result<(), Failure> {
    let m = load_source(src)?;
    let dot = arsim::graph::to_dot(&m);
    if let Some(path) = &png {
        let bytes = arsim::graph::dot_to_png(&dot).map_err(anyhow::Error::from)?;
        write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
    }
    if let Some(path) = &out {
        write_atomic(path, dot.as_bytes()).map_err(anyhow::Error::from)?;
    }
    if json {
        let g = arsim::graph::state_graph(&m);
        print_json(&serde_json::json!({
            "machine": m.name(),
            "states": g.node_count(),
            "edges": g.edge_count(),
            "rules": m.rules().count(),
            "dot": if out.is_none() { Some(&dot) } else { None },
            "out": out.as_ref().map(|p| p.display().to_string()),
            "png": png.as_ref().map(|p| p.display().to_string()),
        }));
    } else if out.is_none() && png.is_none() {
        print!("{dot}");
    } else {
        for path in [&out, &png].into_iter().flatten() {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
