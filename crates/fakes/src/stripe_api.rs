//! Fake of the Stripe API v1 as far as Connect payouts go (transfers and their list, the
//! balance, accounts): the secret key as Bearer (or as Basic user name), form-encoded bodies,
//! errors as `{"error":{type,code,message,param}}`, the
//! platform's balance per currency, connected accounts, and `Idempotency-Key` as Stripe
//! documents it: the first answer is saved once execution begins (errors included) and
//! replayed with `Idempotent-Replayed: true`; the key with other parameters is an
//! `idempotency_error`; a key whose first request still runs answers 409. Requests refused by
//! validation save nothing.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{Played, Script};
use crate::{Journal, Running, Shared, reply};

/// The platform's secret key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_51AffluxFakePlatformKey00000000";

/// Parameters `POST /v1/transfers` takes besides `metadata[…]`; any other is refused.
const TRANSFER_PARAMS: [&str; 7] = [
    "amount",
    "currency",
    "destination",
    "description",
    "source_transaction",
    "source_type",
    "transfer_group",
];

/// A transfer as the fake made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: String,
    pub amount: i64,
    /// Lowercase, as Stripe keeps it.
    pub currency: String,
    pub destination: String,
    pub description: Option<String>,
    pub transfer_group: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

struct ConnectedAccount {
    payouts_enabled: bool,
    /// What transfers credited, by lowercase currency.
    balance: BTreeMap<String, i64>,
}

/// What Stripe keeps under an `Idempotency-Key`.
enum Saved {
    /// The first request still runs.
    Running { fingerprint: String },
    Done {
        fingerprint: String,
        status: StatusCode,
        body: Value,
    },
}

#[derive(Default)]
struct Platform {
    /// The available balance, by lowercase currency.
    balance: BTreeMap<String, i64>,
    accounts: BTreeMap<String, ConnectedAccount>,
    transfers: Vec<Transfer>,
    keys: HashMap<String, Saved>,
    failures: Script<Failure>,
    /// The next transfer fails inside Stripe, after its key was taken.
    crash_next_transfer: bool,
    /// How long a transfer runs, so a concurrent request with its key can meet it.
    transfer_time: Duration,
}

/// A running fake Stripe platform account; clones share it.
#[derive(Clone)]
pub struct StripeFake {
    state: Shared<Platform>,
    journal: Journal,
}

impl StripeFake {
    /// Serves a platform accepting [`SECRET_KEY`], with no balance and no connected accounts.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Platform::default()),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/v1/transfers", post(create_transfer).get(list_transfers))
            .route("/v1/accounts/{id}", get(account))
            .route("/v1/balance", get(balance))
            .fallback(unrecognized);
        let running = front::serve(fake.clone(), routes).await;
        (fake, running)
    }

    /// Every request received, in order.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Sets the platform's available balance in `currency`, in minor units.
    pub fn set_balance(&self, currency: &str, minor: i64) {
        self.state.lock().balance.insert(currency.to_lowercase(), minor);
    }

    pub fn balance(&self, currency: &str) -> i64 {
        self.state
            .lock()
            .balance
            .get(&currency.to_lowercase())
            .copied()
            .unwrap_or_default()
    }

    /// A connected Express account; one with payouts enabled has the `transfers` capability active.
    pub fn add_account(&self, id: &str, payouts_enabled: bool) {
        let account = ConnectedAccount {
            payouts_enabled,
            balance: BTreeMap::new(),
        };
        self.state.lock().accounts.insert(id.to_owned(), account);
    }

    /// What transfers credited to the connected account in `currency`.
    pub fn account_balance(&self, id: &str, currency: &str) -> i64 {
        self.state
            .lock()
            .accounts
            .get(id)
            .and_then(|a| a.balance.get(&currency.to_lowercase()).copied())
            .unwrap_or_default()
    }

    /// Every transfer made, in order.
    pub fn transfers(&self) -> Vec<Transfer> {
        self.state.lock().transfers.clone()
    }

    /// Plays `failure` on the next request, whatever it is, before Stripe looks at it: nothing
    /// is saved under its key.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state.lock().failures.push(fragment, failure);
    }

    /// The next transfer fails with a 500 `api_error` once executing: the 500 is saved under
    /// its key and replayed, as Stripe does.
    pub fn crash_next_transfer(&self) {
        self.state.lock().crash_next_transfer = true;
    }

    /// Transfers take this long to run from now on.
    pub fn slow_transfers(&self, pause: Duration) {
        self.state.lock().transfer_time = pause;
    }
}

impl Vendor for StripeFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| error(status, "api_error", None, None, "An unknown error occurred"),
            || {
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "invalid_request_error",
                    Some("rate_limit"),
                    None,
                    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                )
            },
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        let given = secret_key(request.headers());
        if given.as_deref() == Some(SECRET_KEY) {
            return None;
        }
        let message = match given {
            None => "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".to_owned(),
            Some(key) => format!("Invalid API Key provided: {}", masked(&key)),
        };
        Some(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            None,
            &message,
        ))
    }
}

/// The key from `Bearer <key>` or from Basic with the key as user name.
fn secret_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(key) = value.strip_prefix("Bearer ") {
        return Some(key.trim().to_owned());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.strip_prefix("Basic ")?)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    Some(
        decoded
            .split_once(':')
            .map_or(decoded.as_str(), |(user, _)| user)
            .to_owned(),
    )
}

/// `sk_test_****abcd`: Stripe shows the key's kind and last four characters only.
fn masked(key: &str) -> String {
    let kind = key.rfind('_').map_or("", |at| &key[..=at]);
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{kind}****{tail}")
}

/// Stripe's error envelope.
fn error(status: StatusCode, kind: &str, code: Option<&str>, param: Option<&str>, message: &str) -> Response {
    reply(status, error_body(kind, code, param, message))
}

fn error_body(kind: &str, code: Option<&str>, param: Option<&str>, message: &str) -> Value {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = code.into();
        error["doc_url"] = format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")).into();
    }
    if let Some(param) = param {
        error["param"] = param.into();
    }
    json!({ "error": error })
}

fn invalid(code: &str, param: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some(code),
        Some(param),
        message,
    )
}

async fn unrecognized(method: Method, uri: Uri) -> Response {
    let message = format!(
        "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        uri.path()
    );
    error(StatusCode::NOT_FOUND, "invalid_request_error", None, None, &message)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn create_transfer(State(fake): State<StripeFake>, headers: HeaderMap, body: Bytes) -> Response {
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Stripe compares the parameters, whatever their order on the wire.
    let fingerprint = format!("POST /v1/transfers {params:?}");
    let pause = {
        let mut state = fake.state.lock();
        if let Some(key) = &key
            && let Some(answer) = state.replay(key, &fingerprint)
        {
            return answer;
        }
        if let Some(refusal) = state.refusal(&params) {
            return refusal;
        }
        if let Some(key) = &key {
            let running = Saved::Running {
                fingerprint: fingerprint.clone(),
            };
            state.keys.insert(key.clone(), running);
        }
        state.transfer_time
    };
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    let mut state = fake.state.lock();
    let (status, body) = state.execute(&params);
    if let Some(key) = key {
        let done = Saved::Done {
            fingerprint,
            status,
            body: body.clone(),
        };
        state.keys.insert(key, done);
    }
    reply(status, body)
}

impl Platform {
    /// The answer saved under `key`, if any: replayed, or refused when the key meets other
    /// parameters or its first request still runs.
    fn replay(&self, key: &str, fingerprint: &str) -> Option<Response> {
        let (first, done) = match self.keys.get(key)? {
            Saved::Running { fingerprint } => (fingerprint, None),
            Saved::Done {
                fingerprint,
                status,
                body,
            } => (fingerprint, Some((*status, body))),
        };
        if first != fingerprint {
            let message = format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
            );
            return Some(error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                None,
                None,
                &message,
            ));
        }
        let Some((status, body)) = done else {
            let message = format!(
                "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."
            );
            return Some(error(
                StatusCode::CONFLICT,
                "invalid_request_error",
                Some("idempotency_key_in_use"),
                None,
                &message,
            ));
        };
        let mut answer = reply(status, body.clone());
        answer
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        Some(answer)
    }

    /// The refusal of the checks made before a transfer executes, if any.
    fn refusal(&self, params: &BTreeMap<String, String>) -> Option<Response> {
        if let Some(unknown) = params
            .keys()
            .find(|name| !TRANSFER_PARAMS.contains(&name.as_str()) && !is_metadata(name))
        {
            return Some(invalid(
                "parameter_unknown",
                unknown,
                &format!("Received unknown parameter: {unknown}"),
            ));
        }
        for required in ["amount", "currency", "destination"] {
            if params.get(required).is_none_or(String::is_empty) {
                return Some(invalid(
                    "parameter_missing",
                    required,
                    &format!("Missing required param: {required}."),
                ));
            }
        }
        let amount = &params["amount"];
        if !amount.parse::<i64>().is_ok_and(|a| a > 0) {
            return Some(invalid(
                "parameter_invalid_integer",
                "amount",
                &format!("Invalid positive integer: {amount}"),
            ));
        }
        let currency = &params["currency"];
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Some(invalid(
                "parameter_invalid",
                "currency",
                &format!("Invalid currency: {currency}."),
            ));
        }
        let destination = &params["destination"];
        let Some(account) = self.accounts.get(destination) else {
            return Some(invalid(
                "resource_missing",
                "destination",
                &format!("No such destination: '{destination}'"),
            ));
        };
        if !account.payouts_enabled {
            return Some(invalid(
                "insufficient_capabilities_for_transfer",
                "destination",
                "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
            ));
        }
        None
    }

    /// Runs a validated transfer: what it answers is what the key keeps.
    fn execute(&mut self, params: &BTreeMap<String, String>) -> (StatusCode, Value) {
        if std::mem::take(&mut self.crash_next_transfer) {
            let body = error_body("api_error", None, None, "An unknown error occurred");
            return (StatusCode::INTERNAL_SERVER_ERROR, body);
        }
        let amount: i64 = params["amount"].parse().unwrap_or_default();
        let currency = params["currency"].to_lowercase();
        let available = self.balance.entry(currency.clone()).or_default();
        if *available < amount {
            let body = error_body(
                "invalid_request_error",
                Some("balance_insufficient"),
                None,
                "You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.",
            );
            return (StatusCode::BAD_REQUEST, body);
        }
        *available -= amount;
        let destination = params["destination"].clone();
        if let Some(account) = self.accounts.get_mut(&destination) {
            *account.balance.entry(currency.clone()).or_default() += amount;
        }
        let transfer = Transfer {
            id: format!("tr_1Fake{:016}", self.transfers.len() + 1),
            amount,
            currency,
            destination,
            description: params.get("description").cloned(),
            transfer_group: params.get("transfer_group").cloned(),
            metadata: params
                .iter()
                .filter_map(|(name, value)| Some((metadata_key(name)?.to_owned(), value.clone())))
                .collect(),
        };
        let body = transfer_json(&transfer);
        self.transfers.push(transfer);
        (StatusCode::OK, body)
    }
}

fn is_metadata(name: &str) -> bool {
    metadata_key(name).is_some()
}

/// `k` of `metadata[k]`.
fn metadata_key(name: &str) -> Option<&str> {
    name.strip_prefix("metadata[")?.strip_suffix(']')
}

fn transfer_json(transfer: &Transfer) -> Value {
    let suffix = transfer.id.trim_start_matches("tr_");
    json!({
        "id": transfer.id,
        "object": "transfer",
        "amount": transfer.amount,
        "amount_reversed": 0,
        "balance_transaction": format!("txn_{suffix}"),
        "created": now(),
        "currency": transfer.currency,
        "description": transfer.description,
        "destination": transfer.destination,
        "destination_payment": format!("py_{suffix}"),
        "livemode": false,
        "metadata": transfer.metadata,
        "reversals": {
            "object": "list",
            "data": [],
            "has_more": false,
            "total_count": 0,
            "url": format!("/v1/transfers/{}/reversals", transfer.id),
        },
        "reversed": false,
        "source_transaction": null,
        "source_type": "card",
        "transfer_group": transfer.transfer_group,
    })
}

/// `GET /v1/transfers`, newest first, filtered by `transfer_group` and `destination`, paged by
/// `limit` (1–100, default 10) and `starting_after`.
async fn list_transfers(State(fake): State<StripeFake>, uri: Uri) -> Response {
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => {
            return invalid(
                "parameter_invalid_integer",
                "limit",
                "This value must be between 1 and 100.",
            );
        }
    };
    let state = fake.state.lock();
    let matching: Vec<&Transfer> = state
        .transfers
        .iter()
        .rev()
        .filter(|t| {
            params
                .get("transfer_group")
                .is_none_or(|g| t.transfer_group.as_ref() == Some(g))
        })
        .filter(|t| params.get("destination").is_none_or(|d| &t.destination == d))
        .collect();
    let start = match params.get("starting_after") {
        None => 0,
        Some(after) => match matching.iter().position(|t| &t.id == after) {
            Some(at) => at + 1,
            None => {
                return invalid(
                    "resource_missing",
                    "starting_after",
                    &format!("No such transfer: '{after}'"),
                );
            }
        },
    };
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| transfer_json(t))
        .collect();
    let has_more = matching.len() > start + page.len();
    reply(
        StatusCode::OK,
        json!({ "object": "list", "data": page, "has_more": has_more, "url": "/v1/transfers" }),
    )
}

/// The platform's balance: what is available per currency, nothing pending.
async fn balance(State(fake): State<StripeFake>) -> Response {
    let state = fake.state.lock();
    let available: Vec<Value> = state
        .balance
        .iter()
        .map(|(currency, amount)| json!({ "amount": amount, "currency": currency, "source_types": { "card": amount } }))
        .collect();
    let pending: Vec<Value> = state
        .balance
        .keys()
        .map(|currency| json!({ "amount": 0, "currency": currency, "source_types": { "card": 0 } }))
        .collect();
    reply(
        StatusCode::OK,
        json!({ "object": "balance", "available": available, "pending": pending, "livemode": false }),
    )
}

/// An account the platform has not connected answers 403 `account_invalid` (the status and
/// code are how Stripe is seen to answer, not documented).
async fn account(State(fake): State<StripeFake>, Path(id): Path<String>) -> Response {
    let state = fake.state.lock();
    let Some(account) = state.accounts.get(&id) else {
        let message = format!(
            "The provided key '{}' does not have access to account '{id}' (or that account does not exist). Application access may have been revoked.",
            masked(SECRET_KEY)
        );
        return error(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some("account_invalid"),
            None,
            &message,
        );
    };
    let ready = account.payouts_enabled;
    reply(
        StatusCode::OK,
        json!({
            "id": id,
            "object": "account",
            "type": "express",
            "country": "US",
            "default_currency": "usd",
            "charges_enabled": ready,
            "payouts_enabled": ready,
            "details_submitted": ready,
            "capabilities": { "transfers": if ready { "active" } else { "inactive" } },
            "requirements": { "currently_due": if ready { json!([]) } else { json!(["external_account"]) } },
            "created": now(),
            "metadata": {},
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shown_masked() {
        assert_eq!(masked("sk_test_51Abcdefgh1234"), "sk_test_****1234");
        assert_eq!(masked("abc"), "****abc");
    }
}
