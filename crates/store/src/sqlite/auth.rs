//! Users, team members, sessions, invitations and API keys.

use afflux_domain::{ApiKeyId, InviteId, OrgId, Role, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::row::{get_id, get_opt_id, get_opt_ts, get_parsed, get_ts, opt_ts, ts};
use crate::{ApiKey, Invite, MemberView, Session, StoreResult, TeamMember, User};

fn user(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: get_id(row, "id")?,
        email: get_parsed(row, "email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        created_at: get_ts(row, "created_at")?,
    })
}

fn member(row: &SqliteRow) -> StoreResult<TeamMember> {
    Ok(TeamMember {
        org_id: get_id(row, "org_id")?,
        user_id: get_id(row, "user_id")?,
        role: get_parsed(row, "role")?,
        created_at: get_ts(row, "created_at")?,
    })
}

fn invite(row: &SqliteRow) -> StoreResult<Invite> {
    Ok(Invite {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        email: get_parsed(row, "email")?,
        role: get_parsed(row, "role")?,
        token_hash: row.try_get("token_hash")?,
        invited_by: get_opt_id(row, "invited_by")?,
        created_at: get_ts(row, "created_at")?,
        expires_at: get_ts(row, "expires_at")?,
        accepted_at: get_opt_ts(row, "accepted_at")?,
    })
}

fn api_key(row: &SqliteRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        name: row.try_get("name")?,
        scope: get_parsed(row, "scope")?,
        role: get_parsed(row, "role")?,
        prefix: row.try_get("prefix")?,
        token_hash: row.try_get("token_hash")?,
        created_by: get_opt_id(row, "created_by")?,
        created_at: get_ts(row, "created_at")?,
        revoked_at: get_opt_ts(row, "revoked_at")?,
    })
}

fn session(row: &SqliteRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        user_id: get_id(row, "user_id")?,
        org_id: get_id(row, "org_id")?,
        created_at: get_ts(row, "created_at")?,
        expires_at: get_ts(row, "expires_at")?,
    })
}

pub(super) async fn insert_user(c: &mut SqliteConnection, u: &User) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (id, email, email_key, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(u.id.0)
    .bind(u.email.as_str())
    .bind(u.email.key())
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(ts(u.created_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_user(c: &mut SqliteConnection, id: UserId) -> StoreResult<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(user)
        .transpose()
}

pub(super) async fn get_user_by_email(c: &mut SqliteConnection, email_key: &str) -> StoreResult<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE email_key = $1")
        .bind(email_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(user)
        .transpose()
}

pub(super) async fn set_user_password(c: &mut SqliteConnection, id: UserId, hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(id.0)
        .bind(hash)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn insert_member(c: &mut SqliteConnection, m: &TeamMember) -> StoreResult<()> {
    sqlx::query("INSERT INTO team_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(m.org_id.0)
        .bind(m.user_id.0)
        .bind(m.role.as_str())
        .bind(ts(m.created_at))
        .execute(c)
        .await?;
    Ok(())
}

pub(super) async fn get_member(c: &mut SqliteConnection, org: OrgId, user: UserId) -> StoreResult<Option<TeamMember>> {
    sqlx::query("SELECT * FROM team_members WHERE org_id = $1 AND user_id = $2")
        .bind(org.0)
        .bind(user.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(member)
        .transpose()
}

pub(super) async fn list_members(c: &mut SqliteConnection, org: OrgId) -> StoreResult<Vec<MemberView>> {
    let rows = sqlx::query(
        "SELECT m.*, u.email, u.name FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 ORDER BY m.created_at, u.email_key",
    )
    .bind(org.0)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberView {
                member: member(r)?,
                email: get_parsed(r, "email")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub(super) async fn set_member_role(
    c: &mut SqliteConnection,
    org: OrgId,
    user: UserId,
    role: Role,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE team_members SET role = $3 WHERE org_id = $1 AND user_id = $2")
        .bind(org.0)
        .bind(user.0)
        .bind(role.as_str())
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn delete_member(c: &mut SqliteConnection, org: OrgId, user: UserId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM team_members WHERE org_id = $1 AND user_id = $2")
        .bind(org.0)
        .bind(user.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn count_members(c: &mut SqliteConnection, org: OrgId, role: Option<Role>) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM team_members WHERE org_id = $1 AND ($2 IS NULL OR role = $2)")
            .bind(org.0)
            .bind(role.map(Role::as_str))
            .fetch_one(c)
            .await?,
    )
}

pub(super) async fn insert_session(c: &mut SqliteConnection, s: &Session) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, org_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id.0)
    .bind(s.org_id.0)
    .bind(ts(s.created_at))
    .bind(ts(s.expires_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_session(c: &mut SqliteConnection, token_hash: &[u8]) -> StoreResult<Option<Session>> {
    sqlx::query("SELECT * FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(session)
        .transpose()
}

pub(super) async fn delete_session(c: &mut SqliteConnection, token_hash: &[u8]) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn delete_expired_sessions(c: &mut SqliteConnection, now: OffsetDateTime) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub(super) async fn insert_invite(c: &mut SqliteConnection, i: &Invite) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO invites (id, org_id, email, email_key, role, token_hash, invited_by, created_at, expires_at, accepted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(i.id.0)
    .bind(i.org_id.0)
    .bind(i.email.as_str())
    .bind(i.email.key())
    .bind(i.role.as_str())
    .bind(&i.token_hash)
    .bind(i.invited_by.map(|u| u.0))
    .bind(ts(i.created_at))
    .bind(ts(i.expires_at))
    .bind(opt_ts(i.accepted_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_invite(c: &mut SqliteConnection, org: OrgId, id: InviteId) -> StoreResult<Option<Invite>> {
    sqlx::query("SELECT * FROM invites WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(invite)
        .transpose()
}

pub(super) async fn get_invite_by_token(c: &mut SqliteConnection, token_hash: &[u8]) -> StoreResult<Option<Invite>> {
    sqlx::query("SELECT * FROM invites WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(invite)
        .transpose()
}

pub(super) async fn list_open_invites(
    c: &mut SqliteConnection,
    org: OrgId,
    now: OffsetDateTime,
) -> StoreResult<Vec<Invite>> {
    let rows = sqlx::query(
        "SELECT * FROM invites WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY created_at",
    )
    .bind(org.0)
    .bind(ts(now))
    .fetch_all(c)
    .await?;
    rows.iter().map(invite).collect()
}

pub(super) async fn accept_invite(c: &mut SqliteConnection, id: InviteId, at: OffsetDateTime) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE invites SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL")
        .bind(id.0)
        .bind(ts(at))
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn delete_invite(c: &mut SqliteConnection, org: OrgId, id: InviteId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM invites WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn insert_api_key(c: &mut SqliteConnection, k: &ApiKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, scope, role, prefix, token_hash, created_by, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(k.id.0)
    .bind(k.org_id.0)
    .bind(&k.name)
    .bind(k.scope.as_str())
    .bind(k.role.as_str())
    .bind(&k.prefix)
    .bind(&k.token_hash)
    .bind(k.created_by.map(|u| u.0))
    .bind(ts(k.created_at))
    .bind(opt_ts(k.revoked_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_api_key(c: &mut SqliteConnection, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
    sqlx::query("SELECT * FROM api_keys WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(api_key)
        .transpose()
}

pub(super) async fn get_api_key_by_hash(c: &mut SqliteConnection, token_hash: &[u8]) -> StoreResult<Option<ApiKey>> {
    sqlx::query("SELECT * FROM api_keys WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(api_key)
        .transpose()
}

pub(super) async fn list_api_keys(c: &mut SqliteConnection, org: OrgId) -> StoreResult<Vec<ApiKey>> {
    let rows = sqlx::query("SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at")
        .bind(org.0)
        .fetch_all(c)
        .await?;
    rows.iter().map(api_key).collect()
}

pub(super) async fn revoke_api_key(
    c: &mut SqliteConnection,
    org: OrgId,
    id: ApiKeyId,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(org.0)
        .bind(id.0)
        .bind(ts(at))
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}
