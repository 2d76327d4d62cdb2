use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::StoreResult;

pub(super) async fn suppress(
    c: &mut PgConnection,
    email_key: &str,
    reason: &str,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO email_suppressions (email_key, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT (email_key) DO NOTHING")
        .bind(email_key)
        .bind(reason)
        .bind(at)
        .execute(c)
        .await?;
    Ok(())
}

pub(super) async fn is_suppressed(c: &mut PgConnection, email_key: &str) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM email_suppressions WHERE email_key = $1)")
            .bind(email_key)
            .fetch_one(c)
            .await?,
    )
}
