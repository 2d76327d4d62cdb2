//! Every roster fixture, parsed end to end: the exact rows and skips.

use std::fs::File;

use afflux_importers::{CanonicalAffiliate, ColumnMapping, Parsed, RosterRow, Source, roster};

fn fixture(name: &str) -> File {
    File::open(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// One line per outcome: `line row email|name|status|slug|paypal` or `line skip code`.
fn show(parsed: Parsed<RosterRow>) -> String {
    match parsed {
        Parsed::Row(r) => format!(
            "{} row {}|{}|{}|{}|{}",
            r.line,
            r.email,
            r.name.as_deref().unwrap_or("-"),
            r.status,
            r.slug.as_ref().map_or("-", |s| s.as_str()),
            r.paypal_email.as_ref().map_or("-", |p| p.as_str()),
        ),
        Parsed::Skip(s) => format!("{} skip {}", s.line, s.reason.code()),
    }
}

fn parse(source: Source, mapping: Option<&ColumnMapping>, name: &str) -> Vec<String> {
    roster(source, mapping, fixture(name)).unwrap().map(show).collect()
}

#[test]
fn rewardful() {
    assert_eq!(
        parse(Source::Rewardful, None, "rewardful_affiliates.csv"),
        [
            "2 row jane.doe@example.com|Jane Doe|Approved|jane-doe|jane.paypal@example.com",
            "3 row bob@example.com|Bob Smith, Jr.|Pending|-|-",
            "4 skip missing_email",
            "5 row jane.doe@example.com|Dan Lee|Banned|-|-",
            "6 skip row_parse_failed",
            "7 row finn@example.com|Finn|Rejected|-|-",
            "8 skip row_parse_failed",
        ]
    );
}

#[test]
fn tapfiliate_semicolons_and_links() {
    assert_eq!(
        parse(Source::Tapfiliate, None, "tapfiliate_affiliates.csv"),
        [
            "2 row anna@example.se|Anna Berg|Approved|annab|-",
            "3 row olle@example.se|Olle Lind|Pending|olle-l|-",
            "4 row kim@example.se|Kim|Rejected|kim|-",
            "5 skip missing_email",
            "6 row per@example.se|Per Holm|Banned|-|-",
        ]
    );
}

#[test]
fn firstpromoter_v2() {
    assert_eq!(
        parse(Source::FirstPromoter, None, "firstpromoter_affiliates.csv"),
        [
            "2 row mia@example.com|Mia Wong|Approved|mia|mia@paypal.example.com",
            "3 row noah@example.com|Noah \"N\" Park|Pending|noah-p|-",
            "4 row mia@example.com|Mia Again|Banned|mia2|-",
            "5 row zoe@example.com|-|Rejected|-|-",
        ]
    );
}

#[test]
fn firstpromoter_v1_columns() {
    let v1 = "id,status,email,default_ref_id,profile.first_name,profile.last_name,profile.paypal_email\n\
              7,active,leo@example.com,leo-v1,Leo,Marr,leo@paypal.example.com\n\
              8,denied,ivy@example.com,ivy,Ivy,,\n";
    let rows: Vec<_> = roster(Source::FirstPromoter, None, v1.as_bytes())
        .unwrap()
        .map(show)
        .collect();
    assert_eq!(
        rows,
        [
            "2 row leo@example.com|Leo Marr|Approved|leo-v1|leo@paypal.example.com",
            "3 row ivy@example.com|Ivy|Rejected|ivy|-",
        ]
    );
}

#[test]
fn partnerstack_ignores_paypal() {
    assert_eq!(
        parse(Source::PartnerStack, None, "partnerstack_partners.csv"),
        [
            "2 row liam@example.io|Liam Hart|Approved|liam-hart|-",
            "3 row ava@example.io|Ava Cole|Pending|-|-",
            "4 row ben@example.io|Ben Ortiz|Rejected|ben-ortiz|-",
            "5 skip missing_email",
            "6 row cy@example.io|Cy Ray|Banned|cy-ray|-",
            "7 skip row_parse_failed",
        ]
    );
}

#[test]
fn dub_slugs_from_partner_links() {
    assert_eq!(
        parse(Source::Dub, None, "dub_partners.csv"),
        [
            "2 row sara@example.co|Sara Lopez|Approved|sara|-",
            "3 row tom@example.co|Lopez, Tom|Pending|tom-l|-",
            "4 row uma@example.co|Uma|Rejected|-|-",
            "5 row vic@example.co|Vic|Banned|-|-",
            "6 skip missing_email",
        ]
    );
}

#[test]
fn tolt_codes_links_and_payout_methods() {
    assert_eq!(
        parse(Source::Tolt, None, "tolt_partners.csv"),
        [
            "2 row michael@example.com|Michael Scott|Approved|michael-scott|michael.pay@example.com",
            "3 row pam@example.com|Pam Beesly|Pending|pam-b|-",
            "4 row jim@example.com|Jim Halpert|Banned|-|-",
            "5 row dwight@example.com|Dwight Schrute|Rejected|-|-",
        ]
    );
}

fn custom_mapping() -> ColumnMapping {
    serde_json::from_str(
        r#"{"email":"E-mail address","name":"Full name","status":"Program status","slug":"Code","paypalEmail":"PayPal"}"#,
    )
    .unwrap()
}

#[test]
fn custom_with_a_mapping() {
    assert_eq!(
        parse(Source::Custom, Some(&custom_mapping()), "custom_affiliates.csv"),
        [
            "2 row john@example.org|Doe, John|Approved|john-doe|john@paypal.example",
            "3 row ann@example.org|Ann Lee|Approved|ann|-",
            "4 row bo@example.org|Bo|Rejected|bo-bo|-",
            "5 skip row_parse_failed",
        ]
    );
}

#[test]
fn skip_details_name_the_cause_without_the_row() {
    let skips: Vec<_> = roster(Source::Rewardful, None, fixture("rewardful_affiliates.csv"))
        .unwrap()
        .filter_map(|p| match p {
            Parsed::Skip(s) => Some(s.detail),
            Parsed::Row(_) => None,
        })
        .collect();
    assert_eq!(skips[0], "email: blank");
    assert!(
        skips[1].starts_with("email: is not a valid email address"),
        "{}",
        skips[1]
    );
    assert!(!skips[1].contains("eve@"), "{}", skips[1]);
    assert!(skips[2].contains("unknown rewardful status \"frozen\""), "{}", skips[2]);
}

#[test]
fn file_errors() {
    let err = |source, mapping: Option<&ColumnMapping>, input: &str| {
        roster(source, mapping, input.as_bytes()).err().expect("a file error")
    };
    let e = err(Source::Rewardful, None, "name,token\nJane,jane\n");
    assert_eq!((e.code, e.field.as_deref()), ("missing_column", Some("email")));
    assert_eq!(err(Source::Tolt, None, "").code, "empty_file");
    assert_eq!(err(Source::Tolt, None, "\u{feff}email,status\r\n").code, "empty_file");

    let mut mapping = custom_mapping();
    mapping.status = Some("Tier".into());
    let e = roster(Source::Custom, Some(&mapping), fixture("custom_affiliates.csv"))
        .err()
        .unwrap();
    assert_eq!((e.code, e.field.as_deref()), ("missing_column", Some("status")));
    mapping.email = " ".into();
    let e = roster(Source::Custom, Some(&mapping), fixture("custom_affiliates.csv"))
        .err()
        .unwrap();
    assert_eq!(e.code, "invalid_mapping");

    let not_utf8 = roster(Source::Custom, None, &b"\xff\xfeE\x00m\x00\n"[..])
        .err()
        .unwrap();
    assert_eq!(not_utf8.code, "unreadable_file");
}

#[test]
fn custom_without_a_mapping_reads_the_canonical_names() {
    let input = "Email Address,First Name,Last Name,Status,Referral Code,PayPal Email\n\
                 ann@example.org,Ann,Lee,pending,ann-lee,ann@paypal.example\n";
    let rows: Vec<_> = roster(Source::Custom, None, input.as_bytes())
        .unwrap()
        .map(show)
        .collect();
    assert_eq!(
        rows,
        ["2 row ann@example.org|Ann Lee|Pending|ann-lee|ann@paypal.example"]
    );
}

#[test]
fn canonical_json_rows_follow_the_custom_rules() {
    let rows: Vec<CanonicalAffiliate> = serde_json::from_str(
        r#"[
            {"email":" Ann@Example.org ","firstName":"Ann","lastName":"Lee","status":"banned","slug":"ann-lee","paypalEmail":"nope"},
            {"email":"","name":"Nobody"},
            {"email":"bo@example.org","status":"archived","slug":"b!","unknownField":1},
            {"email":"cat@example.org","status":"sleeping"}
        ]"#,
    )
    .unwrap();
    let shown: Vec<_> = rows.iter().zip(1..).map(|(r, line)| show(r.parse(line))).collect();
    assert_eq!(
        shown,
        [
            "1 row ann@example.org|Ann Lee|Banned|ann-lee|-",
            "2 skip missing_email",
            "3 row bo@example.org|-|Rejected|-|-",
            "4 skip row_parse_failed",
        ]
    );
}
