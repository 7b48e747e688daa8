"""Who is running, by the host's user and group tables, where the host has them.

Windows has neither uids nor the pwd and grp modules: there every record
belongs to the one user NO_UID stands for (the database is per-user), names
come from the environment, and nothing here fails to import. On exitwrap's
start-up path: pwd and grp are imported only where they exist.
"""

from __future__ import annotations

import os

try:
    import grp
    import pwd
except ImportError:  # Windows
    grp = pwd = None  # type: ignore[assignment]

NO_UID = -1  # what uid and gid are where the host has none
ROOT = 0


def uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else NO_UID


def gid() -> int:
    return os.getgid() if hasattr(os, "getgid") else NO_UID


def user_name(number: int) -> str:
    """The host's name for a uid (the login name where there are no uids), else the number."""
    if pwd is None:
        return os.environ.get("USERNAME") or os.environ.get("USER") or str(number)
    try:
        return pwd.getpwuid(number).pw_name
    except KeyError:
        return str(number)


def group_name(number: int) -> str:
    if grp is None:
        return str(number)
    try:
        return grp.getgrgid(number).gr_name
    except KeyError:
        return str(number)


def uid_of(name: str) -> int:
    """A user name's uid; KeyError when the host has no such user."""
    if pwd is None:
        raise KeyError(name)
    return pwd.getpwnam(name).pw_uid


def home() -> str:
    """$HOME, else the user table's home directory (else the Windows profile)."""
    found = os.environ.get("HOME") or os.environ.get("USERPROFILE")
    if found:
        return found
    return pwd.getpwuid(uid()).pw_dir if pwd is not None else os.path.expanduser("~")
