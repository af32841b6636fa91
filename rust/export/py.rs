//! Python bindings for the exporters: the one place where `ExportError` becomes a Python
//! exception. Encoding runs with the GIL released on immutable `bytes` (a 512x512 world
//! takes tens to hundreds of milliseconds).

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::ExportError as Failure;

create_exception!(
    pacai._core,
    ExportError,
    PyValueError,
    "A world cannot be exported or an archive cannot be written; `kind` is \"document\", \"engine\" or \"archive\"."
);

fn to_py(py: Python<'_>, err: Failure) -> PyErr {
    let kind = match &err {
        Failure::Document(_) => "document",
        Failure::UnknownEngine(_) => "engine",
        Failure::Archive(_) => "archive",
    };
    let e = ExportError::new_err(err.to_string());
    if let Err(failed) = e.value(py).setattr("kind", kind) {
        return failed;
    }
    e
}

fn files_to_py<'py>(
    py: Python<'py>,
    files: Vec<(String, Vec<u8>)>,
) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PyTuple>> = files
        .into_iter()
        .map(|(path, data)| {
            PyTuple::new(
                py,
                [
                    path.into_pyobject(py)?.into_any(),
                    PyBytes::new(py, &data).into_any(),
                ],
            )
        })
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}

/// The nine engines: [{"id", "name", "format_version", "files"}] (CONTRACT §9.1).
#[pyfunction]
fn export_engines(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let items: Vec<Bound<'_, PyDict>> = super::ENGINES
        .iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("id", e.id)?;
            d.set_item("name", e.name)?;
            d.set_item("format_version", e.format_version)?;
            d.set_item("files", e.files.to_vec())?;
            Ok(d)
        })
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}

/// [(path, bytes)] of an engine's import files for a world document.
#[pyfunction]
fn export_engine_files<'py>(
    py: Python<'py>,
    world: &[u8],
    engine: &str,
) -> PyResult<Bound<'py, PyList>> {
    let files = py
        .detach(|| super::engine_files(world, engine))
        .map_err(|e| to_py(py, e))?;
    files_to_py(py, files)
}

/// [("world.json", ...), ("entities.json", ...), ("narrative.json", ...)], canonical JSON.
#[pyfunction]
fn export_document_files<'py>(py: Python<'py>, world: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let files = py
        .detach(|| super::document_files(world))
        .map_err(|e| to_py(py, e))?;
    files_to_py(py, files)
}

/// A deterministic ZIP of [(path, bytes)], in the order given.
#[pyfunction]
#[pyo3(signature = (entries, *, stored_alignment=None))]
fn zip_archive<'py>(
    py: Python<'py>,
    entries: Vec<(String, PyBackedBytes)>,
    stored_alignment: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let method = match stored_alignment {
        Some(align) if (1..=4096).contains(&align) => super::zip::Method::Stored { align },
        Some(_) => {
            return Err(to_py(
                py,
                Failure::archive("stored_alignment must be from 1 to 4096"),
            ))
        }
        None => super::zip::Method::Auto,
    };
    let out = py
        .detach(|| super::zip::write(&entries, method))
        .map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &out))
}

/// The world's terrain and markers as glTF 2.0 binary.
#[pyfunction]
fn export_glb<'py>(py: Python<'py>, world: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.detach(|| super::glb(world)).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &out))
}

/// The world as a USDZ package.
#[pyfunction]
fn export_usdz<'py>(py: Python<'py>, world: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.detach(|| super::usdz(world)).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &out))
}

/// A 16-bit grayscale PNG from little-endian uint16 samples, row 0 at the top.
#[pyfunction]
fn png_gray16<'py>(
    py: Python<'py>,
    width: usize,
    height: usize,
    samples_le: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let out = py
        .detach(|| {
            let samples: Vec<u16> = samples_le
                .chunks_exact(2)
                .map(|p| {
                    u16::from_le_bytes([
                        p.first().copied().unwrap_or(0),
                        p.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            if samples_le.len() % 2 != 0 {
                return Err(Failure::archive("samples must be whole uint16 values"));
            }
            super::png_gray16(width, height, &samples)
        })
        .map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("EXPORT_FORMAT_VERSION", super::FORMAT_VERSION)?;
    m.add("ExportError", py.get_type::<ExportError>())?;
    m.add_function(wrap_pyfunction!(export_engines, m)?)?;
    m.add_function(wrap_pyfunction!(export_engine_files, m)?)?;
    m.add_function(wrap_pyfunction!(export_document_files, m)?)?;
    m.add_function(wrap_pyfunction!(zip_archive, m)?)?;
    m.add_function(wrap_pyfunction!(export_glb, m)?)?;
    m.add_function(wrap_pyfunction!(export_usdz, m)?)?;
    m.add_function(wrap_pyfunction!(png_gray16, m)?)?;
    Ok(())
}
