//! Process-wide settings of candle's CPU backend: how many threads its products use
//! ([`set_threads`]) and the allocator tuning that keeps a training step's freed tensors in the
//! process ([`keep_freed_memory`]).

/// Sets candle's CPU backend to `threads` threads (0: leave the default, all cores), refusing
/// more than [`crate::limits::MAX_THREADS`].
///
/// candle's matrix products read the thread count from `RAYON_NUM_THREADS` once.
pub fn set_threads(threads: usize) -> Result<(), crate::limits::SizeError> {
    crate::limits::check_threads(threads)?;
    if threads > 0 {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    Ok(())
}

/// Keeps freed memory in the process: glibc's allocator hands blocks above its mmap threshold
/// back to the OS on free, and a training step allocates and frees tens of megabytes of
/// tensors, so every step would fault its pages in again (measured: 2.3× slower training of
/// the multiplication MLP, most of it system time). Raising the mmap and trim thresholds
/// keeps those pages for reuse. Called by [`train()`](super::train()); a no-op off glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; any value is accepted or rejected whole.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}
