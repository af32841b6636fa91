//! Errors of the world generator. They become Python exceptions at one point (`py.rs`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldgenError {
    /// A seed or parameter is invalid; `field` names it (`seed`, `width`, `params`, ...).
    Params { field: String, message: String },
    /// An override op is invalid. `index` is the op's position in the list (None when the
    /// list itself is wrong); `field` is the path inside the op (`entity_id`, `at.x`; empty
    /// for the op as a whole).
    Override {
        index: Option<usize>,
        field: String,
        message: String,
    },
    /// The world document given to `apply_overrides` is not one this engine wrote.
    Document(String),
}

impl WorldgenError {
    pub fn params(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Params {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn op(index: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Override {
            index: Some(index),
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn ops(message: impl Into<String>) -> Self {
        Self::Override {
            index: None,
            field: "ops".into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for WorldgenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Params { field, message } => write!(f, "{field}: {message}"),
            Self::Override {
                index: Some(i),
                field,
                message,
            } if field.is_empty() => write!(f, "ops[{i}]: {message}"),
            Self::Override {
                index: Some(i),
                field,
                message,
            } => write!(f, "ops[{i}].{field}: {message}"),
            Self::Override {
                index: None,
                field,
                message,
            } => write!(f, "{field}: {message}"),
            Self::Document(message) => write!(f, "world document: {message}"),
        }
    }
}

impl std::error::Error for WorldgenError {}
