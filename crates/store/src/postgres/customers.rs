use afflux_domain::OrgId;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use super::row::{get_id, get_opt_id};
use crate::{CustomerBinding, StoreResult};

fn binding(row: &PgRow) -> StoreResult<CustomerBinding> {
    Ok(CustomerBinding {
        org_id: get_id(row, "org_id")?,
        customer_key: row.try_get("customer_key")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        conversion_id: get_opt_id(row, "conversion_id")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn bind(c: &mut PgConnection, b: &CustomerBinding) -> StoreResult<CustomerBinding> {
    // First binding wins: an existing one is kept and answered.
    sqlx::query(
        "INSERT INTO customer_bindings (org_id, customer_key, affiliate_id, campaign_id, conversion_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, customer_key) DO NOTHING",
    )
    .bind(b.org_id.0)
    .bind(&b.customer_key)
    .bind(b.affiliate_id.0)
    .bind(b.campaign_id.0)
    .bind(b.conversion_id.map(|c| c.0))
    .bind(b.created_at)
    .execute(&mut *c)
    .await?;
    get(c, b.org_id, &b.customer_key)
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("a customer binding vanished after insert".into()))
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, key: &str) -> StoreResult<Option<CustomerBinding>> {
    sqlx::query("SELECT * FROM customer_bindings WHERE org_id = $1 AND customer_key = $2")
        .bind(org.0)
        .bind(key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(binding)
        .transpose()
}

pub(super) async fn get_many(c: &mut PgConnection, org: OrgId, keys: &[String]) -> StoreResult<Vec<CustomerBinding>> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let mut q = QueryBuilder::<Postgres>::new("SELECT * FROM customer_bindings WHERE org_id = ");
    q.push_bind(org.0).push(" AND customer_key IN (");
    let mut list = q.separated(", ");
    for key in keys {
        list.push_bind(key);
    }
    q.push(")");
    let rows = q.build().fetch_all(c).await?;
    rows.iter().map(binding).collect()
}

/// Binds many keys in one statement; keys bound already keep their binding.
pub(super) async fn bind_many(c: &mut PgConnection, rows: &[CustomerBinding]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO customer_bindings (org_id, customer_key, affiliate_id, campaign_id, conversion_id, created_at) ",
    );
    q.push_values(rows, |mut b, k| {
        b.push_bind(k.org_id.0)
            .push_bind(&k.customer_key)
            .push_bind(k.affiliate_id.0)
            .push_bind(k.campaign_id.0)
            .push_bind(k.conversion_id.map(|c| c.0))
            .push_bind(k.created_at);
    });
    q.push(" ON CONFLICT (org_id, customer_key) DO NOTHING");
    q.build().execute(c).await?;
    Ok(())
}
