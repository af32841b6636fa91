//! PacAI Console: a Tauri 2 window for administering a pacai installation, remote or local.
//!
//! The web content (bundled from `frontendDist`) has no network or file access of its own.
//! It calls the commands below over Tauri's IPC, and only those listed in
//! `capabilities/main.json`; Rust does the HTTP to the one chosen server (`net`), runs the
//! local `pacai serve` (`sidecar`) and remembers settings (`config`).

mod config;
mod console;
mod net;
mod origin;
mod sidecar;

use std::sync::Arc;

use tauri::{Manager, RunEvent, State, WebviewUrl, WebviewWindowBuilder, WindowEvent};

use crate::console::{Console, Snapshot};
use crate::net::ApiResponse;

type ConsoleState<'a> = State<'a, Arc<Console>>;

/// Runs blocking console work off the main (UI) thread.
async fn blocking<T: Send + 'static>(
    console: &ConsoleState<'_>,
    work: impl FnOnce(Arc<Console>) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let console = Arc::clone(console);
    tauri::async_runtime::spawn_blocking(move || work(console))
        .await
        .map_err(|e| format!("The console's worker failed: {e}."))?
}

#[tauri::command]
async fn console_state(console: ConsoleState<'_>) -> Result<Snapshot, String> {
    blocking(&console, |c| Ok(c.snapshot())).await
}

#[tauri::command]
async fn connect(console: ConsoleState<'_>, url: String) -> Result<Snapshot, String> {
    blocking(&console, move |c| c.connect(&url)).await
}

#[tauri::command]
async fn start_local(
    console: ConsoleState<'_>,
    data_dir: Option<String>,
) -> Result<Snapshot, String> {
    blocking(&console, move |c| c.start_local(data_dir.as_deref())).await
}

#[tauri::command]
async fn back_to_start(console: ConsoleState<'_>) -> Result<Snapshot, String> {
    blocking(&console, |c| Ok(c.back_to_start())).await
}

#[tauri::command]
async fn refresh_health(console: ConsoleState<'_>) -> Result<Snapshot, String> {
    blocking(&console, |c| c.refresh_health()).await
}

/// The web content's only way to the server: an API path on the chosen origin.
#[tauri::command]
async fn api_request(
    console: ConsoleState<'_>,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
) -> Result<ApiResponse, String> {
    blocking(&console, move |c| {
        c.api_request(&method, &path, &headers, body.as_deref())
    })
    .await
}

#[tauri::command]
async fn create_admin(
    console: ConsoleState<'_>,
    email: String,
    password: String,
    password_again: String,
) -> Result<String, String> {
    blocking(&console, move |c| {
        c.create_admin(&email, &password, &password_again)
    })
    .await
}

#[tauri::command]
async fn local_user_count(console: ConsoleState<'_>) -> Result<Option<u64>, String> {
    blocking(&console, |c| c.user_count()).await
}

/// The bundled app's own pages: `tauri://localhost` (Linux, macOS) or
/// `http(s)://tauri.localhost` (Windows). Every other navigation is refused.
fn is_app_url(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

pub fn run() {
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            console_state,
            connect,
            start_local,
            back_to_start,
            refresh_health,
            api_request,
            create_admin,
            local_user_count,
        ])
        .setup(|app| {
            let paths = app.path();
            let config_dir = paths.app_config_dir()?;
            let default_data_dir = paths.app_data_dir()?.join("server");
            let exe_dir = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|d| d.to_path_buf()));
            app.manage(Console::new(&config_dir, default_data_dir, exe_dir));
            WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                .title("PacAI Console")
                .inner_size(1100.0, 760.0)
                .min_inner_size(640.0, 480.0)
                .on_navigation(is_app_url)
                .on_new_window(|_, _| tauri::webview::NewWindowResponse::Deny)
                .build()?;
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let console = Arc::clone(&window.state::<Arc<Console>>());
                if console.has_local_server() {
                    // Keep the window (it shows "Stopping…") until the local server is down.
                    api.prevent_close();
                    let app = window.app_handle().clone();
                    std::thread::spawn(move || {
                        console.shut_down();
                        app.exit(0);
                    });
                }
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("pacai-console: could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Any other way out (the last window destroyed, app.exit): the server goes too.
            if let Some(console) = app.try_state::<Arc<Console>>() {
                console.shut_down();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bundled_pages_may_load() {
        let ok = |u: &str| {
            tauri::Url::parse(u)
                .map(|u| is_app_url(&u))
                .unwrap_or(false)
        };
        assert!(ok("tauri://localhost/index.html"));
        assert!(ok("http://tauri.localhost/index.html"));
        assert!(!ok("https://pacai.example.com/"));
        assert!(!ok("http://127.0.0.1:5000/"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("tauri://evil/"));
    }
}
