"""Shell versions remembered across runs, so finding the shells costs nothing the second time.

Asking a shell its version means running it, and for shells without a
version flag (dash, posh) asking the package manager: about 200 ms for the
whole catalog on every run. Each answer is kept in ``versions.json`` in the
user's cache directory, keyed by what asked it (the shell's name and how its
version is read) and the binary's resolved path, and valid while the binary's
size, mtime, inode and device are unchanged: an upgrade or a rebuild replaces
the file, and the next run asks again. The file is replaced atomically, so a
concurrent run reads the old or the new one, never half of either; two runs
that learn something at once may each keep only their own news, which the
next run learns again. Writing it drops the answers for binaries that are
gone or changed: a user's NAME=/path shells and a test suite's temporary
ones would otherwise pile up, and every run reads the whole file (a
cache of 428 entries, 410 of them for binaries long gone, cost 1 ms a run).
"""

from __future__ import annotations

import json
import os

from exitwrap.cache import cache_dir
from exitwrap.shells.spec import ShellSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, TypeGuard

FILE = "versions.json"
FORMAT = 1

Answer = tuple[str, str]  # (version, why the binary is not this shell)


def _key(spec: ShellSpec, path: str) -> str:
    asked = [spec.name, *spec.prefix_args, *spec.version_args, spec.version_pattern]
    return "\0".join([*asked, spec.identity_pattern, os.path.realpath(path)])


def _identity(path: str) -> Optional[list[int]]:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino, found.st_dev]


# the file as this process last read it, under what identified it then: a run asks per shell
_LAST_READ: dict[tuple[int, ...], dict[str, dict[str, object]]] = {}


def _load() -> dict[str, dict[str, object]]:
    path = os.path.join(cache_dir(), FILE)
    identity = tuple(_identity(path) or ())
    if identity in _LAST_READ:
        return dict(_LAST_READ[identity])
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    _LAST_READ.clear()
    if identity:
        _LAST_READ[identity] = entries
    return dict(entries)


def recall(spec: ShellSpec, path: str) -> Optional[Answer]:
    """The answer kept for this binary, while the binary is the one it was asked of."""
    key = _key(spec, path)
    entry = _load().get(key)
    if not _still_valid(entry, key):
        return None
    version, problem = entry.get("version"), entry.get("problem")
    return (version, problem) if isinstance(version, str) and isinstance(problem, str) else None


def _still_valid(entry: object, key: str) -> TypeGuard[dict[str, object]]:
    """Whether an entry is still about the binary its key names, as that binary is now."""
    binary = key.rsplit("\0", 1)[-1]  # the key ends with the binary's resolved path
    return isinstance(entry, dict) and entry.get("binary") == _identity(binary)


def remember(spec: ShellSpec, path: str, answer: Answer) -> None:
    """Keep an answer; a cache that cannot be written is simply not kept."""
    identity = _identity(path)
    if identity is None:
        return
    entries = {key: entry for key, entry in _load().items() if _still_valid(entry, key)}
    entries[_key(spec, path)] = {"binary": identity, "version": answer[0], "problem": answer[1]}
    directory = cache_dir()
    try:
        os.makedirs(directory, exist_ok=True)
        import tempfile  # noqa: PLC0415  (only when an answer is new; most runs never import it)

        fd, temporary = tempfile.mkstemp(prefix=".versions-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump({"format": FORMAT, "entries": entries}, stream)
            os.replace(temporary, os.path.join(directory, FILE))
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return
