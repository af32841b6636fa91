//! Python bindings for world generation: the one place where `WorldgenError` becomes a
//! Python exception. Generation and overrides run with the GIL released (they take
//! milliseconds and the server is async); inputs are immutable `bytes`.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict};

use super::WorldgenError;

create_exception!(
    pacai._core,
    WorldParamsError,
    PyValueError,
    "A seed or world parameter is invalid; `field` names it, `message` says why."
);
create_exception!(
    pacai._core,
    OverrideError,
    PyValueError,
    "An override op is invalid; nothing was applied. `index` is the op's position (None when the list itself is wrong), `field` the path inside the op."
);
create_exception!(
    pacai._core,
    WorldDocumentError,
    PyValueError,
    "The world bytes are not a document this engine wrote."
);

fn to_py(py: Python<'_>, err: WorldgenError) -> PyErr {
    let text = err.to_string();
    match err {
        WorldgenError::Params { field, message } => {
            let e = WorldParamsError::new_err(text);
            let value = e.value(py);
            if let Err(failed) = value
                .setattr("field", field)
                .and_then(|()| value.setattr("message", message))
            {
                return failed;
            }
            e
        }
        WorldgenError::Override {
            index,
            field,
            message,
        } => {
            let e = OverrideError::new_err(text);
            let value = e.value(py);
            if let Err(failed) = value
                .setattr("index", index)
                .and_then(|()| value.setattr("field", field))
                .and_then(|()| value.setattr("message", message))
            {
                return failed;
            }
            e
        }
        WorldgenError::Document(_) => WorldDocumentError::new_err(text),
    }
}

fn seed_from(py: Python<'_>, seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    let bad = || {
        to_py(
            py,
            WorldgenError::params("seed", "must be an integer from 0 to 9223372036854775807"),
        )
    };
    if seed.is_instance_of::<PyBool>() {
        return Err(bad());
    }
    let value: u64 = seed.extract().map_err(|_| bad())?;
    super::params::check_seed(value).map_err(|e| to_py(py, e))
}

/// Validates params JSON, fills defaults, returns the canonical params object.
#[pyfunction]
fn normalize_params<'py>(py: Python<'py>, params_json: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let out = super::normalize_params(params_json).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &out))
}

/// (canonical world bytes, checksum, summary {"tiles", "pois", "entities", "factions"}).
#[pyfunction]
fn generate_world<'py>(
    py: Python<'py>,
    seed: &Bound<'py, PyAny>,
    params_json: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, String, Bound<'py, PyDict>)> {
    let seed = seed_from(py, seed)?;
    let generated = py
        .detach(|| super::generate(seed, params_json))
        .map_err(|e| to_py(py, e))?;
    let summary = PyDict::new(py);
    summary.set_item("tiles", generated.summary.tiles)?;
    summary.set_item("pois", generated.summary.pois)?;
    summary.set_item("entities", generated.summary.entities)?;
    summary.set_item("factions", generated.summary.factions)?;
    Ok((
        PyBytes::new(py, &generated.world),
        generated.checksum,
        summary,
    ))
}

/// (new world bytes, checksum, changes JSON); all ops or none.
#[pyfunction]
fn apply_overrides<'py>(
    py: Python<'py>,
    world: &[u8],
    ops_json: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, String, Bound<'py, PyBytes>)> {
    let applied = py
        .detach(|| super::apply_overrides(world, ops_json))
        .map_err(|e| to_py(py, e))?;
    Ok((
        PyBytes::new(py, &applied.world),
        applied.checksum,
        PyBytes::new(py, &applied.changes),
    ))
}

/// "sha256:" + hex of the given bytes (the world checksum of canonical world bytes).
#[pyfunction]
fn world_checksum(py: Python<'_>, world: &[u8]) -> String {
    py.detach(|| super::checksum(world))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ENGINE_VERSION", super::ENGINE_VERSION)?;
    m.add("BIOMES", super::BIOMES.to_vec())?;
    m.add("WEATHER_CONDITIONS", super::WEATHER_CONDITIONS.to_vec())?;
    m.add("ENTITY_TYPES", super::ENTITY_TYPES.to_vec())?;
    m.add("TILE_TYPES", super::TILE_TYPES.to_vec())?;
    m.add("POI_KINDS", super::POI_KINDS.to_vec())?;
    m.add("BEHAVIOUR_MODES", super::BEHAVIOUR_MODES.to_vec())?;
    m.add("MISSION_KINDS", super::MISSION_KINDS.to_vec())?;
    m.add("FACTION_STANCES", super::STANCES.to_vec())?;
    m.add("OVERRIDE_OPS", super::OPS.to_vec())?;
    m.add("MAX_ENTITIES", super::MAX_ENTITIES)?;
    m.add("MAX_OPS_PER_BATCH", super::MAX_OPS_PER_BATCH)?;
    m.add("WorldParamsError", py.get_type::<WorldParamsError>())?;
    m.add("OverrideError", py.get_type::<OverrideError>())?;
    m.add("WorldDocumentError", py.get_type::<WorldDocumentError>())?;
    m.add_function(wrap_pyfunction!(normalize_params, m)?)?;
    m.add_function(wrap_pyfunction!(generate_world, m)?)?;
    m.add_function(wrap_pyfunction!(apply_overrides, m)?)?;
    m.add_function(wrap_pyfunction!(world_checksum, m)?)?;
    Ok(())
}
