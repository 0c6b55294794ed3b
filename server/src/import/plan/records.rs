//! Planning one row of users, accounts or contacts: the record it gives, checked with the
//! same rules as everywhere else (`admin`'s checks for users, the model's `validate` for
//! documents), and compared with the stored one.

use std::collections::HashMap;

use rapport_client_core::model::{
    self, Account, AdminLevel, BuyingRole, Contact, GeoPoint, Record, RelationshipLevel, Tier,
};
use rapport_client_core::protocol::Role;

use super::super::fields::{self, Field, Sheet};
use super::super::{ImportKind, RowAction};
use super::{DocOp, Planner, UserOp, at, read_stored};

use crate::db::documents;
use crate::error::ApiResult;

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{field}: '{text}' is not a number"))
}

fn text(sheet: &Sheet, row: &[String], field: Field, into: &mut Option<String>) {
    if let Some(v) = sheet.get(row, field) {
        *into = Some(v.to_owned());
    }
}

fn flag(sheet: &Sheet, row: &[String], field: Field, name: &str) -> Result<Option<bool>, String> {
    sheet
        .get(row, field)
        .map(|v| fields::flag(v).ok_or_else(|| format!("{name}: '{v}' is not yes or no")))
        .transpose()
}

/// Whether the row says its record is removed: then it may match a removed record of
/// the same name (live records are matched first, and a live row never matches a removed
/// one: it is a new record).
fn says_removed(sheet: &Sheet, row: &[String]) -> bool {
    sheet
        .get(row, Field::Deleted)
        .and_then(fields::flag)
        .unwrap_or(false)
}

/// The account's fields the row gives, over `a`.
fn account_fields(sheet: &Sheet, row: &[String], a: &mut Account) -> Result<(), String> {
    if let Some(name) = sheet.get(row, Field::Name) {
        a.name = name.to_owned();
    }
    text(sheet, row, Field::Industry, &mut a.industry);
    text(sheet, row, Field::City, &mut a.city);
    let (lat, lon) = match sheet.get(row, Field::Position) {
        Some(p) => {
            let (lat, lon) = p
                .split_once([',', '，', ' '])
                .ok_or_else(|| format!("position: '{p}' is not 'latitude,longitude'"))?;
            (Some(lat.trim()), Some(lon.trim()))
        }
        None => (sheet.get(row, Field::Lat), sheet.get(row, Field::Lon)),
    };
    match (lat, lon) {
        (Some(lat), Some(lon)) => {
            a.location = Some(GeoPoint {
                lat: number("latitude", lat)?,
                lon: number("longitude", lon)?,
            });
        }
        (None, None) => {}
        _ => return Err("location: give both latitude and longitude, or neither".into()),
    }
    if let Some(t) = sheet.get(row, Field::Tier) {
        let tier = fields::term(Tier::TERMS, Tier::ALL, Tier::code, t)
            .ok_or_else(|| format!("tier: '{t}' is not one of {}", fields::choices(Tier::TERMS)))?;
        a.tier_override = Some(tier);
    }
    for (field, name, into) in [
        (Field::CadenceDays, "cadence_days", &mut a.cadence_days),
        (Field::CurrentValue, "current_value", &mut a.current_value),
        (
            Field::PotentialValue,
            "potential_value",
            &mut a.potential_value,
        ),
    ] {
        if let Some(v) = sheet.get(row, field) {
            *into = Some(number(name, v)?);
        }
    }
    if let Some(d) = flag(sheet, row, Field::Deleted, "deleted")? {
        a.deleted = d;
    }
    Ok(())
}

/// The contact's fields the row gives, over `c`.
fn contact_fields(sheet: &Sheet, row: &[String], c: &mut Contact) -> Result<(), String> {
    if let Some(name) = sheet.get(row, Field::Name) {
        c.name = name.to_owned();
    }
    text(sheet, row, Field::Title, &mut c.title);
    text(sheet, row, Field::Phone, &mut c.phone);
    text(sheet, row, Field::Notes, &mut c.notes);
    if let Some(v) = sheet.get(row, Field::AdminLevel) {
        c.admin_level = Some(
            fields::term(AdminLevel::TERMS, AdminLevel::ALL, AdminLevel::code, v).ok_or_else(
                || {
                    format!(
                        "admin_level: '{v}' is not one of {}",
                        fields::choices(AdminLevel::TERMS)
                    )
                },
            )?,
        );
    }
    if let Some(v) = sheet.get(row, Field::RelationshipLevel) {
        c.relationship_level = Some(
            fields::term(
                RelationshipLevel::TERMS,
                RelationshipLevel::ALL,
                RelationshipLevel::code,
                v,
            )
            .ok_or_else(|| {
                format!(
                    "relationship_level: '{v}' is not one of {}",
                    fields::choices(RelationshipLevel::TERMS)
                )
            })?,
        );
    }
    if let Some(k) = flag(sheet, row, Field::KeyContact, "key_contact")? {
        c.key_contact = k;
    }
    if let Some(v) = sheet.get(row, Field::Roles) {
        let mut roles = Vec::new();
        for part in fields::list(v) {
            let role = fields::term(BuyingRole::TERMS, BuyingRole::ALL, BuyingRole::code, part)
                .ok_or_else(|| {
                    format!(
                        "roles: '{part}' is not one of {}",
                        fields::choices(BuyingRole::TERMS)
                    )
                })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        c.roles = roles;
    }
    if let Some(d) = flag(sheet, row, Field::Deleted, "deleted")? {
        c.deleted = d;
    }
    Ok(())
}

/// The step a row's record takes: none when it equals the stored record it matched, an
/// update of that record's document, or, when none is stored, a new record `new_id`.
fn step<R: PartialEq>(
    ops: &mut Vec<DocOp<R>>,
    doc: Option<&documents::Model>,
    before: Option<R>,
    record: R,
    new_id: String,
) -> RowAction {
    match (doc, before) {
        (Some(_), Some(b)) if b == record => RowAction::Unchanged,
        (Some(doc), _) => {
            let doc = doc.clone();
            ops.push(DocOp::Update { doc, record });
            RowAction::Update
        }
        (None, _) => {
            ops.push(DocOp::Create { id: new_id, record });
            RowAction::Create
        }
    }
}

impl Planner {
    /// The stored account a row matches: by its id here, else by its name.
    pub(super) fn existing_account(&self, sheet: &Sheet, row: &[String]) -> Option<String> {
        if let Some(id) = sheet.get(row, Field::Id)
            && self.e.accounts.contains_key(id)
        {
            return Some(id.to_owned());
        }
        let name = sheet.get(row, Field::Name)?;
        self.e.account_names.get(name).cloned().or_else(|| {
            says_removed(sheet, row)
                .then(|| self.e.removed_account_names.get(name).cloned())
                .flatten()
        })
    }

    /// The stored contact a row matches: by its id here, else by its account and name.
    pub(super) fn existing_contact(&self, sheet: &Sheet, row: &[String]) -> Option<String> {
        if let Some(id) = sheet.get(row, Field::Id)
            && self.e.contacts.contains_key(id)
        {
            return Some(id.to_owned());
        }
        let account = self.account_id(sheet.get(row, Field::Account)?)?;
        let key = (account, sheet.get(row, Field::Name)?.to_owned());
        self.e.contact_keys.get(&key).cloned().or_else(|| {
            says_removed(sheet, row)
                .then(|| self.e.removed_contact_keys.get(&key).cloned())
                .flatten()
        })
    }

    pub(super) fn account_row(
        &mut self,
        sheet: &Sheet,
        line: usize,
        row: &[String],
        docs: &HashMap<String, documents::Model>,
    ) -> ApiResult<()> {
        let kind = ImportKind::Account;
        let matched = self.existing_account(sheet, row);
        let doc = matched.as_ref().and_then(|id| docs.get(id));
        let before: Option<Account> = doc.map(read_stored).transpose()?;
        let mut account = before.clone().unwrap_or_default();
        let result = account_fields(sheet, row, &mut account);
        let key = account.name.clone();
        if let Err(why) = result {
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        if key.trim().is_empty() {
            self.refuse(
                sheet,
                line,
                kind,
                &key,
                "the account's name is empty".into(),
            );
            return Ok(());
        }
        let id = matched.clone().unwrap_or_else(model::new_id);
        // Listed twice: the same id, or (rows without ids) the same name. An export may
        // hold a removed account and a live one of the same name, each with its id.
        let file_id = sheet.get(row, Field::Id);
        let clash = match file_id {
            Some(f) => self.file_rows.get(f).cloned(),
            None => self.account_rows.get(&key).map(|(_, w)| w.clone()),
        }
        .or_else(|| {
            self.account_rows
                .values()
                .find(|(i, _)| *i == id)
                .map(|(_, w)| w.clone())
        });
        if let Some(first) = clash {
            let why = format!("the same account as {first}");
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        if let Some(other) = self.e.account_names.get(&key)
            && *other != id
            && !account.deleted
        {
            let why = format!("another account is named '{key}' already");
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        if let Err(e) = account.validate() {
            self.refuse(sheet, line, kind, &key, e.to_string());
            return Ok(());
        }
        if !account.deleted || !self.account_rows.contains_key(&key) {
            self.account_rows
                .insert(key.clone(), (id.clone(), at(sheet, line)));
        }
        if let Some(f) = file_id {
            self.file_accounts.insert(f.to_owned(), id.clone());
            self.file_rows.insert(f.to_owned(), at(sheet, line));
        }
        let action = step(&mut self.plan.accounts, doc, before, account, id);
        self.outcome(sheet, line, kind, &key, action, None);
        Ok(())
    }

    pub(super) fn contact_row(
        &mut self,
        sheet: &Sheet,
        line: usize,
        row: &[String],
        docs: &HashMap<String, documents::Model>,
    ) -> ApiResult<()> {
        let kind = ImportKind::Contact;
        let account_text = sheet.get(row, Field::Account).unwrap_or_default();
        let name_text = sheet.get(row, Field::Name).unwrap_or_default();
        let mut key = format!("{account_text} / {name_text}");
        let Some(account_id) = self.account_id(account_text) else {
            let why = if account_text.is_empty() {
                "the contact's account is empty".to_owned()
            } else {
                format!("no account '{account_text}' in the company or the import")
            };
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        };
        let account_name = self.account_name(&account_id);
        if self.e.accounts.get(&account_id).is_some_and(|(_, d)| *d) {
            let why = format!("account '{account_name}' is removed");
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        let matched = self.existing_contact(sheet, row);
        if let Some(id) = &matched
            && self.e.contacts.get(id).is_some_and(|a| *a != account_id)
        {
            let why = "a contact cannot move to another account".to_owned();
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        let doc = matched.as_ref().and_then(|id| docs.get(id));
        let before: Option<Contact> = doc.map(read_stored).transpose()?;
        let mut contact = before.clone().unwrap_or_else(|| Contact {
            account_id: account_id.clone(),
            ..Default::default()
        });
        let result = contact_fields(sheet, row, &mut contact);
        key = format!("{account_name} / {}", contact.name);
        if let Err(why) = result {
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        if contact.name.trim().is_empty() {
            self.refuse(
                sheet,
                line,
                kind,
                &key,
                "the contact's name is empty".into(),
            );
            return Ok(());
        }
        // Listed twice: the same id, or (rows without ids) the same account and name.
        let pair = match sheet.get(row, Field::Id) {
            Some(f) => (String::new(), f.to_owned()),
            None => (account_id, contact.name.clone()),
        };
        if let Some(first) = self.contact_rows.get(&pair) {
            let why = format!("the same contact as {first}");
            self.refuse(sheet, line, kind, &key, why);
            return Ok(());
        }
        if let Err(e) = contact.validate() {
            self.refuse(sheet, line, kind, &key, e.to_string());
            return Ok(());
        }
        if let Some(id) = &matched {
            if let Some(first) = self.matched_contacts.get(id) {
                let why = format!(
                    "matches the same stored contact as {first}: give each row the \
                     contact's id, or tell them apart by name"
                );
                self.refuse(sheet, line, kind, &key, why);
                return Ok(());
            }
            self.matched_contacts.insert(id.clone(), at(sheet, line));
        }
        self.contact_rows.insert(pair, at(sheet, line));
        let action = step(
            &mut self.plan.contacts,
            doc,
            before,
            contact,
            model::new_id(),
        );
        self.outcome(sheet, line, kind, &key, action, None);
        Ok(())
    }

    pub(super) fn user_row(&mut self, sheet: &Sheet, line: usize, row: &[String]) {
        let kind = ImportKind::User;
        let username = sheet
            .get(row, Field::Username)
            .unwrap_or_default()
            .to_owned();
        match self.user(sheet, line, row, &username) {
            Ok((action, reason)) => self.outcome(sheet, line, kind, &username, action, reason),
            Err(why) => self.refuse(sheet, line, kind, &username, why),
        }
    }

    fn user(
        &mut self,
        sheet: &Sheet,
        line: usize,
        row: &[String],
        username: &str,
    ) -> Result<(RowAction, Option<String>), String> {
        crate::admin::check_username(username).map_err(|e| e.to_string())?;
        if self.new_users.contains_key(username)
            || self
                .plan
                .users
                .iter()
                .any(|u| matches!(u, UserOp::Update { row, .. } if row.username == username))
        {
            return Err("this user is listed twice".into());
        }
        let role = match sheet.get(row, Field::Role) {
            Some(r) => Some(fields::role(r).ok_or_else(|| {
                format!("role: '{r}' is not rep (销售), manager (经理) or admin (管理员)")
            })?),
            None => None,
        };
        let team_id = match sheet.get(row, Field::Team) {
            Some(t) => Some(self.team(sheet, line, t)?),
            None => None,
        };
        let display_name = sheet.get(row, Field::DisplayName).map(str::to_owned);
        if let Some(d) = &display_name {
            crate::admin::check_name("display name", d).map_err(|e| e.to_string())?;
        }
        let password = sheet.get(row, Field::Password).map(str::to_owned);
        // An import never deactivates nor reactivates someone already here.
        let active = flag(sheet, row, Field::Active, "active")?;
        if let Some(existing) = self.e.users.get(username).cloned() {
            let old_role = Role::parse(&existing.role).unwrap_or(Role::Rep);
            let role = role.unwrap_or(old_role);
            if old_role == Role::Admin && role != Role::Admin {
                return Err("an admin's role is not changed by an import".into());
            }
            let team_id = team_id.or_else(|| existing.team_id.clone());
            if role == Role::Manager && team_id.is_none() {
                return Err("a manager needs a team".into());
            }
            let display_name = display_name.unwrap_or_else(|| existing.display_name.clone());
            let kept = password
                .is_some()
                .then(|| "an existing user's password is left as it is".to_owned());
            if role == old_role
                && team_id == existing.team_id
                && display_name == existing.display_name
            {
                return Ok((RowAction::Unchanged, kept));
            }
            self.plan.users.push(UserOp::Update {
                row: existing,
                display_name,
                role,
                team_id,
            });
            return Ok((RowAction::Update, kept));
        }
        let role = role.unwrap_or(Role::Rep);
        if role == Role::Manager && team_id.is_none() {
            return Err("a manager needs a team".into());
        }
        if let Some(p) = &password {
            crate::admin::check_password(p).map_err(|e| e.to_string())?;
        }
        let id = model::new_id();
        self.new_users.insert(username.to_owned(), id.clone());
        self.plan.users.push(UserOp::Create {
            id,
            username: username.to_owned(),
            display_name: display_name.unwrap_or_else(|| username.to_owned()),
            role,
            team_id,
            password,
            active: active.unwrap_or(true),
        });
        Ok((RowAction::Create, None))
    }
}
