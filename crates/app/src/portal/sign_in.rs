//! Passwordless sign-in: a single-use link by email, redeemed for a portal session.
//!
//! A link's token is derived from its id with the instance key (as invites are), and only its
//! SHA-256 is stored; the email job carries the id alone and the worker derives the token when
//! it sends, so no usable token sits in the job queue.

use afflux_domain::Email;
use afflux_store::{PortalSession, PortalSignIn, Tx};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::PortalViewer;
use crate::mail::EmailJob;
use crate::secrets::{random_token, sha256};
use crate::{App, AppResult};

/// A requested link works this long.
const REQUESTED_TTL: Duration = Duration::minutes(15);
/// The link in the approval email works this long.
pub const APPROVAL_LINK_TTL: Duration = Duration::days(14);
/// At most this many links per address in [`RATE_WINDOW`]; more requests send nothing.
const MAX_LINKS_PER_WINDOW: i64 = 5;
const RATE_WINDOW: Duration = Duration::hours(1);
const TOKEN_PURPOSE: &str = "portal-sign-in";

/// Why a sign-in link does not sign in. `email` offers a new link to the same address.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInProblem {
    Expired { email: String },
    Used { email: String },
    Unknown,
}

impl App {
    fn sign_in_token(&self, id: Uuid) -> String {
        self.secrets().derive_token(TOKEN_PURPOSE, id.as_bytes())
    }

    /// The sign-in URL of a stored link.
    pub(crate) fn sign_in_url(&self, id: Uuid) -> String {
        self.config().url(&format!("/a/auth/{}", self.sign_in_token(id)))
    }

    /// Stores a new link for `email_key`, valid for `ttl`.
    pub(crate) async fn insert_sign_in(&self, tx: &mut dyn Tx, email_key: &str, ttl: Duration) -> AppResult<Uuid> {
        let id = Uuid::now_v7();
        let now = OffsetDateTime::now_utc();
        tx.insert_portal_sign_in(&PortalSignIn {
            id,
            token_hash: sha256(&self.sign_in_token(id)),
            email_key: email_key.to_owned(),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        })
        .await?;
        Ok(id)
    }

    /// `/a/sign-in`: emails a sign-in link when the address belongs to an affiliate. The answer
    /// is the same whether or not it does, and whether or not the per-address limit held the
    /// link back, so the form tells nobody who is an affiliate.
    pub async fn request_portal_sign_in(&self, email: &str) -> AppResult<()> {
        let email = Email::parse(email)?;
        let key = email.key();
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        let Some(first) = tx.list_affiliates_by_email(&key).await?.into_iter().next() else {
            return Ok(());
        };
        if tx.count_portal_sign_ins(&key, now - RATE_WINDOW).await? >= MAX_LINKS_PER_WINDOW {
            tracing::info!("portal sign-in link held back by the per-address limit");
            return Ok(());
        }
        let sign_in_id = self.insert_sign_in(tx.as_mut(), &key, REQUESTED_TTL).await?;
        self.enqueue_email(
            tx.as_mut(),
            EmailJob::PortalSignIn {
                org_id: first.org_id,
                sign_in_id,
            },
        )
        .await?;
        tx.commit().await?;
        self.wake_worker();
        Ok(())
    }

    /// Whether a link would sign in, without using it (the page a link opens asks for a click
    /// first, so mail scanners that follow links do not use them up).
    pub async fn check_portal_sign_in(&self, token: &str) -> AppResult<Result<(), SignInProblem>> {
        let link = self
            .store()
            .read()
            .await?
            .get_portal_sign_in_by_hash(&sha256(token))
            .await?;
        Ok(match link {
            None => Err(SignInProblem::Unknown),
            Some(l) if l.used_at.is_some() => Err(SignInProblem::Used { email: l.email_key }),
            Some(l) if l.expires_at <= OffsetDateTime::now_utc() => Err(SignInProblem::Expired { email: l.email_key }),
            Some(_) => Ok(()),
        })
    }

    /// Redeems a link: answers a new portal session token, or why the link does not sign in.
    pub async fn redeem_portal_sign_in(&self, token: &str) -> AppResult<Result<String, SignInProblem>> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        let Some(link) = tx.get_portal_sign_in_by_hash(&sha256(token)).await? else {
            return Ok(Err(SignInProblem::Unknown));
        };
        let email = link.email_key.clone();
        if link.used_at.is_some() {
            return Ok(Err(SignInProblem::Used { email }));
        }
        if link.expires_at <= now {
            return Ok(Err(SignInProblem::Expired { email }));
        }
        if !tx.use_portal_sign_in(link.id, now).await? {
            return Ok(Err(SignInProblem::Used { email }));
        }
        let session = random_token(32);
        tx.insert_portal_session(&PortalSession {
            token_hash: sha256(&session),
            email_key: link.email_key,
            created_at: now,
            expires_at: now + Duration::days(self.config().session_days),
        })
        .await?;
        tx.commit().await?;
        Ok(Ok(session))
    }

    /// The person behind a portal session cookie, if the session is live and the address
    /// still has an affiliate record somewhere.
    pub async fn portal_viewer(&self, token: &str) -> AppResult<Option<PortalViewer>> {
        let session = self.store().read().await?.get_portal_session(&sha256(token)).await?;
        let Some(session) = session.filter(|s| s.expires_at > OffsetDateTime::now_utc()) else {
            return Ok(None);
        };
        let accounts = self.portal_accounts(&session.email_key).await?;
        if accounts.is_empty() {
            return Ok(None);
        }
        Ok(Some(PortalViewer {
            email_key: session.email_key,
            accounts,
        }))
    }

    pub async fn portal_sign_out(&self, token: &str) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        tx.delete_portal_session(&sha256(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A stored link for the email worker: its URL and address, unless it was used or expired.
    pub(crate) async fn open_sign_in(&self, tx: &mut dyn Tx, id: Uuid) -> AppResult<Option<(String, String)>> {
        let Some(link) = tx.get_portal_sign_in(id).await? else {
            return Ok(None);
        };
        if link.used_at.is_some() || link.expires_at <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        Ok(Some((self.sign_in_url(id), link.email_key)))
    }

    /// Mints the approval email's 14-day link for `email_key`, in a write transaction of its
    /// own (the email is being prepared on a read).
    pub(crate) async fn approval_sign_in_url(&self, email_key: &str) -> AppResult<String> {
        let mut tx = self.store().write().await?;
        let id = self.insert_sign_in(tx.as_mut(), email_key, APPROVAL_LINK_TTL).await?;
        tx.commit().await?;
        Ok(self.sign_in_url(id))
    }
}
