//! Who may see and change what: the one access policy of every face (the API's reports,
//! the dashboard, sync's pushes), decided from the server's tables, never from anything
//! a client sends about itself.
//!
//! - **Teams.** A manager sees their own team; an admin any team of their company; a rep
//!   none ([`team_in_scope`]).
//! - **Scorecards.** Oneself; a manager the reps of their team; an admin every rep of
//!   their company; never another manager or admin ([`rep_in_scope`]).
//! - **Accounts.** A rep those whose account team they are on; a manager those their
//!   team's reps (or they themselves) serve; an admin every account of their company
//!   ([`may_see_account`]).
//! - **Records.** Their author, and whoever is on the record's account team (or was
//!   taken off it without their device having heard yet) may write a record; a change
//!   to someone else's authored record, or the removal of someone else's shared one, is
//!   a manager's or admin's correction ([`WriteAccess`], [`others_change`]).
//!
//! Nothing crosses companies: every query here filters by the viewer's tenant.

use std::collections::HashMap;

use rapport_client_core::model::DocKind;
use rapport_client_core::protocol::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::{account_teams, documents, teams, users};
use crate::error::{ApiError, ApiResult};

/// The teams of a company, by name.
pub async fn company_teams(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
) -> ApiResult<Vec<teams::Model>> {
    Ok(teams::Entity::find()
        .filter(teams::Column::TenantId.eq(tenant_id))
        .order_by_asc(teams::Column::Name)
        .all(conn)
        .await?)
}

/// Why a team is out of a viewer's reach; each face words it (and answers it) its own
/// way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefused {
    /// A rep: team reports and pages are for managers.
    Rep,
    /// A manager without a team.
    NoTeam,
    /// A manager asked for another team than theirs.
    NotTheirs,
    /// An admin asked for a team their company does not have.
    Unknown,
}

/// The team `viewer` asks about, by id or name: a manager's own (naming another is
/// refused); for an admin any team of their company (another company's is as unknown
/// as one that does not exist). `Ok(None)`: an admin named none, for the face to choose.
pub async fn team_in_scope(
    conn: &impl ConnectionTrait,
    viewer: &users::Model,
    asked: Option<&str>,
) -> ApiResult<Result<Option<teams::Model>, TeamRefused>> {
    let of_company = |id_or_name: &str| {
        teams::Entity::find()
            .filter(teams::Column::TenantId.eq(&viewer.tenant_id))
            .filter(
                sea_orm::Condition::any()
                    .add(teams::Column::Id.eq(id_or_name))
                    .add(teams::Column::Name.eq(id_or_name)),
            )
            .one(conn)
    };
    match Role::parse(&viewer.role).unwrap_or(Role::Rep) {
        Role::Rep => Ok(Err(TeamRefused::Rep)),
        Role::Manager => {
            let Some(own) = viewer.team_id.as_deref() else {
                return Ok(Err(TeamRefused::NoTeam));
            };
            let Some(team) = teams::Entity::find_by_id(own)
                .filter(teams::Column::TenantId.eq(&viewer.tenant_id))
                .one(conn)
                .await?
            else {
                return Ok(Err(TeamRefused::NoTeam));
            };
            if asked.is_some_and(|t| t != team.id && t != team.name) {
                return Ok(Err(TeamRefused::NotTheirs));
            }
            Ok(Ok(Some(team)))
        }
        Role::Admin => match asked {
            None => Ok(Ok(None)),
            Some(t) => Ok(of_company(t).await?.map(Some).ok_or(TeamRefused::Unknown)),
        },
    }
}

/// The reps of a team, by user name.
pub async fn team_reps(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    team_id: &str,
) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .filter(users::Column::TeamId.eq(team_id))
        .filter(users::Column::Role.eq(Role::Rep.as_str()))
        .order_by_asc(users::Column::Username)
        .all(conn)
        .await?)
}

/// Whether `found` is in `viewer`'s scope as a rep: a rep of a manager's own team, any
/// rep of an admin's company (the caller searched the viewer's company alone). Never a
/// manager or an admin, not even one of the same team.
fn rep_of(viewer: &users::Model, found: &users::Model) -> bool {
    let is_rep = found.role == Role::Rep.as_str();
    match Role::parse(&viewer.role) {
        Some(Role::Manager) => is_rep && found.team_id.is_some() && found.team_id == viewer.team_id,
        Some(Role::Admin) => is_rep,
        Some(Role::Rep) | None => false,
    }
}

/// Whose scorecard `viewer` may read, by the id, user name or display name `asked` —
/// the one rule of both faces (`GET /v1/reports/scorecard?rep=` and the dashboard's rep
/// page):
///
/// - oneself, whatever the role;
/// - a manager: the reps of their own team;
/// - an admin: every rep of their company.
///
/// Never another manager or admin (not even one of the same team), nor anyone of another
/// company. Someone of the company out of scope is refused ("not one of your reps"); for
/// a manager or an admin, nobody of the company by that name is "no such rep" (only the
/// viewer's own company is searched, so another company's people are answered as if
/// absent). A rep is refused anyone but themselves alike. A display name that several people in
/// scope share is refused with their user names, to choose from.
pub async fn rep_in_scope(
    conn: &impl ConnectionTrait,
    viewer: &users::Model,
    asked: &str,
) -> ApiResult<users::Model> {
    let refused = || ApiError::Forbidden("not one of your reps".into());
    if asked == viewer.id || asked == viewer.username {
        return Ok(viewer.clone());
    }
    let of_company = users::Entity::find().filter(users::Column::TenantId.eq(&viewer.tenant_id));
    let exact = of_company
        .clone()
        .filter(
            sea_orm::Condition::any()
                .add(users::Column::Id.eq(asked))
                .add(users::Column::Username.eq(asked)),
        )
        .one(conn)
        .await?;
    let in_scope = |found: &users::Model| rep_of(viewer, found);
    if let Some(found) = exact {
        return if in_scope(&found) {
            Ok(found)
        } else {
            Err(refused())
        };
    }
    if Role::parse(&viewer.role) == Some(Role::Rep) {
        // A rep may read only their own scorecard: anyone else is refused alike.
        return Err(refused());
    }
    let named = of_company
        .filter(users::Column::DisplayName.eq(asked))
        .order_by_asc(users::Column::Username)
        .all(conn)
        .await?;
    if named.is_empty() {
        return Err(ApiError::NotFound(format!("no such rep: '{asked}'")));
    }
    let mut mine: Vec<users::Model> = named.into_iter().filter(in_scope).collect();
    match mine.len() {
        0 => Err(refused()),
        1 => Ok(mine.remove(0)),
        _ => Err(ApiError::Unprocessable(format!(
            "{} of your reps are called '{asked}': name one by user name ({})",
            mine.len(),
            mine.iter()
                .map(|u| u.username.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Whether `viewer` may see the account `account_id` of their company: an admin every
/// one; a rep one whose account team they are on; a manager one their team's reps or
/// they themselves are on. (The caller has found the account in the viewer's company.)
pub async fn may_see_account(
    conn: &impl ConnectionTrait,
    viewer: &users::Model,
    account_id: &str,
) -> ApiResult<bool> {
    let members = match Role::parse(&viewer.role).unwrap_or(Role::Rep) {
        Role::Admin => return Ok(true),
        Role::Rep => vec![viewer.id.clone()],
        Role::Manager => {
            let Some(team) = viewer.team_id.as_deref() else {
                return Ok(false);
            };
            let mut members: Vec<String> = team_reps(conn, &viewer.tenant_id, team)
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
            members.push(viewer.id.clone());
            members
        }
    };
    Ok(account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(&viewer.tenant_id))
        .filter(account_teams::Column::AccountId.eq(account_id))
        .filter(account_teams::Column::UserId.is_in(members))
        .filter(account_teams::Column::Active.eq(true))
        .one(conn)
        .await?
        .is_some())
}

/// One of a user's account-team rows.
#[derive(Debug, Clone, Copy)]
pub struct Membership {
    pub active: bool,
    /// When inactive: the sequence number and time (Unix ms) of the removal.
    pub revoked_seq: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A user's account-team rows, by account id.
pub async fn memberships(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<HashMap<String, Membership>> {
    Ok(account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .filter(account_teams::Column::UserId.eq(user_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| {
            let m = Membership {
                active: t.active,
                revoked_seq: t.revoked_seq,
                revoked_at: t.revoked_at,
            };
            (t.account_id, m)
        })
        .collect())
}

/// What one user may write through one device: the records they authored, and those
/// on an account whose team they are on — or were taken off, while the device had not
/// heard of it yet (it had been told of removals up to `told_seq` only, so what it sends
/// for that account was logged while the user was still on the team).
#[derive(Debug, Clone, Copy)]
pub struct WriteAccess<'a> {
    pub tenant_id: &'a str,
    pub user_id: &'a str,
    /// The user's account-team rows (see [`memberships`]).
    pub teams: &'a HashMap<String, Membership>,
    /// Removals up to this sequence number have been told to the device.
    pub told_seq: i64,
}

/// Whether a new record may go on an account (see [`WriteAccess::new_record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRecord {
    Allowed,
    /// Never on the account's team.
    NotOnTeam,
    /// Taken off the team (at this Unix ms), and the device has been told.
    Removed {
        at_ms: Option<i64>,
    },
}

impl WriteAccess<'_> {
    /// Whether the membership `m` ended in a removal the device had not heard of yet.
    fn removal_is_news(&self, m: &Membership) -> bool {
        !m.active && m.revoked_seq.unwrap_or(0) > self.told_seq
    }

    /// Whether the user writes on `account_id`'s records as one of its team.
    fn on_team(&self, account_id: &str) -> bool {
        self.teams
            .get(account_id)
            .is_some_and(|m| m.active || self.removal_is_news(m))
    }

    /// Whether the user may push changes to the stored document `d`: one of their
    /// company, and their own or on an account they write on.
    pub fn may_change(&self, d: &documents::Model) -> bool {
        d.tenant_id == self.tenant_id
            && (d.author_id == self.user_id || self.on_team(&d.account_id))
    }

    /// Whether the user may put a new record on `account_id` (an account of their
    /// company that exists: the caller has checked).
    pub fn new_record(&self, account_id: &str) -> NewRecord {
        match self.teams.get(account_id) {
            None => NewRecord::NotOnTeam,
            Some(_) if self.on_team(account_id) => NewRecord::Allowed,
            Some(m) => NewRecord::Removed {
                at_ms: m.revoked_at,
            },
        }
    }
}

/// What a change to someone else's record is, by its kind, whether it removes (or
/// restores) the record, and the changer's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OthersChange {
    /// The account team's common knowledge, co-edited: nothing to record.
    Shared,
    /// A manager's or admin's correction, recorded as theirs.
    Correction,
    /// From a rep: refused whole.
    Refused,
}

/// What changing someone else's record of `kind` is: an authored record (what a rep
/// logged counts for them) is changed, and a shared record removed or restored, only
/// as a manager's or admin's correction; an account is the team's, edited by all.
pub fn others_change(kind: DocKind, removes: bool, role: Role) -> OthersChange {
    if kind == DocKind::Account || (!kind.is_authored() && !removes) {
        OthersChange::Shared
    } else if role == Role::Rep {
        OthersChange::Refused
    } else {
        OthersChange::Correction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(tenant: &str, author: &str, account: &str) -> documents::Model {
        documents::Model {
            id: "d".into(),
            tenant_id: tenant.into(),
            kind: "visit".into(),
            account_id: account.into(),
            author_id: author.into(),
            snapshot: Vec::new(),
            deleted: false,
            created_seq: 1,
            updated_seq: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_removal_the_device_has_not_heard_of_still_lets_it_write() {
        let member = |active, revoked_seq| Membership {
            active,
            revoked_seq,
            revoked_at: Some(7),
        };
        let teams = HashMap::from([
            ("on".to_owned(), member(true, None)),
            ("told".to_owned(), member(false, Some(5))),
            ("unheard".to_owned(), member(false, Some(9))),
        ]);
        let access = WriteAccess {
            tenant_id: "t",
            user_id: "u",
            teams: &teams,
            told_seq: 5,
        };
        assert!(access.may_change(&doc("t", "other", "on")));
        assert!(access.may_change(&doc("t", "other", "unheard")));
        assert!(!access.may_change(&doc("t", "other", "told")));
        assert!(
            access.may_change(&doc("t", "u", "told")),
            "one's own record"
        );
        assert!(
            !access.may_change(&doc("x", "u", "on")),
            "another company's"
        );
        assert_eq!(access.new_record("on"), NewRecord::Allowed);
        assert_eq!(access.new_record("unheard"), NewRecord::Allowed);
        assert_eq!(
            access.new_record("told"),
            NewRecord::Removed { at_ms: Some(7) }
        );
        assert_eq!(access.new_record("never"), NewRecord::NotOnTeam);
    }

    #[test]
    fn others_records_are_corrected_by_managers_and_admins() {
        use OthersChange::{Correction, Refused, Shared};
        assert_eq!(others_change(DocKind::Account, true, Role::Rep), Shared);
        assert_eq!(others_change(DocKind::Contact, false, Role::Rep), Shared);
        assert_eq!(others_change(DocKind::Contact, true, Role::Rep), Refused);
        assert_eq!(
            others_change(DocKind::Contact, true, Role::Manager),
            Correction
        );
        assert_eq!(others_change(DocKind::Visit, false, Role::Rep), Refused);
        assert_eq!(
            others_change(DocKind::Visit, false, Role::Admin),
            Correction
        );
    }
}
