"""WebSocket serving: pacai's RFC 6455 codec (Rust) behind a uvicorn protocol class."""
