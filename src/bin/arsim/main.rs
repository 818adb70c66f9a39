//! The `arsim` command line: a thin layer over the library. It parses arguments (`flags`,
//! `task_flags`), hands them to one module per command, which calls the library and prints its
//! typed report (text, or one JSON object with `--json`), and maps outcomes to exit codes:
//! 0 success, 1 a verification or certification failure, 2 bad input or usage.

mod args;
mod certify;
mod compile;
mod convert;
mod emulate;
mod flags;
mod hf;
mod hints;
mod learn;
mod length;
mod progress;
mod run;
mod serve;
mod task_flags;
mod task_frontier;
mod task_multiply;
mod task_parity;
mod task_text;
mod trace;

use anyhow::{anyhow, Result};
use arsim::api::{load_run, ApiError, InputSource, InputsField, MachineRequest};
use arsim::learn::softmax::SoftmaxOptions;
use arsim::learn::LearnOptions;
use arsim::length::Plan;
use arsim::machine::{load_machine_as, Input, LoadOptions, Machine};
use clap::Parser;
use flags::{Cli, Command, MachineArgs};
use serde::Serialize;
use std::process::ExitCode;
use task_flags::TaskCommand;

/// The version of the JSON every command prints (the top-level `schema_version` key).
/// Version 2 renamed keys so that one key means one thing everywhere (docs/json.md lists them).
pub const SCHEMA_VERSION: u32 = 2;

/// A failure and its exit code.
pub enum Failure {
    /// Bad input or usage: exit 2.
    Input(anyhow::Error),
    /// The predictor or certificate failed: exit 1 (the report has been printed).
    Verification,
    /// Bad input found after the report was printed (a run that left the window): exit 2,
    /// the message on stderr only, so `--json` still prints one object.
    InputAfterReport(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Input(e)
    }
}

/// The command line: `arsim ARGS…` with the process's arguments.
pub fn main() -> ExitCode {
    ExitCode::from(main_with_args(std::env::args_os().collect()))
}

/// The command line with the arguments given (the first is the program's name), returning the
/// exit status: what `main` runs, and what the Python package's `arsim` console script runs
/// (`python/src/lib.rs`, through the crate `python/cli`, whose library root is this file), so
/// that `pip install ./python` brings the same command line, not a second one.
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> u8 {
    quiet_on_closed_stdout();
    let args = args::negative_values_joined(args::standard_strings_last(args));
    let json_asked = args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return args::usage_error(e, json_asked),
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => 0,
        Err(Failure::Verification) => 1,
        Err(Failure::InputAfterReport(e)) => {
            eprintln!("error: {}", message(&e));
            2
        }
        Err(Failure::Input(e)) => {
            let text = message(&e);
            // A closed pipe cutting the error object short still exits 2.
            EXIT_IF_CUT.store(2, std::sync::atomic::Ordering::Relaxed);
            if json {
                print_json(&serde_json::json!({ "error": text, "exit_code": 2 }));
            }
            eprintln!("error: {text}");
            2
        }
    }
}

/// The error and its causes, joined by ": ", each said once: many library errors already
/// print their source in their own message (`machine M: {source}`), and repeating it would
/// read "X: X". A library error that says an option in words is said with its flag
/// ([`hints::flag_words`]), in its own message and in any outer one that repeats it.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let mut text = cause.to_string();
        if let Some((library, flags)) = hints::flag_words(cause) {
            out = out.replace(&library, &flags);
            text = text.replace(&library, &flags);
        }
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    // A parser's message may quote a file's text: its control characters escaped, line by line.
    out.lines()
        .map(|l| arsim::printable::printable(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `arsim run machines/bb5.ron | head -1`: when stdout is closed early, printing fails; exit
/// quietly with 0, as Unix filters do, instead of panicking with a message.
///
/// A closed pipe may end the output early, but never turns a failure into success: a command
/// whose verdict is known before it prints says so with [`verdict_before_printing`], and that
/// status is the exit's. Any other failure to write (`> /dev/full`) is an error, exit 2, not a
/// panic.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") {
            if message.contains("Broken pipe") {
                std::process::exit(
                    EXIT_IF_CUT
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .into(),
                );
            }
            let why = message.rsplit(": ").next().unwrap_or(message);
            eprintln!("error: cannot write to standard output: {why}");
            std::process::exit(2);
        }
        default(info);
    }));
}

/// The exit status of a command whose output a closed pipe cuts short (0 until a command says
/// its verdict; 2 while an error is printed).
pub(crate) static EXIT_IF_CUT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Ends the process as a closed stdout ends any command: with the status recorded so far.
pub fn exit_cut_short() -> ! {
    std::process::exit(
        EXIT_IF_CUT
            .load(std::sync::atomic::Ordering::Relaxed)
            .into(),
    )
}

/// Records `failed` (exit 1) before a command prints a report of a failed check, so that a
/// closed stdout ends it with that status and not 0.
pub fn verdict_before_printing(failed: bool) {
    EXIT_IF_CUT.store(failed as u8, std::sync::atomic::Ordering::Relaxed);
}

/// Prints one JSON object on stdout, its first key `schema_version`, the rest as the value
/// serialises (field order kept). The one place any command prints JSON.
pub fn print_json(value: &impl Serialize) {
    // Our report types serialise infallibly.
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    match text.strip_prefix("{\n") {
        Some(rest) => println!("{{\n  \"schema_version\": {SCHEMA_VERSION},\n{rest}"),
        None if text == "{}" => println!("{{\n  \"schema_version\": {SCHEMA_VERSION}\n}}"),
        None => println!("{text}"),
    }
}

/// Loads the machine and parses the input (--input, --input-file, or the file's own) against
/// its alphabet through the front door; lenient loading's warnings go to stderr.
pub fn load(args: &MachineArgs) -> Result<(Machine, Input)> {
    let req = MachineRequest {
        machine: args.machine.clone(),
        options: LoadOptions {
            format: args.format,
            lenient: args.lenient,
            undefined: args.undefined,
            start: args.start.clone(),
            input: None,
        },
        input: match (&args.input, &args.input_file) {
            (Some(word), _) => InputSource::Word(word.clone()),
            (None, Some(path)) => InputSource::File(path.clone()),
            (None, None) => InputSource::Own,
        },
    };
    let loaded = load_run(&req).map_err(flag_hint)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    Ok((loaded.machine, loaded.input))
}

/// The front door's error in the command line's words: a bad input names the flag it came from.
pub fn flag_hint(e: ApiError) -> anyhow::Error {
    match &e {
        ApiError::Input {
            origin: InputSource::Word(_),
            source,
            ..
        } => anyhow!("--input: {source}"),
        ApiError::Input {
            origin: InputSource::File(path),
            source,
            ..
        } => anyhow!("--input-file {}: {source}", path.display()),
        ApiError::InputFile { path, source } => {
            anyhow!("cannot read --input-file {path}: {source}")
        }
        ApiError::Inputs {
            field,
            machine,
            message,
        } => {
            let flag = match field {
                InputsField::Words => "--inputs",
                InputsField::Pattern => "--pattern",
                InputsField::Alphabet => "--alphabet",
            };
            anyhow!("bad {flag} for machine {machine}: {message}")
        }
        _ => anyhow::Error::from(e),
    }
}

/// Refuses an output path that is one of the command's input files (the machine file, the
/// input file, the weights): writing it would destroy the input it was made from.
fn refuse_overwrites(command: &Command) -> Result<(), Failure> {
    use std::path::Path;
    let none: Option<&Path> = None;
    let (machine, input_file, weights, outputs): (
        &str,
        Option<&Path>,
        Option<&Path>,
        Vec<(&str, Option<&Path>)>,
    ) = match command {
        Command::Compile {
            machine,
            out,
            plot,
            png,
            svg,
            ..
        } => (
            &machine.machine,
            machine.input_file.as_deref(),
            none,
            vec![
                ("--out", out.as_deref()),
                ("--plot", plot.as_deref()),
                ("--png", png.as_deref()),
                ("--svg", svg.as_deref()),
            ],
        ),
        Command::Trace {
            machine, picture, ..
        } => (
            &machine.machine,
            machine.input_file.as_deref(),
            picture.weights.as_deref(),
            vec![
                ("--plot", picture.plot.as_deref()),
                ("--png", picture.png.as_deref()),
                ("--svg", picture.svg.as_deref()),
            ],
        ),
        Command::Convert { machine, out, .. } => (
            &machine.machine,
            none,
            none,
            vec![("--out", out.as_deref())],
        ),
        Command::Dot { machine, out, png } => (
            &machine.machine,
            none,
            none,
            vec![("--out", out.as_deref()), ("--plot", png.as_deref())],
        ),
        Command::Learn {
            machine,
            save,
            plot,
            ..
        } => (
            machine,
            none,
            none,
            vec![("--out", save.as_deref()), ("--plot", plot.as_deref())],
        ),
        Command::Length { machine, plot, .. } => (
            &machine.machine,
            machine.input_file.as_deref(),
            none,
            vec![("--plot", plot.as_deref())],
        ),
        _ => return Ok(()),
    };
    // `FILE#N` names the file FILE.
    let machine_file = match machine.rsplit_once('#') {
        Some((file, n)) if !Path::new(machine).exists() && n.parse::<usize>().is_ok() => file,
        _ => machine,
    };
    let mut inputs = vec![("machine file", Path::new(machine_file))];
    inputs.extend(input_file.map(|p| ("--input-file", p)));
    inputs.extend(weights.map(|p| ("--weights", p)));
    for (flag, out) in outputs {
        if let Some(out) = out {
            arsim::fs::refuse_overwrite((flag, out), &inputs).map_err(anyhow::Error::from)?;
        }
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.json;
    refuse_overwrites(&cli.command)?;
    match cli.command {
        Command::Run { machine, max_steps } => run::cmd_run(&machine, max_steps, json),
        Command::Emulate {
            machine,
            window,
            encoding,
            max_steps,
            weights,
            executor,
            threads,
            isa,
        } => emulate::cmd_emulate(
            &machine,
            &window,
            encoding,
            max_steps,
            weights.as_deref(),
            arsim::api::ExecutorOptions {
                executor,
                threads: threads.map(usize::from),
                isa,
            },
            json,
        ),
        Command::Compile {
            machine,
            window,
            encoding,
            out,
            list,
            plot,
            png,
            svg,
            hf,
            context,
        } => compile::cmd_compile(
            &machine,
            &window,
            encoding,
            out,
            list,
            {
                let (png, svg) = flags::pictures(plot, png, svg);
                compile::Pictures { png, svg }
            },
            hf.map(|dir| (dir, context)),
            json,
        ),
        Command::Certify {
            machine,
            window: _,
            encoding: _,
            weights: _,
            hf: Some(dir),
            precision,
        } => hf::cmd_certify_hf(&machine, &dir, precision, json),
        Command::Certify {
            machine,
            window,
            encoding,
            weights,
            hf: None,
            precision: _,
        } => certify::cmd_certify(&machine, &window, encoding, weights.as_deref(), json),
        Command::Length {
            machine,
            encoding,
            tapes,
            random,
            inputs_random,
            lengths,
            per_length,
            seed,
            max_steps,
            plot,
        } => {
            let plan = if random || inputs_random.is_some() {
                Plan::Inputs {
                    lengths,
                    samples: per_length,
                    seed,
                }
            } else if !tapes.is_empty() {
                Plan::Tapes {
                    input: load(&machine)?.1,
                    tapes,
                }
            } else {
                return Err(Failure::Input(anyhow!(
                    "give --tape S1,S2,… or --random --lengths N1,N2,…"
                )));
            };
            length::cmd_length(&machine, &encoding, &plan, max_steps, plot.as_deref(), json)
        }
        Command::Task {
            task: TaskCommand::Parity(args),
        } => task_parity::cmd_task_parity(&args, json),
        Command::Task {
            task: TaskCommand::Multiply(args),
        } => task_multiply::cmd_task_multiply(&args, json),
        Command::Task {
            task: TaskCommand::Frontier(args),
        } => task_frontier::cmd_task_frontier(&args, json),
        Command::Task {
            task: TaskCommand::Text(args),
        } => task_text::cmd_task_text(&args, json),
        Command::Trace {
            machine,
            window,
            max_steps,
            tokens,
            html,
            picture,
        } => {
            if let Some(path) = html {
                return trace::cmd_trace_html(&machine, &window, max_steps, &path, json);
            }
            let picture = picture.resolve();
            if picture.png.is_some() || picture.svg.is_some() {
                trace::cmd_trace_picture(&machine, &window, max_steps, &picture, json)
            } else if picture.emulate {
                // Without a picture the rows printed are the interpreter's; --emulate (and its
                // --weights) would be silently ignored, so say so instead.
                Err(Failure::Input(anyhow!(
                    "--emulate draws the predictor's rows as a picture: give --plot FILE.png or FILE.svg"
                )))
            } else {
                trace::cmd_trace(&machine, &window, max_steps, tokens, json)
            }
        }
        Command::Serve { port, bind, open } => serve::cmd_serve(port, bind, open),
        Command::Convert { machine, to, out } => convert::cmd_convert(&machine, to, out, json),
        Command::Dot { machine, out, png } => convert::cmd_dot(&machine, out, png, json),
        Command::Learn {
            machine,
            format,
            encoding,
            train,
            test,
            seed,
            algo,
            window,
            outputs,
            learner,
            input,
            max_steps,
            max_passes,
            margin,
            epochs,
            save,
            sample_sizes,
            chain_length,
            epsilon,
            budget,
            seeds,
            plot_with,
            plot,
        } => {
            let m = load_machine_as(&machine, format).map_err(anyhow::Error::from)?;
            let spec = learn::input_spec(&m, &input)?;
            let opts = LearnOptions {
                encoding,
                inputs: spec,
                train,
                test,
                seed,
                algo,
                window,
                outputs,
                learner,
                max_steps,
                max_passes,
                margin,
                softmax: SoftmaxOptions {
                    epochs,
                    ..SoftmaxOptions::default()
                },
            };
            match (sample_sizes, chain_length) {
                (Some(sizes), _) => learn::cmd_sample_complexity(&m, &opts, &sizes, plot, json),
                (None, Some(lengths)) => {
                    let chain = learn::ChainArgs {
                        lengths,
                        epsilon,
                        budget,
                        seeds,
                        plot_with,
                    };
                    learn::cmd_chain_length(&m, &opts, &chain, plot, json)
                }
                (None, None) if plot.is_some() => Err(Failure::Input(anyhow!(
                    "--plot draws --sample-sizes or --chain-length: give one of them"
                ))),
                (None, None) => learn::cmd_learn(&m, &opts, save, json),
            }
        }
    }
}
