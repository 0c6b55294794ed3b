//! The wire types of Rapport's HTTP API, shared by the device and the server.
//!
//! `POST /v1/sync` carries [`SyncRequest`] and [`SyncResponse`] as postcard (a compact,
//! stable binary serde format) with the content type [`SYNC_CONTENT_TYPE`]: change bytes
//! travel as raw bytes, never base64. Every other endpoint speaks JSON. Errors from every
//! endpoint are [`ErrorBody`] as JSON.

use serde::{Deserialize, Serialize};

use crate::model::DocKind;

/// Content type of sync requests and responses.
pub const SYNC_CONTENT_TYPE: &str = "application/vnd.rapport.sync+postcard";

/// Version of the sync messages a device sends. A server refuses a request of a version
/// it does not speak with `400 invalid_body`, naming the versions it speaks, and answers
/// each version it speaks in that version's shape: postcard is not self-describing, so a
/// field added to a response is sent only to devices whose request says they read it.
///
/// - 1: the first.
/// - 2: [`SyncResponse::removals`] (the account teams this user was taken off).
pub const PROTOCOL_VERSION: u32 = 2;

/// The oldest version of the sync messages a server still answers.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// JWT audience of access tokens.
pub const TOKEN_AUDIENCE: &str = "rapport-api";

/// One sync round trip: what the device pushes and where its pull resumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    pub version: u32,
    /// The highest sequence number of the tenant the device has fully received.
    pub cursor: u64,
    /// The version of the company's rules the device holds (0: none).
    pub rules_version: u64,
    pub push: Vec<PushDoc>,
}

/// The changes of one document the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushDoc {
    pub doc_id: String,
    /// The document kind, by [`crate::model::DocKind::as_str`].
    pub kind: String,
    pub changes: Vec<Change>,
}

/// Raw Automerge change bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Change(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Change({} bytes)", self.0.len())
    }
}

/// The server's answer to one round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResponse {
    /// One result per pushed document, in the order pushed.
    pub results: Vec<DocResult>,
    /// Documents with something new for this user above the request's cursor.
    pub docs: Vec<PulledDoc>,
    /// Where the next pull resumes. Every change at or below it that this user may read
    /// has been delivered.
    pub cursor: u64,
    /// More is waiting above `cursor`: sync again.
    pub has_more: bool,
    /// The company's rules, when they are newer than the device's.
    pub rules: Option<RulesUpdate>,
    /// Account teams this user was taken off above the request's cursor (and not put back
    /// on since): the device removes the account's records this user did not author, and
    /// says why. Version 2; never sent to a version 1 request.
    #[serde(default)]
    pub removals: Vec<Removal>,
}

impl SyncResponse {
    /// This response as version 1 of the protocol carries it: without `removals`.
    pub fn v1(&self) -> SyncResponseV1<'_> {
        SyncResponseV1 {
            results: &self.results,
            docs: &self.docs,
            cursor: self.cursor,
            has_more: self.has_more,
            rules: &self.rules,
        }
    }
}

/// A [`SyncResponse`] encoded for a version 1 request (the same fields but `removals`).
#[derive(Debug, Serialize)]
pub struct SyncResponseV1<'a> {
    pub results: &'a [DocResult],
    pub docs: &'a [PulledDoc],
    pub cursor: u64,
    pub has_more: bool,
    pub rules: &'a Option<RulesUpdate>,
}

/// The user was taken off an account's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removal {
    pub account_id: String,
    pub account_name: String,
    /// When, Unix milliseconds.
    pub removed_at_ms: i64,
    /// The account's records this user authored: they stay on the device (and the user
    /// may still edit them). The account's other records leave it.
    pub authored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RulesUpdate {
    pub version: u64,
    pub rules: crate::model::Rules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocResult {
    pub doc_id: String,
    pub outcome: Outcome,
}

/// What the server did with a pushed document. A rejected document is rejected whole:
/// none of its changes were stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    Accepted,
    Rejected { code: String, reason: String },
}

/// A document the device should merge: a compacted snapshot (for documents it may not
/// have seen before) and/or individual changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PulledDoc {
    pub doc_id: String,
    pub kind: String,
    pub account_id: String,
    pub snapshot: Option<Change>,
    pub changes: Vec<Change>,
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `unauthorized`, `forbidden`, `invalid_body`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The company's short name (its slug).
    pub company: String,
    pub username: String,
    pub password: String,
    /// Set when this device signed in before, to keep its identity (and its actor).
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub device_name: Option<String>,
}

/// Tokens and identity returned by login and refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    /// Opaque; exchange at `POST /v1/auth/refresh` for a new session. Single use.
    pub refresh_token: String,
    pub user_id: String,
    pub tenant_id: String,
    pub role: Role,
    pub display_name: String,
    pub device_id: String,
    /// The Automerge actor id (hex) this device must write with.
    pub actor_id: String,
    /// The company's time zone (IANA name), for week and month boundaries.
    pub time_zone: String,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Rep,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Rep, Role::Manager, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// `GET /v1/reports/visits/weekly`: visits per rep of a team in one ISO week, counted in
/// the company's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyVisits {
    pub team_id: String,
    pub team_name: String,
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    pub time_zone: String,
    /// Monday 00:00 local time of the week, RFC 3339.
    pub starts: String,
    /// The Monday after, 00:00 local time, RFC 3339.
    pub ends: String,
    pub reps: Vec<RepVisits>,
    pub total: u64,
    /// Visits expected of each rep per week (the company's rules).
    pub target: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepVisits {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub visits: u64,
    /// Distinct accounts visited.
    pub accounts: u64,
}

/// `GET /v1/reports/scorecard`: one rep's relationship-maintenance scorecard for a period
/// (an ISO week or a month in the company's time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    pub rep: RepRef,
    /// `2026-W48` or `2026-11`.
    pub period: String,
    pub time_zone: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub metrics: Vec<Metric>,
}

impl Scorecard {
    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepRef {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
}

/// One figure of the scorecard, with the records that make it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(from = "MetricOnWire")]
pub struct Metric {
    /// Stable name, e.g. `visits`, `card_coverage`, `influencer_coverage`.
    pub key: String,
    pub group: MetricGroup,
    /// How to read `value`: a count, a share of `total`, or a ratio.
    pub shape: MetricShape,
    pub value: f64,
    /// For a share or a ratio (value = part / total): its parts.
    pub part: Option<u64>,
    pub total: Option<u64>,
    pub target: Option<f64>,
    /// value / target.
    pub attainment: Option<f64>,
    /// The records behind the figure (behind `part`, for a share or a ratio).
    pub records: Vec<RecordRef>,
}

/// The groups of the scorecard, as DOMAIN.md (§四.4) and the method arrange its figures,
/// in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MetricGroup {
    /// 客户个人关系密切程度: the VIP cards of the key contacts.
    Closeness,
    /// 客户关系建立与巩固: visits, cadence, favours, relationship events.
    Building,
    /// 客户关系的信息工作: info reports, competitor intelligence, greetings.
    Information,
    /// The method: influencer coverage, buying signals, objections, stage moves.
    Method,
    /// Favours over the company's value limit.
    Compliance,
}

impl MetricGroup {
    pub const ALL: [MetricGroup; 5] = [
        MetricGroup::Closeness,
        MetricGroup::Building,
        MetricGroup::Information,
        MetricGroup::Method,
        MetricGroup::Compliance,
    ];

    /// The group's name on the wire (`closeness` …).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricGroup::Closeness => "closeness",
            MetricGroup::Building => "building",
            MetricGroup::Information => "information",
            MetricGroup::Method => "method",
            MetricGroup::Compliance => "compliance",
        }
    }
}

/// How a figure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MetricShape {
    /// A number of records (`visits`: 11).
    Count,
    /// A part of a total, from 0 to 1 (`cadence_kept`: 3 of 4 accounts, 75 %); a share of
    /// nothing has no attainment.
    Share,
    /// A part per total that may exceed 1 (`signals_per_visit`: 9 signals in 11 visits,
    /// 0.82 per visit).
    Ratio,
}

/// A [`Metric`] as it is read: `shape` may be absent, from a server that predates it.
/// Such a server sent every figure with a part and a total as a share, except
/// `signals_per_visit`, its one ratio; every other figure was a count.
#[derive(Deserialize)]
struct MetricOnWire {
    key: String,
    group: MetricGroup,
    shape: Option<MetricShape>,
    value: f64,
    part: Option<u64>,
    total: Option<u64>,
    target: Option<f64>,
    attainment: Option<f64>,
    records: Vec<RecordRef>,
}

impl From<MetricOnWire> for Metric {
    fn from(m: MetricOnWire) -> Metric {
        let shape = m.shape.unwrap_or(match (m.part, m.total) {
            _ if m.key == "signals_per_visit" => MetricShape::Ratio,
            (Some(_), Some(_)) => MetricShape::Share,
            _ => MetricShape::Count,
        });
        Metric {
            key: m.key,
            group: m.group,
            shape,
            value: m.value,
            part: m.part,
            total: m.total,
            target: m.target,
            attainment: m.attainment,
            records: m.records,
        }
    }
}

/// A record a figure is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRef {
    /// The record's kind, by its code ([`DocKind::as_str`]: `visit`, `competitor_intel` …).
    #[serde(with = "kind_code")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: DocKind,
    pub id: String,
    pub account_id: String,
    /// When it happened (Unix ms), for records that happen.
    pub at_ms: Option<i64>,
}

/// A [`DocKind`] on the wire by its code, the name the databases use too.
mod kind_code {
    use serde::de::{Deserialize, Deserializer, Error};
    use serde::ser::Serializer;

    use crate::model::DocKind;

    pub fn serialize<S: Serializer>(kind: &DocKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DocKind, D::Error> {
        let code = String::deserialize(d)?;
        DocKind::parse(&code).ok_or_else(|| D::Error::custom(format!("unknown record kind {code}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_messages_carry_change_bytes_raw() {
        let change = vec![7u8; 300];
        let req = SyncRequest {
            version: PROTOCOL_VERSION,
            cursor: 42,
            rules_version: 3,
            push: vec![PushDoc {
                doc_id: "0192f1c4-0000-7000-8000-000000000000".into(),
                kind: "visit".into(),
                changes: vec![Change(change.clone())],
            }],
        };
        let bytes = postcard::to_stdvec(&req).expect("encode");
        // The framing around one change of one document stays small.
        assert!(bytes.len() < change.len() + 64, "{} bytes", bytes.len());
        let back: SyncRequest = postcard::from_bytes(&bytes).expect("decode");
        assert_eq!(back, req);
    }

    #[test]
    fn truncated_sync_messages_are_errors() {
        let req = SyncResponse {
            results: vec![],
            docs: vec![],
            cursor: 9,
            has_more: false,
            rules: Some(RulesUpdate {
                version: 2,
                rules: crate::model::Rules::default(),
            }),
            removals: vec![Removal {
                account_id: "a".into(),
                account_name: "Haorun Foods".into(),
                removed_at_ms: 1,
                authored: vec!["v".into()],
            }],
        };
        let bytes = postcard::to_stdvec(&req).expect("encode");
        for n in 0..bytes.len() {
            assert!(postcard::from_bytes::<SyncResponse>(&bytes[..n]).is_err());
        }
    }

    #[test]
    fn a_version_1_response_is_the_version_2_one_without_removals() {
        let resp = SyncResponse {
            results: vec![DocResult {
                doc_id: "d".into(),
                outcome: Outcome::Accepted,
            }],
            docs: vec![],
            cursor: 9,
            has_more: true,
            rules: None,
            removals: vec![Removal {
                account_id: "a".into(),
                account_name: "Haorun Foods".into(),
                removed_at_ms: 1,
                authored: vec![],
            }],
        };
        let v2 = postcard::to_stdvec(&resp).expect("encode");
        let v1 = postcard::to_stdvec(&resp.v1()).expect("encode");
        // A version 1 device reads the fields it knows, in the order it knows them.
        assert!(v2.starts_with(&v1) && v2.len() > v1.len());
        let mut expected = resp.clone();
        expected.removals.clear();
        assert_eq!(
            postcard::from_bytes::<SyncResponse>(&postcard::to_stdvec(&expected).expect("e"))
                .expect("decode"),
            expected
        );
    }

    fn visits_metric() -> Metric {
        Metric {
            key: "verified_share".into(),
            group: MetricGroup::Building,
            shape: MetricShape::Share,
            value: 0.5,
            part: Some(1),
            total: Some(2),
            target: None,
            attainment: None,
            records: vec![RecordRef {
                kind: DocKind::Visit,
                id: "v1".into(),
                account_id: "a1".into(),
                at_ms: Some(7),
            }],
        }
    }

    #[test]
    fn metrics_name_their_group_shape_and_record_kinds_in_lower_case() {
        let json = serde_json::to_value(visits_metric()).expect("encode");
        assert_eq!(json["group"], "building");
        assert_eq!(json["shape"], "share");
        assert_eq!(json["records"][0]["kind"], "visit");
        let back: Metric = serde_json::from_value(json).expect("decode");
        assert_eq!(back, visits_metric());
        for group in MetricGroup::ALL {
            let json = serde_json::to_value(group).expect("encode");
            assert_eq!(json, group.as_str());
        }
    }

    #[test]
    fn record_kinds_travel_by_their_codes() {
        for kind in DocKind::ALL {
            let r = RecordRef {
                kind,
                id: "x".into(),
                account_id: "a".into(),
                at_ms: None,
            };
            let json = serde_json::to_value(&r).expect("encode");
            assert_eq!(json["kind"], kind.as_str());
            assert_eq!(
                serde_json::from_value::<RecordRef>(json).expect("decode"),
                r
            );
        }
        let unknown =
            serde_json::json!({"kind": "memo", "id": "x", "account_id": "a", "at_ms": null});
        assert!(serde_json::from_value::<RecordRef>(unknown).is_err());
    }

    #[test]
    fn a_metric_without_a_shape_reads_as_its_server_meant_it() {
        let read = |key: &str, part: Option<u64>, total: Option<u64>| {
            let mut json = serde_json::to_value(visits_metric()).expect("encode");
            let m = json.as_object_mut().expect("object");
            m.remove("shape");
            m.insert("key".into(), key.into());
            m.insert("part".into(), part.into());
            m.insert("total".into(), total.into());
            serde_json::from_value::<Metric>(json)
                .expect("decode")
                .shape
        };
        assert_eq!(read("cadence_kept", Some(3), Some(4)), MetricShape::Share);
        assert_eq!(read("visits", None, None), MetricShape::Count);
        assert_eq!(
            read("signals_per_visit", Some(9), Some(11)),
            MetricShape::Ratio
        );
    }
}
