//! The records a rep keeps, as plain Rust structs reconciled into Automerge documents.
//!
//! One record is one Automerge document. The structs here are the single definition of
//! each record's shape: the device writes them with [`write_record`], and both the device
//! and the server read them back with [`read_record`], which is also the schema check the
//! server applies after merging a rep's changes. A document that does not hydrate into
//! its kind's struct, or whose content fails [`Record::validate`], is not a valid record.
//!
//! Who wrote a record is deliberately not a field: the server knows the author from the
//! signed-in user and keeps it in its own tables, where no document edit can change it.

use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};

mod atomic;
pub mod calendar;
mod kinds;
mod records;
pub mod rules;
pub mod terms;
pub mod vocab;

pub use kinds::{AnyRecord, DocKind};
pub use records::*;
pub use rules::{
    DANGER_ZONE_DAYS, RULE_RANGES, RoleCoverage, RuleRange, Rules, role_coverage, rule_range,
};
pub use terms::{Term, Terms};
pub use vocab::*;

/// A moment as the rep lived it: the instant (Unix milliseconds, UTC) and the UTC offset
/// of the place it happened, in minutes east of Greenwich. Stored as one value (RFC 3339,
/// `2026-11-27T10:30:00.000+08:00`), see [`atomic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct LocalTime {
    pub utc_ms: i64,
    pub offset_min: i64,
}

impl LocalTime {
    /// The moment as a fixed-offset date-time, or `None` when the offset or instant is out
    /// of range.
    pub fn to_datetime(self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let offset = chrono::FixedOffset::east_opt(i32::try_from(self.offset_min * 60).ok()?)?;
        let utc = chrono::DateTime::from_timestamp_millis(self.utc_ms)?;
        Some(utc.with_timezone(&offset))
    }

    pub fn from_datetime<Tz: chrono::TimeZone>(at: &chrono::DateTime<Tz>) -> LocalTime {
        use chrono::Offset;
        LocalTime {
            utc_ms: at.timestamp_millis(),
            offset_min: i64::from(at.offset().fix().local_minus_utc() / 60),
        }
    }
}

/// A position reported by the device. Stored as one value (`31.23,121.47`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// Why a record's content is not acceptable. `field` names the offending field so an app
/// can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Invalid {
        Invalid {
            field,
            message: message.into(),
        }
    }
}

/// Errors reading or writing a record document.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the document is not a valid {kind}: {detail}")]
    Shape { kind: DocKind, detail: String },
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not write the record: {0}")]
    Reconcile(Box<autosurgeon::ReconcileError>),
    #[error("corrupt Automerge data: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    /// Bytes refused before Automerge reads them (see [`crate::verify::refuse_bundles`]).
    #[error("corrupt Automerge data: {0}")]
    Corrupt(String),
}

impl From<autosurgeon::ReconcileError> for ModelError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        ModelError::Reconcile(Box::new(e))
    }
}

impl From<automerge::AutomergeError> for ModelError {
    fn from(e: automerge::AutomergeError) -> Self {
        ModelError::Automerge(Box::new(e))
    }
}

/// Limits shared by the device and the server, so that what a device accepts the server
/// accepts too.
pub mod limits {
    /// Longest free-text field, in bytes.
    pub const TEXT_MAX: usize = 8 * 1024;
    /// Longest name-like field, in bytes.
    pub const NAME_MAX: usize = 200;
    /// Most contacts one visit may name.
    pub const CONTACTS_PER_VISIT_MAX: usize = 50;
    /// Longest visit, in minutes (a full day).
    pub const VISIT_DURATION_MAX_MIN: i64 = 24 * 60;
    /// Most ids one list in a record may hold.
    pub const REFS_MAX: usize = 100;
    /// Most periods of figures one account keeps.
    pub const PERIODS_MAX: usize = 200;
}

fn check_name(field: &'static str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    check_len(field, value, limits::NAME_MAX)
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), Invalid> {
    if value.len() > max {
        return Err(Invalid::new(field, format!("longer than {max} bytes")));
    }
    Ok(())
}

fn check_opt(field: &'static str, value: &Option<String>, max: usize) -> Result<(), Invalid> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_len(field, v, max))
}

fn check_id(field: &'static str, value: &str) -> Result<(), Invalid> {
    if is_record_id(value) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            "is not a record id (a lower-case hyphenated UUID)",
        ))
    }
}

/// Whether `value` is a record id in its one canonical spelling: a UUID, lower-case and
/// hyphenated, as [`new_id`] writes it. Other spellings of the same UUID (upper case,
/// braces, `urn:uuid:`, no hyphens) are refused, so that one record cannot be stored, and
/// counted, under several ids.
pub fn is_record_id(value: &str) -> bool {
    value.len() == uuid::fmt::Hyphenated::LENGTH
        && uuid::Uuid::try_parse(value).is_ok_and(|id| {
            id.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                .as_bytes()
                == value.as_bytes()
        })
}

fn check_opt_id(field: &'static str, value: &Option<String>) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| check_id(field, v))
}

fn check_ids(field: &'static str, values: &[String]) -> Result<(), Invalid> {
    if values.len() > limits::REFS_MAX {
        return Err(Invalid::new(field, "too many entries"));
    }
    values.iter().try_for_each(|v| check_id(field, v))
}

/// A calendar date written `YYYY-MM-DD`.
fn check_date(field: &'static str, value: &Option<String>) -> Result<(), Invalid> {
    match value {
        Some(d) if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() => {
            Err(Invalid::new(field, "is not a date like 2026-11-27"))
        }
        _ => Ok(()),
    }
}

fn check_amount(field: &'static str, value: Option<f64>) -> Result<(), Invalid> {
    match value {
        Some(v) if !(0.0..1e15).contains(&v) => {
            Err(Invalid::new(field, "must be an amount of zero or more"))
        }
        _ => Ok(()),
    }
}

fn check_rating(field: &'static str, value: Option<i64>) -> Result<(), Invalid> {
    match value {
        Some(v) if !(1..=5).contains(&v) => Err(Invalid::new(field, "must be 1 to 5")),
        _ => Ok(()),
    }
}

fn check_unique<T: PartialEq>(field: &'static str, values: &[T]) -> Result<(), Invalid> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(Invalid::new(field, "lists an entry twice"));
        }
    }
    Ok(())
}

fn check_time(field: &'static str, at: LocalTime) -> Result<(), Invalid> {
    // UTC offsets in use run from -12:00 to +14:00.
    if !(-12 * 60..=14 * 60).contains(&at.offset_min) {
        return Err(Invalid::new(field, "UTC offset out of range"));
    }
    // 2000-01-01 to 2100-01-01: anything else is a broken clock, not a visit.
    if !(946_684_800_000..=4_102_444_800_000).contains(&at.utc_ms) {
        return Err(Invalid::new(field, "time out of range"));
    }
    Ok(())
}

fn check_point(field: &'static str, lat: f64, lon: f64) -> Result<(), Invalid> {
    let on_earth = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    if !on_earth {
        return Err(Invalid::new(field, "not a position on Earth"));
    }
    Ok(())
}

/// The shape of a record kind: its top-level fields, and which one is at fault when a
/// document does not read as this kind. Generated with each record struct.
pub trait Shape {
    const FIELDS: &'static [&'static str];

    fn shape_problem(doc: &AutoCommit) -> Option<String>;
}

/// What every record kind provides: its kind, the account it belongs to, and its rules.
pub trait Record: Reconcile + Hydrate + Clone + Shape {
    const KIND: DocKind;

    /// The account this record belongs to. An account belongs to itself.
    fn account_id<'a>(&'a self, doc_id: &'a str) -> &'a str;

    /// Content rules beyond the document's shape.
    fn validate(&self) -> Result<(), Invalid>;

    /// When the record happened, for timelines (Unix milliseconds).
    fn occurred_ms(&self) -> Option<i64>;

    /// A short line for lists.
    fn title(&self) -> String;

    fn is_deleted(&self) -> bool;

    /// Marks the record removed (a tombstone: kept in history, gone from lists).
    fn set_deleted(&mut self);

    fn to_any(&self) -> AnyRecord;
}

/// Finds the first field that is absent or of the wrong type, by reading each field on
/// its own with the type the record declares.
macro_rules! shape_problem {
    ($doc:expr, $( $field:ident : $ty:ty ),* $(,)?) => {{
        let doc = $doc;
        let mut missing: Vec<&str> = Vec::new();
        let mut problem: Option<String> = None;
        $(
            if problem.is_none() {
                let name = stringify!($field);
                match automerge::ReadDoc::get(doc, automerge::ROOT, name) {
                    Ok(None) => missing.push(name),
                    Ok(Some(_)) => {
                        if let Err(e) =
                            autosurgeon::hydrate_prop::<_, $ty, _, _>(doc, &automerge::ROOT, name)
                        {
                            problem = Some(format!("{name}: {e}"));
                        }
                    }
                    Err(e) => problem = Some(format!("{name}: {e}")),
                }
            }
        )*
        problem.or_else(|| (!missing.is_empty()).then(|| format!("missing field: {}", missing.join(", "))))
    }};
}

pub(crate) use shape_problem;

/// The parts of `Record` every kind implements alike.
macro_rules! record_common {
    ($ty:ident, $kind:ident) => {
        const KIND: DocKind = DocKind::$kind;

        fn is_deleted(&self) -> bool {
            self.deleted
        }

        fn set_deleted(&mut self) {
            self.deleted = true;
        }

        fn to_any(&self) -> AnyRecord {
            AnyRecord::$kind(self.clone())
        }
    };
}

/// `account_id` for kinds that name their account in a field.
macro_rules! belongs_to_account {
    () => {
        fn account_id<'a>(&'a self, _doc_id: &'a str) -> &'a str {
            &self.account_id
        }
    };
}

impl Account {
    /// Whether the fields only an admin may change (name, industry, city, location, the
    /// tombstone) are the same in both.
    pub fn same_admin_fields(&self, other: &Account) -> bool {
        self.name == other.name
            && self.industry == other.industry
            && self.city == other.city
            && self.location == other.location
            && self.deleted == other.deleted
    }
}

impl Record for Account {
    record_common!(Account, Account);

    fn account_id<'a>(&'a self, doc_id: &'a str) -> &'a str {
        doc_id
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_name("name", &self.name)?;
        check_opt("industry", &self.industry, limits::NAME_MAX)?;
        check_opt("city", &self.city, limits::NAME_MAX)?;
        if let Some(p) = self.location {
            check_point("location", p.lat, p.lon)?;
        }
        if self.metrics.len() > limits::PERIODS_MAX {
            return Err(Invalid::new("metrics", "too many periods"));
        }
        for m in &self.metrics {
            if !is_period(&m.period) {
                return Err(Invalid::new(
                    "metrics",
                    format!(
                        "'{}' is not a period like 2026, 2026-Q3 or 2026-11",
                        m.period
                    ),
                ));
            }
            for v in [m.sales, m.profit, m.collections] {
                if v.is_some_and(|v| !v.is_finite()) {
                    return Err(Invalid::new("metrics", "figures must be numbers"));
                }
            }
            if m.transactions.is_some_and(|t| t < 0) {
                return Err(Invalid::new("metrics", "transactions must be zero or more"));
            }
        }
        check_unique(
            "metrics",
            &self.metrics.iter().map(|m| &m.period).collect::<Vec<_>>(),
        )?;
        if self.cadence_days.is_some_and(|d| !(1..=366).contains(&d)) {
            return Err(Invalid::new("cadence_days", "must be 1 to 366 days"));
        }
        check_rating("current_value", self.current_value)?;
        check_rating("potential_value", self.potential_value)?;
        if self.stage_history.len() > limits::REFS_MAX * 10 {
            return Err(Invalid::new("stage_history", "too long"));
        }
        for step in &self.stage_history {
            check_time("stage_history", step.at)?;
        }
        Ok(())
    }

    fn occurred_ms(&self) -> Option<i64> {
        None
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}

/// `2026`, `2026-Q1`…`2026-Q4` or `2026-01`…`2026-12`.
fn is_period(p: &str) -> bool {
    p.len() <= 7 && rules::period_bounds(p).is_some()
}

impl Record for Contact {
    record_common!(Contact, Contact);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_name("name", &self.name)?;
        check_opt("title", &self.title, limits::NAME_MAX)?;
        check_opt("phone", &self.phone, limits::NAME_MAX)?;
        check_opt("notes", &self.notes, limits::TEXT_MAX)?;
        check_unique("roles", &self.roles)?;
        if let Some(card) = &self.vip_card {
            check_len("vip_card.interests", &card.interests, limits::TEXT_MAX)?;
            check_len("vip_card.concerns", &card.concerns, limits::TEXT_MAX)?;
            check_len("vip_card.notes", &card.notes, limits::TEXT_MAX)?;
            if let Some(b) = card.birthday {
                let days = if b.calendar == Calendar::Lunar {
                    30
                } else {
                    31
                };
                if !(1..=12).contains(&b.month) || !(1..=days).contains(&b.day) {
                    return Err(Invalid::new("vip_card.birthday", "not a day of the year"));
                }
                if b.leap_month && b.calendar != Calendar::Lunar {
                    return Err(Invalid::new(
                        "vip_card.birthday",
                        "only lunar birthdays fall in a leap month",
                    ));
                }
            }
        }
        Ok(())
    }

    fn occurred_ms(&self) -> Option<i64> {
        None
    }

    fn title(&self) -> String {
        match &self.title {
            Some(t) => format!("{} ({t})", self.name),
            None => self.name.clone(),
        }
    }
}

impl Record for Opportunity {
    record_common!(Opportunity, Opportunity);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_name("name", &self.name)?;
        check_amount("value", self.value)?;
        check_date("expected_close", &self.expected_close)?;
        check_len("notes", &self.notes, limits::TEXT_MAX)?;
        let a = &self.assessment;
        for (field, step) in [
            ("assessment.real", &a.real),
            ("assessment.competition", &a.competition),
            ("assessment.can_win", &a.can_win),
            ("assessment.worth_winning", &a.worth_winning),
        ] {
            check_len(field, &step.note, limits::TEXT_MAX)?;
        }
        for role in BuyingRole::ALL {
            check_ids("roles", self.roles.get(*role))?;
        }
        Ok(())
    }

    fn occurred_ms(&self) -> Option<i64> {
        None
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}

impl Record for Visit {
    record_common!(Visit, Visit);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_time("occurred_at", self.occurred_at)?;
        check_time("logged_at", self.logged_at)?;
        if !(0..=limits::VISIT_DURATION_MAX_MIN).contains(&self.duration_min) {
            return Err(Invalid::new(
                "duration_min",
                format!(
                    "must be between 0 and {} minutes",
                    limits::VISIT_DURATION_MAX_MIN
                ),
            ));
        }
        check_name("purpose", &self.purpose)?;
        check_len("notes", &self.notes, limits::TEXT_MAX)?;
        if self.contacts_met.len() > limits::CONTACTS_PER_VISIT_MAX {
            return Err(Invalid::new("contacts_met", "too many contacts"));
        }
        check_ids("contacts_met", &self.contacts_met)?;
        if let Some(c) = self.check_in {
            check_point("check_in", c.lat, c.lon)?;
            if !(c.accuracy_m.is_finite() && c.accuracy_m >= 0.0) {
                return Err(Invalid::new(
                    "check_in",
                    "accuracy must be a positive distance",
                ));
            }
        }
        check_unique("spin", &self.spin)?;
        check_unique("objections", &self.objections)?;
        check_unique("signals", &self.signals)?;
        check_opt("next_step", &self.next_step, limits::TEXT_MAX)?;
        check_date("next_step_due", &self.next_step_due)?;
        Ok(())
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        self.purpose.clone()
    }
}

impl Record for Favour {
    record_common!(Favour, Favour);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_opt_id("contact_id", &self.contact_id)?;
        check_name("description", &self.description)?;
        check_amount("value", self.value)?;
        check_time("occurred_at", self.occurred_at)
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        self.description.clone()
    }
}

impl Record for Intel {
    record_common!(Intel, Intel);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_name("competitor", &self.competitor)?;
        check_opt("product", &self.product, limits::NAME_MAX)?;
        check_amount("price", self.price)?;
        check_name("observation", &self.observation)?;
        check_len("observation", &self.observation, limits::TEXT_MAX)?;
        check_opt_id("source_contact_id", &self.source_contact_id)?;
        check_time("occurred_at", self.occurred_at)
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        format!("{}: {}", self.competitor, self.observation)
    }
}

impl Record for InfoReport {
    record_common!(InfoReport, InfoReport);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        if self.figure.is_some_and(|f| !f.is_finite()) {
            return Err(Invalid::new("figure", "must be a number"));
        }
        check_opt("unit", &self.unit, limits::NAME_MAX)?;
        check_len("details", &self.details, limits::TEXT_MAX)?;
        if self.details.trim().is_empty() && self.figure.is_none() {
            return Err(Invalid::new("details", "give a figure or what was said"));
        }
        check_opt_id("contact_id", &self.contact_id)?;
        check_time("occurred_at", self.occurred_at)
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        match (self.figure, &self.unit) {
            (Some(f), Some(u)) => format!("{}: {f} {u}", self.kind),
            (Some(f), None) => format!("{}: {f}", self.kind),
            _ => format!("{}: {}", self.kind, self.details),
        }
    }
}

impl Record for Greeting {
    record_common!(Greeting, Greeting);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_opt_id("contact_id", &self.contact_id)?;
        if self.occasion == Occasion::Birthday && self.contact_id.is_none() {
            return Err(Invalid::new(
                "contact_id",
                "a birthday greeting names whose birthday",
            ));
        }
        check_len("notes", &self.notes, limits::TEXT_MAX)?;
        check_time("occurred_at", self.occurred_at)
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        format!("{} ({})", self.occasion, self.channel)
    }
}

impl Record for RelationshipEvent {
    record_common!(RelationshipEvent, RelationshipEvent);
    belongs_to_account!();

    fn validate(&self) -> Result<(), Invalid> {
        check_id("account_id", &self.account_id)?;
        check_name("description", &self.description)?;
        check_len("description", &self.description, limits::TEXT_MAX)?;
        check_opt_id("contact_id", &self.contact_id)?;
        check_time("occurred_at", self.occurred_at)
    }

    fn occurred_ms(&self) -> Option<i64> {
        Some(self.occurred_at.utc_ms)
    }

    fn title(&self) -> String {
        format!("{}: {}", self.kind, self.description)
    }
}

/// Reads a record out of its document and checks its content rules.
pub fn read_record<R: Record>(doc: &AutoCommit) -> Result<R, ModelError> {
    let record: R = autosurgeon::hydrate(doc).map_err(|e| ModelError::Shape {
        kind: R::KIND,
        detail: R::shape_problem(doc).unwrap_or_else(|| e.to_string()),
    })?;
    record.validate()?;
    Ok(record)
}

/// Writes a record into its document (only the fields that differ become operations) and
/// returns the changes this made, ready for the outbox.
pub fn write_record<R: Record>(
    doc: &mut AutoCommit,
    record: &R,
) -> Result<Vec<automerge::Change>, ModelError> {
    record.validate()?;
    let before = doc.get_heads();
    autosurgeon::reconcile(doc, record)?;
    Ok(doc.get_changes(&before))
}

/// A new, empty document whose changes will carry `actor`.
pub fn new_document(actor: ActorId) -> AutoCommit {
    AutoCommit::new().with_actor(actor)
}

/// Loads a saved document. Corrupt bytes give an error, never a panic.
///
/// The bytes are walked chunk by chunk: document chunks are loaded (and merged, when
/// there are several), change chunks are parsed and checked ([`parse_change`],
/// [`crate::verify::refuse_unknown_actors`]) before they are applied, since Automerge
/// panics on some malformed changes instead of refusing them.
pub fn load_document(bytes: &[u8], actor: Option<ActorId>) -> Result<AutoCommit, ModelError> {
    crate::verify::refuse_bundles(bytes).map_err(ModelError::Corrupt)?;
    let chunks = crate::verify::chunks(bytes)
        .ok_or_else(|| ModelError::Corrupt("not a saved document".into()))?;
    let mut doc: Option<AutoCommit> = None;
    let mut changes = Vec::new();
    for (chunk_type, chunk) in chunks {
        if chunk_type == 0 {
            let mut loaded = AutoCommit::load(chunk)?;
            match &mut doc {
                None => doc = Some(loaded),
                Some(d) => {
                    d.merge(&mut loaded)?;
                }
            }
        } else {
            changes.push(parse_change(chunk).map_err(ModelError::Corrupt)?);
        }
    }
    let mut doc = doc.unwrap_or_default();
    crate::verify::refuse_unknown_actors(&mut doc, &changes).map_err(ModelError::Corrupt)?;
    doc.apply_changes(changes)?;
    Ok(match actor {
        Some(a) => doc.with_actor(a),
        None => doc,
    })
}

/// The document's heads as hex strings, sorted: two replicas with the same heads hold the
/// same document.
pub fn heads_hex(doc: &mut AutoCommit) -> Vec<String> {
    let mut heads: Vec<String> = doc.get_heads().iter().map(ChangeHash::to_string).collect();
    heads.sort();
    heads
}

/// Whether a document has any content at all (a document whose changes are still waiting
/// for their dependencies has none).
pub fn is_empty(doc: &AutoCommit) -> bool {
    doc.length(automerge::ROOT) == 0
}

/// Parses one change received over the network and checks it against its own checksum
/// (the first bytes of its hash), so a change damaged in transit or forged with a wrong
/// hash is refused before anything reads it.
pub fn parse_change(bytes: &[u8]) -> Result<automerge::Change, String> {
    crate::verify::refuse_bundles(bytes)?;
    let change = automerge::Change::try_from(bytes).map_err(|e| e.to_string())?;
    let declared = bytes.get(4..8).ok_or("too short to be a change")?;
    if declared != &change.hash().0[..4] {
        return Err("checksum does not match the change's hash".into());
    }
    Ok(change)
}

/// A fresh record id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> Visit {
        Visit {
            account_id: new_id(),
            occurred_at: LocalTime {
                utc_ms: 1_764_000_000_000,
                offset_min: 480,
            },
            logged_at: LocalTime {
                utc_ms: 1_764_000_600_000,
                offset_min: 480,
            },
            duration_min: 45,
            purpose: "Quarterly review".into(),
            notes: String::new(),
            ..Visit::default()
        }
    }

    #[test]
    fn a_record_round_trips_through_its_document() {
        let mut doc = new_document(ActorId::random());
        let v = visit();
        let changes = write_record(&mut doc, &v).expect("write");
        assert_eq!(changes.len(), 1);
        assert_eq!(read_record::<Visit>(&doc).expect("read"), v);
    }

    #[test]
    fn rewriting_an_unchanged_record_makes_no_change() {
        let mut doc = new_document(ActorId::random());
        let v = visit();
        write_record(&mut doc, &v).expect("write");
        assert!(write_record(&mut doc, &v).expect("write").is_empty());
    }

    #[test]
    fn a_document_of_another_kind_is_refused() {
        let mut doc = new_document(ActorId::random());
        write_record(&mut doc, &visit()).expect("write");
        let err = read_record::<Contact>(&doc).expect_err("a visit is not a contact");
        assert!(matches!(
            err,
            ModelError::Shape {
                kind: DocKind::Contact,
                ..
            }
        ));
    }

    /// `FIELDS` must name every field a written record has, or shape errors would not
    /// name the field at fault.
    #[test]
    fn every_kind_lists_its_fields() {
        fn check<R: Record>(record: &R) {
            let mut doc = new_document(ActorId::random());
            write_record(&mut doc, record).expect("write");
            let mut keys: Vec<String> = doc.keys(automerge::ROOT).collect();
            keys.sort();
            let mut fields: Vec<String> = R::FIELDS.iter().map(|f| (*f).to_owned()).collect();
            fields.sort();
            assert_eq!(keys, fields, "{}", R::KIND);
        }
        check(&visit());
        check(&Contact {
            account_id: new_id(),
            name: "Zhang".into(),
            ..Contact::default()
        });
        check(&Account {
            name: "Acme".into(),
            ..Account::default()
        });
        check(&Opportunity {
            account_id: new_id(),
            name: "Line 3 upgrade".into(),
            ..Opportunity::default()
        });
    }

    #[test]
    fn shape_errors_name_the_field() {
        use automerge::transaction::Transactable;
        let mut doc = new_document(ActorId::random());
        write_record(&mut doc, &visit()).expect("write");
        doc.put(automerge::ROOT, "duration_min", "long")
            .expect("put");
        let err = read_record::<Visit>(&doc).expect_err("a string duration");
        assert!(err.to_string().contains("duration_min"), "{err}");
        doc.delete(automerge::ROOT, "purpose").expect("delete");
        doc.put(automerge::ROOT, "duration_min", 30).expect("put");
        let err = read_record::<Visit>(&doc).expect_err("no purpose");
        assert!(err.to_string().contains("missing field: purpose"), "{err}");
    }

    #[test]
    fn content_rules_are_checked_on_write() {
        let mut doc = new_document(ActorId::random());
        let mut v = visit();
        v.duration_min = -5;
        let err = write_record(&mut doc, &v).expect_err("negative duration");
        assert!(matches!(
            err,
            ModelError::Invalid(Invalid {
                field: "duration_min",
                ..
            })
        ));
        assert!(
            is_empty(&doc),
            "nothing is written when the record is invalid"
        );
    }

    #[test]
    fn damaged_changes_are_refused() {
        let mut doc = new_document(ActorId::random());
        let mut changes = write_record(&mut doc, &visit()).expect("write");
        let bytes = changes[0].bytes().to_vec();
        assert!(parse_change(&bytes).is_ok());
        let original = parse_change(&bytes).expect("parse");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            // Damage is refused, or (for padding the decoder normalises away) it decodes to
            // the very same change: never to a different one.
            if let Ok(c) = parse_change(&bad) {
                assert_eq!(
                    c.hash(),
                    original.hash(),
                    "flipping byte {i} made another change"
                );
                assert_eq!(c.decode(), original.decode(), "byte {i}");
            }
        }
        for n in 0..bytes.len() {
            assert!(parse_change(&bytes[..n]).is_err());
        }
    }

    /// Feature `json`: every field by its Rust name, the vocabulary by its code, times as
    /// `{utc_ms, offset_min}`, and back to the same record.
    #[cfg(feature = "json")]
    #[test]
    fn records_round_trip_through_json() {
        let mut v = visit();
        v.check_in = Some(CheckIn {
            lat: 31.2,
            lon: 121.4,
            accuracy_m: 20.0,
        });
        v.spin = vec![Spin::NeedPayoff];
        let json = serde_json::to_value(&v).expect("json");
        assert_eq!(json["occurred_at"]["offset_min"], 480);
        assert_eq!(json["spin"][0], "need_payoff");
        assert_eq!(json["check_in"]["accuracy_m"], 20.0);
        assert_eq!(json["next_step"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<Visit>(json).expect("back"), v);
        let g: Greeting = serde_json::from_value(serde_json::json!({
            "account_id": new_id(),
            "occasion": "mid_autumn",
            "channel": "wechat",
            "occurred_at": {"utc_ms": 1_764_000_000_000_i64, "offset_min": 480},
        }))
        .expect("defaults for the optional fields");
        assert_eq!(g.channel, Channel::WeChat);
        let bad = serde_json::from_value::<Greeting>(serde_json::json!({"channel": "fax"}));
        assert!(
            bad.expect_err("fax")
                .to_string()
                .contains("'fax' is not one of")
        );
        let unknown =
            serde_json::from_value::<Account>(serde_json::json!({"name": "x", "nmae": "y"}));
        assert!(unknown.expect_err("typo").to_string().contains("nmae"));
    }

    #[test]
    fn local_time_keeps_the_offset() {
        let at = LocalTime {
            utc_ms: 1_764_000_000_000,
            offset_min: 480,
        };
        let dt = at.to_datetime().expect("in range");
        assert_eq!(LocalTime::from_datetime(&dt), at);
        assert_eq!(dt.offset().local_minus_utc(), 8 * 3600);
    }
}
