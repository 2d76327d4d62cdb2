//! Commissions (with their mirror on the conversion) and the append-only ledger.

use afflux_domain::{
    AffiliateId, CampaignId, Commission, CommissionId, CommissionKind, CommissionStatus, Currency, LedgerEntry,
    LedgerKind, Money, OrgId,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use super::guarded;
use super::row::{get_id, get_opt_id, get_opt_parsed, get_parsed};
use crate::{Balance, CommissionFilter, Page, StoreResult, TierStats};

pub(super) fn commission(row: &PgRow) -> StoreResult<Commission> {
    Ok(Commission {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        conversion_id: get_id(row, "conversion_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        kind: get_parsed(row, "kind")?,
        status: get_parsed(row, "status")?,
        amount: Money::new(row.try_get("amount_minor")?, get_parsed(row, "currency")?),
        initial_minor: row.try_get("initial_minor")?,
        hold_until: row.try_get("hold_until")?,
        payout_item_id: get_opt_id(row, "payout_item_id")?,
        denied_reason: row.try_get("denied_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn ledger_entry(row: &PgRow) -> StoreResult<LedgerEntry> {
    Ok(LedgerEntry {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        kind: get_parsed(row, "kind")?,
        amount: Money::new(row.try_get("amount_minor")?, get_parsed(row, "currency")?),
        commission_id: get_opt_id(row, "commission_id")?,
        payout_item_id: get_opt_id(row, "payout_item_id")?,
        memo: row.try_get("memo")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Copies the status and amounts of the direct commissions among `ids` onto their conversions
/// (what `update_conversion` writes), so conversion views show the direct commission.
async fn mirror(c: &mut PgConnection, ids: &[Uuid]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE conversions v SET status = k.status, commission_minor = k.amount_minor,
            initial_commission_minor = k.initial_minor, commission_currency = k.currency, updated_at = k.updated_at
         FROM commissions k
         WHERE k.conversion_id = v.id AND k.org_id = v.org_id AND k.kind = $1 AND k.id = ANY($2)",
    )
    .bind(CommissionKind::Direct.as_str())
    .bind(ids)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn insert_many(c: &mut PgConnection, rows: &[Commission]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO commissions (id, org_id, conversion_id, affiliate_id, campaign_id, kind, status, amount_minor,
            currency, initial_minor, hold_until, payout_item_id, denied_reason, created_at, updated_at) ",
    );
    q.push_values(rows, |mut b, k| {
        b.push_bind(k.id.0)
            .push_bind(k.org_id.0)
            .push_bind(k.conversion_id.0)
            .push_bind(k.affiliate_id.0)
            .push_bind(k.campaign_id.0)
            .push_bind(k.kind.as_str())
            .push_bind(k.status.as_str())
            .push_bind(k.amount.minor)
            .push_bind(k.amount.currency.code())
            .push_bind(k.initial_minor)
            .push_bind(k.hold_until)
            .push_bind(k.payout_item_id.map(|i| i.0))
            .push_bind(&k.denied_reason)
            .push_bind(k.created_at)
            .push_bind(k.updated_at);
    });
    // Guarded: a second commission of a conversion and kind is an answer to the caller, not the
    // end of its transaction.
    guarded(c, q.build()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|k| k.id.0).collect();
    mirror(c, &ids).await
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, id: CommissionId) -> StoreResult<Option<Commission>> {
    sqlx::query("SELECT * FROM commissions WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(commission)
        .transpose()
}

pub(super) async fn list(
    c: &mut PgConnection,
    org: OrgId,
    f: &CommissionFilter,
    page: Page,
) -> StoreResult<Vec<Commission>> {
    let rows = sqlx::query(
        "SELECT * FROM commissions
         WHERE org_id = $1
           AND ($2::uuid IS NULL OR affiliate_id = $2)
           AND ($3::uuid IS NULL OR campaign_id = $3)
           AND ($4::uuid IS NULL OR conversion_id = $4)
           AND ($5::text IS NULL OR status = $5)
           AND ($6::text IS NULL OR currency = $6)
         ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8",
    )
    .bind(org.0)
    .bind(f.affiliate_id.map(|a| a.0))
    .bind(f.campaign_id.map(|c| c.0))
    .bind(f.conversion_id.map(|k| k.0))
    .bind(f.status.map(|s| s.as_str()))
    .bind(f.currency.map(|c| c.code()))
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(commission).collect()
}

pub(super) async fn update(c: &mut PgConnection, k: &Commission) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE commissions SET status = $3, amount_minor = $4, currency = $5, payout_item_id = $6,
            denied_reason = $7, updated_at = $8
         WHERE org_id = $1 AND id = $2",
    )
    .bind(k.org_id.0)
    .bind(k.id.0)
    .bind(k.status.as_str())
    .bind(k.amount.minor)
    .bind(k.amount.currency.code())
    .bind(k.payout_item_id.map(|i| i.0))
    .bind(&k.denied_reason)
    .bind(k.updated_at)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    mirror(c, &[k.id.0]).await?;
    Ok(true)
}

pub(super) async fn approve_due(c: &mut PgConnection, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<Commission>> {
    // As `claim_jobs`: concurrent sweeps take different rows, and the CTE is materialized so the
    // locking LIMIT runs once.
    let rows = sqlx::query(
        "WITH due AS MATERIALIZED (
             SELECT id FROM commissions WHERE status = $4 AND hold_until <= $1
             ORDER BY hold_until, id LIMIT $2
             FOR UPDATE SKIP LOCKED)
         UPDATE commissions SET status = $3, updated_at = $1
         WHERE id IN (SELECT id FROM due)
         RETURNING *",
    )
    .bind(now)
    .bind(limit)
    .bind(CommissionStatus::Approved.as_str())
    .bind(CommissionStatus::Pending.as_str())
    .fetch_all(&mut *c)
    .await?;
    let mut approved: Vec<Commission> = rows.iter().map(commission).collect::<StoreResult<_>>()?;
    approved.sort_by_key(|k| (k.hold_until, k.id));
    let ids: Vec<Uuid> = approved.iter().map(|k| k.id.0).collect();
    mirror(c, &ids).await?;
    Ok(approved)
}

pub(super) async fn tier_stats(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: CampaignId,
) -> StoreResult<TierStats> {
    let (sales, revenue_minor): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.currency = p.currency THEN v.amount_minor ELSE 0 END), 0)::bigint
         FROM commissions k
         JOIN conversions v ON v.id = k.conversion_id AND v.org_id = k.org_id
         JOIN campaigns p ON p.id = k.campaign_id AND p.org_id = k.org_id
         WHERE k.org_id = $1 AND k.affiliate_id = $2 AND k.campaign_id = $3 AND k.kind = $4
           AND k.status IN ($5, $6)",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(campaign.0)
    .bind(CommissionKind::Direct.as_str())
    .bind(CommissionStatus::Approved.as_str())
    .bind(CommissionStatus::Paid.as_str())
    .fetch_one(c)
    .await?;
    Ok(TierStats { sales, revenue_minor })
}

pub(super) async fn insert_ledger(c: &mut PgConnection, rows: &[LedgerEntry]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO ledger_entries (id, org_id, affiliate_id, kind, amount_minor, currency, commission_id,
            payout_item_id, memo, created_at) ",
    );
    q.push_values(rows, |mut b, e| {
        b.push_bind(e.id.0)
            .push_bind(e.org_id.0)
            .push_bind(e.affiliate_id.0)
            .push_bind(e.kind.as_str())
            .push_bind(e.amount.minor)
            .push_bind(e.amount.currency.code())
            .push_bind(e.commission_id.map(|k| k.0))
            .push_bind(e.payout_item_id.map(|i| i.0))
            .push_bind(&e.memo)
            .push_bind(e.created_at);
    });
    q.build().execute(c).await?;
    Ok(())
}

pub(super) async fn list_ledger(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: Option<AffiliateId>,
    page: Page,
) -> StoreResult<Vec<LedgerEntry>> {
    let rows = sqlx::query(
        "SELECT * FROM ledger_entries WHERE org_id = $1 AND ($2::uuid IS NULL OR affiliate_id = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(org.0)
    .bind(affiliate.map(|a| a.0))
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(ledger_entry).collect()
}

pub(super) async fn balances(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: Option<AffiliateId>,
) -> StoreResult<Vec<Balance>> {
    let rows = sqlx::query(
        "SELECT affiliate_id, currency,
            SUM(CASE WHEN kind = $3 THEN amount_minor ELSE 0 END)::bigint AS earned,
            SUM(CASE WHEN kind = $4 THEN amount_minor ELSE 0 END)::bigint AS reversed,
            SUM(CASE WHEN kind = $5 THEN amount_minor ELSE 0 END)::bigint AS clawback,
            SUM(CASE WHEN kind = $6 THEN amount_minor ELSE 0 END)::bigint AS payout,
            SUM(CASE WHEN kind = $7 THEN amount_minor ELSE 0 END)::bigint AS adjustment
         FROM ledger_entries WHERE org_id = $1 AND ($2::uuid IS NULL OR affiliate_id = $2)
         GROUP BY affiliate_id, currency ORDER BY affiliate_id, currency",
    )
    .bind(org.0)
    .bind(affiliate.map(|a| a.0))
    .bind(LedgerKind::Earned.as_str())
    .bind(LedgerKind::Reversed.as_str())
    .bind(LedgerKind::Clawback.as_str())
    .bind(LedgerKind::Payout.as_str())
    .bind(LedgerKind::Adjustment.as_str())
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Balance {
                affiliate_id: get_opt_id(r, "affiliate_id")?,
                currency: get_opt_parsed(r, "currency")?,
                earned: r.try_get("earned")?,
                reversed: r.try_get("reversed")?,
                clawback: r.try_get("clawback")?,
                payout: r.try_get("payout")?,
                adjustment: r.try_get("adjustment")?,
            })
        })
        .collect()
}

pub(super) async fn open_clawbacks(
    c: &mut PgConnection,
    org: OrgId,
    currency: Option<Currency>,
) -> StoreResult<Vec<LedgerEntry>> {
    // The kind is written out: the partial index `ledger_entries_clawbacks` matches a literal.
    let rows = sqlx::query(
        "SELECT * FROM ledger_entries l
         WHERE l.org_id = $1 AND l.kind = 'Clawback' AND ($2::text IS NULL OR l.currency = $2)
           AND NOT EXISTS (SELECT 1 FROM payout_item_clawbacks p WHERE p.ledger_entry_id = l.id)
         ORDER BY l.created_at, l.id",
    )
    .bind(org.0)
    .bind(currency.map(|c| c.code()))
    .fetch_all(c)
    .await?;
    rows.iter().map(ledger_entry).collect()
}
