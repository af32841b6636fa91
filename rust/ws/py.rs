//! Python bindings for the WebSocket codec: one `FrameDecoder` per connection that returns
//! whole messages, encoders that build a server frame in one allocation, and the handshake.

use super::decoder::{Decoder, Frame};
use super::encoder::{check_frame, close_payload, frame_header, EncodeError};
use super::{handshake, opcode, ProtocolError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

/// A peer violated RFC 6455; close the connection with `code`.
#[pyclass(extends = PyValueError, module = "pacai._core", frozen)]
pub struct WebSocketProtocolError {
    #[pyo3(get)]
    code: u16,
    #[pyo3(get)]
    reason: String,
}

#[pymethods]
impl WebSocketProtocolError {
    #[new]
    fn new(code: u16, reason: String) -> Self {
        Self { code, reason }
    }

    fn __str__(&self) -> String {
        format!("{}: {}", self.code, self.reason)
    }
}

/// An upgrade request that cannot be accepted; answer with HTTP `status`.
#[pyclass(extends = PyValueError, module = "pacai._core", frozen)]
pub struct WebSocketHandshakeError {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    reason: String,
}

#[pymethods]
impl WebSocketHandshakeError {
    #[new]
    fn new(status: u16, reason: String) -> Self {
        Self { status, reason }
    }

    fn __str__(&self) -> String {
        format!("{}: {}", self.status, self.reason)
    }
}

fn protocol_error(py: Python<'_>, err: &ProtocolError) -> PyErr {
    match py
        .get_type::<WebSocketProtocolError>()
        .call1((err.code, err.reason))
    {
        Ok(instance) => PyErr::from_value(instance),
        Err(failed) => failed,
    }
}

fn handshake_error(py: Python<'_>, err: &handshake::HandshakeError) -> PyErr {
    match py
        .get_type::<WebSocketHandshakeError>()
        .call1((err.status, err.reason))
    {
        Ok(instance) => PyErr::from_value(instance),
        Err(failed) => failed,
    }
}

fn encode_error(err: EncodeError) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// Incremental decoder for the frames of one client connection.
#[pyclass(module = "pacai._core")]
pub struct FrameDecoder {
    inner: Decoder,
    scratch: Vec<Frame>,
}

#[pymethods]
impl FrameDecoder {
    #[new]
    #[pyo3(signature = (max_message_size = 65536))]
    fn new(max_message_size: u64) -> Self {
        Self {
            inner: Decoder::new(max_message_size),
            scratch: Vec::new(),
        }
    }

    /// Decodes a chunk; returns `(opcode, payload)` for every message and control frame it
    /// completes (text payloads as `str`, others as `bytes`). Frames completed before a
    /// violation are returned first; the error is raised when there is nothing to return.
    fn feed<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let mut frames = std::mem::take(&mut self.scratch);
        let result = self.inner.feed(data, &mut frames);
        if let Err(err) = result {
            if frames.is_empty() {
                self.scratch = frames;
                return Err(protocol_error(py, &err));
            }
        }
        let list = PyList::empty(py);
        for frame in frames.drain(..) {
            let op = frame.opcode();
            let payload = match frame {
                Frame::Text(text) => PyString::new(py, &text).into_any(),
                Frame::Binary(data)
                | Frame::Ping(data)
                | Frame::Pong(data)
                | Frame::Close(data) => PyBytes::new(py, &data).into_any(),
            };
            list.append(PyTuple::new(
                py,
                [op.into_pyobject(py)?.into_any(), payload],
            )?)?;
        }
        self.scratch = frames;
        Ok(list)
    }

    /// The violation that stopped the decoder, or None.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.inner
            .error()
            .map(|err| protocol_error(py, err).into_value(py).into_any())
    }

    /// True once a close frame was decoded (later bytes are ignored).
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    #[getter]
    fn max_message_size(&self) -> u64 {
        self.inner.max_message_size()
    }

    /// Bytes of unfinished frames and messages held in memory.
    #[getter]
    fn buffered(&self) -> usize {
        self.inner.buffered()
    }
}

/// Writes header + payload into one new `bytes` object.
fn frame_bytes<'py>(
    py: Python<'py>,
    op: u8,
    payload: &[u8],
    fin: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    check_frame(op, payload.len(), fin).map_err(encode_error)?;
    let (header, used) = frame_header(op, fin, payload.len());
    let header = header.get(..used).unwrap_or_default();
    PyBytes::new_with(py, header.len() + payload.len(), |buf| {
        let (head, body) = buf.split_at_mut(header.len());
        head.copy_from_slice(header);
        body.copy_from_slice(payload);
        Ok(())
    })
}

/// One unmasked server frame. Text payloads must be UTF-8 (not checked).
#[pyfunction]
#[pyo3(signature = (opcode, payload, fin = true))]
fn encode_frame<'py>(
    py: Python<'py>,
    opcode: u8,
    payload: &[u8],
    fin: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    frame_bytes(py, opcode, payload, fin)
}

/// A whole text message as one frame.
#[pyfunction]
fn encode_text<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyBytes>> {
    frame_bytes(py, opcode::TEXT, text.as_bytes(), true)
}

/// A whole binary message as one frame.
#[pyfunction]
fn encode_binary<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    frame_bytes(py, opcode::BINARY, data, true)
}

/// A close frame; the reason is cut to 123 bytes at a character boundary. ValueError for
/// a code that may not be sent (1004-1006, 1015, 1016-2999, outside 1000-4999).
#[pyfunction]
#[pyo3(signature = (code, reason = ""))]
fn encode_close<'py>(py: Python<'py>, code: u16, reason: &str) -> PyResult<Bound<'py, PyBytes>> {
    let payload = close_payload(code, reason).map_err(encode_error)?;
    frame_bytes(py, opcode::CLOSE, &payload, true)
}

/// `Sec-WebSocket-Accept` for a key; ValueError unless the key is base64 of 16 bytes.
#[pyfunction]
fn websocket_accept(key: &str) -> PyResult<String> {
    handshake::accept_key(key).map_err(|err| PyValueError::new_err(err.reason))
}

/// A validated upgrade request.
#[pyclass(module = "pacai._core", frozen, get_all)]
pub struct UpgradeRequest {
    method: String,
    target: String,
    headers: Py<PyList>,
    subprotocols: Vec<String>,
    accept: String,
}

/// Parses and validates an HTTP/1.1 upgrade request head; raises WebSocketHandshakeError.
#[pyfunction]
fn parse_upgrade_request(py: Python<'_>, head: &[u8]) -> PyResult<UpgradeRequest> {
    let request = handshake::parse_upgrade_request(head).map_err(|e| handshake_error(py, &e))?;
    let headers = PyList::empty(py);
    for (name, value) in &request.headers {
        headers.append((PyBytes::new(py, name), PyBytes::new(py, value)))?;
    }
    Ok(UpgradeRequest {
        method: request.method,
        target: request.target,
        headers: headers.unbind(),
        subprotocols: request.subprotocols,
        accept: request.accept,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WebSocketProtocolError>()?;
    m.add_class::<WebSocketHandshakeError>()?;
    m.add_class::<FrameDecoder>()?;
    m.add_class::<UpgradeRequest>()?;
    m.add_function(wrap_pyfunction!(encode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(encode_text, m)?)?;
    m.add_function(wrap_pyfunction!(encode_binary, m)?)?;
    m.add_function(wrap_pyfunction!(encode_close, m)?)?;
    m.add_function(wrap_pyfunction!(websocket_accept, m)?)?;
    m.add_function(wrap_pyfunction!(parse_upgrade_request, m)?)?;
    Ok(())
}
