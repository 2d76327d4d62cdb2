//! Partner emails end to end (seed 003), delivered through a real SMTP server (aiosmtpd), on
//! SQLite or PostgreSQL (`AFFLUX_TEST_DATABASE_URL`): the campaign's thank-you for each
//! commission (only when turned on), milestones fired once each, "payout sent" to the
//! affiliate, "payout failed" to Owners and Admins only, the monthly "commissions due"
//! reminder, and nothing at all for an unsubscribed affiliate.

mod support;

#[path = "support/smtp.rs"]
mod smtp;

use afflux_domain::{AttributionModel, CampaignId, Role, UserId};
use afflux_store::{TeamMember, User};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use smtp::SmtpSink;
use support::Harness;
use support::s2s::S2s;
use time::OffsetDateTime;

struct T {
    h: Harness,
    smtp: SmtpSink,
    _dir: tempfile::TempDir,
}

impl T {
    async fn start() -> T {
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpSink::start(dir.path());
        let url = format!("smtp://127.0.0.1:{}", smtp.port);
        let h = Harness::start_with(|s| s.smtp_url = Some(url)).await;
        T { h, smtp, _dir: dir }
    }

    /// Runs every due job (the worker's sends), so the messages are in the Maildir.
    async fn deliver(&self) {
        while self.h.server.app.run_due_jobs(50).await.unwrap() > 0 {}
    }

    /// Received messages whose subject contains `subject`, decoded.
    fn mail(&self, subject: &str) -> Vec<String> {
        self.smtp
            .messages()
            .into_iter()
            .map(|m| decode_qp(&m))
            .filter(|m| header(m, "Subject").is_some_and(|s| s.contains(subject)))
            .collect()
    }

    fn to(&self, subject: &str) -> Vec<String> {
        let mut to: Vec<String> = self
            .mail(subject)
            .iter()
            .map(|m| header(m, "To").unwrap_or_default().trim_matches(['<', '>']).to_owned())
            .collect();
        to.sort();
        to
    }

    async fn patch_rules(&self, program: CampaignId, rules: Value) -> support::Reply {
        self.h
            .api(
                Method::PATCH,
                &format!("/api/v1/programs/{program}"),
                &self.h.key,
                Some(json!({ "rules": rules })),
            )
            .await
    }

    /// A team member of `role`, written straight to the store.
    async fn member(&self, email: &str, role: Role) -> UserId {
        let user = User {
            id: UserId::new(),
            email: afflux_domain::Email::parse(email).unwrap(),
            name: None,
            password_hash: None,
            created_at: OffsetDateTime::now_utc(),
        };
        let mut tx = self.h.server.app.store().write().await.unwrap();
        tx.insert_user(&user).await.unwrap();
        tx.insert_member(&TeamMember {
            org_id: self.h.org,
            user_id: user.id,
            role,
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        user.id
    }
}

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

fn usd_sale(id: &str, slug: &str, cents: i64) -> Value {
    json!({ "externalEventId": id, "type": "sale", "affiliateSlug": slug, "amountCents": cents, "currency": "USD" })
}

async fn sell(s2s: &S2s<'_>, body: Value) {
    let reply = s2s.send(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thank_you_per_commission_and_milestones_fire_once() {
    let t = T::start().await;
    let h = &t.h;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await.id;
    let quiet = h.program("quiet", "20", false, AttributionModel::LastTouch).await.id;

    // Bad templates and thresholds are refused with the field named; nothing changes.
    let unknown = t
        .patch_rules(
            pro,
            json!({ "thankYouEmail": { "enabled": true, "body": "Hi {{coupon}}" } }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{:?}", unknown.body);
    assert_eq!(
        (&unknown.body["error"], &unknown.body["field"]),
        (&json!("unknown_merge_field"), &json!("rules.thankYouEmail.body"))
    );
    let both = t
        .patch_rules(
            pro,
            json!({ "milestones": [{ "name": "x", "minSales": 2, "minTotalSales": "5" }] }),
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST, "{:?}", both.body);
    assert_eq!(both.body["field"], "rules.milestones[0].minSales");
    let zero = t
        .patch_rules(pro, json!({ "milestones": [{ "name": "x", "minSales": 0 }] }))
        .await;
    assert_eq!(zero.body["field"], "rules.milestones[0].threshold", "{:?}", zero.body);

    let set = t
        .patch_rules(
            pro,
            json!({
                "thankYouEmail": {
                    "enabled": true,
                    "subject": "Thanks {{affiliate.name}}: {{commission.amount}}",
                    "body": "Sale of {{sale.amount}}. You have {{number_of_sales}} sales, {{total_sales}}.",
                },
                "milestones": [
                    { "name": "Two sales", "minSales": 2 },
                    { "name": "USD 500", "minTotalSales": "500", "subject": "Milestone {{milestone.name}} for {{affiliate.name}}",
                      "body": "{{number_of_sales}} sales worth {{total_sales}}. Link: {{referral_link}}" },
                ],
            }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let rules = &set.body["rules"];
    assert_eq!(rules["thankYouEmail"]["enabled"], true);
    assert_eq!(rules["milestones"][0]["minSales"], 2);
    assert_eq!(
        rules["milestones"][0]["subject"],
        "You reached {{milestone.name}} with {{campaign.name}}"
    );
    assert_eq!(
        (
            &rules["milestones"][1]["minTotalSales"],
            &rules["milestones"][1]["currency"]
        ),
        (&json!("500.00"), &json!("USD"))
    );
    assert_eq!(
        h.get(&format!("/api/v1/programs/{quiet}")).await.body["rules"]["thankYouEmail"]["enabled"],
        false
    );

    let jane = h
        .server
        .app
        .invite_affiliate(
            &h.actor,
            afflux_app::AffiliateInvite {
                program_id: pro,
                email: "jane@partners.test".into(),
                name: Some("Jane".into()),
            },
        )
        .await
        .unwrap()
        .0;
    let joe = h.affiliate(quiet, "joe@partners.test").await;
    let s2s = S2s::new(h).await;
    let jane_slug = jane.slug.as_str();

    // The first sale: a thank-you quoting it, no milestone yet.
    sell(&s2s, usd_sale("s-1", jane_slug, 10_000)).await;
    t.deliver().await;
    let thanks = t.mail("Thanks Jane");
    assert_eq!(thanks.len(), 1, "{thanks:#?}");
    let first = &thanks[0];
    assert_eq!(header(first, "Subject"), Some("Thanks Jane: 20.00 USD"));
    assert!(
        first.contains("Sale of 100.00 USD. You have 1 sales, 100.00 USD."),
        "{first}"
    );
    assert!(first.contains("List-Unsubscribe: <"), "{first}");
    assert!(first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(first.contains("Unsubscribe"), "the footer: {first}");
    assert!(header(first, "To").unwrap().contains("jane@partners.test"));
    assert!(t.mail("You reached").is_empty());

    // The second reaches "Two sales"; a replay of it records and sends nothing more.
    sell(&s2s, usd_sale("s-2", jane_slug, 10_000)).await;
    let replay = s2s.send(&usd_sale("s-2", jane_slug, 10_000)).await;
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    t.deliver().await;
    assert_eq!(t.mail("Thanks Jane").len(), 2);
    let two = t.mail("You reached Two sales");
    assert_eq!(two.len(), 1, "{two:#?}");
    assert!(two[0].contains("2 sales, 200.00 USD in total"), "{}", two[0]);

    // Two more sales: thanked, but the milestone does not fire again.
    sell(&s2s, usd_sale("s-3", jane_slug, 10_000)).await;
    sell(&s2s, usd_sale("s-4", jane_slug, 10_000)).await;
    t.deliver().await;
    assert_eq!(t.mail("Thanks Jane").len(), 4);
    assert_eq!(t.mail("You reached").len(), 1);

    // USD 500.00 reaches the second milestone, in the brand's words.
    sell(&s2s, usd_sale("s-5", jane_slug, 10_000)).await;
    t.deliver().await;
    let usd = t.mail("Milestone USD 500 for Jane");
    assert_eq!(usd.len(), 1, "{usd:#?}");
    assert!(
        usd[0].contains("5 sales worth 500.00 USD. Link: https://brightwave.test/pricing?via="),
        "{}",
        usd[0]
    );

    // A refund takes the total under USD 500 again; the next sale does not re-fire it.
    let refund = s2s
        .send(&json!({ "externalEventId": "r-5", "type": "refund", "refundOf": "s-5" }))
        .await;
    assert!(refund.status.is_success(), "{:?}", refund.body);
    sell(&s2s, usd_sale("s-6", jane_slug, 10_000)).await;
    t.deliver().await;
    assert_eq!(t.mail("Milestone USD").len(), 1);
    assert_eq!(t.mail("You reached").len(), 1);
    assert_eq!(t.mail("Thanks Jane").len(), 6, "one per commission");

    // A campaign that keeps the toggle off thanks nobody.
    sell(&s2s, usd_sale("q-1", joe.slug.as_str(), 10_000)).await;
    sell(&s2s, usd_sale("q-2", joe.slug.as_str(), 10_000)).await;
    t.deliver().await;
    assert!(t.to("You earned").is_empty(), "{:?}", t.to("You earned"));

    // Turning the toggle off stops thank-yous already queued too (checked at send time).
    sell(&s2s, usd_sale("s-7", jane_slug, 10_000)).await;
    let off = t
        .patch_rules(pro, json!({ "thankYouEmail": { "enabled": false } }))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    t.deliver().await;
    assert_eq!(t.mail("Thanks Jane").len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribed_affiliate_gets_no_partner_email() {
    let t = T::start().await;
    let h = &t.h;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await.id;
    let set = t
        .patch_rules(
            pro,
            json!({ "holdDays": 0, "thankYouEmail": { "enabled": true }, "milestones": [{ "name": "First", "minSales": 1 }] }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let ann = h.affiliate(pro, "ann@partners.test").await;
    let bob = h.affiliate(pro, "bob@partners.test").await;
    t.deliver().await;
    let to_ann = || {
        t.smtp
            .messages()
            .iter()
            .filter(|m| m.contains("ann@partners.test"))
            .count()
    };
    let welcomed = to_ann();
    {
        let mut tx = h.server.app.store().write().await.unwrap();
        tx.suppress_email(&ann.email.key(), "unsubscribe", OffsetDateTime::now_utc())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let s2s = S2s::new(h).await;
    sell(&s2s, usd_sale("a-1", ann.slug.as_str(), 10_000)).await;
    sell(&s2s, usd_sale("b-1", bob.slug.as_str(), 10_000)).await;
    h.server.app.approve_due_commissions().await.unwrap();
    let run = h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    for item in run.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let paid = h
            .post(
                &format!("/api/v1/payouts/items/{id}/mark-paid"),
                json!({ "reference": "bank-1" }),
            )
            .await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    }
    t.deliver().await;
    // Bob gets the thank-you, the milestone and the payout; Ann nothing at all.
    assert_eq!(t.to("You earned"), ["bob@partners.test"]);
    assert_eq!(t.to("You reached First"), ["bob@partners.test"]);
    assert_eq!(t.to("paid you"), ["bob@partners.test"]);
    assert_eq!(to_ann(), welcomed, "nothing more reaches an unsubscribed address");
    let counts = h.server.app.job_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.dead),
        (0, 0),
        "Ann's jobs were skipped, not left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_tell_the_affiliate_or_the_owners_and_admins_and_due_commissions_remind_monthly() {
    let t = T::start().await;
    let h = &t.h;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await.id;
    let set = t.patch_rules(pro, json!({ "holdDays": 0 })).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let admin = t.member("admin@brightwave.test", Role::Admin).await;
    t.member("manager@brightwave.test", Role::Manager).await;
    t.member("viewer@brightwave.test", Role::Viewer).await;
    let jane = h.affiliate(pro, "jane@partners.test").await;
    let joe = h.affiliate(pro, "joe@partners.test").await;
    let s2s = S2s::new(h).await;
    sell(&s2s, usd_sale("j-1", jane.slug.as_str(), 10_000)).await;
    sell(&s2s, usd_sale("o-1", joe.slug.as_str(), 25_000)).await;
    let app = &h.server.app;
    let now = OffsetDateTime::now_utc();

    // Pending commissions are not due yet: no reminder.
    assert_eq!(app.remind_commissions_due(now).await.unwrap(), 0);
    assert!(app.approve_due_commissions().await.unwrap() > 0);

    // Approved and waiting: Owners and Admins hear of it, once in the month.
    assert_eq!(app.remind_commissions_due(now).await.unwrap(), 1);
    assert_eq!(app.remind_commissions_due(now).await.unwrap(), 0);
    t.deliver().await;
    assert_eq!(
        t.to("Commissions are due for payout"),
        ["admin@brightwave.test", "owner@brightwave.test"]
    );
    let due = &t.mail("Commissions are due for payout")[0];
    assert!(due.contains("70.00 USD in 2 commissions to 2 affiliates"), "{due}");
    assert!(due.contains("List-Unsubscribe: <"), "{due}");

    // Next month: again, but not to the Admin who turned it off.
    {
        let mut tx = app.store().write().await.unwrap();
        tx.set_notification_pref(h.org, admin, "commissions_due", false)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let next_month = now + time::Duration::days(32);
    assert_eq!(app.remind_commissions_due(next_month).await.unwrap(), 1);
    t.deliver().await;
    assert_eq!(
        t.to("Commissions are due for payout"),
        [
            "admin@brightwave.test",
            "owner@brightwave.test",
            "owner@brightwave.test"
        ]
    );

    // A payout run: Jane's item paid, Joe's failed.
    let run = h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    let items = run.body["items"].as_array().unwrap();
    let item_of = |a: &afflux_domain::Affiliate| {
        items.iter().find(|i| i["affiliateId"] == json!(a.id)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (jane_item, joe_item) = (item_of(&jane), item_of(&joe));
    let paid = h
        .post(
            &format!("/api/v1/payouts/items/{jane_item}/mark-paid"),
            json!({ "reference": "bank-2026-42" }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let failed = h
        .post(
            &format!("/api/v1/payouts/items/{joe_item}/mark-failed"),
            json!({ "reason": "bank account closed" }),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    t.deliver().await;

    let sent = t.mail("Brightwave paid you 20.00 USD");
    assert_eq!(sent.len(), 1);
    assert!(header(&sent[0], "To").unwrap().contains("jane@partners.test"));
    assert!(sent[0].contains("Reference: bank-2026-42"), "{}", sent[0]);
    assert!(sent[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(t.to("paid you").iter().all(|to| !to.contains("joe@")));

    // Payout failed: always to Owners and Admins (the Admin's reminder choice does not apply),
    // never to Managers, Viewers or the affiliate.
    assert_eq!(
        t.to("Payout failed"),
        ["admin@brightwave.test", "owner@brightwave.test"]
    );
    let failure = &t.mail("Payout failed")[0];
    assert_eq!(
        header(failure, "Subject"),
        Some("Payout failed: 50.00 USD to joe@partners.test")
    );
    assert!(failure.contains("Reason: bank account closed"), "{failure}");

    // Retried and failing again: told again. Paid after a retry: the old failure is not resent.
    let retry = h
        .post(&format!("/api/v1/payouts/items/{joe_item}/retry"), json!({}))
        .await;
    assert_eq!(retry.status, StatusCode::OK, "{:?}", retry.body);
    let again = h
        .post(
            &format!("/api/v1/payouts/items/{joe_item}/mark-failed"),
            json!({ "reason": "still closed" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    t.deliver().await;
    assert_eq!(t.mail("Payout failed").len(), 4);
    assert!(
        t.mail("Payout failed")
            .iter()
            .any(|m| m.contains("Reason: still closed"))
    );

    // Everything is paid or in an item now: no reminder in a later month.
    assert_eq!(
        app.remind_commissions_due(now + time::Duration::days(64))
            .await
            .unwrap(),
        0
    );
}
