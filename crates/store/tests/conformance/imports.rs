//! Import jobs: one running per organization, idempotency keys, counters, skipped rows, batch
//! roster writes and revert.

use std::collections::BTreeMap;

use afflux_domain::{Import, ImportId, ImportKind, ImportStatus};

use crate::fixtures::*;

fn import(org: OrgId, campaign: CampaignId, key: Option<&str>, at: OffsetDateTime) -> Import {
    Import {
        id: ImportId::new(),
        org_id: org,
        kind: ImportKind::Roster,
        source: "rewardful".into(),
        campaign_id: campaign,
        status: ImportStatus::Running,
        actor: "operator".into(),
        rows_total: 0,
        rows_imported: 0,
        rows_skipped: 0,
        skips: BTreeMap::new(),
        payable: BTreeMap::new(),
        settled: BTreeMap::new(),
        confirm_unpaid_payout: false,
        notify: true,
        note_html: Some("<p>Hi</p>".into()),
        notify_sent: 0,
        notify_failed: 0,
        notify_skipped: 0,
        idempotency_key: key.map(str::to_owned),
        request_hash: key.map(|_| "abc".to_owned()),
        error: None,
        created_at: at,
        updated_at: at,
        finished_at: None,
    }
}

#[tokio::test]
async fn imports_run_one_at_a_time_per_organization() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let other = add_org(tx.as_mut(), "Other").await?;
    let c = add_campaign(tx.as_mut(), acme.id, "pro").await?;
    let d = add_campaign(tx.as_mut(), other.id, "pro").await?;
    let mut first = import(acme.id, c.id, Some("k1"), now);
    tx.insert_import(&first).await?;
    tx.insert_import(&import(other.id, d.id, Some("k1"), now)).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_conflict(tx.insert_import(&import(acme.id, c.id, None, now)).await);
    drop(tx);

    let mut tx = store.write().await?;
    first.status = ImportStatus::Completed;
    first.tally(3, &[("missing_email".into(), 2)]);
    first.payable.insert("USD".into(), 990);
    first.finished_at = Some(now);
    assert!(tx.update_import(&first).await?);
    tx.bump_import_notify(first.id, 1, 0, 0).await?;
    tx.bump_import_notify(first.id, 1, 1, 1).await?;
    tx.insert_import_skips(first.id, &[(7, "missing_email"), (3, "missing_email")])
        .await?;
    // A second import may start once the first finished; its key must differ.
    tx.insert_import(&import(acme.id, c.id, None, now + Duration::seconds(1)))
        .await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let mut done = import(acme.id, c.id, Some("k1"), now);
    done.status = ImportStatus::Completed;
    assert_conflict_on(tx.insert_import(&done).await, "idempotency");
    drop(tx);

    let mut tx = store.read().await?;
    let got = tx.get_import(acme.id, first.id).await?.expect("stored");
    assert_eq!(got.status, ImportStatus::Completed);
    assert_eq!((got.rows_imported, got.rows_skipped, got.rows_total), (3, 2, 5));
    assert_eq!(got.skips["missing_email"], 2);
    assert_eq!(got.payable["USD"], 990);
    assert_eq!((got.notify_sent, got.notify_failed, got.notify_skipped), (2, 1, 1));
    assert_eq!(got.note_html.as_deref(), Some("<p>Hi</p>"));
    assert_eq!(got.finished_at, Some(now));
    assert!(
        tx.get_import(other.id, first.id).await?.is_none(),
        "another organization's import is not found"
    );
    assert_eq!(
        tx.get_import_by_idempotency_key(acme.id, "k1").await?.map(|i| i.id),
        Some(first.id)
    );
    assert_eq!(
        tx.list_import_skips(first.id, 10).await?,
        vec![(3, "missing_email".to_owned()), (7, "missing_email".to_owned())]
    );
    let listed = tx.list_imports(acme.id, page(10, 0)).await?;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].id, first.id, "newest first");
    let stale = tx.stale_running_imports(now + Duration::minutes(1)).await?;
    assert_eq!(stale.len(), 2, "the second Acme import and Other's are running");
    assert!(tx.stale_running_imports(now - Duration::minutes(1)).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn roster_batches_are_written_looked_up_and_reverted() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let c = add_campaign(tx.as_mut(), acme.id, "pro").await?;
    let existing = add_affiliate(tx.as_mut(), acme.id, "old@example.com", None, "old-one").await?;
    let job = import(acme.id, c.id, None, now);
    tx.insert_import(&job).await?;
    let ann = affiliate(acme.id, "ann@example.com", Some("Ann"), "ann-1");
    let ben = affiliate(acme.id, "ben@example.com", None, "ben-1");
    let rows = [ann.clone(), ben.clone()];
    let memberships = [
        membership(&ann, &c, AffiliateStatus::Approved),
        membership(&ben, &c, AffiliateStatus::Pending),
        membership(&existing, &c, AffiliateStatus::Approved),
    ];
    tx.insert_imported_roster(job.id, &rows, &memberships).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let keys = vec![
        "ann@example.com".to_owned(),
        "nobody@example.com".to_owned(),
        "old@example.com".to_owned(),
    ];
    let mut found: Vec<String> = tx
        .affiliates_by_email(acme.id, &keys)
        .await?
        .into_iter()
        .map(|a| a.email.key())
        .collect();
    found.sort();
    assert_eq!(found, vec!["ann@example.com", "old@example.com"]);
    let members = tx.campaign_members(c.id, &[ann.id, existing.id]).await?;
    assert_eq!(members.len(), 2);
    let taken = tx
        .taken_slugs(&["ann-1".into(), "free-1".into(), "old-one".into()])
        .await?;
    assert_eq!(taken.len(), 2);
    assert_eq!(tx.org_ids(5).await?, vec![acme.id]);
    drop(tx);

    let mut tx = store.write().await?;
    let counts = tx.revert_roster_import(acme.id, job.id).await?;
    tx.commit().await?;
    assert_eq!(counts.memberships_removed, 3);
    assert_eq!(counts.affiliates_removed, 2, "the pre-existing affiliate stays");
    let mut tx = store.read().await?;
    assert!(tx.get_affiliate(acme.id, ann.id).await?.is_none());
    assert!(tx.get_affiliate(acme.id, existing.id).await?.is_some());
    assert!(tx.get_membership(acme.id, existing.id, c.id).await?.is_none());
    Ok(())
}
