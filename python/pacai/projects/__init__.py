"""Projects, deterministic world generation and live overrides (CONTRACT §5)."""
