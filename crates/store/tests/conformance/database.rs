//! The test database and transactions.

use crate::fixtures::*;

#[tokio::test]
async fn test_databases_are_fresh_separate_and_removed_on_drop() -> StoreResult<()> {
    let first = TestDb::new().await;
    let second = TestDb::new().await;
    assert_ne!(first.url(), second.url());

    let store = first.store();
    let mut tx = store.write().await?;
    assert_eq!(tx.count_orgs().await?, 0, "a test database starts empty");
    add_org(tx.as_mut(), "Acme").await?;
    tx.commit().await?;
    assert_eq!(
        second.store().read().await?.count_orgs().await?,
        0,
        "test databases are separate"
    );

    // Connecting again to a migrated database (migrations already applied) sees the same data.
    let again = afflux_store::connect(first.url()).await?;
    assert_eq!(again.read().await?.count_orgs().await?, 1);
    again.close().await;

    let url = first.url().to_owned();
    drop(store);
    drop(first);
    match second.backend() {
        Backend::Sqlite => {
            let file = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
            assert!(!file.parent().unwrap().exists(), "{} should be removed", file.display());
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let name = url.rsplit('/').next().unwrap().to_owned();
            let admin = std::env::var(afflux_store::test_db::TEST_DATABASE_URL_VAR).unwrap();
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_one(&mut conn)
                .await?;
            assert_eq!(left, 0, "database {name} should be dropped");
        }
    }
    Ok(())
}

#[tokio::test]
async fn transactions_commit_or_roll_back() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let expected = if db.url().starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected);

    let mut tx = store.write().await?;
    let dropped = add_org(tx.as_mut(), "Rolled back").await?;
    tx.init_setting("rolled_back", "yes").await?;
    assert_eq!(
        tx.get_org(dropped.id).await?,
        Some(dropped.clone()),
        "a transaction sees its own writes"
    );
    drop(tx);

    let mut tx = store.write().await?;
    let kept = add_org(tx.as_mut(), "Committed").await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_org(dropped.id).await?, None);
    assert_eq!(tx.get_setting("rolled_back").await?, None);
    assert_eq!(tx.get_org(kept.id).await?, Some(kept));
    assert_eq!(tx.count_orgs().await?, 1);
    Ok(())
}
