"""Who is running, by the host's user and group tables, where the host has them.

Windows has neither uids nor the pwd and grp modules: there every record
belongs to the one user NO_UID stands for (the database is per-user), names
come from the environment, and nothing here fails to import. The tables'
modules are imported when a name is asked for, not before: exitwrap's hot
path records uids only (process.py; grp alone costs half a millisecond to
import), and names are looked up when records are ingested, as Slurm's
sacct looks them up when it prints.
"""

# ruff: noqa: PLC0415  (lazy imports: the hot path pays for every import)

from __future__ import annotations

import os

from exitwrap.accounting.process import NO_UID, gid, uid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Optional

__all__ = ["NO_UID", "ROOT", "gid", "group_name", "home", "uid", "uid_of", "user_name"]

ROOT = 0


def _table(name: str) -> Optional[ModuleType]:
    """The pwd or grp module, or None where the host has none (Windows)."""
    try:
        if name == "pwd":
            import pwd

            return pwd
        import grp

        return grp
    except ImportError:
        return None


def user_name(number: int) -> str:
    """The host's name for a uid (the login name where there are no uids), else the number."""
    pwd = _table("pwd")
    if pwd is None:
        return os.environ.get("USERNAME") or os.environ.get("USER") or str(number)
    try:
        name: str = pwd.getpwuid(number).pw_name
    except KeyError:
        return str(number)
    return name


def group_name(number: int) -> str:
    grp = _table("grp")
    if grp is None:
        return str(number)
    try:
        name: str = grp.getgrgid(number).gr_name
    except KeyError:
        return str(number)
    return name


def uid_of(name: str) -> int:
    """A user name's uid; KeyError when the host has no such user."""
    pwd = _table("pwd")
    if pwd is None:
        raise KeyError(name)
    number: int = pwd.getpwnam(name).pw_uid
    return number


def home() -> str:
    """$HOME, else the user table's home directory (else the Windows profile)."""
    found = os.environ.get("HOME") or os.environ.get("USERPROFILE")
    if found:
        return found
    pwd = _table("pwd")
    if pwd is None:
        return os.path.expanduser("~")
    directory: str = pwd.getpwuid(uid()).pw_dir
    return directory
