//! Sending signed S2S events, and running requests together.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use time::OffsetDateTime;

use super::{Harness, Reply};

/// Sends S2S events signed the way a brand's backend would: HMAC-SHA256 of
/// `{timestamp}.{body}`, computed here independently of Afflux's code.
pub struct S2s<'h> {
    h: &'h Harness,
    pub secret: String,
}

impl<'h> S2s<'h> {
    pub async fn new(h: &'h Harness) -> S2s<'h> {
        let reply = h.get("/api/v1/tracking/signing-secret").await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["organizationId"], json!(h.org));
        let secret = reply.body["signingSecret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("afs_") && secret.len() > 40, "{secret}");
        S2s { h, secret }
    }

    pub fn sign(&self, secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    pub async fn raw(&self, body: &[u8], ts: Option<i64>, signature: Option<String>, org: Option<String>) -> Reply {
        let mut request = self
            .h
            .client
            .post(self.h.url("/api/track/s2s"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(ts) = ts {
            request = request.header("x-afflux-timestamp", ts.to_string());
        }
        if let Some(signature) = signature {
            request = request.header("x-afflux-signature", signature);
        }
        if let Some(org) = org {
            request = request.header("x-afflux-organization", org);
        }
        self.h.send(request).await
    }

    pub async fn at(&self, body: &Value, ts: i64) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = self.sign(&self.secret, ts, &bytes);
        self.raw(&bytes, Some(ts), Some(signature), Some(self.h.org.to_string()))
            .await
    }

    pub async fn send(&self, body: &Value) -> Reply {
        self.at(body, now()).await
    }
}

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A sale naming an affiliate by slug, in EUR.
pub fn sale(id: &str, slug: &str, cents: i64) -> Value {
    json!({ "externalEventId": id, "type": "sale", "affiliateSlug": slug, "amountCents": cents, "currency": "EUR" })
}

/// Runs `n` requests at once and collects their replies.
pub async fn futures_join<F, Fut>(n: usize, make: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    join_all((0..n).map(|i| Box::pin(make(i))).collect()).await
}

/// Polls the futures together until all are done (the futures crate's `join_all`).
async fn join_all<Fut: std::future::Future<Output = Reply>>(futures: Vec<std::pin::Pin<Box<Fut>>>) -> Vec<Reply> {
    let mut slots: Vec<Option<Reply>> = futures.iter().map(|_| None).collect();
    let mut futures: Vec<Option<std::pin::Pin<Box<Fut>>>> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, fut) in slots.iter_mut().zip(futures.iter_mut()) {
            if let Some(f) = fut {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => {
                        *slot = Some(r);
                        *fut = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    slots.into_iter().map(Option::unwrap).collect()
}
