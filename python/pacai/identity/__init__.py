"""Identity: users, passwords, access tokens, sessions, guards (CONTRACT §3)."""
