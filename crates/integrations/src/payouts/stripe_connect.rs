//! Stripe Connect transfers: money moves from the platform's balance to a connected account
//! (`POST /v1/transfers`, form-encoded), once per `Idempotency-Key` however often it is sent.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;

use super::http::{Answer, call};
use super::{PayoutClient, PayoutError, STRIPE_API_BASE, TransferRequest, base_url, is_plain_id};

const VENDOR: &str = "Stripe";
/// Without `Retry-After` (Stripe sends none), how long a 429 waits: its limits are per second.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(1);
/// The longest `Idempotency-Key` Stripe takes.
const MAX_KEY_LEN: usize = 255;
/// The metadata key carrying our payout item id.
const ITEM_METADATA: &str = "afflux_payout_item";
const ITEM_METADATA_PARAM: &str = "metadata[afflux_payout_item]";

/// The platform's Stripe account, by its secret key. `Debug` is left out: it holds the key.
#[derive(Clone)]
pub struct StripeConnect {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct TransferList {
    data: Vec<ListedTransfer>,
    #[serde(default)]
    has_more: bool,
}

#[derive(Deserialize)]
struct ListedTransfer {
    id: String,
    #[serde(default)]
    metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Account {
    payouts_enabled: bool,
    #[serde(default)]
    capabilities: Capabilities,
}

#[derive(Default, Deserialize)]
struct Capabilities {
    transfers: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

impl StripeConnect {
    /// `api_base` is the operator's `AFFLUX_STRIPE_API_BASE`, if set.
    pub fn new(client: &PayoutClient, api_base: Option<String>, secret_key: &str) -> Self {
        Self {
            http: client.0.clone(),
            base: base_url(api_base, STRIPE_API_BASE),
            secret_key: secret_key.trim().to_owned(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.secret_key)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Answer, PayoutError> {
        let answer = call(request, VENDOR).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else if answer.status.is_server_error() && answer.headers.contains_key("idempotent-replayed") {
            // Retrying this key only replays the saved failure.
            Err(PayoutError::Indeterminate(format!(
                "Stripe failed while executing this transfer (HTTP {}) and replays that failure for its Idempotency-Key",
                answer.status.as_u16()
            )))
        } else {
            Err(failure(&answer))
        }
    }

    /// The transfer of `transfer_group` whose `metadata[afflux_payout_item]` is `reference`, if
    /// Stripe made one: how a transfer whose outcome is unknown is settled.
    pub async fn find_transfer(&self, transfer_group: &str, reference: &str) -> Result<Option<String>, PayoutError> {
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![
                ("transfer_group", transfer_group.to_owned()),
                ("limit", "100".to_owned()),
            ];
            if let Some(last) = &after {
                query.push(("starting_after", last.clone()));
            }
            let request = self.request(Method::GET, "/v1/transfers").query(&query);
            let page: TransferList = self.send(request).await?.json(VENDOR)?;
            if let Some(found) = page
                .data
                .iter()
                .find(|t| t.metadata.get(ITEM_METADATA).map(String::as_str) == Some(reference))
            {
                return Ok(Some(found.id.clone()));
            }
            match page.data.last() {
                Some(last) if page.has_more => after = Some(last.id.clone()),
                _ => return Ok(None),
            }
        }
    }

    /// Checks the secret key with the cheapest authenticated call, `GET /v1/balance`.
    pub async fn verify(&self) -> Result<(), PayoutError> {
        self.send(self.request(Method::GET, "/v1/balance")).await?;
        Ok(())
    }

    /// Transfers `req.amount` to the connected account `req.destination`; answers the `tr_…` id.
    /// Stripe saves the first answer under the key, errors included, and replays it: a payment
    /// refused for `balance_insufficient` stays refused under that key after a top-up.
    pub async fn transfer(&self, req: &TransferRequest) -> Result<String, PayoutError> {
        self.transfer_in_group(req, None).await
    }

    /// [`StripeConnect::transfer`] tagged with a `transfer_group` (a payout run's id), which
    /// groups the run's transfers in Stripe's dashboard.
    pub async fn transfer_in_group(&self, req: &TransferRequest, group: Option<&str>) -> Result<String, PayoutError> {
        check(req)?;
        // Afflux's currencies have Stripe's minor units (JPY and KRW whole, HUF in the API's
        // hundredths), so the amount goes as it is.
        let mut form = vec![
            ("amount", req.amount.minor.to_string()),
            ("currency", req.amount.currency.code().to_ascii_lowercase()),
            ("destination", req.destination.clone()),
        ];
        if !req.description.trim().is_empty() {
            form.push(("description", req.description.clone()));
        }
        if let Some(group) = group.map(str::trim).filter(|g| !g.is_empty()) {
            form.push(("transfer_group", group.to_owned()));
        }
        form.push((ITEM_METADATA_PARAM, req.reference.clone()));
        let request = self
            .request(Method::POST, "/v1/transfers")
            .header("Idempotency-Key", &req.idempotency_key)
            .form(&form);
        let created: Created = self.send(request).await?.json(VENDOR)?;
        if created.id.is_empty() {
            return Err(PayoutError::Malformed(
                "Stripe answered a transfer without its id".into(),
            ));
        }
        Ok(created.id)
    }

    /// Whether the connected account can take transfers and pay them out to its bank: the
    /// affiliate finished onboarding and Stripe has nothing more to ask.
    pub async fn account_ready(&self, account: &str) -> Result<bool, PayoutError> {
        if !is_account_id(account) {
            return Err(PayoutError::refused(
                "invalid_account",
                format!("{account:?} is not a Stripe connected account id (acct_…)"),
            ));
        }
        let request = self.request(Method::GET, &format!("/v1/accounts/{account}"));
        let account: Account = self.send(request).await?.json(VENDOR)?;
        let transfers_active = account.capabilities.transfers.as_deref().is_none_or(|s| s == "active");
        Ok(account.payouts_enabled && transfers_active)
    }
}

fn is_account_id(id: &str) -> bool {
    id.strip_prefix("acct_").is_some_and(is_plain_id)
}

/// What Stripe would refuse anyway, or what would make the call unsafe to repeat.
fn check(req: &TransferRequest) -> Result<(), PayoutError> {
    let key = req.idempotency_key.as_str();
    if key.trim().is_empty() || key.len() > MAX_KEY_LEN {
        return Err(PayoutError::refused(
            "invalid_idempotency_key",
            "a transfer needs an Idempotency-Key of 1 to 255 characters, so a retry cannot pay twice",
        ));
    }
    if !is_account_id(&req.destination) {
        return Err(PayoutError::refused(
            "invalid_destination",
            format!("{:?} is not a Stripe connected account id (acct_…)", req.destination),
        ));
    }
    if req.amount.minor <= 0 {
        return Err(PayoutError::refused(
            "invalid_amount",
            format!("a transfer must be positive, not {}", req.amount),
        ));
    }
    Ok(())
}

/// Stripe's error object (`type`, `code`, `message`) read into a [`PayoutError`]. Messages of
/// 401 and 403 are left out: Stripe repeats part of the key in them.
fn failure(answer: &Answer) -> PayoutError {
    let error = serde_json::from_str::<Envelope>(&answer.body).ok().map(|e| e.error);
    let code = error.as_ref().and_then(|e| e.code.clone().or_else(|| e.kind.clone()));
    let message = error.and_then(|e| e.message).unwrap_or_else(|| answer.snippet());
    let status = answer.status.as_u16();
    match answer.status {
        StatusCode::UNAUTHORIZED => PayoutError::Rejected("Stripe rejected the secret key (HTTP 401)".into()),
        // One account out of reach (not connected to the platform, or gone) is no key problem.
        StatusCode::FORBIDDEN if code.as_deref() == Some("account_invalid") => PayoutError::Refused {
            code: "account_invalid".into(),
            message: "the connected account does not exist or is not connected to this platform".into(),
        },
        StatusCode::FORBIDDEN => PayoutError::Rejected(format!(
            "the Stripe key may not make this call (HTTP 403, {})",
            code.as_deref().unwrap_or("permission_error")
        )),
        // Another request with the same key is still running: its answer will be replayed.
        StatusCode::CONFLICT => {
            PayoutError::Unavailable(format!("Stripe is still working on this Idempotency-Key: {message}"))
        }
        StatusCode::TOO_MANY_REQUESTS => PayoutError::RateLimited {
            wait: answer.retry_after().unwrap_or(DEFAULT_RATE_WAIT),
        },
        s if s.is_server_error() => {
            PayoutError::Unavailable(format!("Stripe is unavailable (HTTP {status}): {message}"))
        }
        s if s.is_client_error() => match code {
            Some(code) => PayoutError::Refused { code, message },
            None => PayoutError::Malformed(format!(
                "Stripe answered HTTP {status} without its error object: {:?}",
                answer.snippet()
            )),
        },
        _ => answer.unexpected(VENDOR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connected_account_ids_are_taken() {
        assert!(is_account_id("acct_1Nv0FGQ9RKHgCVdK"));
        for bad in ["", "acct_", "cus_123", "acct_1/../../v1/balance", "jane@brand.test"] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }
}
