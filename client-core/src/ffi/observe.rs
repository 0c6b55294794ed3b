//! The change observer: how a reactive UI learns that records changed, so it refreshes
//! the lists and screens that show them.
//!
//! The app registers one [`ChangeObserver`] with `RapportClient::set_change_observer`.
//! It is called after each local write (create, update, remove) and after each sync that
//! received records or took an account's records off the device (even one that failed
//! after storing them), with what changed. It
//! runs on the thread that made the change (the syncing thread for a sync), after the
//! change is stored and with no lock held: the observer may call the client again. An
//! observer that fails (a Kotlin or Swift exception, which reaches Rust as a panic) is
//! ignored: the change is stored, and the call that made it returns its own result.

use std::sync::{Arc, Mutex};

use super::records::RecordKind;
use crate::model::DocKind;

/// Told what changed on the device. Implemented by the app (Kotlin, Swift, Python).
/// Called on the thread that made the change: hop to the UI thread before touching views.
#[uniffi::export(with_foreign)]
pub trait ChangeObserver: Send + Sync {
    fn on_change(&self, change: Change);
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChangeOrigin {
    /// A create, update or remove on this device.
    Local,
    /// A sync received records from the server (or took an account's records off the
    /// device: then the account's id is listed, kind `Account`).
    Sync,
}

/// One record that changed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChangedRecord {
    pub kind: RecordKind,
    pub id: String,
}

/// What changed, in the order it changed (a record received twice in one sync is listed
/// once).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Change {
    pub origin: ChangeOrigin,
    pub records: Vec<ChangedRecord>,
    /// The kinds among `records`, each once: refresh the lists of these kinds.
    pub kinds: Vec<RecordKind>,
}

impl Change {
    pub(crate) fn new(origin: ChangeOrigin, changed: &[(DocKind, String)]) -> Change {
        let mut records: Vec<ChangedRecord> = Vec::with_capacity(changed.len());
        let mut kinds = Vec::new();
        for (kind, id) in changed {
            let kind = RecordKind::from(*kind);
            if !records.iter().any(|r| r.kind == kind && r.id == *id) {
                records.push(ChangedRecord {
                    kind,
                    id: id.clone(),
                });
            }
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Change {
            origin,
            records,
            kinds,
        }
    }
}

/// The registered observer, if any.
#[derive(Default)]
pub(crate) struct ObserverSlot {
    observer: Mutex<Option<Arc<dyn ChangeObserver>>>,
}

impl ObserverSlot {
    pub(crate) fn set(&self, observer: Option<Arc<dyn ChangeObserver>>) {
        *self.observer.lock().unwrap_or_else(|p| p.into_inner()) = observer;
    }

    /// Tells the observer, if there is one and anything changed. The slot's lock is not
    /// held during the call. An observer that panics (a foreign exception) is ignored: the
    /// change is already stored, so the write or sync that made it must still report
    /// success, or the app would retry a saved create and duplicate the record.
    pub(crate) fn notify(&self, origin: ChangeOrigin, changed: &[(DocKind, String)]) {
        if changed.is_empty() {
            return;
        }
        let observer = self
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(observer) = observer {
            let change = Change::new(origin, changed);
            // The panic hook has already reported the panic; nothing else to do with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                observer.on_change(change);
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Seen(Mutex<Vec<Change>>);

    impl ChangeObserver for Seen {
        fn on_change(&self, change: Change) {
            self.0.lock().expect("lock").push(change);
        }
    }

    #[test]
    fn the_observer_hears_each_change_once_with_its_kinds() {
        let slot = ObserverSlot::default();
        let seen = Arc::new(Seen(Mutex::new(Vec::new())));
        // Nothing registered yet: nothing to tell, nothing fails.
        slot.notify(ChangeOrigin::Local, &[(DocKind::Visit, "v1".into())]);
        slot.set(Some(seen.clone()));
        slot.notify(ChangeOrigin::Sync, &[]);
        slot.notify(
            ChangeOrigin::Sync,
            &[
                (DocKind::Visit, "v1".into()),
                (DocKind::Account, "a1".into()),
                (DocKind::Visit, "v1".into()),
                (DocKind::Visit, "v2".into()),
            ],
        );
        let changes = seen.0.lock().expect("lock").clone();
        assert_eq!(changes.len(), 1, "an empty change is not told");
        assert_eq!(changes[0].origin, ChangeOrigin::Sync);
        let ids: Vec<&str> = changes[0].records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["v1", "a1", "v2"]);
        assert_eq!(changes[0].kinds, [RecordKind::Visit, RecordKind::Account]);
        slot.set(None);
        slot.notify(ChangeOrigin::Local, &[(DocKind::Visit, "v3".into())]);
        assert_eq!(seen.0.lock().expect("lock").len(), 1);
    }
}
