"""Platform names as reports use them: linux, macos, windows, and wine (cmd on Linux)."""

from __future__ import annotations

import os
import sys
import threading

PLATFORMS = ("linux", "macos", "windows", "wine")


def host_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return sys.platform


def threads_running() -> int:
    """Every thread of this process: Linux counts them all (a test runner's own among them);
    elsewhere only Python's are known. Forking is safe only while this is 1."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()
