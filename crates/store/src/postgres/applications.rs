//! Applications: organizations' public profiles, campaigns' application forms and welcome
//! sequences, the answers kept with memberships, and team notification preferences.

use afflux_domain::{Answers, ApplicationForm, CampaignId, MembershipId, OrgId, OrgProfile, UserId, WelcomeSequence};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::row::{get_id, get_opt_id};
use crate::{StoreError, StoreResult};

fn corrupt(col: &str) -> impl FnOnce(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{col}: {e}"))
}

/// The text of a JSON column.
fn json_text(row: &PgRow, col: &str) -> StoreResult<String> {
    Ok(row.try_get(col)?)
}

fn profile(row: &PgRow) -> StoreResult<OrgProfile> {
    Ok(OrgProfile {
        org_id: get_id(row, "org_id")?,
        handle: row.try_get("handle")?,
        brand_color: row.try_get("brand_color")?,
        primary_campaign_id: get_opt_id(row, "primary_campaign_id")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const PROFILE_COLUMNS: &str = "org_id, handle, brand_color, primary_campaign_id, updated_at";

pub(super) async fn get_profile(c: &mut PgConnection, org: OrgId) -> StoreResult<Option<OrgProfile>> {
    sqlx::query(&format!("SELECT {PROFILE_COLUMNS} FROM org_profiles WHERE org_id = $1"))
        .bind(org.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(profile)
        .transpose()
}

pub(super) async fn get_profile_by_handle(c: &mut PgConnection, handle: &str) -> StoreResult<Option<OrgProfile>> {
    sqlx::query(&format!("SELECT {PROFILE_COLUMNS} FROM org_profiles WHERE handle = $1"))
        .bind(handle)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(profile)
        .transpose()
}

/// The primary campaign must be the organization's: another's leaves the column NULL.
pub(super) async fn put_profile(c: &mut PgConnection, p: &OrgProfile) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO org_profiles (org_id, handle, brand_color, primary_campaign_id, updated_at)
         VALUES ($1, $2, $3, (SELECT id FROM campaigns WHERE org_id = $1 AND id = $4), $5)
         ON CONFLICT (org_id) DO UPDATE SET handle = excluded.handle, brand_color = excluded.brand_color,
            primary_campaign_id = excluded.primary_campaign_id, updated_at = excluded.updated_at",
    )
    .bind(p.org_id.0)
    .bind(&p.handle)
    .bind(&p.brand_color)
    .bind(p.primary_campaign_id.map(|id| id.0))
    .bind(p.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_form(
    c: &mut PgConnection,
    org: OrgId,
    campaign: CampaignId,
) -> StoreResult<Option<ApplicationForm>> {
    sqlx::query("SELECT fields FROM application_forms WHERE org_id = $1 AND campaign_id = $2")
        .bind(org.0)
        .bind(campaign.0)
        .fetch_optional(c)
        .await?
        .map(|row| json_text(&row, "fields").and_then(|t| serde_json::from_str(&t).map_err(corrupt("fields"))))
        .transpose()
}

/// Writes only when the campaign is the organization's.
pub(super) async fn put_form(
    c: &mut PgConnection,
    org: OrgId,
    campaign: CampaignId,
    form: &ApplicationForm,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO application_forms (campaign_id, org_id, fields, updated_at)
         SELECT id, org_id, $3, $4 FROM campaigns WHERE org_id = $1 AND id = $2
         ON CONFLICT (campaign_id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at",
    )
    .bind(org.0)
    .bind(campaign.0)
    .bind(serde_json::to_string(form).map_err(corrupt("fields"))?)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn put_answers(
    c: &mut PgConnection,
    org: OrgId,
    membership: MembershipId,
    answers: &Answers,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO application_answers (membership_id, org_id, answers, created_at)
         SELECT id, org_id, $3, $4 FROM memberships WHERE org_id = $1 AND id = $2
         ON CONFLICT (membership_id) DO UPDATE SET answers = excluded.answers",
    )
    .bind(org.0)
    .bind(membership.0)
    .bind(serde_json::to_string(answers).map_err(corrupt("answers"))?)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get_answers(
    c: &mut PgConnection,
    org: OrgId,
    membership: MembershipId,
) -> StoreResult<Option<Answers>> {
    sqlx::query("SELECT answers FROM application_answers WHERE org_id = $1 AND membership_id = $2")
        .bind(org.0)
        .bind(membership.0)
        .fetch_optional(c)
        .await?
        .map(|row| json_text(&row, "answers").and_then(|t| serde_json::from_str(&t).map_err(corrupt("answers"))))
        .transpose()
}

pub(super) async fn get_pref(c: &mut PgConnection, org: OrgId, user: UserId, event: &str) -> StoreResult<Option<bool>> {
    Ok(sqlx::query_scalar::<_, bool>(
        "SELECT is_enabled FROM notification_preferences WHERE org_id = $1 AND user_id = $2 AND event_key = $3",
    )
    .bind(org.0)
    .bind(user.0)
    .bind(event)
    .fetch_optional(c)
    .await?)
}

pub(super) async fn set_pref(
    c: &mut PgConnection,
    org: OrgId,
    user: UserId,
    event: &str,
    enabled: bool,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (org_id, user_id, event_key, is_enabled) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id, event_key) DO UPDATE SET is_enabled = excluded.is_enabled",
    )
    .bind(org.0)
    .bind(user.0)
    .bind(event)
    .bind(enabled)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_welcome(
    c: &mut PgConnection,
    org: OrgId,
    campaign: CampaignId,
) -> StoreResult<Option<WelcomeSequence>> {
    sqlx::query("SELECT steps FROM welcome_sequences WHERE org_id = $1 AND campaign_id = $2")
        .bind(org.0)
        .bind(campaign.0)
        .fetch_optional(c)
        .await?
        .map(|row| json_text(&row, "steps").and_then(|t| serde_json::from_str(&t).map_err(corrupt("steps"))))
        .transpose()
}

/// Writes only when the campaign is the organization's.
pub(super) async fn put_welcome(
    c: &mut PgConnection,
    org: OrgId,
    campaign: CampaignId,
    sequence: &WelcomeSequence,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO welcome_sequences (campaign_id, org_id, steps, updated_at)
         SELECT id, org_id, $3, $4 FROM campaigns WHERE org_id = $1 AND id = $2
         ON CONFLICT (campaign_id) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at",
    )
    .bind(org.0)
    .bind(campaign.0)
    .bind(serde_json::to_string(sequence).map_err(corrupt("steps"))?)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}
