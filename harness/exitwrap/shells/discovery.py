"""Finding a shell's binary and its exact version on this machine.

Some shells print no version (dash, posh): the package that owns the binary
is asked instead (dpkg, rpm, Homebrew), and failing that the version is
``unknown``. Nothing here guesses: a binary that does not identify as the
shell it was asked for is reported as such.
"""

from __future__ import annotations

import functools
import os
import re

from exitwrap.path_search import which
from exitwrap.shells import version_cache
from exitwrap.shells.spec import ShellSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

UNKNOWN = "unknown"
_TIMEOUT_S = 10


class NotRemembered(Exception):
    """A version was to come from the cache only, and the cache has none for this binary."""


def _output(argv: list[str]) -> Optional[str]:
    import subprocess  # noqa: PLC0415  (only when a version is not remembered; most runs never import it)

    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_TIMEOUT_S,
            env={**os.environ, "LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def locate(
    spec: ShellSpec,
    override: Optional[str] = None,
    *,
    ask_packages: bool = True,
    remembered_only: bool = False,
) -> tuple[Optional[str], str, str]:
    """(path, version, why absent): the binary to run, or None and the reason.

    A binary found on PATH must identify as the shell (``ksh`` may be mksh);
    one the user named with NAME=/path is taken as it is. Without
    ``ask_packages`` a shell with no version flag stays ``unknown`` rather than
    wait for the package manager (exitwrap --shell needs the binary, not that).
    ``remembered_only``: raise NotRemembered rather than ask a binary its version.
    """
    asking = {"ask_packages": ask_packages, "remembered_only": remembered_only}
    if override is not None:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            path = os.path.abspath(override)
            return path, version_of(spec, path, **asking)[0], ""
        return None, UNKNOWN, f"{override} is not an executable file"
    reasons = []
    for candidate in spec.candidates:
        found = which(candidate)
        if not found:
            reasons.append(f"{candidate} not found on PATH")
            continue
        version, problem = version_of(spec, found, **asking)
        if not problem:
            return found, version, ""
        reasons.append(problem)
    return None, UNKNOWN, "; ".join(reasons)


def _package_version(path: str) -> Optional[str]:
    """The version of the package that owns path, asked of dpkg, rpm or Homebrew."""
    real = os.path.realpath(path)
    candidates = dict.fromkeys([path, real, "/bin/" + os.path.basename(real)])
    if which("dpkg-query"):
        for candidate in candidates:
            owner = _output(["dpkg-query", "-S", candidate])
            if owner and ": " in owner and "no path found" not in owner:
                package = owner.split(":", 1)[0].strip()
                version = _output(["dpkg-query", "-W", "-f", "${Version}", package])
                if version:
                    return version.strip()
    if which("rpm"):
        version = _output(["rpm", "-qf", "--qf", "%{VERSION}-%{RELEASE}", real])
        if version and "not owned" not in version:
            return version.strip()
    if which("brew") and "/Cellar/" in real:
        return real.split("/Cellar/", 1)[1].split("/")[1]
    return None


@functools.cache
def version_of(
    spec: ShellSpec, path: str, *, ask_packages: bool = True, remembered_only: bool = False
) -> tuple[str, str]:
    """(version, problem): the exact version, and a reason when the binary is not this shell.

    Answers are remembered across runs while the binary is unchanged (version_cache.py).
    """
    if not ask_packages and not spec.version_args:
        return UNKNOWN, ""  # nothing to ask but the package manager, and it is not to be asked
    answer = version_cache.recall(spec, path)
    if answer is None and remembered_only:
        raise NotRemembered(path)
    if answer is None:
        answer = _ask(spec, path, ask_packages=ask_packages)
        if ask_packages or answer[0] != UNKNOWN:
            version_cache.remember(spec, path, answer)
    return answer


def _ask(spec: ShellSpec, path: str, *, ask_packages: bool) -> tuple[str, str]:
    package_version = _package_version if ask_packages else lambda _path: None
    if not spec.version_args:
        return package_version(path) or UNKNOWN, ""
    text = _output([path, *spec.prefix_args, *spec.version_args]) or ""
    if spec.identity_pattern and not re.search(spec.identity_pattern, text):
        return UNKNOWN, f"{path} does not identify as {spec.name}"
    match = re.search(spec.version_pattern, text, re.MULTILINE)
    if match:
        return match.group(1), ""
    return package_version(path) or UNKNOWN, ""
