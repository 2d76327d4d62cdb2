//! Email transports: SMTP for real delivery, a directory of `.eml` files as the
//! zero-configuration default.

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MailError {
    /// Worth trying again later: the server is down, busy or answered a 4xx.
    #[error("temporary delivery failure: {0}")]
    Transient(String),
    /// Will fail the same way again: the server refused the message or recipient (5xx).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    #[error("mail transport configuration: {0}")]
    Config(String),
}

#[async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, message: Message) -> Result<(), MailError>;
    /// A short description for logs (never credentials).
    fn describe(&self) -> String;
}

/// Delivers through an SMTP server named by a URL such as `smtp://host:25`,
/// `smtps://user:pass@host:465` or `smtp://host:587?tls=required`.
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpTransport {
    pub fn from_url(url: &str) -> Result<Self, MailError> {
        let inner = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Self { inner })
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        match self.inner.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        "smtp".to_owned()
    }
}

/// Writes every message as an RFC 5322 `.eml` file into a directory: nothing leaves the machine.
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl MailTransport for FileTransport {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let path = self.dir.join(format!("{}.eml", uuid::Uuid::now_v7()));
        tokio::fs::write(&path, message.formatted())
            .await
            .map_err(|e| MailError::Transient(e.to_string()))?;
        tracing::info!(path = %path.display(), "email written to file");
        Ok(())
    }

    fn describe(&self) -> String {
        format!("file ({})", self.dir.display())
    }
}
