//! The offline half of the app facade: a device store and every operation that needs no
//! server (records, lists, the due list, status, sign-out), with the error type the whole
//! facade shares.
//!
//! [`Local`] is what every platform has. Natively, `api::Client` (feature `device`) is a
//! `Local` plus an HTTP transport (ureq) and derefs to it; in the browser (`app/core`) the
//! worker holds a `Local` opened on OPFS and drives [`crate::sync`] with `fetch`. Nothing
//! here does I/O other than the store's own SQLite file.

use std::sync::{Mutex, MutexGuard};

use crate::model::{self, DocKind, Invalid, ModelError, Record};
use crate::store::{IndexRow, Store, StoreError, StoreStatus, StoredSession};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not signed in: run login first")]
    NotSignedIn,
    #[error("signed out by the server ({0}): sign in again")]
    SignedOut(String),
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the server answered {status} {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server sent something this app cannot read: {0}")]
    Protocol(String),
    #[error("invalid {0}")]
    Invalid(#[from] Invalid),
    #[error("no {kind} with id {id}")]
    NotFound { kind: DocKind, id: String },
    #[error(
        "this device holds data of {holder}; it cannot sign in as another user without losing it"
    )]
    OtherUsersData { holder: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(Box<ModelError>),
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Invalid(i) => Error::Invalid(i),
            other => Error::Model(Box::new(other)),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What one sync did (natively one call to `Client::sync`; see [`crate::sync::SyncRun`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub round_trips: u32,
    /// Documents the server accepted.
    pub accepted: u64,
    /// Documents the server rejected (see [`Local::status`] for why).
    pub rejected: u64,
    /// Documents received from the server.
    pub received: u64,
    /// Changes still waiting (a sync that stopped early leaves some).
    pub waiting: u64,
    /// What the sync changed on the device: the documents received (kind, id) and the
    /// accounts whose records left it (`Account`, its id), for views to refresh.
    pub changed: Vec<(model::DocKind, String)>,
}

/// The device's status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub signed_in_as: Option<String>,
    pub server_url: Option<String>,
    /// The company's time zone (IANA name), when signed in once.
    pub time_zone: Option<String>,
    pub store: StoreStatus,
}

impl Status {
    /// Why accounts left this device: "removed from Haorun Foods's team on 2026-12-06",
    /// one line per account team the user was taken off.
    pub fn removal_messages(&self) -> Vec<String> {
        self.store
            .removals
            .iter()
            .map(|r| r.message(self.time_zone.as_deref()))
            .collect()
    }
}

/// Something that needs the rep's attention soon (see [`Local::due`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    /// The day it falls due (a visit: the day the cadence runs out).
    pub date: chrono::NaiveDate,
    pub what: Due,
    /// The account concerned (none for a holiday).
    pub account_id: Option<String>,
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    /// The account's visit cadence runs out (or ran out) on `date`.
    Visit {
        last_visit: Option<chrono::NaiveDate>,
        cadence_days: i64,
    },
    /// A visit's next step is due.
    NextStep { visit_id: String, step: String },
    /// A contact's birthday.
    Birthday {
        contact_id: String,
        contact_name: String,
    },
    /// A traditional holiday to greet key contacts on.
    Holiday(model::Occasion),
}

/// One record as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<R> {
    pub id: String,
    pub record: R,
}

/// A device store and the operations that need no server. `Send + Sync`: every call takes
/// the store's lock for one transaction.
pub struct Local {
    store: Mutex<Store>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local").finish_non_exhaustive()
    }
}

impl Local {
    /// Wraps an open store (a file natively, OPFS in the browser, or in memory).
    pub fn new(store: Store) -> Local {
        Local {
            store: Mutex::new(store),
        }
    }

    /// The store, locked. Sync drivers take it for each step of [`crate::sync`] (never
    /// across a network round trip, so records can be written while a request is out).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (SQLite
        // transactions roll back), so a poisoned lock is safe to take over.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn session(&self) -> Result<Option<StoredSession>> {
        Ok(self.store().session()?)
    }

    /// Forgets the tokens. Records and unsynced changes stay on the device.
    pub fn logout(&self) -> Result<()> {
        Ok(self.store().clear_tokens()?)
    }

    pub fn status(&self) -> Result<Status> {
        let store = self.store();
        let session = store.session()?;
        Ok(Status {
            signed_in_as: session
                .as_ref()
                .map(|s| format!("{}@{}", s.username, s.company)),
            time_zone: session.as_ref().map(|s| s.session.time_zone.clone()),
            server_url: session.map(|s| s.server_url),
            store: store.status()?,
        })
    }

    /// Creates a record offline and returns its id.
    pub fn create<R: Record>(&self, record: &R) -> Result<String> {
        let mut store = self.store();
        let actor = store.actor()?.ok_or(Error::NotSignedIn)?;
        let id = model::new_id();
        let mut doc = model::new_document(actor);
        let mut changes = model::write_record(&mut doc, record)?;
        let any = record.to_any();
        store.commit_local(&id, R::KIND, &mut doc, &any, &mut changes)?;
        Ok(id)
    }

    /// Reads one record.
    pub fn get<R: Record>(&self, id: &str) -> Result<R> {
        let store = self.store();
        let not_found = || Error::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        };
        let (kind, doc) = store.load(id)?.ok_or_else(not_found)?;
        if kind != R::KIND {
            return Err(not_found());
        }
        Ok(model::read_record(&doc)?)
    }

    /// Edits a record offline: only the fields `edit` changes become changes, so concurrent
    /// edits of other fields on other devices merge.
    pub fn update<R: Record>(&self, id: &str, edit: impl FnOnce(&mut R)) -> Result<R> {
        let mut store = self.store();
        let not_found = || Error::NotFound {
            kind: R::KIND,
            id: id.to_owned(),
        };
        let (kind, mut doc) = store.load(id)?.ok_or_else(not_found)?;
        if kind != R::KIND {
            return Err(not_found());
        }
        let mut record: R = model::read_record(&doc)?;
        let account_before = record.account_id(id).to_owned();
        edit(&mut record);
        if record.account_id(id) != account_before {
            return Err(Error::Invalid(Invalid::new(
                "account_id",
                "a record cannot move to another account",
            )));
        }
        let mut changes = model::write_record(&mut doc, &record)?;
        if !changes.is_empty() {
            let any = record.to_any();
            store.commit_local(id, R::KIND, &mut doc, &any, &mut changes)?;
        }
        Ok(record)
    }

    /// Removes a record: it becomes a tombstone, kept in history but gone from lists.
    pub fn remove<R: Record>(&self, id: &str) -> Result<()> {
        self.update::<R>(id, R::set_deleted)?;
        Ok(())
    }

    /// Live records of a kind, optionally of one account, newest first.
    pub fn list<R: Record>(&self, account: Option<&str>) -> Result<Vec<Item<R>>> {
        let store = self.store();
        let rows = store.list(R::KIND, account)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some((_, doc)) = store.load(&row.id)? {
                out.push(Item {
                    record: model::read_record(&doc)?,
                    id: row.id,
                });
            }
        }
        Ok(out)
    }

    /// The index rows of an account's records, newest first, without loading documents.
    pub fn timeline(&self, account_id: &str) -> Result<Vec<IndexRow>> {
        Ok(self.store().timeline(account_id)?)
    }

    /// Finds an account by id, id prefix or (case-insensitive) name.
    pub fn find_account(&self, needle: &str) -> Result<Item<model::Account>> {
        let accounts = self.list::<model::Account>(None)?;
        let lower = needle.to_lowercase();
        let matches: Vec<_> = accounts
            .into_iter()
            .filter(|a| {
                a.id == needle
                    || (needle.len() >= 4 && a.id.starts_with(needle))
                    || a.record.name.to_lowercase() == lower
            })
            .collect();
        match <[_; 1]>::try_from(matches) {
            Ok([one]) => Ok(one),
            Err(v) if v.is_empty() => Err(Error::NotFound {
                kind: DocKind::Account,
                id: needle.to_owned(),
            }),
            Err(_) => Err(Error::Invalid(Invalid::new(
                "account",
                format!("'{needle}' matches more than one account"),
            ))),
        }
    }

    /// The company's rules as last received with sync (the defaults before the first).
    pub fn rules(&self) -> Result<model::Rules> {
        Ok(self.store().rules()?.1)
    }

    /// What needs attention from `today` to `today + days`, soonest first: accounts whose
    /// visit cadence runs out (overdue ones first, dated when they ran out), next steps
    /// due (and those up to 30 days late), birthdays of contacts with a VIP card (lunar
    /// ones resolved to this year's date), and traditional holidays.
    pub fn due(&self, today: chrono::NaiveDate, days: i64) -> Result<Vec<DueItem>> {
        let horizon = chrono::Duration::try_days(days)
            .and_then(|span| today.checked_add_signed(span))
            .ok_or_else(|| {
                Error::Invalid(Invalid::new(
                    "days",
                    format!("{days} days from {today} is beyond the calendar"),
                ))
            })?;
        let rules = self.rules()?;
        let accounts = self.list::<model::Account>(None)?;
        let name_of = |id: &str| {
            accounts
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.record.name.clone())
        };
        let last_visits = self.store().last_visits()?;
        let mut out = Vec::new();
        for account in &accounts {
            let cadence = rules.cadence_days(&account.record);
            // The day of the latest visit where it happened, as the rep remembers it.
            let last = match last_visits.iter().find(|(a, _)| *a == account.id) {
                Some((_, visit_id)) => self
                    .get::<model::Visit>(visit_id)?
                    .occurred_at
                    .to_datetime()
                    .map(|t| t.date_naive()),
                None => None,
            };
            let date = match last {
                Some(d) => d + chrono::Duration::days(cadence),
                // Never visited: due now.
                None => today,
            };
            if date <= horizon {
                out.push(DueItem {
                    date,
                    what: Due::Visit {
                        last_visit: last,
                        cadence_days: cadence,
                    },
                    account_id: Some(account.id.clone()),
                    account_name: Some(account.record.name.clone()),
                });
            }
        }
        let from = (today - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let to = horizon.format("%Y-%m-%d").to_string();
        // Bound first: the store's lock must not be held while each visit is read.
        let due_rows = self.store().due_between(&from, &to)?;
        for (row, due_on) in due_rows {
            let Ok(date) = chrono::NaiveDate::parse_from_str(&due_on, "%Y-%m-%d") else {
                continue;
            };
            let Ok(visit) = self.get::<model::Visit>(&row.id) else {
                continue;
            };
            out.push(DueItem {
                date,
                what: Due::NextStep {
                    visit_id: row.id.clone(),
                    step: visit.next_step.unwrap_or_default(),
                },
                account_name: name_of(&row.account_id),
                account_id: Some(row.account_id),
            });
        }
        for contact in self.list::<model::Contact>(None)? {
            let Some(birthday) = contact.record.vip_card.as_ref().and_then(|c| c.birthday) else {
                continue;
            };
            if let Some(date) = model::calendar::next_birthday(birthday, today, days) {
                out.push(DueItem {
                    date,
                    what: Due::Birthday {
                        contact_id: contact.id.clone(),
                        contact_name: contact.record.name.clone(),
                    },
                    account_name: name_of(&contact.record.account_id),
                    account_id: Some(contact.record.account_id.clone()),
                });
            }
        }
        for (occasion, date) in model::calendar::holidays_between(today, days) {
            out.push(DueItem {
                date,
                what: Due::Holiday(occasion),
                account_id: None,
                account_name: None,
            });
        }
        out.sort_by_key(|item| item.date);
        Ok(out)
    }

    /// The contacts met in visits on `account_id` that happened from `from_ms` up to (not
    /// including) `to_ms`.
    pub fn contacts_met(
        &self,
        account_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<std::collections::HashSet<String>> {
        let rows = self.store().list(DocKind::Visit, Some(account_id))?;
        let mut met = std::collections::HashSet::new();
        for row in rows {
            if row
                .occurred_ms
                .is_some_and(|t| (from_ms..to_ms).contains(&t))
            {
                met.extend(self.get::<model::Visit>(&row.id)?.contacts_met);
            }
        }
        Ok(met)
    }

    /// Whether an open opportunity is in the danger zone as of `at_ms`, judged on this
    /// device's visits of its account with the server's rule ([`model::role_coverage`]:
    /// every buying role known, and one of its holders met in the last
    /// [`model::DANGER_ZONE_DAYS`] days); `None` for a won or lost one.
    pub fn role_coverage(
        &self,
        opportunity: &model::Opportunity,
        at_ms: i64,
    ) -> Result<Option<model::RoleCoverage>> {
        if opportunity.status != model::OpportunityStatus::Open {
            return Ok(None);
        }
        let met = self.contacts_met(
            &opportunity.account_id,
            at_ms - model::DANGER_ZONE_DAYS * 86_400_000,
            at_ms,
        )?;
        Ok(model::role_coverage(opportunity, |c| met.contains(c)))
    }

    /// The sorted heads of a document, to compare replicas.
    pub fn heads(&self, id: &str) -> Result<Option<Vec<String>>> {
        Ok(self
            .store()
            .load(id)?
            .map(|(_, mut doc)| model::heads_hex(&mut doc)))
    }

    /// Every document id on the device.
    pub fn document_ids(&self) -> Result<Vec<String>> {
        Ok(self.store().document_ids()?)
    }
}
