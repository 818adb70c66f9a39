//! Output files written whole: [`write_atomic`] writes a temporary file beside the target and
//! renames it over the target, so a reader sees the old file or the new one, never half of one.
//!
//! Every writer of the crate goes through here (weight files, checkpoints, pictures, machines,
//! tokenizers). The temporary file is removed when writing fails, and also when the process is
//! interrupted (SIGINT, SIGTERM) while it exists: a killed `arsim compile --out` leaves nothing
//! behind. The signal handler only unlinks the registered temporary files (an
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
/// temporary file is removed on error and on SIGINT/SIGTERM.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.txt");
/// arsim::fs::write_atomic(&path, b"hello").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let tmp = temporary_path(path);
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
    /// The handlers that were installed before ours, for SIGINT and SIGTERM.
    static mut PREVIOUS: [Option<libc::sigaction>; 2] = [None, None];
    const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

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
