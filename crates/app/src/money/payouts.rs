//! Payout runs: a Manager or above starts one, never the system. Per affiliate and currency,
//! the Approved commissions no payout holds, net of clawbacks carried in, become one item if
//! they reach the campaign's minimum. A commission enters one item only, ever: the run takes
//! the organization's lock, and a unique key refuses a commission a concurrent run took.
//! Items are paid by hand (with a reference) or exported as PayPal's mass-payment file.

use std::collections::BTreeMap;

use afflux_domain::{
    Commission, CommissionStatus, Currency, LedgerEntry, LedgerEntryId, LedgerKind, Money, PayoutItem, PayoutItemId,
    PayoutRail, PayoutRun, PayoutRunId, PayoutStatus, PaypalRow, Permission, bounded_text, paypal_mass_payment_csv,
    plan_payouts,
};
use afflux_store::{Page, PayoutItemFilter, Tx};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// `POST /api/v1/payouts/runs`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPayoutRun {
    /// PayPal (the Payouts API when the organization connected PayPal, else the mass-payment
    /// file), StripeConnect (a transfer per item; needs Stripe Connect connected) or Manual.
    pub rail: PayoutRail,
    /// Only this currency; every currency with something payable when omitted.
    pub currency: Option<String>,
}

/// A run with its items.
#[derive(Debug, Clone)]
pub struct PayoutRunDetail {
    pub run: PayoutRun,
    pub items: Vec<PayoutItem>,
}

impl App {
    pub async fn start_payout_run(&self, actor: &Actor, input: NewPayoutRun) -> AppResult<PayoutRunDetail> {
        actor.authorize(Permission::RunPayouts, true)?;
        if input.rail == PayoutRail::StripeConnect && !self.stripe_connected(actor.org_id).await? {
            return Err(AppError::conflict(
                "rail_not_configured",
                Some("rail"),
                "Stripe Connect is not connected: an Admin connects the platform account's secret key first (PUT /api/v1/integrations/stripe-connect)",
            ));
        }
        let currency = input.currency.as_deref().map(Currency::parse).transpose()?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        // Runs of one organization take turns: the second sees what the first took.
        tx.lock_org(actor.org_id).await?;
        let payable = tx.payable_totals(actor.org_id, currency).await?;
        let clawbacks = tx.open_clawbacks(actor.org_id, currency).await?;
        let planned = plan_payouts(
            &payable,
            &clawbacks
                .iter()
                .map(|e| (e.affiliate_id, e.amount, e.id))
                .collect::<Vec<_>>(),
        );
        if planned.is_empty() {
            return Err(AppError::conflict(
                "nothing_payable",
                None,
                "nothing is payable: no approved commissions reach their minimum payout",
            ));
        }
        let run = PayoutRun {
            id: PayoutRunId::new(),
            org_id: actor.org_id,
            rail: input.rail,
            currency,
            created_by: actor.user_id(),
            created_at: now,
        };
        tx.insert_payout_run(&run).await?;
        let items: Vec<PayoutItem> = planned
            .iter()
            .map(|p| PayoutItem {
                id: PayoutItemId::new(),
                org_id: actor.org_id,
                run_id: run.id,
                affiliate_id: p.affiliate_id,
                amount: p.amount,
                status: PayoutStatus::Pending,
                reference: None,
                failure_reason: None,
                attempts: 0,
                created_at: now,
                updated_at: now,
            })
            .collect();
        tx.insert_payout_items(&items).await?;
        let assigned = tx
            .assign_run_commissions(actor.org_id, run.id)
            .await
            .map_err(|e| taken(e, "payout_item_commissions"))?;
        for (item, plan) in items.iter().zip(&planned) {
            // Under the organization's lock nothing else takes commissions; a commission approved,
            // denied or refunded since they were summed changes what an item holds, and its amount
            // would no longer match: the run is refused and leaves nothing behind.
            let holds = assigned.iter().find(|a| a.item == item.id);
            if holds.map(|a| (a.commissions, a.total_minor)) != Some((plan.commissions, plan.commissions_minor)) {
                return Err(run_conflict());
            }
            tx.assign_clawbacks(actor.org_id, item.id, &plan.clawback_ids)
                .await
                .map_err(|e| taken(e, "payout_item_clawbacks"))?;
        }
        if run.rail == PayoutRail::PayPal {
            let ids: Vec<PayoutItemId> = items.iter().map(|i| i.id).collect();
            self.send_with_paypal(tx.as_mut(), &run, &ids, &run.id.to_string())
                .await?;
        }
        let mut items = items;
        if run.rail == PayoutRail::StripeConnect {
            self.send_with_stripe(tx.as_mut(), &run, &mut items).await?;
        }
        let summary = serde_json::json!({
            "rail": run.rail,
            "items": items.len(),
            "totals": totals(&items),
        });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "payout_run.started",
            ("payout_run", &run.id),
            None::<&()>,
            Some(&summary),
        )
        .await?;
        tx.commit().await?;
        self.wake_worker();
        Ok(PayoutRunDetail { run, items })
    }

    pub async fn payout_runs(&self, actor: &Actor, page: Page) -> AppResult<Vec<PayoutRun>> {
        actor.authorize(Permission::ViewData, false)?;
        Ok(self.store().read().await?.list_payout_runs(actor.org_id, page).await?)
    }

    pub async fn payout_run(&self, actor: &Actor, id: PayoutRunId) -> AppResult<PayoutRunDetail> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let run = tx
            .get_payout_run(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("payout run"))?;
        let filter = PayoutItemFilter {
            run_id: Some(id),
            ..PayoutItemFilter::default()
        };
        let items = tx.list_payout_items(actor.org_id, &filter, Page::ALL).await?;
        Ok(PayoutRunDetail { run, items })
    }

    /// PayPal's mass-payment file of a run's pending items in one currency (header-less, seven
    /// columns), to upload at PayPal; then mark the items paid.
    pub async fn paypal_payout_file(&self, actor: &Actor, id: PayoutRunId, currency: &str) -> AppResult<String> {
        actor.authorize(Permission::RunPayouts, false)?;
        let currency = Currency::parse(currency)?;
        let detail = self.payout_run(actor, id).await?;
        if self.paypal_connected(actor.org_id).await? {
            // The API sends these items itself: a file too could pay them twice.
            return Err(AppError::conflict(
                "paid_through_paypal_api",
                None,
                "PayPal is connected: this run's items are sent through the PayPal API, not a file",
            ));
        }
        let mut tx = self.store().read().await?;
        let mut rows = vec![];
        for item in detail
            .items
            .iter()
            .filter(|i| i.status == PayoutStatus::Pending && i.amount.currency == currency)
        {
            let affiliate = tx
                .get_affiliate(actor.org_id, item.affiliate_id)
                .await?
                .ok_or(AppError::NotFound("affiliate"))?;
            let receiver = affiliate.paypal_email.as_ref().unwrap_or(&affiliate.email);
            rows.push(PaypalRow {
                receiver: receiver.as_str().to_owned(),
                amount: item.amount,
                customer_id: affiliate.slug.to_string().chars().take(30).collect(),
                note: format!("Affiliate commissions (payout {})", short(item.id)),
            });
        }
        Ok(paypal_mass_payment_csv(&rows)?)
    }

    /// Marks a pending item paid with the rail's reference: its commissions become Paid and
    /// the ledger records the payout.
    pub async fn mark_payout_paid(&self, actor: &Actor, id: PayoutItemId, reference: &str) -> AppResult<PayoutItem> {
        actor.authorize(Permission::RunPayouts, true)?;
        let reference = bounded_text("reference", reference, 255)?;
        let mut tx = self.store().write().await?;
        let item = pending_item(tx.as_mut(), actor.org_id, id).await?;
        let after = settle(
            self,
            tx.as_mut(),
            &actor.audit_name(),
            item,
            Settlement::Paid(reference),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Marks a pending item failed with the reason; its commissions stay with it, so retrying
    /// the item (not a new run) is how they get paid.
    pub async fn mark_payout_failed(&self, actor: &Actor, id: PayoutItemId, reason: &str) -> AppResult<PayoutItem> {
        actor.authorize(Permission::RunPayouts, true)?;
        let reason = bounded_text("reason", reason, 1_000)?;
        let mut tx = self.store().write().await?;
        let item = pending_item(tx.as_mut(), actor.org_id, id).await?;
        let after = settle(self, tx.as_mut(), &actor.audit_name(), item, Settlement::Failed(reason)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Puts a failed item back to Pending, to be paid again.
    pub async fn retry_payout_item(&self, actor: &Actor, id: PayoutItemId) -> AppResult<PayoutItem> {
        actor.authorize(Permission::RunPayouts, true)?;
        let mut tx = self.store().write().await?;
        let before = tx
            .get_payout_item(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("payout item"))?;
        if before.status != PayoutStatus::Failed {
            return Err(AppError::conflict(
                "payout_item_not_failed",
                Some("status"),
                format!("only a failed item can be retried; this one is {}", before.status),
            ));
        }
        let after = PayoutItem {
            status: PayoutStatus::Pending,
            updated_at: OffsetDateTime::now_utc(),
            ..before.clone()
        };
        tx.update_payout_item(&after).await?;
        record_item(tx.as_mut(), &actor.audit_name(), "payout_item.retried", &before, &after).await?;
        let run = tx
            .get_payout_run(actor.org_id, after.run_id)
            .await?
            .ok_or(AppError::NotFound("payout run"))?;
        if run.rail == PayoutRail::PayPal {
            self.send_with_paypal(
                tx.as_mut(),
                &run,
                &[after.id],
                &format!("{}-{}", after.id, after.attempts),
            )
            .await?;
        }
        let mut after = after;
        if run.rail == PayoutRail::StripeConnect {
            self.send_with_stripe(tx.as_mut(), &run, std::slice::from_mut(&mut after))
                .await?;
        }
        tx.commit().await?;
        self.wake_worker();
        Ok(after)
    }
}

pub(super) async fn pending_item(
    tx: &mut dyn Tx,
    org: afflux_domain::OrgId,
    id: PayoutItemId,
) -> AppResult<PayoutItem> {
    let item = tx
        .get_payout_item(org, id)
        .await?
        .ok_or(AppError::NotFound("payout item"))?;
    if item.status != PayoutStatus::Pending {
        return Err(AppError::conflict(
            "payout_item_not_pending",
            Some("status"),
            format!("this item is {} already", item.status),
        ));
    }
    Ok(item)
}

/// How an item ended.
pub(super) enum Settlement {
    Paid(String),
    Failed(String),
}

/// Ends a pending item: paid (its commissions Paid, the payout on the ledger, a tax form
/// reminder when due) or failed.
pub(super) async fn settle(
    app: &App,
    tx: &mut dyn Tx,
    actor: &str,
    before: PayoutItem,
    outcome: Settlement,
) -> AppResult<PayoutItem> {
    let now = OffsetDateTime::now_utc();
    let after = match outcome {
        Settlement::Paid(reference) => PayoutItem {
            status: PayoutStatus::Paid,
            reference: Some(reference),
            failure_reason: None,
            updated_at: now,
            ..before.clone()
        },
        Settlement::Failed(reason) => PayoutItem {
            status: PayoutStatus::Failed,
            failure_reason: Some(reason),
            attempts: before.attempts + 1,
            updated_at: now,
            ..before.clone()
        },
    };
    tx.update_payout_item(&after).await?;
    if after.status == PayoutStatus::Paid {
        for commission in tx.payout_item_commissions(after.org_id, after.id).await? {
            if commission.status == CommissionStatus::Approved {
                tx.update_commission(&Commission {
                    status: CommissionStatus::Paid,
                    updated_at: now,
                    ..commission
                })
                .await?;
            }
        }
        tx.insert_ledger_entries(&[LedgerEntry {
            id: LedgerEntryId::new(),
            org_id: after.org_id,
            affiliate_id: after.affiliate_id,
            kind: LedgerKind::Payout,
            amount: Money::new(-after.amount.minor, after.amount.currency),
            commission_id: None,
            payout_item_id: Some(after.id),
            memo: after.reference.clone(),
            created_at: now,
        }])
        .await?;
        app.remind_tax_form_if_due(tx, after.org_id, after.affiliate_id, now)
            .await?;
    }
    app.queue_payout_emails(tx, &after).await?;
    let action = if after.status == PayoutStatus::Paid {
        "payout_item.paid"
    } else {
        "payout_item.failed"
    };
    record_item(tx, actor, action, &before, &after).await?;
    Ok(after)
}

async fn record_item(
    tx: &mut dyn Tx,
    actor: &str,
    action: &str,
    before: &PayoutItem,
    after: &PayoutItem,
) -> AppResult<()> {
    audit::record(
        tx,
        after.org_id,
        actor,
        action,
        ("payout_item", &after.id),
        Some(before),
        Some(after),
    )
    .await
}

/// A unique-key refusal means a concurrent run took the same commission first.
fn taken(e: afflux_store::StoreError, constraint: &str) -> AppError {
    if e.is_conflict_on(constraint) {
        run_conflict()
    } else {
        e.into()
    }
}

fn run_conflict() -> AppError {
    AppError::conflict(
        "payout_run_conflict",
        None,
        "another payout run took some of these commissions at the same moment; start the run again",
    )
}

/// Totals per currency code, minor units.
fn totals(items: &[PayoutItem]) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for i in items {
        *out.entry(i.amount.currency.code()).or_insert(0) += i.amount.minor;
    }
    out
}

/// The last eight characters of an id (its random part): enough to tell items apart in a note.
fn short(id: PayoutItemId) -> String {
    let text = id.to_string();
    text[text.len() - 8..].to_owned()
}
