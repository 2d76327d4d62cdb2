//! Tax forms, their sealed documents, yearly payout sums and the yearly reminder record.

use afflux_domain::{AffiliateId, Currency, LedgerKind, OrgId, TaxFormStatus};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::row::{get_id, get_parsed};
use crate::tax_records::year_bounds;
use crate::{StoreError, StoreResult, TaxDocument, TaxDocumentInfo, TaxForm};

/// Every column but the document's bytes.
const FORM_COLUMNS: &str = "org_id, affiliate_id, status, document_content_type, document_file_name, document_size,
    document_uploaded_at, updated_at";

fn document_info(row: &PgRow) -> StoreResult<Option<TaxDocumentInfo>> {
    let Some(content_type) = row.try_get::<Option<String>, _>("document_content_type")? else {
        return Ok(None);
    };
    let uploaded_at = row
        .try_get::<Option<OffsetDateTime>, _>("document_uploaded_at")?
        .ok_or_else(|| StoreError::Corrupt("tax form document without an upload time".into()))?;
    Ok(Some(TaxDocumentInfo {
        content_type,
        file_name: row
            .try_get::<Option<String>, _>("document_file_name")?
            .unwrap_or_default(),
        size: row.try_get::<Option<i64>, _>("document_size")?.unwrap_or_default(),
        uploaded_at,
    }))
}

fn form(row: &PgRow) -> StoreResult<TaxForm> {
    Ok(TaxForm {
        org_id: get_id(row, "org_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        status: get_parsed(row, "status")?,
        document: document_info(row)?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Upserts only when the affiliate is the organization's (the SELECT finds it).
pub(super) async fn set_status(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    status: TaxFormStatus,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO tax_forms (org_id, affiliate_id, status, updated_at)
         SELECT org_id, id, $3, $4 FROM affiliates WHERE org_id = $1 AND id = $2
         ON CONFLICT (org_id, affiliate_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(status.as_str())
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn put_document(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    doc: &TaxDocument,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO tax_forms (org_id, affiliate_id, status, document, document_content_type, document_file_name,
            document_size, document_uploaded_at, updated_at)
         SELECT org_id, id, $3, $4, $5, $6, $7, $8, $8 FROM affiliates WHERE org_id = $1 AND id = $2
         ON CONFLICT (org_id, affiliate_id) DO UPDATE SET document = excluded.document,
            document_content_type = excluded.document_content_type, document_file_name = excluded.document_file_name,
            document_size = excluded.document_size, document_uploaded_at = excluded.document_uploaded_at,
            updated_at = excluded.updated_at",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(TaxFormStatus::None.as_str())
    .bind(&doc.sealed)
    .bind(&doc.info.content_type)
    .bind(&doc.info.file_name)
    .bind(doc.info.size)
    .bind(doc.info.uploaded_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<TaxForm>> {
    sqlx::query(&format!(
        "SELECT {FORM_COLUMNS} FROM tax_forms WHERE org_id = $1 AND affiliate_id = $2"
    ))
    .bind(org.0)
    .bind(affiliate.0)
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(form)
    .transpose()
}

pub(super) async fn list(c: &mut PgConnection, org: OrgId) -> StoreResult<Vec<TaxForm>> {
    sqlx::query(&format!(
        "SELECT {FORM_COLUMNS} FROM tax_forms WHERE org_id = $1 ORDER BY affiliate_id"
    ))
    .bind(org.0)
    .fetch_all(c)
    .await?
    .iter()
    .map(form)
    .collect()
}

pub(super) async fn get_document(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
) -> StoreResult<Option<TaxDocument>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {FORM_COLUMNS}, document FROM tax_forms
         WHERE org_id = $1 AND affiliate_id = $2 AND document IS NOT NULL"
    ))
    .bind(org.0)
    .bind(affiliate.0)
    .fetch_optional(c)
    .await?
    else {
        return Ok(None);
    };
    let info = document_info(&row)?.ok_or_else(|| StoreError::Corrupt("tax form document without a type".into()))?;
    Ok(Some(TaxDocument {
        info,
        sealed: row.try_get("document")?,
    }))
}

pub(super) async fn paid_by_affiliate(
    c: &mut PgConnection,
    org: OrgId,
    year: i32,
    affiliate: Option<AffiliateId>,
) -> StoreResult<Vec<(AffiliateId, Currency, i64)>> {
    let (from, until) = year_bounds(year)?;
    let rows = sqlx::query(
        "SELECT affiliate_id, currency, (-SUM(amount_minor))::bigint AS paid FROM ledger_entries
         WHERE org_id = $1 AND kind = $2 AND created_at >= $3 AND created_at < $4
            AND ($5::uuid IS NULL OR affiliate_id = $5)
         GROUP BY affiliate_id, currency ORDER BY affiliate_id, currency",
    )
    .bind(org.0)
    .bind(LedgerKind::Payout.as_str())
    .bind(from)
    .bind(until)
    .bind(affiliate.map(|a| a.0))
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                get_id(r, "affiliate_id")?,
                get_parsed(r, "currency")?,
                r.try_get("paid")?,
            ))
        })
        .collect()
}

pub(super) async fn mark_reminder(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    year: i32,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO tax_reminders (org_id, affiliate_id, year, created_at)
         SELECT org_id, id, $3, $4 FROM affiliates WHERE org_id = $1 AND id = $2
         ON CONFLICT (org_id, affiliate_id, year) DO NOTHING",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(year)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}
