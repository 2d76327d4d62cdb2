//! CSV exports of conversions, commissions and payout items for spreadsheets: RFC 4180 with CRLF
//! line ends and a header row, every cell defused against formula injection
//! ([`afflux_domain::csv_cell`]). An export is read a page at a time, each page in a read
//! transaction of its own, and handed out as it is read: however large, it never sits in memory
//! whole.

use std::collections::HashMap;

use afflux_domain::{AffiliateId, CampaignId, Money, Permission, ValidationError, push_csv_row};
use afflux_store::ExportWindow;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::{Actor, App, AppError, AppResult};

/// Rows per page read.
const PAGE: i64 = 1_000;

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// By the day they happened (`occurred_at`).
    Conversions,
    /// By the day they were earned.
    Commissions,
    /// Payout items, by the day their run made them.
    Payouts,
}

impl ExportKind {
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Conversions => "conversions",
            ExportKind::Commissions => "commissions",
            ExportKind::Payouts => "payouts",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            ExportKind::Conversions => &[
                "id",
                "occurred_at",
                "type",
                "source",
                "status",
                "program_id",
                "program",
                "affiliate_id",
                "affiliate_email",
                "affiliate_name",
                "amount",
                "currency",
                "refunded",
                "commission",
                "commission_currency",
                "provider",
                "external_id",
                "customer_id",
                "customer_email",
                "customer_name",
                "product_id",
                "coupon_code",
            ],
            ExportKind::Commissions => &[
                "id",
                "created_at",
                "conversion_id",
                "kind",
                "status",
                "program_id",
                "program",
                "affiliate_id",
                "affiliate_email",
                "affiliate_name",
                "amount",
                "currency",
                "initial_amount",
                "hold_until",
                "payout_item_id",
                "denied_reason",
            ],
            ExportKind::Payouts => &[
                "id",
                "created_at",
                "run_id",
                "status",
                "affiliate_id",
                "affiliate_email",
                "affiliate_name",
                "paypal_email",
                "amount",
                "currency",
                "reference",
                "failure_reason",
                "attempts",
                "updated_at",
            ],
        }
    }
}

/// An export being read: [`CsvExport::next_chunk`] answers the header, then a page of rows at a
/// time, then `None`.
pub struct CsvExport {
    app: App,
    kind: ExportKind,
    window: ExportWindow,
    from: Date,
    to: Date,
    started: bool,
    done: bool,
    /// Email, name and PayPal address of the affiliates met so far.
    affiliates: HashMap<AffiliateId, [String; 3]>,
    programs: HashMap<CampaignId, String>,
}

impl CsvExport {
    /// `{kind}-{from}-{to}.csv`.
    pub fn file_name(&self) -> String {
        format!("{}-{}-{}.csv", self.kind.name(), self.from, self.to)
    }

    /// The next piece of the file, `None` once it is complete.
    pub async fn next_chunk(&mut self) -> AppResult<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            push_csv_row(&mut out, self.kind.header());
        }
        let mut tx = self.app.store().read().await?;
        let org = self.window.org_id;
        let (read, last) = match self.kind {
            ExportKind::Conversions => {
                let rows = tx.export_conversions(&self.window).await?;
                for k in &rows {
                    let program = program_name(&mut self.programs, tx.as_mut(), org, k.campaign_id).await?;
                    let [email, name, _] =
                        affiliate_cells(&mut self.affiliates, tx.as_mut(), org, k.affiliate_id).await?;
                    push_csv_row(
                        &mut out,
                        &[
                            k.id.to_string(),
                            stamp(k.occurred_at),
                            k.kind.to_string(),
                            k.source.to_string(),
                            k.status.to_string(),
                            k.campaign_id.to_string(),
                            program,
                            k.affiliate_id.to_string(),
                            email,
                            name,
                            k.amount.major_string(),
                            k.amount.currency.code().to_owned(),
                            Money::new(k.refunded_minor, k.amount.currency).major_string(),
                            k.commission.major_string(),
                            k.commission.currency.code().to_owned(),
                            k.provider.to_string(),
                            k.external_id.clone(),
                            k.customer_id.clone().unwrap_or_default(),
                            k.customer_email_key.clone().unwrap_or_default(),
                            k.customer_name.clone().unwrap_or_default(),
                            k.product_id.clone().unwrap_or_default(),
                            k.coupon_code.clone().unwrap_or_default(),
                        ],
                    );
                }
                (rows.len(), rows.last().map(|k| (k.occurred_at, k.id.0)))
            }
            ExportKind::Commissions => {
                let rows = tx.export_commissions(&self.window).await?;
                for k in &rows {
                    let program = program_name(&mut self.programs, tx.as_mut(), org, k.campaign_id).await?;
                    let [email, name, _] =
                        affiliate_cells(&mut self.affiliates, tx.as_mut(), org, k.affiliate_id).await?;
                    push_csv_row(
                        &mut out,
                        &[
                            k.id.to_string(),
                            stamp(k.created_at),
                            k.conversion_id.to_string(),
                            k.kind.to_string(),
                            k.status.to_string(),
                            k.campaign_id.to_string(),
                            program,
                            k.affiliate_id.to_string(),
                            email,
                            name,
                            k.amount.major_string(),
                            k.amount.currency.code().to_owned(),
                            Money::new(k.initial_minor, k.amount.currency).major_string(),
                            stamp(k.hold_until),
                            k.payout_item_id.map(|i| i.to_string()).unwrap_or_default(),
                            k.denied_reason.clone().unwrap_or_default(),
                        ],
                    );
                }
                (rows.len(), rows.last().map(|k| (k.created_at, k.id.0)))
            }
            ExportKind::Payouts => {
                let rows = tx.export_payout_items(&self.window).await?;
                for i in &rows {
                    let [email, name, paypal] =
                        affiliate_cells(&mut self.affiliates, tx.as_mut(), org, i.affiliate_id).await?;
                    push_csv_row(
                        &mut out,
                        &[
                            i.id.to_string(),
                            stamp(i.created_at),
                            i.run_id.to_string(),
                            i.status.to_string(),
                            i.affiliate_id.to_string(),
                            email,
                            name,
                            paypal,
                            i.amount.major_string(),
                            i.amount.currency.code().to_owned(),
                            i.reference.clone().unwrap_or_default(),
                            i.failure_reason.clone().unwrap_or_default(),
                            i.attempts.to_string(),
                            stamp(i.updated_at),
                        ],
                    );
                }
                (rows.len(), rows.last().map(|i| (i.created_at, i.id.0)))
            }
        };
        self.window.after = last.or(self.window.after);
        // A short page is the last one.
        self.done = (read as i64) < self.window.limit;
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// The whole file at once (for tests and small windows).
    pub async fn collect(mut self) -> AppResult<String> {
        let mut out = String::new();
        while let Some(chunk) = self.next_chunk().await? {
            out.push_str(&chunk);
        }
        Ok(out)
    }
}

fn stamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

async fn program_name(
    cache: &mut HashMap<CampaignId, String>,
    tx: &mut dyn afflux_store::Tx,
    org: afflux_domain::OrgId,
    id: CampaignId,
) -> AppResult<String> {
    if let Some(name) = cache.get(&id) {
        return Ok(name.clone());
    }
    let name = tx.get_campaign(org, id).await?.map(|c| c.name).unwrap_or_default();
    cache.insert(id, name.clone());
    Ok(name)
}

async fn affiliate_cells(
    cache: &mut HashMap<AffiliateId, [String; 3]>,
    tx: &mut dyn afflux_store::Tx,
    org: afflux_domain::OrgId,
    id: AffiliateId,
) -> AppResult<[String; 3]> {
    if let Some(cells) = cache.get(&id) {
        return Ok(cells.clone());
    }
    let cells = match tx.get_affiliate(org, id).await? {
        Some(a) => [
            a.email.to_string(),
            a.name.unwrap_or_default(),
            a.paypal_email.map(|e| e.to_string()).unwrap_or_default(),
        ],
        None => Default::default(),
    };
    cache.insert(id, cells.clone());
    Ok(cells)
}

impl App {
    /// Starts an export of the UTC days `from` to `to` (inclusive; by default the last 30
    /// days). Refused at once when the actor may not read the organization's data.
    pub async fn export_csv(
        &self,
        actor: &Actor,
        kind: ExportKind,
        from: Option<Date>,
        to: Option<Date>,
    ) -> AppResult<CsvExport> {
        actor.authorize(Permission::ViewData, false)?;
        let to = to.unwrap_or_else(|| OffsetDateTime::now_utc().date());
        let from = from.unwrap_or(to - Duration::days(29));
        if from > to {
            return Err(ValidationError::new("from", "must not be after to").into());
        }
        let end = to
            .next_day()
            .ok_or_else(|| AppError::from(ValidationError::new("to", "is too far in the future")))?;
        Ok(CsvExport {
            app: self.clone(),
            kind,
            window: ExportWindow {
                org_id: actor.org_id,
                from: from.with_time(Time::MIDNIGHT).assume_utc(),
                to: end.with_time(Time::MIDNIGHT).assume_utc(),
                after: None,
                limit: PAGE,
            },
            from,
            to,
            started: false,
            done: false,
            affiliates: HashMap::new(),
            programs: HashMap::new(),
        })
    }
}
