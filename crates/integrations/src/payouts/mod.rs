//! The payout rails that call out: Stripe Connect transfers and the PayPal Payouts API. Each
//! call is safe to repeat with the same key (`Idempotency-Key`, `sender_batch_id`), which is
//! what makes a retry after a timeout or a 5xx harmless; the app decides when to retry.

mod http;
mod paypal;
mod stripe_connect;

use std::time::Duration;

use afflux_domain::Money;

pub use paypal::{MAX_BATCH_ITEMS, PaypalBatch, PaypalItemStatus, PaypalPayouts};
pub use stripe_connect::StripeConnect;

/// The operator's replacement of Stripe's API base URL (tests, a proxy).
pub const STRIPE_API_BASE_VARIABLE: &str = "AFFLUX_STRIPE_API_BASE";
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";
/// The operator's replacement of PayPal's API base URL (the sandbox, tests).
pub const PAYPAL_API_BASE_VARIABLE: &str = "AFFLUX_PAYPAL_API_BASE";
pub const PAYPAL_API_BASE: &str = "https://api-m.paypal.com";

/// Why a payout call failed. `code()` is the stable error code shown to people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayoutError {
    /// The vendor refused the credentials or their permissions (401/403): a person must act.
    #[error("{0}")]
    Rejected(String),
    /// The vendor refused this payment for good (`balance_insufficient`, `RECEIVER_UNREGISTERED`, …).
    /// `code` is the vendor's own, or one of ours for a request refused before any call.
    #[error("{message} ({code})")]
    Refused { code: String, message: String },
    /// 429: try again after `wait`.
    #[error("rate limited by the payment provider; retry in {}s", .wait.as_secs())]
    RateLimited { wait: Duration },
    /// 5xx, timeouts, refused connections: whether the payment was made is unknown until the
    /// same request is sent again with the same key.
    #[error("{0}")]
    Unavailable(String),
    /// The vendor answered something we cannot read.
    #[error("{0}")]
    Malformed(String),
    /// Stripe replayed a failure it saved under this `Idempotency-Key` while executing: the
    /// same key will only ever replay it, and whether money moved is unknown until looked up.
    #[error("{0}")]
    Indeterminate(String),
}

impl PayoutError {
    pub fn code(&self) -> &'static str {
        match self {
            PayoutError::Rejected(_) => "payout_credentials_rejected",
            PayoutError::Refused { .. } => "payout_refused",
            PayoutError::RateLimited { .. } => "payout_rate_limited",
            PayoutError::Unavailable(_) => "payout_unavailable",
            PayoutError::Malformed(_) => "payout_bad_response",
            PayoutError::Indeterminate(_) => "payout_indeterminate",
        }
    }

    /// Whether another attempt, with the same idempotency key, may succeed without anyone
    /// changing anything. A new key would risk paying twice.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PayoutError::RateLimited { .. } | PayoutError::Unavailable(_) | PayoutError::Malformed(_)
        )
    }

    /// A request refused before it left, for a reason of ours.
    fn refused(code: &str, message: impl Into<String>) -> Self {
        PayoutError::Refused {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// One payment to one affiliate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// Stripe's `Idempotency-Key`: the same for every attempt at this payment, never reused for
    /// another. PayPal keys the whole batch by its `sender_batch_id` instead.
    pub idempotency_key: String,
    /// Stripe: the connected account (`acct_…`); PayPal: the receiver's email.
    pub destination: String,
    pub amount: Money,
    pub description: String,
    /// Our payout item id, echoed back by the vendor (Stripe metadata, PayPal `sender_item_id`).
    pub reference: String,
}

/// How long one call may take, by default, before the attempt counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client of the payout rails: no redirects, bounded calls.
#[derive(Debug, Clone)]
pub struct PayoutClient(reqwest::Client);

impl PayoutClient {
    pub fn new() -> Self {
        Self::with_timeout(CALL_TIMEOUT)
    }

    /// A client whose calls give up after `timeout` (tests of a vendor that hangs).
    pub fn with_timeout(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // Secret keys and tokens ride in headers: never carry them to a host a redirect names.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Afflux/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with a static configuration");
        Self(client)
    }
}

impl Default for PayoutClient {
    fn default() -> Self {
        Self::new()
    }
}

/// The operator's base URL, else `default`; without a trailing slash.
fn base_url(api_base: Option<String>, default: &str) -> String {
    api_base
        .as_deref()
        .map(str::trim)
        .filter(|base| !base.is_empty())
        .unwrap_or(default)
        .trim_end_matches('/')
        .to_owned()
}

/// Vendor ids that end up in a URL path: letters, digits, `_` and `-` only.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_default_and_lose_their_trailing_slash() {
        assert_eq!(base_url(None, STRIPE_API_BASE), "https://api.stripe.com");
        assert_eq!(base_url(Some(" ".into()), PAYPAL_API_BASE), "https://api-m.paypal.com");
        assert_eq!(
            base_url(Some("http://127.0.0.1:9/".into()), STRIPE_API_BASE),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn only_plain_ids_reach_a_path() {
        assert!(is_plain_id("acct_1Nv0FGQ9RKHgCVdK"));
        assert!(is_plain_id("5UXD2E8A7EBQJ"));
        for bad in ["", "acct_1/../balance", "a b", "x?y", "é"] {
            assert!(!is_plain_id(bad), "{bad}");
        }
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(PayoutError::Unavailable("x".into()).is_retryable());
        assert!(
            PayoutError::RateLimited {
                wait: Duration::from_secs(1)
            }
            .is_retryable()
        );
        assert!(!PayoutError::Rejected("x".into()).is_retryable());
        assert!(!PayoutError::refused("balance_insufficient", "x").is_retryable());
    }
}
