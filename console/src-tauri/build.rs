//! Generates the ACL entries (`allow-<command>`) for the console's own commands, so that
//! `capabilities/main.json` can grant exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "console_state",
    "connect",
    "start_local",
    "back_to_start",
    "refresh_health",
    "api_request",
    "create_admin",
    "local_user_count",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri-build failed: {error:#}");
    }
}
