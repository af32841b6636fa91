//! Build facts the Python side reports (version, profile). Not a Cargo build script.

/// The crate version: pacai's single version number.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `"release"` or `"debug"`; benchmarks refuse a debug build.
pub const fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_semver() {
        assert_eq!(VERSION.split('.').count(), 3);
    }

    #[test]
    fn profile_matches_assertions() {
        assert_eq!(profile() == "debug", cfg!(debug_assertions));
    }
}
