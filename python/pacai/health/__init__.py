"""Health endpoints (CONTRACT §2)."""
