//! The audit log.

use crate::fixtures::*;

#[tokio::test]
async fn audit_log() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let created = AuditEntry {
        actor: format!("user:{}", UserId::new()),
        action: "campaign.create".to_owned(),
        after: Some(json!({ "name": "Summer", "commission": ["Percentage", 2000], "archived": false })),
        ..audit(acme.id, "campaign.create", now - Duration::seconds(2))
    };
    let updated = AuditEntry {
        actor: format!("api_key:{}", ApiKeyId::new()),
        before: Some(json!({ "name": "Summer", "tags": [], "nested": { "a": null, "b": [1, 2, { "c": "café ✓" }] } })),
        after: Some(
            json!({ "name": "Summer 2", "tags": ["x"], "nested": { "a": true, "b": -9_007_199_254_740_991_i64 } }),
        ),
        ..audit(acme.id, "campaign.update", now - Duration::seconds(1))
    };
    let archived = AuditEntry {
        actor: "operator".to_owned(),
        before: Some(json!("a bare string")),
        ..audit(acme.id, "campaign.archive", now)
    };
    let elsewhere = audit(globex.id, "campaign.create", now);
    for e in [&created, &updated, &archived, &elsewhere] {
        tx.insert_audit(e).await?;
    }
    tx.commit().await?;

    let mut tx = store.read().await?;
    let newest_first = vec![archived.clone(), updated.clone(), created.clone()];
    assert_eq!(tx.list_audit(acme.id, Page::ALL).await?, newest_first);
    assert_eq!(tx.list_audit(acme.id, page(2, 0)).await?, newest_first[..2]);
    assert_eq!(tx.list_audit(acme.id, page(2, 1)).await?, newest_first[1..]);
    assert_eq!(tx.list_audit(acme.id, page(2, 2)).await?, newest_first[2..]);
    assert_eq!(tx.list_audit(acme.id, page(2, 3)).await?, vec![]);
    assert_eq!(tx.list_audit(globex.id, Page::ALL).await?, vec![elsewhere]);
    assert_eq!(tx.list_audit(OrgId::new(), Page::ALL).await?, vec![]);
    Ok(())
}
