//! Sizes checked before they are allocated: one function per size a user can give (the tape
//! window, a compiled dictionary, a YAML document's nesting), each comparing an estimate of
//! what it will allocate with a limit and refusing with both figures, so that a too-large
//! request is an error naming its size instead of a kernel kill or an allocation abort.
//!
//! The estimates are per-unit costs times the size asked for; the limits are the executor's
//! own ring-buffer bound ([`MAX_OFFSET`]) and a memory budget.

/// The largest offset a predictor may read, and so a weight file may hold (the executor's ring
/// is at most 64 MiB).
pub const MAX_OFFSET: usize = 1 << 24;

/// Memory the window checks allow for one run's per-cell state.
pub const MEMORY_LIMIT: u64 = 8 << 30;

/// Bytes one window cell costs across the trace, the executor's ring buffer and a diagram
/// row: the issue that introduced this module measured `trace machines/bb3.ron --tape
/// 1000000000` growing to 24 GB before the kernel killed it, 24 bytes a cell.
pub const BYTES_PER_CELL: u64 = 24;

/// The largest window: the executor reads back at most [`MAX_OFFSET`]
/// tokens, and the `cells` predictor reads S + 2 back.
pub const MAX_WINDOW: usize = MAX_OFFSET - 2;

/// Peak bytes of compiling a `cells` predictor, per |D|² (|D| the dictionary size): measured
/// here (2-core x86 VM) as the peak resident size of `/usr/bin/time -f %M arsim compile
/// s2000.tm --undefined no-rule --out s.safetensors`, a 2,000-state Morphett chain
/// (`qi _ 1 r qi+1`, `qi 1 1 l qi+1`): 1,615,220 KB for |D| ≈ 4,006, about 101 bytes; the
/// 1,000-state chain gives 411,556 KB, about 102.
pub const BYTES_PER_WEIGHT: u64 = 100;

/// Bytes one window cell costs under the `gates` encoding, whose cell is `bits` one-hot bits,
/// each one threshold gate over the `3·bits` bits of three cells of the row before: a gate's
/// inputs are `(index, weight)` pairs of 16 bytes, with about 160 bytes of vectors and maps
/// around them. For BB(2) (8 bits a cell) that is 4,352 bytes, the 4.4 KB a cell the issue that
/// added it measured (`emulate machines/bb2.ron --encoding gates --tape 3000000` aborting at
/// 8 GiB, after passing the `cells` check at 24 bytes a cell).
pub fn gates_bytes_per_cell(bits: usize) -> u64 {
    let bits = bits as u64;
    bits.saturating_mul(bits.saturating_mul(48).saturating_add(160))
}

/// The reference interpreter's tape is not doubled again once it holds this many cells (one
/// byte a cell, so at most 2 GiB, with 3 GiB held while the last doubling copies): a run whose
/// head goes past it stops with `tape-limit` (`run 1RA1RA --max-steps 100000000000` grew its
/// tape until the allocator aborted).
pub const MAX_TAPE_CELLS: usize = 1 << 30;

/// The most threads a training run may ask for: more than any machine arsim runs on has
/// cores, and few enough that candle's thread pool starts (`--threads 1000` panicked inside
/// candle, `--threads 100000` hung).
pub const MAX_THREADS: usize = 256;

/// The largest file arsim reads whole (a machine, weights, a checkpoint, a corpus): the memory
/// budget. A device (`/dev/zero`) is refused unread, a pipe read up to this many bytes.
pub const MAX_FILE: u64 = MEMORY_LIMIT;

/// The deepest YAML nesting a machine document may have (a turingmachine.io table is 3 deep).
pub const MAX_YAML_DEPTH: usize = 64;

/// A size refused before anything was allocated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
pub enum SizeError {
    /// A window of no cells.
    #[error("a tape window of 0 cells holds no cell to run on: the window needs 1 cell or more")]
    EmptyWindow,
    /// A window wider than any predictor can read across: the `cells` predictor reads S + 2
    /// tokens back, and the executor's ring holds at most [`MAX_OFFSET`] of them.
    #[error("a tape window of {size} cells (about {estimate}) is wider than the {max} cells a predictor can read back across (the executor keeps at most {MAX_OFFSET} tokens)")]
    WindowTooWide {
        /// The cells asked for.
        size: usize,
        /// What it would allocate.
        estimate: String,
        /// The widest window.
        max: usize,
    },
    /// A size whose estimate is over its limit.
    #[error("{what} of {size} would need about {estimate}, over the limit of {limit}")]
    TooLarge {
        /// What was asked for (`a tape window`, `a dictionary`).
        what: &'static str,
        /// The size asked for, with its unit.
        size: String,
        /// The estimate, readable.
        estimate: String,
        /// The limit, readable.
        limit: String,
    },
    /// A count of things (training sequences, samples, lengths) that would not fit in memory.
    #[error(
        "{count} {what} would need about {estimate}, over the limit of {limit} ({max} at most)"
    )]
    TooMany {
        /// What is counted, with the option that sets it in words (`training chains`).
        what: &'static str,
        /// The count asked for.
        count: u64,
        /// What it would allocate, readable.
        estimate: String,
        /// The limit, readable.
        limit: String,
        /// The largest count within it.
        max: u64,
    },
    /// Things of which even one would not fit in memory (a trace of inputs too long).
    #[error("each of the {what} would need about {estimate}, over the limit of {limit}")]
    EachTooLarge {
        /// What is counted, in words.
        what: &'static str,
        /// What one would allocate, readable.
        estimate: String,
        /// The limit, readable.
        limit: String,
    },
    /// A count over a fixed bound (threads, the pairs that exist).
    #[error("{count} {what} {} more than the {max} {why}", if *.count == 1 { "is" } else { "are" })]
    OverBound {
        /// What is counted, in words.
        what: &'static str,
        /// The count asked for.
        count: u64,
        /// The bound.
        max: u64,
        /// Why that is the bound.
        why: &'static str,
    },
    /// A YAML document nested deeper than [`MAX_YAML_DEPTH`].
    #[error(
        "the document nests {depth} levels deep (at most {MAX_YAML_DEPTH}); a machine table is 3"
    )]
    TooDeep {
        /// The depth found.
        depth: usize,
    },
}

/// `n` bytes, readable: `24.0 GB`.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n => format!("{n} bytes"),
    }
}

/// Checks a tape window of `size` cells: at least one, at most [`MAX_WINDOW`], and its
/// per-cell state within [`MEMORY_LIMIT`].
pub fn check_window(size: usize) -> Result<(), SizeError> {
    if size == 0 {
        return Err(SizeError::EmptyWindow);
    }
    let estimate = (size as u64).saturating_mul(BYTES_PER_CELL);
    if size > MAX_WINDOW {
        return Err(SizeError::WindowTooWide {
            size,
            estimate: bytes(estimate),
            max: MAX_WINDOW,
        });
    }
    if estimate > MEMORY_LIMIT {
        let limit_cells = MAX_WINDOW.min((MEMORY_LIMIT / BYTES_PER_CELL) as usize);
        return Err(SizeError::TooLarge {
            what: "a tape window",
            size: format!("{size} cells"),
            estimate: bytes(estimate),
            limit: format!(
                "{limit_cells} cells ({})",
                bytes(limit_cells as u64 * BYTES_PER_CELL)
            ),
        });
    }
    Ok(())
}

/// Checks a tape window of `size` cells under an encoding whose cell costs `bytes_per_cell`
/// (more than the [`BYTES_PER_CELL`] that [`check_window`] counts): `what` names the encoding.
pub fn check_window_cost(
    size: usize,
    what: &'static str,
    bytes_per_cell: u64,
) -> Result<(), SizeError> {
    let estimate = (size as u64).saturating_mul(bytes_per_cell);
    if estimate > MEMORY_LIMIT {
        let limit_cells = MEMORY_LIMIT / bytes_per_cell.max(1);
        return Err(SizeError::TooLarge {
            what,
            size: format!("{size} cells"),
            estimate: bytes(estimate),
            limit: format!(
                "{limit_cells} cells ({} a cell, {})",
                bytes(bytes_per_cell),
                bytes(MEMORY_LIMIT)
            ),
        });
    }
    Ok(())
}

/// Checks a count of `count` things each costing about `bytes_each` bytes against
/// [`MEMORY_LIMIT`]; `what` names them (`training chains`).
pub fn check_count(what: &'static str, count: u64, bytes_each: u64) -> Result<(), SizeError> {
    if count > 0 && bytes_each > MEMORY_LIMIT {
        return Err(SizeError::EachTooLarge {
            what,
            estimate: bytes(bytes_each),
            limit: bytes(MEMORY_LIMIT),
        });
    }
    let estimate = count.saturating_mul(bytes_each);
    if estimate > MEMORY_LIMIT {
        return Err(SizeError::TooMany {
            what,
            count,
            estimate: bytes(estimate),
            limit: bytes(MEMORY_LIMIT),
            max: MEMORY_LIMIT / bytes_each.max(1),
        });
    }
    Ok(())
}

/// Checks a count against a fixed bound `max`; `why` says what the bound is.
pub fn check_at_most(
    what: &'static str,
    count: u64,
    max: u64,
    why: &'static str,
) -> Result<(), SizeError> {
    if count > max {
        return Err(SizeError::OverBound {
            what,
            count,
            max,
            why,
        });
    }
    Ok(())
}

/// Checks a thread count against [`MAX_THREADS`].
pub fn check_threads(threads: usize) -> Result<(), SizeError> {
    check_at_most(
        "threads",
        threads as u64,
        MAX_THREADS as u64,
        "threads arsim starts (0: one a core)",
    )
}

/// Checks a `cells` dictionary of `states` × `symbols` state-symbol tokens plus the plain
/// symbols: its weights (|D|² per offset) within [`MEMORY_LIMIT`].
pub fn check_dictionary(states: usize, symbols: usize) -> Result<(), SizeError> {
    let d = (states as u64)
        .saturating_mul(symbols as u64)
        .saturating_add(symbols as u64);
    let estimate = d.saturating_mul(d).saturating_mul(BYTES_PER_WEIGHT);
    if estimate > MEMORY_LIMIT {
        return Err(SizeError::TooLarge {
            what: "a dictionary",
            size: format!("{d} tokens ({states} states × {symbols} symbols + {symbols})"),
            estimate: format!("{} of weights", bytes(estimate)),
            limit: bytes(MEMORY_LIMIT),
        });
    }
    Ok(())
}

/// The nesting depth of a YAML text (the top-level mapping is 1), from its indentation and
/// its flow brackets, without parsing it (a parser recursing into a hostile document is what
/// this bounds).
pub fn yaml_depth(text: &str) -> usize {
    let mut indents: Vec<usize> = Vec::new();
    let mut deepest = 0;
    let mut flow = 0usize;
    for line in text.lines() {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        while indents.last().is_some_and(|&i| i >= indent) {
            indents.pop();
        }
        indents.push(indent);
        let mut in_quote: Option<char> = None;
        for c in body.chars() {
            match (in_quote, c) {
                (Some(q), c) if c == q => in_quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => in_quote = Some(c),
                (None, '[' | '{') => {
                    flow += 1;
                    deepest = deepest.max(indents.len() + flow);
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                (None, '#') => break,
                _ => {}
            }
        }
        deepest = deepest.max(indents.len() + flow);
    }
    deepest
}

/// Checks a YAML text's nesting against [`MAX_YAML_DEPTH`].
pub fn check_yaml_depth(text: &str) -> Result<(), SizeError> {
    match yaml_depth(text) {
        depth if depth > MAX_YAML_DEPTH => Err(SizeError::TooDeep { depth }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(check_window(0), Err(SizeError::EmptyWindow));
        assert!(check_window(1).is_ok());
        assert!(check_window(1_000_000).is_ok());
        let e = check_window(1_000_000_000).unwrap_err();
        assert!(e.to_string().contains("22.4 GiB"), "{e}");
        assert!(e.to_string().contains("16777214 cells"), "{e}");
        assert!(check_window(usize::MAX).is_err());
    }

    #[test]
    fn gates_windows_count_their_gates() {
        // BB(2): |Γ|(|Q|+1) = 2·4 = 8 bits a cell.
        assert_eq!(gates_bytes_per_cell(8), 4352);
        assert!(check_window_cost(1_000_000, "a gates window", gates_bytes_per_cell(8)).is_ok());
        let e =
            check_window_cost(3_000_000, "a gates window", gates_bytes_per_cell(8)).unwrap_err();
        assert!(e.to_string().contains("3000000 cells"), "{e}");
        assert!(e.to_string().contains("1973790 cells"), "{e}");
    }

    #[test]
    fn counts_and_bounds() {
        assert!(check_count("training chains", 1000, 100).is_ok());
        let e = check_count("training chains", 1_000_000_000, 100).unwrap_err();
        assert!(e.to_string().contains("93.1 GiB"), "{e}");
        assert!(check_threads(MAX_THREADS).is_ok());
        let e = check_threads(1000).unwrap_err();
        assert!(e.to_string().contains("256"), "{e}");
    }

    #[test]
    fn dictionaries() {
        assert!(check_dictionary(6, 2).is_ok());
        let e = check_dictionary(10_000, 2).unwrap_err();
        assert!(e.to_string().contains("20002 tokens"), "{e}");
    }

    #[test]
    fn yaml_nesting() {
        let table = "blank: ' '\nstart state: a\ntable:\n  a:\n    [1, '[']: {R: a}\n";
        assert_eq!(yaml_depth(table), 4);
        assert!(check_yaml_depth(table).is_ok());
        let deep = "[".repeat(10_000);
        assert_eq!(
            check_yaml_depth(&deep),
            Err(SizeError::TooDeep { depth: 10_001 })
        );
        let indented: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(check_yaml_depth(&indented).is_err());
    }
}
