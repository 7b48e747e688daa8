"""The user's cache directory, where built probes, Wine's prefix and found versions live."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$EXITWRAP_CACHE``, else ``$XDG_CACHE_HOME/exitwrap``, else ``~/.cache/exitwrap``."""
    explicit = os.environ.get("EXITWRAP_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "exitwrap"
