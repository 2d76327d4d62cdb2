use afflux_domain::ValidationError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::{AppError, AppResult};

pub(crate) fn validate(password: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if !(10..=128).contains(&n) {
        return Err(ValidationError::new("password", "must be 10 to 128 characters"));
    }
    Ok(())
}

/// Argon2id with the crate's recommended parameters, off the async threads (it is slow on
/// purpose).
pub(crate) async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

pub(crate) async fn verify(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A real hash of a random password, verified against when the email is unknown so a login
/// takes as long for unknown accounts as for known ones.
pub(crate) async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async { hash(&crate::secrets::random_token(24)).await.unwrap_or_default() })
        .await
}
