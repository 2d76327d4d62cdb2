//! One call to a payout vendor, its answer read whole.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use super::PayoutError;

/// A vendor's answer, read whole.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends one request. Transport failures (refused connections, timeouts) are `Unavailable`:
/// the vendor may or may not have acted, which only a retry with the same key settles.
pub(super) async fn call(request: RequestBuilder, vendor: &str) -> Result<Answer, PayoutError> {
    let response = request.send().await.map_err(|e| transport_error(vendor, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|e| transport_error(vendor, &e))?;
    Ok(Answer { status, headers, body })
}

fn transport_error(vendor: &str, e: &reqwest::Error) -> PayoutError {
    if e.is_timeout() {
        PayoutError::Unavailable(format!("{vendor} did not answer in time"))
    } else {
        PayoutError::Unavailable(format!("could not reach {vendor}: {}", root_cause(e)))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl Answer {
    /// The body as `T`; anything else fails the attempt with what the body began with.
    pub fn json<T: DeserializeOwned>(&self, vendor: &str) -> Result<T, PayoutError> {
        serde_json::from_str(&self.body).map_err(|e| {
            PayoutError::Malformed(format!(
                "{vendor} answered HTTP {} with a body we cannot read ({e}): {:?}",
                self.status.as_u16(),
                self.snippet()
            ))
        })
    }

    /// The start of the body, for error messages.
    pub fn snippet(&self) -> String {
        let body = self.body.trim();
        match body.char_indices().nth(200) {
            Some((cut, _)) => format!("{}…", &body[..cut]),
            None => body.to_owned(),
        }
    }

    /// `Retry-After` in whole or decimal seconds, capped at an hour.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        let secs: f64 = value.parse().ok()?;
        (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3_600.0)))
    }

    /// What an answer with a status no branch expects (a redirect, an odd 1xx/2xx) becomes.
    pub fn unexpected(&self, vendor: &str) -> PayoutError {
        PayoutError::Malformed(format!(
            "{vendor} answered HTTP {}, which we do not follow: {:?}",
            self.status.as_u16(),
            self.snippet()
        ))
    }
}
