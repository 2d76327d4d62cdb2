//! What the headless-Chromium tests need from the machine, checked up front so a missing piece
//! fails the test with the command that installs it.

use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The Chromium executable; panics with the fix when node, Chromium or the e2e node modules
/// are missing.
pub fn require_prerequisites(root: &Path) -> String {
    let fix = "install the browser-test prerequisites with ./scripts/test-deps.sh \
               (apt-get install -y chromium; cd e2e && npm ci)";
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(node_ok, "node is not installed: {fix}");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium} (set CHROMIUM to another path): {fix}"
    );
    assert!(
        root.join("e2e/node_modules/playwright-core").is_dir(),
        "e2e/node_modules is missing: {fix}"
    );
    chromium
}
