//! The email outbox end to end: jobs delivered through a real SMTP server (Python's aiosmtpd,
//! installed by scripts/test-deps.sh), with the organization's sender identity, RFC 8058
//! one-click unsubscribe headers and a working unsubscribe endpoint, the suppression list
//! checked at send time, and a down SMTP server leaving the job queued for retry.

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/smtp.rs"]
mod smtp;

use afflux::{Server, Settings};
use afflux_app::{Actor, AffiliateInvite, NewCampaign, NewOrg};
use afflux_domain::CommissionType;
use afflux_store::test_db::TestDb;
use smtp::{SmtpSink, free_port};

async fn start(db: &TestDb, smtp_url: &str, dir: &Path, with_worker: bool) -> Server {
    let settings = Settings {
        database_url: db.url().to_owned(),
        bind: "127.0.0.1:0".into(),
        smtp_url: Some(smtp_url.to_owned()),
        mail_dir: dir.join("files").display().to_string(),
        mail_from: "partners@brand.test".into(),
        ..Settings::default()
    };
    Server::start(&settings, with_worker).await.unwrap()
}

async fn org_with_campaign(server: &Server, slug: &str) -> (Actor, afflux_domain::CampaignId) {
    let created = server
        .app
        .create_org(NewOrg {
            name: "Brightwave Courses".into(),
            owner_email: "owner@brand.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let actor = Actor::operator(created.org.id);
    let campaign = new_campaign(server, &actor, slug).await;
    (actor, campaign)
}

async fn new_campaign(server: &Server, actor: &Actor, slug: &str) -> afflux_domain::CampaignId {
    let input = NewCampaign {
        name: format!("Campaign {slug}"),
        slug: Some(slug.into()),
        destination_url: "https://brand.test/pricing".into(),
        default_commission_type: CommissionType::Percentage,
        default_commission_value: afflux_app::Decimal("20".into()),
        currency: None,
        default_commission_model: None,
        cookie_window_days: None,
        attribution_model: None,
        auto_approve: None,
        description: None,
        terms_url: None,
        rules: None,
    };
    server.app.create_campaign(actor, input).await.unwrap().id
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Decodes a quoted-printable body the way a mail client does: soft line breaks joined, `=XX`
/// escapes turned back into bytes.
fn decode_qp(message: &str) -> String {
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    message.lines().find_map(|l| l.strip_prefix(&prefix))
}

#[tokio::test]
async fn approval_email_goes_through_smtp_with_one_click_unsubscribe() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path());
    let db = TestDb::new().await;
    let server = start(&db, &format!("smtp://127.0.0.1:{}", smtp.port), dir.path(), true).await;
    let (actor, campaign) = org_with_campaign(&server, "courses").await;

    let invite = AffiliateInvite {
        program_id: campaign,
        email: "Jane.Doe@Example.com".into(),
        name: Some("Jane".into()),
    };
    let (affiliate, _) = server.app.invite_affiliate(&actor, invite).await.unwrap();

    let message = wait_for("the approval email", async || smtp.messages().into_iter().next()).await;
    assert_eq!(header(&message, "To"), Some("Jane.Doe@Example.com"));
    assert_eq!(
        header(&message, "From"),
        Some("\"Brightwave Courses\" <partners@brand.test>")
    );
    assert_eq!(
        header(&message, "Subject"),
        Some("You're approved for Campaign courses")
    );
    assert_eq!(
        header(&message, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = header(&message, "List-Unsubscribe").expect("List-Unsubscribe header");
    let unsubscribe = unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
    assert!(
        unsubscribe.starts_with(&format!("{}/unsubscribe/", server.url())),
        "{unsubscribe}"
    );
    let body = decode_qp(&message);
    assert!(
        body.contains(&format!("https://brand.test/pricing?via={}", affiliate.slug)),
        "the referral link is in the body"
    );

    // A GET (a mail scanner following the link) shows a confirmation and changes nothing.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("j***@example.com"));
    assert!(
        !server
            .app
            .store()
            .read()
            .await
            .unwrap()
            .is_suppressed("jane.doe@example.com")
            .await
            .unwrap()
    );

    // The mailbox provider's one-click POST unsubscribes at once, with a 200 and no redirect;
    // repeats succeed too.
    for _ in 0..2 {
        let response = http
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert!(
        server
            .app
            .store()
            .read()
            .await
            .unwrap()
            .is_suppressed("jane.doe@example.com")
            .await
            .unwrap()
    );

    // A forged token is refused.
    let forged = format!("{}x", unsubscribe);
    assert_eq!(
        http.post(&forged)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The suppression list is read at send time: the next email to her is skipped, not sent.
    let second = new_campaign(&server, &actor, "coaching").await;
    let invite = AffiliateInvite {
        program_id: second,
        email: "jane.doe@example.com".into(),
        name: None,
    };
    server.app.invite_affiliate(&actor, invite).await.unwrap();
    wait_for("the queue to drain", async || {
        let counts = server.app.job_counts().await.unwrap();
        (counts.queued + counts.running == 0).then_some(())
    })
    .await;
    assert_eq!(server.app.job_counts().await.unwrap().dead, 0);
    assert_eq!(smtp.messages().len(), 1, "no second email to an unsubscribed address");
    server.stop().await;
}

#[tokio::test]
async fn team_invite_email_reaches_the_invited_address() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path());
    let db = TestDb::new().await;
    let server = start(&db, &format!("smtp://127.0.0.1:{}", smtp.port), dir.path(), true).await;
    let (actor, _) = org_with_campaign(&server, "courses").await;

    let invite = server
        .app
        .invite_member(&actor, "manager@brand.test", afflux_domain::Role::Manager)
        .await
        .unwrap();
    let message = wait_for("the invitation email", async || smtp.messages().into_iter().next()).await;
    assert_eq!(header(&message, "To"), Some("manager@brand.test"));
    let message = decode_qp(&message);
    let link_start = message
        .find(&format!("{}/invites/", server.url()))
        .expect("invite link in the body");
    let token: String = message[link_start..]
        .trim_start_matches(&format!("{}/invites/", server.url()))
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    // The emailed link opens exactly this invitation.
    assert_eq!(server.app.open_invite(&token).await.unwrap().id, invite.id);
    server.stop().await;
}

#[tokio::test]
async fn a_down_smtp_server_keeps_the_email_queued_for_retry() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new().await;
    // Nothing listens on this port: every delivery fails as a transient error.
    let server = start(&db, &format!("smtp://127.0.0.1:{}", free_port()), dir.path(), false).await;
    let (actor, campaign) = org_with_campaign(&server, "courses").await;
    let invite = AffiliateInvite {
        program_id: campaign,
        email: "jane@example.com".into(),
        name: None,
    };
    server.app.invite_affiliate(&actor, invite).await.unwrap();

    assert_eq!(server.app.run_due_jobs(10).await.unwrap(), 1);
    let counts = server.app.job_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.running, counts.dead),
        (1, 0, 0),
        "the job waits for its retry, not lost"
    );
    // Its retry is scheduled in the future with backoff, so an immediate pass runs nothing.
    assert_eq!(server.app.run_due_jobs(10).await.unwrap(), 0);
    server.stop().await;
}
