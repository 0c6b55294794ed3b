//! The async variants' engine: a blocking call run on a thread of its own, its result
//! handed back as a future.
//!
//! uniffi drives a Rust future from the foreign side's own executor (Kotlin coroutines,
//! Swift concurrency, Python asyncio) and needs no async runtime in the library. The
//! device library's network and disk calls block (ureq, SQLite), so each async variant
//! runs its blocking twin on a new thread and completes when that thread sends its result
//! through a one-shot channel. The caller's thread (the UI thread) never blocks; a
//! cancelled coroutine or task stops waiting, while the call itself finishes on its
//! thread (a sync can be stopped with `cancel_sync`).

use super::error::{RapportError, Result};

/// Runs `work` on a new thread and waits for its result without blocking.
pub(crate) async fn on_thread<T, F>(name: &str, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (sender, receiver) = futures_channel::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("rapport-{name}"))
        .spawn(move || {
            // The caller may have stopped waiting: then the result has no one to go to.
            let _ = sender.send(work());
        })
        .map_err(|e| RapportError::Storage {
            detail: format!("the device cannot start a thread: {e}"),
        })?;
    receiver.await.unwrap_or_else(|_| {
        // The thread ended without an answer (a panic): nothing was half-written, since
        // every write is one transaction, so the app may simply try again.
        Err(RapportError::Offline {
            detail: format!("the {name} stopped unexpectedly; try again"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls a future to completion on this thread (what the foreign executor does).
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    #[test]
    fn the_work_runs_on_another_thread_and_its_result_comes_back() {
        let caller = std::thread::current().id();
        let answer = block_on(on_thread("test", move || {
            assert_ne!(std::thread::current().id(), caller);
            Ok(std::thread::current().name().map(str::to_owned))
        }));
        assert_eq!(answer, Ok(Some("rapport-test".to_owned())));
        let failed: Result<()> =
            block_on(on_thread("test", || Err(RapportError::invalid("x", "no"))));
        assert!(matches!(failed, Err(RapportError::InvalidInput { .. })));
        let panicked: Result<()> =
            block_on(on_thread("sync", || panic!("a foreign callback failed")));
        assert!(matches!(panicked, Err(RapportError::Offline { .. })));
    }
}
