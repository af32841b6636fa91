//! Python bindings for canonical JSON.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Canonical (RFC 8785) bytes of a JSON document given as bytes.
#[pyfunction]
fn canonicalize_json<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let canon =
        super::canonicalize_bytes(data).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &canon))
}

/// True when the bytes are already canonical JSON.
#[pyfunction]
fn is_canonical_json(data: &[u8]) -> bool {
    super::is_canonical(data)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(canonicalize_json, m)?)?;
    m.add_function(wrap_pyfunction!(is_canonical_json, m)?)?;
    Ok(())
}
