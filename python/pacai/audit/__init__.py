"""The audit trail: hash-chained, Ed25519-signed events in PostgreSQL and JSON Lines files."""
