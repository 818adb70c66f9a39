//! The raw arguments before and after clap: a standard-format string that starts with `---`
//! moved to a positional place, negative numbers joined to their flags (so that clap's message
//! names the flag), and clap's usage errors printed as the command line's (a JSON error object
//! with `--json`, exit 2).

use crate::{print_json, EXIT_IF_CUT};

/// A bbchallenge standard-format string whose first state has an undefined transition starts
/// with `---` (`---1LB_1LA---`), which an argument parser takes for a flag. The machine is the
/// one positional argument of every command, so such an argument moves behind a `--` at the end
/// (where no `--` stands before it already): `arsim run ---1LB_1LA---` runs the machine.
pub fn standard_strings_last(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let looks_standard = |a: &std::ffi::OsString| {
        a.to_str().is_some_and(|s| {
            s.starts_with("---")
                && s.len() > 3
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    let end_of_flags = args.iter().position(|a| a == "--").unwrap_or(args.len());
    if let Some(i) = args[..end_of_flags].iter().position(looks_standard) {
        let machine = args.remove(i);
        if end_of_flags == args.len() + 1 {
            args.push("--".into());
        }
        args.push(machine);
    }
    args
}

/// `--tape -1`: an argument parser takes `-1` for a flag and answers "unexpected argument
/// '-1'" with a wrong tip. A negative number after a long flag is joined to it (`--tape=-1`),
/// so that the flag's own parser sees it and [`usage_error`] can say what the flag takes.
pub fn negative_values_joined(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let negative = |a: &std::ffi::OsString| {
        a.to_str().is_some_and(|s| {
            s.strip_prefix('-')
                .is_some_and(|n| n.parse::<f64>().is_ok() && !n.starts_with('-'))
        })
    };
    let mut out: Vec<std::ffi::OsString> = Vec::with_capacity(args.len());
    let mut flags_ended = false;
    for a in args {
        let joins = !flags_ended
            && negative(&a)
            && out.last().and_then(|p| p.to_str()).is_some_and(|p| {
                p.starts_with("--") && p.len() > 2 && !p.contains('=') && p != "--json"
            });
        flags_ended |= a == "--";
        match out.last_mut() {
            Some(flag) if joins => {
                flag.push("=");
                flag.push(&a);
            }
            _ => out.push(a),
        }
    }
    out
}

/// A usage error: clap's message, except that a negative number given to a flag that counts
/// says so; with `--json`, also the JSON error object every other bad input prints. Help and
/// `--version` exit 0.
pub fn usage_error(e: clap::Error, json: bool) -> u8 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !e.use_stderr() {
        let _ = e.print();
        return 0;
    }
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let negative = match (
        e.kind(),
        context(ContextKind::InvalidArg),
        context(ContextKind::InvalidValue),
    ) {
        (ErrorKind::ValueValidation, Some(arg), Some(value)) if value.starts_with('-') => {
            let flag = arg.split_whitespace().next().unwrap_or(&arg).to_string();
            Some(format!("{flag} takes a number of 0 or more, not {value}"))
        }
        _ => None,
    };
    let text = match &negative {
        Some(m) => format!("error: {m}"),
        None => e.render().to_string(),
    };
    EXIT_IF_CUT.store(2, std::sync::atomic::Ordering::Relaxed);
    if json {
        let first = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ");
        print_json(&serde_json::json!({ "error": first, "exit_code": 2 }));
    }
    match negative {
        Some(_) => eprintln!("{text}"),
        None => {
            let _ = e.print();
        }
    }
    2
}
