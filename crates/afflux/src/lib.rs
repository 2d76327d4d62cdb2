//! The `afflux` binary's wiring, as a library so the tests start exactly what users run.

mod server;
mod settings;

pub use server::{Server, build_app};
pub use settings::Settings;
