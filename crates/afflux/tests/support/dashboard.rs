//! The harness's organization seen through the dashboard over plain HTTP: signed-in sessions
//! by role, form posts as a browser (or htmx) sends them, and helpers to read the pages.

use afflux_domain::{AttributionModel, CampaignId, Email, Role, UserId};
use afflux_store::{TeamMember, User};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;
use time::OffsetDateTime;

use super::Harness;

pub struct Dash {
    pub h: Harness,
    /// Redirects are what these tests look at, so they are never followed.
    pub client: reqwest::Client,
    /// The Owner's `Cookie`.
    pub owner: String,
}

impl Dash {
    pub async fn start() -> Dash {
        Self::with(Harness::start().await).await
    }

    pub async fn with(h: Harness) -> Dash {
        let owner = {
            let mut tx = h.server.app.store().read().await.unwrap();
            tx.get_user_by_email("owner@brightwave.test").await.unwrap().unwrap().id
        };
        let session = h.server.app.session_for(owner, h.org).await.unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Dash {
            h,
            client,
            owner: format!("afflux_session={session}"),
        }
    }

    /// A team member with `role`, written straight to the store; answers their `Cookie`.
    pub async fn member(&self, email: &str, role: Role) -> String {
        let app = &self.h.server.app;
        let now = OffsetDateTime::now_utc();
        let user = User {
            id: UserId::new(),
            email: Email::parse(email).unwrap(),
            name: None,
            password_hash: None,
            created_at: now,
        };
        let mut tx = app.store().write().await.unwrap();
        tx.insert_user(&user).await.unwrap();
        let member = TeamMember {
            org_id: self.h.org,
            user_id: user.id,
            role,
            created_at: now,
        };
        tx.insert_member(&member).await.unwrap();
        tx.commit().await.unwrap();
        let session = app.session_for(user.id, self.h.org).await.unwrap();
        format!("afflux_session={session}")
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Response {
        let request = self.client.get(self.h.url(path)).header("cookie", cookie);
        request.send().await.unwrap()
    }

    pub async fn page(&self, path: &str, cookie: &str) -> String {
        let response = self.get(path, cookie).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// A form post from one of our own pages (same Origin), as a browser sends it.
    pub async fn post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let request = self
            .client
            .post(self.h.url(path))
            .header("origin", self.h.server.url())
            .header("cookie", cookie);
        request.form(form).send().await.unwrap()
    }

    /// The same post sent by htmx.
    pub async fn hx_post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let request = self
            .client
            .post(self.h.url(path))
            .header("origin", self.h.server.url())
            .header("cookie", cookie)
            .header("hx-request", "true");
        request.form(form).send().await.unwrap()
    }

    /// A program paying 20 %, its commissions payable at once.
    pub async fn program(&self, slug: &str) -> CampaignId {
        let program = self.h.program(slug, "20", false, AttributionModel::LastTouch).await;
        let reply = self
            .h
            .api(
                Method::PATCH,
                &format!("/api/v1/programs/{}", program.id),
                &self.h.key,
                Some(json!({ "rules": { "holdDays": 0 } })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        program.id
    }

    pub async fn stop(self) {
        self.h.server.stop().await;
    }
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The HTML of the element starting at the first `marker`, up to the `end` after it.
pub fn section<'a>(html: &'a str, marker: &str, end: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page:\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find(end).map_or(rest.len(), |e| e + end.len())]
}

/// The page's own content, without the shell (whose header holds the log-out form).
pub fn content(html: &str) -> &str {
    section(html, r#"<main id="main""#, "</main>")
}
