//! Python bindings for the in-memory rate limiter.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyBool;

use super::{seconds_to_ns, Decision, MemoryLimiter, RateLimitError};

impl From<RateLimitError> for PyErr {
    fn from(err: RateLimitError) -> Self {
        PyValueError::new_err(err.to_string())
    }
}

fn ns_to_seconds(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// The answer to one rate-limited request (immutable).
///
/// One is made per request, so a free list recycles their memory. (`eq` is written out
/// below: PyO3 0.30 does not compile `eq` together with `freelist`.)
#[pyclass(frozen, freelist = 256, module = "pacai._core", name = "RateDecision")]
pub struct PyRateDecision {
    /// A Python object so that reading it, which every caller does, is a plain struct
    /// member access rather than a getter call.
    #[pyo3(get)]
    allowed: Py<PyBool>,
    #[pyo3(get)]
    limit: i64,
    #[pyo3(get)]
    remaining: i64,
    #[pyo3(get)]
    retry_after: f64,
    #[pyo3(get)]
    reset_after: f64,
    #[pyo3(get)]
    session_ok: Option<bool>,
}

impl PyRateDecision {
    fn from_decision(py: Python<'_>, d: Decision) -> Self {
        Self {
            allowed: PyBool::new(py, d.allowed).to_owned().unbind(),
            limit: d.limit,
            remaining: d.remaining,
            retry_after: ns_to_seconds(d.retry_after_ns),
            reset_after: ns_to_seconds(d.reset_after_ns),
            session_ok: None,
        }
    }
}

#[pymethods]
impl PyRateDecision {
    #[new]
    #[pyo3(signature = (allowed, limit, remaining, retry_after, reset_after, session_ok = None))]
    fn new(
        py: Python<'_>,
        allowed: bool,
        limit: i64,
        remaining: i64,
        retry_after: f64,
        reset_after: f64,
        session_ok: Option<bool>,
    ) -> PyResult<Self> {
        if limit < 1 || !(0..=limit).contains(&remaining) {
            return Err(PyValueError::new_err(
                "a decision needs limit >= 1 and 0 <= remaining <= limit",
            ));
        }
        let is_duration = |s: f64| s.is_finite() && s >= 0.0;
        if !is_duration(retry_after) || !is_duration(reset_after) {
            return Err(PyValueError::new_err(
                "retry_after and reset_after must be finite and >= 0",
            ));
        }
        Ok(Self {
            allowed: PyBool::new(py, allowed).to_owned().unbind(),
            limit,
            remaining,
            retry_after,
            reset_after,
            session_ok,
        })
    }

    fn __eq__(&self, other: &Self) -> bool {
        // True and False are singletons: the same value is the same object.
        self.allowed.is(&other.allowed)
            && self.limit == other.limit
            && self.remaining == other.remaining
            && self.retry_after == other.retry_after
            && self.reset_after == other.reset_after
            && self.session_ok == other.session_ok
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let session = match self.session_ok {
            None => "None",
            Some(true) => "True",
            Some(false) => "False",
        };
        format!(
            "RateDecision(allowed={}, limit={}, remaining={}, retry_after={:?}, reset_after={:?}, session_ok={})",
            if self.allowed.bind(py).is_true() { "True" } else { "False" },
            self.limit,
            self.remaining,
            self.retry_after,
            self.reset_after,
            session,
        )
    }
}

/// A thread-safe in-memory GCRA limiter with bounded memory.
#[pyclass(frozen, module = "pacai._core", name = "MemoryRateLimiter")]
pub struct PyMemoryRateLimiter {
    inner: MemoryLimiter,
}

impl PyMemoryRateLimiter {
    fn now_ns(&self, now: Option<f64>) -> PyResult<i64> {
        match now {
            Some(seconds) => Ok(seconds_to_ns(seconds)?),
            None => Ok(self.inner.clock_ns()),
        }
    }
}

#[pymethods]
impl PyMemoryRateLimiter {
    #[new]
    // Literal defaults (equal to DEFAULT_MAX_KEYS, DEFAULT_SHARDS) so the signature shows them.
    #[pyo3(signature = (max_keys = 1000000, shards = 64))]
    fn new(max_keys: usize, shards: usize) -> PyResult<Self> {
        Ok(Self {
            inner: MemoryLimiter::new(max_keys, shards)?,
        })
    }

    #[pyo3(signature = (key, limit_per_minute, cost = 1, now = None))]
    fn decide(
        &self,
        py: Python<'_>,
        key: &str,
        limit_per_minute: i64,
        cost: i64,
        now: Option<f64>,
    ) -> PyResult<PyRateDecision> {
        let now = self.now_ns(now)?;
        let decision = self.inner.decide_at(key, limit_per_minute, cost, now)?;
        Ok(PyRateDecision::from_decision(py, decision))
    }

    /// Decides each key in turn on the limiter's clock, without building a decision object
    /// per key, and returns how many were admitted. It measures the bucket itself, without
    /// the cost of one call through the binding per decision (benches/test_bench_ratelimit.py).
    #[pyo3(signature = (keys, limit_per_minute, cost = 1))]
    fn decide_each(
        &self,
        keys: Vec<PyBackedStr>,
        limit_per_minute: i64,
        cost: i64,
    ) -> PyResult<usize> {
        let mut admitted = 0;
        for key in &keys {
            if self.inner.decide(key, limit_per_minute, cost)?.allowed {
                admitted += 1;
            }
        }
        Ok(admitted)
    }

    #[pyo3(signature = (now = None))]
    fn sweep(&self, now: Option<f64>) -> PyResult<usize> {
        let now = self.now_ns(now)?;
        Ok(self.inner.sweep_at(now))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn max_keys(&self) -> usize {
        self.inner.max_keys()
    }

    fn __repr__(&self) -> String {
        format!(
            "MemoryRateLimiter(max_keys={}, shards={})",
            self.inner.max_keys(),
            self.inner.shard_count()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRateDecision>()?;
    m.add_class::<PyMemoryRateLimiter>()?;
    m.add("RATE_LIMIT_MAX_PER_MINUTE", super::MAX_LIMIT_PER_MINUTE)?;
    Ok(())
}
