#!/usr/bin/env bash
# Installs what the test suite drives for real: Chromium (browser tests, via playwright-core),
# aiosmtpd (a real SMTP server for the email tests) and Stripe's own Python library (it signs and
# verifies the webhook events of the Stripe tests). Idempotent; quick when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
    echo "installing aiosmtpd" >&2
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6
fi

if ! python3 -c "import stripe" >/dev/null 2>&1; then
    echo "installing stripe (Python)" >&2
    python3 -m pip install --quiet --disable-pip-version-check stripe==16.1.0
fi

if [ ! -d e2e/node_modules/playwright-core ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
    echo "installing e2e node modules" >&2
    (cd e2e && npm ci --silent --no-audit --no-fund)
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "installing cargo-nextest" >&2
    cargo install --locked cargo-nextest
fi
