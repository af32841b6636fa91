"""pacai: the PacAI v5 production backend."""

from pacai._core import __version__, build_profile

__all__ = ["__version__", "build_profile"]
