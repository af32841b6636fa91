"""The live channel: /v5/ws, JWT-authenticated project channels (CONTRACT §6)."""
