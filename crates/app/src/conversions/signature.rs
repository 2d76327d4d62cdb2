//! Signatures of inbound events: Afflux's own S2S scheme and Stripe's webhook scheme. Both are
//! HMAC-SHA256 over `{timestamp}.{raw body}`, hex-encoded, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed request was refused. Each is a 401 with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// Missing, malformed or wrong (`invalid_signature`).
    Invalid(&'static str),
    /// Right, but its timestamp is outside the window (`signature_expired`).
    Expired,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Invalid(_) => "invalid_signature",
            SignatureError::Expired => "signature_expired",
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            SignatureError::Invalid(why) => why,
            SignatureError::Expired => "the signature's timestamp is outside the 300-second window",
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `{timestamp}.{body}` under `secret` (its UTF-8 bytes).
fn sign(secret: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Whether `candidate` (hex, any case) is the signature `expected`, in constant time.
fn matches(expected: &[u8; 32], candidate: &str) -> bool {
    let mut decoded = [0u8; 32];
    hex::decode_to_slice(candidate.trim(), &mut decoded).is_ok() && bool::from(decoded.ct_eq(expected))
}

/// The `X-Afflux-Signature` of an S2S request: what a sender computes.
pub fn s2s_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(sign(secret, &timestamp.to_string(), body))
}

/// A `Stripe-Signature` header as Stripe's libraries build one for tests.
pub fn stripe_signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(sign(secret, &timestamp.to_string(), body))
    )
}

/// Checks an S2S request: `X-Afflux-Timestamp` (Unix seconds) and `X-Afflux-Signature` (hex
/// HMAC-SHA256 of `{timestamp}.{raw body}` with the organization's signing secret). The
/// signature is checked first, then the timestamp, which must be within `window` seconds of
/// `now` in either direction (a clock running ahead is no licence to replay later).
pub(crate) fn verify_s2s(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    window: i64,
) -> Result<(), SignatureError> {
    let timestamp = timestamp
        .map(str::trim)
        .ok_or(SignatureError::Invalid("X-Afflux-Timestamp is missing"))?;
    let t: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::Invalid("X-Afflux-Timestamp must be Unix seconds"))?;
    let signature = signature.ok_or(SignatureError::Invalid("X-Afflux-Signature is missing"))?;
    if !matches(&sign(secret, timestamp, body), signature) {
        return Err(SignatureError::Invalid(
            "X-Afflux-Signature does not match the body and timestamp",
        ));
    }
    if (now - t).abs() > window {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// Checks a `Stripe-Signature` header the way Stripe's libraries do: `t=…` and one or more
/// `v1=…` (several during a secret rotation; other schemes ignored); any `v1` matching the
/// HMAC of `{t}.{raw body}` with the `whsec_…` secret passes; then the timestamp must not be
/// older than `tolerance` seconds (like Stripe, a timestamp ahead of the clock is accepted).
pub(crate) fn verify_stripe(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Invalid("Stripe-Signature is missing"))?;
    let mut timestamp = None;
    let mut candidates = vec![];
    for item in header.split(',') {
        match item.split_once('=') {
            Some(("t", v)) => timestamp = Some(v.trim()),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let unreadable = SignatureError::Invalid("unable to extract timestamp and signatures from Stripe-Signature");
    let (Some(timestamp), false) = (timestamp, candidates.is_empty()) else {
        return Err(unreadable);
    };
    let t: i64 = timestamp.parse().map_err(|_| unreadable)?;
    // Stripe signs the timestamp as the number it parsed, not the header's text.
    let expected = sign(secret, &t.to_string(), body);
    if !candidates.iter().any(|c| matches(&expected, c)) {
        return Err(SignatureError::Invalid(
            "no signature in Stripe-Signature matches the payload",
        ));
    }
    if now - t > tolerance {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    #[test]
    fn s2s_signatures() {
        let now = 1_763_700_000;
        let sig = s2s_signature("afs_x", now, BODY);
        let ok = |ts: i64, sig: &str| verify_s2s("afs_x", Some(&ts.to_string()), Some(sig), BODY, now, 300);
        assert_eq!(ok(now, &sig), Ok(()));
        assert_eq!(ok(now, &sig.to_uppercase()), Ok(()), "hex in any case");
        let late = s2s_signature("afs_x", now - 301, BODY);
        assert_eq!(ok(now - 301, &late), Err(SignatureError::Expired));
        let early = s2s_signature("afs_x", now + 301, BODY);
        assert_eq!(ok(now + 301, &early), Err(SignatureError::Expired), "future too");
        let edge = s2s_signature("afs_x", now - 300, BODY);
        assert_eq!(ok(now - 300, &edge), Ok(()));
        assert_eq!(ok(now + 1, &sig).unwrap_err().code(), "invalid_signature");
        assert_eq!(ok(now, "zz").unwrap_err().code(), "invalid_signature");
        assert_eq!(ok(now, &sig[..62]).unwrap_err().code(), "invalid_signature");
        let other = s2s_signature("afs_y", now, BODY);
        assert_eq!(ok(now, &other).unwrap_err().code(), "invalid_signature");
        // A wrong signature with a stale timestamp is invalid, not expired.
        assert_eq!(ok(now - 1000, &sig).unwrap_err().code(), "invalid_signature");
        assert!(verify_s2s("afs_x", None, Some(&sig), BODY, now, 300).is_err());
        assert!(verify_s2s("afs_x", Some("soon"), Some(&sig), BODY, now, 300).is_err());
        assert!(verify_s2s("afs_x", Some(&now.to_string()), None, BODY, now, 300).is_err());
    }

    #[test]
    fn stripe_headers() {
        let now = 1_763_700_000;
        let header = stripe_signature_header(SECRET, now, BODY);
        assert!(header.starts_with(&format!("t={now},v1=")));
        assert_eq!(verify_stripe(SECRET, Some(&header), BODY, now, 300), Ok(()));
        // Rotation: any v1 may match; other schemes are ignored.
        let v1 = header.split("v1=").nth(1).unwrap();
        let rotated = format!("t={now},v1={},v0=abc,v1={v1}", "0".repeat(64));
        assert_eq!(verify_stripe(SECRET, Some(&rotated), BODY, now, 300), Ok(()));
        let only_v0 = format!("t={now},v0={v1}");
        assert!(verify_stripe(SECRET, Some(&only_v0), BODY, now, 300).is_err());
        assert_eq!(
            verify_stripe(SECRET, Some(&header), BODY, now + 301, 300),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify_stripe(SECRET, Some(&header), BODY, now - 3_600, 300),
            Ok(()),
            "Stripe accepts a timestamp ahead of the clock"
        );
        assert!(verify_stripe("whsec_other", Some(&header), BODY, now, 300).is_err());
        assert!(verify_stripe(SECRET, Some(&header), b"{}", now, 300).is_err());
        assert!(verify_stripe(SECRET, Some("garbage"), BODY, now, 300).is_err());
        assert!(verify_stripe(SECRET, None, BODY, now, 300).is_err());
    }
}
