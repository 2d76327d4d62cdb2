//! Tokens and signatures. Every token a person can present is either random (sessions, API
//! keys) or derived from an id with the instance key (invites, unsubscribe links), and only
//! its SHA-256 is stored.

use afflux_store::Store;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppResult;

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct Secrets {
    key: [u8; 32],
}

impl Secrets {
    /// The operator's key when configured; otherwise one generated once and kept in the
    /// database, so every node sharing that database agrees on it.
    pub(crate) async fn load(store: &dyn Store, configured: Option<&str>) -> AppResult<Self> {
        let material = match configured {
            Some(k) if !k.trim().is_empty() => k.to_owned(),
            _ => {
                let mut tx = store.write().await?;
                let value = tx.init_setting("secret_key", &random_token(32)).await?;
                tx.commit().await?;
                value
            }
        };
        Ok(Self {
            key: Sha256::digest(material.as_bytes()).into(),
        })
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// A token bound to `purpose` and `data` that only this instance can produce.
    pub(crate) fn derive_token(&self, purpose: &str, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, data))
    }

    /// `base64url(data).signature`: data that travels in a link and comes back intact.
    pub(crate) fn sign(&self, purpose: &str, data: &[u8]) -> String {
        format!("{}.{}", URL_SAFE_NO_PAD.encode(data), self.derive_token(purpose, data))
    }

    /// The data of a [`Secrets::sign`]ed value, if the signature holds (compared in constant time).
    pub(crate) fn verify(&self, purpose: &str, signed: &str) -> Option<Vec<u8>> {
        let (data, signature) = signed.split_once('.')?;
        let data = URL_SAFE_NO_PAD.decode(data).ok()?;
        let expected = self.derive_token(purpose, &data);
        bool::from(expected.as_bytes().ct_eq(signature.as_bytes())).then_some(data)
    }
}

/// `bytes` random bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub(crate) fn sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_refuse_tampering() {
        let s = Secrets { key: [7; 32] };
        let signed = s.sign("unsubscribe", b"jane@example.com");
        assert_eq!(s.verify("unsubscribe", &signed).unwrap(), b"jane@example.com");
        assert!(s.verify("other-purpose", &signed).is_none());
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(b"joe@example.com"),
            signed.split_once('.').unwrap().1
        );
        assert!(s.verify("unsubscribe", &forged).is_none());
        assert!(s.verify("unsubscribe", "garbage").is_none());
        assert_ne!(s.derive_token("invite", b"a"), s.derive_token("invite", b"b"));
        assert_eq!(random_token(32).len(), 43);
    }
}
