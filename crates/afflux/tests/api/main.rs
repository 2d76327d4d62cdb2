//! Integration tests of the JSON API and the CLI: real HTTP against a real server on a fresh
//! database (SQLite, or PostgreSQL when `AFFLUX_TEST_DATABASE_URL` is set).

mod common;

mod affiliates;
mod bad_input;
mod cli;
mod concurrency;
mod fx;
mod imports;
mod keys;
mod openapi;
mod programs;
mod rate_limit;
mod team;
mod tenancy;
