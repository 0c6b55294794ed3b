//! CPU-heavy work off the async runtime, at most one piece per core at a time: password
//! hashing (Argon2, 19 MiB of memory each) and verifying and merging pushed documents.
//! Under a burst (every rep signing in or syncing at once) the rest wait their turn
//! instead of each taking a thread and its memory, so the server's memory stays bounded
//! and the writer and the readers are not starved of CPU.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Runs `work` on the blocking pool once a slot is free.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _slot = SLOTS
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("waiting for a CPU slot: {e}"))?;
    // In the caller's span, so anything logged there names its request.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|e| anyhow::anyhow!("CPU-heavy work failed: {e}"))
}
