//! Local mode: `pacai serve` as a child process of the console.
//!
//! The child listens on 127.0.0.1 on a free port, keeps its embedded PostgreSQL in a data
//! folder of its own, and writes its log to `<data>/logs/console-serve.log` (a file, not a
//! pipe, so that its shutdown log lines never hit a closed pipe after the console is gone).
//!
//! Parent watch: the console holds the write end of the child's stdin and never writes to
//! it. pacai, started with `PACAI_EXIT_WITH_STDIN=1`, shuts down gracefully (stopping its
//! embedded PostgreSQL) when its stdin reaches end-of-file. The operating system closes that
//! pipe whenever the console's process ends, however it ends (a normal close, a panic, a
//! SIGKILL), so the server never outlives the console. On a normal close the console also
//! closes the pipe itself, waits, and only then escalates (SIGTERM, then SIGKILL).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Variables of the console's own environment that must not reach the local server: it runs
/// on the embedded defaults, whatever the operator's shell says.
const SCRUBBED_PREFIXES: &[&str] = &["PACAI_"];
const SCRUBBED_NAMES: &[&str] = &["DATABASE_URL", "REDIS_URL", "HOST", "PORT"];

/// The variable that overrides where `pacai` is found (tests, packaged installs).
pub const PACAI_PATH_VARIABLE: &str = "PACAI_CONSOLE_PACAI";

/// How long a normal close waits after closing stdin before it sends SIGTERM, and again
/// before SIGKILL. pacai's own graceful shutdown is bounded at 10 s (uvicorn) plus the
/// database stop.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// The `pacai` program the console runs, and how it was found (shown to the person).
#[derive(Debug, Clone, PartialEq)]
pub struct PacaiProgram {
    pub path: PathBuf,
    pub found_by: String,
}

/// Where `pacai` comes from, in this order:
/// 1. `PACAI_CONSOLE_PACAI` in the console's environment;
/// 2. the path remembered in the console's settings;
/// 3. `pacai` on `PATH`;
/// 4. a virtual environment beside the console's executable (`venv/` or `.venv/`, then the
///    same one folder up), as a packaged install lays it out.
pub fn locate_pacai(
    from_env: Option<OsString>,
    remembered: Option<&Path>,
    path_variable: Option<OsString>,
    exe_dir: Option<&Path>,
) -> Result<PacaiProgram, String> {
    if let Some(value) = from_env.filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if is_program(&path) {
            Ok(PacaiProgram {
                path,
                found_by: PACAI_PATH_VARIABLE.to_string(),
            })
        } else {
            Err(format!(
                "{PACAI_PATH_VARIABLE} names {}, which is not a program that can be run.",
                path.display()
            ))
        };
    }
    if let Some(path) = remembered {
        return if is_program(path) {
            Ok(PacaiProgram {
                path: path.to_path_buf(),
                found_by: "the console's settings".into(),
            })
        } else {
            Err(format!(
                "The pacai program chosen in the console's settings, {}, is not a program that can be run.",
                path.display()
            ))
        };
    }
    let program_name = if cfg!(windows) { "pacai.exe" } else { "pacai" };
    if let Some(paths) = path_variable {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(program_name);
            if is_program(&candidate) {
                return Ok(PacaiProgram {
                    path: candidate,
                    found_by: "PATH".into(),
                });
            }
        }
    }
    if let Some(dir) = exe_dir {
        let bin = if cfg!(windows) { "Scripts" } else { "bin" };
        for base in [Some(dir), dir.parent()].into_iter().flatten() {
            for venv in ["venv", ".venv"] {
                let candidate = base.join(venv).join(bin).join(program_name);
                if is_program(&candidate) {
                    return Ok(PacaiProgram {
                        path: candidate,
                        found_by: format!("the virtual environment {}", base.join(venv).display()),
                    });
                }
            }
        }
    }
    Err(format!(
        "Could not find the pacai program: set {PACAI_PATH_VARIABLE}, put pacai on PATH, or install it \
         into a venv beside the console (pip install pacai)."
    ))
}

#[cfg(unix)]
fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_program(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.is_file()).unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (asked of the OS; released just before pacai binds it).
pub fn free_loopback_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("Could not find a free port on 127.0.0.1: {e}."))
}

/// The environment every `pacai` command of the console gets: the console's own, minus
/// anything that would point pacai elsewhere, plus the data folder.
fn pacai_command(program: &Path, data_dir: &Path) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if SCRUBBED_PREFIXES.iter().any(|p| text.starts_with(p))
            || SCRUBBED_NAMES.contains(&text.as_ref())
        {
            command.env_remove(&name);
        }
    }
    command
        .env("PACAI_DATA_DIR", data_dir)
        // Log lines reach the log file as they happen (the last lines explain a failed start).
        .env("PYTHONUNBUFFERED", "1")
        .current_dir(data_dir);
    command
}

/// The arguments of the local server: fixed, apart from the port the console chose.
pub fn serve_arguments(port: u16) -> Vec<String> {
    vec![
        "serve".into(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
        "--workers".into(),
        "1".into(),
    ]
}

/// A running `pacai serve`.
pub struct Sidecar {
    child: Child,
    /// Held open, never written: its end-of-file tells pacai that the console is gone.
    stdin: Option<ChildStdin>,
    pub port: u16,
    pub data_dir: PathBuf,
    pub log_path: PathBuf,
    pub program: PacaiProgram,
    pub started: Instant,
    exit: Option<ExitStatus>,
}

impl Sidecar {
    pub fn start(program: PacaiProgram, data_dir: &Path) -> Result<Self, String> {
        fs::create_dir_all(data_dir.join("logs")).map_err(|e| {
            format!(
                "Could not create the data folder {}: {e}.",
                data_dir.display()
            )
        })?;
        let log_path = data_dir.join("logs").join("console-serve.log");
        if log_path.exists() {
            let _ = fs::rename(
                &log_path,
                data_dir.join("logs").join("console-serve.previous.log"),
            );
        }
        let log = File::create(&log_path)
            .map_err(|e| format!("Could not create {}: {e}.", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("Could not open {} twice: {e}.", log_path.display()))?;
        let port = free_loopback_port()?;
        let mut command = pacai_command(&program.path, data_dir);
        command
            .args(serve_arguments(port))
            .env("PACAI_EXIT_WITH_STDIN", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let mut child = command
            .spawn()
            .map_err(|e| format!("Could not start {}: {e}.", program.path.display()))?;
        let stdin = child.stdin.take();
        Ok(Sidecar {
            child,
            stdin,
            port,
            data_dir: data_dir.to_path_buf(),
            log_path,
            program,
            started: Instant::now(),
            exit: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the child has exited (it is reaped here).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exit = Some(status);
            }
        }
        self.exit
    }

    pub fn log_tail(&self, lines: usize) -> Vec<String> {
        log_tail(&self.log_path, lines)
    }

    /// Stops the server: close stdin (pacai's parent watch), then SIGTERM, then SIGKILL,
    /// each after a grace period. Returns what happened, in words.
    pub fn stop(&mut self) -> String {
        if let Some(status) = self.exited() {
            return format!("The local server had already stopped ({status}).");
        }
        drop(self.stdin.take());
        if let Some(status) = self.wait_for_exit(STOP_GRACE) {
            return format!("The local server stopped ({status}).");
        }
        #[cfg(unix)]
        {
            use nix::sys::signal::{kill, Signal};
            use nix::unistd::Pid;
            if let Ok(pid) = i32::try_from(self.pid()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            if let Some(status) = self.wait_for_exit(STOP_GRACE) {
                return format!("The local server stopped after SIGTERM ({status}).");
            }
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        self.exit = status;
        "The local server did not stop in time and was killed; its database may still be running."
            .into()
    }

    fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.exited()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.stop();
        }
    }
}

/// The last `lines` lines of a log file (empty when it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> Vec<String> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    let mut tail: VecDeque<String> = VecDeque::with_capacity(lines + 1);
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        if tail.len() == lines {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    tail.into()
}

/// What a finished `pacai` command said.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOutcome {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs one `pacai` CLI command against the same data folder as the local server (the
/// command joins the running embedded PostgreSQL), writing `stdin_text` to its input.
pub fn run_cli(
    program: &Path,
    data_dir: &Path,
    args: &[&str],
    stdin_text: &str,
) -> Result<CommandOutcome, String> {
    let mut child = pacai_command(program, data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("Could not run {}: {e}.", program.display()))?;
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin_text.as_bytes())
            .map_err(|e| format!("Could not pass the input to pacai: {e}."))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("pacai did not finish: {e}."))?;
    Ok(CommandOutcome {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).trim().to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

/// The first admin, through the CLI's path (CONTRACT §3.9): the password goes on stdin,
/// never on the command line or into a file.
pub fn create_admin(
    program: &Path,
    data_dir: &Path,
    email: &str,
    password: &str,
) -> Result<String, String> {
    let outcome = run_cli(
        program,
        data_dir,
        &[
            "users",
            "create",
            "--email",
            email,
            "--role",
            "admin",
            "--tier",
            "lifetime",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )?;
    if outcome.success {
        Ok(if outcome.stdout.is_empty() {
            "The admin account was created.".into()
        } else {
            outcome.stdout
        })
    } else if outcome.stderr.is_empty() {
        Err(format!(
            "pacai users create failed (exit code {:?}).",
            outcome.code
        ))
    } else {
        Err(outcome.stderr)
    }
}

/// How many accounts exist (`pacai users count`), or `None` when this pacai cannot say.
pub fn user_count(program: &Path, data_dir: &Path) -> Result<Option<u64>, String> {
    let outcome = run_cli(program, data_dir, &["users", "count"], "")?;
    if outcome.success {
        return outcome
            .stdout
            .lines()
            .last()
            .and_then(|line| line.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "pacai users count printed {:?}, not a number.",
                    outcome.stdout
                )
            });
    }
    if outcome.code == Some(2) {
        return Ok(None); // an older pacai without the command: argparse's usage error
    }
    Err(if outcome.stderr.is_empty() {
        format!("pacai users count failed (exit code {:?}).", outcome.code)
    } else {
        outcome.stderr
    })
}

/// Checks a data folder typed by a person: absolute, and creatable.
pub fn check_data_dir(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text.trim());
    if !path.is_absolute() {
        return Err(
            "Give the data folder as a full path (for example /home/me/pacai-data).".into(),
        );
    }
    fs::create_dir_all(&path)
        .map_err(|e| format!("Could not use {} as the data folder: {e}.", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pacai-console-sidecar-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::create_dir_all(&dir);
        dir
    }

    #[cfg(unix)]
    fn make_program(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        if let Some(dir) = path.parent() {
            let _ = fs::create_dir_all(dir);
        }
        let _ = fs::write(path, "#!/bin/sh\n");
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o755));
    }

    #[cfg(unix)]
    #[test]
    fn pacai_is_found_in_the_documented_order() {
        let root = scratch("locate");
        let configured = root.join("configured/pacai");
        let remembered = root.join("remembered/pacai");
        let on_path = root.join("onpath/pacai");
        let beside = root.join("app/.venv/bin/pacai");
        for p in [&configured, &remembered, &on_path, &beside] {
            make_program(p);
        }
        let path_var = Some(OsString::from(root.join("onpath")));
        let app = root.join("app");
        let found = |env: Option<&Path>, rem: Option<&Path>, pv: Option<OsString>| {
            locate_pacai(env.map(|p| p.as_os_str().to_owned()), rem, pv, Some(&app)).map(|p| p.path)
        };
        assert_eq!(
            found(Some(&configured), Some(&remembered), path_var.clone()),
            Ok(configured.clone())
        );
        assert_eq!(
            found(None, Some(&remembered), path_var.clone()),
            Ok(remembered.clone())
        );
        assert_eq!(found(None, None, path_var.clone()), Ok(on_path.clone()));
        assert_eq!(found(None, None, None), Ok(beside.clone()));
        let missing = root.join("nowhere/pacai");
        assert!(found(Some(&missing), None, None).is_err_and(|e| e.contains(PACAI_PATH_VARIABLE)));
        assert!(locate_pacai(None, None, None, Some(&root)).is_err());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn the_log_tail_keeps_the_last_lines() {
        let root = scratch("tail");
        let log = root.join("log");
        let text: String = (1..=50).map(|n| format!("line {n}\n")).collect();
        let _ = fs::write(&log, text);
        assert_eq!(log_tail(&log, 3), vec!["line 48", "line 49", "line 50"]);
        assert!(log_tail(&root.join("missing"), 3).is_empty());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn serve_binds_loopback_only() {
        let args = serve_arguments(5123);
        assert_eq!(
            args,
            [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "5123",
                "--workers",
                "1"
            ]
        );
    }

    #[test]
    fn data_dirs_must_be_absolute() {
        assert!(check_data_dir("relative/dir").is_err());
        let root = scratch("datadir");
        assert_eq!(
            check_data_dir(&root.join("d").to_string_lossy()),
            Ok(root.join("d"))
        );
        let _ = fs::remove_dir_all(&root);
    }
}
