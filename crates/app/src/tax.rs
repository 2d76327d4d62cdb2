//! US tax reporting of affiliate payouts: each affiliate's tax form (a status and a privately
//! stored document), the yearly report of what was paid in USD, the 1099-NEC export, and the
//! reminder sent to an affiliate without a form once their year's payouts reach USD 400.
//!
//! Amounts paid in other currencies are converted at the year's last available rate: the
//! newest ECB rate on or before 31 December (for the current year, the newest loaded). One
//! rate per year keeps the report reproducible and matches how a yearly total is usually
//! converted; a missing rate is refused with `fx_rate_missing`.

use std::collections::HashMap;

use afflux_domain::{
    Affiliate, AffiliateId, Currency, MAX_TAX_DOCUMENT_BYTES, Money, OrgId, Permission, TaxAssessment, TaxFormStatus,
    ValidationError, assess_tax, document_file_name, push_csv_row, tax_document_type,
};
use afflux_store::{TaxDocument, TaxDocumentInfo, TaxForm, Tx};
use serde::Deserialize;
use time::{Date, Month, OffsetDateTime};

use crate::mail::EmailJob;
use crate::money::convert_in;
use crate::{Actor, App, AppError, AppResult, audit};

/// `PUT /api/v1/affiliates/{id}/tax-form`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetTaxForm {
    pub status: TaxFormStatus,
}

/// A document as uploaded: the bytes with what the uploader said about them.
#[derive(Debug, Clone, Copy)]
pub struct DocumentUpload<'a> {
    /// The request's `Content-Type`, if any; checked against the bytes, never trusted.
    pub declared_type: Option<&'a str>,
    pub file_name: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// A document opened for download.
#[derive(Debug, Clone)]
pub struct OpenedDocument {
    pub info: TaxDocumentInfo,
    pub bytes: Vec<u8>,
}

/// What was paid in one calendar year, per affiliate, in USD.
#[derive(Debug, Clone)]
pub struct TaxReport {
    pub year: i32,
    /// Rates are the newest on or before this date.
    pub rates_on: Date,
    /// Every affiliate paid in the year, the highest USD total first.
    pub rows: Vec<TaxReportRow>,
}

#[derive(Debug, Clone)]
pub struct TaxReportRow {
    pub affiliate: Affiliate,
    pub status: TaxFormStatus,
    /// Paid per currency, as paid.
    pub paid: Vec<Money>,
    pub total_usd: Money,
    pub assessment: TaxAssessment,
}

/// The associated data a document is sealed with: a sealed document copied to another
/// affiliate's (or organization's) row does not open.
fn seal_context(org: OrgId, affiliate: AffiliateId) -> Vec<u8> {
    format!("tax-form-document/{org}/{affiliate}").into_bytes()
}

/// The date whose rates convert a year's payouts.
fn rates_on(year: i32) -> Date {
    Date::from_calendar_date(year, Month::December, 31).expect("tax years are validated")
}

/// The tax year asked for: 2000 up to the current year (UTC), the current year when omitted.
pub fn tax_year(year: Option<i32>) -> Result<i32, ValidationError> {
    let current = OffsetDateTime::now_utc().year();
    let year = year.unwrap_or(current);
    if !(2000..=current).contains(&year) {
        return Err(ValidationError::new(
            "year",
            format!("must be between 2000 and {current}"),
        ));
    }
    Ok(year)
}

impl App {
    /// The affiliate's tax form; `None` when nothing was recorded yet (status None, no document).
    pub async fn tax_form(&self, actor: &Actor, affiliate: AffiliateId) -> AppResult<Option<TaxForm>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_affiliate(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        Ok(tx.get_tax_form(actor.org_id, affiliate).await?)
    }

    /// Records which tax form the organization holds for the affiliate (Admin or Owner).
    pub async fn set_tax_form_status(
        &self,
        actor: &Actor,
        affiliate: AffiliateId,
        input: SetTaxForm,
    ) -> AppResult<TaxForm> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        let before = tx.get_tax_form(actor.org_id, affiliate).await?;
        if !tx
            .set_tax_form_status(actor.org_id, affiliate, input.status, OffsetDateTime::now_utc())
            .await?
        {
            return Err(AppError::NotFound("affiliate"));
        }
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "tax_form.status_set",
            ("affiliate", &affiliate),
            Some(&serde_json::json!({ "status": before.map_or(TaxFormStatus::None, |f| f.status) })),
            Some(&serde_json::json!({ "status": input.status })),
        )
        .await?;
        let after = stored_form(tx.as_mut(), actor.org_id, affiliate).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Stores the affiliate's signed tax form (Admin or Owner): a PDF, PNG or JPEG as told by
    /// its bytes, at most 10 MB, encrypted with the instance key and bound to the organization
    /// and affiliate. It replaces any document before it.
    pub async fn upload_tax_document(
        &self,
        actor: &Actor,
        affiliate: AffiliateId,
        upload: DocumentUpload<'_>,
    ) -> AppResult<TaxForm> {
        actor.authorize(Permission::ManageSettings, true)?;
        let content_type = check_document(&upload)?;
        let extension = content_type.rsplit('/').next().unwrap_or("bin");
        let file_name = document_file_name(upload.file_name.unwrap_or_default(), &format!("tax-form.{extension}"));
        let info = TaxDocumentInfo {
            content_type: content_type.to_owned(),
            file_name,
            size: i64::try_from(upload.bytes.len()).map_err(anyhow::Error::from)?,
            uploaded_at: OffsetDateTime::now_utc(),
        };
        let document = TaxDocument {
            sealed: self
                .secrets()
                .seal(&seal_context(actor.org_id, affiliate), upload.bytes),
            info: info.clone(),
        };
        let mut tx = self.store().write().await?;
        if !tx.put_tax_document(actor.org_id, affiliate, &document).await? {
            return Err(AppError::NotFound("affiliate"));
        }
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "tax_form.document_uploaded",
            ("affiliate", &affiliate),
            None::<&()>,
            Some(&serde_json::json!({
                "contentType": info.content_type,
                "fileName": info.file_name,
                "size": info.size,
            })),
        )
        .await?;
        let after = stored_form(tx.as_mut(), actor.org_id, affiliate).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The affiliate's tax document in the clear (Admin or Owner); each download is audited.
    pub async fn tax_document(&self, actor: &Actor, affiliate: AffiliateId) -> AppResult<OpenedDocument> {
        actor.authorize(Permission::ManageSettings, false)?;
        let mut tx = self.store().write().await?;
        tx.get_affiliate(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let stored = tx
            .get_tax_document(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("tax document"))?;
        let bytes = self
            .secrets()
            .open(&seal_context(actor.org_id, affiliate), &stored.sealed)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the tax document of affiliate {affiliate} does not open: the instance key changed or the row was altered"
                )
            })?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "tax_form.document_downloaded",
            ("affiliate", &affiliate),
            None::<&()>,
            Some(&serde_json::json!({ "fileName": stored.info.file_name })),
        )
        .await?;
        tx.commit().await?;
        Ok(OpenedDocument {
            info: stored.info,
            bytes,
        })
    }

    /// What each affiliate was paid in `year` (UTC), in USD, with their form and whether they
    /// reach the 1099-NEC line.
    pub async fn tax_report(&self, actor: &Actor, year: i32) -> AppResult<TaxReport> {
        actor.authorize(Permission::ViewData, false)?;
        let rates_on = rates_on(year);
        let (paid, forms, affiliates) = {
            let mut tx = self.store().read().await?;
            let paid = tx.paid_by_affiliate(actor.org_id, year, None).await?;
            let forms: HashMap<AffiliateId, TaxFormStatus> = tx
                .list_tax_forms(actor.org_id)
                .await?
                .into_iter()
                .map(|f| (f.affiliate_id, f.status))
                .collect();
            let mut affiliates = HashMap::new();
            for (id, _, _) in &paid {
                if !affiliates.contains_key(id) {
                    let a = tx
                        .get_affiliate(actor.org_id, *id)
                        .await?
                        .ok_or(AppError::NotFound("affiliate"))?;
                    affiliates.insert(*id, a);
                }
            }
            (paid, forms, affiliates)
        };
        let mut rows: Vec<TaxReportRow> = Vec::new();
        for (id, currency, minor) in paid {
            let amount = Money::new(minor, currency);
            let usd = self.convert_money(amount, Currency::USD, rates_on).await?;
            match rows.last_mut() {
                // Rows come by affiliate: a second currency of the same one adds to it.
                Some(row) if row.affiliate.id == id => {
                    row.paid.push(amount);
                    row.total_usd.minor = row.total_usd.minor.saturating_add(usd.minor);
                }
                _ => rows.push(TaxReportRow {
                    affiliate: affiliates[&id].clone(),
                    status: forms.get(&id).copied().unwrap_or(TaxFormStatus::None),
                    paid: vec![amount],
                    total_usd: usd,
                    assessment: assess_tax(0, TaxFormStatus::None),
                }),
            }
        }
        for row in &mut rows {
            row.assessment = assess_tax(row.total_usd.minor, row.status);
        }
        rows.sort_by(|a, b| {
            b.total_usd
                .minor
                .cmp(&a.total_usd.minor)
                .then_with(|| a.affiliate.email.key().cmp(&b.affiliate.email.key()))
        });
        Ok(TaxReport { year, rates_on, rows })
    }

    /// The 1099-NEC recipients of `year` as CSV: affiliates paid at least USD 600 who are not
    /// certified foreign (a W-9, or no form at all), with a header row. Cells go through the
    /// shared spreadsheet-safe writer (formula starts get a leading `'`).
    pub async fn tax_1099_nec_csv(&self, actor: &Actor, year: i32) -> AppResult<String> {
        let report = self.tax_report(actor, year).await?;
        let mut out = String::new();
        push_csv_row(
            &mut out,
            &["Recipient name", "Email", "Tax form status", "Total paid (USD)", "Year"],
        );
        for row in report.rows.iter().filter(|r| r.assessment.files_1099_nec) {
            push_csv_row(
                &mut out,
                &[
                    row.affiliate.name.as_deref().unwrap_or_default(),
                    row.affiliate.email.as_str(),
                    row.status.as_str(),
                    &row.total_usd.major_string(),
                    &year.to_string(),
                ],
            );
        }
        Ok(out)
    }

    /// After a payout to the affiliate was recorded in `tx`: once their payouts of the year
    /// reach USD 400 with no tax form on file, a reminder is enqueued, once per year. A missing
    /// exchange rate leaves the reminder for a later payout (the payout itself goes on).
    pub(crate) async fn remind_tax_form_if_due(
        &self,
        tx: &mut dyn Tx,
        org: OrgId,
        affiliate: AffiliateId,
        at: OffsetDateTime,
    ) -> AppResult<()> {
        let status = tx
            .get_tax_form(org, affiliate)
            .await?
            .map_or(TaxFormStatus::None, |f| f.status);
        if status != TaxFormStatus::None {
            return Ok(());
        }
        let year = at.year();
        let mut total_usd: i64 = 0;
        for (_, currency, minor) in tx.paid_by_affiliate(org, year, Some(affiliate)).await? {
            match convert_in(tx, Money::new(minor, currency), Currency::USD, rates_on(year)).await {
                Ok(usd) => total_usd = total_usd.saturating_add(usd.minor),
                Err(AppError::Conflict {
                    code: "fx_rate_missing",
                    message,
                    ..
                }) => {
                    tracing::warn!(%org, %affiliate, message, "tax form reminder not checked");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        if assess_tax(total_usd, status).needs_reminder && tx.mark_tax_reminder(org, affiliate, year, at).await? {
            self.enqueue_email(
                tx,
                EmailJob::TaxFormReminder {
                    org_id: org,
                    affiliate_id: affiliate,
                    year,
                },
            )
            .await?;
        }
        Ok(())
    }
}

async fn stored_form(tx: &mut dyn Tx, org: OrgId, affiliate: AffiliateId) -> AppResult<TaxForm> {
    tx.get_tax_form(org, affiliate)
        .await?
        .ok_or(AppError::NotFound("tax form"))
}

/// The document's media type, from its bytes; refused when empty, too large, not a PDF, PNG or
/// JPEG, or declared as something else.
fn check_document(upload: &DocumentUpload<'_>) -> Result<&'static str, ValidationError> {
    if upload.bytes.is_empty() {
        return Err(ValidationError::new("document", "is empty"));
    }
    if upload.bytes.len() > MAX_TAX_DOCUMENT_BYTES {
        return Err(ValidationError::with_code(
            "document",
            "payload_too_large",
            "must be at most 10 MB",
        ));
    }
    let unsupported = |message: String| ValidationError::with_code("document", "unsupported_document_type", message);
    let sniffed =
        tax_document_type(upload.bytes).ok_or_else(|| unsupported("must be a PDF, PNG or JPEG file".into()))?;
    let declared = upload
        .declared_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty() && t != "application/octet-stream");
    if let Some(declared) = declared {
        let same = declared == sniffed || (declared == "image/jpg" && sniffed == "image/jpeg");
        if !same {
            return Err(unsupported(format!("is a {sniffed} file, not {declared}")));
        }
    }
    Ok(sniffed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload<'a>(declared: Option<&'a str>, bytes: &'a [u8]) -> DocumentUpload<'a> {
        DocumentUpload {
            declared_type: declared,
            file_name: None,
            bytes,
        }
    }

    #[test]
    fn documents_are_checked_by_their_bytes_and_declared_type() {
        let pdf = b"%PDF-1.7\n1 0 obj";
        assert_eq!(
            check_document(&upload(Some("application/pdf"), pdf)),
            Ok("application/pdf")
        );
        assert_eq!(check_document(&upload(None, pdf)), Ok("application/pdf"));
        assert_eq!(
            check_document(&upload(Some("application/octet-stream"), pdf)),
            Ok("application/pdf")
        );
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(check_document(&upload(Some("image/jpg"), &jpeg)), Ok("image/jpeg"));
        let code = |u| check_document(&u).unwrap_err().code;
        assert_eq!(
            code(upload(Some("application/pdf"), b"<html><script>")),
            "unsupported_document_type"
        );
        assert_eq!(code(upload(Some("image/png"), pdf)), "unsupported_document_type");
        assert_eq!(code(upload(Some("application/pdf"), b"")), "validation_failed");
        let big = vec![b'%'; MAX_TAX_DOCUMENT_BYTES + 1];
        assert_eq!(code(upload(None, &big)), "payload_too_large");
    }

    #[test]
    fn tax_years_are_bounded() {
        let current = OffsetDateTime::now_utc().year();
        assert_eq!(tax_year(None), Ok(current));
        assert_eq!(tax_year(Some(2000)), Ok(2000));
        assert!(tax_year(Some(1999)).is_err());
        assert!(tax_year(Some(current + 1)).is_err());
    }
}
