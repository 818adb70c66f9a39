//! Output files written whole: [`write_atomic`] writes a temporary file beside the target and
//! renames it over the target, so a reader sees the old file or the new one, never half of one.
//!
//! Every writer of the crate goes through here (weight files, checkpoints, pictures, machines,
//! tokenizers). The temporary file is removed when writing fails, and also when the process is
//! interrupted (SIGINT, SIGTERM, SIGHUP: a closed terminal) while it exists: a killed `arsim
//! compile --out` leaves nothing behind. A temporary left by a process killed beyond catching
//! (SIGKILL, a file-size limit) is swept by the next write of the same target. The signal handler only unlinks the registered temporary files (an
//! async-signal-safe call) and then hands the signal on to whatever handler was installed
//! before it, or, when that was the default, re-raises it so the process still dies of it.

use std::ffi::CString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writing a file failed; names the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// The file that was being written.
    pub path: String,
    /// The OS error.
    pub source: std::io::Error,
}

/// The temporary file `write_atomic` uses for `path`: hidden, beside it, named by the process.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.tmp{}", std::process::id()))
}

/// Writes `bytes` to `path` whole: to a temporary file beside it, then renamed over it. The
/// temporary file is removed on error and on SIGINT/SIGTERM/SIGHUP; the temporaries of the same
/// target that dead processes left are removed first ([`sweep_stale`]).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.txt");
/// arsim::fs::write_atomic(&path, b"hello").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let tmp = temporary_path(path);
    sweep_stale(path);
    let guard = cleanup::register(&tmp);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drop(guard);
    result.map_err(|source| WriteError {
        path: path.display().to_string(),
        source,
    })
}

/// Removes the temporary files of `path` (`.NAME.tmpPID`) whose process is gone: one killed
/// beyond catching while it wrote. A live writer's temporary is left alone.
pub fn sweep_stale(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid as u32 != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists (signal 0 checks without sending).
#[cfg(unix)]
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only reports whether the process exists.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH))
}

#[cfg(not(unix))]
fn process_alive(_pid: i32) -> bool {
    true
}

/// Reads the file at `path` whole, refusing unread what is not a file to read whole: a device
/// (`/dev/zero` would never end), a directory, or a file larger than `limit` bytes (checked on
/// its size before reading; a pipe is read up to `limit` bytes and refused past them).
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(std::io::Error::other("a directory, not a file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
            return Err(std::io::Error::other("a device, not a file"));
        }
    }
    let too_large = || {
        std::io::Error::other(format!(
            "larger than the {limit} bytes arsim reads from one file"
        ))
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_bounded`], as UTF-8 text.
pub fn read_text_bounded(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read_bounded(path, limit)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Checks that the directory `path` would be written in exists, so that a run that writes
/// its output at the end is refused before it starts, not after (the error names `path`).
pub fn check_directory_of(path: &Path) -> Result<(), WriteError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        return Ok(());
    }
    Err(WriteError {
        path: path.display().to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("its directory {} does not exist", dir.display()),
        ),
    })
}

/// An output path that is one of the command's inputs: writing it would destroy the input.
#[derive(Debug, thiserror::Error)]
#[error(
    "{output} {path} is the {input} it reads: writing it would destroy that input; write elsewhere"
)]
pub struct SameFileError {
    /// The output, in words or as its flag.
    pub output: String,
    /// The path given.
    pub path: String,
    /// The input it equals, in words or as its flag.
    pub input: String,
}

/// Whether `a` and `b` are the same file: the same device and inode when both exist, else the
/// same canonical path (of the parent, for a file not yet written).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    let canonical = |p: &Path| {
        p.canonicalize().ok().or_else(|| {
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Some(parent.canonicalize().ok()?.join(p.file_name()?))
        })
    };
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

/// Refuses an output path equal to any of `inputs` (each named, as `output` is, in the caller's
/// words: a flag on the command line, a parameter in Python).
pub fn refuse_overwrite(
    output: (&str, &Path),
    inputs: &[(&str, &Path)],
) -> Result<(), SameFileError> {
    for (name, input) in inputs {
        if same_file(output.1, input) {
            return Err(SameFileError {
                output: output.0.to_string(),
                path: output.1.display().to_string(),
                input: name.to_string(),
            });
        }
    }
    Ok(())
}

/// The registry of temporary files a signal must remove, and the handler that removes them.
mod cleanup {
    use super::*;
    use std::sync::atomic::{AtomicPtr, Ordering};
    use std::sync::Once;

    /// Slots for the temporary files being written at once (one per writing thread is plenty;
    /// a write that finds no free slot is still atomic, only not cleaned up on a signal).
    const SLOTS: usize = 16;
    static FILES: [AtomicPtr<libc::c_char>; SLOTS] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
    static INSTALL: Once = Once::new();
    /// The handlers that were installed before ours, for SIGINT, SIGTERM and SIGHUP.
    static mut PREVIOUS: [Option<libc::sigaction>; 3] = [None, None, None];
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// Holds a registered temporary file; unregisters it when dropped.
    pub struct Guard(Option<usize>);

    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(i) = self.0 {
                let p = FILES[i].swap(std::ptr::null_mut(), Ordering::SeqCst);
                if !p.is_null() {
                    // SAFETY: the pointer came from `CString::into_raw` in `register`.
                    drop(unsafe { CString::from_raw(p) });
                }
            }
        }
    }

    /// Registers `tmp` for removal by the signal handler, installing it the first time.
    pub fn register(tmp: &Path) -> Guard {
        INSTALL.call_once(install);
        let Ok(c) = CString::new(tmp.as_os_str().as_encoded_bytes()) else {
            return Guard(None);
        };
        let raw = c.into_raw();
        for (i, slot) in FILES.iter().enumerate() {
            if slot
                .compare_exchange(
                    std::ptr::null_mut(),
                    raw,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
            {
                return Guard(Some(i));
            }
        }
        // SAFETY: `raw` came from `into_raw` just above and was not stored.
        drop(unsafe { CString::from_raw(raw) });
        Guard(None)
    }

    #[cfg(unix)]
    fn install() {
        for (k, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: plain sigaction calls on a zeroed struct; `PREVIOUS` is written once,
            // here, before the handler that reads it is installed.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
                    continue;
                }
                if old.sa_sigaction == libc::SIG_IGN {
                    continue; // an ignored signal cannot interrupt a write
                }
                PREVIOUS[k] = Some(old);
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = handler as *const () as usize;
                new.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut new.sa_mask);
                libc::sigaction(sig, &new, std::ptr::null_mut());
            }
        }
    }

    #[cfg(not(unix))]
    fn install() {}

    /// Removes the registered files, then passes the signal on.
    #[cfg(unix)]
    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        for slot in &FILES {
            let p = slot.load(Ordering::SeqCst);
            if !p.is_null() {
                // SAFETY: unlink is async-signal-safe and `p` is a live C string.
                unsafe { libc::unlink(p) };
            }
        }
        let k = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
        // SAFETY: written once before the handler was installed, only read here.
        let previous = unsafe { (*std::ptr::addr_of!(PREVIOUS))[k] };
        unsafe {
            match previous {
                Some(old)
                    if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN =>
                {
                    if old.sa_flags & libc::SA_SIGINFO != 0 {
                        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                            std::mem::transmute(old.sa_sigaction);
                        f(sig, info, ctx);
                    } else {
                        let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                        f(sig);
                    }
                }
                _ => {
                    // The default action: restore it and die of the signal, as without us.
                    libc::signal(sig, libc::SIG_DFL);
                    libc::raise(sig);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn sighup_is_handled_as_sigint_and_sigterm_are() {
        let dir = tempfile::tempdir().unwrap();
        let _guard = cleanup::register(&dir.path().join("x"));
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: reads the installed action into a zeroed struct.
            let installed = unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut old);
                old.sa_sigaction
            };
            assert_ne!(
                installed,
                libc::SIG_DFL,
                "signal {sig} has the cleanup handler"
            );
        }
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        // A pid no process has (beyond Linux's pid_max), and this process's own.
        let dead = dir.path().join(".w.bin.tmp2147483000");
        let other = dir.path().join(".x.bin.tmp2147483000");
        std::fs::write(&dead, b"half").unwrap();
        std::fs::write(&other, b"half").unwrap();
        write_atomic(&path, b"whole").unwrap();
        assert!(!dead.exists(), "the dead writer's temporary is swept");
        assert!(other.exists(), "another target's temporary is not");
    }

    #[test]
    fn devices_and_oversized_files_are_refused_unread() {
        let e = read_bounded(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(read_bounded(&path, 99)
            .unwrap_err()
            .to_string()
            .contains("99 bytes"));
        assert_eq!(read_bounded(&path, 100).unwrap().len(), 100);
    }

    #[test]
    fn an_output_equal_to_an_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ron");
        std::fs::write(&path, b"x").unwrap();
        let dotted = dir.path().join(".").join("m.ron");
        let e = refuse_overwrite(("--out", &dotted), &[("machine file", &path)]).unwrap_err();
        assert!(e.to_string().contains("machine file"), "{e}");
        // A file not yet written, named two ways.
        let new = dir.path().join("n.ron");
        assert!(same_file(&new, &dir.path().join("./n.ron")));
        assert!(refuse_overwrite(("--out", &new), &[("machine file", &path)]).is_ok());
    }

    #[test]
    fn a_failed_write_names_the_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory that is not empty, so the rename fails after the write.
        let target = dir.path().join("d");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("x"), b"x").unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert!(err.to_string().contains("d"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the directory remains: {left:?}");
    }
}
