//! PayPal Payouts API: a client-credentials token, kept until shortly before it expires, then
//! one batch per call. PayPal completes a `sender_batch_id` only once in 30 days, which makes a
//! resent batch harmless; `PayPal-Request-Id` is sent too, though PayPal is reported not to
//! deduplicate payouts by it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use afflux_domain::{Currency, Money};
use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::http::{Answer, call};
use super::{PAYPAL_API_BASE, PayoutClient, PayoutError, TransferRequest, base_url, is_plain_id};

const VENDOR: &str = "PayPal";
/// The most items PayPal takes in one batch; more is refused here, before any call.
pub const MAX_BATCH_ITEMS: usize = 15_000;
/// PayPal's longest `sender_batch_id`.
const MAX_SENDER_BATCH_ID_LEN: usize = 256;
/// Without `Retry-After`, how long a 429 waits: PayPal counts requests per minute.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(60);
/// A token this close to its expiry is renewed rather than sent.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// Items per page when reading a batch back (PayPal's largest page).
const PAGE_SIZE: usize = 1_000;
/// Pages read at most, so an answer that never ends cannot keep us looping.
const MAX_PAGES: usize = MAX_BATCH_ITEMS / PAGE_SIZE + 1;

/// A batch as PayPal accepted it. `batch_status`: `PENDING`, `PROCESSING`, `SUCCESS`, `DENIED`,
/// `CANCELED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaypalBatch {
    pub payout_batch_id: String,
    pub batch_status: String,
}

/// One item of a batch as PayPal reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaypalItemStatus {
    /// Our reference, as sent.
    pub sender_item_id: String,
    /// `SUCCESS`, `PENDING`, `UNCLAIMED`, `FAILED`, `RETURNED`, `BLOCKED`, `ONHOLD`, …
    pub transaction_status: String,
    pub payout_item_id: String,
    /// PayPal's error name for the item (`RECEIVER_UNREGISTERED`, `RECEIVER_ACCOUNT_INVALID`, …).
    pub errors: Option<String>,
}

/// The platform's PayPal app, by its client id and secret. Clones share the token.
/// `Debug` is left out: it holds the secret.
#[derive(Clone)]
pub struct PaypalPayouts {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
    token: Arc<Mutex<Option<Token>>>,
}

struct Token {
    value: String,
    fresh_until: Instant,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct Created {
    batch_header: BatchHeader,
}

#[derive(Deserialize)]
struct BatchPage {
    batch_header: BatchHeader,
    #[serde(default)]
    items: Vec<Item>,
    total_page: Option<usize>,
}

#[derive(Deserialize)]
struct BatchHeader {
    payout_batch_id: String,
    batch_status: String,
    sender_batch_header: Option<SenderBatchHeader>,
}

#[derive(Deserialize)]
struct SenderBatchHeader {
    sender_batch_id: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    payout_item_id: String,
    transaction_status: String,
    payout_item: SentItem,
    errors: Option<Value>,
}

#[derive(Deserialize)]
struct SentItem {
    #[serde(default)]
    sender_item_id: String,
}

/// PayPal's error body (`name`, `message`, `details`), or OAuth's (`error`).
#[derive(Deserialize)]
struct ErrorBody {
    name: Option<String>,
    message: Option<String>,
    details: Option<Vec<Detail>>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Detail {
    field: Option<String>,
    issue: Option<String>,
    link: Option<Vec<Link>>,
}

#[derive(Deserialize)]
struct Link {
    href: Option<String>,
}

impl From<BatchHeader> for PaypalBatch {
    fn from(header: BatchHeader) -> Self {
        Self {
            payout_batch_id: header.payout_batch_id,
            batch_status: header.batch_status,
        }
    }
}

impl PaypalPayouts {
    /// `api_base` is the operator's `AFFLUX_PAYPAL_API_BASE`, if set (the sandbox is
    /// `https://api-m.sandbox.paypal.com`).
    pub fn new(client: &PayoutClient, api_base: Option<String>, client_id: &str, secret: &str) -> Self {
        Self {
            http: client.0.clone(),
            base: base_url(api_base, PAYPAL_API_BASE),
            client_id: client_id.trim().to_owned(),
            secret: secret.trim().to_owned(),
            token: Arc::new(Mutex::new(None)),
        }
    }

    /// Sends `items` to their receivers' emails as one batch keyed by `sender_batch_id`.
    ///
    /// Sending the same `sender_batch_id` again pays nobody twice: PayPal answers that the
    /// batch exists, with a link to it, and the batch it names is read and answered as if just
    /// created. Only when PayPal names no batch is it `Refused { code: "duplicate_batch" }`:
    /// look the batch up in PayPal, never resend it under another id.
    pub async fn send_batch(
        &self,
        sender_batch_id: &str,
        items: &[TransferRequest],
        email_subject: &str,
    ) -> Result<PaypalBatch, PayoutError> {
        let body = batch_body(sender_batch_id, items, email_subject)?;
        let url = format!("{}/v1/payments/payouts", self.base);
        let answer = self
            .authorized(|| {
                self.http
                    .post(&url)
                    .header("PayPal-Request-Id", sender_batch_id)
                    .json(&body)
            })
            .await?;
        if answer.status.is_success() {
            return Ok(answer.json::<Created>(VENDOR)?.batch_header.into());
        }
        if answer.status == StatusCode::BAD_REQUEST
            && let Ok(error) = serde_json::from_str::<ErrorBody>(&answer.body)
            && error.is_duplicate_batch()
        {
            return match error.original_batch() {
                Some(id) => self.existing_batch(&id, sender_batch_id).await,
                None => Err(PayoutError::refused(
                    "duplicate_batch",
                    format!("PayPal already holds a batch {sender_batch_id:?} and did not say which one"),
                )),
            };
        }
        Err(failure(&answer))
    }

    /// The connect flow's live check: the client id and secret get a token.
    pub async fn verify(&self) -> Result<(), PayoutError> {
        self.token().await.map(drop)
    }

    /// Every item of the batch with its status, page after page.
    pub async fn batch_items(&self, payout_batch_id: &str) -> Result<Vec<PaypalItemStatus>, PayoutError> {
        let mut found = Vec::new();
        for page in 1..=MAX_PAGES {
            let batch = self.batch_page(payout_batch_id, page, PAGE_SIZE).await?;
            let count = batch.items.len();
            found.extend(batch.items.into_iter().map(|item| PaypalItemStatus {
                sender_item_id: item.payout_item.sender_item_id,
                transaction_status: item.transaction_status,
                payout_item_id: item.payout_item_id,
                errors: item.errors.as_ref().and_then(error_name),
            }));
            if count < PAGE_SIZE || batch.total_page.is_some_and(|total| page >= total) {
                break;
            }
        }
        Ok(found)
    }

    /// The batch a duplicate answer named, checked to be ours.
    async fn existing_batch(&self, payout_batch_id: &str, sender_batch_id: &str) -> Result<PaypalBatch, PayoutError> {
        let header = self.batch_page(payout_batch_id, 1, 1).await?.batch_header;
        let theirs = header
            .sender_batch_header
            .as_ref()
            .and_then(|h| h.sender_batch_id.as_deref());
        if theirs.is_some_and(|theirs| theirs != sender_batch_id) {
            return Err(PayoutError::Malformed(format!(
                "PayPal named batch {payout_batch_id} as the earlier {sender_batch_id:?}, but it is {theirs:?}"
            )));
        }
        Ok(header.into())
    }

    async fn batch_page(&self, payout_batch_id: &str, page: usize, page_size: usize) -> Result<BatchPage, PayoutError> {
        if !is_plain_id(payout_batch_id) {
            return Err(PayoutError::refused(
                "invalid_batch_id",
                format!("{payout_batch_id:?} is not a PayPal payout batch id"),
            ));
        }
        let url = format!("{}/v1/payments/payouts/{payout_batch_id}", self.base);
        let query = [
            ("page", page.to_string()),
            ("page_size", page_size.to_string()),
            ("total_required", "true".to_owned()),
        ];
        let answer = self.authorized(|| self.http.get(&url).query(&query)).await?;
        if !answer.status.is_success() {
            return Err(failure(&answer));
        }
        answer.json(VENDOR)
    }

    /// Sends the request `build` makes with our token. A 401 means the token died before we
    /// thought (revoked, clock skew): one fresh token, one more try, which PayPal never acted on.
    async fn authorized(&self, build: impl Fn() -> RequestBuilder) -> Result<Answer, PayoutError> {
        let token = self.token().await?;
        let answer = call(build().bearer_auth(&token), VENDOR).await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return Ok(answer);
        }
        self.forget(&token).await;
        let token = self.token().await?;
        call(build().bearer_auth(&token), VENDOR).await
    }

    /// The cached token, else a new one; the lock makes concurrent callers share one request.
    async fn token(&self) -> Result<String, PayoutError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.fresh_until) {
            return Ok(token.value.clone());
        }
        let asked = Instant::now();
        let request = self
            .http
            .post(format!("{}/v1/oauth2/token", self.base))
            .basic_auth(&self.client_id, Some(&self.secret))
            .header(ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")]);
        let answer = call(request, VENDOR).await?;
        if !answer.status.is_success() {
            return Err(token_failure(&answer));
        }
        let granted: Granted = answer.json(VENDOR)?;
        if granted.access_token.is_empty() {
            return Err(PayoutError::Malformed("PayPal granted an empty access token".into()));
        }
        let lifetime = Duration::from_secs(granted.expires_in).saturating_sub(TOKEN_MARGIN);
        *cached = Some(Token {
            value: granted.access_token.clone(),
            fresh_until: asked + lifetime,
        });
        Ok(granted.access_token)
    }

    /// Drops `token` from the cache, unless another call already replaced it.
    async fn forget(&self, token: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == token) {
            *cached = None;
        }
    }
}

/// The create-batch body, refused before any call when PayPal would refuse it or could not be
/// asked to keep it once.
fn batch_body(sender_batch_id: &str, items: &[TransferRequest], email_subject: &str) -> Result<Value, PayoutError> {
    if sender_batch_id.trim().is_empty() || sender_batch_id.len() > MAX_SENDER_BATCH_ID_LEN {
        return Err(PayoutError::refused(
            "invalid_sender_batch_id",
            "a batch needs a sender_batch_id of 1 to 256 characters, so a resend cannot pay twice",
        ));
    }
    if items.is_empty() {
        return Err(PayoutError::refused("empty_batch", "a batch needs at least one item"));
    }
    if items.len() > MAX_BATCH_ITEMS {
        return Err(PayoutError::refused(
            "batch_too_large",
            format!(
                "PayPal takes at most {MAX_BATCH_ITEMS} items per batch, not {}: split it, each part under its own sender_batch_id",
                items.len()
            ),
        ));
    }
    let items = items
        .iter()
        .map(|item| {
            let mut sent = json!({
                "recipient_type": "EMAIL",
                "amount": { "value": amount_value(item.amount)?, "currency": item.amount.currency.code() },
                "receiver": item.destination,
                "sender_item_id": item.reference,
                "recipient_wallet": "PAYPAL",
            });
            if !item.description.trim().is_empty() {
                sent["note"] = item.description.as_str().into();
            }
            Ok(sent)
        })
        .collect::<Result<Vec<_>, PayoutError>>()?;
    let mut header = json!({ "sender_batch_id": sender_batch_id, "recipient_type": "EMAIL" });
    if !email_subject.trim().is_empty() {
        header["email_subject"] = email_subject.into();
    }
    Ok(json!({ "sender_batch_header": header, "items": items }))
}

/// `amount.value`: a decimal string with the currency's decimals, except that PayPal takes HUF
/// (two decimals in ISO 4217) in whole forints only, as it takes JPY.
fn amount_value(amount: Money) -> Result<String, PayoutError> {
    if amount.minor <= 0 {
        return Err(PayoutError::refused(
            "invalid_amount",
            format!("a payout must be positive, not {amount}"),
        ));
    }
    if amount.currency != Currency::HUF {
        return Ok(amount.major_string());
    }
    let per_forint = Currency::HUF.minor_per_major();
    if amount.minor % per_forint != 0 {
        return Err(PayoutError::refused(
            "amount_not_whole",
            format!("PayPal pays HUF in whole forints only, not {amount}"),
        ));
    }
    Ok((amount.minor / per_forint).to_string())
}

/// The `name` of an item's `errors` (an object; tolerated as a list of them).
fn error_name(errors: &Value) -> Option<String> {
    let first = errors.as_array().and_then(|all| all.first()).unwrap_or(errors);
    first.get("name").and_then(Value::as_str).map(str::to_owned)
}

impl ErrorBody {
    fn details(&self) -> &[Detail] {
        self.details.as_deref().unwrap_or_default()
    }

    /// PayPal's 400 `USER_BUSINESS_ERROR` on a `sender_batch_id` it already holds.
    fn is_duplicate_batch(&self) -> bool {
        self.details().iter().any(|d| {
            d.field
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case("SENDER_BATCH_ID"))
                || d.issue
                    .as_deref()
                    .is_some_and(|i| i.to_ascii_lowercase().contains("sender_batch_id already"))
        })
    }

    /// The id of the batch the duplicate answer links to. Only the id is taken from the link:
    /// our token never goes to a host PayPal's body names.
    fn original_batch(&self) -> Option<String> {
        self.details()
            .iter()
            .flat_map(|d| d.link.as_deref().unwrap_or_default())
            .filter_map(|link| Url::parse(link.href.as_deref()?).ok())
            .find_map(|url| {
                let segments: Vec<&str> = url.path_segments()?.collect();
                match segments.as_slice() {
                    ["v1", "payments", "payouts", id] if is_plain_id(id) => Some((*id).to_owned()),
                    _ => None,
                }
            })
    }

    /// `message: field issue; …` for people.
    fn describe(&self, fallback: &str) -> String {
        let message = self.message.as_deref().unwrap_or(fallback);
        let issues: Vec<String> = self
            .details()
            .iter()
            .filter_map(|d| {
                let issue = d.issue.as_deref()?;
                Some(match d.field.as_deref() {
                    Some(field) => format!("{field}: {issue}"),
                    None => issue.to_owned(),
                })
            })
            .collect();
        if issues.is_empty() {
            message.to_owned()
        } else {
            format!("{message} ({})", issues.join("; "))
        }
    }
}

/// The token call's refusals: 400 and 401 (`invalid_client`) mean the id or secret is wrong.
fn token_failure(answer: &Answer) -> PayoutError {
    if matches!(answer.status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED) {
        let error = serde_json::from_str::<ErrorBody>(&answer.body)
            .ok()
            .and_then(|e| e.error);
        return PayoutError::Rejected(format!(
            "PayPal rejected the client id or secret (HTTP {}, {})",
            answer.status.as_u16(),
            error.as_deref().unwrap_or("no reason given")
        ));
    }
    failure(answer)
}

fn failure(answer: &Answer) -> PayoutError {
    let error = serde_json::from_str::<ErrorBody>(&answer.body).ok();
    let name = error.as_ref().and_then(|e| e.name.clone().or_else(|| e.error.clone()));
    let status = answer.status.as_u16();
    match answer.status {
        StatusCode::UNAUTHORIZED => PayoutError::Rejected(format!(
            "PayPal refused a fresh access token (HTTP 401, {})",
            name.as_deref().unwrap_or("no reason given")
        )),
        // SENDER_RESTRICTED, AUTHORIZATION_ERROR, …: the account may not send payouts at all.
        StatusCode::FORBIDDEN => PayoutError::Rejected(format!(
            "PayPal does not let this account send payouts (HTTP 403, {})",
            name.as_deref().unwrap_or("no reason given")
        )),
        StatusCode::TOO_MANY_REQUESTS => PayoutError::RateLimited {
            wait: answer.retry_after().unwrap_or(DEFAULT_RATE_WAIT),
        },
        s if s.is_server_error() => {
            PayoutError::Unavailable(format!("PayPal is unavailable (HTTP {status}): {}", answer.snippet()))
        }
        s if s.is_client_error() => match (name, error) {
            (Some(code), Some(error)) => PayoutError::Refused {
                message: error.describe(&code),
                code,
            },
            _ => PayoutError::Malformed(format!(
                "PayPal answered HTTP {status} without its error body: {:?}",
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
    fn amounts_are_decimal_strings_and_forints_whole() {
        assert_eq!(amount_value(Money::new(1250, Currency::USD)).unwrap(), "12.50");
        assert_eq!(amount_value(Money::new(1500, Currency::JPY)).unwrap(), "1500");
        assert_eq!(amount_value(Money::new(250_000, Currency::HUF)).unwrap(), "2500");
        let fraction = amount_value(Money::new(250_050, Currency::HUF)).unwrap_err();
        assert!(matches!(&fraction, PayoutError::Refused { code, .. } if code == "amount_not_whole"));
        assert!(amount_value(Money::new(0, Currency::EUR)).is_err());
    }

    #[test]
    fn the_duplicate_answer_names_the_batch_by_id_only() {
        let body = json!({
            "name": "USER_BUSINESS_ERROR",
            "message": "User business error.",
            "details": [{
                "field": "SENDER_BATCH_ID",
                "issue": "Batch with given sender_batch_id already exists",
                "link": [{ "href": "https://evil.test/v1/payments/payouts/CR9VS2K4X4846", "rel": "self", "method": "GET" }],
            }],
        });
        let error: ErrorBody = serde_json::from_value(body).unwrap();
        assert!(error.is_duplicate_batch());
        assert_eq!(error.original_batch().as_deref(), Some("CR9VS2K4X4846"));
        let other: ErrorBody = serde_json::from_str(
            r#"{"name":"VALIDATION_ERROR","details":[{"field":"items[0].receiver","issue":"Receiver is invalid"}]}"#,
        )
        .unwrap();
        assert!(!other.is_duplicate_batch());
        assert_eq!(other.describe("x"), "x (items[0].receiver: Receiver is invalid)");
    }

    #[test]
    fn item_errors_are_read_by_name() {
        assert_eq!(
            error_name(&json!({ "name": "RECEIVER_UNREGISTERED", "message": "…" })).as_deref(),
            Some("RECEIVER_UNREGISTERED")
        );
        assert_eq!(
            error_name(&json!([{ "name": "RECEIVER_ACCOUNT_LOCKED" }])).as_deref(),
            Some("RECEIVER_ACCOUNT_LOCKED")
        );
        assert_eq!(error_name(&json!({})), None);
    }
}
