//! Reading a TinyStories-format corpus: stories separated by lines equal to `<|endoftext|>`,
//! the whole file checked as UTF-8. First stage of the text task.
//!
//! A story is the exact text between two separator lines (its own line endings included,
//! the separator line excluded), so concatenating every story followed by `<|endoftext|>\n`
//! gives back the file. Stories that hold only whitespace are skipped; text after the last
//! separator is a story too.

use std::path::{Path, PathBuf};

/// The line that ends every story.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file could not be opened or read.
    #[error("cannot read corpus {}", path.display())]
    Io {
        /// The corpus file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid UTF-8.
    #[error("corpus {} is not valid UTF-8 at line {line}, byte {byte}", path.display())]
    InvalidUtf8 {
        /// The corpus file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 0-based offset of the first invalid byte in the file.
        byte: usize,
    },
    /// A line holds `<|endoftext|>` together with other text.
    #[error("corpus {} line {line}: `<|endoftext|>` must be alone on its line", path.display())]
    InlineSeparator {
        /// The corpus file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The file holds no story.
    #[error("corpus {} holds no story (stories end with a line `<|endoftext|>`)", path.display())]
    Empty {
        /// The corpus file.
        path: PathBuf,
    },
}

/// A corpus: its file and its stories in file order.
#[derive(Clone, Debug)]
pub struct Corpus {
    path: PathBuf,
    stories: Vec<String>,
}

impl Corpus {
    /// The file the corpus was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stories, in file order.
    pub fn stories(&self) -> &[String] {
        &self.stories
    }

    /// Total UTF-8 bytes of the stories (separator lines excluded).
    pub fn story_bytes(&self) -> usize {
        self.stories.iter().map(String::len).sum()
    }

    /// The stories' content as a 64-bit FNV-1a hash, in hex: each story's length (8 bytes,
    /// little-endian) then its bytes, in file order. Checkpoints record the corpus by this,
    /// so the same stories under another path are the same corpus, and an edited file under
    /// the same path is not. (Line endings and separator lines do not count: they are not
    /// part of any story.)
    pub fn content_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for s in &self.stories {
            for &b in (s.len() as u64).to_le_bytes().iter().chain(s.as_bytes()) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }
}

/// Reads and parses the corpus file at `path`.
pub fn read_corpus(path: &Path) -> Result<Corpus, CorpusError> {
    let bytes = crate::fs::read_bounded(path, crate::limits::MAX_FILE).map_err(|source| {
        CorpusError::Io {
            path: path.to_path_buf(),
            source,
        }
    })?;
    parse_corpus(&bytes, path)
}

/// Parses corpus bytes; `path` names the source in errors.
pub fn parse_corpus(bytes: &[u8], path: &Path) -> Result<Corpus, CorpusError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let byte = e.valid_up_to();
        let line = 1 + bytes[..byte].iter().filter(|&&b| b == b'\n').count();
        CorpusError::InvalidUtf8 {
            path: path.to_path_buf(),
            line,
            byte,
        }
    })?;
    let mut stories = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if bare == END_OF_TEXT {
            push_story(&mut stories, &text[start..pos]);
            start = pos + line.len();
        } else if bare.contains(END_OF_TEXT) {
            return Err(CorpusError::InlineSeparator {
                path: path.to_path_buf(),
                line: i + 1,
            });
        }
        pos += line.len();
    }
    push_story(&mut stories, &text[start..]);
    if stories.is_empty() {
        return Err(CorpusError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(Corpus {
        path: path.to_path_buf(),
        stories,
    })
}

fn push_story(stories: &mut Vec<String>, story: &str) {
    if !story.trim().is_empty() {
        stories.push(story.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stories_are_the_text_between_separators() {
        let c = parse_corpus(
            b"\nA b.\n<|endoftext|>\nC.\r\n<|endoftext|>\r\n  \n<|endoftext|>\nD",
            "x".as_ref(),
        )
        .unwrap();
        assert_eq!(c.stories(), ["\nA b.\n", "C.\r\n", "D"]);
        assert_eq!(c.story_bytes(), 6 + 4 + 1);
    }

    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let e = parse_corpus(b"ok\nbad \xff\n", "f.txt".as_ref()).unwrap_err();
        assert!(matches!(
            e,
            CorpusError::InvalidUtf8 {
                line: 2,
                byte: 7,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "corpus f.txt is not valid UTF-8 at line 2, byte 7"
        );
    }

    #[test]
    fn inline_separator_and_empty_are_errors() {
        let e = parse_corpus(b"a\nb <|endoftext|>\n", "f".as_ref()).unwrap_err();
        assert!(matches!(e, CorpusError::InlineSeparator { line: 2, .. }));
        let e = parse_corpus(b"<|endoftext|>\n \n", "f".as_ref()).unwrap_err();
        assert!(matches!(e, CorpusError::Empty { .. }));
    }
}
