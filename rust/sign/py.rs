//! Python bindings for signatures, the audit chain and licences. Every `SignError` becomes
//! `pacai._core.SignatureError` (a `ValueError`) here and nowhere else.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::audit::{self, ChainReport, ChainStart};
use super::license::{self, format_utc, LicenseStatus as RustLicenseStatus};
use super::{is_sha256_tagged, keys, SignError};

create_exception!(
    pacai._core,
    SignatureError,
    PyValueError,
    "A malformed key, signed document or argument (not a failed verification)."
);

impl From<SignError> for PyErr {
    fn from(err: SignError) -> Self {
        SignatureError::new_err(err.to_string())
    }
}

fn key_ring(
    keys_by_id: HashMap<String, Vec<u8>>,
) -> Result<HashMap<String, VerifyingKey>, SignError> {
    keys_by_id
        .into_iter()
        .map(|(id, bytes)| {
            keys::parse_public_key(&bytes)
                .map(|k| (id.clone(), k))
                .map_err(|e| SignError::Key(format!("{id}: {e}")))
        })
        .collect()
}

/// `"sha256:" + hex(sha256(data))`.
#[pyfunction]
fn sha256_tagged(data: &[u8]) -> String {
    super::sha256_tagged(data)
}

/// The raw 32-byte public key of a public key given raw, as PEM SPKI or as DER SPKI.
#[pyfunction]
fn ed25519_public_key<'py>(py: Python<'py>, public_key: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let key = keys::parse_public_key(public_key)?;
    Ok(PyBytes::new(py, key.as_bytes()))
}

/// The raw 32-byte public key of a PKCS#8 private key (PEM or DER).
#[pyfunction]
fn ed25519_public_key_from_private<'py>(
    py: Python<'py>,
    private_key: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let key = keys::parse_private_key(private_key)?;
    Ok(PyBytes::new(py, key.verifying_key().as_bytes()))
}

/// A new PKCS#8 PEM private key from a 32-byte seed drawn by the caller (`os.urandom(32)`).
#[pyfunction]
fn ed25519_private_key_from_seed<'py>(
    py: Python<'py>,
    seed: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let pem = keys::private_key_pem_from_seed(seed)?;
    Ok(PyBytes::new(py, pem.as_bytes()))
}

/// The PEM SubjectPublicKeyInfo of a public key given raw, as PEM or as DER.
#[pyfunction]
fn ed25519_public_key_pem<'py>(
    py: Python<'py>,
    public_key: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let pem = keys::public_key_pem(public_key)?;
    Ok(PyBytes::new(py, pem.as_bytes()))
}

/// `"ed25519:" + first 16 hex digits of sha256(raw public key)`.
#[pyfunction]
fn ed25519_key_id(public_key: &[u8]) -> PyResult<String> {
    Ok(keys::key_id(&keys::parse_public_key(public_key)?))
}

/// The 64-byte Ed25519 signature of `message` by a PKCS#8 private key.
#[pyfunction]
fn ed25519_sign<'py>(
    py: Python<'py>,
    private_key: &[u8],
    message: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let key = keys::parse_private_key(private_key)?;
    Ok(PyBytes::new(py, &keys::sign(&key, message)))
}

/// Strict Ed25519 verification; False for any wrong signature, SignatureError for a
/// malformed key.
#[pyfunction]
fn ed25519_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> PyResult<bool> {
    let key = keys::parse_public_key(public_key)?;
    Ok(keys::verify_strict(&key, message, signature))
}

/// The `hash` of an audit entry (its `hash` and `sig` members are ignored).
#[pyfunction]
fn audit_entry_hash(entry_json: &[u8]) -> PyResult<String> {
    Ok(audit::entry_hash(entry_json)?)
}

/// The entry completed with `hash` and `sig` (canonical JSON) for a signature made over the
/// ASCII bytes of `audit_entry_hash(entry_json)` (by an HSM).
#[pyfunction]
fn audit_seal_entry<'py>(
    py: Python<'py>,
    entry_json: &[u8],
    signature: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &audit::seal_entry(entry_json, signature)?))
}

/// The entry hashed and signed with a PKCS#8 private key (`key_id` filled in if absent).
#[pyfunction]
fn audit_sign_entry<'py>(
    py: Python<'py>,
    entry_json: &[u8],
    private_key: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let key = keys::parse_private_key(private_key)?;
    Ok(PyBytes::new(py, &audit::sign_entry(entry_json, &key)?))
}

/// A Python-looking repr of an optional string (quoted, or None).
fn py_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), |s| format!("{s:?}"))
}

/// Result of `verify_audit_chain`.
#[pyclass(frozen, module = "pacai._core", get_all)]
struct AuditChainReport {
    ok: bool,
    checked: u64,
    head_hash: Option<String>,
    first_bad_seq: Option<u64>,
    reason: Option<&'static str>,
}

#[pymethods]
impl AuditChainReport {
    /// The body of `GET /v5/audit/verify`: ok, checked, head_hash, first_bad_seq.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ok", self.ok)?;
        d.set_item("checked", self.checked)?;
        d.set_item("head_hash", &self.head_hash)?;
        d.set_item("first_bad_seq", self.first_bad_seq)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditChainReport(ok={}, checked={}, head_hash={}, first_bad_seq={}, reason={})",
            if self.ok { "True" } else { "False" },
            self.checked,
            py_opt(self.head_hash.as_deref()),
            self.first_bad_seq
                .map_or("None".to_string(), |s| s.to_string()),
            py_opt(self.reason),
        )
    }
}

impl From<ChainReport> for AuditChainReport {
    fn from(r: ChainReport) -> Self {
        Self {
            ok: r.ok,
            checked: r.checked,
            head_hash: r.head_hash,
            first_bad_seq: r.first_bad_seq,
            reason: r.reason,
        }
    }
}

/// Verifies audit entries in order, with the GIL released for the whole run.
#[pyfunction]
#[pyo3(signature = (entries, public_keys, start_prev_hash=None, start_seq=0, expected_head_hash=None))]
fn verify_audit_chain(
    py: Python<'_>,
    entries: Vec<Bound<'_, PyBytes>>,
    public_keys: HashMap<String, Vec<u8>>,
    start_prev_hash: Option<String>,
    start_seq: u64,
    expected_head_hash: Option<String>,
) -> PyResult<AuditChainReport> {
    let ring = key_ring(public_keys)?;
    let start = match start_prev_hash {
        None if start_seq == 0 => ChainStart::genesis(),
        None => {
            return Err(SignError::Argument(
                "start_prev_hash is required when start_seq is not 0".into(),
            )
            .into())
        }
        Some(h) if is_sha256_tagged(&h) => ChainStart {
            seq: start_seq,
            prev_hash: h,
        },
        Some(_) => {
            return Err(
                SignError::Argument("start_prev_hash must be sha256:<64 hex>".into()).into(),
            )
        }
    };
    let slices: Vec<&[u8]> = entries.iter().map(|b| b.as_bytes()).collect();
    let expected = expected_head_hash.as_deref();
    let report = py.detach(|| audit::verify_chain(&slices, &ring, &start, expected));
    Ok(report.into())
}

/// Result of `verify_license`. The payload fields are None when the state is `invalid`.
#[pyclass(frozen, module = "pacai._core", get_all)]
struct LicenseStatus {
    state: &'static str,
    reason: Option<String>,
    key_id: Option<String>,
    license_id: Option<String>,
    licensee: Option<String>,
    edition: Option<String>,
    seats: Option<u64>,
    features: Option<Vec<String>>,
    issued_at: Option<String>,
    not_before: Option<String>,
    expires_at: Option<String>,
    grace_days: Option<u32>,
    grace_until: Option<String>,
    hardware_id: Option<String>,
}

#[pymethods]
impl LicenseStatus {
    /// True for `valid` and `grace`: the states in which licensed features work.
    #[getter]
    fn usable(&self) -> bool {
        matches!(self.state, "valid" | "grace")
    }

    /// True when the licence names a hardware token.
    #[getter]
    fn hardware_bound(&self) -> bool {
        self.hardware_id.is_some()
    }

    fn __repr__(&self) -> String {
        format!(
            "LicenseStatus(state={}, license_id={}, expires_at={}, reason={})",
            py_opt(Some(self.state)),
            py_opt(self.license_id.as_deref()),
            py_opt(self.expires_at.as_deref()),
            py_opt(self.reason.as_deref()),
        )
    }
}

impl From<RustLicenseStatus> for LicenseStatus {
    fn from(s: RustLicenseStatus) -> Self {
        let p = s.payload;
        Self {
            state: s.state.as_str(),
            reason: s.reason,
            key_id: s.key_id,
            grace_until: p.as_ref().map(|p| format_utc(p.grace_until())),
            issued_at: p.as_ref().map(|p| format_utc(p.issued_at)),
            not_before: p.as_ref().map(|p| format_utc(p.not_before)),
            expires_at: p.as_ref().map(|p| format_utc(p.expires_at)),
            seats: p.as_ref().map(|p| p.seats),
            grace_days: p.as_ref().map(|p| p.grace_days),
            license_id: p.as_ref().map(|p| p.license_id.clone()),
            licensee: p.as_ref().map(|p| p.licensee.clone()),
            edition: p.as_ref().map(|p| p.edition.clone()),
            features: p.as_ref().map(|p| p.features.clone()),
            hardware_id: p.and_then(|p| p.hardware_id),
        }
    }
}

/// Verifies a licence document at `now` (Unix seconds) for the token `hardware_serial`.
#[pyfunction]
#[pyo3(signature = (document_json, vendor_keys, now, hardware_serial=None))]
fn verify_license(
    document_json: &[u8],
    vendor_keys: HashMap<String, Vec<u8>>,
    now: i64,
    hardware_serial: Option<&str>,
) -> PyResult<LicenseStatus> {
    let ring = key_ring(vendor_keys)?;
    Ok(license::verify(document_json, &ring, now, hardware_serial).into())
}

/// Signs a licence payload with a PKCS#8 private key; returns the whole document.
#[pyfunction]
fn sign_license<'py>(
    py: Python<'py>,
    payload_json: &[u8],
    private_key: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let key = keys::parse_private_key(private_key)?;
    Ok(PyBytes::new(py, &license::sign(payload_json, &key)?))
}

/// The canonical payload bytes an HSM signs for `assemble_license`.
#[pyfunction]
fn license_signing_input<'py>(
    py: Python<'py>,
    payload_json: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &license::signing_input(payload_json)?))
}

/// The licence document for a payload, a 64-byte signature and the signing key's id.
#[pyfunction]
fn assemble_license<'py>(
    py: Python<'py>,
    payload_json: &[u8],
    signature: &[u8],
    key_id: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(
        py,
        &license::assemble(payload_json, signature, key_id)?,
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SignatureError", m.py().get_type::<SignatureError>())?;
    m.add("GENESIS_HASH", audit::GENESIS_HASH)?;
    m.add("LICENSE_MAX_DOCUMENT_BYTES", license::MAX_DOCUMENT_BYTES)?;
    m.add_class::<AuditChainReport>()?;
    m.add_class::<LicenseStatus>()?;
    m.add_function(wrap_pyfunction!(sha256_tagged, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_public_key, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_public_key_from_private, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_key_id, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_private_key_from_seed, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_public_key_pem, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_verify, m)?)?;
    m.add_function(wrap_pyfunction!(audit_entry_hash, m)?)?;
    m.add_function(wrap_pyfunction!(audit_seal_entry, m)?)?;
    m.add_function(wrap_pyfunction!(audit_sign_entry, m)?)?;
    m.add_function(wrap_pyfunction!(verify_audit_chain, m)?)?;
    m.add_function(wrap_pyfunction!(verify_license, m)?)?;
    m.add_function(wrap_pyfunction!(sign_license, m)?)?;
    m.add_function(wrap_pyfunction!(license_signing_input, m)?)?;
    m.add_function(wrap_pyfunction!(assemble_license, m)?)?;
    Ok(())
}
