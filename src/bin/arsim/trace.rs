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

/// `arsim trace` without a picture: rows on stdout as they come, as text or inside one JSON
/// object that is written as it goes (its header keys, then each row of `rows` as the run makes
/// it, then the keys that need the run's end), so that memory stays bounded however long the
/// run: `--json trace machines/loop.ron --max-steps 10000000` held 3 GB when the object was
/// built whole.
pub fn cmd_trace(
    args: &MachineArgs,
    wargs: &WindowArgs,
    max_steps: u64,
    tokens: bool,
    json: bool,
) -> Result<(), Failure> {
    use std::io::Write;
    let (m, input) = load(args)?;
    let w =
        resolve_window(wargs.window(), None, &m, &input, max_steps).map_err(anyhow::Error::from)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // The header goes out with the first row (or at the end, for a run of none), so that a run
    // refused before its first row prints only the error object.
    let header = format!(
        "{{\n  \"schema_version\": {},\n  \"machine\": {},\n  \"tape_cells\": {},\n  \"origin\": {},\n  \"rows\": [",
        crate::SCHEMA_VERSION,
        compact(&m.name()),
        w.size,
        w.origin
    );
    let mut first = true;
    let mut failed = None;
    let end = render_trace(&m, &input, w, max_steps, tokens, &mut |r| {
        let written = if json {
            let sep = if first {
                format!("{header}\n")
            } else {
                ",\n".into()
            };
            first = false;
            write!(out, "{sep}    {}", compact(&r))
        } else {
            writeln!(out, "{:>6}  {}", r.step, r.row)
        };
        if let Err(e) = written {
            // `| head`: stop the run now, not after writing every row into a closed pipe.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                crate::exit_cut_short();
            }
            failed.get_or_insert(e);
        }
    })
    .map_err(|e| anyhow!("machine {}: {e}", args.machine))?;
    if json {
        let left = end.left_window.as_ref().map(|e| e.to_string());
        let closing = writeln!(
            out,
            "{}  ],\n  \"steps\": {},\n  \"final\": {},\n  \"left_window\": {}\n}}",
            if first {
                format!("{header}\n")
            } else {
                "\n".into()
            },
            end.steps,
            end.is_final,
            compact(&left)
        );
        if let Err(e) = closing {
            failed.get_or_insert(e);
        }
    }
    if let Some(e) = failed.or_else(|| out.flush().err()) {
        return Err(write_failed(e));
    }
    if let Some(e) = end.left_window {
        return Err(Failure::InputAfterReport(anyhow!(
            "machine {}: {e}",
            args.machine
        )));
    }
    Ok(())
}

/// A value as compact JSON (a name, a row, an optional message: they serialise infallibly).
fn compact<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A write to stdout that failed: a closed pipe ends quietly with the exit status recorded so
/// far, as every other command's printing does; any other failure is an error.
fn write_failed(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        crate::exit_cut_short();
    }
    Failure::Input(anyhow!("cannot write to standard output: {e}"))
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
    let d =
        diagram.map_err(|e| anyhow::Error::new(e).context(format!("machine {}", args.machine)))?;
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
