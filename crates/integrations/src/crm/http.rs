//! The HTTP plumbing every connector shares: one call, its answer read whole, and the usual
//! mapping of statuses to [`CrmError`]s.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use super::CrmError;

/// Without a hint from the vendor, how long a 429 makes us wait.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(30);

/// A vendor's answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends one request. Transport failures (refused connections, timeouts) are `Unavailable`.
pub(crate) async fn call(request: RequestBuilder, vendor: &str) -> Result<Answer, CrmError> {
    let response = request.send().await.map_err(|e| transport_error(vendor, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|e| transport_error(vendor, &e))?;
    Ok(Answer { status, headers, body })
}

fn transport_error(vendor: &str, e: &reqwest::Error) -> CrmError {
    if e.is_timeout() {
        CrmError::Unavailable(format!("{vendor} did not answer in time"))
    } else {
        CrmError::Unavailable(format!("could not reach {vendor}: {}", root_cause(e)))
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
    /// The body as JSON; a body that is not JSON fails the attempt with what it began with.
    pub fn json(&self, vendor: &str) -> Result<Value, CrmError> {
        serde_json::from_str(&self.body).map_err(|_| {
            CrmError::Malformed(format!(
                "{vendor} answered HTTP {} with a body that is not JSON: {:?}",
                self.status.as_u16(),
                self.snippet()
            ))
        })
    }

    /// The start of the body, for error messages (vendors' error bodies are short text or JSON).
    pub fn snippet(&self) -> String {
        let body = self.body.trim();
        match body.char_indices().nth(200) {
            Some((cut, _)) => format!("{}…", &body[..cut]),
            None => body.to_owned(),
        }
    }

    /// The usual mapping: 2xx is fine; 401 and 403 reject the credentials; 429 waits for
    /// `rate_wait` (else `Retry-After`, else 30 s); 408 and 5xx mean the vendor is down for now;
    /// any other status refuses this contact.
    pub fn check(&self, vendor: &str, rate_wait: Option<Duration>) -> Result<(), CrmError> {
        let status = self.status;
        if status.is_success() {
            return Ok(());
        }
        let code = status.as_u16();
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CrmError::Rejected(format!(
                "{vendor} rejected the credentials (HTTP {code}): {}",
                self.snippet()
            )),
            StatusCode::TOO_MANY_REQUESTS => CrmError::RateLimited {
                wait: rate_wait
                    .or_else(|| retry_after(&self.headers))
                    .unwrap_or(DEFAULT_RATE_WAIT),
            },
            StatusCode::REQUEST_TIMEOUT => CrmError::Unavailable(format!("{vendor} timed out (HTTP 408)")),
            s if s.is_server_error() => {
                CrmError::Unavailable(format!("{vendor} is unavailable (HTTP {code}): {}", self.snippet()))
            }
            _ => CrmError::Refused(format!(
                "{vendor} refused the request (HTTP {code}): {}",
                self.snippet()
            )),
        })
    }

    /// A header as whole seconds.
    pub fn seconds_header(&self, name: &str) -> Option<Duration> {
        seconds(&self.headers, name)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these vendors).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    seconds(headers, "retry-after")
}

fn seconds(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3_600.0)))
}
