//! Settings → Import over HTTP, as a browser without JavaScript posts it: a multipart upload
//! previewed, then imported from the kept file without choosing it again; the history and the
//! detail page with skipped lines; revert; the sample email; another organization's import 404.

use afflux::{Server, Settings};
use afflux_app::{Actor, Decimal, NewCampaign};
use afflux_domain::CommissionType;
use reqwest::Response;

const OWNER_EMAIL: &str = "owner@example.com";
const BOUNDARY: &str = "afflux-test-boundary";

struct Web {
    server: Server,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

fn session_cookie(r: &Response) -> String {
    let set = r.headers().get("set-cookie").expect("a Set-Cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// A multipart body: text fields, then the file (when given).
fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> Vec<u8> {
    let mut body = vec![];
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some(bytes) = file {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

impl Web {
    async fn start() -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
            bind: "127.0.0.1:0".into(),
            mail_dir: dir.path().join("mail").display().to_string(),
            ..Settings::default()
        };
        let server = Server::start(&settings, true).await.expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let web = Web { server, client, dir };
        let token = web.server.app.setup_token().await.unwrap().unwrap();
        let form = [
            ("token", token.as_str()),
            ("orgName", "Acme"),
            ("name", ""),
            ("email", OWNER_EMAIL),
            ("password", "correct horse battery staple"),
        ];
        let url = web.server.url();
        let r = web
            .client
            .post(format!("{url}/setup"))
            .header("origin", &url)
            .form(&form)
            .send()
            .await
            .unwrap();
        let cookie = session_cookie(&r);
        (web, cookie)
    }

    async fn actor(&self, cookie: &str) -> Actor {
        let user = self
            .server
            .app
            .session(cookie.trim_start_matches("afflux_session="))
            .await
            .unwrap()
            .expect("a live session");
        Actor::operator(user.org.id)
    }

    async fn get(&self, path: &str, cookie: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.server.url()))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    async fn upload(&self, fields: &[(&str, &str)], file: Option<&[u8]>, cookie: &str) -> Response {
        let url = self.server.url();
        self.client
            .post(format!("{url}/dashboard/settings/import"))
            .header("origin", &url)
            .header("cookie", cookie)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(fields, file))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let url = self.server.url();
        self.client
            .post(format!("{url}{path}"))
            .header("origin", &url)
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_is_previewed_imported_shown_and_reverted_from_the_dashboard() {
    let (web, cookie) = Web::start().await;
    let actor = web.actor(&cookie).await;
    let campaign = web
        .server
        .app
        .create_campaign(
            &actor,
            NewCampaign {
                name: "Main".into(),
                slug: Some("main".into()),
                destination_url: "https://acme.test/".into(),
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
            },
        )
        .await
        .unwrap();
    let campaign_id = campaign.id.to_string();
    let csv = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../importers/fixtures/rewardful_affiliates.csv"),
    )
    .unwrap();

    let page = web
        .get("/dashboard/settings/import", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Import from another platform") && page.contains("No imports yet."));

    // No file: the error sits next to the file field.
    let fields = [
        ("step", "roster"),
        ("source", "rewardful"),
        ("campaign", campaign_id.as_str()),
        ("action", "preview"),
    ];
    let r = web.upload(&fields, None, &cookie).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("id=\"f-file-error\"") && body.contains("Choose a CSV file."),
        "{body}"
    );

    let r = web.upload(&fields, Some(&csv), &cookie).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("<strong>3</strong> of 7 rows would import"), "{body}");
    assert!(
        body.contains("already_exists: 1") && body.contains("missing_email: 1"),
        "{body}"
    );
    let start = body.find("name=\"token\" value=\"").expect("a kept upload") + "name=\"token\" value=\"".len();
    let token: String = body[start..].chars().take_while(|c| *c != '"').collect();
    // Nothing was written by the preview.
    assert!(
        web.server
            .app
            .list_imports(&actor, afflux_store::Page::ALL)
            .await
            .unwrap()
            .is_empty()
    );

    let r = web
        .upload(&[("token", token.as_str()), ("action", "import")], None, &cookie)
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let detail_path = r.headers()["location"].to_str().unwrap().to_owned();
    let detail = web.get(&detail_path, &cookie).await.text().await.unwrap();
    assert!(detail.contains("Completed") && detail.contains("3 rows"), "{detail}");
    assert!(
        detail.contains("<td>4</td><td><code>missing_email</code></td>"),
        "{detail}"
    );
    assert!(detail.contains("via="), "link continuity is explained");
    assert!(!detail.contains("carla@paypal"), "row content is never shown");
    // The token was used up.
    let r = web
        .upload(&[("token", token.as_str()), ("action", "import")], None, &cookie)
        .await;
    assert_eq!(r.status(), 422);

    let list = web
        .get("/dashboard/settings/import", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&detail_path) && list.contains("rewardful"));

    let r = web.post(&format!("{detail_path}/revert"), &[], &cookie).await;
    assert_eq!(r.status(), 303);
    let detail = web.get(&detail_path, &cookie).await.text().await.unwrap();
    assert!(
        detail.contains("Reverted") && !detail.contains("Revert this import"),
        "{detail}"
    );

    // The sample goes to the signed-in owner with its banner.
    let r = web
        .post(
            "/dashboard/settings/import/sample",
            &[("note", "<p>Hello <b>there</b></p>")],
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("A preview was sent to owner@example.com")
    );
    let mut found = false;
    for _ in 0..50 {
        found = std::fs::read_dir(web.dir.path().join("mail"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                std::fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .contains("THIS IS A PREVIEW")
            });
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the sample email was written");

    // An id that is not this organization's import: the friendly 404.
    let r = web
        .get(
            &format!("/dashboard/settings/import/{}", afflux_domain::ImportId::new()),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 404);
    web.server.stop().await;
}
