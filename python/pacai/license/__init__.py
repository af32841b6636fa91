"""Licences: Ed25519-signed documents checked in the Rust core (CONTRACT §8)."""
