//! Python bindings for the token codec: `TokenCodec` and `TokenError`.

use super::{Algorithm, CodecConfig, ConfigError, SignError, TokenCodec, MAX_TOKEN_BYTES};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

create_exception!(
    pacai._core,
    TokenError,
    PyValueError,
    "A token was refused. `reason` is one short word saying why (see TokenCodec.verify)."
);

/// Deepest nesting accepted in claims given to `sign` (a self-containing dict would
/// otherwise recurse for ever).
const MAX_CLAIMS_DEPTH: usize = 32;

/// Largest integer a JSON float is turned back into a Python int from (2^53).
const EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

fn token_error(py: Python<'_>, err: super::TokenError) -> PyErr {
    let exc = TokenError::new_err(err.to_string());
    // Setting an attribute on a fresh exception instance cannot fail in practice; if it
    // did, the error is still a TokenError, so there is nothing better to do.
    let _ = exc.value(py).setattr(intern!(py, "reason"), err.reason());
    exc
}

fn config_error(err: ConfigError) -> PyErr {
    PyValueError::new_err(err.0)
}

fn sign_error(err: SignError) -> PyErr {
    PyValueError::new_err(err.0)
}

/// Signs and verifies access tokens (CONTRACT §3.8).
#[pyclass(frozen, module = "pacai._core", name = "TokenCodec")]
pub struct PyTokenCodec {
    inner: TokenCodec,
}

#[pymethods]
impl PyTokenCodec {
    #[new]
    #[pyo3(signature = (
        algorithm, keys, signing_kid, issuer, audience, leeway_seconds = 30,
        max_token_bytes = 8192
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        algorithm: &str,
        keys: Vec<(String, Bound<'_, PyBytes>)>,
        signing_kid: Option<&str>,
        issuer: &str,
        audience: &str,
        leeway_seconds: i64,
        max_token_bytes: i64,
    ) -> PyResult<Self> {
        let max_token_bytes = usize::try_from(max_token_bytes).map_err(|_| {
            PyValueError::new_err(format!(
                "max_token_bytes must be 1..{MAX_TOKEN_BYTES}, not {max_token_bytes}"
            ))
        })?;
        let key_refs: Vec<(&str, &[u8])> = keys
            .iter()
            .map(|(kid, bytes)| (kid.as_str(), bytes.as_bytes()))
            .collect();
        let config = CodecConfig {
            algorithm,
            keys: &key_refs,
            signing_kid,
            issuer,
            audience,
            leeway_seconds,
            max_token_bytes,
        };
        let inner = TokenCodec::new(&config).map_err(config_error)?;
        Ok(Self { inner })
    }

    /// `"HS256"` or `"EdDSA"`.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    /// The kid new tokens carry, or None for a verify-only codec.
    #[getter]
    fn signing_kid(&self) -> Option<&str> {
        self.inner.signing_kid()
    }

    /// Whether `sign` works (False for a verify-only codec or a public-only signing key).
    #[getter]
    fn can_sign(&self) -> bool {
        self.inner.can_sign()
    }

    /// All configured kids, in configuration order.
    #[getter]
    fn kids(&self) -> Vec<&str> {
        self.inner.kids().collect()
    }

    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    #[getter]
    fn audience(&self) -> &str {
        self.inner.audience()
    }

    #[getter]
    fn leeway_seconds(&self) -> i64 {
        self.inner.leeway_seconds()
    }

    #[getter]
    fn max_token_bytes(&self) -> usize {
        self.inner.max_token_bytes()
    }

    /// A compact JWS for `claims` (which must hold the required claims with their types).
    fn sign(&self, claims: &Bound<'_, PyDict>) -> PyResult<String> {
        let claims = dict_to_value(claims, 0)?;
        self.inner.sign(&claims).map_err(sign_error)
    }

    /// `header.payload` as ASCII bytes, for an external signer.
    fn signing_input<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let claims = dict_to_value(claims, 0)?;
        let input = self.inner.signing_input(&claims).map_err(sign_error)?;
        Ok(PyBytes::new(py, input.as_bytes()))
    }

    /// `signing_input` + `.` + base64url(`signature`), after checking the signature.
    fn assemble(&self, signing_input: &[u8], signature: &[u8]) -> PyResult<String> {
        self.inner
            .assemble(signing_input, signature)
            .map_err(sign_error)
    }

    /// The claims of a valid token, or TokenError.
    #[pyo3(signature = (token, now = None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let now = now.unwrap_or_else(super::now_unix);
        let result = if let Ok(text) = token.cast::<PyString>() {
            // A str longer than the limit in code points is longer in bytes too: refuse it
            // before asking Python for its UTF-8 form.
            if text.len()? > self.inner.max_token_bytes() {
                return Err(token_error(py, super::TokenError::TooLarge));
            }
            match text.to_str() {
                Ok(text) => self.verify_bytes(py, text.as_bytes(), now),
                // Lone surrogates have no UTF-8 form: not a token.
                Err(_) => Err(super::TokenError::Malformed("not ASCII")),
            }
        } else if let Ok(bytes) = token.cast::<PyBytes>() {
            self.verify_bytes(py, bytes.as_bytes(), now)
        } else {
            return Err(PyTypeError::new_err("token must be str or bytes"));
        };
        match result {
            Ok(claims) => map_to_dict(py, &claims),
            Err(err) => Err(token_error(py, err)),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let kids = PyList::new(py, self.inner.kids())?;
        let repr =
            |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_str()?.to_owned()) };
        let signing_kid = match self.inner.signing_kid() {
            Some(kid) => repr(kid)?,
            None => "None".to_owned(),
        };
        Ok(format!(
            "TokenCodec(algorithm={}, kids={}, signing_kid={signing_kid}, issuer={}, audience={})",
            repr(self.inner.algorithm().name())?,
            kids.repr()?.to_str()?,
            repr(self.inner.issuer())?,
            repr(self.inner.audience())?,
        ))
    }
}

impl PyTokenCodec {
    fn verify_bytes(
        &self,
        py: Python<'_>,
        token: &[u8],
        now: i64,
    ) -> Result<Map<String, Value>, super::TokenError> {
        match self.inner.algorithm() {
            // An Ed25519 check takes tens of microseconds: let other threads run meanwhile.
            Algorithm::EdDsa => py.detach(|| self.inner.verify(token, now)),
            Algorithm::Hs256 => self.inner.verify(token, now),
        }
    }
}

fn dict_to_value(dict: &Bound<'_, PyDict>, depth: usize) -> PyResult<Value> {
    let mut map = Map::new();
    for (key, item) in dict.iter() {
        let key = key
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("claim names must be str"))?
            .to_str()?
            .to_owned();
        map.insert(key, py_to_value(&item, depth + 1)?);
    }
    Ok(Value::Object(map))
}

fn py_to_value(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_CLAIMS_DEPTH {
        return Err(PyValueError::new_err("claims are nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: True is an int in Python.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::Number(v.into()));
        }
        if let Ok(v) = i.extract::<u64>() {
            return Ok(Value::Number(v.into()));
        }
        return Err(PyValueError::new_err(
            "a claim holds an integer outside the 64-bit range",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err("a claim holds a non-finite float"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict_to_value(d, depth);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list
            .iter()
            .map(|item| py_to_value(&item, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple
            .iter()
            .map(|item| py_to_value(&item, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(PyTypeError::new_err(format!(
        "a claim holds a {}, which is not JSON (use str, int, float, bool, None, list, dict)",
        obj.get_type().name()?
    )))
}

fn map_to_dict<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, item) in map {
        dict.set_item(key, value_to_py(py, item)?)?;
    }
    Ok(dict)
}

fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    // Nesting is bounded by serde_json's recursion limit, so this recursion is too.
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_dict(py, map)?.into_any(),
    })
}

/// Integers stay ints; a float with an integral value in the exact range becomes an int
/// too (`1800000000.0` -> `1800000000`), other floats stay floats.
fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any());
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() == 0.0 && f.abs() <= EXACT_FLOAT_INT {
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        return Ok(i.into_pyobject(py)?.into_any());
    }
    Ok(PyFloat::new(py, f).into_any())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyTokenCodec>()?;
    m.add("TokenError", py.get_type::<TokenError>())?;
    Ok(())
}
