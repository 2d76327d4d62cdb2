//! The store conformance suite: every operation of the [`Tx`] contract, on whichever backend
//! [`TestDb`] picks (SQLite by default, PostgreSQL with `AFFLUX_TEST_DATABASE_URL`). Each test
//! gets a fresh database. A database error aborts a PostgreSQL transaction, so every write
//! expected to conflict runs in a transaction of its own, dropped afterwards.

mod fixtures;

mod affiliates;
mod applications;
mod audit;
mod campaigns;
mod clicks;
mod crm;
mod database;
mod imports;
mod isolation;
mod jobs;
mod money;
mod orgs;
// --- partner emails
mod partner_emails;
mod portal;
mod promo;
mod reports;
mod stripe_accounts;
mod suppressions;
mod tax;
mod team;
