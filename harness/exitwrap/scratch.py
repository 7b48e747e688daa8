"""Private temporary directories, made and removed without tempfile and shutil.

Every matrix run makes two (its cells' HOME and their working directories)
and removes them at its end. Importing tempfile and shutil for that cost
4.8 ms of a one-cell run's start on a 2-core machine (they bring random,
weakref, fnmatch, bz2 and lzma); these few lines do the same for a
directory that only this process and its children write to; the package
makes its temporary directories here. A temporary file (mkstemp,
TemporaryFile, on a cache miss or a Wine call) still comes from tempfile.
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
    return _tempfiles_choice()


def _tempfiles_choice() -> str:
    """Where tempfile would make it: the first usual place it can write to."""
    import tempfile  # noqa: PLC0415  (only when the usual place will not do)

    return tempfile.gettempdir()


def make_directory(prefix: str, parent: str | None = None) -> str:
    """A new directory only its owner may use (0700), as ``tempfile.mkdtemp``; its absolute
    path. Without a parent: where tempfile would make it (a TMPDIR that cannot be written
    to is passed over, as tempfile passes it over)."""
    root = parent or _temporary_root()
    for _ in range(_ATTEMPTS):
        path = os.path.join(root, prefix + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError:
            fallback = _tempfiles_choice()
            if parent is not None or root == fallback:
                raise
            root = fallback
            continue
        return os.path.abspath(path)
    raise FileExistsError(f"{root}: no free name for a directory {prefix}*")


_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
# where the calls a walk by file descriptor needs take one (not on Windows)
_BY_DESCRIPTOR = {
    os.open,
    os.unlink,
    os.rmdir,
} <= os.supports_dir_fd and os.scandir in os.supports_fd


def remove_tree(path: str) -> None:
    """Remove path and what is under it, as much as can be removed, and never fail
    (``shutil.rmtree(path, ignore_errors=True)``).

    Like rmtree, it walks by file descriptor: each directory is opened relative to its
    parent without following a link, so a link put in a directory's place while the tree
    is removed (a cell's background process may still be writing) is never followed, and
    paths deeper than PATH_MAX are removed too.
    """
    if not _BY_DESCRIPTOR:
        import shutil  # noqa: PLC0415  (no descriptor-relative calls: rmtree's own way)

        shutil.rmtree(path, ignore_errors=True)
        return
    try:
        fd = os.open(path, _DIRECTORY)
    except OSError:  # a link, a file, or nothing: no tree to walk
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    try:
        _remove_contents(fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def _remove_contents(directory: int) -> None:
    entries: list[os.DirEntry[str]] = []
    with contextlib.suppress(OSError), os.scandir(directory) as found:
        entries = list(found)
    for entry in entries:
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.name, dir_fd=directory)
                continue
            inner = os.open(entry.name, _DIRECTORY, dir_fd=directory)
            try:
                _remove_contents(inner)
            finally:
                os.close(inner)
            os.rmdir(entry.name, dir_fd=directory)


@contextlib.contextmanager
def temporary_directory(prefix: str, parent: str | None = None) -> Iterator[str]:
    """A new private directory for the block, removed after it (``tempfile.TemporaryDirectory``
    that never fails to clean up)."""
    path = make_directory(prefix, parent)
    try:
        yield path
    finally:
        remove_tree(path)
