//! Sync as a phone needs it: one at a time with a shared outcome, cancellable, retried
//! with backoff when the network fails, and reporting progress.
//!
//! Several threads may call [`SyncControl::run`] at once (a pull-to-refresh, a background
//! job, a push notification). The first starts a sync; the others wait for that sync's
//! outcome and return it rather than running another one right after. A sync is durable
//! step by step (the outbox and the cursor live in the store), so a cancelled sync or a
//! killed app simply continues where it stopped on the next call.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use super::error::{RapportError, Result};
use super::observe::{ChangeOrigin, ObserverSlot};
use crate::api::{self, Client};
use crate::model::DocKind;

/// Tries of a sync that fails because the server cannot be reached.
const OFFLINE_TRIES: u32 = 3;
/// Pause before the first retry; it doubles before each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Told how a running sync advances. Implemented by the app (Kotlin, Swift, Python).
/// Called on the syncing thread: hop to the UI thread before touching views. It must not
/// wait for a sync: the sync it reports on waits for it, so `sync` called from it fails
/// with `InvalidInput` (field `progress`), and waiting there on `sync_async` would never end.
#[uniffi::export(with_foreign)]
pub trait SyncProgress: Send + Sync {
    /// After each round trip: round trips done, documents sent and received so far.
    fn on_progress(&self, round_trips: u32, documents: u64);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncOutcome {
    /// Everything waiting was sent and everything new received.
    Completed,
    /// [`cancel_sync`](super::RapportClient::cancel_sync) stopped it between round trips;
    /// what was done is kept and the next sync continues.
    Cancelled,
}

/// What one sync did. Threads that waited for a sync someone else started get the same.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncResult {
    pub outcome: SyncOutcome,
    /// Which sync this was: 1 for the first of this client, then 2, 3…
    pub generation: u64,
    pub round_trips: u32,
    /// Documents the server accepted.
    pub accepted: u64,
    /// Documents the server rejected (the sync then fails with `Rejected`).
    pub rejected: u64,
    /// Documents received from the server.
    pub received: u64,
    /// Changes still waiting to be sent.
    pub waiting: u64,
}

#[derive(Default)]
struct State {
    /// The generation of the sync running now, if any, and the thread running it.
    running: Option<(u64, ThreadId)>,
    /// Syncs started so far.
    started: u64,
    /// The outcome of the latest finished sync and its generation.
    last: Option<(u64, Result<SyncResult>)>,
}

#[derive(Default)]
pub(crate) struct SyncControl {
    state: Mutex<State>,
    finished: Condvar,
    cancel: AtomicBool,
}

impl SyncControl {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a sync, or waits for the one already running and returns its outcome.
    /// The observer hears what the sync changed (only from the thread that ran it), once
    /// the outcome is published: it may call the client again, even `sync`. It hears what
    /// was stored even when the sync then failed (a later round trip's network error).
    pub(crate) fn run(
        &self,
        client: &Client,
        progress: Option<Arc<dyn SyncProgress>>,
        observer: &ObserverSlot,
    ) -> Result<SyncResult> {
        let mut state = self.state();
        if let Some((generation, thread)) = state.running {
            // Only the sync's own progress callback runs on its thread while it runs:
            // waiting there would wait for itself.
            if thread == std::thread::current().id() {
                return Err(RapportError::invalid(
                    "progress",
                    "sync was called from its own progress callback; sync after it returns",
                ));
            }
            loop {
                state = self.finished.wait(state).unwrap_or_else(|p| p.into_inner());
                // `>=`: should another sync start and finish before this thread wakes,
                // the later outcome is the one to report (and it must not wait forever).
                if let Some((g, outcome)) = &state.last
                    && *g >= generation
                {
                    return outcome.clone();
                }
            }
        }
        state.started += 1;
        let generation = state.started;
        state.running = Some((generation, std::thread::current().id()));
        self.cancel.store(false, Ordering::SeqCst);
        drop(state);

        let mut finish = Finish {
            control: self,
            generation,
            outcome: None,
        };
        let mut changed = Vec::new();
        let outcome = self.sync_with_retries(client, generation, progress.as_deref(), &mut changed);
        finish.outcome = Some(outcome.clone());
        drop(finish);
        observer.notify(ChangeOrigin::Sync, &changed);
        outcome
    }

    /// Asks the running sync, if any, to stop after its current round trip.
    pub(crate) fn cancel(&self) {
        let state = self.state();
        if state.running.is_some() {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }

    /// Syncs started so far by this client.
    pub(crate) fn generation(&self) -> u64 {
        self.state().started
    }

    fn sync_with_retries(
        &self,
        client: &Client,
        generation: u64,
        progress: Option<&dyn SyncProgress>,
        changed: &mut Vec<(DocKind, String)>,
    ) -> Result<SyncResult> {
        let mut backoff = FIRST_BACKOFF;
        let mut tries = 0;
        loop {
            tries += 1;
            let mut cancelled = false;
            // What this attempt's finished round trips stored, taken as each one ends so
            // that it is kept (and told) even if a later round trip fails.
            let mut told = 0;
            let attempt = client.sync_with(|report| {
                changed.extend(report.changed.iter().skip(told).cloned());
                told = report.changed.len();
                if let Some(p) = progress {
                    p.on_progress(
                        report.round_trips,
                        report.accepted + report.rejected + report.received,
                    );
                }
                if self.cancel.load(Ordering::SeqCst) {
                    cancelled = true;
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            match attempt {
                Ok(report) => {
                    changed.extend(report.changed.iter().skip(told).cloned());
                    let result = SyncResult {
                        outcome: if cancelled {
                            SyncOutcome::Cancelled
                        } else {
                            SyncOutcome::Completed
                        },
                        generation,
                        round_trips: report.round_trips,
                        accepted: report.accepted,
                        rejected: report.rejected,
                        received: report.received,
                        waiting: report.waiting,
                    };
                    return surface_rejection(client, result);
                }
                // Only the network is worth retrying: a sign-in or a refusal will not
                // change by asking again.
                Err(api::Error::Offline(_)) if tries < OFFLINE_TRIES => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    if self.cancel.load(Ordering::SeqCst) {
                        return Ok(SyncResult {
                            outcome: SyncOutcome::Cancelled,
                            generation,
                            round_trips: 0,
                            accepted: 0,
                            rejected: 0,
                            received: 0,
                            waiting: client.status()?.store.waiting,
                        });
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Publishes a sync's outcome to the threads waiting for it, even if the sync panicked
/// (a foreign progress callback may): waiters must never wait for a sync that is gone.
struct Finish<'a> {
    control: &'a SyncControl,
    generation: u64,
    outcome: Option<Result<SyncResult>>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let outcome = self.outcome.take().unwrap_or_else(|| {
            // Nothing was lost (the store is transactional): the app may simply retry.
            Err(RapportError::Offline {
                detail: "the sync stopped unexpectedly; sync again".to_owned(),
            })
        });
        let mut state = self.control.state();
        state.running = None;
        state.last = Some((self.generation, outcome));
        drop(state);
        self.control.finished.notify_all();
    }
}

/// A sync in which the server rejected documents fails with the first rejection, after
/// everything else was exchanged; `status().rejections` lists them all.
fn surface_rejection(client: &Client, result: SyncResult) -> Result<SyncResult> {
    if result.rejected == 0 {
        return Ok(result);
    }
    let rejected = client.store().rejections().map_err(api::Error::from)?;
    match rejected.into_iter().next() {
        Some(r) => Err(RapportError::Rejected {
            record_id: Some(r.doc_id),
            code: r.code,
            reason: r.reason,
        }),
        None => Ok(result),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_from_its_own_progress_callback_is_refused_not_waited_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = Client::open(dir.path()).expect("open");
        let control = SyncControl::default();
        // As inside a progress callback: this thread is running sync 1.
        control.state().running = Some((1, std::thread::current().id()));
        match control.run(&client, None, &ObserverSlot::default()) {
            Err(RapportError::InvalidInput { field, .. }) => assert_eq!(field, "progress"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(control.generation(), 0, "no sync was started");
    }
}
