//! The mobile bindings: client-core's facade exported with uniffi to Kotlin (Android),
//! Swift (iOS) and Python (the bindings test). Built with the `ffi` feature only.
//!
//! Architecture invariant: the exported types live here and nowhere else. They are plain
//! records and enums (`records`), converted by hand from and to the Automerge model, and
//! one error (`RapportError`) to which every internal error maps in one place (`error`).
//! [`RapportClient`] wraps [`Client`] and adds what a phone's sync needs (`sync`).
//! How an app uses it: docs/mobile.md.

mod background;
mod error;
mod observe;
mod records;
mod reports;
mod sync;

use std::path::Path;
use std::sync::Arc;

pub use error::RapportError;
use error::Result;
pub use observe::{Change, ChangeObserver, ChangeOrigin, ChangedRecord};
pub use records::*;
pub use reports::{Metric, MetricGroup, MetricRecord, MetricShape, Rules, Scorecard};
pub use sync::{SyncOutcome, SyncProgress, SyncResult};

use crate::api::{self, Client};
use crate::model::{self, Record as _};

/// Rapport on the device: one per app, opened at start-up, shared by every thread.
#[derive(uniffi::Object)]
pub struct RapportClient {
    client: Client,
    sync: sync::SyncControl,
    observer: observe::ObserverSlot,
}

impl std::fmt::Debug for RapportClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RapportClient").finish_non_exhaustive()
    }
}

/// A record the server refused, until it is edited again.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rejection {
    pub record_id: String,
    /// The record's kind and title, when the device has the record.
    pub kind: Option<RecordKind>,
    pub title: Option<String>,
    /// The server's stable reason code, to act on: `not_author`, `admin_only`,
    /// `quota_exceeded`, `removed_from_account`, `invalid_document` … (docs/mobile.md).
    pub code: String,
    /// The reason in words, to show as it is.
    pub reason: String,
    /// When the server refused it, Unix milliseconds.
    pub at_ms: i64,
}

/// The device's status line.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClientStatus {
    /// `user@company`, or none when signed out.
    pub signed_in_as: Option<String>,
    pub server_url: Option<String>,
    /// Local changes the server has not received yet ("N changes waiting").
    pub pending_changes: u64,
    pub rejections: Vec<Rejection>,
    /// When the last sync finished, Unix milliseconds.
    pub last_sync_ms: Option<i64>,
    /// Account teams the user was taken off: the account's records they did not author
    /// left the device, and new records on it are no longer accepted.
    pub removals: Vec<TeamRemoval>,
}

/// The user was taken off an account's team.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TeamRemoval {
    pub account_id: String,
    pub account_name: String,
    /// When, Unix milliseconds.
    pub removed_at_ms: i64,
    /// To show as it is: "removed from Haorun Foods's team on 2026-12-06".
    pub message: String,
}

/// One row of an account's timeline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimelineEntry {
    pub id: String,
    pub kind: RecordKind,
    pub account_id: String,
    /// When it happened, Unix milliseconds (none for undated records).
    pub occurred_ms: Option<i64>,
    pub title: String,
}

/// Something that needs the rep's attention soon.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DueEntry {
    /// The day it falls due, `YYYY-MM-DD`.
    pub date: String,
    pub what: DueKind,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum DueKind {
    /// The account's visit cadence runs out (or ran out) on the date.
    Visit {
        last_visit: Option<String>,
        cadence_days: i64,
    },
    /// A visit's next step is due.
    NextStep { visit_id: String, step: String },
    /// A key contact's birthday.
    Birthday {
        contact_id: String,
        contact_name: String,
    },
    /// A traditional holiday to greet key contacts on.
    Holiday { occasion: Occasion },
}

/// Visits per rep of a team in one ISO week.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WeeklyReport {
    pub team_name: String,
    /// `2026-W48`.
    pub week: String,
    pub reps: Vec<RepWeek>,
    pub total: u64,
    /// Visits expected of each rep per week.
    pub target: i64,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RepWeek {
    pub username: String,
    pub display_name: String,
    pub visits: u64,
    /// Distinct accounts visited.
    pub accounts: u64,
}

fn ymd(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[uniffi::export]
impl RapportClient {
    /// Opens (or creates) the store in the app's private directory `dir`.
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<RapportClient>> {
        if dir.trim().is_empty() {
            return Err(RapportError::invalid("dir", "an empty path"));
        }
        Ok(Arc::new(RapportClient {
            client: Client::open(Path::new(&dir))?,
            sync: sync::SyncControl::default(),
            observer: observe::ObserverSlot::default(),
        }))
    }

    /// Signs in (online). The same user signing in again keeps the device's identity and
    /// its unsynced changes.
    pub fn login(
        &self,
        server_url: String,
        company: String,
        username: String,
        password: String,
    ) -> Result<()> {
        self.client
            .login(&server_url, &company, &username, &password)?;
        Ok(())
    }

    /// Forgets the tokens; records and unsynced changes stay on the device.
    pub fn logout(&self) -> Result<()> {
        Ok(self.client.logout()?)
    }

    pub fn status(&self) -> Result<ClientStatus> {
        let status = self.client.status()?;
        let rejections = self
            .client
            .store()
            .rejections()
            .map_err(api::Error::from)?
            .into_iter()
            .map(|r| Rejection {
                record_id: r.doc_id,
                kind: r.kind.map(Into::into),
                title: r.title,
                code: r.code,
                reason: r.reason,
                at_ms: r.at_ms,
            })
            .collect();
        let removals = status
            .store
            .removals
            .iter()
            .map(|r| TeamRemoval {
                account_id: r.account_id.clone(),
                account_name: r.account_name.clone(),
                removed_at_ms: r.removed_at_ms,
                message: r.message(status.time_zone.as_deref()),
            })
            .collect();
        Ok(ClientStatus {
            removals,
            signed_in_as: status.signed_in_as,
            server_url: status.server_url,
            pending_changes: status.store.waiting,
            rejections,
            last_sync_ms: status.store.last_sync_ms,
        })
    }

    /// Local changes not yet sent: "N changes waiting".
    pub fn pending_changes(&self) -> Result<u64> {
        Ok(self.client.status()?.store.waiting)
    }

    /// Sends what is waiting and receives what is new. Safe from any thread and from
    /// several at once: a call made while a sync runs waits for that sync and returns its
    /// result. Retries a few times, with backoff, when the server cannot be reached
    /// (then fails with `Offline`). If the server rejected a record it fails with
    /// `Rejected` after everything else was exchanged. Blocking: call it off the UI thread.
    pub fn sync(&self, progress: Option<Arc<dyn SyncProgress>>) -> Result<SyncResult> {
        self.sync.run(&self.client, progress, &self.observer)
    }

    /// Registers the observer told of every change to the device's records (local
    /// writes and syncs), replacing the one before; `None` unregisters it.
    pub fn set_change_observer(&self, observer: Option<Arc<dyn ChangeObserver>>) {
        self.observer.set(observer);
    }

    /// Stops the running sync after its current round trip (it returns `Cancelled`).
    /// Nothing is lost: the next sync continues where it stopped.
    pub fn cancel_sync(&self) {
        self.sync.cancel();
    }

    /// How many syncs this client has started (threads that shared one count once).
    pub fn sync_generation(&self) -> u64 {
        self.sync.generation()
    }

    /// An account's records, newest first.
    pub fn timeline(&self, account_id: String) -> Result<Vec<TimelineEntry>> {
        Ok(self
            .client
            .timeline(&account_id)?
            .into_iter()
            .map(|row| TimelineEntry {
                id: row.id,
                kind: row.kind.into(),
                account_id: row.account_id,
                occurred_ms: row.occurred_ms,
                title: row.title,
            })
            .collect())
    }

    /// What needs attention from `today` (`YYYY-MM-DD`, the rep's local date) to `days`
    /// later, soonest first.
    pub fn due(&self, today: String, days: u32) -> Result<Vec<DueEntry>> {
        let today = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
            .map_err(|e| RapportError::invalid("today", format!("not a YYYY-MM-DD date: {e}")))?;
        Ok(self
            .client
            .due(today, i64::from(days))?
            .into_iter()
            .map(|item| DueEntry {
                date: ymd(item.date),
                what: match item.what {
                    api::Due::Visit {
                        last_visit,
                        cadence_days,
                    } => DueKind::Visit {
                        last_visit: last_visit.map(ymd),
                        cadence_days,
                    },
                    api::Due::NextStep { visit_id, step } => DueKind::NextStep { visit_id, step },
                    api::Due::Birthday {
                        contact_id,
                        contact_name,
                    } => DueKind::Birthday {
                        contact_id,
                        contact_name,
                    },
                    api::Due::Holiday(occasion) => DueKind::Holiday {
                        occasion: occasion.into(),
                    },
                },
                account_id: item.account_id,
                account_name: item.account_name,
            })
            .collect())
    }

    /// Visits per rep of a team for an ISO week (`2026-W48`, or the current week); for
    /// managers (their team) and admins (any team). Online.
    pub fn weekly_report(
        &self,
        week: Option<String>,
        team: Option<String>,
    ) -> Result<WeeklyReport> {
        let report = self
            .client
            .weekly_report(week.as_deref(), team.as_deref())?;
        Ok(WeeklyReport {
            team_name: report.team_name,
            week: report.week,
            reps: report
                .reps
                .into_iter()
                .map(|r| RepWeek {
                    username: r.username,
                    display_name: r.display_name,
                    visits: r.visits,
                    accounts: r.accounts,
                })
                .collect(),
            total: report.total,
            target: report.target,
        })
    }

    /// A rep's relationship-maintenance scorecard for a period (`2026-W48` or `2026-11`;
    /// the current week when none). Reps get their own (leave `rep` empty); managers name
    /// a rep of their team. Online.
    pub fn scorecard(&self, period: Option<String>, rep: Option<String>) -> Result<Scorecard> {
        Ok(self
            .client
            .scorecard(period.as_deref(), rep.as_deref())?
            .into())
    }

    /// The company's rules as last received with sync (the defaults before the first).
    pub fn rules(&self) -> Result<Rules> {
        Ok(self.client.rules()?.into())
    }

    pub fn list_accounts(&self) -> Result<Vec<AccountItem>> {
        let items = self.client.list::<model::Account>(None)?;
        Ok(items.into_iter().map(Into::into).collect())
    }
}

/// The async variants of the calls that wait on the network: each runs its blocking twin
/// on a thread of its own (see `background`), so a coroutine or Swift task on the UI
/// thread never blocks. Kotlin: `suspend fun`; Swift: `async`; Python: a coroutine.
#[uniffi::export]
impl RapportClient {
    /// [`RapportClient::login`], without blocking the caller.
    pub async fn login_async(
        self: Arc<Self>,
        server_url: String,
        company: String,
        username: String,
        password: String,
    ) -> Result<()> {
        background::on_thread("sign-in", move || {
            self.login(server_url, company, username, password)
        })
        .await
    }

    /// [`RapportClient::sync`], without blocking the caller. Cancelling the coroutine or
    /// task stops waiting; `cancel_sync` stops the sync itself.
    pub async fn sync_async(
        self: Arc<Self>,
        progress: Option<Arc<dyn SyncProgress>>,
    ) -> Result<SyncResult> {
        background::on_thread("sync", move || self.sync(progress)).await
    }

    /// [`RapportClient::weekly_report`], without blocking the caller.
    pub async fn weekly_report_async(
        self: Arc<Self>,
        week: Option<String>,
        team: Option<String>,
    ) -> Result<WeeklyReport> {
        background::on_thread("weekly report", move || self.weekly_report(week, team)).await
    }

    /// [`RapportClient::scorecard`], without blocking the caller.
    pub async fn scorecard_async(
        self: Arc<Self>,
        period: Option<String>,
        rep: Option<String>,
    ) -> Result<Scorecard> {
        background::on_thread("scorecard", move || self.scorecard(period, rep)).await
    }
}

impl RapportClient {
    /// Tells the observer of a write made on this device.
    fn changed_here(&self, kind: model::DocKind, id: &str) {
        self.observer
            .notify(observe::ChangeOrigin::Local, &[(kind, id.to_owned())]);
    }
}

/// Exports create, get, update (taking the whole record), remove and list of one kind;
/// lists of the kinds below accounts take an optional account id.
macro_rules! export_kind {
    ($ffi:ident, $item:ident, $create:ident, $get:ident, $update:ident, $remove:ident $(, $list:ident)?) => {
        impl Exported for $ffi {}

        #[uniffi::export]
        impl RapportClient {
            /// Creates the record offline and returns its id.
            pub fn $create(&self, record: $ffi) -> Result<String> {
                let id = self.client.create(&<$ffi as FfiOf>::Model::from(record))?;
                self.changed_here(<$ffi as FfiOf>::Model::KIND, &id);
                Ok(id)
            }

            pub fn $get(&self, id: String) -> Result<$ffi> {
                Ok(self.client.get::<<$ffi as FfiOf>::Model>(&id)?.into())
            }

            /// Replaces the record offline; only the fields that differ become changes,
            /// so concurrent edits of other fields on other devices merge.
            pub fn $update(&self, id: String, record: $ffi) -> Result<$ffi> {
                let updated = self.client.update::<<$ffi as FfiOf>::Model>(&id, |current| {
                    let deleted = current.deleted;
                    *current = record.into();
                    current.deleted = deleted;
                })?;
                self.changed_here(<$ffi as FfiOf>::Model::KIND, &id);
                Ok(updated.into())
            }

            /// Removes the record (a tombstone, synced like any edit).
            pub fn $remove(&self, id: String) -> Result<()> {
                self.client.remove::<<$ffi as FfiOf>::Model>(&id)?;
                self.changed_here(<$ffi as FfiOf>::Model::KIND, &id);
                Ok(())
            }

            $(
            /// Live records, newest first, of one account or of all.
            pub fn $list(&self, account_id: Option<String>) -> Result<Vec<$item>> {
                let items = self
                    .client
                    .list::<<$ffi as FfiOf>::Model>(account_id.as_deref())?;
                Ok(items.into_iter().map(Into::into).collect())
            }
            )?
        }
    };
}

export_kind!(
    Account,
    AccountItem,
    create_account,
    get_account,
    update_account,
    remove_account
);
export_kind!(
    Contact,
    ContactItem,
    create_contact,
    get_contact,
    update_contact,
    remove_contact,
    list_contacts
);
export_kind!(
    Opportunity,
    OpportunityItem,
    create_opportunity,
    get_opportunity,
    update_opportunity,
    remove_opportunity,
    list_opportunities
);
export_kind!(
    Visit,
    VisitItem,
    create_visit,
    get_visit,
    update_visit,
    remove_visit,
    list_visits
);
export_kind!(
    Favour,
    FavourItem,
    create_favour,
    get_favour,
    update_favour,
    remove_favour,
    list_favours
);
export_kind!(
    Intel,
    IntelItem,
    create_intel,
    get_intel,
    update_intel,
    remove_intel,
    list_intel
);
export_kind!(
    InfoReport,
    InfoReportItem,
    create_info_report,
    get_info_report,
    update_info_report,
    remove_info_report,
    list_info_reports
);
export_kind!(
    Greeting,
    GreetingItem,
    create_greeting,
    get_greeting,
    update_greeting,
    remove_greeting,
    list_greetings
);
export_kind!(
    RelationshipEvent,
    RelationshipEventItem,
    create_relationship_event,
    get_relationship_event,
    update_relationship_event,
    remove_relationship_event,
    list_relationship_events
);

/// A kind whose records the binding exports (implemented by `export_kind!`).
trait Exported {}

/// Fails to compile while a kind of the table ([`crate::for_each_kind!`]) has no
/// `export_kind!` above.
macro_rules! every_kind_exported {
    ($(
        $kind:ident $wire:literal $table:literal $authored:literal ($en:literal, $zh:literal)
            $item:ident,
    )+) => {
        const _: () = {
            const fn exported<T: Exported>() {}
            $(exported::<$kind>();)+
        };
    };
}

crate::for_each_kind!(every_kind_exported);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_signing_in_records_and_sync_say_signed_out_without_retrying() {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = RapportClient::open(dir.path().display().to_string()).expect("open");
        let started = std::time::Instant::now();
        assert!(matches!(
            client.sync(None),
            Err(RapportError::SignedOut { .. })
        ));
        assert!(started.elapsed() < std::time::Duration::from_millis(150));
        assert_eq!(client.sync_generation(), 1);
        let now = LocalTime {
            unix_ms: 0,
            offset_min: 0,
        };
        let err = client
            .create_favour(Favour {
                account_id: "a".into(),
                contact_id: None,
                kind: FavourKind::Business,
                description: "lunch".into(),
                value: None,
                occurred_at: now,
            })
            .expect_err("not signed in");
        assert!(matches!(err, RapportError::SignedOut { .. }), "{err:?}");
        assert_eq!(client.pending_changes().expect("pending"), 0);
        assert!(matches!(
            RapportClient::open(String::new()),
            Err(RapportError::InvalidInput { .. })
        ));
    }

    /// An observer that throws, as a Kotlin or Swift exception reaches Rust.
    struct Throws;

    impl ChangeObserver for Throws {
        fn on_change(&self, _change: Change) {
            panic!("the app's observer failed");
        }
    }

    #[test]
    fn a_failing_observer_does_not_fail_the_write_it_is_told_of() {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = RapportClient::open(dir.path().display().to_string()).expect("open");
        // A signed-in device, without a server: local writes need only the session.
        client
            .client
            .store()
            .save_session(&crate::store::StoredSession {
                server_url: "http://127.0.0.1:9".into(),
                company: "acme".into(),
                username: "rep".into(),
                session: crate::protocol::Session {
                    access_token: "a".into(),
                    access_expires_at: i64::MAX,
                    refresh_token: "r".into(),
                    user_id: "u".into(),
                    tenant_id: "t".into(),
                    role: crate::protocol::Role::Rep,
                    display_name: "Rep".into(),
                    device_id: "d".into(),
                    actor_id: "0a1b2c3d".into(),
                    time_zone: "Asia/Shanghai".into(),
                },
            })
            .expect("session");
        client.set_change_observer(Some(Arc::new(Throws)));
        let favour = Favour {
            account_id: "0b6f7c1e-4a2d-4f3b-9c8e-1d2e3f4a5b6c".into(),
            contact_id: None,
            kind: FavourKind::Business,
            description: "lunch".into(),
            value: None,
            occurred_at: LocalTime {
                unix_ms: 1_796_000_000_000,
                offset_min: 480,
            },
        };
        let id = client.create_favour(favour.clone()).expect("created");
        assert_eq!(
            client.get_favour(id.clone()).expect("stored").description,
            "lunch"
        );
        let edited = Favour {
            description: "dinner".into(),
            ..favour
        };
        client.update_favour(id.clone(), edited).expect("updated");
        assert_eq!(
            client.get_favour(id.clone()).expect("stored").description,
            "dinner"
        );
        client.remove_favour(id).expect("removed");
        assert_eq!(client.list_favours(None).expect("list"), []);
    }

    #[test]
    fn due_over_a_span_past_the_calendar_is_invalid_days() {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = RapportClient::open(dir.path().display().to_string()).expect("open");
        match client.due("2026-12-06".into(), u32::MAX) {
            Err(RapportError::InvalidInput { field, .. }) => assert_eq!(field, "days"),
            other => panic!("expected invalid days, got {other:?}"),
        }
        assert_eq!(client.due("2026-12-06".into(), 7).expect("due"), []);
    }
}
