//! `afflux demo` as a newcomer runs it: the real binary against a fresh SQLite file (PostgreSQL
//! database with `AFFLUX_TEST_DATABASE_URL`), then the
//! database read back: affiliates in every status, clicks, sales and refunds, commissions in two
//! currencies, promo assets, a settled payout run, working sign-in; a second run refuses.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use afflux::{Settings, build_app};
use afflux_domain::{AffiliateStatus, CommissionStatus, ConversionType, Currency, PayoutStatus};
use afflux_store::{AffiliateFilter, CommissionFilter, ConversionFilter, Page, PayoutItemFilter};

fn demo(database_url: &str, mail_dir: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_afflux"))
        .arg("demo")
        .env("AFFLUX_DATABASE_URL", database_url)
        .env("AFFLUX_MAIL_DIR", mail_dir)
        .env_remove("AFFLUX_CONFIG")
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn the_demo_fills_a_fresh_database_once() {
    let db = afflux_store::test_db::TestDb::new().await;
    let url = db.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail").display().to_string();

    let first = demo(&url, &mail);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains(afflux_app::DEMO_OWNER_EMAIL), "{stdout}");
    assert!(stdout.contains(afflux_app::DEMO_OWNER_PASSWORD), "{stdout}");
    assert!(stdout.contains("/login"), "{stdout}");

    let settings = Settings {
        database_url: url.clone(),
        mail_dir: mail.clone(),
        ..Settings::default()
    };
    let app = build_app(&settings, "http://demo.test".into()).await.unwrap();
    // The printed credentials sign in.
    app.login(afflux_app::DEMO_OWNER_EMAIL, afflux_app::DEMO_OWNER_PASSWORD)
        .await
        .expect("the owner signs in");

    app.store().close().await;

    let mut tx = db.store().read().await.unwrap();
    assert_eq!(tx.count_orgs().await.unwrap(), 1);
    let org = tx
        .get_user_by_email(afflux_app::DEMO_OWNER_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let (org, _) = tx.list_user_orgs(org.id).await.unwrap().remove(0);
    let campaigns = tx.list_campaigns(org.id, true, Page::ALL).await.unwrap();
    assert_eq!(campaigns.len(), 2);

    let mut affiliates = vec![];
    for status in AffiliateStatus::ALL {
        let filter = AffiliateFilter {
            status: Some(*status),
            ..AffiliateFilter::default()
        };
        let rows = tx.list_affiliates(org.id, &filter, Page::ALL).await.unwrap();
        assert!(rows.len() >= 3, "{} {status} memberships", rows.len());
        affiliates.extend(rows);
    }
    assert!((30..=60).contains(&affiliates.len()), "{} affiliates", affiliates.len());

    let mut clicks = 0;
    for row in &affiliates {
        clicks += tx.click_count(org.id, row.affiliate.id, None).await.unwrap();
    }
    assert!(clicks >= 2_000, "{clicks} clicks");

    let conversions = tx
        .list_conversions(org.id, &ConversionFilter::default(), Page::ALL)
        .await
        .unwrap();
    let sales: Vec<_> = conversions.iter().filter(|c| c.kind == ConversionType::Sale).collect();
    assert!(sales.len() >= 100, "{} sales", sales.len());
    assert!(sales.iter().any(|c| c.refunded_minor > 0), "some sales are refunded");
    let oldest = sales.iter().map(|c| c.occurred_at).min().unwrap();
    assert!(
        time::OffsetDateTime::now_utc() - oldest > time::Duration::days(120),
        "sales span months"
    );

    let commissions = tx
        .list_commissions(org.id, &CommissionFilter::default(), Page::ALL)
        .await
        .unwrap();
    let currencies: BTreeSet<Currency> = commissions.iter().map(|c| c.amount.currency).collect();
    assert_eq!(currencies, BTreeSet::from([Currency::EUR, Currency::USD]));
    for status in [CommissionStatus::Pending, CommissionStatus::Paid] {
        assert!(
            commissions.iter().any(|c| c.status == status),
            "no {status:?} commission"
        );
    }

    let runs = tx.list_payout_runs(org.id, Page::ALL).await.unwrap();
    assert_eq!(runs.len(), 1);
    let items = tx
        .list_payout_items(
            org.id,
            &PayoutItemFilter {
                run_id: Some(runs[0].id),
                ..PayoutItemFilter::default()
            },
            Page::ALL,
        )
        .await
        .unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|i| i.status == PayoutStatus::Paid),
        "the run is settled"
    );
    let paid: BTreeSet<Currency> = items.iter().map(|i| i.amount.currency).collect();
    assert_eq!(paid.len(), 2, "paid in both currencies");

    let mut promo = 0;
    for c in &campaigns {
        promo += tx.list_promo_assets(org.id, c.id).await.unwrap().len();
    }
    assert!(promo >= 4, "{promo} promo assets");
    drop(tx);

    // The same seed on another fresh database makes the same organization.
    let other = afflux_store::test_db::TestDb::new().await;
    let again = demo(other.url(), &mail);
    assert!(again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        stdout,
        "the demo is deterministic"
    );

    let second = demo(&url, &mail);
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already has an organization"), "{stderr}");
}
