//! What the console remembers across restarts: one small JSON file in the app's config
//! directory (`console.json`). Only Rust reads and writes it; the web content has no file
//! access. A damaged file is not fatal: the console starts with the defaults and says so.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE_NAME: &str = "console.json";

#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Remembered {
    /// The last server the console connected to (an origin, as shown to the person).
    pub server_url: Option<String>,
    /// A data folder for local mode other than the app's own.
    pub local_data_dir: Option<PathBuf>,
    /// The `pacai` program to run in local mode, when not found on its own.
    pub pacai_path: Option<PathBuf>,
}

pub struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    pub fn in_dir(dir: &Path) -> Self {
        ConfigFile {
            path: dir.join(FILE_NAME),
        }
    }

    /// The remembered settings, or the defaults and a warning when the file is unreadable.
    pub fn load(&self) -> (Remembered, Option<String>) {
        match fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice::<Remembered>(&bytes) {
                Ok(value) => (value, None),
                Err(e) => (
                    Remembered::default(),
                    Some(format!(
                        "Ignored the damaged settings file {} ({e}).",
                        self.path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Remembered::default(), None),
            Err(e) => (
                Remembered::default(),
                Some(format!(
                    "Could not read the settings file {}: {e}.",
                    self.path.display()
                )),
            ),
        }
    }

    /// Writes atomically (a temporary file renamed over the old one) so a crash mid-write
    /// never leaves half a file.
    pub fn save(&self, value: &Remembered) -> Result<(), String> {
        let fail = |e: std::io::Error| {
            format!(
                "Could not save the settings to {}: {e}.",
                self.path.display()
            )
        };
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(fail)?;
        }
        let text = serde_json::to_vec_pretty(value)
            .map_err(|e| format!("Could not encode the settings: {e}."))?;
        let temporary = self.path.with_extension("json.tmp");
        {
            let mut file = fs::File::create(&temporary).map_err(fail)?;
            file.write_all(&text).map_err(fail)?;
            file.sync_all().map_err(fail)?;
        }
        fs::rename(&temporary, &self.path).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pacai-console-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn remembers_across_loads() {
        let dir = scratch("roundtrip");
        let file = ConfigFile::in_dir(&dir);
        assert_eq!(file.load(), (Remembered::default(), None));
        let value = Remembered {
            server_url: Some("https://pacai.example.com".into()),
            local_data_dir: Some(dir.join("data")),
            pacai_path: None,
        };
        assert_eq!(file.save(&value), Ok(()));
        assert_eq!(file.load(), (value, None));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_file_gives_defaults_and_a_warning() {
        let dir = scratch("damaged");
        let _ = fs::create_dir_all(&dir);
        let _ = fs::write(dir.join(FILE_NAME), b"{not json");
        let (value, warning) = ConfigFile::in_dir(&dir).load();
        assert_eq!(value, Remembered::default());
        assert!(warning.is_some_and(|w| w.contains("damaged")));
        let _ = fs::remove_dir_all(&dir);
    }
}
