"""Logging, request context and error tracking."""
