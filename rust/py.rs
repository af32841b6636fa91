//! The `pacai._core` extension module: the one place that lists every export.

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::build_info::VERSION)?;
    m.add("build_profile", crate::build_info::profile())?;
    crate::canonical::py::register(m)?;
    crate::export::py::register(m)?;
    crate::jwt::py::register(m)?;
    crate::sign::py::register(m)?;
    crate::worldgen::py::register(m)?;
    crate::ws::py::register(m)?;
    crate::ratelimit::py::register(m)?;
    Ok(())
}
