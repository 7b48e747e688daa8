"""The Windows build of the probe child, for cmd and PowerShell on Windows and under Wine.

Wine's cmd cannot report a Linux child's exit code, so cmd's children are
Windows programs: fixtures/probe.c built with mingw-w64 (a cross compiler on
Linux, gcc or clang on Windows). Its ``_WIN32`` branch does ``exit N``
through ExitProcess, so a DWORD beyond 8 bits reaches the shell whole, and
``args``, for quoting round trips. Cached per source hash beside the POSIX
probe and published atomically, so concurrent builders never see half a
binary.
"""

from __future__ import annotations

import functools
import os
import sys

from exitwrap.cache import cache_dir, content_key
from exitwrap.errors import HarnessFailure
from exitwrap.observe.probe import _fixtures_dir, _publish, _read
from exitwrap.path_search import which
from exitwrap.scratch import temporary_directory

CROSS_COMPILERS = ("x86_64-w64-mingw32-gcc", "i686-w64-mingw32-gcc")
NATIVE_COMPILERS = ("gcc", "clang")
_BUILD_TIMEOUT_S = 120


def compiler() -> str:
    """The compiler that makes a Windows program here, or a failure that names what to install."""
    names = NATIVE_COMPILERS if sys.platform == "win32" else CROSS_COMPILERS
    for candidate in (os.environ.get("EXITWRAP_WINDOWS_CC", ""), *names):
        found = candidate and which(candidate)
        if found:
            return found
    raise HarnessFailure(
        f"no compiler for the Windows probe ({' or '.join(names)}; "
        "Debian: apt-get install gcc-mingw-w64-x86-64)"
    )


@functools.cache
def windows_probe() -> str:
    """Build probe.exe on first use (per source hash) and return its path."""
    source = os.path.join(_fixtures_dir(), "probe.c")
    home = os.path.join(cache_dir(), f"winprobe-{content_key(_read(source))}")
    target = os.path.join(home, "probe.exe")
    if os.path.isfile(target):
        return target
    import subprocess  # noqa: PLC0415  (only when building the probe; most runs never import it)

    os.makedirs(home, exist_ok=True)
    with temporary_directory(".build-", home) as staging:
        binary = os.path.join(staging, "probe.exe")
        try:
            done = subprocess.run(
                [compiler(), "-O2", "-std=c99", "-o", binary, source],
                capture_output=True,
                text=True,
                timeout=_BUILD_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HarnessFailure(f"building the Windows probe failed: {error}") from None
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise HarnessFailure(f"building the Windows probe failed: {first}")
        _publish(binary, target)
    return target
