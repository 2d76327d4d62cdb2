#!/usr/bin/env bash
# The test suite: every crate's unit tests, the store conformance suite, the HTTP API tests,
# the SMTP email tests and the headless-Chromium browser test. Runs on SQLite by default; set
# AFFLUX_TEST_DATABASE_URL=postgres://user@host/db to run it against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/test-deps.sh
exec cargo nextest run --workspace --no-fail-fast "$@"
