//! Stripe Connect payouts: an organization connects its Stripe platform account (the secret
//! key, checked by reading the balance, stored encrypted); each affiliate gets a connected
//! account id (`acct_…`, pasted by the brand: hosted onboarding is not run here). A run on the
//! Stripe rail then queues one job per item, which posts one transfer with an
//! `Idempotency-Key` made of the item id and its attempt: a job that crashed or re-runs resends
//! the same key and can never pay twice, while a retry of a failed item is a new attempt.

use afflux_domain::{Affiliate, AffiliateId, OrgId, PayoutItem, PayoutRun, PayoutStatus, Permission, StripeAccountId};
use afflux_integrations::payouts::{PayoutError, StripeConnect, TransferRequest};
use afflux_store::{OrgSecret, Tx};
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::payouts::{Settlement, settle};
use crate::jobs::JobError;
use crate::{Actor, App, AppError, AppResult, audit};

pub(crate) const STRIPE_TRANSFER_JOB: &str = "payout.stripe.transfer";
const SECRET_NAME: &str = "stripe_connect";
const ACTOR: &str = "stripe";
/// The failure reason of an item whose affiliate has no connected account.
const NO_ACCOUNT: &str = "no_stripe_account";

/// `PUT /api/v1/integrations/stripe-connect`: the platform account's secret key.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripeConnectKey {
    /// `sk_live_…`, `sk_test_…`, or a restricted key (`rk_…`) that may read the balance and
    /// create transfers.
    pub secret_key: String,
}

/// What the API shows of the Stripe Connect connection: never the key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StripeConnectSettings {
    pub configured: bool,
    /// The last characters of the key.
    pub secret_key_hint: Option<String>,
    /// Whether the key is a live one (`sk_live_`/`rk_live_`) rather than a test key.
    pub livemode: Option<bool>,
}

/// `PATCH /api/v1/affiliates/{id}`: `stripeAccountId` set (`acct_…`) or cleared (`null`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AffiliatePatch {
    /// Absent: unchanged; `null`: cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub stripe_account_id: Option<Option<String>>,
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransferJob {
    org_id: OrgId,
    item_id: afflux_domain::PayoutItemId,
    /// The item's attempt this job pays; a job of an earlier attempt does nothing.
    attempt: i32,
}

fn context(org: OrgId) -> Vec<u8> {
    format!("{org}/{SECRET_NAME}").into_bytes()
}

/// Stripe's `Idempotency-Key` of one attempt at one item.
fn idempotency_key(item: &PayoutItem) -> String {
    format!("afflux-payout-{}-{}", item.id, item.attempts)
}

impl App {
    pub async fn stripe_connect_settings(&self, actor: &Actor) -> AppResult<StripeConnectSettings> {
        actor.authorize(Permission::ViewData, false)?;
        Ok(settings_of(self.stripe_key(actor.org_id).await?.as_deref()))
    }

    /// Connects the Stripe platform account after a live check of its key (Admin or Owner).
    pub async fn set_stripe_connect_key(
        &self,
        actor: &Actor,
        input: StripeConnectKey,
    ) -> AppResult<StripeConnectSettings> {
        actor.authorize(Permission::ManageSettings, true)?;
        let key = input.secret_key.trim().to_owned();
        let well_formed = (key.starts_with("sk_") || key.starts_with("rk_"))
            && (10..=255).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(afflux_domain::ValidationError::new(
                "secretKey",
                "must be the platform account's secret key, sk_live_… or sk_test_… (or a restricted rk_… key)",
            )
            .into());
        }
        self.stripe_client(&key).verify().await.map_err(|e| match e {
            PayoutError::Rejected(_) | PayoutError::Refused { .. } => {
                AppError::conflict("stripe_key_rejected", Some("secretKey"), e.to_string())
            }
            other => AppError::conflict(
                "stripe_unreachable",
                Some("secretKey"),
                format!("could not check the key with Stripe; try again: {other}"),
            ),
        })?;
        let settings = settings_of(Some(&key));
        let mut tx = self.store().write().await?;
        tx.put_org_secret(&OrgSecret {
            org_id: actor.org_id,
            name: SECRET_NAME.into(),
            ciphertext: self.secrets().seal(&context(actor.org_id), key.as_bytes()),
            updated_at: OffsetDateTime::now_utc(),
        })
        .await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "integration.stripe_connect.updated",
            ("organization", &actor.org_id),
            None::<&()>,
            Some(&settings),
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// Disconnects the platform account (Admin or Owner). Transfers already queued fail their
    /// job without paying; their items stay Pending for a person to settle.
    pub async fn remove_stripe_connect_key(&self, actor: &Actor) -> AppResult<StripeConnectSettings> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        if tx.delete_org_secret(actor.org_id, SECRET_NAME).await? {
            audit::record(
                tx.as_mut(),
                actor.org_id,
                &actor.audit_name(),
                "integration.stripe_connect.removed",
                ("organization", &actor.org_id),
                None::<&()>,
                Some(&serde_json::json!({ "configured": false })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(settings_of(None))
    }

    /// Sets or clears the affiliate's Stripe connected account (Manager or above).
    pub async fn update_affiliate(
        &self,
        actor: &Actor,
        id: AffiliateId,
        patch: AffiliatePatch,
    ) -> AppResult<Affiliate> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        let before = tx
            .get_affiliate(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let Some(account) = patch.stripe_account_id else {
            return Ok(before);
        };
        let account = account
            .as_deref()
            .map(|a| StripeAccountId::parse("stripeAccountId", a))
            .transpose()?;
        if account == before.stripe_account_id {
            return Ok(before);
        }
        tx.set_affiliate_stripe_account(actor.org_id, id, account.as_ref())
            .await?;
        let after = Affiliate {
            stripe_account_id: account,
            ..before.clone()
        };
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "affiliate.stripe_account_set",
            ("affiliate", &id),
            Some(&serde_json::json!({ "stripeAccountId": before.stripe_account_id })),
            Some(&serde_json::json!({ "stripeAccountId": after.stripe_account_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub(super) async fn stripe_connected(&self, org: OrgId) -> AppResult<bool> {
        Ok(self
            .store()
            .read()
            .await?
            .get_org_secret(org, SECRET_NAME)
            .await?
            .is_some())
    }

    async fn stripe_key(&self, org: OrgId) -> AppResult<Option<String>> {
        let Some(stored) = self.store().read().await?.get_org_secret(org, SECRET_NAME).await? else {
            return Ok(None);
        };
        let plain = self.secrets().open(&context(org), &stored.ciphertext).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "the Stripe secret key does not decrypt: was the instance key changed?"
            ))
        })?;
        Ok(Some(String::from_utf8(plain).map_err(anyhow::Error::from)?))
    }

    fn stripe_client(&self, key: &str) -> StripeConnect {
        StripeConnect::new(&self.inner.payouts_http, self.config().stripe_api_base.clone(), key)
    }

    /// In the run's (or the retry's) transaction: one transfer job per pending item. An item
    /// whose affiliate has no connected account fails at once (updated in `items`).
    pub(super) async fn send_with_stripe(
        &self,
        tx: &mut dyn Tx,
        run: &PayoutRun,
        items: &mut [PayoutItem],
    ) -> AppResult<()> {
        for item in items.iter_mut().filter(|i| i.status == PayoutStatus::Pending) {
            let affiliate = tx
                .get_affiliate(run.org_id, item.affiliate_id)
                .await?
                .ok_or(AppError::NotFound("affiliate"))?;
            if affiliate.stripe_account_id.is_none() {
                *item = settle(self, tx, ACTOR, item.clone(), Settlement::Failed(no_account_reason())).await?;
                continue;
            }
            let job = TransferJob {
                org_id: run.org_id,
                item_id: item.id,
                attempt: item.attempts,
            };
            self.enqueue(
                tx,
                STRIPE_TRANSFER_JOB,
                Some(run.org_id),
                &job,
                Some(format!("stripe-transfer:{}", idempotency_key(item))),
            )
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn run_stripe_transfer(&self, job: &afflux_store::Job) -> Result<(), JobError> {
        let transfer: TransferJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed Stripe transfer job: {e}")))?;
        let org = transfer.org_id;
        let (item, account) = {
            let mut tx = self.store().read().await.map_err(retry)?;
            let Some(item) = tx.get_payout_item(org, transfer.item_id).await.map_err(retry)? else {
                return Ok(());
            };
            // Settled already, or a later attempt owns the item now.
            if item.status != PayoutStatus::Pending || item.attempts != transfer.attempt {
                return Ok(());
            }
            let affiliate = tx
                .get_affiliate(org, item.affiliate_id)
                .await
                .map_err(retry)?
                .ok_or_else(|| JobError::Permanent(format!("the affiliate of item {} is gone", item.id)))?;
            (item, affiliate.stripe_account_id)
        };
        let Some(account) = account else {
            return self.finish(org, &item, Settlement::Failed(no_account_reason())).await;
        };
        // Without the key nothing is sent; the item stays Pending for a person to settle, as
        // an earlier run of this job may have paid it.
        let key = self
            .stripe_key(org)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent("Stripe Connect is no longer connected".into()))?;
        let stripe = self.stripe_client(&key);
        let group = item.run_id.to_string();
        let request = TransferRequest {
            idempotency_key: idempotency_key(&item),
            destination: account.as_str().to_owned(),
            amount: item.amount,
            description: "Affiliate commissions".into(),
            reference: item.id.to_string(),
        };
        match stripe.transfer_in_group(&request, Some(&group)).await {
            Ok(transfer_id) => self.finish(org, &item, Settlement::Paid(transfer_id)).await,
            Err(PayoutError::Indeterminate(message)) => {
                // Stripe failed mid-transfer and keeps replaying that under the key: whether a
                // transfer exists decides, and the reference it was sent with finds it.
                match stripe.find_transfer(&group, &request.reference).await {
                    Ok(Some(transfer_id)) => self.finish(org, &item, Settlement::Paid(transfer_id)).await,
                    Ok(None) => {
                        let reason = format!("{message}; it made no transfer: retry the item to pay it");
                        self.finish(org, &item, Settlement::Failed(reason)).await
                    }
                    Err(e) if e.is_retryable() => Err(payout_retry(e)),
                    Err(e) => Err(JobError::Permanent(format!(
                        "{message}; looking the transfer up failed: {e}"
                    ))),
                }
            }
            Err(e) if e.is_retryable() => Err(payout_retry(e)),
            // The key was used with other parameters (the account changed since an earlier
            // run): an earlier transfer may exist, so a person decides.
            Err(PayoutError::Refused { code, message }) if code == "idempotency_error" => Err(JobError::Permanent(
                format!("Stripe refused to reuse this transfer's key: {message}"),
            )),
            Err(e) => {
                let reason = format!("Stripe refused the transfer: {e}");
                self.finish(org, &item, Settlement::Failed(reason)).await
            }
        }
    }

    /// Settles the item if it is still pending (another worker may have settled it).
    async fn finish(&self, org: OrgId, item: &PayoutItem, outcome: Settlement) -> Result<(), JobError> {
        let mut tx = self.store().write().await.map_err(retry)?;
        let Ok(current) = super::payouts::pending_item(tx.as_mut(), org, item.id).await else {
            return Ok(());
        };
        if current.attempts != item.attempts {
            return Ok(());
        }
        settle(self, tx.as_mut(), ACTOR, current, outcome)
            .await
            .map_err(retry)?;
        tx.commit().await.map_err(retry)
    }
}

fn settings_of(key: Option<&str>) -> StripeConnectSettings {
    StripeConnectSettings {
        configured: key.is_some(),
        secret_key_hint: key.map(crate::secrets::hint),
        livemode: key.map(|k| k.starts_with("sk_live_") || k.starts_with("rk_live_")),
    }
}

fn no_account_reason() -> String {
    format!("{NO_ACCOUNT}: the affiliate has no Stripe connected account; set its stripeAccountId, then retry the item")
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

fn payout_retry(e: PayoutError) -> JobError {
    match e {
        PayoutError::RateLimited { wait } => JobError::Defer {
            error: e.to_string(),
            wait,
        },
        other => JobError::Retry(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_changes_with_the_attempt_only() {
        let item = PayoutItem {
            id: afflux_domain::PayoutItemId::new(),
            org_id: OrgId::new(),
            run_id: afflux_domain::PayoutRunId::new(),
            affiliate_id: AffiliateId::new(),
            amount: afflux_domain::Money::new(100, afflux_domain::Currency::USD),
            status: PayoutStatus::Pending,
            reference: None,
            failure_reason: None,
            attempts: 0,
            created_at: OffsetDateTime::now_utc(),
            updated_at: OffsetDateTime::now_utc(),
        };
        let first = idempotency_key(&item);
        assert_eq!(first, idempotency_key(&item.clone()));
        assert_eq!(first, format!("afflux-payout-{}-0", item.id));
        assert_ne!(first, idempotency_key(&PayoutItem { attempts: 1, ..item }));
    }

    #[test]
    fn settings_never_show_the_key() {
        let shown = settings_of(Some("sk_test_51AffluxFakePlatformKey00000000"));
        assert!(shown.configured);
        assert_eq!(shown.secret_key_hint.as_deref(), Some("…0000"));
        assert_eq!(shown.livemode, Some(false));
        assert!(!settings_of(None).configured);
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let absent: AffiliatePatch = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.stripe_account_id, None);
        let cleared: AffiliatePatch = serde_json::from_str(r#"{"stripeAccountId":null}"#).unwrap();
        assert_eq!(cleared.stripe_account_id, Some(None));
        assert!(serde_json::from_str::<AffiliatePatch>(r#"{"stripe":"x"}"#).is_err());
    }
}
