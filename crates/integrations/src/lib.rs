//! Outbound adapters: each vendor or transport behind a small trait, so the app layer never
//! knows which one it talks to.

pub mod crm;
pub mod email;
pub mod payouts;
