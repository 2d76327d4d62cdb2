"""Signs and verifies Stripe webhook payloads with Stripe's own Python library, so the tests
prove Afflux's verification agrees with Stripe's in both directions.

Reads a JSON array of requests on stdin and writes a JSON array of answers, one per request:
  {"op": "sign", "payload": str, "secret": str, "timestamp": int}
      -> {"header": "t=...,v1=..."}  (built as stripe-python's own tests build it)
  {"op": "verify", "payload": str, "header": str, "secret": str, "tolerance": int}
      -> {"ok": true} or {"ok": false, "error": str}  (stripe.Webhook.construct_event)
Needs `pip install stripe==16.1.0` (scripts/test-deps.sh).
"""

import json
import sys

import stripe


def sign(req):
    # As stripe-python's tests/test_webhook.py generate_header(): t=<ts>,v1=<signature>.
    timestamp = req["timestamp"]
    payload_to_sign = "%d.%s" % (timestamp, req["payload"])
    signature = stripe.WebhookSignature._compute_signature(payload_to_sign, req["secret"])
    return {"header": "t=%d,%s=%s" % (timestamp, stripe.WebhookSignature.EXPECTED_SCHEME, signature)}


def verify(req):
    try:
        event = stripe.Webhook.construct_event(
            req["payload"], req["header"], req["secret"], tolerance=req.get("tolerance", 300)
        )
    except (stripe.SignatureVerificationError, ValueError) as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True, "id": event["id"]}


def main():
    answers = []
    for req in json.load(sys.stdin):
        answers.append(sign(req) if req["op"] == "sign" else verify(req))
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
