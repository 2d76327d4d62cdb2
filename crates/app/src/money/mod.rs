//! Money: commissions and the ledger (this file), payout runs (`payouts.rs`, paid through
//! PayPal by `paypal.rs`) and exchange rates (`fx.rs`). Commissions are written with their conversions (`conversions/earn.rs`);
//! here they are listed, approved when their hold ends, denied, and adjusted.

// --- partner emails
mod emails;
mod fx;
mod payouts;
mod paypal;
mod stripe;

use afflux_domain::{
    AffiliateId, Commission, CommissionId, CommissionStatus, Currency, LedgerEntry, LedgerEntryId, LedgerKind, Money,
    Permission, bounded_text,
};
use afflux_store::{Balance, CommissionFilter, Page};
use serde::Deserialize;
use time::OffsetDateTime;

// --- partner emails
pub(crate) use emails::queue_commission_emails;
pub(crate) use fx::convert_in;
pub use fx::{FxImport, FxRateInput, FxRatesInput};
pub use payouts::{NewPayoutRun, PayoutRunDetail};
pub(crate) use paypal::{PAYPAL_POLL_JOB, PAYPAL_SEND_JOB};
pub use paypal::{PaypalCredentials, PaypalSettings};
pub(crate) use stripe::STRIPE_TRANSFER_JOB;
pub use stripe::{AffiliatePatch, StripeConnectKey, StripeConnectSettings};

use crate::{Actor, App, AppError, AppResult, Decimal, audit};

/// How many commissions one approval pass takes per transaction.
const APPROVAL_BATCH: i64 = 1_000;

/// `POST /api/v1/commissions/{id}/deny`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DenyCommission {
    pub reason: String,
}

/// `POST /api/v1/affiliates/{id}/adjustments`: money added (positive) or taken (negative) by
/// a person, with the reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAdjustment {
    pub amount: Decimal,
    pub currency: String,
    pub memo: String,
}

impl App {
    pub async fn commissions(&self, actor: &Actor, filter: CommissionFilter, page: Page) -> AppResult<Vec<Commission>> {
        actor.authorize(Permission::ViewData, false)?;
        Ok(self
            .store()
            .read()
            .await?
            .list_commissions(actor.org_id, &filter, page)
            .await?)
    }

    pub async fn commission(&self, actor: &Actor, id: CommissionId) -> AppResult<Commission> {
        actor.authorize(Permission::ViewData, false)?;
        self.store()
            .read()
            .await?
            .get_commission(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("commission"))
    }

    /// Refuses a commission not yet in a payout, with the reason; what it earned is reversed.
    pub async fn deny_commission(
        &self,
        actor: &Actor,
        id: CommissionId,
        input: DenyCommission,
    ) -> AppResult<Commission> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let reason = bounded_text("reason", &input.reason, 1_000)?;
        let mut tx = self.store().write().await?;
        let before = tx
            .get_commission(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("commission"))?;
        let deniable = matches!(before.status, CommissionStatus::Pending | CommissionStatus::Approved)
            && before.payout_item_id.is_none();
        if !deniable {
            return Err(AppError::conflict(
                "commission_not_deniable",
                Some("status"),
                format!(
                    "a {} commission{} cannot be denied",
                    before.status,
                    if before.payout_item_id.is_some() {
                        " in a payout"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let now = OffsetDateTime::now_utc();
        let after = Commission {
            status: CommissionStatus::Denied,
            denied_reason: Some(reason.clone()),
            updated_at: now,
            ..before.clone()
        };
        tx.update_commission(&after).await?;
        if before.amount.minor != 0 {
            tx.insert_ledger_entries(&[LedgerEntry {
                id: LedgerEntryId::new(),
                org_id: actor.org_id,
                affiliate_id: before.affiliate_id,
                kind: LedgerKind::Reversed,
                amount: Money::new(-before.amount.minor, before.amount.currency),
                commission_id: Some(before.id),
                payout_item_id: None,
                memo: Some(format!("denied: {reason}")),
                created_at: now,
            }])
            .await?;
        }
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "commission.denied",
            ("commission", &id),
            Some(&serde_json::json!({ "status": before.status })),
            Some(&serde_json::json!({ "status": after.status, "reason": reason })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds or takes money from an affiliate's balance, with the reason (Admin or Owner).
    pub async fn adjust_balance(
        &self,
        actor: &Actor,
        affiliate: AffiliateId,
        input: NewAdjustment,
    ) -> AppResult<LedgerEntry> {
        actor.authorize(Permission::ManageSettings, true)?;
        let currency = Currency::parse(&input.currency)?;
        let amount = Money::parse_major("amount", &input.amount.0, currency)?;
        if amount.minor == 0 {
            return Err(afflux_domain::ValidationError::new("amount", "must not be zero").into());
        }
        let memo = bounded_text("memo", &input.memo, 1_000)?;
        let mut tx = self.store().write().await?;
        tx.get_affiliate(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let entry = LedgerEntry {
            id: LedgerEntryId::new(),
            org_id: actor.org_id,
            affiliate_id: affiliate,
            kind: LedgerKind::Adjustment,
            amount,
            commission_id: None,
            payout_item_id: None,
            memo: Some(memo),
            created_at: OffsetDateTime::now_utc(),
        };
        tx.insert_ledger_entries(std::slice::from_ref(&entry)).await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "ledger.adjusted",
            ("affiliate", &affiliate),
            None::<&()>,
            Some(&entry),
        )
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Balances per affiliate and currency, each with its net in the organization's home
    /// currency at the newest exchange rates (`None` when a rate is not loaded).
    pub async fn balances(
        &self,
        actor: &Actor,
        affiliate: Option<AffiliateId>,
    ) -> AppResult<Vec<(Balance, Option<Money>)>> {
        actor.authorize(Permission::ViewData, false)?;
        let (balances, home) = {
            let mut tx = self.store().read().await?;
            let org = tx
                .get_org(actor.org_id)
                .await?
                .ok_or(AppError::NotFound("organization"))?;
            (tx.balances(actor.org_id, affiliate).await?, org.home_currency)
        };
        let today = OffsetDateTime::now_utc().date();
        let mut out = Vec::with_capacity(balances.len());
        for b in balances {
            let in_home = match b.currency {
                Some(c) => match self.convert_money(Money::new(b.net(), c), home, today).await {
                    Ok(m) => Some(m),
                    Err(AppError::Conflict {
                        code: "fx_rate_missing",
                        ..
                    }) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            out.push((b, in_home));
        }
        Ok(out)
    }

    pub async fn ledger(&self, actor: &Actor, affiliate: AffiliateId, page: Page) -> AppResult<Vec<LedgerEntry>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_affiliate(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        Ok(tx.list_ledger(actor.org_id, Some(affiliate), page).await?)
    }

    /// Pending commissions whose hold has ended become Approved (the scheduled pass the
    /// worker runs); answers how many. Safe on several nodes at once: each takes its own rows.
    pub async fn approve_due_commissions(&self) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let mut tx = self.store().write().await?;
            let approved = tx
                .approve_due_commissions(OffsetDateTime::now_utc(), APPROVAL_BATCH)
                .await?;
            tx.commit().await?;
            total += approved.len();
            if (approved.len() as i64) < APPROVAL_BATCH {
                return Ok(total);
            }
        }
    }
}
