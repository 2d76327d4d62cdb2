//! Payout runs and items, what each item pays, and what is payable.

use afflux_domain::{
    CampaignRules, Commission, Currency, LedgerEntryId, Money, OrgId, PayableTotal, PayoutItem, PayoutItemId,
    PayoutRun, PayoutRunId,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::commissions::{commission, push_ids};
use super::row::{get_id, get_opt_id, get_opt_parsed, get_parsed, get_ts, ts};
use crate::{AssignedCommissions, Page, PayoutItemFilter, StoreError, StoreResult};

fn run(row: &SqliteRow) -> StoreResult<PayoutRun> {
    Ok(PayoutRun {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        rail: get_parsed(row, "rail")?,
        currency: get_opt_parsed(row, "currency")?,
        created_by: get_opt_id(row, "created_by")?,
        created_at: get_ts(row, "created_at")?,
    })
}

pub(super) fn item(row: &SqliteRow) -> StoreResult<PayoutItem> {
    Ok(PayoutItem {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        run_id: get_id(row, "run_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        amount: Money::new(row.try_get("amount_minor")?, get_parsed(row, "currency")?),
        status: get_parsed(row, "status")?,
        reference: row.try_get("reference")?,
        failure_reason: row.try_get("failure_reason")?,
        attempts: row.try_get("attempts")?,
        created_at: get_ts(row, "created_at")?,
        updated_at: get_ts(row, "updated_at")?,
    })
}

/// Sums by affiliate, currency and campaign through `commissions_unpaid`, which holds only
/// what is payable and covers the sums: a run never reads paid history.
pub(super) async fn payable_totals(
    c: &mut SqliteConnection,
    org: OrgId,
    currency: Option<Currency>,
) -> StoreResult<Vec<PayableTotal>> {
    let rows = sqlx::query(
        "SELECT g.affiliate_id, g.currency, g.total, g.n,
                COALESCE(json_extract(p.rules, '$.minimumPayoutMinor'), $3) AS minimum_payout_minor
         FROM (SELECT affiliate_id, currency, campaign_id, SUM(amount_minor) AS total, COUNT(*) AS n
               FROM commissions
               WHERE org_id = $1 AND status = 'Approved' AND payout_item_id IS NULL
                 AND ($2 IS NULL OR currency = $2)
               GROUP BY affiliate_id, currency, campaign_id) g
         JOIN campaigns p ON p.id = g.campaign_id
         ORDER BY g.affiliate_id, g.currency, g.campaign_id",
    )
    .bind(org.0)
    .bind(currency.map(|c| c.code()))
    .bind(CampaignRules::default().minimum_payout_minor)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PayableTotal {
                affiliate_id: get_id(r, "affiliate_id")?,
                amount: Money::new(r.try_get("total")?, get_parsed(r, "currency")?),
                commissions: r.try_get("n")?,
                minimum_payout_minor: r.try_get("minimum_payout_minor")?,
            })
        })
        .collect()
}

pub(super) async fn insert_run(c: &mut SqliteConnection, r: &PayoutRun) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO payout_runs (id, org_id, rail, currency, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.id.0)
    .bind(r.org_id.0)
    .bind(r.rail.as_str())
    .bind(r.currency.map(|c| c.code()))
    .bind(r.created_by.map(|u| u.0))
    .bind(ts(r.created_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_run(c: &mut SqliteConnection, org: OrgId, id: PayoutRunId) -> StoreResult<Option<PayoutRun>> {
    sqlx::query("SELECT * FROM payout_runs WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(run)
        .transpose()
}

pub(super) async fn list_runs(c: &mut SqliteConnection, org: OrgId, page: Page) -> StoreResult<Vec<PayoutRun>> {
    let rows =
        sqlx::query("SELECT * FROM payout_runs WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3")
            .bind(org.0)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(c)
            .await?;
    rows.iter().map(run).collect()
}

pub(super) async fn insert_items(c: &mut SqliteConnection, rows: &[PayoutItem]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO payout_items (id, org_id, run_id, affiliate_id, amount_minor, currency, status, reference,
            failure_reason, attempts, created_at, updated_at) ",
    );
    q.push_values(rows, |mut b, i| {
        b.push_bind(i.id.0)
            .push_bind(i.org_id.0)
            .push_bind(i.run_id.0)
            .push_bind(i.affiliate_id.0)
            .push_bind(i.amount.minor)
            .push_bind(i.amount.currency.code())
            .push_bind(i.status.as_str())
            .push_bind(&i.reference)
            .push_bind(&i.failure_reason)
            .push_bind(i.attempts)
            .push_bind(ts(i.created_at))
            .push_bind(ts(i.updated_at));
    });
    q.build().execute(c).await?;
    Ok(())
}

pub(super) async fn get_item(
    c: &mut SqliteConnection,
    org: OrgId,
    id: PayoutItemId,
) -> StoreResult<Option<PayoutItem>> {
    sqlx::query("SELECT * FROM payout_items WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(item)
        .transpose()
}

pub(super) async fn list_items(
    c: &mut SqliteConnection,
    org: OrgId,
    f: &PayoutItemFilter,
    page: Page,
) -> StoreResult<Vec<PayoutItem>> {
    let rows = sqlx::query(
        "SELECT * FROM payout_items
         WHERE org_id = $1
           AND ($2 IS NULL OR run_id = $2)
           AND ($3 IS NULL OR affiliate_id = $3)
           AND ($4 IS NULL OR status = $4)
         ORDER BY created_at, id LIMIT $5 OFFSET $6",
    )
    .bind(org.0)
    .bind(f.run_id.map(|r| r.0))
    .bind(f.affiliate_id.map(|a| a.0))
    .bind(f.status.map(|s| s.as_str()))
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(item).collect()
}

pub(super) async fn update_item(c: &mut SqliteConnection, i: &PayoutItem) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE payout_items SET status = $3, reference = $4, failure_reason = $5, attempts = $6, updated_at = $7
         WHERE org_id = $1 AND id = $2",
    )
    .bind(i.org_id.0)
    .bind(i.id.0)
    .bind(i.status.as_str())
    .bind(&i.reference)
    .bind(&i.failure_reason)
    .bind(i.attempts)
    .bind(ts(i.updated_at))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A violation of `table`'s primary key is reported by the table's name. SQLite names the column
/// in its message ("payout_item_commissions.commission_id"): the store answers with the name
/// PostgreSQL answers with too.
fn conflict_on(table: &'static str, e: sqlx::Error) -> StoreError {
    match StoreError::from(e) {
        e if e.is_conflict_on(table) => StoreError::Conflict {
            constraint: table.to_owned(),
        },
        e => e,
    }
}

/// Ids bound per statement: SQLite takes at most 32,766 bound values in one.
const ID_CHUNK: usize = 5_000;

/// Refuses, writing nothing, if any of `ids` is in `table` already: checked before any chunk is
/// written (the one writer makes check and insert atomic; the unique key stays the last word).
async fn ensure_untaken(
    c: &mut SqliteConnection,
    table: &'static str,
    column: &str,
    org: OrgId,
    ids: impl Iterator<Item = Uuid>,
) -> StoreResult<()> {
    let ids: Vec<Uuid> = ids.collect();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT COUNT(*) FROM {table} WHERE org_id = "));
        q.push_bind(org.0).push(format!(" AND {column} IN "));
        push_ids(&mut q, chunk);
        let taken: i64 = q.build_query_scalar().fetch_one(&mut *c).await?;
        if taken > 0 {
            return Err(StoreError::Conflict {
                constraint: table.to_owned(),
            });
        }
    }
    Ok(())
}

/// Set-based, whatever the volume, and reading only `commissions_unpaid`: what each item will
/// hold is counted first, then recorded in `payout_item_commissions` (whose key refuses a
/// commission some item holds already), then mirrored onto the commissions. The one writer makes
/// the three statements see the same rows.
pub(super) async fn assign_run_commissions(
    c: &mut SqliteConnection,
    org: OrgId,
    run: PayoutRunId,
) -> StoreResult<Vec<AssignedCommissions>> {
    // `CROSS JOIN` keeps the run's items outside: each looks up its own commissions.
    const PAYABLE: &str = "k.org_id = i.org_id AND k.affiliate_id = i.affiliate_id AND k.currency = i.currency
           AND k.status = 'Approved' AND k.payout_item_id IS NULL";
    let rows = sqlx::query(&format!(
        "SELECT i.id, COUNT(k.amount_minor) AS n, COALESCE(SUM(k.amount_minor), 0) AS total
         FROM payout_items i LEFT JOIN commissions k ON {PAYABLE}
         WHERE i.org_id = $1 AND i.run_id = $2
         GROUP BY i.id ORDER BY i.id"
    ))
    .bind(org.0)
    .bind(run.0)
    .fetch_all(&mut *c)
    .await?;
    let held = rows
        .iter()
        .map(|r| {
            Ok(AssignedCommissions {
                item: get_id(r, "id")?,
                commissions: r.try_get("n")?,
                total_minor: r.try_get("total")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    sqlx::query(&format!(
        "INSERT INTO payout_item_commissions (commission_id, payout_item_id, org_id)
         SELECT k.id, i.id, i.org_id FROM payout_items i CROSS JOIN commissions k
         WHERE i.org_id = $1 AND i.run_id = $2 AND {PAYABLE}"
    ))
    .bind(org.0)
    .bind(run.0)
    .execute(&mut *c)
    .await
    .map_err(|e| conflict_on("payout_item_commissions", e))?;
    sqlx::query(
        "UPDATE commissions SET payout_item_id = p.payout_item_id
         FROM payout_items i JOIN payout_item_commissions p ON p.payout_item_id = i.id
         WHERE i.org_id = $1 AND i.run_id = $2 AND commissions.id = p.commission_id",
    )
    .bind(org.0)
    .bind(run.0)
    .execute(c)
    .await?;
    Ok(held)
}

pub(super) async fn assign_clawbacks(
    c: &mut SqliteConnection,
    org: OrgId,
    item: PayoutItemId,
    ids: &[LedgerEntryId],
) -> StoreResult<()> {
    ensure_untaken(
        &mut *c,
        "payout_item_clawbacks",
        "ledger_entry_id",
        org,
        ids.iter().map(|x| x.0),
    )
    .await?;
    for chunk in ids.chunks(ID_CHUNK) {
        assign_clawbacks_chunk(&mut *c, org, item, chunk).await?;
    }
    Ok(())
}

async fn assign_clawbacks_chunk(
    c: &mut SqliteConnection,
    org: OrgId,
    item: PayoutItemId,
    entries: &[LedgerEntryId],
) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = entries.iter().map(|e| e.0).collect();
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO payout_item_clawbacks (ledger_entry_id, payout_item_id, org_id)
         SELECT l.id, i.id, i.org_id FROM ledger_entries l JOIN payout_items i ON +i.org_id = +l.org_id AND i.id = ",
    );
    q.push_bind(item.0)
        .push(" WHERE +l.org_id = ")
        .push_bind(org.0)
        .push(" AND l.id IN ");
    push_ids(&mut q, &ids);
    q.build()
        .execute(c)
        .await
        .map_err(|e| conflict_on("payout_item_clawbacks", e))?;
    Ok(())
}

pub(super) async fn item_commissions(
    c: &mut SqliteConnection,
    org: OrgId,
    item: PayoutItemId,
) -> StoreResult<Vec<Commission>> {
    let rows = sqlx::query(
        "SELECT k.* FROM payout_item_commissions i JOIN commissions k ON k.id = i.commission_id AND k.org_id = i.org_id
         WHERE i.org_id = $1 AND i.payout_item_id = $2
         ORDER BY k.created_at, k.id",
    )
    .bind(org.0)
    .bind(item.0)
    .fetch_all(c)
    .await?;
    rows.iter().map(commission).collect()
}
