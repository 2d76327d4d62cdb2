//! Scripted failures: what a test tells a fake to play instead of its normal answer.

use std::collections::VecDeque;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Failures waiting for their request, each played once, in the order scripted.
pub(crate) struct Script<F>(VecDeque<(String, F)>);

// Derived, it would ask `F: Default`.
impl<F> Default for Script<F> {
    fn default() -> Self {
        Self(VecDeque::new())
    }
}

impl<F> Script<F> {
    /// Plays `failure` on a coming request picked out by `on` (see [`Self::take`], [`Self::take_exact`]).
    pub(crate) fn push(&mut self, on: &str, failure: F) {
        self.0.push_back((on.to_owned(), failure));
    }

    pub(crate) fn push_times(&mut self, on: &str, times: usize, failure: F)
    where
        F: Clone,
    {
        self.0.extend(std::iter::repeat_n((on.to_owned(), failure), times));
    }

    /// The first failure whose text `line` contains.
    pub(crate) fn take(&mut self, line: &str) -> Option<F> {
        self.take_first(|on| line.contains(on))
    }

    /// The first failure scripted for exactly `line`.
    pub(crate) fn take_exact(&mut self, line: &str) -> Option<F> {
        self.take_first(|on| on == line)
    }

    fn take_first(&mut self, matches: impl Fn(&str) -> bool) -> Option<F> {
        let at = self.0.iter().position(|(on, _)| matches(on))?;
        self.0.remove(at).map(|(_, failure)| failure)
    }
}

/// A failure the fake plays instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This 5xx status, with the vendor's error body.
    ServerError(u16),
    /// 429 with the vendor's error body, and `Retry-After` when given.
    RateLimited { retry_after: Option<u64> },
    /// 200 with an HTML page, as a proxy in between would answer.
    NotJson,
    /// Answers normally, but only after this long.
    Hang(Duration),
}

/// What a scripted failure does to its request.
pub(crate) enum Played {
    /// Answers normally after this pause.
    Wait(Duration),
    /// Answers this instead.
    Answer(Response),
}

/// The proxy page [`Failure::NotJson`] shows when the vendor's own is not known.
pub(crate) const BAD_GATEWAY_PAGE: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

impl Failure {
    /// Plays the failure with the vendor's answers for a 5xx and for a 429, and its proxy page.
    pub(crate) fn play(
        self,
        server_error: impl FnOnce(StatusCode) -> Response,
        rate_limited: impl FnOnce() -> Response,
        page: &'static str,
    ) -> Played {
        let answer = match self {
            Failure::Hang(pause) => return Played::Wait(pause),
            Failure::ServerError(code) => server_error(scripted_status(code)),
            Failure::RateLimited { retry_after } => {
                let mut response = rate_limited();
                if let Some(secs) = retry_after {
                    response.headers_mut().insert(header::RETRY_AFTER, secs.into());
                }
                response
            }
            Failure::NotJson => not_json(page),
        };
        Played::Answer(answer)
    }
}

/// A scripted status code, read as 500 when it is no status at all.
pub(crate) fn scripted_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// `page` as a 200 HTML answer, as a proxy in front of the vendor would send.
pub(crate) fn not_json(page: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}
