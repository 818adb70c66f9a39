//! Names from files, made safe to print: [`printable`] escapes the control characters (and the
//! bidirectional overrides) of a name read from a file, so that a machine file cannot write on
//! the terminal (a state named `x\ncertified    yes` forging a verdict line, `\u{1b}[8m`
//! hiding the real one) nor on a page or a picture. The machine's names are escaped once, where
//! a machine is validated, and so everywhere they are printed; weight files' labels where they
//! are read.

use std::borrow::Cow;

/// Whether `c` can move the cursor, change the terminal's state or reorder text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with each control character escaped as Rust writes it (`\n`, `\t`, `\u{1b}`), and a
/// backslash before an escape kept as it is; borrowed when there is nothing to escape.
///
/// ```
/// use arsim::printable::printable;
/// assert_eq!(printable("q0"), "q0");
/// assert_eq!(printable("x\ncertified yes\u{1b}[8m"), "x\\ncertified yes\\u{1b}[8m");
/// ```
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_overrides_are_escaped_and_the_rest_kept() {
        assert!(matches!(printable("Zürich ✓ ←"), Cow::Borrowed(_)));
        assert_eq!(printable("a\rb\u{7f}"), "a\\rb\\u{7f}");
        assert_eq!(printable("\u{202e}abc"), "\\u{202e}abc");
        assert!(!printable("\u{1b}[2J").chars().any(char::is_control));
    }
}
