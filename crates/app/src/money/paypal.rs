//! PayPal Payouts API: an organization connects its REST app (client id and secret, checked
//! by getting a token, stored encrypted); runs on the PayPal rail then send their items as one
//! batch (the run id as `sender_batch_id`, so a resend is recognized, never paid twice) and a
//! job polls the batch until every item is paid or failed. Without a connection the PayPal
//! rail is the mass-payment file.

use afflux_domain::{OrgId, PayoutItemId, PayoutRun, PayoutRunId, PayoutStatus, Permission, bounded_text};
use afflux_integrations::payouts::{PayoutError, PaypalItemStatus, PaypalPayouts, TransferRequest};
use afflux_store::{OrgSecret, Tx};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::payouts::{Settlement, settle};
use crate::jobs::JobError;
use crate::{Actor, App, AppError, AppResult, audit};

pub(crate) const PAYPAL_SEND_JOB: &str = "payout.paypal.send";
pub(crate) const PAYPAL_POLL_JOB: &str = "payout.paypal.poll";
const SECRET_NAME: &str = "paypal_payouts";
/// PayPal settles most items within minutes; no need to ask more often.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
const ACTOR: &str = "paypal";

/// `PUT /api/v1/integrations/paypal`: the REST app's credentials.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaypalCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// What the API shows of the PayPal connection: never the secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaypalSettings {
    pub configured: bool,
    /// The last characters of the client id.
    pub client_id_hint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendJob {
    org_id: OrgId,
    run_id: PayoutRunId,
    items: Vec<PayoutItemId>,
    /// PayPal's `sender_batch_id`: the run id, or the item and attempt for a retry.
    sender_batch_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollJob {
    org_id: OrgId,
    payout_batch_id: String,
}

fn context(org: OrgId) -> Vec<u8> {
    format!("{org}/{SECRET_NAME}").into_bytes()
}

impl App {
    pub async fn paypal_settings(&self, actor: &Actor) -> AppResult<PaypalSettings> {
        actor.authorize(Permission::ViewData, false)?;
        let credentials = self.paypal_credentials(actor.org_id).await?;
        Ok(PaypalSettings {
            configured: credentials.is_some(),
            client_id_hint: credentials.map(|c| crate::secrets::hint(&c.client_id)),
        })
    }

    /// Connects PayPal after a live check of the credentials (Admin or Owner).
    pub async fn set_paypal_credentials(&self, actor: &Actor, input: PaypalCredentials) -> AppResult<PaypalSettings> {
        actor.authorize(Permission::ManageSettings, true)?;
        let credentials = PaypalCredentials {
            client_id: bounded_text("clientId", &input.client_id, 255)?,
            client_secret: bounded_text("clientSecret", &input.client_secret, 255)?,
        };
        self.paypal_client(&credentials)
            .verify()
            .await
            .map_err(|e| AppError::conflict("paypal_credentials_rejected", Some("clientId"), e.to_string()))?;
        let plain = serde_json::to_vec(&credentials).map_err(anyhow::Error::from)?;
        let mut tx = self.store().write().await?;
        tx.put_org_secret(&OrgSecret {
            org_id: actor.org_id,
            name: SECRET_NAME.into(),
            ciphertext: self.secrets().seal(&context(actor.org_id), &plain),
            updated_at: OffsetDateTime::now_utc(),
        })
        .await?;
        let after =
            serde_json::json!({ "configured": true, "clientIdHint": crate::secrets::hint(&credentials.client_id) });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "integration.paypal.updated",
            ("organization", &actor.org_id),
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(PaypalSettings {
            configured: true,
            client_id_hint: Some(crate::secrets::hint(&credentials.client_id)),
        })
    }

    pub(super) async fn paypal_connected(&self, org: OrgId) -> AppResult<bool> {
        Ok(self
            .store()
            .read()
            .await?
            .get_org_secret(org, SECRET_NAME)
            .await?
            .is_some())
    }

    async fn paypal_credentials(&self, org: OrgId) -> AppResult<Option<PaypalCredentials>> {
        let Some(stored) = self.store().read().await?.get_org_secret(org, SECRET_NAME).await? else {
            return Ok(None);
        };
        let plain = self.secrets().open(&context(org), &stored.ciphertext).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "the PayPal credentials do not decrypt: was the instance key changed?"
            ))
        })?;
        Ok(Some(serde_json::from_slice(&plain).map_err(anyhow::Error::from)?))
    }

    fn paypal_client(&self, credentials: &PaypalCredentials) -> PaypalPayouts {
        PaypalPayouts::new(
            &self.inner.payouts_http,
            self.config().paypal_api_base.clone(),
            &credentials.client_id,
            &credentials.client_secret,
        )
    }

    /// In the run's transaction: queues the items for PayPal when the organization connected
    /// it (else they wait for the mass-payment file and a person marking them).
    pub(super) async fn send_with_paypal(
        &self,
        tx: &mut dyn Tx,
        run: &PayoutRun,
        items: &[PayoutItemId],
        sender_batch_id: &str,
    ) -> AppResult<()> {
        if tx.get_org_secret(run.org_id, SECRET_NAME).await?.is_none() {
            return Ok(());
        }
        let job = SendJob {
            org_id: run.org_id,
            run_id: run.id,
            items: items.to_vec(),
            sender_batch_id: sender_batch_id.to_owned(),
        };
        self.enqueue(
            tx,
            PAYPAL_SEND_JOB,
            Some(run.org_id),
            &job,
            Some(format!("paypal-send:{sender_batch_id}")),
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn run_paypal_send(&self, job: &afflux_store::Job) -> Result<(), JobError> {
        let send: SendJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed PayPal send job: {e}")))?;
        let credentials = self
            .paypal_credentials(send.org_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
            .ok_or_else(|| JobError::Permanent("PayPal is no longer connected".into()))?;
        let mut requests = vec![];
        {
            let mut tx = self.store().read().await.map_err(retry)?;
            for id in &send.items {
                let Some(item) = tx.get_payout_item(send.org_id, *id).await.map_err(retry)? else {
                    continue;
                };
                if item.status != PayoutStatus::Pending {
                    continue;
                }
                let affiliate = tx
                    .get_affiliate(send.org_id, item.affiliate_id)
                    .await
                    .map_err(retry)?
                    .ok_or_else(|| JobError::Permanent(format!("affiliate of item {id} is gone")))?;
                let receiver = affiliate.paypal_email.as_ref().unwrap_or(&affiliate.email);
                requests.push(TransferRequest {
                    idempotency_key: format!("{}-{}", item.id, item.attempts),
                    destination: receiver.as_str().to_owned(),
                    amount: item.amount,
                    description: "Affiliate commissions".into(),
                    reference: item.id.to_string(),
                });
            }
        }
        if requests.is_empty() {
            return Ok(());
        }
        let outcome = self
            .paypal_client(&credentials)
            .send_batch(&send.sender_batch_id, &requests, "You have a payout")
            .await;
        match outcome {
            Ok(batch) => {
                let mut tx = self.store().write().await.map_err(retry)?;
                let poll = PollJob {
                    org_id: send.org_id,
                    payout_batch_id: batch.payout_batch_id.clone(),
                };
                self.enqueue_at(
                    tx.as_mut(),
                    PAYPAL_POLL_JOB,
                    Some(send.org_id),
                    &poll,
                    Some(format!("paypal-poll:{}", batch.payout_batch_id)),
                    OffsetDateTime::now_utc() + Duration::seconds(10),
                )
                .await
                .map_err(retry)?;
                tx.commit().await.map_err(retry)
            }
            Err(e) if e.is_retryable() => Err(payout_retry(e)),
            Err(e) => {
                // PayPal refused the whole batch: the items failed, with its reason.
                let mut tx = self.store().write().await.map_err(retry)?;
                for id in &send.items {
                    if let Ok(item) = super::payouts::pending_item(tx.as_mut(), send.org_id, *id).await {
                        settle(self, tx.as_mut(), ACTOR, item, Settlement::Failed(e.to_string()))
                            .await
                            .map_err(retry)?;
                    }
                }
                tx.commit().await.map_err(retry)?;
                Err(JobError::Permanent(e.to_string()))
            }
        }
    }

    pub(crate) async fn run_paypal_poll(&self, job: &afflux_store::Job) -> Result<(), JobError> {
        let poll: PollJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed PayPal poll job: {e}")))?;
        let credentials = self
            .paypal_credentials(poll.org_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
            .ok_or_else(|| JobError::Permanent("PayPal is no longer connected".into()))?;
        let statuses = self
            .paypal_client(&credentials)
            .batch_items(&poll.payout_batch_id)
            .await
            .map_err(|e| {
                if e.is_retryable() {
                    payout_retry(e)
                } else {
                    JobError::Permanent(e.to_string())
                }
            })?;
        let mut unsettled = 0;
        let mut tx = self.store().write().await.map_err(retry)?;
        for status in &statuses {
            let Ok(id) = status.sender_item_id.parse::<PayoutItemId>() else {
                continue;
            };
            let Ok(item) = super::payouts::pending_item(tx.as_mut(), poll.org_id, id).await else {
                continue;
            };
            match outcome(status) {
                Some(settlement) => {
                    settle(self, tx.as_mut(), ACTOR, item, settlement)
                        .await
                        .map_err(retry)?;
                }
                None => unsettled += 1,
            }
        }
        tx.commit().await.map_err(retry)?;
        if unsettled > 0 {
            return Err(JobError::Defer {
                error: format!("{unsettled} PayPal items not settled yet"),
                wait: POLL_EVERY,
            });
        }
        Ok(())
    }
}

/// What a PayPal item status means for our item: paid, failed, or not settled yet (pending,
/// on hold, or unclaimed — an unclaimed payment may still be claimed for 30 days, so it is
/// never failed here, which could pay it twice on a retry).
fn outcome(status: &PaypalItemStatus) -> Option<Settlement> {
    match status.transaction_status.as_str() {
        "SUCCESS" => Some(Settlement::Paid(status.payout_item_id.clone())),
        "FAILED" | "RETURNED" | "BLOCKED" | "REFUNDED" | "REVERSED" | "DENIED" => Some(Settlement::Failed(format!(
            "PayPal: {}",
            status.errors.as_deref().unwrap_or(&status.transaction_status)
        ))),
        _ => None,
    }
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

    fn status(transaction_status: &str) -> PaypalItemStatus {
        PaypalItemStatus {
            sender_item_id: PayoutItemId::new().to_string(),
            transaction_status: transaction_status.into(),
            payout_item_id: "PPITEM1".into(),
            errors: None,
        }
    }

    #[test]
    fn unclaimed_and_pending_items_are_not_settled() {
        assert!(matches!(outcome(&status("SUCCESS")), Some(Settlement::Paid(r)) if r == "PPITEM1"));
        assert!(matches!(outcome(&status("FAILED")), Some(Settlement::Failed(_))));
        for open in ["PENDING", "UNCLAIMED", "ONHOLD", "NEW"] {
            assert!(outcome(&status(open)).is_none(), "{open}");
        }
    }
}
