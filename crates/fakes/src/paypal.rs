//! Fake of the PayPal Payouts API: client-credentials tokens (Basic client id and secret) that
//! expire, batches keyed by `sender_batch_id` (a repeat is PayPal's 400 `USER_BUSINESS_ERROR`
//! linking to the batch it already holds), items paid `SUCCESS` unless the receiver is told to
//! be unregistered (`UNCLAIMED`) or failing, batches read back page by page, and errors as
//! `{name, message, debug_id, details}`. `PayPal-Request-Id` is recorded but deduplicates
//! nothing: PayPal was seen creating a second batch for a repeated id.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{Played, Script};
use crate::{Journal, Running, Shared, reply};

/// The app credentials the fake accepts.
pub const CLIENT_ID: &str = "AffluxFakeClientId-0123456789";
pub const SECRET: &str = "EFakeSecret-9876543210";
/// Where PayPal's links point; never the fake itself, so nothing may follow them.
pub const LINK_HOST: &str = "https://api.sandbox.paypal.com";
/// PayPal's token lifetime (nine hours), until told otherwise.
const TOKEN_LIFETIME: u64 = 32_400;
const MAX_ITEMS: usize = 15_000;
const MAX_PAGE_SIZE: usize = 1_000;
/// Currencies PayPal takes without decimals.
const WHOLE_CURRENCIES: [&str; 3] = ["HUF", "JPY", "TWD"];

/// One payout item as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutItem {
    pub payout_item_id: String,
    pub sender_item_id: String,
    pub receiver: String,
    /// As sent: a decimal string.
    pub value: String,
    pub currency: String,
    pub note: Option<String>,
    pub transaction_status: String,
    /// The error `name`, for an item that did not succeed.
    pub error: Option<String>,
}

/// One batch as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub payout_batch_id: String,
    pub sender_batch_id: Option<String>,
    pub email_subject: Option<String>,
    pub items: Vec<PayoutItem>,
}

/// What happens to payments to one receiver.
#[derive(Debug, Clone)]
enum Outcome {
    /// No PayPal account: `UNCLAIMED`, `RECEIVER_UNREGISTERED`.
    Unregistered,
    /// `FAILED` with this error name.
    Failed(String),
}

struct Account {
    token_lifetime: u64,
    /// Issued tokens and when they expire.
    tokens: HashMap<String, Instant>,
    tokens_issued: usize,
    batches: Vec<Batch>,
    items_made: usize,
    /// By lowercase email.
    receivers: HashMap<String, Outcome>,
    /// The sender's balance in the currency's PayPal units (cents, whole yen); unlimited if unset.
    balance: Option<BTreeMap<String, i64>>,
    failures: Script<Failure>,
}

/// A running fake PayPal business account; clones share it.
#[derive(Clone)]
pub struct PaypalFake {
    state: Shared<Account>,
    journal: Journal,
}

impl PaypalFake {
    /// Serves an account accepting [`CLIENT_ID`] and [`SECRET`], with an unlimited balance.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Account {
                token_lifetime: TOKEN_LIFETIME,
                tokens: HashMap::new(),
                tokens_issued: 0,
                batches: Vec::new(),
                items_made: 0,
                receivers: HashMap::new(),
                balance: None,
                failures: Script::default(),
            }),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/v1/oauth2/token", post(grant))
            .route("/v1/payments/payouts", post(create_batch))
            .route("/v1/payments/payouts/{id}", get(batch))
            .fallback(not_found);
        let running = front::serve(fake.clone(), routes).await;
        (fake, running)
    }

    /// Every request received, in order.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Tokens issued from now on live `secs` seconds (`expires_in`).
    pub fn set_token_lifetime(&self, secs: u64) {
        self.state.lock().token_lifetime = secs;
    }

    /// Every token issued so far stops working, as if it had expired.
    pub fn expire_tokens(&self) {
        self.state.lock().tokens.clear();
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.lock().tokens_issued
    }

    /// Payments to `email` stay `UNCLAIMED`: the receiver has no PayPal account.
    pub fn unregistered(&self, email: &str) {
        self.state
            .lock()
            .receivers
            .insert(email.to_lowercase(), Outcome::Unregistered);
    }

    /// Payments to `email` fail with PayPal's error `name` (`RECEIVER_ACCOUNT_LOCKED`, …).
    pub fn fail_receiver(&self, email: &str, name: &str) {
        let outcome = Outcome::Failed(name.to_owned());
        self.state.lock().receivers.insert(email.to_lowercase(), outcome);
    }

    /// Limits the balance in `currency` to `amount` (cents, or whole units for HUF/JPY/TWD).
    pub fn set_balance(&self, currency: &str, amount: i64) {
        let mut state = self.state.lock();
        state
            .balance
            .get_or_insert_with(BTreeMap::new)
            .insert(currency.to_uppercase(), amount);
    }

    /// Every batch accepted, in order.
    pub fn batches(&self) -> Vec<Batch> {
        self.state.lock().batches.clone()
    }

    /// Plays `failure` on the next request, whatever it is.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state.lock().failures.push(fragment, failure);
    }

    fn client_authenticated(headers: &HeaderMap) -> bool {
        let Some(encoded) = bearer_or_basic(headers, "Basic ") else {
            return false;
        };
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .is_ok_and(|decoded| decoded == format!("{CLIENT_ID}:{SECRET}").as_bytes())
    }

    fn token_valid(&self, token: &str) -> bool {
        self.state
            .lock()
            .tokens
            .get(token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    }
}

fn bearer_or_basic<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix(scheme)
}

impl Vendor for PaypalFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| {
                problem(
                    status,
                    "INTERNAL_SERVER_ERROR",
                    "An internal server error occurred.",
                    json!([]),
                )
            },
            || {
                problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMIT_REACHED",
                    "Too many requests. Blocked due to rate limiting.",
                    json!([]),
                )
            },
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        if request.uri().path() == "/v1/oauth2/token" {
            let body = json!({ "error": "invalid_client", "error_description": "Client Authentication failed" });
            return (!Self::client_authenticated(headers)).then(|| reply(StatusCode::UNAUTHORIZED, body));
        }
        match bearer_or_basic(headers, "Bearer ") {
            Some(token) if self.token_valid(token) => None,
            Some(_) => Some(reply(
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_token", "error_description": "Access Token not found in cache" }),
            )),
            None => Some(problem(
                StatusCode::UNAUTHORIZED,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
                json!([]),
            )),
        }
    }
}

/// PayPal's error body.
fn problem(status: StatusCode, name: &str, message: &str, details: Value) -> Response {
    reply(
        status,
        json!({
            "name": name,
            "message": message,
            "debug_id": "f05063556a338",
            "information_link": "https://developer.paypal.com/docs/api/payments.payouts-batch/#errors",
            "details": details,
            "links": [],
        }),
    )
}

fn validation_error(field: &str, issue: &str) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "Invalid request - see details",
        json!([{ "field": field, "location": "body", "issue": issue }]),
    )
}

async fn not_found() -> Response {
    resource_not_found()
}

fn resource_not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "INVALID_RESOURCE_ID",
        "Requested resource ID was not found.",
        json!([]),
    )
}

async fn grant(State(fake): State<PaypalFake>, body: Bytes) -> Response {
    let grant_type = url::form_urlencoded::parse(&body).find(|(k, _)| k == "grant_type");
    if grant_type.is_none_or(|(_, v)| v != "client_credentials") {
        let body = json!({ "error": "unsupported_grant_type", "error_description": "Grant Type is NULL" });
        return reply(StatusCode::BAD_REQUEST, body);
    }
    let mut state = fake.state.lock();
    state.tokens_issued += 1;
    let token = format!("A21AAFakeAccessToken{:08}", state.tokens_issued);
    let lifetime = state.token_lifetime;
    state
        .tokens
        .insert(token.clone(), Instant::now() + Duration::from_secs(lifetime));
    reply(
        StatusCode::OK,
        json!({
            "scope": "https://uri.paypal.com/payments/payouts",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": lifetime,
            "nonce": "2026-11-21T10:00:00ZFakeNonce",
        }),
    )
}

/// One item of a create request, checked.
struct Wanted {
    receiver: String,
    value: String,
    currency: String,
    /// In the currency's PayPal units.
    units: i64,
    note: Option<String>,
    sender_item_id: String,
}

/// An item PayPal refuses: the field and the issue its `VALIDATION_ERROR` names.
struct Invalid(String, &'static str);

fn read_item(at: usize, item: &Value) -> Result<Wanted, Invalid> {
    let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
    let field = |name: &str| format!("items[{at}].{name}");
    let receiver = text("receiver")
        .filter(|r| r.contains('@'))
        .ok_or_else(|| Invalid(field("receiver"), "Receiver is invalid or does not match with type"))?;
    let currency = item
        .pointer("/amount/currency")
        .and_then(Value::as_str)
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or_else(|| Invalid(field("amount.currency"), "Currency code is invalid"))?
        .to_owned();
    let value = item
        .pointer("/amount/value")
        .and_then(Value::as_str)
        .ok_or_else(|| Invalid(field("amount.value"), "Amount value must be a string"))?
        .to_owned();
    let decimals = if WHOLE_CURRENCIES.contains(&currency.as_str()) {
        0
    } else {
        2
    };
    let units = units(&value, decimals).ok_or_else(|| {
        let issue = if decimals == 0 {
            "Currency does not support decimals."
        } else {
            "Amount value is invalid"
        };
        Invalid(field("amount.value"), issue)
    })?;
    Ok(Wanted {
        receiver,
        value,
        currency,
        units,
        note: text("note"),
        sender_item_id: text("sender_item_id").unwrap_or_default(),
    })
}

/// `"12.5"` in hundredths (1250) with `decimals` = 2; `None` for more decimals, a sign, or zero.
fn units(value: &str, decimals: usize) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > decimals {
        return None;
    }
    let padded = format!("{whole}{fraction:0<decimals$}");
    padded.parse().ok().filter(|units: &i64| *units > 0)
}

async fn create_batch(State(fake): State<PaypalFake>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "MALFORMED_REQUEST",
            "Incoming JSON request does not map to API request",
            json!([]),
        );
    };
    let header = body.get("sender_batch_header").cloned().unwrap_or_else(|| json!({}));
    let sender_batch_id = header.get("sender_batch_id").and_then(Value::as_str).map(str::to_owned);
    let items = body.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    if items.is_empty() || items.len() > MAX_ITEMS {
        return validation_error("items", "Items count should be between 1 and 15000");
    }
    let wanted = match items
        .iter()
        .enumerate()
        .map(|(at, item)| read_item(at, item))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(wanted) => wanted,
        Err(Invalid(field, issue)) => return validation_error(&field, issue),
    };
    let mut state = fake.state.lock();
    if let Some(earlier) = sender_batch_id
        .as_ref()
        .and_then(|id| state.batches.iter().find(|b| b.sender_batch_id.as_ref() == Some(id)))
    {
        let link = format!("{LINK_HOST}/v1/payments/payouts/{}", earlier.payout_batch_id);
        return problem(
            StatusCode::BAD_REQUEST,
            "USER_BUSINESS_ERROR",
            "User business error.",
            json!([{
                "field": "SENDER_BATCH_ID",
                "location": "body",
                "issue": "Batch with given sender_batch_id already exists",
                "link": [{ "href": link, "rel": "self", "method": "GET" }],
            }]),
        );
    }
    if !state.debit(&wanted) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INSUFFICIENT_FUNDS",
            "Sender does not have sufficient funds. Please add funds and retry.",
            json!([]),
        );
    }
    let batch = state.make_batch(sender_batch_id, &header, wanted);
    let answer = json!({
        "batch_header": {
            "payout_batch_id": batch.payout_batch_id,
            "batch_status": "PENDING",
            "sender_batch_header": header,
        },
        "links": [batch_link(&batch.payout_batch_id)],
    });
    state.batches.push(batch);
    reply(StatusCode::CREATED, answer)
}

impl Account {
    /// Takes the batch's total from a limited balance; false when a currency falls short.
    fn debit(&mut self, wanted: &[Wanted]) -> bool {
        let Some(balance) = self.balance.as_mut() else {
            return true;
        };
        let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
        for item in wanted {
            *totals.entry(&item.currency).or_default() += item.units;
        }
        if totals
            .iter()
            .any(|(currency, total)| balance.get(*currency).copied().unwrap_or_default() < *total)
        {
            return false;
        }
        for (currency, total) in totals {
            *balance.entry(currency.to_owned()).or_default() -= total;
        }
        true
    }

    /// The batch with each item settled at once, by what the receiver was told to be.
    fn make_batch(&mut self, sender_batch_id: Option<String>, header: &Value, wanted: Vec<Wanted>) -> Batch {
        let payout_batch_id = format!("FAKEB{:08}", self.batches.len() + 1);
        let items = wanted
            .into_iter()
            .map(|item| {
                self.items_made += 1;
                let (transaction_status, error) = match self.receivers.get(&item.receiver.to_lowercase()) {
                    None => ("SUCCESS", None),
                    Some(Outcome::Unregistered) => ("UNCLAIMED", Some("RECEIVER_UNREGISTERED".to_owned())),
                    Some(Outcome::Failed(name)) => ("FAILED", Some(name.clone())),
                };
                PayoutItem {
                    payout_item_id: format!("FAKEI{:08}", self.items_made),
                    sender_item_id: item.sender_item_id,
                    receiver: item.receiver,
                    value: item.value,
                    currency: item.currency,
                    note: item.note,
                    transaction_status: transaction_status.to_owned(),
                    error,
                }
            })
            .collect();
        Batch {
            payout_batch_id,
            sender_batch_id,
            email_subject: header.get("email_subject").and_then(Value::as_str).map(str::to_owned),
            items,
        }
    }
}

fn batch_link(id: &str) -> Value {
    json!({
        "href": format!("{LINK_HOST}/v1/payments/payouts/{id}"),
        "rel": "self",
        "method": "GET",
        "encType": "application/json",
    })
}

/// `page` (from 1) and `page_size` (up to 1,000) page the items; `total_required=true` adds
/// `total_items` and `total_page`.
async fn batch(
    State(fake): State<PaypalFake>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &str, default: usize| query.get(name).map_or(Some(default), |v| v.parse().ok());
    let (Some(page), Some(page_size)) = (number("page", 1), number("page_size", MAX_PAGE_SIZE)) else {
        return validation_error("page", "Page and page size are whole numbers");
    };
    if page == 0 || page_size == 0 || page_size > MAX_PAGE_SIZE {
        return validation_error("page_size", "Page from 1, page size from 1 to 1000");
    }
    let state = fake.state.lock();
    let Some(batch) = state.batches.iter().find(|b| b.payout_batch_id == id) else {
        return resource_not_found();
    };
    let all_failed = batch.items.iter().all(|item| item.transaction_status == "FAILED");
    let items: Vec<Value> = batch
        .items
        .iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .map(|item| item_json(&batch.payout_batch_id, item))
        .collect();
    let mut answer = json!({
        "batch_header": {
            "payout_batch_id": batch.payout_batch_id,
            "batch_status": if all_failed { "DENIED" } else { "SUCCESS" },
            "sender_batch_header": {
                "sender_batch_id": batch.sender_batch_id,
                "email_subject": batch.email_subject,
            },
        },
        "items": items,
        "links": [batch_link(&batch.payout_batch_id)],
    });
    if query.get("total_required").is_some_and(|v| v == "true") {
        answer["total_items"] = batch.items.len().into();
        answer["total_page"] = batch.items.len().div_ceil(page_size).into();
    }
    reply(StatusCode::OK, answer)
}

fn item_json(payout_batch_id: &str, item: &PayoutItem) -> Value {
    let mut answer = json!({
        "payout_item_id": item.payout_item_id,
        "transaction_status": item.transaction_status,
        "payout_batch_id": payout_batch_id,
        "payout_item_fee": { "currency": item.currency, "value": "0.00" },
        "payout_item": {
            "recipient_type": "EMAIL",
            "amount": { "value": item.value, "currency": item.currency },
            "note": item.note,
            "receiver": item.receiver,
            "sender_item_id": item.sender_item_id,
            "recipient_wallet": "PAYPAL",
        },
        "links": [{
            "href": format!("{LINK_HOST}/v1/payments/payouts-item/{}", item.payout_item_id),
            "rel": "item",
            "method": "GET",
        }],
    });
    if item.transaction_status == "SUCCESS" {
        answer["transaction_id"] = format!("FAKET{}", &item.payout_item_id[5..]).into();
    }
    if let Some(name) = &item.error {
        answer["errors"] = json!({ "name": name, "message": error_message(name) });
    }
    answer
}

fn error_message(name: &str) -> &'static str {
    match name {
        "RECEIVER_UNREGISTERED" => "Receiver is unregistered",
        "RECEIVER_ACCOUNT_LOCKED" => "Receiver account is locked or inactive",
        _ => "The payout item failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_in_the_currencys_units() {
        assert_eq!(units("12.50", 2), Some(1250));
        assert_eq!(units("12.5", 2), Some(1250));
        assert_eq!(units("1500", 0), Some(1500));
        for bad in ["12.505", "-1.00", "1,00", "", ".5", "0.00", "1.5e2"] {
            assert_eq!(units(bad, 2), None, "{bad}");
        }
        assert_eq!(units("1500.00", 0), None);
    }
}
