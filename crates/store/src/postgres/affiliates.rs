use afflux_domain::{Affiliate, AffiliateId, CampaignId, CommissionValue, Membership, OrgId, Slug, StripeAccountId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::guarded;
use super::row::{get_id, get_opt_id, get_opt_parsed, get_parsed};
use crate::{AffiliateFilter, AffiliateRow, Page, StoreResult};

pub(super) fn affiliate(row: &PgRow) -> StoreResult<Affiliate> {
    Ok(Affiliate {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        email: get_parsed(row, "email")?,
        name: row.try_get("name")?,
        paypal_email: get_opt_parsed(row, "paypal_email")?,
        stripe_account_id: get_opt_parsed(row, "stripe_account_id")?,
        slug: get_parsed(row, "slug")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Membership columns are read with an `m_` prefix so they can sit beside an affiliate's.
fn membership(row: &PgRow) -> StoreResult<Membership> {
    let kind = get_opt_parsed(row, "m_override_type")?;
    let value: Option<i64> = row.try_get("m_override_value")?;
    Ok(Membership {
        id: get_id(row, "m_id")?,
        org_id: get_id(row, "m_org_id")?,
        affiliate_id: get_id(row, "m_affiliate_id")?,
        campaign_id: get_id(row, "m_campaign_id")?,
        status: get_parsed(row, "m_status")?,
        commission_override: kind.zip(value).map(|(kind, value)| CommissionValue { kind, value }),
        recruited_by: get_opt_id(row, "m_recruited_by")?,
        status_reason: row.try_get("m_status_reason")?,
        created_at: row.try_get("m_created_at")?,
        status_changed_at: row.try_get("m_status_changed_at")?,
    })
}

const MEMBERSHIP_COLUMNS: &str = "m.id AS m_id, m.org_id AS m_org_id, m.affiliate_id AS m_affiliate_id,
    m.campaign_id AS m_campaign_id, m.status AS m_status, m.override_type AS m_override_type,
    m.override_value AS m_override_value, m.recruited_by AS m_recruited_by, m.status_reason AS m_status_reason,
    m.created_at AS m_created_at, m.status_changed_at AS m_status_changed_at";

pub(super) async fn insert(c: &mut PgConnection, a: &Affiliate) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO affiliates (id, org_id, email, email_key, name, paypal_email, slug, slug_key, created_at,
            stripe_account_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.id.0)
    .bind(a.org_id.0)
    .bind(a.email.as_str())
    .bind(a.email.key())
    .bind(&a.name)
    .bind(a.paypal_email.as_ref().map(|e| e.as_str()))
    .bind(a.slug.as_str())
    .bind(a.slug.key())
    .bind(a.created_at)
    .bind(a.stripe_account_id.as_ref().map(|s| s.as_str()));
    guarded(c, query).await?;
    Ok(())
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, id: AffiliateId) -> StoreResult<Option<Affiliate>> {
    sqlx::query("SELECT * FROM affiliates WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(affiliate)
        .transpose()
}

pub(super) async fn get_by_email(c: &mut PgConnection, org: OrgId, email_key: &str) -> StoreResult<Option<Affiliate>> {
    sqlx::query("SELECT * FROM affiliates WHERE org_id = $1 AND email_key = $2")
        .bind(org.0)
        .bind(email_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(affiliate)
        .transpose()
}

pub(super) async fn get_by_slug(c: &mut PgConnection, slug_key: &str) -> StoreResult<Option<Affiliate>> {
    sqlx::query("SELECT * FROM affiliates WHERE slug_key = $1")
        .bind(slug_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(affiliate)
        .transpose()
}

pub(super) async fn set_slug(c: &mut PgConnection, org: OrgId, id: AffiliateId, slug: &Slug) -> StoreResult<bool> {
    let query = sqlx::query("UPDATE affiliates SET slug = $3, slug_key = $4 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .bind(slug.as_str())
        .bind(slug.key());
    let done = guarded(c, query).await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn set_stripe_account(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    account: Option<&StripeAccountId>,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE affiliates SET stripe_account_id = $3 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .bind(account.map(StripeAccountId::as_str))
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn insert_membership(c: &mut PgConnection, m: &Membership) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO memberships (id, org_id, affiliate_id, campaign_id, status, override_type, override_value,
            recruited_by, status_reason, created_at, status_changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(m.id.0)
    .bind(m.org_id.0)
    .bind(m.affiliate_id.0)
    .bind(m.campaign_id.0)
    .bind(m.status.as_str())
    .bind(m.commission_override.map(|o| o.kind.as_str()))
    .bind(m.commission_override.map(|o| o.value))
    .bind(m.recruited_by.map(|a| a.0))
    .bind(&m.status_reason)
    .bind(m.created_at)
    .bind(m.status_changed_at);
    guarded(c, query).await?;
    Ok(())
}

pub(super) async fn get_membership(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: CampaignId,
) -> StoreResult<Option<Membership>> {
    let sql = format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.org_id = $1 AND m.affiliate_id = $2 AND m.campaign_id = $3"
    );
    sqlx::query(&sql)
        .bind(org.0)
        .bind(affiliate.0)
        .bind(campaign.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(membership)
        .transpose()
}

pub(super) async fn list_memberships(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
) -> StoreResult<Vec<Membership>> {
    let sql = format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.org_id = $1 AND m.affiliate_id = $2 ORDER BY m.created_at"
    );
    let rows = sqlx::query(&sql).bind(org.0).bind(affiliate.0).fetch_all(c).await?;
    rows.iter().map(membership).collect()
}

pub(super) async fn update_membership(c: &mut PgConnection, m: &Membership) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE memberships SET status = $3, override_type = $4, override_value = $5, status_reason = $6,
            status_changed_at = $7
         WHERE org_id = $1 AND id = $2",
    )
    .bind(m.org_id.0)
    .bind(m.id.0)
    .bind(m.status.as_str())
    .bind(m.commission_override.map(|o| o.kind.as_str()))
    .bind(m.commission_override.map(|o| o.value))
    .bind(&m.status_reason)
    .bind(m.status_changed_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The search is a plain substring test (`strpos`, not LIKE), so `%` and `_` match literally.
pub(super) async fn count(c: &mut PgConnection, org: OrgId, f: &AffiliateFilter) -> StoreResult<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN affiliates a ON a.id = m.affiliate_id
         WHERE m.org_id = $1
           AND ($2::uuid IS NULL OR m.campaign_id = $2)
           AND ($3::text IS NULL OR m.status = $3)
           AND ($4::text IS NULL OR strpos(a.email_key, $4) > 0 OR strpos(lower(coalesce(a.name, '')), $4) > 0
                OR strpos(a.slug_key, $4) > 0)",
    )
    .bind(org.0)
    .bind(f.campaign_id.map(|c| c.0))
    .bind(f.status.map(|s| s.as_str()))
    .bind(f.search.as_deref())
    .fetch_one(c)
    .await?;
    Ok(n)
}

pub(super) async fn list(
    c: &mut PgConnection,
    org: OrgId,
    f: &AffiliateFilter,
    page: Page,
) -> StoreResult<Vec<AffiliateRow>> {
    let sql = format!(
        "SELECT a.*, {MEMBERSHIP_COLUMNS} FROM memberships m JOIN affiliates a ON a.id = m.affiliate_id
         WHERE m.org_id = $1
           AND ($2::uuid IS NULL OR m.campaign_id = $2)
           AND ($3::text IS NULL OR m.status = $3)
           AND ($4::text IS NULL OR strpos(a.email_key, $4) > 0 OR strpos(lower(coalesce(a.name, '')), $4) > 0
                OR strpos(a.slug_key, $4) > 0)
         ORDER BY m.created_at DESC, m.id DESC LIMIT $5 OFFSET $6"
    );
    let rows = sqlx::query(&sql)
        .bind(org.0)
        .bind(f.campaign_id.map(|c| c.0))
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.search.as_deref())
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(AffiliateRow {
                affiliate: affiliate(r)?,
                membership: membership(r)?,
            })
        })
        .collect()
}
