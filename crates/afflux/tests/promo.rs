//! Promo tools over HTTP: banners uploaded as multipart (type told by the bytes, size-checked),
//! swipes and text links, reordering, deleting, the public image, and another organization's
//! assets answering 404.

use afflux::{Server, Settings};
use afflux_app::{Actor, ActorKind, AppError, NewCampaign, NewOrg};
use afflux_domain::{CommissionType, OrgId, PromoAsset, PromoKind, Role, UserId};
use afflux_store::test_db::TestDb;
use reqwest::Response;
use tempfile::TempDir;

const OWNER_PASSWORD: &str = "correct horse battery staple";

struct Web {
    server: Server,
    client: reqwest::Client,
    _dir: TempDir,
    _db: TestDb,
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
    b
}

const GIF: &[u8] = b"GIF89a\x2c\x01\xfa\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x3b";
const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";

/// A multipart body as a browser sends the banner form.
fn multipart(title: &str, file_name: &str, declared: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----afflux-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\nContent-Type: {declared}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Web {
    async fn start() -> Self {
        // SQLite, or PostgreSQL with `AFFLUX_TEST_DATABASE_URL`.
        let db = TestDb::new().await;
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            mail_dir: dir.path().join("mail").display().to_string(),
            ..Settings::default()
        };
        let server = Server::start(&settings, false).await.expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Web {
            server,
            client,
            _dir: dir,
            _db: db,
        }
    }

    /// Sets the instance up; answers the owner's `Cookie` header value and organization.
    async fn owner(&self) -> (String, OrgId) {
        let token = self.server.app.setup_token().await.unwrap().unwrap();
        let form = [
            ("token", token.as_str()),
            ("orgName", "Acme"),
            ("name", ""),
            ("email", "owner@example.com"),
            ("password", OWNER_PASSWORD),
        ];
        let r = self.post("/setup", &form, "").await;
        let set = r.headers().get("set-cookie").expect("a Set-Cookie").to_str().unwrap();
        let cookie = set.split(';').next().unwrap().to_owned();
        let session = self
            .server
            .app
            .session(cookie.trim_start_matches("afflux_session="))
            .await
            .unwrap()
            .unwrap();
        (cookie, session.org.id)
    }

    async fn get(&self, path: &str, cookie: &str) -> Response {
        let url = format!("{}{path}", self.server.url());
        self.client.get(url).header("cookie", cookie).send().await.unwrap()
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

    async fn upload(&self, campaign: &str, cookie: &str, parts: (String, Vec<u8>)) -> Response {
        let url = self.server.url();
        self.client
            .post(format!("{url}/dashboard/campaigns/{campaign}/promo/banners"))
            .header("origin", &url)
            .header("cookie", cookie)
            .header("content-type", parts.0)
            .body(parts.1)
            .send()
            .await
            .unwrap()
    }

    async fn campaign(&self, org: OrgId, slug: &str) -> String {
        let input = NewCampaign {
            name: format!("Campaign {slug}"),
            slug: Some(slug.into()),
            destination_url: "https://example.com/".into(),
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
        let c = self
            .server
            .app
            .create_campaign(&Actor::operator(org), input)
            .await
            .unwrap();
        c.id.to_string()
    }

    async fn assets(&self, org: OrgId, campaign: &str) -> Vec<PromoAsset> {
        self.server
            .app
            .promo_assets(org, campaign.parse().unwrap())
            .await
            .unwrap()
    }
}

fn titles(assets: &[PromoAsset]) -> Vec<&str> {
    assets.iter().map(|a| a.title.as_str()).collect()
}

fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn banners_are_checked_by_their_bytes_and_served_publicly() {
    let web = Web::start().await;
    let (cookie, org) = web.owner().await;
    let campaign = web.campaign(org, "spring").await;
    let page = format!("/dashboard/campaigns/{campaign}/promo");
    let campaigns = web.get("/dashboard/campaigns", &cookie).await.text().await.unwrap();
    assert!(
        campaigns.contains(&format!("href=\"{page}\"")),
        "the campaign links its Promo tools tab"
    );

    let banner = png(728, 90);
    let ok = web
        .upload(
            &campaign,
            &cookie,
            multipart("Leaderboard", "lb.png", "image/png", &banner),
        )
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), page);
    let assets = web.assets(org, &campaign).await;
    assert_eq!(titles(&assets), ["Leaderboard"]);
    let stored = &assets[0];
    assert_eq!(stored.kind, PromoKind::Banner);
    assert_eq!(stored.content_type.as_deref(), Some("image/png"));
    assert_eq!((stored.width, stored.height), (Some(728), Some(90)));

    // Public: no session needed, the stored type, never sniffed, cacheable for long.
    let served = web.get(&format!("/promo/{}", stored.id), "").await;
    assert_eq!(served.status(), 200);
    let header = |name: &str| served.headers().get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("cache-control").contains("max-age=31536000"),
        "{}",
        header("cache-control")
    );
    assert_eq!(served.bytes().await.unwrap().as_ref(), banner.as_slice());

    let listed = web.get(&page, &cookie).await.text().await.unwrap();
    assert!(listed.contains(&format!("src=\"/promo/{}\"", stored.id)), "{listed}");
    assert!(listed.contains("728 × 90 px"));

    // SVG, HTML labelled as a PNG, and a file over 2 MiB are refused next to the image field,
    // the typed title kept, nothing stored.
    let svg = web
        .upload(
            &campaign,
            &cookie,
            multipart("Vector", "logo.svg", "image/svg+xml", SVG),
        )
        .await;
    assert_eq!(svg.status(), 422);
    let text = svg.text().await.unwrap();
    assert!(
        text.contains(r#"id="banner-image-error">The image must be a PNG, JPEG, GIF or WebP file."#),
        "{text}"
    );
    assert!(text.contains(r#"value="Vector""#));
    let html = b"<html><body onload=alert(1)>".to_vec();
    let mislabelled = web
        .upload(&campaign, &cookie, multipart("Fake", "fake.png", "image/png", &html))
        .await;
    assert_eq!(mislabelled.status(), 422);
    assert!(
        mislabelled
            .text()
            .await
            .unwrap()
            .contains("must be a PNG, JPEG, GIF or WebP")
    );
    let mut big = png(10, 10);
    big.resize(2 * 1024 * 1024 + 1, 0);
    let oversize = web
        .upload(&campaign, &cookie, multipart("Huge", "huge.png", "image/png", &big))
        .await;
    assert_eq!(oversize.status(), 422);
    assert!(
        oversize
            .text()
            .await
            .unwrap()
            .contains("The image must be at most 2 MiB.")
    );
    // Far past the limit: the body is cut off and the answer is the same.
    big.resize(5 * 1024 * 1024, 0);
    let way_over = web
        .upload(&campaign, &cookie, multipart("Huger", "huge.png", "image/png", &big))
        .await;
    assert_eq!(way_over.status(), 422);
    assert!(
        way_over
            .text()
            .await
            .unwrap()
            .contains("The image must be at most 2 MiB.")
    );
    let untitled = web
        .upload(&campaign, &cookie, multipart(" ", "lb.png", "image/png", &banner))
        .await;
    assert_eq!(untitled.status(), 422);
    assert!(
        untitled
            .text()
            .await
            .unwrap()
            .contains(r#"id="banner-title-error">A title is required."#)
    );
    assert_eq!(titles(&web.assets(org, &campaign).await), ["Leaderboard"]);

    // The same refusals through the verb carry their stable codes.
    let actor = Actor::operator(org);
    let spring = campaign.parse().unwrap();
    let code = |r: Result<PromoAsset, AppError>| match r {
        Err(AppError::Validation(v)) => v.code,
        other => panic!("expected a validation error, got {other:?}"),
    };
    let app = &web.server.app;
    assert_eq!(
        code(app.add_promo_banner(&actor, spring, "x", SVG).await),
        "unsupported_image_type"
    );
    assert_eq!(
        code(app.add_promo_banner(&actor, spring, "x", &html).await),
        "unsupported_image_type"
    );
    assert_eq!(
        code(app.add_promo_banner(&actor, spring, "x", &big).await),
        "image_too_large"
    );
    assert_eq!(
        code(app.add_promo_banner(&actor, spring, "", &banner).await),
        "title_required"
    );

    // A GIF labelled as a PNG is taken for what its bytes say.
    let gif = web
        .upload(&campaign, &cookie, multipart("Square", "square.png", "image/png", GIF))
        .await;
    assert_eq!(gif.status(), 303);
    let square = web.assets(org, &campaign).await.pop().unwrap();
    assert_eq!(square.content_type.as_deref(), Some("image/gif"));
    let served = web.get(&format!("/promo/{}", square.id), "").await;
    assert_eq!(served.headers()["content-type"], "image/gif");
    assert_eq!(web.get("/promo/not-an-id", "").await.status(), 404);
    web.server.stop().await;
}

#[tokio::test]
async fn swipes_and_links_are_ordered_and_deleted_with_audit() {
    let web = Web::start().await;
    let (cookie, org) = web.owner().await;
    let campaign = web.campaign(org, "spring").await;
    let base = format!("/dashboard/campaigns/{campaign}/promo");

    let swipe = [
        ("kind", "EmailSwipe"),
        ("title", "Launch email"),
        ("body", "Hi, {{affiliate.name}} here. Try it: {{referral_link}}"),
    ];
    assert_eq!(web.post(&format!("{base}/texts"), &swipe, &cookie).await.status(), 303);
    let link = [
        ("kind", "TextLink"),
        ("title", "Footer link"),
        ("body", "Try Acme free"),
    ];
    assert_eq!(web.post(&format!("{base}/texts"), &link, &cookie).await.status(), 303);
    let r = web
        .upload(
            &campaign,
            &cookie,
            multipart("Banner", "b.png", "image/png", &png(300, 250)),
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = web.get(&base, &cookie).await.text().await.unwrap();
    assert!(
        page.contains("Hi, Jane Doe here. Try it: https://your-site.example/?ref=jane"),
        "{page}"
    );

    // A missing body is shown next to the body of the form it came from; nothing is stored.
    let empty = [("kind", "TextLink"), ("title", "Empty"), ("body", "  ")];
    let refused = web.post(&format!("{base}/texts"), &empty, &cookie).await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains(r#"id="link-body-error">A body is required."#), "{text}");
    assert!(!text.contains("swipe-body-error"));
    let assets = web.assets(org, &campaign).await;
    assert_eq!(titles(&assets), ["Launch email", "Footer link", "Banner"]);
    // Only banners are served as images.
    assert_eq!(web.get(&format!("/promo/{}", assets[0].id), "").await.status(), 404);

    let banner = assets[2].id;
    let up = [("direction", "Up")];
    assert_eq!(
        web.post(&format!("{base}/{banner}/move"), &up, &cookie).await.status(),
        303
    );
    assert_eq!(
        titles(&web.assets(org, &campaign).await),
        ["Launch email", "Banner", "Footer link"]
    );
    assert_eq!(
        web.post(&format!("{base}/{banner}/move"), &up, &cookie).await.status(),
        303
    );
    // At the top already: nothing moves.
    assert_eq!(
        web.post(&format!("{base}/{banner}/move"), &up, &cookie).await.status(),
        303
    );
    assert_eq!(
        titles(&web.assets(org, &campaign).await),
        ["Banner", "Launch email", "Footer link"]
    );
    let down = [("direction", "Down")];
    let first = assets[0].id;
    web.post(&format!("{base}/{first}/move"), &down, &cookie).await;
    assert_eq!(
        titles(&web.assets(org, &campaign).await),
        ["Banner", "Footer link", "Launch email"]
    );
    let sideways = web
        .post(&format!("{base}/{first}/move"), &[("direction", "Left")], &cookie)
        .await;
    assert_eq!(sideways.status(), 400);

    let deleted = web.post(&format!("{base}/{banner}/delete"), &[], &cookie).await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(
        titles(&web.assets(org, &campaign).await),
        ["Footer link", "Launch email"]
    );
    assert_eq!(web.get(&format!("/promo/{banner}"), "").await.status(), 404);

    let mut tx = web.server.app.store().read().await.unwrap();
    let audit = tx.list_audit(org, afflux_store::Page::ALL).await.unwrap();
    let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(count("promo_asset.created"), 3);
    assert_eq!(count("promo_asset.moved"), 3, "a move at the top is not recorded");
    assert_eq!(count("promo_asset.deleted"), 1);
    drop(tx);
    web.server.stop().await;
}

#[tokio::test]
async fn another_organizations_assets_answer_404_and_viewers_cannot_change_them() {
    let web = Web::start().await;
    let (cookie, org) = web.owner().await;
    web.campaign(org, "spring").await;
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
    let theirs = web.campaign(beta.org.id, "beta-spring").await;
    let actor = Actor::operator(beta.org.id);
    let app = &web.server.app;
    let asset = app
        .add_promo_banner(&actor, theirs.parse().unwrap(), "Theirs", &png(120, 60))
        .await
        .unwrap();

    let base = format!("/dashboard/campaigns/{theirs}/promo");
    assert_eq!(web.get(&base, &cookie).await.status(), 404);
    let moved = web
        .post(&format!("{base}/{}/move", asset.id), &[("direction", "Down")], &cookie)
        .await;
    assert_eq!(moved.status(), 404);
    assert_eq!(
        web.post(&format!("{base}/{}/delete", asset.id), &[], &cookie)
            .await
            .status(),
        404
    );
    let swipe = [("kind", "EmailSwipe"), ("title", "Sneaky"), ("body", "x")];
    assert_eq!(web.post(&format!("{base}/texts"), &swipe, &cookie).await.status(), 404);
    let upload = web
        .upload(&theirs, &cookie, multipart("Sneaky", "s.png", "image/png", &png(1, 1)))
        .await;
    assert_eq!(upload.status(), 404);
    assert_eq!(titles(&web.assets(beta.org.id, &theirs).await), ["Theirs"]);
    // Listed by the other organization's id, their campaign has nothing.
    assert!(web.assets(org, &theirs).await.is_empty());

    // A Viewer may look but not change.
    let viewer = Actor {
        org_id: beta.org.id,
        role: Role::Viewer,
        kind: ActorKind::User(UserId::new()),
    };
    assert_eq!(
        app.campaign_promo_assets(&viewer, theirs.parse().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        app.delete_promo_asset(&viewer, asset.id).await,
        Err(AppError::Forbidden(_))
    ));
    let manager = Actor {
        role: Role::Manager,
        ..viewer
    };
    app.delete_promo_asset(&manager, asset.id).await.unwrap();
    web.server.stop().await;
}
