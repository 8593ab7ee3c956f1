//! Allocator tuning for large answers.
//!
//! A fetch_all over thousands of events allocates megabyte buffers (page bodies, rendered
//! items) that live briefly. glibc raises its mmap threshold after the first such buffer is
//! freed and then serves the next ones from arenas it rarely gives back, so the peak of a
//! 5,000-event answer came out a quarter higher than what was ever live at once. A fixed
//! threshold keeps every buffer above it on its own mapping, returned to the system on free
//! and grown with mremap instead of copied.

/// Buffers from this size up get their own mapping (glibc's initial default, kept fixed).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called once, before any thread
    // is started, and a refusal (return 0) merely leaves glibc's default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
