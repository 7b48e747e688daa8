"""The database file and every lock wait's bound, shared by the spool and the store.

Standard library only (os): the spool is on exitwrap's hot path.
"""

from __future__ import annotations

import os

BUSY_TIMEOUT_S = 10.0  # every lock wait's bound (the database's too): as Slurm's MessageTimeout
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def open_creating(path: str, flags: int) -> int:
    """Open the database file, creating it 0600 (and its directory 0700) when missing; an
    existing one keeps its mode (a shared database its administrator set up)."""
    flags |= os.O_CREAT | FLAGS
    try:
        return os.open(path, flags, PRIVATE_FILE)
    except FileNotFoundError:  # its directory is missing too
        os.makedirs(os.path.dirname(os.path.abspath(path)), PRIVATE_DIR, exist_ok=True)
        return os.open(path, flags, PRIVATE_FILE)
