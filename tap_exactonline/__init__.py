"""tap-exactonline: a Singer tap for Exact Online, with its admin command and sandbox."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
