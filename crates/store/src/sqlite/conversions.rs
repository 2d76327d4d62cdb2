use afflux_domain::{Conversion, ConversionId, ConversionProvider, Money, OrgId};
use std::collections::HashSet;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::row::{get_id, get_opt_id, get_parsed, get_ts, ts};
use crate::{ConversionFilter, Page, PaymentRef, StoreResult};

pub(super) fn conversion(row: &SqliteRow) -> StoreResult<Conversion> {
    Ok(Conversion {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        kind: get_parsed(row, "type")?,
        source: get_parsed(row, "source")?,
        status: get_parsed(row, "status")?,
        amount: Money::new(row.try_get("amount_minor")?, get_parsed(row, "currency")?),
        refunded_minor: row.try_get("refunded_minor")?,
        commission: Money::new(
            row.try_get("commission_minor")?,
            get_parsed(row, "commission_currency")?,
        ),
        initial_commission_minor: row.try_get("initial_commission_minor")?,
        provider: get_parsed(row, "provider")?,
        external_id: row.try_get("external_id")?,
        event_id: row.try_get("event_id")?,
        customer_id: row.try_get("customer_id")?,
        customer_email_key: row.try_get("customer_email_key")?,
        customer_name: row.try_get("customer_name")?,
        subscription_id: row.try_get("subscription_id")?,
        invoice_id: row.try_get("invoice_id")?,
        charge_id: row.try_get("charge_id")?,
        payment_intent_id: row.try_get("payment_intent_id")?,
        product_id: row.try_get("product_id")?,
        coupon_code: row.try_get("coupon_code")?,
        click_id: get_opt_id(row, "click_id")?,
        self_referral: row.try_get("self_referral")?,
        occurred_at: get_ts(row, "occurred_at")?,
        created_at: get_ts(row, "created_at")?,
        updated_at: get_ts(row, "updated_at")?,
    })
}

pub(super) async fn insert(c: &mut SqliteConnection, k: &Conversion) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO conversions (id, org_id, campaign_id, affiliate_id, type, source, status, amount_minor, currency,
            refunded_minor, commission_minor, initial_commission_minor, commission_currency, provider, external_id,
            event_id, customer_id, customer_email_key, customer_name, subscription_id, invoice_id, charge_id,
            payment_intent_id, product_id, coupon_code, click_id, self_referral, occurred_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
            $23, $24, $25, $26, $27, $28, $29, $30)
         ON CONFLICT (org_id, provider, external_id) DO NOTHING",
    )
    .bind(k.id.0)
    .bind(k.org_id.0)
    .bind(k.campaign_id.0)
    .bind(k.affiliate_id.0)
    .bind(k.kind.as_str())
    .bind(k.source.as_str())
    .bind(k.status.as_str())
    .bind(k.amount.minor)
    .bind(k.amount.currency.code())
    .bind(k.refunded_minor)
    .bind(k.commission.minor)
    .bind(k.initial_commission_minor)
    .bind(k.commission.currency.code())
    .bind(k.provider.as_str())
    .bind(&k.external_id)
    .bind(&k.event_id)
    .bind(&k.customer_id)
    .bind(&k.customer_email_key)
    .bind(&k.customer_name)
    .bind(&k.subscription_id)
    .bind(&k.invoice_id)
    .bind(&k.charge_id)
    .bind(&k.payment_intent_id)
    .bind(&k.product_id)
    .bind(&k.coupon_code)
    .bind(k.click_id.map(|c| c.0))
    .bind(k.self_referral)
    .bind(ts(k.occurred_at))
    .bind(ts(k.created_at))
    .bind(ts(k.updated_at))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get(c: &mut SqliteConnection, org: OrgId, id: ConversionId) -> StoreResult<Option<Conversion>> {
    sqlx::query("SELECT * FROM conversions WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(conversion)
        .transpose()
}

pub(super) async fn get_by_external_id(
    c: &mut SqliteConnection,
    org: OrgId,
    provider: ConversionProvider,
    external_id: &str,
) -> StoreResult<Option<Conversion>> {
    sqlx::query("SELECT * FROM conversions WHERE org_id = $1 AND provider = $2 AND external_id = $3")
        .bind(org.0)
        .bind(provider.as_str())
        .bind(external_id)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(conversion)
        .transpose()
}

pub(super) async fn find_by_payment(
    c: &mut SqliteConnection,
    org: OrgId,
    p: &PaymentRef,
) -> StoreResult<Option<Conversion>> {
    // One probe per identifier, each on its own partial index.
    for (column, value) in [
        ("charge_id", &p.charge_id),
        ("payment_intent_id", &p.payment_intent_id),
        ("invoice_id", &p.invoice_id),
    ] {
        let Some(value) = value else { continue };
        let sql = format!(
            "SELECT * FROM conversions WHERE org_id = $1 AND {column} = $2 AND {column} IS NOT NULL
             ORDER BY created_at, id LIMIT 1"
        );
        if let Some(row) = sqlx::query(&sql)
            .bind(org.0)
            .bind(value)
            .fetch_optional(&mut *c)
            .await?
        {
            return conversion(&row).map(Some);
        }
    }
    Ok(None)
}

pub(super) async fn list(
    c: &mut SqliteConnection,
    org: OrgId,
    f: &ConversionFilter,
    page: Page,
) -> StoreResult<Vec<Conversion>> {
    let rows = sqlx::query(
        "SELECT * FROM conversions
         WHERE org_id = $1
           AND ($2 IS NULL OR affiliate_id = $2)
           AND ($3 IS NULL OR campaign_id = $3)
           AND ($4 IS NULL OR type = $4)
           AND ($5 IS NULL OR source = $5)
           AND ($6 IS NULL OR status = $6)
           AND ($7 IS NULL OR subscription_id = $7)
           AND ($8 IS NULL OR customer_id = $8)
         ORDER BY created_at DESC, id DESC LIMIT $9 OFFSET $10",
    )
    .bind(org.0)
    .bind(f.affiliate_id.map(|a| a.0))
    .bind(f.campaign_id.map(|c| c.0))
    .bind(f.kind.map(|k| k.as_str()))
    .bind(f.source.map(|s| s.as_str()))
    .bind(f.status.map(|s| s.as_str()))
    .bind(f.subscription_id.as_deref())
    .bind(f.customer_id.as_deref())
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(conversion).collect()
}

pub(super) async fn update(c: &mut SqliteConnection, k: &Conversion) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE conversions SET status = $3, refunded_minor = $4, commission_minor = $5, updated_at = $6
         WHERE org_id = $1 AND id = $2",
    )
    .bind(k.org_id.0)
    .bind(k.id.0)
    .bind(k.status.as_str())
    .bind(k.refunded_minor)
    .bind(k.commission.minor)
    .bind(ts(k.updated_at))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Inserts many conversions in one statement, skipping those whose external id is taken;
/// answers, for each, whether it was inserted.
pub(super) async fn insert_many(c: &mut SqliteConnection, rows: &[Conversion]) -> StoreResult<Vec<bool>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO conversions (id, org_id, campaign_id, affiliate_id, type, source, status, amount_minor, currency,
            refunded_minor, commission_minor, initial_commission_minor, commission_currency, provider, external_id,
            event_id, customer_id, customer_email_key, customer_name, subscription_id, invoice_id, charge_id,
            payment_intent_id, product_id, coupon_code, click_id, self_referral, occurred_at, created_at, updated_at) ",
    );
    q.push_values(rows, |mut b, k| {
        b.push_bind(k.id.0)
            .push_bind(k.org_id.0)
            .push_bind(k.campaign_id.0)
            .push_bind(k.affiliate_id.0)
            .push_bind(k.kind.as_str())
            .push_bind(k.source.as_str())
            .push_bind(k.status.as_str())
            .push_bind(k.amount.minor)
            .push_bind(k.amount.currency.code())
            .push_bind(k.refunded_minor)
            .push_bind(k.commission.minor)
            .push_bind(k.initial_commission_minor)
            .push_bind(k.commission.currency.code())
            .push_bind(k.provider.as_str())
            .push_bind(&k.external_id)
            .push_bind(&k.event_id)
            .push_bind(&k.customer_id)
            .push_bind(&k.customer_email_key)
            .push_bind(&k.customer_name)
            .push_bind(&k.subscription_id)
            .push_bind(&k.invoice_id)
            .push_bind(&k.charge_id)
            .push_bind(&k.payment_intent_id)
            .push_bind(&k.product_id)
            .push_bind(&k.coupon_code)
            .push_bind(k.click_id.map(|c| c.0))
            .push_bind(k.self_referral)
            .push_bind(ts(k.occurred_at))
            .push_bind(ts(k.created_at))
            .push_bind(ts(k.updated_at));
    });
    q.push(" ON CONFLICT (org_id, provider, external_id) DO NOTHING RETURNING id");
    let inserted: HashSet<Uuid> = q.build_query_scalar().fetch_all(c).await?.into_iter().collect();
    Ok(rows.iter().map(|k| inserted.contains(&k.id.0)).collect())
}
