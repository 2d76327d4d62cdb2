use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::row::ts;
use crate::StoreResult;

pub(super) async fn suppress(
    c: &mut SqliteConnection,
    email_key: &str,
    reason: &str,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO email_suppressions (email_key, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT (email_key) DO NOTHING")
        .bind(email_key)
        .bind(reason)
        .bind(ts(at))
        .execute(c)
        .await?;
    Ok(())
}

pub(super) async fn is_suppressed(c: &mut SqliteConnection, email_key: &str) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM email_suppressions WHERE email_key = $1")
            .bind(email_key)
            .fetch_one(c)
            .await?
            > 0,
    )
}
