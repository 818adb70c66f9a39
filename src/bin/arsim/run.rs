//! `arsim run`: the reference interpreter.

use crate::flags::MachineArgs;
use crate::progress::spinner;
use crate::{load, print_json, Failure};
use arsim::interpreter::{Interpreter, RunReport};
use arsim::machine::Stop;

pub fn cmd_run(args: &MachineArgs, max_steps: u64, json: bool) -> Result<(), Failure> {
    let (m, input) = load(args)?;
    let mut it = Interpreter::new(&m, &input);
    let bar = spinner(json, "steps");
    // Run in slices so the spinner moves on long runs; the loop itself is the same.
    let slice = 50_000_000;
    while it.steps() < max_steps {
        let limit = (it.steps() + slice).min(max_steps);
        if it.run(limit) != Stop::StepLimit {
            break;
        }
        bar.set_position(it.steps());
    }
    bar.finish_and_clear();
    let report = RunReport::new(&m, &input, it.summary());
    let r = &report.run;
    if json {
        print_json(&report);
    } else {
        println!("machine   {}", report.machine);
        println!("steps     {}", r.steps);
        println!("stop      {}", r.stop);
        if r.stop == Stop::TapeLimit {
            println!(
                "          (the tape reached {} cells, the most the interpreter keeps: the run stops there)",
                arsim::limits::MAX_TAPE_CELLS
            );
        }
        println!("state     {}", r.state);
        println!("nonblank  {}", r.nonblank);
        if let Some(c) = &report.convention {
            println!("convention {c} (--undefined no-rule: a missing rule, no step)");
        }
        if report.head_start > 0 {
            println!(
                "start     head on cell {} (the input's `*`)",
                report.head_start
            );
        }
        println!(
            "cells     {} .. {} (head positions visited; input starts at 0)",
            r.cells[0], r.cells[1]
        );
        let shown = if r.tape.chars().count() > 200 {
            format!(
                "{}… ({} cells from {})",
                r.tape.chars().take(200).collect::<String>(),
                r.tape.chars().count(),
                r.tape_start
            )
        } else {
            format!("{} (from cell {})", r.tape, r.tape_start)
        };
        println!("tape      {shown}");
    }
    Ok(())
}
