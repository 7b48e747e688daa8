"""The accounting's files, opened safely: the database file, its spool, and who may share them.

A file-based database is either **private** (the default: 0600 in a 0700
directory, its spool 0700 with 0600 files) or **shared with a group** (the
database 0660: a setgid spool directory, 02770, whose files are 0660 and
keep its group, so that every member records and reads). Members of the
group trust each other with the records, as with any group-writable file.
A database or spool every user may write (0666, 0777) is refused: sharing
across users who do not trust each other is what a PostgreSQL server is for
(server/, README's Accounting across hosts).

Nothing is trusted for what it says about itself: a spool file is opened
without following a symbolic link and without waiting (a FIFO never blocks
a reader), only a regular file counts, and its owner is the owner the
kernel reports (fstat), whatever the file holds. A privileged reader
(root) does not ingest a spool, nor take its lock, when it does not own it
or others may replace it (a group-shared one): it would act as root on
what they put there. It shows what the members have ingested.

Standard library only (os, stat): the spool is on exitwrap's hot path.
"""

from __future__ import annotations

import errno
import os
import stat

from exitwrap.accounting.process import NO_UID
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

BUSY_TIMEOUT_S = 10.0  # every lock wait's bound (the database's too): as Slurm's MessageTimeout
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
GROUP_FILE = 0o660
FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
# never follow a symbolic link, never wait (a FIFO's open or read): for files others may plant
UNTRUSTED = FLAGS | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# the server as README's "Accounting across hosts" names it and sets it up
SERVER_HINT = (
    "a PostgreSQL server (EXITWRAP_DB=postgresql://host/db, set up by 'exitcodes db init': "
    "see Accounting across hosts)"
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


class Refused(HarnessFailure):
    """A file the accounting will not use as it is (not a regular file, writable by every
    user, another user's for a privileged process): one line saying why."""


class NotRegular(OSError):
    """Where a regular file was expected: something else (a FIFO, a directory, a link)."""


def kind(mode: int) -> str:
    """What a file is, in words, for a message."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def owner(info: os.stat_result) -> int:
    """Whose a file is, as the kernel says; NO_UID where the host has no uids (Windows)."""
    return info.st_uid if hasattr(os, "getuid") else NO_UID


def privileged() -> bool:
    """Whether this process may override file permissions (root)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def group_shared(mode: int) -> bool:
    """A database (or spool) shared with a group: the group may write it."""
    return bool(mode & stat.S_IWGRP)


def refuse_world_writable(path: str, mode: int) -> None:
    """Every user may write it: not a file-mode problem to solve (see the module's note)."""
    if mode & stat.S_IWOTH:
        raise Refused(
            f"{path}: every user may write it (mode {stat.S_IMODE(mode):04o}): share a "
            f"database with a group (0660) or across users through {SERVER_HINT}"
        )


def refuse_untrusted(path: str, info: os.stat_result) -> None:
    """A privileged reader refuses what it does not own or what others may replace."""
    if not privileged():
        return
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Refused(
            f"{path}: root does not use what another user owns or may replace "
            f"(owner uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o})"
        )


def fstat_regular(fd: int, path: str) -> os.stat_result:
    """The open file's status; NotRegular (fd closed) when it is not a regular file."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegular(errno.EINVAL, f"{kind(info.st_mode)}, not a regular file", path)
    return info


def open_untrusted(path: str, flags: int) -> tuple[int, os.stat_result]:
    """Open a regular file others may have planted: no link followed, no wait."""
    try:
        fd = os.open(path, flags | UNTRUSTED)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW's answer for a symbolic link
            raise NotRegular(errno.ELOOP, "a symbolic link, not a regular file", path) from None
        raise
    return fd, fstat_regular(fd, path)


def read_untrusted(path: str) -> Optional[tuple[bytes, os.stat_result]]:
    """A regular file's bytes and status; None when it is not there. NotRegular for a FIFO,
    a directory or a link, whose name stands where a record should be."""
    try:
        fd, info = open_untrusted(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks), info
            chunks.append(chunk)
    finally:
        os.close(fd)


def open_creating(path: str, flags: int) -> tuple[int, os.stat_result]:
    """Open the database file, creating it 0600 (and its directory 0700) when missing; an
    existing one keeps its mode (a shared database its administrator set up). Never waits:
    NotRegular for a FIFO, a device or a directory."""
    flags |= os.O_CREAT | FLAGS | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, PRIVATE_FILE)
    except FileNotFoundError:  # its directory is missing too
        os.makedirs(os.path.dirname(os.path.abspath(path)), PRIVATE_DIR, exist_ok=True)
        fd = os.open(path, flags, PRIVATE_FILE)
    except IsADirectoryError:
        raise NotRegular(errno.EISDIR, "a directory, not a regular file", path) from None
    return fd, fstat_regular(fd, path)


def database_status(path: str) -> Optional[os.stat_result]:
    """The database file's status for a reader: None when there is none yet. Refused when it
    is no regular file or every user may write it; OSError when it cannot be looked at
    (another user's private directory)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{path}: {kind(info.st_mode)}, not a database file")
    refuse_world_writable(path, info.st_mode)
    return info
