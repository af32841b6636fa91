//! Errors of the exporters. They become Python exceptions at one point (`py.rs`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The world bytes are not a world document this engine can export.
    Document(String),
    /// The engine id is not one of `ENGINES`.
    UnknownEngine(String),
    /// An archive entry is unusable: an unsafe or duplicate path, or a size the format
    /// cannot hold.
    Archive(String),
}

impl ExportError {
    pub fn document(message: impl Into<String>) -> Self {
        Self::Document(message.into())
    }

    pub fn archive(message: impl Into<String>) -> Self {
        Self::Archive(message.into())
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Document(why) => write!(f, "cannot export this world: {why}"),
            Self::UnknownEngine(id) => write!(f, "unknown engine {id:?}"),
            Self::Archive(why) => write!(f, "cannot archive: {why}"),
        }
    }
}

impl std::error::Error for ExportError {}
