//! First-run setup, password sign-in and server-side sessions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use afflux_domain::{Email, OrgId, Organization, Role, UserId, bounded_text};
use afflux_store::{Session, User};
use time::{Duration, OffsetDateTime};

use crate::secrets::{random_token, sha256};
use crate::{Actor, ActorKind, App, AppError, AppResult, passwords};

const SETUP_TOKEN: &str = "setup_token";

/// First run: the organization and its Owner, created by whoever holds the setup token that
/// `afflux serve` printed.
pub struct Setup {
    pub token: String,
    pub org_name: String,
    pub name: Option<String>,
    pub email: String,
    pub password: String,
}

/// The signed-in user of a dashboard session, in the organization the session is for.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub org: Organization,
    pub role: Role,
}

impl SessionUser {
    pub fn actor(&self) -> Actor {
        Actor {
            org_id: self.org.id,
            role: self.role,
            kind: ActorKind::User(self.user.id),
        }
    }
}

/// Slows down password guessing: after a few failures for one address, further attempts are
/// refused for a doubling period (per process; several nodes each keep their own).
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const FREE_ATTEMPTS: u32 = 4;

impl LoginThrottle {
    fn lockout(failures: u32) -> StdDuration {
        StdDuration::from_secs(1 << (failures.saturating_sub(FREE_ATTEMPTS)).min(9))
    }

    fn check(&self, key: &str) -> AppResult<()> {
        let map = self.failures.lock().expect("throttle lock");
        if let Some(&(n, last)) = map.get(key)
            && n >= FREE_ATTEMPTS
        {
            let wait = Self::lockout(n);
            let elapsed = last.elapsed();
            if elapsed < wait {
                return Err(AppError::RateLimited {
                    retry_after_secs: (wait - elapsed).as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    fn fail(&self, key: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
    }

    fn succeed(&self, key: &str) {
        self.failures.lock().expect("throttle lock").remove(key);
    }
}

impl App {
    /// The token that authorizes first-run setup, created when the instance has no
    /// organization yet; None once set up.
    pub async fn setup_token(&self) -> AppResult<Option<String>> {
        let mut tx = self.store().write().await?;
        tx.lock_instance().await?;
        if tx.count_orgs().await? > 0 {
            return Ok(None);
        }
        let token = tx.init_setting(SETUP_TOKEN, &random_token(18)).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    pub async fn needs_setup(&self) -> AppResult<bool> {
        Ok(self.store().read().await?.count_orgs().await? == 0)
    }

    /// Creates the first organization and its Owner, then signs them in.
    pub async fn setup(&self, input: Setup) -> AppResult<String> {
        let org_name = bounded_text("orgName", &input.org_name, 120)?;
        let email = Email::parse(&input.email)?;
        let name = afflux_domain::optional_text("name", input.name.as_deref(), 120)?;
        passwords::validate(&input.password)?;
        let hash = passwords::hash(&input.password).await?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        tx.lock_instance().await?;
        let expected = tx.get_setting(SETUP_TOKEN).await?;
        let valid = expected.as_deref().is_some_and(|t| {
            use subtle::ConstantTimeEq;
            bool::from(t.as_bytes().ct_eq(input.token.as_bytes()))
        });
        if !valid || tx.count_orgs().await? > 0 {
            return Err(AppError::forbidden(
                "this instance is already set up, or the setup link is wrong",
            ));
        }
        let user = User {
            id: UserId::new(),
            email,
            name,
            password_hash: Some(hash),
            created_at: now,
        };
        tx.insert_user(&user).await?;
        let (plan, status) = (self.config().default_plan, self.config().default_status);
        let org = self
            .insert_org(
                tx.as_mut(),
                &org_name,
                user.id,
                plan,
                status,
                &format!("user:{}", user.id),
            )
            .await?;
        tx.delete_setting(SETUP_TOKEN).await?;
        let token = self.insert_session(tx.as_mut(), user.id, org.id).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn insert_session(&self, tx: &mut dyn afflux_store::Tx, user: UserId, org: OrgId) -> AppResult<String> {
        let token = random_token(32);
        let now = OffsetDateTime::now_utc();
        tx.insert_session(&Session {
            token_hash: sha256(&token),
            user_id: user,
            org_id: org,
            created_at: now,
            expires_at: now + Duration::days(self.config().session_days),
        })
        .await?;
        Ok(token)
    }

    /// Signs in with email and password; answers the session token for the cookie. Unknown
    /// emails and wrong passwords fail alike, and repeated failures are slowed down.
    pub async fn login(&self, email: &str, password: &str) -> AppResult<String> {
        let key = email.trim().to_lowercase();
        self.inner.throttle.check(&key)?;
        let wrong = || AppError::Unauthorized("wrong email or password".into());
        let user = self.store().read().await?.get_user_by_email(&key).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let against = match stored.as_deref() {
            Some(hash) => hash,
            None => passwords::dummy_hash().await,
        };
        let ok = passwords::verify(password, against).await;
        let Some(user) = user.filter(|_| ok && stored.is_some()) else {
            self.inner.throttle.fail(&key);
            return Err(wrong());
        };
        let mut tx = self.store().write().await?;
        let orgs = tx.list_user_orgs(user.id).await?;
        let Some((org, _)) = orgs.first() else {
            return Err(AppError::forbidden("this account belongs to no organization"));
        };
        let token = self.insert_session(tx.as_mut(), user.id, org.id).await?;
        tx.commit().await?;
        self.inner.throttle.succeed(&key);
        Ok(token)
    }

    /// Signs in the user who just accepted an invite, into the organization they joined.
    pub async fn session_for(&self, user: UserId, org: OrgId) -> AppResult<String> {
        let mut tx = self.store().write().await?;
        let token = self.insert_session(tx.as_mut(), user, org).await?;
        tx.commit().await?;
        Ok(token)
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        tx.delete_session(&sha256(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user behind a session cookie, if the session is live and they are still a member.
    pub async fn session(&self, token: &str) -> AppResult<Option<SessionUser>> {
        let mut tx = self.store().read().await?;
        let Some(session) = tx.get_session(&sha256(token)).await? else {
            return Ok(None);
        };
        if session.expires_at <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let Some(member) = tx.get_member(session.org_id, session.user_id).await? else {
            return Ok(None);
        };
        let user = tx.get_user(session.user_id).await?.ok_or(AppError::NotFound("user"))?;
        let org = tx
            .get_org(session.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        Ok(Some(SessionUser {
            user,
            org,
            role: member.role,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_out_after_free_attempts() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_ATTEMPTS {
            assert!(t.check("a@example.com").is_ok());
            t.fail("a@example.com");
        }
        assert!(matches!(t.check("a@example.com"), Err(AppError::RateLimited { .. })));
        assert!(t.check("b@example.com").is_ok());
        t.succeed("a@example.com");
        assert!(t.check("a@example.com").is_ok());
        assert!(LoginThrottle::lockout(FREE_ATTEMPTS + 3) > LoginThrottle::lockout(FREE_ATTEMPTS));
    }
}
