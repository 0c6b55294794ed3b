//! Each company's rules (value weights and tiers, cadences, check-in radius, late-logging
//! threshold, favour limit, weekly target): stored as JSON with a version that devices
//! follow, so a change reaches them with their next sync.

use rapport_client_core::model::Rules;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::db::tenant_rules;
use crate::error::{ApiError, ApiResult};

/// The company's rules and their version; the defaults (version 0) until an admin sets
/// them.
pub async fn load(conn: &impl ConnectionTrait, tenant_id: &str) -> ApiResult<(u64, Rules)> {
    match tenant_rules::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
    {
        Some(row) => {
            let rules: Rules = serde_json::from_str(&row.rules).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "stored rules of {tenant_id} unreadable: {e}"
                ))
            })?;
            Ok((u64::try_from(row.version).unwrap_or(0), rules))
        }
        None => Ok((0, Rules::default())),
    }
}

/// Replaces the company's rules, raising their version.
pub async fn save(conn: &impl ConnectionTrait, tenant_id: &str, rules: &Rules) -> ApiResult<u64> {
    rules.validate().map_err(ApiError::Unprocessable)?;
    let json = serde_json::to_string(rules)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding rules: {e}")))?;
    let existing = tenant_rules::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?;
    let version = existing.as_ref().map_or(0, |r| r.version) + 1;
    let row = tenant_rules::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        version: Set(version),
        rules: Set(json),
    };
    if existing.is_some() {
        row.update(conn).await?;
    } else {
        row.insert(conn).await?;
    }
    Ok(u64::try_from(version).unwrap_or(0))
}

/// Applies `name = value` pairs (JSON values) to the rules, refusing unknown names.
pub fn patch(
    rules: &Rules,
    changes: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Rules> {
    let mut value = serde_json::to_value(rules)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding rules: {e}")))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("rules are not an object")))?;
    for (name, v) in changes {
        if !obj.contains_key(name) {
            return Err(ApiError::Unprocessable(format!("no rule named '{name}'")));
        }
        // Each value against its range before it is read into the rules: the answer names
        // the rule and what it may be, whatever was sent (a string, 1e308, 7.5 days).
        let range = rapport_client_core::model::rule_range(name)
            .ok_or_else(|| ApiError::Unprocessable(format!("no rule named '{name}'")))?;
        let n = v
            .as_f64()
            .filter(|n| range.allows(*n))
            .ok_or_else(|| ApiError::Unprocessable(range.refusal()))?;
        let v = if range.whole {
            // In range and whole, so exactly an i64.
            #[allow(clippy::cast_possible_truncation)]
            serde_json::Value::from(n as i64)
        } else {
            v.clone()
        };
        obj.insert(name.clone(), v);
    }
    let patched: Rules = serde_json::from_value(value)
        .map_err(|e| ApiError::Unprocessable(format!("rules: {e}")))?;
    patched.validate().map_err(ApiError::Unprocessable)?;
    Ok(patched)
}
