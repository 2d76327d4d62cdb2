//! Import jobs: their counts and skipped rows, the batch writes of a roster import, and revert.

use std::collections::BTreeMap;

use afflux_domain::{Affiliate, AffiliateId, CampaignId, ConversionId, Import, ImportId, Membership, OrgId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use time::OffsetDateTime;

use super::affiliates::affiliate;
use super::guarded;
use super::row::{get_id, get_parsed};
use crate::{Page, RevertCounts, StoreError, StoreResult};

/// Rows per multi-row statement: well under PostgreSQL's 65,535 bound parameters.
const CHUNK: usize = 500;

fn money_map(row: &PgRow, col: &str) -> StoreResult<BTreeMap<String, i64>> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn import(row: &PgRow) -> StoreResult<Import> {
    Ok(Import {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        kind: get_parsed(row, "kind")?,
        source: row.try_get("source")?,
        campaign_id: get_id(row, "campaign_id")?,
        status: get_parsed(row, "status")?,
        actor: row.try_get("actor")?,
        rows_total: row.try_get("rows_total")?,
        rows_imported: row.try_get("rows_imported")?,
        rows_skipped: row.try_get("rows_skipped")?,
        skips: money_map(row, "skips_json")?,
        payable: money_map(row, "payable_json")?,
        settled: money_map(row, "settled_json")?,
        confirm_unpaid_payout: row.try_get("confirm_unpaid_payout")?,
        notify: row.try_get("notify")?,
        note_html: row.try_get("note_html")?,
        notify_sent: row.try_get("notify_sent")?,
        notify_failed: row.try_get("notify_failed")?,
        notify_skipped: row.try_get("notify_skipped")?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn json(map: &BTreeMap<String, i64>) -> String {
    serde_json::to_string(map).expect("a map of numbers serializes")
}

pub(super) async fn insert(c: &mut PgConnection, i: &Import) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO imports (id, org_id, kind, source, campaign_id, status, actor, rows_total, rows_imported,
            rows_skipped, skips_json, payable_json, settled_json, confirm_unpaid_payout, notify, note_html,
            notify_sent, notify_failed, notify_skipped, idempotency_key, request_hash, error, created_at,
            updated_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
            $21, $22, $23, $24, $25)",
    )
    .bind(i.id.0)
    .bind(i.org_id.0)
    .bind(i.kind.as_str())
    .bind(&i.source)
    .bind(i.campaign_id.0)
    .bind(i.status.as_str())
    .bind(&i.actor)
    .bind(i.rows_total)
    .bind(i.rows_imported)
    .bind(i.rows_skipped)
    .bind(json(&i.skips))
    .bind(json(&i.payable))
    .bind(json(&i.settled))
    .bind(i.confirm_unpaid_payout)
    .bind(i.notify)
    .bind(&i.note_html)
    .bind(i.notify_sent)
    .bind(i.notify_failed)
    .bind(i.notify_skipped)
    .bind(&i.idempotency_key)
    .bind(&i.request_hash)
    .bind(&i.error)
    .bind(i.created_at)
    .bind(i.updated_at)
    .bind(i.finished_at);
    guarded(c, query).await?;
    Ok(())
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, id: ImportId) -> StoreResult<Option<Import>> {
    let row = sqlx::query("SELECT * FROM imports WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(import).transpose()
}

pub(super) async fn get_by_key(c: &mut PgConnection, org: OrgId, key: &str) -> StoreResult<Option<Import>> {
    let row = sqlx::query("SELECT * FROM imports WHERE org_id = $1 AND idempotency_key = $2")
        .bind(org.0)
        .bind(key)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(import).transpose()
}

pub(super) async fn list(c: &mut PgConnection, org: OrgId, page: Page) -> StoreResult<Vec<Import>> {
    let rows =
        sqlx::query("SELECT * FROM imports WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3")
            .bind(org.0)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(c)
            .await?;
    rows.iter().map(import).collect()
}

pub(super) async fn stale_running(c: &mut PgConnection, before: OffsetDateTime) -> StoreResult<Vec<Import>> {
    let rows = sqlx::query("SELECT * FROM imports WHERE status = 'Running' AND updated_at < $1")
        .bind(before)
        .fetch_all(c)
        .await?;
    rows.iter().map(import).collect()
}

/// Writes the counts and state; the notify counters are only ever bumped (see [`bump_notify`]).
pub(super) async fn update(c: &mut PgConnection, i: &Import) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE imports SET status = $3, rows_total = $4, rows_imported = $5, rows_skipped = $6, skips_json = $7,
            payable_json = $8, settled_json = $9, error = $10, updated_at = $11, finished_at = $12
         WHERE org_id = $1 AND id = $2",
    )
    .bind(i.org_id.0)
    .bind(i.id.0)
    .bind(i.status.as_str())
    .bind(i.rows_total)
    .bind(i.rows_imported)
    .bind(i.rows_skipped)
    .bind(json(&i.skips))
    .bind(json(&i.payable))
    .bind(json(&i.settled))
    .bind(&i.error)
    .bind(i.updated_at)
    .bind(i.finished_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn bump_notify(
    c: &mut PgConnection,
    id: ImportId,
    sent: i64,
    failed: i64,
    skipped: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE imports SET notify_sent = notify_sent + $2, notify_failed = notify_failed + $3,
            notify_skipped = notify_skipped + $4 WHERE id = $1",
    )
    .bind(id.0)
    .bind(sent)
    .bind(failed)
    .bind(skipped)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn insert_skips(c: &mut PgConnection, id: ImportId, skips: &[(i64, &str)]) -> StoreResult<()> {
    for chunk in skips.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO import_skips (import_id, line, reason) ");
        q.push_values(chunk, |mut b, (line, reason)| {
            b.push_bind(id.0).push_bind(*line).push_bind(*reason);
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

pub(super) async fn list_skips(c: &mut PgConnection, id: ImportId, limit: i64) -> StoreResult<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT line, reason FROM import_skips WHERE import_id = $1 ORDER BY line LIMIT $2")
        .bind(id.0)
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("line")?, r.try_get("reason")?)))
        .collect()
}

pub(super) async fn affiliates_by_email(
    c: &mut PgConnection,
    org: OrgId,
    email_keys: &[String],
) -> StoreResult<Vec<Affiliate>> {
    let mut found = vec![];
    for chunk in email_keys.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM affiliates WHERE org_id = ");
        q.push_bind(org.0).push(" AND email_key IN (");
        let mut list = q.separated(", ");
        for key in chunk {
            list.push_bind(key);
        }
        q.push(")");
        for row in q.build().fetch_all(&mut *c).await? {
            found.push(affiliate(&row)?);
        }
    }
    Ok(found)
}

pub(super) async fn campaign_members(
    c: &mut PgConnection,
    campaign: CampaignId,
    affiliates: &[AffiliateId],
) -> StoreResult<Vec<AffiliateId>> {
    let mut found = vec![];
    for chunk in affiliates.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("SELECT affiliate_id FROM memberships WHERE campaign_id = ");
        q.push_bind(campaign.0).push(" AND affiliate_id IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.0);
        }
        q.push(")");
        for row in q.build().fetch_all(&mut *c).await? {
            found.push(get_id(&row, "affiliate_id")?);
        }
    }
    Ok(found)
}

pub(super) async fn taken_slugs(c: &mut PgConnection, slug_keys: &[String]) -> StoreResult<Vec<String>> {
    let mut found = vec![];
    for chunk in slug_keys.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("SELECT slug_key FROM affiliates WHERE slug_key IN (");
        let mut list = q.separated(", ");
        for key in chunk {
            list.push_bind(key);
        }
        q.push(")");
        for row in q.build().fetch_all(&mut *c).await? {
            found.push(row.try_get("slug_key")?);
        }
    }
    Ok(found)
}

pub(super) async fn insert_roster(
    c: &mut PgConnection,
    id: ImportId,
    affiliates: &[Affiliate],
    memberships: &[Membership],
) -> StoreResult<()> {
    for chunk in affiliates.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO affiliates (id, org_id, email, email_key, name, paypal_email, slug, slug_key, created_at, import_id) ",
        );
        q.push_values(chunk, |mut b, a| {
            b.push_bind(a.id.0)
                .push_bind(a.org_id.0)
                .push_bind(a.email.as_str())
                .push_bind(a.email.key())
                .push_bind(&a.name)
                .push_bind(a.paypal_email.as_ref().map(|e| e.as_str()))
                .push_bind(a.slug.as_str())
                .push_bind(a.slug.key())
                .push_bind(a.created_at)
                .push_bind(id.0);
        });
        q.build().execute(&mut *c).await?;
    }
    for chunk in memberships.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO memberships (id, org_id, affiliate_id, campaign_id, status, status_reason, created_at,
                status_changed_at, import_id) ",
        );
        q.push_values(chunk, |mut b, m| {
            b.push_bind(m.id.0)
                .push_bind(m.org_id.0)
                .push_bind(m.affiliate_id.0)
                .push_bind(m.campaign_id.0)
                .push_bind(m.status.as_str())
                .push_bind(&m.status_reason)
                .push_bind(m.created_at)
                .push_bind(m.status_changed_at)
                .push_bind(id.0);
        });
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

pub(super) async fn tag_conversions(
    c: &mut PgConnection,
    id: ImportId,
    conversions: &[ConversionId],
) -> StoreResult<()> {
    for chunk in conversions.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("UPDATE conversions SET import_id = ");
        q.push_bind(id.0).push(" WHERE id IN (");
        let mut list = q.separated(", ");
        for c in chunk {
            list.push_bind(c.0);
        }
        q.push(")");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

pub(super) async fn imported_conversions(
    c: &mut PgConnection,
    org: OrgId,
    id: ImportId,
) -> StoreResult<Vec<ConversionId>> {
    let rows = sqlx::query("SELECT id FROM conversions WHERE org_id = $1 AND import_id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| get_id(r, "id")).collect()
}

/// Removes the memberships the import created that have no activity yet, then the affiliates
/// it created that nothing refers to any more; the rest stay and are counted as kept.
pub(super) async fn revert_roster(c: &mut PgConnection, org: OrgId, id: ImportId) -> StoreResult<RevertCounts> {
    let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND import_id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_one(&mut *c)
        .await?;
    let memberships = sqlx::query(
        "DELETE FROM memberships WHERE org_id = $1 AND import_id = $2
           AND NOT EXISTS (SELECT 1 FROM conversions v
                           WHERE v.org_id = $1 AND v.affiliate_id = memberships.affiliate_id
                             AND v.campaign_id = memberships.campaign_id)
           AND NOT EXISTS (SELECT 1 FROM click_counts k
                           WHERE k.affiliate_id = memberships.affiliate_id AND k.campaign_id = memberships.campaign_id)",
    )
    .bind(org.0)
    .bind(id.0)
    .execute(&mut *c)
    .await?
    .rows_affected();
    let affiliates = sqlx::query(&format!(
        "DELETE FROM affiliates WHERE org_id = $1 AND import_id = $2 AND {UNREFERENCED}"
    ))
    .bind(org.0)
    .bind(id.0)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(RevertCounts {
        memberships_removed: memberships as i64,
        affiliates_removed: affiliates as i64,
        memberships_kept: created - memberships as i64,
    })
}

/// An affiliate row nothing else points at (every table with a foreign key to affiliates).
pub(super) const UNREFERENCED: &str = "
    NOT EXISTS (SELECT 1 FROM memberships m WHERE m.affiliate_id = affiliates.id OR m.recruited_by = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM click_counts k WHERE k.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM conversions v WHERE v.org_id = affiliates.org_id AND v.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM customer_bindings b WHERE b.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM coupons p WHERE p.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM crm_syncs s WHERE s.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.org_id = affiliates.org_id AND l.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM tax_forms t WHERE t.affiliate_id = affiliates.id)
    AND NOT EXISTS (SELECT 1 FROM portal_prefs p WHERE p.affiliate_id = affiliates.id)";

/// The first `limit` organizations' ids (the CLI picks the only one when there is one).
pub(super) async fn org_ids(c: &mut PgConnection, limit: i64) -> StoreResult<Vec<OrgId>> {
    let rows = sqlx::query("SELECT id FROM organizations ORDER BY created_at LIMIT $1")
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| get_id(r, "id")).collect()
}
