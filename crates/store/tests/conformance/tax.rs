//! Tax forms and their sealed documents, yearly payout sums and the once-a-year reminder record.

use afflux_domain::{LedgerEntry, LedgerEntryId, LedgerKind, Money, TaxFormStatus};
use afflux_store::{TaxDocument, TaxDocumentInfo, TaxForm};
use time::macros::datetime;

use crate::fixtures::*;

struct World {
    org: OrgId,
    jane: Affiliate,
    joe: Affiliate,
}

async fn world(tx: &mut dyn Tx, name: &str) -> StoreResult<World> {
    let org = add_org(tx, name).await?;
    let lower = name.to_lowercase();
    let jane = add_affiliate(
        tx,
        org.id,
        &format!("jane@{lower}.test"),
        None,
        &format!("jane-{lower}"),
    )
    .await?;
    let joe = add_affiliate(tx, org.id, &format!("joe@{lower}.test"), None, &format!("joe-{lower}")).await?;
    Ok(World { org: org.id, jane, joe })
}

async fn two_worlds(db: &TestDb) -> StoreResult<(World, World)> {
    let mut tx = db.store().write().await?;
    let acme = world(tx.as_mut(), "Acme").await?;
    let globex = world(tx.as_mut(), "Globex").await?;
    tx.commit().await?;
    Ok((acme, globex))
}

fn document(sealed: &[u8], at: OffsetDateTime) -> TaxDocument {
    TaxDocument {
        info: TaxDocumentInfo {
            content_type: "application/pdf".into(),
            file_name: "w9.pdf".into(),
            size: 1234,
            uploaded_at: at,
        },
        sealed: sealed.to_vec(),
    }
}

fn entry(org: OrgId, affiliate: AffiliateId, kind: LedgerKind, amount: Money, at: OffsetDateTime) -> LedgerEntry {
    LedgerEntry {
        id: LedgerEntryId::new(),
        org_id: org,
        affiliate_id: affiliate,
        kind,
        amount,
        commission_id: None,
        payout_item_id: None,
        memo: None,
        created_at: at,
    }
}

#[tokio::test]
async fn tax_forms_keep_a_status_and_a_sealed_document_per_affiliate() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(&db).await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_tax_form(w.org, w.jane.id).await?, None);
    assert_eq!(tx.get_tax_document(w.org, w.jane.id).await?, None);
    let set_at = tick();
    assert!(
        tx.set_tax_form_status(w.org, w.jane.id, TaxFormStatus::W9, set_at)
            .await?
    );
    let jane_form = TaxForm {
        org_id: w.org,
        affiliate_id: w.jane.id,
        status: TaxFormStatus::W9,
        document: None,
        updated_at: set_at,
    };
    assert_eq!(tx.get_tax_form(w.org, w.jane.id).await?, Some(jane_form.clone()));
    assert_eq!(tx.get_tax_document(w.org, w.jane.id).await?, None, "no document yet");

    // Another organization's affiliate (or a missing one) is never written.
    assert!(
        !tx.set_tax_form_status(w.org, other.jane.id, TaxFormStatus::W8BEN, tick())
            .await?
    );
    assert!(
        !tx.set_tax_form_status(w.org, AffiliateId::new(), TaxFormStatus::W9, tick())
            .await?
    );
    assert!(
        !tx.put_tax_document(w.org, other.jane.id, &document(b"x", tick()))
            .await?
    );
    assert_eq!(tx.get_tax_form(other.org, other.jane.id).await?, None);
    assert_eq!(tx.get_tax_form(other.org, w.jane.id).await?, None);

    // A document on an affiliate without a form starts one with status None.
    let joe_doc = document(&[1, 0, 255, 7], tick());
    assert!(tx.put_tax_document(w.org, w.joe.id, &joe_doc).await?);
    let joe_form = TaxForm {
        org_id: w.org,
        affiliate_id: w.joe.id,
        status: TaxFormStatus::None,
        document: Some(joe_doc.info.clone()),
        updated_at: joe_doc.info.uploaded_at,
    };
    assert_eq!(tx.get_tax_form(w.org, w.joe.id).await?, Some(joe_form.clone()));
    assert_eq!(tx.get_tax_document(w.org, w.joe.id).await?, Some(joe_doc.clone()));
    assert_eq!(tx.get_tax_document(other.org, w.joe.id).await?, None);
    tx.commit().await?;

    // A new document replaces the old and keeps the status; a new status keeps the document.
    let mut tx = store.write().await?;
    let replaced = TaxDocument {
        info: TaxDocumentInfo {
            content_type: "image/png".into(),
            file_name: "scan.png".into(),
            size: 99,
            uploaded_at: tick(),
        },
        sealed: vec![9; 4096],
    };
    assert!(tx.put_tax_document(w.org, w.jane.id, &replaced).await?);
    let status_at = tick();
    assert!(
        tx.set_tax_form_status(w.org, w.jane.id, TaxFormStatus::W8BENE, status_at)
            .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    let jane_form = TaxForm {
        status: TaxFormStatus::W8BENE,
        document: Some(replaced.info.clone()),
        updated_at: status_at,
        ..jane_form
    };
    assert_eq!(tx.get_tax_form(w.org, w.jane.id).await?, Some(jane_form.clone()));
    assert_eq!(tx.get_tax_document(w.org, w.jane.id).await?, Some(replaced));
    let mut want = vec![jane_form, joe_form];
    want.sort_by_key(|f| f.affiliate_id);
    assert_eq!(tx.list_tax_forms(w.org).await?, want);
    assert_eq!(tx.list_tax_forms(other.org).await?, vec![]);
    Ok(())
}

#[tokio::test]
async fn payouts_are_summed_per_affiliate_and_currency_within_the_calendar_year() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(&db).await?;
    let usd = |minor| Money::new(minor, Currency::USD);
    let eur = |minor| Money::new(minor, Currency::EUR);

    let mut tx = store.write().await?;
    let (jane, joe) = (w.jane.id, w.joe.id);
    tx.insert_ledger_entries(&[
        // Before and after 2026 in UTC, whatever the local year: not counted.
        entry(
            w.org,
            jane,
            LedgerKind::Payout,
            usd(-1),
            datetime!(2025-12-31 23:59:59.999999 UTC),
        ),
        entry(
            w.org,
            jane,
            LedgerKind::Payout,
            usd(-2),
            datetime!(2026-12-31 20:00 -05:00),
        ),
        // 2026 in UTC.
        entry(
            w.org,
            jane,
            LedgerKind::Payout,
            usd(-30_000),
            datetime!(2026-01-01 00:00 UTC),
        ),
        entry(
            w.org,
            jane,
            LedgerKind::Payout,
            usd(-15_000),
            datetime!(2027-01-01 04:59:59 +05:00),
        ),
        entry(
            w.org,
            jane,
            LedgerKind::Payout,
            eur(-5_000),
            datetime!(2026-06-01 12:00 UTC),
        ),
        entry(
            w.org,
            joe,
            LedgerKind::Payout,
            eur(-700),
            datetime!(2026-03-01 12:00 UTC),
        ),
        // Other kinds are no payment.
        entry(
            w.org,
            joe,
            LedgerKind::Earned,
            eur(100_000),
            datetime!(2026-03-01 12:00 UTC),
        ),
        entry(
            w.org,
            joe,
            LedgerKind::Clawback,
            eur(-100),
            datetime!(2026-03-01 12:00 UTC),
        ),
        entry(
            w.org,
            joe,
            LedgerKind::Adjustment,
            eur(-100),
            datetime!(2026-03-01 12:00 UTC),
        ),
        entry(
            other.org,
            other.jane.id,
            LedgerKind::Payout,
            usd(-999),
            datetime!(2026-03-01 12:00 UTC),
        ),
    ])
    .await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let mut want = vec![
        (jane, Currency::EUR, 5_000),
        (jane, Currency::USD, 45_000),
        (joe, Currency::EUR, 700),
    ];
    want.sort_by_key(|(a, c, _)| (*a, c.code()));
    assert_eq!(tx.paid_by_affiliate(w.org, 2026, None).await?, want);
    assert_eq!(
        tx.paid_by_affiliate(w.org, 2026, Some(joe)).await?,
        vec![(joe, Currency::EUR, 700)]
    );
    assert_eq!(
        tx.paid_by_affiliate(w.org, 2025, None).await?,
        vec![(jane, Currency::USD, 1)]
    );
    assert_eq!(
        tx.paid_by_affiliate(w.org, 2027, None).await?,
        vec![(jane, Currency::USD, 2)]
    );
    assert_eq!(tx.paid_by_affiliate(w.org, 2024, None).await?, vec![]);
    assert_eq!(
        tx.paid_by_affiliate(w.org, 2026, Some(other.jane.id)).await?,
        vec![],
        "another organization's affiliate"
    );
    assert_eq!(
        tx.paid_by_affiliate(other.org, 2026, None).await?,
        vec![(other.jane.id, Currency::USD, 999)]
    );
    Ok(())
}

#[tokio::test]
async fn a_tax_reminder_is_marked_once_per_affiliate_and_year() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(&db).await?;

    let mut tx = store.write().await?;
    assert!(tx.mark_tax_reminder(w.org, w.jane.id, 2026, tick()).await?);
    assert!(!tx.mark_tax_reminder(w.org, w.jane.id, 2026, tick()).await?, "once");
    assert!(
        tx.mark_tax_reminder(w.org, w.jane.id, 2027, tick()).await?,
        "a new year"
    );
    assert!(tx.mark_tax_reminder(w.org, w.joe.id, 2026, tick()).await?);
    assert!(
        !tx.mark_tax_reminder(w.org, other.jane.id, 2026, tick()).await?,
        "not this organization's affiliate"
    );
    tx.commit().await?;

    // Across transactions: only the first sees the first time.
    let mut results = vec![];
    for _ in 0..2 {
        let mut tx = store.write().await?;
        results.push(tx.mark_tax_reminder(other.org, other.jane.id, 2026, tick()).await?);
        tx.commit().await?;
    }
    assert_eq!(results, [true, false]);

    // Dropped (rolled back), the mark is not kept.
    let mut tx = store.write().await?;
    assert!(tx.mark_tax_reminder(other.org, other.joe.id, 2026, tick()).await?);
    drop(tx);
    let mut tx = store.write().await?;
    assert!(tx.mark_tax_reminder(other.org, other.joe.id, 2026, tick()).await?);
    tx.commit().await?;
    Ok(())
}
