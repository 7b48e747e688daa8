"""Platform names as reports use them: linux, macos, windows, and wine (cmd on Linux)."""

from __future__ import annotations

import sys

PLATFORMS = ("linux", "macos", "windows", "wine")


def host_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return sys.platform
