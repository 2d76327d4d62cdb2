//! The email suppression list.

use crate::fixtures::*;

#[tokio::test]
async fn email_suppressions() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    assert!(!tx.is_suppressed("jane@example.com").await?);
    tx.suppress_email("jane@example.com", "unsubscribed", now).await?;
    tx.suppress_email("jane@example.com", "bounced", now + Duration::seconds(1))
        .await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert!(tx.is_suppressed("jane@example.com").await?);
    assert!(!tx.is_suppressed("bob@example.com").await?);
    Ok(())
}
