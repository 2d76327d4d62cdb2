//! The dashboard's Integrations page over plain HTTP, against the Ontraport fake: the connect
//! forms and their errors (no secret ever comes back), the read-only view, settings, program
//! overrides, "Retry now" with and without htmx, disconnecting, and other organizations'
//! integrations answering 404. The click-through in Chromium is `tests/integrations_browser.rs`.

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, AffiliateInvite, Decimal, InviteAcceptance, NewCampaign, NewOrg, Setup};
use afflux_domain::{CampaignId, CommissionType, CrmVendor, Destination, IntegrationId, Role, SyncStatus};
use afflux_fakes::ontraport::{self, Config, Failure, OntraportFake};
use afflux_store::{CrmSyncFilter, Page};
use reqwest::Response;
use tempfile::TempDir;

const OWNER_EMAIL: &str = "owner@example.com";
const PASSWORD: &str = "correct horse battery staple";
const WRONG_KEY: &str = "wrong-key-0123456789";

struct Web {
    server: Server,
    client: reqwest::Client,
    fake: OntraportFake,
    dir: TempDir,
}

impl Web {
    async fn start() -> Self {
        let (fake, running) = OntraportFake::start(Config::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
            bind: "127.0.0.1:0".into(),
            mail_dir: dir.path().join("mail").display().to_string(),
            ontraport_base_url: Some(running.base_url()),
            ..Settings::default()
        };
        let server = Server::start(&settings, true).await.expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Web {
            server,
            client,
            fake,
            dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn get(&self, path: &str, cookie: &str) -> Response {
        let request = self.client.get(self.url(path)).header("cookie", cookie);
        request.send().await.unwrap()
    }

    async fn page(&self, path: &str, cookie: &str) -> String {
        let response = self.get(path, cookie).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// A form post from one of our own pages (same Origin), as a browser sends it.
    async fn post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let request = self
            .client
            .post(self.url(path))
            .header("origin", self.server.url())
            .header("cookie", cookie);
        request.form(form).send().await.unwrap()
    }

    /// The same post sent by htmx.
    async fn hx_post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let request = self
            .client
            .post(self.url(path))
            .header("origin", self.server.url())
            .header("cookie", cookie)
            .header("hx-request", "true");
        request.form(form).send().await.unwrap()
    }

    /// Sets the instance up; answers the owner's `Cookie` header value and actor.
    async fn owner(&self) -> (String, Actor) {
        let app = &self.server.app;
        let token = app.setup_token().await.unwrap().unwrap();
        let setup = Setup {
            token,
            org_name: "Acme".into(),
            name: None,
            email: OWNER_EMAIL.into(),
            password: PASSWORD.into(),
        };
        let session = app.setup(setup).await.unwrap();
        let user = app.session(&session).await.unwrap().expect("a live session");
        (format!("afflux_session={session}"), Actor::operator(user.org.id))
    }

    /// A member of `org` with `role`, invited and accepted; answers their `Cookie`.
    async fn member(&self, org: &Actor, email: &str, role: Role) -> String {
        let app = &self.server.app;
        app.invite_member(org, email, role).await.unwrap();
        let token = invite_token(&self.mail(email).await);
        let how = InviteAcceptance::NewPassword {
            password: PASSWORD.into(),
            name: None,
        };
        let (invite, user) = app.accept_invite(&token, how).await.unwrap();
        let session = app.session_for(user, invite.org_id).await.unwrap();
        format!("afflux_session={session}")
    }

    /// The worker writes emails shortly after the commit: waits for one to `to`.
    async fn mail(&self, to: &str) -> String {
        let header = format!("To: {to}");
        for _ in 0..100 {
            for entry in std::fs::read_dir(self.dir.path().join("mail"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let text = text.replace("=\r\n", "").replace("=\n", "");
                if text.lines().any(|l| l.trim_end() == header) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no email to {to}");
    }

    async fn connect(&self, cookie: &str, app_id: &str, api_key: &str) -> Response {
        let form = [("vendor", "Ontraport"), ("appId", app_id), ("apiKey", api_key)];
        self.post("/dashboard/integrations/connect", &form, cookie).await
    }

    /// Connects Ontraport with the right credentials; answers the integration's id.
    async fn connected(&self, cookie: &str, actor: &Actor) -> IntegrationId {
        let done = self.connect(cookie, ontraport::APP_ID, ontraport::API_KEY).await;
        assert_eq!(done.status(), 303);
        let all = self.server.app.integrations(actor).await.unwrap();
        let [one] = all.as_slice() else {
            panic!("one integration: {all:?}")
        };
        assert_eq!(one.integration.vendor, CrmVendor::Ontraport);
        one.integration.id
    }

    async fn campaign(&self, actor: &Actor, slug: &str) -> CampaignId {
        let input = NewCampaign {
            name: format!("Program {slug}"),
            slug: Some(slug.into()),
            destination_url: "https://acme.example/pricing".into(),
            default_commission_type: CommissionType::Percentage,
            default_commission_value: Decimal("20".into()),
            currency: None,
            default_commission_model: None,
            cookie_window_days: None,
            attribution_model: None,
            auto_approve: None,
            description: None,
            terms_url: None,
            rules: None,
        };
        self.server.app.create_campaign(actor, input).await.unwrap().id
    }

    async fn sync_status(&self, actor: &Actor, id: IntegrationId) -> Vec<(String, SyncStatus)> {
        let filter = CrmSyncFilter {
            integration_id: Some(id),
            ..CrmSyncFilter::default()
        };
        let rows = self.server.app.crm_syncs(actor, filter, Page::ALL).await.unwrap();
        rows.into_iter().map(|r| (r.email, r.sync.status)).collect()
    }

    async fn stop(self) {
        self.server.stop().await;
    }
}

fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn invite_token(mail: &str) -> String {
    let start = mail.find("/invites/").expect("an invitation link") + "/invites/".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .collect()
}

/// The HTML of the element starting at the first `marker`, up to the `end` after it.
fn section<'a>(html: &'a str, marker: &str, end: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page:\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find(end).map_or(rest.len(), |e| e + end.len())]
}

/// The `name="…"` attributes of a piece of HTML, in order.
fn names(html: &str) -> Vec<&str> {
    html.split(" name=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

fn destination_value(id: &str, name: &str) -> String {
    serde_json::to_string(&Destination {
        id: id.into(),
        name: name.into(),
    })
    .unwrap()
}

#[tokio::test]
async fn connect_forms_and_their_errors() {
    let web = Web::start().await;
    let (owner, acme) = web.owner().await;
    let page = web.page("/dashboard/integrations", &owner).await;
    assert!(
        page.contains(r#"<a href="/dashboard/integrations" aria-current="page">Integrations</a>"#),
        "the nav marks the page"
    );

    // One form per vendor, with exactly its credential fields.
    for vendor in CrmVendor::ALL {
        let slug = vendor.as_str().to_ascii_lowercase();
        let form = section(&page, &format!(r#"id="{slug}-connect""#), "</form>");
        let mut expected = vec!["vendor"];
        expected.extend(vendor.credential_fields().iter().map(|f| f.key()));
        assert_eq!(names(form), expected, "{vendor} form:\n{form}");
        assert!(form.contains(&format!(r#"value="{}""#, vendor.as_str())), "{form}");
        for field in vendor.credential_fields() {
            let id = format!("{slug}-{}", field.key());
            assert!(
                form.contains(&format!(r#"<label for="{id}">{}</label>"#, field.label())),
                "{form}"
            );
        }
        assert!(
            form.contains(&format!("Connect {}</button>", vendor.display_name())),
            "{form}"
        );
    }
    let ontraport_form = section(&page, r#"id="ontraport-connect""#, "</form>");
    for key in ["appId", "apiKey"] {
        let input = section(ontraport_form, &format!(r#"id="ontraport-{key}""#), ">");
        assert!(
            input.contains(r#"type="password""#) && input.contains(r#"autocomplete="off""#),
            "{input}"
        );
    }
    let region = section(&page, r#"<select id="ortto-region" name="region""#, "</select>");
    assert!(
        region.contains(r#"<option value="Ap3" selected>AP3 (default)</option>"#)
            && region.contains(r#"<option value="Au">AU</option>"#)
            && region.contains(r#"<option value="Eu">EU</option>"#),
        "{region}"
    );

    // A missing field: the message next to it; the App ID typed is not shown again.
    let missing = web.connect(&owner, ontraport::APP_ID, "  ").await;
    assert_eq!(missing.status(), 422);
    let body = missing.text().await.unwrap();
    let form = section(&body, r#"id="ontraport-connect""#, "</form>");
    assert!(
        form.contains(r#"<p class="field-error" id="ontraport-apiKey-error">The API Key is missing.</p>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"aria-invalid="true" aria-describedby="ontraport-apiKey-error""#),
        "{form}"
    );
    assert!(!body.contains(ontraport::APP_ID), "the App ID came back");

    // The vendor refuses the key: its reason above the form, no secret in the page, nothing kept.
    let refused = web.connect(&owner, ontraport::APP_ID, WRONG_KEY).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    let form = section(&body, r#"id="ontraport-connect""#, "</form>");
    let alert = section(form, r#"<p class="alert" role="alert">"#, "</p>");
    assert!(alert.len() > r#"<p class="alert" role="alert"></p>"#.len(), "{form}");
    assert!(
        !body.contains(WRONG_KEY) && !body.contains(ontraport::APP_ID),
        "a secret came back"
    );
    assert!(
        web.server.app.integrations(&acme).await.unwrap().is_empty(),
        "nothing is saved"
    );
    assert!(!web.fake.journal().is_empty(), "the refusal came from the vendor");

    // Ortto without a key: the field named, the chosen region kept.
    let form = [("vendor", "Ortto"), ("apiKey", ""), ("region", "Eu")];
    let ortto = web.post("/dashboard/integrations/connect", &form, &owner).await;
    assert_eq!(ortto.status(), 422);
    let body = ortto.text().await.unwrap();
    assert!(
        body.contains(r#"id="ortto-apiKey-error">The API Key is missing."#),
        "{body}"
    );
    assert!(
        body.contains(r#"<option value="Eu" selected>EU</option>"#),
        "the region stays chosen"
    );

    // Connected: the card shows the key's last characters only.
    let id = web.connected(&owner, &acme).await;
    let page = web.page("/dashboard/integrations", &owner).await;
    let card = section(&page, r#"id="vendor-ontraport""#, r#"<section class="available""#);
    assert!(card.contains(&format!(r#"data-integration-id="{id}""#)), "{card}");
    assert!(card.contains("Key <code>…5678</code>"), "{card}");
    assert!(!page.contains(ontraport::APP_ID) && !page.contains(ontraport::API_KEY));
    for status in ["Pending", "Succeeded", "Retrying", "Failed"] {
        assert!(card.contains(&format!("<dt>{status}</dt>")), "{status} count:\n{card}");
    }
    assert!(card.contains("Replace credentials</summary>"), "{card}");

    // A Viewer sees how things stand, and no form at all.
    let viewer = web.member(&acme, "vera@example.com", Role::Viewer).await;
    let seen = web.page("/dashboard/integrations", &viewer).await;
    let content = section(&seen, r#"<main id="main""#, "</main>");
    assert!(!content.contains("<form") && !content.contains("<input"), "{content}");
    assert!(content.contains("Only Owners and Admins"), "{content}");
    assert!(content.contains(r#"<dl class="settings-view">"#), "{content}");
    let denied = web.connect(&viewer, ontraport::APP_ID, ontraport::API_KEY).await;
    assert_eq!(denied.status(), 403);
    let denied = web
        .post(&format!("/dashboard/integrations/{id}/remove"), &[], &viewer)
        .await;
    assert_eq!(denied.status(), 403);
    web.stop().await;
}

#[tokio::test]
async fn settings_overrides_retry_and_disconnect() {
    let web = Web::start().await;
    let (owner, acme) = web.owner().await;
    let vip = web.fake.add_tag("VIP Partners");
    let program = web.campaign(&acme, "spring").await;
    let id = web.connected(&owner, &acme).await;
    let base = format!("/dashboard/integrations/{id}");

    // The live picker: the vendor's tags as a select, the saved choice first none.
    let picker = web.page(&format!("{base}/destinations"), &owner).await;
    assert!(picker.trim_start().starts_with(r#"<div class="picker""#), "{picker}");
    assert!(
        picker.contains(&format!(r#"<select id="dest-{id}" name="destination""#)),
        "{picker}"
    );
    assert!(picker.contains(">VIP Partners</option>"), "{picker}");
    assert!(
        !picker.contains("hx-trigger"),
        "the answer does not load again:\n{picker}"
    );

    // Settings: a refusal next to its field, then saved.
    let vip_value = destination_value(&vip, "VIP Partners");
    let mut form = vec![
        ("destination", vip_value.as_str()),
        ("systemTag", " "),
        ("defaultTags", "Partners, , Spring "),
        ("syncOnImport", "on"),
    ];
    let refused = web.post(&format!("{base}/settings"), &form, &owner).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains(&format!(r#"id="systemTag-{id}-error">Must not be empty."#)),
        "{body}"
    );
    assert!(
        body.contains(r#"value="Partners, , Spring ""#),
        "what was typed comes back"
    );
    form[1].1 = "Afflux affiliate";
    let saved = web.post(&format!("{base}/settings"), &form, &owner).await;
    assert_eq!(
        location(&saved),
        "/dashboard/integrations?notice=saved&vendor=Ontraport#vendor-ontraport"
    );
    let settings = web
        .server
        .app
        .integration(&acme, id)
        .await
        .unwrap()
        .integration
        .settings;
    assert_eq!(
        settings.destination.as_ref().map(|d| d.name.as_str()),
        Some("VIP Partners")
    );
    assert_eq!(settings.default_tags, ["Partners", "Spring"]);
    assert!(settings.sync_on_import);
    let page = web.page(&location(&saved), &owner).await;
    assert!(page.contains("Ontraport settings saved."), "the notice");
    assert!(page.contains(r#"value="Partners, Spring""#), "{page}");
    assert!(page.contains(&format!(
        r#"id="syncOnImport-{id}" name="syncOnImport" type="checkbox" value="on" checked"#
    )));
    let picker = web.page(&format!("{base}/destinations"), &owner).await;
    assert!(picker.contains(r#"selected>VIP Partners</option>"#), "{picker}");
    let bad = web
        .post(
            &format!("{base}/settings"),
            &[("destination", "VIP"), ("systemTag", "x")],
            &owner,
        )
        .await;
    assert_eq!(bad.status(), 422);

    // The vendor is down: the picker says so (a 200, for htmx to swap), keeps the saved choice
    // and offers to try again.
    web.fake.fail_next("GET /1/Tags", 1, Failure::Status(503));
    let down = web.get(&format!("{base}/destinations"), &owner).await;
    assert_eq!(down.status(), 200);
    let down = down.text().await.unwrap();
    assert!(
        down.contains(r#"role="alert">Ontraport did not list the choices: "#),
        "{down}"
    );
    assert!(down.contains(r#"selected>VIP Partners</option>"#), "{down}");
    assert!(
        down.contains(&format!(r#"hx-get="{base}/destinations" hx-target="closest .picker""#)),
        "{down}"
    );

    // A program's override: saved, shown, cleared.
    let path = format!("{base}/programs/{program}");
    let form = [
        ("destination", vip_value.as_str()),
        ("tags", "Spring launch"),
        ("action", "save"),
    ];
    let saved = web.post(&path, &form, &owner).await;
    assert!(
        location(&saved).contains("notice=override-saved"),
        "{}",
        location(&saved)
    );
    let settings = web
        .server
        .app
        .integration(&acme, id)
        .await
        .unwrap()
        .integration
        .settings;
    let entry = &settings.campaign_overrides[&program];
    assert_eq!(
        (entry.destination.as_ref().map(|d| d.id.as_str()), entry.tags.as_slice()),
        (Some(vip.as_str()), &["Spring launch".to_owned()][..])
    );
    let page = web.page("/dashboard/integrations", &owner).await;
    let row = section(&page, &format!(r#"id="program-{id}-{program}""#), "</li>");
    assert!(row.contains("Tag: VIP Partners · extra tags: Spring launch."), "{row}");
    assert!(row.contains(r#"value="clear""#), "{row}");
    let override_picker = web
        .page(&format!("{base}/destinations?program={program}"), &owner)
        .await;
    assert!(
        override_picker.contains(&format!(r#"id="dest-{id}-{program}""#)),
        "{override_picker}"
    );
    assert!(
        override_picker.contains(r#"selected>VIP Partners</option>"#),
        "{override_picker}"
    );
    let cleared = web.post(&path, &[("action", "clear")], &owner).await;
    assert!(location(&cleared).contains("notice=override-cleared"));
    let settings = web
        .server
        .app
        .integration(&acme, id)
        .await
        .unwrap()
        .integration
        .settings;
    assert!(settings.campaign_overrides.is_empty());
    let again = web.post(&path, &[("action", "clear")], &owner).await;
    assert_eq!(again.status(), 303, "clearing twice is fine");

    // An approved affiliate syncs; the table shows it, filtered by status.
    let invite = AffiliateInvite {
        program_id: program,
        email: "pat@example.org".into(),
        name: Some("Pat Doe".into()),
    };
    let (pat, _) = web.server.app.invite_affiliate(&acme, invite).await.unwrap();
    let mut synced = false;
    for _ in 0..100 {
        if web.sync_status(&acme, id).await == [("pat@example.org".to_owned(), SyncStatus::Succeeded)] {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(synced, "the sync succeeded: {:?}", web.sync_status(&acme, id).await);
    let contact = web
        .fake
        .contact("pat@example.org")
        .expect("the contact is in Ontraport");
    assert!(contact.tags.iter().any(|t| t == "Afflux affiliate"), "{contact:?}");
    let row_id = format!(r#"id="sync-{id}-{}""#, pat.id);
    let page = web.page("/dashboard/integrations?status=Succeeded", &owner).await;
    let row = section(&page, &row_id, "</tr>");
    assert!(
        row.contains("pat@example.org") && row.contains(r#"<span class="badge status-succeeded">Succeeded</span>"#),
        "{row}"
    );
    assert!(
        row.contains(r#"<input type="hidden" name="status" value="Succeeded">"#),
        "{row}"
    );
    let failed = web.page("/dashboard/integrations?status=Failed", &owner).await;
    assert!(
        !failed.contains(&row_id) && failed.contains("No Failed syncs."),
        "{failed}"
    );

    // Retry now: htmx gets the row back, a plain post goes back to the page.
    let retry = format!("{base}/syncs/{}/retry", pat.id);
    let hx = web.hx_post(&retry, &[("status", "Succeeded")], &owner).await;
    assert_eq!(hx.status(), 200);
    let row = hx.text().await.unwrap();
    assert!(row.trim_start().starts_with(&format!("<tr {row_id}")), "{row}");
    assert!(row.contains("Retry now</button>"), "{row}");
    let plain = web.post(&retry, &[("status", "Failed")], &owner).await;
    assert_eq!(
        location(&plain),
        "/dashboard/integrations?notice=retried&vendor=Ontraport&status=Failed#vendor-ontraport"
    );

    // Resync every approved affiliate.
    let resynced = web.post(&format!("{base}/resync"), &[], &owner).await;
    assert!(
        location(&resynced).contains("notice=resynced&vendor=Ontraport&count=1"),
        "{}",
        location(&resynced)
    );
    let page = web.page(&location(&resynced), &owner).await;
    assert!(page.contains("A sync of 1 approved affiliate was requested."));
    let mangled = web
        .page("/dashboard/integrations?notice=<b>hi</b>&count=x&status=nope", &owner)
        .await;
    assert!(
        !mangled.contains("<b>hi") && !mangled.contains(r#"role="status""#),
        "only known notices"
    );

    // Disconnect: behind a second step, then gone; the connect form is back.
    let page = web.page("/dashboard/integrations", &owner).await;
    let disconnect = section(&page, r#"<details class="disconnect">"#, "</details>");
    assert!(
        disconnect.contains(&format!(r#"action="/dashboard/integrations/{id}/remove""#)),
        "{disconnect}"
    );
    let removed = web.post(&format!("{base}/remove"), &[], &owner).await;
    assert_eq!(
        location(&removed),
        "/dashboard/integrations?notice=disconnected&vendor=Ontraport"
    );
    assert!(web.server.app.integrations(&acme).await.unwrap().is_empty());
    let page = web.page(&location(&removed), &owner).await;
    assert!(page.contains("Ontraport is disconnected") && page.contains(r#"id="ontraport-connect""#));
    assert_eq!(web.get(&format!("{base}/destinations"), &owner).await.status(), 404);
    web.stop().await;
}

#[tokio::test]
async fn other_organizations_integrations_are_not_found() {
    let web = Web::start().await;
    let (owner, acme) = web.owner().await;
    let program = web.campaign(&acme, "spring").await;
    let id = web.connected(&owner, &acme).await;

    let beta = web
        .server
        .app
        .create_org(NewOrg {
            name: "Beta".into(),
            owner_email: "bo@example.com".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let bo = {
        let mut tx = web.server.app.store().read().await.unwrap();
        tx.get_user_by_email("bo@example.com")
            .await
            .unwrap()
            .expect("Beta's owner")
            .id
    };
    let session = web.server.app.session_for(bo, beta.org.id).await.unwrap();
    let intruder = format!("afflux_session={session}");

    let page = web.page("/dashboard/integrations", &intruder).await;
    assert!(!page.contains(&id.to_string()) && page.contains(r#"id="ontraport-connect""#));
    let base = format!("/dashboard/integrations/{id}");
    assert_eq!(web.get(&format!("{base}/destinations"), &intruder).await.status(), 404);
    let posts: [(String, Vec<(&str, &str)>); 5] = [
        (format!("{base}/settings"), vec![("systemTag", "Mine now")]),
        (format!("{base}/programs/{program}"), vec![("tags", "x")]),
        (format!("{base}/resync"), vec![]),
        (format!("{base}/syncs/{}/retry", uuid::Uuid::now_v7()), vec![]),
        (format!("{base}/remove"), vec![]),
    ];
    for (path, form) in &posts {
        let response = web.post(path, form, &intruder).await;
        assert_eq!(response.status(), 404, "POST {path}");
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
    let garbage = web.get("/dashboard/integrations/not-an-id/destinations", &owner).await;
    assert_eq!(garbage.status(), 404);
    let still = web.server.app.integration(&acme, id).await.unwrap().integration;
    assert_eq!(still.settings.system_tag, "Afflux affiliate", "untouched");
    web.stop().await;
}
