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

/// Gives the system back the free pages inside the heap. glibc returns memory only from the
/// top of an arena; the tens of megabytes a replica frees when many MCP sessions leave memory
/// at once sit between live blocks and would stay resident. Called after such a release
/// (`server::http`), at most every few seconds, so its walk over the heap costs nothing per call.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands free pages back to the kernel (madvise); any thread may
    // call it at any time, and live allocations are untouched.
    unsafe {
        libc::malloc_trim(0);
    }
}
