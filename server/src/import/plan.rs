//! Validating and planning an import: every row is checked against the company's current
//! records and the rows before it, and becomes a create, an update, unchanged, or refused
//! with its reason. Nothing is written here; [`super::apply`] writes a plan with no
//! refused row.
//!
//! Rows are matched by a natural key: a team and a user by name, an account by id or
//! name, a contact by id or by account and name. An `id` that names no record of the
//! company is taken as the id of the system the file comes from: the record is matched
//! by its name, and other rows of the import may refer to it by that id (an export's
//! contacts name their account by id). An empty cell leaves a value as it is.

use std::collections::HashMap;

use automerge::AutoCommit;
use rapport_client_core::model::{self, Account, Contact, Record};
use rapport_client_core::protocol::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::fields::{Field, Sheet};
use super::{ImportKind, RowAction, RowOutcome};
use crate::db::{account_teams, accounts, contacts, documents, teams, users};
use crate::error::{ApiError, ApiResult};

mod records;

/// A team to create.
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub id: String,
    pub name: String,
}

/// A user to create or update (never their password).
#[derive(Debug, Clone)]
pub enum UserOp {
    Create {
        id: String,
        username: String,
        display_name: String,
        role: Role,
        team_id: Option<String>,
        password: Option<String>,
        /// `false` for someone the file says no longer works here (an export's
        /// deactivated users): created deactivated, with no password to hand over.
        active: bool,
    },
    Update {
        row: users::Model,
        display_name: String,
        role: Role,
        team_id: Option<String>,
    },
}

/// A document to create, or an existing one to change.
#[derive(Debug, Clone)]
pub enum DocOp<R> {
    Create { id: String, record: R },
    Update { doc: documents::Model, record: R },
}

/// An account-team membership to grant (or grant again).
#[derive(Debug, Clone)]
pub struct Grant {
    pub account_id: String,
    pub user_id: String,
    pub existing: bool,
}

/// Everything an import would write, and every row's outcome.
#[derive(Debug, Default)]
pub struct Plan {
    pub rows: Vec<RowOutcome>,
    pub teams: Vec<NewTeam>,
    pub users: Vec<UserOp>,
    pub accounts: Vec<DocOp<Account>>,
    pub contacts: Vec<DocOp<Contact>>,
    pub grants: Vec<Grant>,
}

impl Plan {
    /// Nothing to write: every row is unchanged (or refused).
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty()
            && self.users.is_empty()
            && self.accounts.is_empty()
            && self.contacts.is_empty()
            && self.grants.is_empty()
    }

    pub fn refused(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.action == RowAction::Refused)
            .count()
    }
}

/// What the company has now, indexed by the keys rows match on.
struct Existing {
    teams: HashMap<String, teams::Model>,
    users: HashMap<String, users::Model>,
    user_ids: HashMap<String, String>,
    /// Accounts not removed, by name → id; and every account's (name, deleted) by id.
    account_names: HashMap<String, String>,
    accounts: HashMap<String, (String, bool)>,
    /// Removed accounts by name → id: a row that says its account is removed matches one.
    removed_account_names: HashMap<String, String>,
    /// Contacts not removed, by (account id, name) → id; and every contact's account by id.
    contact_keys: HashMap<(String, String), String>,
    contacts: HashMap<String, String>,
    removed_contact_keys: HashMap<(String, String), String>,
    memberships: HashMap<(String, String), bool>,
}

async fn load(conn: &impl ConnectionTrait, tenant_id: &str) -> ApiResult<Existing> {
    let team_rows = teams::Entity::find()
        .filter(teams::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?;
    let user_rows = users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?;
    let account_rows: Vec<(String, String, bool)> = accounts::Entity::find()
        .select_only()
        .columns([
            accounts::Column::Id,
            accounts::Column::Name,
            accounts::Column::Deleted,
        ])
        .filter(accounts::Column::TenantId.eq(tenant_id))
        .into_tuple()
        .all(conn)
        .await?;
    let contact_rows: Vec<(String, String, String, bool)> = contacts::Entity::find()
        .select_only()
        .columns([
            contacts::Column::Id,
            contacts::Column::AccountId,
            contacts::Column::Name,
            contacts::Column::Deleted,
        ])
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .into_tuple()
        .all(conn)
        .await?;
    let members = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?;
    let mut e = Existing {
        teams: HashMap::new(),
        users: HashMap::new(),
        user_ids: HashMap::new(),
        account_names: HashMap::new(),
        accounts: HashMap::new(),
        removed_account_names: HashMap::new(),
        contact_keys: HashMap::new(),
        contacts: HashMap::new(),
        removed_contact_keys: HashMap::new(),
        memberships: members
            .into_iter()
            .map(|m| ((m.account_id, m.user_id), m.active))
            .collect(),
    };
    for t in team_rows {
        e.teams.insert(t.id.clone(), t.clone());
        e.teams.entry(t.name.clone()).or_insert(t);
    }
    for u in user_rows {
        e.user_ids.insert(u.id.clone(), u.username.clone());
        e.users.insert(u.username.clone(), u);
    }
    for (id, name, deleted) in account_rows {
        if deleted {
            e.removed_account_names.insert(name.clone(), id.clone());
        } else {
            e.account_names.insert(name.clone(), id.clone());
        }
        e.accounts.insert(id, (name, deleted));
    }
    for (id, account, name, deleted) in contact_rows {
        if deleted {
            e.removed_contact_keys
                .insert((account.clone(), name), id.clone());
        } else {
            e.contact_keys.insert((account.clone(), name), id.clone());
        }
        e.contacts.insert(id, account);
    }
    Ok(e)
}

/// Reads stored documents by id, in batches.
async fn documents_by_id(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    ids: Vec<String>,
) -> ApiResult<HashMap<String, documents::Model>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = documents::Entity::find()
            .filter(documents::Column::TenantId.eq(tenant_id))
            .filter(documents::Column::Id.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|d| (d.id.clone(), d)));
    }
    Ok(out)
}

/// A stored document's record.
pub fn read_stored<R: Record>(doc: &documents::Model) -> ApiResult<R> {
    let loaded = AutoCommit::load(&doc.snapshot).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "stored document {} is corrupt: {e}",
            doc.id
        ))
    })?;
    model::read_record(&loaded).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "stored document {} does not read: {e}",
            doc.id
        ))
    })
}

/// Plans the import of `sheets` into the company: teams, users, accounts, contacts, then
/// account teams, whatever order the files came in.
pub async fn plan(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    sheets: &[Sheet],
) -> ApiResult<Plan> {
    let existing = load(conn, tenant_id).await?;
    let mut p = Planner {
        e: existing,
        plan: Plan::default(),
        new_teams: HashMap::new(),
        new_users: HashMap::new(),
        account_rows: HashMap::new(),
        file_accounts: HashMap::new(),
        file_rows: HashMap::new(),
        contact_rows: HashMap::new(),
        matched_contacts: HashMap::new(),
        grants: HashMap::new(),
    };
    let of = |kind: ImportKind| sheets.iter().filter(move |s| s.kind == kind);
    for sheet in of(ImportKind::Team) {
        for (line, row) in &sheet.table.rows {
            p.team_row(sheet, *line, row);
        }
    }
    for sheet in of(ImportKind::User) {
        for (line, row) in &sheet.table.rows {
            p.user_row(sheet, *line, row);
        }
    }
    // Accounts and contacts: the stored documents of the rows that match one are read
    // in batches first, then every row is planned.
    let wanted = |kind, find: &dyn Fn(&Sheet, &[String]) -> Option<String>| {
        of(kind)
            .flat_map(|s| s.table.rows.iter().filter_map(move |(_, r)| find(s, r)))
            .collect::<Vec<_>>()
    };
    let account_ids = wanted(ImportKind::Account, &|s, r| p.existing_account(s, r));
    let mut docs = documents_by_id(conn, tenant_id, account_ids).await?;
    for sheet in of(ImportKind::Account) {
        for (line, row) in &sheet.table.rows {
            p.account_row(sheet, *line, row, &docs)?;
        }
    }
    let contact_ids = wanted(ImportKind::Contact, &|s, r| p.existing_contact(s, r));
    docs = documents_by_id(conn, tenant_id, contact_ids).await?;
    for sheet in of(ImportKind::Contact) {
        for (line, row) in &sheet.table.rows {
            p.contact_row(sheet, *line, row, &docs)?;
        }
    }
    for sheet in of(ImportKind::Assignment) {
        for (line, row) in &sheet.table.rows {
            p.assignment_row(sheet, *line, row);
        }
    }
    Ok(p.plan)
}

/// The planner's state: what the company has, and what earlier rows of the import add.
struct Planner {
    e: Existing,
    plan: Plan,
    /// Teams the import creates, by name → id.
    new_teams: HashMap<String, String>,
    /// Users the import creates, by user name → id.
    new_users: HashMap<String, String>,
    /// Accounts of the import (created or matched), by name → (id, where first listed).
    account_rows: HashMap<String, (String, String)>,
    /// The same accounts by the id their file gave them, and where that id is listed.
    file_accounts: HashMap<String, String>,
    file_rows: HashMap<String, String>,
    /// Contacts of the import by (account id, name), or ("", file id), → where listed.
    contact_rows: HashMap<(String, String), String>,
    /// Stored contacts a row of the import matched, by id → where that row is: two rows
    /// (two people of one name, say) never write over the same contact.
    matched_contacts: HashMap<String, String>,
    /// Grants of the import by (account id, user id) → where first listed.
    grants: HashMap<(String, String), String>,
}

fn at(sheet: &Sheet, line: usize) -> String {
    format!("line {line} of {}", sheet.table.label())
}

impl Planner {
    fn outcome(
        &mut self,
        sheet: &Sheet,
        line: usize,
        kind: ImportKind,
        key: &str,
        action: RowAction,
        reason: Option<String>,
    ) {
        self.plan.rows.push(RowOutcome {
            file: sheet.table.file.clone(),
            sheet: sheet.table.sheet.clone(),
            line,
            kind,
            key: key.to_owned(),
            action,
            reason,
        });
    }

    fn refuse(&mut self, sheet: &Sheet, line: usize, kind: ImportKind, key: &str, why: String) {
        self.outcome(sheet, line, kind, key, RowAction::Refused, Some(why));
    }

    /// The team of this name (or id): an existing one, one of the import, or a new one
    /// created here for this row.
    fn team(&mut self, sheet: &Sheet, line: usize, name: &str) -> Result<String, String> {
        if let Some(t) = self.e.teams.get(name) {
            return Ok(t.id.clone());
        }
        if let Some(id) = self.new_teams.get(name) {
            return Ok(id.clone());
        }
        if name.len() > model::limits::NAME_MAX {
            return Err(format!(
                "team name: at most {} bytes",
                model::limits::NAME_MAX
            ));
        }
        let id = model::new_id();
        self.new_teams.insert(name.to_owned(), id.clone());
        self.plan.teams.push(NewTeam {
            id: id.clone(),
            name: name.to_owned(),
        });
        self.outcome(sheet, line, ImportKind::Team, name, RowAction::Create, None);
        Ok(id)
    }

    fn team_row(&mut self, sheet: &Sheet, line: usize, row: &[String]) {
        let Some(name) = sheet.get(row, Field::Name) else {
            let why = "the team's name is empty".to_owned();
            return self.refuse(sheet, line, ImportKind::Team, "", why);
        };
        if self.e.teams.contains_key(name) || self.new_teams.contains_key(name) {
            return self.outcome(
                sheet,
                line,
                ImportKind::Team,
                name,
                RowAction::Unchanged,
                None,
            );
        }
        if let Err(why) = self.team(sheet, line, name) {
            self.refuse(sheet, line, ImportKind::Team, name, why);
        }
    }

    /// A user by name or id, existing or of the import.
    fn user_id(&self, name: &str) -> Option<String> {
        if let Some(u) = self.e.users.get(name) {
            return Some(u.id.clone());
        }
        if self.e.user_ids.contains_key(name) {
            return Some(name.to_owned());
        }
        self.new_users.get(name).cloned()
    }

    /// An account by the id a file gave it, its id here, or its name (of the import
    /// first, then stored and not removed).
    fn account_id(&self, text: &str) -> Option<String> {
        if let Some(id) = self.file_accounts.get(text) {
            return Some(id.clone());
        }
        if self.e.accounts.contains_key(text) {
            return Some(text.to_owned());
        }
        if let Some((id, _)) = self.account_rows.get(text) {
            return Some(id.clone());
        }
        self.e.account_names.get(text).cloned()
    }

    fn account_name(&self, id: &str) -> String {
        if let Some((name, _)) = self.e.accounts.get(id) {
            return name.clone();
        }
        self.account_rows
            .iter()
            .find(|(_, (i, _))| i == id)
            .map_or_else(|| id.to_owned(), |(n, _)| n.clone())
    }

    fn assignment_row(&mut self, sheet: &Sheet, line: usize, row: &[String]) {
        let kind = ImportKind::Assignment;
        let account = sheet.get(row, Field::Account).unwrap_or_default();
        let user = sheet.get(row, Field::Username).unwrap_or_default();
        let key = format!("{account} → {user}");
        if account.is_empty() || user.is_empty() {
            let why = "give both the account and the user name".to_owned();
            return self.refuse(sheet, line, kind, &key, why);
        }
        let Some(account_id) = self.account_id(account) else {
            let why = format!("no account '{account}' in the company or the import");
            return self.refuse(sheet, line, kind, &key, why);
        };
        if self.e.accounts.get(&account_id).is_some_and(|(_, d)| *d) {
            let why = format!("account '{account}' is removed");
            return self.refuse(sheet, line, kind, &key, why);
        }
        let Some(user_id) = self.user_id(user) else {
            let why = format!("no user '{user}' in the company or the import");
            return self.refuse(sheet, line, kind, &key, why);
        };
        let key = format!("{} → {user}", self.account_name(&account_id));
        let pair = (account_id.clone(), user_id.clone());
        match sheet.get(row, Field::Active).map(super::fields::flag) {
            Some(None) => {
                let why = "active: yes or no".to_owned();
                return self.refuse(sheet, line, kind, &key, why);
            }
            Some(Some(false)) => {
                let why = "not active in the file: an import only adds account teams".to_owned();
                return self.outcome(sheet, line, kind, &key, RowAction::Unchanged, Some(why));
            }
            _ => {}
        }
        if let Some(first) = self.grants.get(&pair) {
            let why = format!("listed already at {first}");
            return self.outcome(sheet, line, kind, &key, RowAction::Unchanged, Some(why));
        }
        self.grants.insert(pair.clone(), at(sheet, line));
        let (action, existing) = match self.e.memberships.get(&pair) {
            Some(true) => (RowAction::Unchanged, true),
            Some(false) => (RowAction::Update, true),
            None => (RowAction::Create, false),
        };
        if action != RowAction::Unchanged {
            self.plan.grants.push(Grant {
                account_id,
                user_id,
                existing,
            });
        }
        self.outcome(sheet, line, kind, &key, action, None);
    }
}
