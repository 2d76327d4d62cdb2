//! The click path over HTTP: `/go/{slug}` redirects and `POST /api/v1/track/click`, on the
//! database `AFFLUX_TEST_DATABASE_URL` names (SQLite otherwise).

#[path = "support/tracking.rs"]
mod support;

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use afflux_domain::{AttributionModel, ClickId, ClickSource, StatusAction};
use reqwest::header::{CACHE_CONTROL, LOCATION, ORIGIN, REFERER, USER_AGENT};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use support::{CHROME, Fixture, client, client_from};

const SHOP: &str = "https://shop.example/pricing?plan=pro";

/// The trusted proxy of these tests: connections from 127.0.0.2.
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

async fn go(f: &Fixture, path: &str, ua: &str) -> Response {
    client()
        .get(f.url(path))
        .header(USER_AGENT, ua)
        .send()
        .await
        .expect("request")
}

fn location(r: &Response) -> url::Url {
    let raw = r.headers().get(LOCATION).expect("a Location header").to_str().unwrap();
    url::Url::parse(raw).expect("an absolute Location")
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The click id of a redirect (panics when there is none).
fn click_id(r: &Response) -> ClickId {
    param(&location(r), "afx_click")
        .expect("afx_click")
        .parse()
        .expect("a click id")
}

async fn track(f: &Fixture, ua: &str, body: Value) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let r = client()
        .post(f.url("/api/v1/track/click"))
        .header(USER_AGENT, ua)
        .header(ORIGIN, "https://shop.example")
        .json(&body)
        .send()
        .await
        .expect("request");
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_link_redirects_once_to_the_destination_after_the_click_is_committed() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "Jane-R").await;

    let r = client()
        .get(f.url("/go/jane-r"))
        .header(USER_AGENT, CHROME)
        .header(REFERER, "https://www.news.example/article?id=7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    let to = location(&r);
    // Single hop: straight to the brand, its own query kept, our parameters added.
    assert_eq!((to.host_str(), to.path()), (Some("shop.example"), "/pricing"));
    assert_eq!(param(&to, "plan").as_deref(), Some("pro"));
    assert_eq!(
        param(&to, "via").as_deref(),
        Some("Jane-R"),
        "the slug as the affiliate holds it"
    );
    let id = click_id(&r);

    // Committed before the answer went out: readable at once, from another connection.
    let click = f.click(id).await.expect("the click is in the database");
    assert_eq!(
        (click.affiliate_id, click.campaign_id, click.org_id),
        (jane.id, campaign.id, f.org)
    );
    assert_eq!(click.source, ClickSource::Link);
    assert_eq!(click.referrer_domain.as_deref(), Some("news.example"));
    assert_eq!(click.visitor_hash.len(), 32, "a keyed hash, not an address");
    assert_eq!(f.clicks(jane.id).await, 1);
}

#[tokio::test]
async fn a_visitor_counts_once_per_link_per_hour() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;

    let first = click_id(&go(&f, "/go/jane", CHROME).await);
    let again = click_id(&go(&f, "/go/jane", CHROME).await);
    assert_eq!(first, again, "the repeat names the stored click");
    assert_eq!(f.clicks(jane.id).await, 1);

    let other = click_id(&go(&f, "/go/jane", &format!("{CHROME} Edg/131.0")).await);
    assert_ne!(first, other, "another browser is another visitor");
    assert_eq!(f.clicks(jane.id).await, 2);
}

#[tokio::test]
async fn bots_head_requests_and_prefetches_are_redirected_but_not_counted() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;

    let head = client()
        .request(Method::HEAD, f.url("/go/jane"))
        .header(USER_AGENT, CHROME)
        .send()
        .await
        .unwrap();
    let prefetch = client()
        .get(f.url("/go/jane"))
        .header(USER_AGENT, CHROME)
        .header("Sec-Purpose", "prefetch")
        .send()
        .await
        .unwrap();
    let googlebot = go(
        &f,
        "/go/jane",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )
    .await;
    let curl = go(&f, "/go/jane", "curl/8.5.0").await;
    let headless = go(&f, "/go/jane", &CHROME.replace("Chrome/", "HeadlessChrome/")).await;
    for r in [head, prefetch, googlebot, curl, headless] {
        assert_eq!(r.status(), StatusCode::FOUND);
        let to = location(&r);
        assert_eq!(param(&to, "via").as_deref(), Some("jane"));
        assert_eq!(param(&to, "afx_click"), None, "no click was counted, so none is named");
    }
    assert_eq!(f.clicks(jane.id).await, 0);
    assert_eq!(f.server.app.click_writer_stats().clicks, 0);
}

#[tokio::test]
async fn the_campaign_is_chosen_by_path_or_is_the_only_one() {
    let f = Fixture::start("").await;
    let pro = f
        .campaign("pro", "https://shop.example/pro", AttributionModel::LastTouch, 30)
        .await;
    let team = f
        .campaign("team", "https://shop.example/team", AttributionModel::LastTouch, 30)
        .await;
    let jane = f.affiliate(&pro, "jane@example.com", "Jane", "jane").await;
    f.affiliate(&team, "jane@example.com", "Jane", "jane").await;

    let r = go(&f, "/go/jane/pro", CHROME).await;
    assert_eq!(location(&r).path(), "/pro");
    let click = f.click(click_id(&r)).await.unwrap();
    assert_eq!(click.campaign_id, pro.id);
    let r = go(&f, "/go/JANE/Team", CHROME).await;
    assert_eq!(location(&r).path(), "/team");
    assert_eq!(f.click(click_id(&r)).await.unwrap().campaign_id, team.id);

    // Two campaigns and none named: no guessing.
    for path in ["/go/jane", "/go/jane/nope"] {
        let r = go(&f, path, CHROME).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.headers().get(LOCATION).is_none());
    }
    assert_eq!(f.clicks(jane.id).await, 2);

    // Archiving one leaves the only other: the bare link works again, at once.
    f.archive(&team).await;
    assert_eq!(location(&go(&f, "/go/jane", CHROME).await).path(), "/pro");
    assert_eq!(go(&f, "/go/jane/team", CHROME).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_unapproved_and_archived_links_answer_404_without_recording() {
    let f = Fixture::start("").await;
    let pro = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let pending = f.applicant(&pro, "pat@example.com", "Pat", "pat-pending").await;
    let jane = f.affiliate(&pro, "jane@example.com", "Jane", "jane").await;

    let assert_404 = async |path: &str| {
        let r = go(&f, path, CHROME).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.headers().get(LOCATION).is_none(), "{path}: never a redirect");
        let body = r.text().await.unwrap();
        assert!(body.contains("Link not found"), "{path}: a page for people: {body}");
    };
    assert_404("/go/nobody-here").await;
    assert_404("/go/bad%20slug").await;
    assert_404("/go/pat-pending").await;

    // Warm the cache, then pause: the change applies at once.
    assert_eq!(go(&f, "/go/jane", CHROME).await.status(), StatusCode::FOUND);
    f.set_status(&jane, &pro, StatusAction::Pause).await;
    assert_404("/go/jane").await;
    f.set_status(&jane, &pro, StatusAction::Approve).await;
    assert_eq!(go(&f, "/go/jane", CHROME).await.status(), StatusCode::FOUND);
    f.archive(&pro).await;
    assert_404("/go/jane").await;

    assert_eq!(f.clicks(pending.id).await, 0);
    assert_eq!(
        f.clicks(jane.id).await,
        1,
        "only the approved, live link counted (once: same visitor)"
    );
}

#[tokio::test]
async fn forwarded_for_is_honoured_only_from_a_trusted_proxy() {
    let f = Fixture::start("127.0.0.2").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;
    let send = async |from: Option<IpAddr>, xff: &str| {
        let r = client_from(from)
            .get(f.url("/go/jane"))
            .header(USER_AGENT, CHROME)
            .header("X-Forwarded-For", xff)
            .send()
            .await
            .unwrap();
        click_id(&r)
    };

    // From an untrusted peer (127.0.0.1) the header is ignored: one visitor, whatever it says.
    let a = send(None, "198.51.100.1").await;
    let b = send(None, "198.51.100.2").await;
    assert_eq!(a, b);
    // From the proxy, the forwarded address is the visitor: two addresses, two visitors…
    let c = send(Some(PROXY), "198.51.100.1").await;
    let d = send(Some(PROXY), "6.6.6.6, 198.51.100.2").await;
    assert_ne!(c, d);
    assert_ne!(a, c);
    // …and a visitor forwarded as 127.0.0.1 is the one who came directly from 127.0.0.1.
    assert_eq!(send(Some(PROXY), "127.0.0.1").await, a);
    assert_eq!(f.clicks(jane.id).await, 3);
}

#[tokio::test]
async fn concurrent_clicks_are_all_committed_in_a_few_transactions() {
    // By default the writer commits what is queued at once, so how many clicks share a
    // transaction depends on timing; a 50 ms gathering window makes the batching certain.
    let f = Fixture::start_with("", 50).await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;
    let before = f.server.app.click_writer_stats();

    let client = client();
    let requests = (0..50).map(|i| {
        let request = client
            .get(f.url("/go/jane"))
            .header(USER_AGENT, format!("{CHROME} visitor/{i}"));
        async move { click_id(&request.send().await.expect("request")) }
    });
    let ids: HashSet<ClickId> = futures_join_all(requests).await.into_iter().collect();
    assert_eq!(ids.len(), 50, "fifty visitors, fifty clicks");
    for id in &ids {
        assert!(f.click(*id).await.is_some(), "every acknowledged click is committed");
    }
    assert_eq!(f.clicks(jane.id).await, 50);

    let after = f.server.app.click_writer_stats();
    assert_eq!(after.clicks - before.clicks, 50);
    let batches = after.batches - before.batches;
    assert!(batches <= 25, "group commit: 50 clicks took {batches} transactions");
}

/// `join_all` without a dependency: every future on its own task, awaited in order.
async fn futures_join_all<T: Send + 'static>(
    futures: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn the_script_endpoint_answers_any_origin_and_records_the_click() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::FirstTouch, 45).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane Roe", "Jane-R").await;

    let preflight = client()
        .request(Method::OPTIONS, f.url("/api/v1/track/click"))
        .header(ORIGIN, "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("content-type")
    );

    let body = json!({ "slug": "jane-r", "pageUrl": "https://shop.example/?via=jane-r", "referrer": "https://www.youtube.com/watch?v=x" });
    let (status, headers, answer) = track(&f, CHROME, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(answer["recorded"], true);
    assert_eq!(answer["referral"], "Jane-R");
    assert_eq!(answer["affiliate"], json!({ "name": "Jane Roe", "slug": "Jane-R" }));
    assert_eq!(
        answer["campaign"],
        json!({ "name": "Campaign pro", "slug": "pro", "cookieWindowDays": 45, "attributionModel": "FirstTouch" })
    );
    let id: ClickId = answer["clickId"].as_str().expect("a click id").parse().unwrap();
    let click = f.click(id).await.expect("recorded");
    assert_eq!(click.source, ClickSource::Script);
    assert_eq!(click.referrer_domain.as_deref(), Some("youtube.com"));
    assert_eq!(f.clicks(jane.id).await, 1);

    // The same visitor again within the hour: the same click, not counted twice.
    let (_, _, again) = track(&f, CHROME, json!({ "slug": "Jane-R" })).await;
    assert_eq!(
        (again["clickId"].as_str(), &again["recorded"]),
        (Some(id.to_string().as_str()), &json!(false))
    );
    // A bot is answered (the page keeps working) but not counted.
    let (status, _, bot) = track(&f, "Mozilla/5.0 (compatible; bingbot/2.0)", json!({ "slug": "jane-r" })).await;
    assert_eq!(
        (status, &bot["clickId"], &bot["referral"]),
        (StatusCode::OK, &Value::Null, &json!("Jane-R"))
    );
    assert_eq!(f.clicks(jane.id).await, 1);
}

#[tokio::test]
async fn bad_script_requests_are_refused_and_record_nothing() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;

    for (body, field) in [
        (json!({ "slug": "jane", "clickId": "not-a-click" }), Some("clickId")),
        (json!({ "slug": "no spaces" }), Some("slug")),
        (json!({ "slug": "jane", "campaign": "a b" }), Some("campaign")),
        (json!({ "slug": "jane", "surprise": 1 }), None),
        (json!({ "slug": 7 }), Some("slug")),
        (json!({}), None),
        (json!({ "slug": "jane", "pageUrl": "x".repeat(3_000) }), Some("pageUrl")),
    ] {
        let (status, headers, answer) = track(&f, CHROME, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(
            headers["access-control-allow-origin"], "*",
            "the script can read the error"
        );
        if let Some(field) = field {
            assert_eq!(answer["field"], field, "{answer}");
        }
    }
    let raw = client()
        .post(f.url("/api/v1/track/click"))
        .header(USER_AGENT, CHROME)
        .header("Content-Type", "application/json")
        .body("{\"slug\": \"jane\"")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let (status, _, _) = track(&f, CHROME, json!({ "slug": "nobody-here" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = track(&f, CHROME, json!({ "slug": "jane", "campaign": "other" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(f.clicks(jane.id).await, 0);
    assert_eq!(f.server.app.click_writer_stats().clicks, 0);
}

#[tokio::test]
async fn a_visitor_from_a_link_is_not_counted_again_by_the_script() {
    let f = Fixture::start("").await;
    let campaign = f.campaign("pro", SHOP, AttributionModel::LastTouch, 30).await;
    let jane = f.affiliate(&campaign, "jane@example.com", "Jane", "jane").await;

    let id = click_id(&go(&f, "/go/jane", CHROME).await);
    let (status, _, answer) = track(&f, CHROME, json!({ "slug": "jane", "clickId": id.to_string() })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["clickId"], id.to_string());
    assert_eq!(answer["recorded"], false, "confirmed, not counted");
    assert_eq!(f.clicks(jane.id).await, 1);

    // Someone else opening a landing URL shared with its afx_click is a visitor of their own.
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let (_, _, other) = track(&f, firefox, json!({ "slug": "jane", "clickId": id.to_string() })).await;
    assert_eq!(other["recorded"], true);
    assert_ne!(other["clickId"], id.to_string());
    // An unknown click id is no reason to refuse: the visitor is counted.
    let (_, _, unknown) = track(
        &f,
        &format!("{CHROME} other"),
        json!({ "slug": "jane", "clickId": ClickId::new().to_string() }),
    )
    .await;
    assert_eq!(unknown["recorded"], true);
    assert_eq!(f.clicks(jane.id).await, 3);
}

#[tokio::test]
async fn the_tracking_endpoint_is_in_the_openapi_document() {
    let f = Fixture::start("").await;
    let doc: Value = client()
        .get(f.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/api/v1/track/click"]["post"];
    assert!(op.is_object(), "documented");
    assert!(doc["components"]["schemas"]["ScriptClick"].is_object());
    assert!(doc["components"]["schemas"]["TrackedClickView"].is_object());
}
