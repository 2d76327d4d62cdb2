use afflux_domain::{ApiKeyId, ApiScope, Permission, bounded_text};
use afflux_store::{ApiKey, Tx};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::secrets::{random_token, sha256};
use crate::{Actor, ActorKind, App, AppError, AppResult, audit};

const KEY_PREFIX: &str = "afx_live_";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    pub scope: ApiScope,
}

/// A key as created or rotated: the secret is in here and nowhere else, ever again.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

impl App {
    pub(crate) async fn insert_api_key(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        name: &str,
        scope: ApiScope,
    ) -> AppResult<(ApiKey, String)> {
        let secret = format!("{KEY_PREFIX}{}", random_token(32));
        let key = ApiKey {
            id: ApiKeyId::new(),
            org_id: actor.org_id,
            name: name.to_owned(),
            scope,
            role: actor.role,
            prefix: secret[..KEY_PREFIX.len() + 6].to_owned(),
            token_hash: sha256(&secret),
            created_by: actor.user_id(),
            created_at: OffsetDateTime::now_utc(),
            revoked_at: None,
        };
        tx.insert_api_key(&key).await?;
        audit::record(
            tx,
            actor.org_id,
            &actor.audit_name(),
            "api_key.created",
            ("api_key", &key.id),
            None::<&()>,
            Some(&key_summary(&key)),
        )
        .await?;
        Ok((key, secret))
    }

    pub async fn create_api_key(&self, actor: &Actor, input: NewApiKey) -> AppResult<CreatedApiKey> {
        actor.authorize(Permission::ManageApiKeys, true)?;
        let name = bounded_text("name", &input.name, 100)?;
        let mut tx = self.store().write().await?;
        let (key, secret) = self.insert_api_key(tx.as_mut(), actor, &name, input.scope).await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret })
    }

    pub async fn list_api_keys(&self, actor: &Actor) -> AppResult<Vec<ApiKey>> {
        actor.authorize(Permission::ManageApiKeys, false)?;
        Ok(self.store().read().await?.list_api_keys(actor.org_id).await?)
    }

    /// Replaces a key: the old one is revoked and a new one with the same name and scope issued,
    /// in one transaction.
    pub async fn rotate_api_key(&self, actor: &Actor, id: ApiKeyId) -> AppResult<CreatedApiKey> {
        actor.authorize(Permission::ManageApiKeys, true)?;
        let mut tx = self.store().write().await?;
        let old = tx
            .get_api_key(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("API key"))?;
        if old.revoked_at.is_some() {
            return Err(AppError::conflict(
                "api_key_revoked",
                None,
                "this key is revoked; create a new one",
            ));
        }
        tx.revoke_api_key(actor.org_id, id, OffsetDateTime::now_utc()).await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "api_key.rotated",
            ("api_key", &id),
            Some(&key_summary(&old)),
            None::<&()>,
        )
        .await?;
        let (key, secret) = self.insert_api_key(tx.as_mut(), actor, &old.name, old.scope).await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret })
    }

    pub async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> AppResult<()> {
        actor.authorize(Permission::ManageApiKeys, true)?;
        let mut tx = self.store().write().await?;
        let key = tx
            .get_api_key(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("API key"))?;
        if tx.revoke_api_key(actor.org_id, id, OffsetDateTime::now_utc()).await? {
            audit::record(
                tx.as_mut(),
                actor.org_id,
                &actor.audit_name(),
                "api_key.revoked",
                ("api_key", &id),
                Some(&key_summary(&key)),
                None::<&()>,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind `Authorization: Bearer afx_live_…`, if the key exists and is not revoked.
    pub async fn authenticate_api_key(&self, secret: &str) -> AppResult<Actor> {
        let unauthorized = || AppError::Unauthorized("missing, unknown or revoked API key".into());
        if !secret.starts_with(KEY_PREFIX) {
            return Err(unauthorized());
        }
        let mut tx = self.store().read().await?;
        let key = tx
            .get_api_key_by_hash(&sha256(secret))
            .await?
            .ok_or_else(unauthorized)?;
        if key.revoked_at.is_some() {
            return Err(unauthorized());
        }
        // A key never outranks the member who made it: it acts with the weaker of the two roles
        // (Role orders from most to least powerful), and stops working when they leave the team.
        let role = match key.created_by {
            None => key.role,
            Some(user) => match tx.get_member(key.org_id, user).await? {
                Some(member) => key.role.max(member.role),
                None => return Err(unauthorized()),
            },
        };
        Ok(Actor {
            org_id: key.org_id,
            role,
            kind: ActorKind::ApiKey {
                id: key.id,
                scope: key.scope,
            },
        })
    }
}

/// What the audit log keeps of a key: never its hash.
fn key_summary(key: &ApiKey) -> serde_json::Value {
    serde_json::json!({ "name": key.name, "scope": key.scope, "role": key.role, "prefix": key.prefix })
}
