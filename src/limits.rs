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

/// The deepest YAML nesting a machine document may have (a turingmachine.io table is 3 deep).
pub const MAX_YAML_DEPTH: usize = 64;

/// A size refused before anything was allocated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
