//! Every commission-history fixture, parsed end to end: the exact rows and skips.

use std::fs::File;

use afflux_importers::{CanonicalConversion, HistoryRow, Parsed, Source, history};
use time::format_description::well_known::Rfc3339;

fn fixture(name: &str) -> File {
    File::open(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `line row State commission/sale CUR email slug occurred paid=… cus sub id=…` or `line skip code`.
fn show(parsed: Parsed<HistoryRow>) -> String {
    match parsed {
        Parsed::Row(r) => format!(
            "{} row {:?} {}/{} {} {} {} {} paid={} {} {} id={}",
            r.line,
            r.state,
            r.commission_minor,
            r.sale_amount_minor.map_or("-".into(), |s| s.to_string()),
            r.currency,
            r.affiliate_email.as_ref().map_or("-", |e| e.as_str()),
            r.affiliate_slug.as_deref().unwrap_or("-"),
            r.occurred_at.format(&Rfc3339).unwrap(),
            r.paid_at.map_or("-".into(), |p| p.format(&Rfc3339).unwrap()),
            r.stripe_customer_id.as_deref().unwrap_or("-"),
            r.stripe_subscription_id.as_deref().unwrap_or("-"),
            r.external_id.as_deref().unwrap_or("-"),
        ),
        Parsed::Skip(s) => format!("{} skip {}", s.line, s.reason.code()),
    }
}

fn parse(source: Source, name: &str) -> Vec<String> {
    history(source, fixture(name)).unwrap().map(show).collect()
}

fn details(source: Source, name: &str) -> Vec<String> {
    history(source, fixture(name))
        .unwrap()
        .filter_map(|p| match p {
            Parsed::Skip(s) => Some(s.detail),
            Parsed::Row(_) => None,
        })
        .collect()
}

#[test]
fn rewardful_amounts_are_cents() {
    assert_eq!(
        parse(Source::Rewardful, "rewardful_commissions.csv"),
        [
            "2 row Paid 1500/5000 USD jane.doe@example.com jane-doe 2025-01-05T10:00:00Z paid=2025-02-10T09:00:00Z cus_A1 sub_A1 id=cm_1",
            "3 row Unpaid 990/3300 USD bob@example.com - 2025-01-06T08:30:00Z paid=- cus_B1 - id=cm_2",
            "4 skip voided",
            "5 skip lead_only",
            "6 skip row_parse_failed",
            "7 skip row_parse_failed",
            "8 skip row_parse_failed",
        ]
    );
    let d = details(Source::Rewardful, "rewardful_commissions.csv");
    assert_eq!(d[2], "neither an affiliate email nor a slug");
    assert!(d[3].starts_with("occurredAt: not a date"), "{}", d[3]);
    assert_eq!(d[4], "commission: must be a whole number of minor units (cents)");
}

#[test]
fn tapfiliate_approved_flag_and_decimal_amounts() {
    assert_eq!(
        parse(Source::Tapfiliate, "tapfiliate_commissions.csv"),
        [
            "2 row Paid 1250/12500 EUR anna@example.se annab 2025-03-01T00:00:00Z paid=2025-04-01T00:00:00Z - - id=c1",
            "3 row Unpaid 750/7500 EUR olle@example.se - 2025-03-02T00:00:00Z paid=- - - id=c2",
            "4 skip voided",
            "5 skip row_parse_failed",
            "6 row Paid 1000/- JPY - annab 2025-03-05T12:00:00Z paid=2025-03-20T00:00:00Z - - id=c5",
        ]
    );
}

#[test]
fn firstpromoter_status_and_is_paid() {
    assert_eq!(
        parse(Source::FirstPromoter, "firstpromoter_commissions.csv"),
        [
            "2 row Paid 2000/10000 USD mia@example.com mia 2025-04-01T00:00:00Z paid=- - - id=10",
            "3 row Unpaid 1500/- USD noah@example.com noah-p 2025-04-01T22:00:00Z paid=- - - id=11",
            "4 skip voided",
            "5 skip row_parse_failed",
            "6 skip row_parse_failed",
            "7 skip row_parse_failed",
        ]
    );
    let d = details(Source::FirstPromoter, "firstpromoter_commissions.csv");
    assert_eq!(d[1], "commission: must not be negative");
    assert_eq!(d[2], "status: unknown commission status \"moved\"");
    assert_eq!(d[3], "unit: \"points\" rewards are not money");
}

#[test]
fn partnerstack_rewards() {
    assert_eq!(
        parse(Source::PartnerStack, "partnerstack_rewards.csv"),
        [
            "2 row Paid 2500/- USD liam@example.io liam-hart 2025-05-01T00:00:00Z paid=2025-05-20T00:00:00Z cus_L1 - id=rew_1",
            "3 row Unpaid 1200/- USD - liam-hart 2025-05-02T00:00:00Z paid=- - - id=rew_2",
            "4 row Unpaid 800/- USD ava@example.io ava_cole 2025-05-03T00:00:00Z paid=- - - id=rew_3",
            "5 skip voided",
        ]
    );
}

#[test]
fn dub_commissions() {
    assert_eq!(
        parse(Source::Dub, "dub_commissions.csv"),
        [
            "2 row Paid 980/4900 USD sara@example.co sara 2025-06-01T12:00:00Z paid=- cus_S1 - id=cm_d1",
            "3 skip lead_only",
            "4 row Unpaid 980/4900 USD - tom-l 2025-06-03T12:00:00Z paid=- - - id=cm_d3",
            "5 skip fraud",
            "6 skip refunded",
            "7 skip voided",
            "8 row Unpaid 2000/0 GBP vic@example.co - 2025-06-07T12:00:00Z paid=- - - id=cm_d7",
            "9 row Unpaid 50/0 USD vic@example.co - 2025-06-08T12:00:00Z paid=- - - id=cm_d8",
        ]
    );
}

#[test]
fn tolt_commissions() {
    assert_eq!(
        parse(Source::Tolt, "tolt_commissions.csv"),
        [
            "2 row Paid 1000/5000 USD michael@example.com michael-scott 2025-07-01T00:00:00Z paid=2025-07-31T00:00:00Z cus_M1 - id=comm_1",
            "3 skip row_parse_failed",
            "4 skip refunded",
            "5 skip voided",
            "6 skip row_parse_failed",
        ]
    );
    let d = details(Source::Tolt, "tolt_commissions.csv");
    let refund_row = "id,partner_email,amount,status,type,created_at\n\
                      comm_9,jim@example.com,-500,approved,refund,2025-07-09\n";
    let rows: Vec<_> = history(Source::Tolt, refund_row.as_bytes())
        .unwrap()
        .map(show)
        .collect();
    assert_eq!(rows, ["2 skip refunded"]);
    assert_eq!(d[0], "commission: must be a whole number of minor units (cents)");
    assert_eq!(d[3], "currency: currency XYZ is not supported");
}

#[test]
fn canonical_csv() {
    assert_eq!(
        parse(Source::Custom, "custom_commissions.csv"),
        [
            "2 row Paid 1980/9900 USD john@example.org john-doe 2025-08-01T00:00:00Z paid=2025-09-01T00:00:00Z cus_J1 sub_J1 id=h1",
            "3 row Unpaid 1980/9900 USD ann@example.org - 2025-08-02T00:00:00Z paid=- - - id=h2",
            "4 skip lead_only",
            "5 skip voided",
            "6 skip row_parse_failed",
            "7 skip row_parse_failed",
        ]
    );
}

#[test]
fn canonical_decimal_columns_and_default_currency() {
    let input = "affiliate_email,commission_amount,sale_amount,status,created_at\n\
                 a@example.org,12.34,99,approved,2025-01-01\n\
                 a@example.org,1.234,99,approved,2025-01-01\n";
    let rows: Vec<_> = history(Source::Custom, input.as_bytes()).unwrap().map(show).collect();
    assert_eq!(
        rows,
        [
            "2 row Unpaid 1234/9900 USD a@example.org - 2025-01-01T00:00:00Z paid=- - - id=-",
            "3 skip row_parse_failed",
        ]
    );
}

#[test]
fn file_errors_name_the_missing_column() {
    let err = |source, input: &str| history(source, input.as_bytes()).err().expect("a file error");
    let e = err(
        Source::Custom,
        "affiliate_email,status,created_at\na@b.co,paid,2025-01-01\n",
    );
    assert_eq!((e.code, e.field.as_deref()), ("missing_column", Some("commission")));
    let e = err(Source::Rewardful, "amount,state,affiliate_email\n1,paid,a@b.co\n");
    assert_eq!(e.field.as_deref(), Some("occurredAt"));
    let e = err(
        Source::Tapfiliate,
        "amount,affiliate_email,created_at\n1,a@b.co,2025-01-01\n",
    );
    assert_eq!(e.field.as_deref(), Some("status"));
    assert!(e.message.contains("approved"), "{}", e.message);
    let e = err(Source::Dub, "earnings,status,created_at\n1,paid,2025-01-01\n");
    assert_eq!(e.field.as_deref(), Some("affiliateEmail"));
    assert_eq!(err(Source::Dub, "").code, "empty_file");
}

#[test]
fn canonical_json_rows_follow_the_canonical_rules() {
    let rows: Vec<CanonicalConversion> = serde_json::from_str(
        r#"[
            {"externalId":"x1","affiliateEmail":"Ann@Example.org","commissionMinor":500,"saleAmountMinor":2500,
             "currency":"eur","status":"Paid","occurredAt":"2025-01-02T03:04:05Z","paidAt":"2025-02-01",
             "stripeCustomerId":"cus_1","stripeSubscriptionId":"not-a-sub"},
            {"affiliateSlug":"ann-lee","commissionMinor":500,"currency":"USD","status":"pending","occurredAt":"2025-01-02"},
            {"affiliateSlug":"ann-lee","commissionMinor":-1,"currency":"USD","status":"pending","occurredAt":"2025-01-02"},
            {"affiliateSlug":"ann-lee","commissionMinor":0,"currency":"USD","status":"due","occurredAt":"2025-01-02"},
            {"affiliateSlug":"ann-lee","commissionMinor":5,"currency":"","status":"due","occurredAt":"2025-01-02"},
            {"affiliateSlug":"ann-lee","commissionMinor":5,"currency":"USD","status":"refunded","occurredAt":""}
        ]"#,
    )
    .unwrap();
    let shown: Vec<_> = rows.iter().zip(1..).map(|(r, line)| show(r.parse(line))).collect();
    assert_eq!(
        shown,
        [
            "1 row Paid 500/2500 EUR ann@example.org - 2025-01-02T03:04:05Z paid=2025-02-01T00:00:00Z cus_1 - id=x1",
            "2 row Unpaid 500/- USD - ann-lee 2025-01-02T00:00:00Z paid=- - - id=-",
            "3 skip row_parse_failed",
            "4 skip lead_only",
            "5 skip row_parse_failed",
            "6 skip refunded",
        ]
    );
}
