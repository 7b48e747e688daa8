"""Finding a command on PATH, as ``shutil.which`` does, without importing shutil.

Shell discovery looks every shell up on every run; shutil costs 2 ms to
import (fnmatch, bz2, lzma), more than all the look-ups. Windows' rules
(PATHEXT, the current directory first) are shutil's, imported there.
"""

from __future__ import annotations

import os


def which(command: str) -> str | None:
    """The path of the executable file command names (searched on PATH when it has no
    directory part), or None."""
    if os.name == "nt":
        import shutil  # noqa: PLC0415  (Windows' rules: see the module's note)

        return shutil.which(command)
    if os.path.dirname(command):
        return command if _executable(command) else None
    path = os.environ.get("PATH")
    if path is None:  # unset: the system's default, as shutil takes it
        path = _default_path()
    seen = set()
    for directory in path.split(os.pathsep) if path else ():
        if directory in seen:
            continue
        seen.add(directory)
        candidate = os.path.join(directory, command)
        if _executable(candidate):
            return candidate
    return None


def _default_path() -> str:
    try:
        return os.confstr("CS_PATH") or os.defpath
    except (AttributeError, ValueError):
        return os.defpath


def _executable(path: str) -> bool:
    return os.access(path, os.X_OK) and os.path.exists(path) and not os.path.isdir(path)
