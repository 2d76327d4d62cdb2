//! Tokens and signatures. Every token a person can present is either random (sessions, API
//! keys) or derived from an id with the instance key (invites, unsubscribe links), and only
//! its SHA-256 is stored.

use afflux_store::Store;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, AeadCore, OsRng, Payload};
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

/// The format byte in front of a sealed value, so the scheme can change without guessing.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;

impl Secrets {
    fn sealing_cipher(&self) -> XChaCha20Poly1305 {
        // A key of its own, derived from the instance key: a token leak never helps decryption.
        <XChaCha20Poly1305 as chacha20poly1305::KeyInit>::new(&self.mac("secret-encryption", b"").into())
    }

    /// Encrypts a vendor credential for storage: XChaCha20-Poly1305 with a random nonce per
    /// value, under a key derived from the instance key. `context` (the organization and the
    /// secret's name) is authenticated with it, so a value copied to another row does not open.
    /// Changing the instance key makes sealed values unreadable: they must be entered again.
    pub(crate) fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .sealing_cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext of a [`Secrets::seal`]ed value, if it was sealed by this instance key for
    /// this `context` and not altered.
    pub(crate) fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.sealing_cipher()
            .decrypt(
                nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .ok()
    }
}

/// `bytes` random bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The last four characters of a stored secret, shown so people can tell secrets apart
/// (`…5678`); empty for an empty one.
pub(crate) fn hint(secret: &str) -> String {
    let tail: Vec<char> = secret.chars().rev().take(4).collect();
    if tail.is_empty() {
        String::new()
    } else {
        format!("…{}", tail.into_iter().rev().collect::<String>())
    }
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

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let s = Secrets { key: [7; 32] };
        let sealed = s.seal(b"org-1/stripe", b"whsec_abc");
        assert!(!sealed.windows(9).any(|w| w == b"whsec_abc"), "stored in the clear");
        assert_eq!(s.open(b"org-1/stripe", &sealed).unwrap(), b"whsec_abc");
        assert_ne!(s.seal(b"org-1/stripe", b"whsec_abc"), sealed, "a fresh nonce per value");
        assert!(s.open(b"org-2/stripe", &sealed).is_none(), "bound to its context");
        assert!(Secrets { key: [8; 32] }.open(b"org-1/stripe", &sealed).is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(s.open(b"org-1/stripe", &tampered).is_none());
        assert!(s.open(b"org-1/stripe", &sealed[..10]).is_none());
        assert!(s.open(b"org-1/stripe", &[]).is_none());
    }
}
