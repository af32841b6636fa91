//! The console's state machine, without Tauri types: which mode it is in, the chosen
//! server, and the local server when there is one. The Tauri commands in `lib.rs` are thin
//! wrappers around these methods.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use crate::config::{ConfigFile, Remembered};
use crate::net::{ApiResponse, Health, Server};
use crate::origin::Origin;
use crate::sidecar::{self, PacaiProgram, Sidecar};

/// How long local mode waits for `/v5/health` (the first start creates the database).
const START_TIMEOUT: Duration = Duration::from_secs(180);
const LOG_LINES_SHOWN: usize = 30;

/// What the web content is shown; serialised as `{"view": "...", ...}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum View {
    /// The first screen: connect to a server, or run one locally.
    Choose,
    /// Local mode is starting `pacai serve`.
    Starting {
        pid: u32,
        elapsed_seconds: u64,
        last_line: Option<String>,
    },
    /// Local mode could not start; the server's last log lines say why.
    Failed {
        message: String,
        log_tail: Vec<String>,
    },
    /// A server answers: the chosen one, or the local one.
    Connected {
        origin: String,
        local: bool,
        pid: Option<u32>,
        health: Option<Health>,
    },
    /// The console is stopping the local server before it closes.
    Stopping,
}

/// Everything the first screen needs to show, with the current view.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    #[serde(flatten)]
    pub view: View,
    pub remembered_server: Option<String>,
    pub data_dir: String,
    pub default_data_dir: String,
    pub pacai: Result<String, String>,
    pub notice: Option<String>,
}

struct Inner {
    view: View,
    server: Option<Server>,
    sidecar: Option<Sidecar>,
    remembered: Remembered,
    notice: Option<String>,
    /// Bumped on every start/stop, so a waiter of an abandoned start leaves the state alone.
    generation: u64,
}

pub struct Console {
    inner: Mutex<Inner>,
    config: ConfigFile,
    default_data_dir: PathBuf,
    exe_dir: Option<PathBuf>,
}

impl Console {
    pub fn new(
        config_dir: &Path,
        default_data_dir: PathBuf,
        exe_dir: Option<PathBuf>,
    ) -> Arc<Self> {
        let config = ConfigFile::in_dir(config_dir);
        let (remembered, notice) = config.load();
        Arc::new(Console {
            inner: Mutex::new(Inner {
                view: View::Choose,
                server: None,
                sidecar: None,
                remembered,
                notice,
                generation: 0,
            }),
            config,
            default_data_dir,
            exe_dir,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the console down with it: the data stays usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn data_dir(&self, inner: &Inner) -> PathBuf {
        inner
            .remembered
            .local_data_dir
            .clone()
            .unwrap_or_else(|| self.default_data_dir.clone())
    }

    fn pacai(&self, inner: &Inner) -> Result<PacaiProgram, String> {
        sidecar::locate_pacai(
            std::env::var_os(sidecar::PACAI_PATH_VARIABLE),
            inner.remembered.pacai_path.as_deref(),
            std::env::var_os("PATH"),
            self.exe_dir.as_deref(),
        )
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut inner = self.lock();
        if let View::Starting { .. } = inner.view {
            if let Some(sidecar) = inner.sidecar.as_ref() {
                let last_line = sidecar.log_tail(1).pop();
                inner.view = View::Starting {
                    pid: sidecar.pid(),
                    elapsed_seconds: sidecar.started.elapsed().as_secs(),
                    last_line,
                };
            }
        }
        Snapshot {
            view: inner.view.clone(),
            remembered_server: inner.remembered.server_url.clone(),
            data_dir: self.data_dir(&inner).display().to_string(),
            default_data_dir: self.default_data_dir.display().to_string(),
            pacai: self
                .pacai(&inner)
                .map(|p| format!("{} (found by {})", p.path.display(), p.found_by)),
            notice: inner.notice.clone(),
        }
    }

    fn remember(&self, inner: &mut Inner, change: impl FnOnce(&mut Remembered)) {
        change(&mut inner.remembered);
        inner.notice = self.config.save(&inner.remembered).err();
    }

    /// Connect mode: check the address, ask for its health, remember it.
    pub fn connect(&self, url: &str) -> Result<Snapshot, String> {
        {
            let inner = self.lock();
            if inner.sidecar.is_some() {
                return Err("Stop the local server before connecting to another one.".into());
            }
        }
        let origin = Origin::parse(url)?;
        let server = Server::new(origin.clone());
        let health = server.health()?;
        {
            let mut inner = self.lock();
            self.remember(&mut inner, |r| r.server_url = Some(origin.to_string()));
            inner.server = Some(server);
            inner.view = View::Connected {
                origin: origin.to_string(),
                local: false,
                pid: None,
                health: Some(health),
            };
        }
        Ok(self.snapshot())
    }

    /// Local mode: start `pacai serve` and wait for its health in the background.
    pub fn start_local(self: &Arc<Self>, data_dir: Option<&str>) -> Result<Snapshot, String> {
        let generation = {
            let mut inner = self.lock();
            if inner.sidecar.is_some() {
                return Err("The local server is already running.".into());
            }
            if inner.server.is_some() {
                inner.server = None;
            }
            let chosen = match data_dir.map(str::trim).filter(|t| !t.is_empty()) {
                Some(text) => Some(sidecar::check_data_dir(text)?),
                None => None,
            };
            if chosen.as_deref() != inner.remembered.local_data_dir.as_deref() {
                let chosen = chosen.filter(|c| *c != self.default_data_dir);
                self.remember(&mut inner, |r| r.local_data_dir = chosen);
            }
            let data_dir = self.data_dir(&inner);
            let program = self.pacai(&inner)?;
            let sidecar = Sidecar::start(program, &data_dir)?;
            inner.view = View::Starting {
                pid: sidecar.pid(),
                elapsed_seconds: 0,
                last_line: None,
            };
            inner.sidecar = Some(sidecar);
            inner.generation += 1;
            inner.generation
        };
        let console = Arc::clone(self);
        std::thread::Builder::new()
            .name("pacai-health-wait".into())
            .spawn(move || console.wait_for_health(generation))
            .map_err(|e| format!("Could not start waiting for the server: {e}."))?;
        Ok(self.snapshot())
    }

    fn wait_for_health(&self, generation: u64) {
        let (origin, started) = {
            let inner = self.lock();
            match inner.sidecar.as_ref() {
                Some(s) if inner.generation == generation => (Origin::loopback(s.port), s.started),
                _ => return,
            }
        };
        let server = Server::new(origin.clone());
        loop {
            std::thread::sleep(Duration::from_millis(250));
            {
                let mut inner = self.lock();
                if inner.generation != generation {
                    return;
                }
                let exited = inner.sidecar.as_mut().and_then(Sidecar::exited);
                if let Some(status) = exited {
                    let log_tail = inner
                        .sidecar
                        .take()
                        .map(|s| s.log_tail(LOG_LINES_SHOWN))
                        .unwrap_or_default();
                    inner.view = View::Failed {
                        message: format!("pacai serve stopped before it was ready ({status})."),
                        log_tail,
                    };
                    return;
                }
            }
            let health = server.health().ok().filter(Health::is_serving);
            let mut inner = self.lock();
            if inner.generation != generation {
                return;
            }
            if let Some(health) = health {
                inner.server = Some(server);
                inner.view = View::Connected {
                    origin: origin.to_string(),
                    local: true,
                    pid: inner.sidecar.as_ref().map(Sidecar::pid),
                    health: Some(health),
                };
                return;
            }
            if started.elapsed() > START_TIMEOUT {
                let mut log_tail = Vec::new();
                if let Some(mut sidecar) = inner.sidecar.take() {
                    log_tail = sidecar.log_tail(LOG_LINES_SHOWN);
                    drop(inner); // stopping takes a while; the UI keeps polling meanwhile
                    sidecar.stop();
                    inner = self.lock();
                }
                inner.view = View::Failed {
                    message: format!(
                        "The local server did not report healthy within {} seconds.",
                        START_TIMEOUT.as_secs()
                    ),
                    log_tail,
                };
                return;
            }
        }
    }

    /// Stops the local server (if any), forgets the chosen server, and shows the first screen.
    pub fn back_to_start(&self) -> Snapshot {
        let sidecar = {
            let mut inner = self.lock();
            inner.generation += 1;
            inner.server = None;
            if inner.sidecar.is_some() {
                inner.view = View::Stopping;
            }
            inner.sidecar.take()
        };
        let report = sidecar.map(|mut s| s.stop());
        {
            let mut inner = self.lock();
            inner.view = View::Choose;
            if report.is_some() {
                inner.notice = report;
            }
        }
        self.snapshot()
    }

    /// Called when the console closes: stops the local server and waits for it.
    pub fn shut_down(&self) {
        let sidecar = {
            let mut inner = self.lock();
            inner.generation += 1;
            inner.view = View::Stopping;
            inner.sidecar.take()
        };
        if let Some(mut sidecar) = sidecar {
            sidecar.stop();
        }
    }

    pub fn has_local_server(&self) -> bool {
        self.lock().sidecar.is_some()
    }

    fn server(&self) -> Result<Server, String> {
        self.lock()
            .server
            .clone()
            .ok_or_else(|| "Not connected to a server.".to_string())
    }

    pub fn refresh_health(&self) -> Result<Snapshot, String> {
        let server = self.server()?;
        let health = server.health();
        {
            let mut inner = self.lock();
            if let View::Connected { health: shown, .. } = &mut inner.view {
                *shown = health.as_ref().ok().cloned();
            }
        }
        health?;
        Ok(self.snapshot())
    }

    pub fn api_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Result<ApiResponse, String> {
        self.server()?.request(method, path, headers, body)
    }

    fn local_cli(&self) -> Result<(PathBuf, PathBuf), String> {
        let inner = self.lock();
        match inner.sidecar.as_ref() {
            Some(sidecar) => Ok((sidecar.program.path.clone(), sidecar.data_dir.clone())),
            None => Err(
                "Accounts are created with the pacai command on the server's machine: \
                 pacai users create --email E --role admin --tier lifetime --password-stdin"
                    .into(),
            ),
        }
    }

    /// The first admin of a local installation, through `pacai users create`.
    pub fn create_admin(
        &self,
        email: &str,
        password: &str,
        password_again: &str,
    ) -> Result<String, String> {
        let email = email.trim();
        if email.is_empty() {
            return Err("Enter the admin's email address.".into());
        }
        if password != password_again {
            return Err("The two passwords are not the same.".into());
        }
        if password.contains(['\n', '\r']) {
            return Err("The password must not contain a line break.".into());
        }
        let (program, data_dir) = self.local_cli()?;
        sidecar::create_admin(&program, &data_dir, email, password)
    }

    pub fn user_count(&self) -> Result<Option<u64>, String> {
        let (program, data_dir) = self.local_cli()?;
        sidecar::user_count(&program, &data_dir)
    }
}
