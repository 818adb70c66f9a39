//! `arsim trace`: the chain of thought as rows, or as a space-time picture.

use crate::flags::{MachineArgs, PictureArgs, WindowArgs};
use crate::{load, print_json, Failure};
use anyhow::anyhow;
use arsim::api::view::{self, View};
use arsim::api::{prepare, resolve_window};
use arsim::draw::spacetime::{self, SpaceTimeOptions};
use arsim::encoding::cells::render_trace;
use arsim::encoding::EncodingKind;
use arsim::fs::write_atomic;

/// `arsim trace` without a picture: rows on stdout as they come, or one JSON object.
pub fn cmd_trace(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    tokens: bool,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let w =
        resolve_window(wargs.window(), None, &m, &input, max_steps).map_err(anyhow::Error::from)?;
    let mut rows = Vec::new();
    let end = render_trace(&m, &input, w, max_steps, tokens, &mut |r| {
        if json {
            rows.push(r);
        } else {
            println!("{:>6}  {}", r.step, r.row);
        }
    })
    .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "tape_cells": w.size,
            "origin": w.origin,
            "steps": end.steps,
            "final": end.is_final,
            "rows": rows,
            "left_window": end.left_window.as_ref().map(|e| e.to_string()),
        }));
    }
    if let Some(e) = end.left_window {
        return Err(Failure::InputAfterReport(anyhow!(
            "machine {}: {e}",
            args.machine
        )));
    }
    Ok(())
}

pub fn cmd_trace_picture(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    pic: &PictureArgs,
    json: bool,
) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let opts = SpaceTimeOptions {
        steps: pic.steps.clone(),
        max_width: pic.width,
        max_height: pic.height,
        plain: pic.plain,
        ..SpaceTimeOptions::default()
    };
    let (diagram, w) = if pic.emulate {
        let p = prepare(
            &m,
            &input,
            EncodingKind::Cells,
            wargs.window(),
            pic.weights.as_deref(),
            max_steps,
        )
        .map_err(anyhow::Error::from)?;
        let w = p.window();
        let d = p
            .draw_emulated(&m, &input, max_steps, &opts)
            .map_err(anyhow::Error::from)?;
        (Ok(d), w)
    } else {
        let w = resolve_window(wargs.window(), None, &m, &input, max_steps)
            .map_err(anyhow::Error::from)?;
        (spacetime::reference(&m, &input, w, max_steps, &opts), w)
    };
    let d = diagram.map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    let mut written = Vec::new();
    if let Some(path) = &pic.png {
        let bytes = d.to_png().map_err(anyhow::Error::from)?;
        write_atomic(path, &bytes).map_err(anyhow::Error::from)?;
        written.push(path.display().to_string());
    }
    if let Some(path) = &pic.svg {
        write_atomic(path, d.to_svg().as_bytes()).map_err(anyhow::Error::from)?;
        written.push(path.display().to_string());
    }
    let layout = d.layout();
    if json {
        print_json(&serde_json::json!({
            "machine": m.name(),
            "input": m.render(&input),
            "head_start": input.head,
            "tape_cells": w.size,
            "origin": w.origin,
            "emulate": pic.emulate,
            "rows": d.rows,
            "first_step": d.row_steps.first(),
            "last_step": d.row_steps.last(),
            "columns": d.cols,
            "cells_per_column": d.cells_per_col,
            "scale": d.scale,
            "width": layout.width,
            "height": layout.height,
            "differing_tokens": d.wrong_tokens,
            "files": written,
        }));
    } else {
        println!(
            "machine    {} (input \"{}\")",
            m.name(),
            m.render_input(&input)
        );
        println!(
            "diagram    {} rows (steps {}..={}), {} columns ({} cells each), {}×{} pixels",
            d.rows,
            d.row_steps.first().copied().unwrap_or(0),
            d.row_steps.last().copied().unwrap_or(0),
            d.cols,
            d.cells_per_col,
            layout.width,
            layout.height
        );
        if pic.emulate {
            println!(
                "differing  {} drawn cells differ from the interpreter",
                d.wrong_tokens
            );
        }
        for f in &written {
            println!("wrote      {f}");
        }
    }
    if pic.emulate && d.wrong_tokens > 0 {
        return Err(Failure::Verification);
    }
    Ok(())
}

/// `arsim trace --html FILE`: the viewer page with the run embedded (every row the viewer's
/// limits allow), written whole, to open with no server.
pub fn cmd_trace_html(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    path: &std::path::Path,
    json: bool,
) -> Result<(), Failure> {
    let (machine, input) = load(args)?;
    // The machine file, shown beside the rows (a standard string is its own text).
    let text = match std::fs::read(&args.machine) {
        Ok(bytes) if bytes.len() <= view::VIEW_MAX_MACHINE_BYTES => {
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => args.machine.clone(),
    };
    let run = arsim::api::LoadedRun {
        machine,
        input,
        warnings: Vec::new(),
    };
    let how = (EncodingKind::Cells, wargs.window(), max_steps);
    let v = View::of_run(run, &text, how, None).map_err(crate::flag_hint)?;
    let html = v.offline_page(u64::MAX).map_err(anyhow::Error::from)?;
    write_atomic(path, html.as_bytes()).map_err(anyhow::Error::from)?;
    let s = v.summary();
    if json {
        print_json(&serde_json::json!({
            "machine": s.machine,
            "encoding": s.encoding,
            "tape_cells": s.tape_cells,
            "origin": s.origin,
            "steps": s.emulation.steps,
            "rows": s.rows,
            "bytes": html.len(),
            "files": [path.display().to_string()],
        }));
    } else {
        println!(
            "wrote {} ({} rows of {}, {} bytes): open it in a browser, no server needed",
            path.display(),
            s.rows,
            s.machine,
            html.len()
        );
    }
    Ok(())
}
