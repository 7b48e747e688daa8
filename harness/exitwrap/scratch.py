"""Private temporary directories, made and removed without tempfile and shutil.

Every matrix run makes two (its cells' HOME and their working directories)
and removes them at its end. Importing tempfile and shutil for that cost
4.8 ms of a one-cell run's start on a 2-core machine (they bring random,
weakref, fnmatch, bz2 and lzma); these few lines do the same for a
directory that only this process and its children write to. Code that
runs on a cache miss or a rare path keeps using tempfile and shutil.
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

_ATTEMPTS = 100  # names tried before giving up, as tempfile does


def _temporary_root() -> str:
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and os.path.isdir(value):
            return value
    if os.name == "posix" and os.path.isdir("/tmp"):
        return "/tmp"
    import tempfile  # noqa: PLC0415  (where no usual place exists: tempfile's own search)

    return tempfile.gettempdir()


def make_directory(prefix: str, parent: str | None = None) -> str:
    """A new directory only its owner may use (0700), as ``tempfile.mkdtemp``; its absolute
    path."""
    root = parent or _temporary_root()
    for _ in range(_ATTEMPTS):
        path = os.path.join(root, prefix + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return os.path.abspath(path)
    raise FileExistsError(f"{root}: no free name for a directory {prefix}*")


def remove_tree(path: str) -> None:
    """Remove path and what is under it, as much as can be removed: never following a link,
    and never failing (``shutil.rmtree(path, ignore_errors=True)``)."""
    if os.path.islink(path):  # scandir would list where it points
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    try:
        with os.scandir(path) as found:
            entries = list(found)
    except OSError:
        entries = []
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                remove_tree(entry.path)
            else:
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        os.rmdir(path)


@contextlib.contextmanager
def temporary_directory(prefix: str, parent: str | None = None) -> Iterator[str]:
    """A new private directory for the block, removed after it (``tempfile.TemporaryDirectory``
    that never fails to clean up)."""
    path = make_directory(prefix, parent)
    try:
        yield path
    finally:
        remove_tree(path)
