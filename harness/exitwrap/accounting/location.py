"""Where the accounting is kept, from ``$EXITWRAP_DB``: an SQLite file, or a PostgreSQL server.

A value that starts with ``postgresql:`` or ``postgres:`` names a server
(a libpq URI; ``postgresql:`` alone means libpq's defaults, the ``PG*``
variables and ``~/.pgpass``); anything else is an SQLite file. exitwrap
never talks to a server: it spools, as for SQLite, into this user's queue
on this host for that server, and a push (harness/exitwrap/accounting/server/push.py)
takes the queue to the server. The queue is per user (under
``$XDG_STATE_HOME``, else ``~/.local/state``), per server (a hash of the
connection string and the ``PG*`` variables that choose the server, so
no password lands in a path) and per host (the node name: a home
directory shared over NFS gives each host its own):

``<state>/exitwrap/servers/<key>/<node>.db`` the SQLite file a push stages
records in (its spool, ``<node>.db.spool/``, beside it, as for any
database), ``<node>.origin`` the origin number the server gave this queue
(see ``Ids``), ``<node>.push`` the lock a background push holds,
``<node>.again`` a request for one more round, ``<node>.failed`` and
``<node>.warned`` why the last push failed (exitwrap warns once per outage).

On exitwrap's hot path: os only.
"""

# ruff: noqa: PLC0415  (lazy imports: the hot path pays for every import)

from __future__ import annotations

import os

from exitwrap.accounting.process import node_name
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Optional

DATABASE_ENV = "EXITWRAP_DB"
DISABLED = "off"
DATABASE_FILE = "accounting.db"


def database_path(environ: Mapping[str, str]) -> Optional[str]:
    """$EXITWRAP_DB; "off" disables recording (None); unset: the per-user default.

    The default is $XDG_DATA_HOME/exitwrap/accounting.db (the XDG base
    directory spec: an unset or relative XDG_DATA_HOME means
    ~/.local/share); the recorder creates it 0600 in a 0700 directory.
    """
    configured = environ.get(DATABASE_ENV, "")
    if configured.lower() == DISABLED:
        return None
    if configured:
        return configured
    data_home = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data_home):
        home = environ.get("HOME")
        if not home:
            from exitwrap.accounting.users import home as user_home  # rare: HOME unset

            home = user_home()
        data_home = os.path.join(home, ".local", "share")
    return os.path.join(data_home, "exitwrap", DATABASE_FILE)


def configured_database(environ: Mapping[str, str]) -> str:
    """The database the accounting commands read and change; an error when recording is off."""
    path = database_path(environ)
    if path is None:
        raise HarnessFailure(f"accounting is off ({DATABASE_ENV}={environ[DATABASE_ENV]})")
    return path


SERVER_SCHEMES = ("postgresql:", "postgres:")
ID_BLOCK = 10**9  # each origin's job ids: origin * ID_BLOCK + the queue's own id
# the variables that choose the server (libpq's environment), part of a queue's key
_SERVER_ENVIRONMENT = (
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
)
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def is_server(database: str) -> bool:
    return database[:11].lower().startswith(SERVER_SCHEMES)


def conninfo(database: str) -> str:
    """libpq's connection string: the URI as given, or "" (libpq's defaults) for the bare
    scheme, which libpq itself would refuse."""
    return "" if database.lower() in SERVER_SCHEMES else database


def server_key(database: str, environ: Mapping[str, str]) -> str:
    """A stable name for the server the string and the environment choose (FNV-1a, 64 bits):
    no part of the string, which may hold a password, shows in it."""
    text = "\n".join([conninfo(database), *(environ.get(n, "") for n in _SERVER_ENVIRONMENT)])
    digest = _FNV_OFFSET
    for byte in text.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"


def state_home(environ: Mapping[str, str]) -> str:
    """$XDG_STATE_HOME, else ~/.local/state (the XDG base directory spec)."""
    state = environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):
        return state
    home = environ.get("HOME")
    if not home:
        from exitwrap.accounting.users import home as user_home  # rare: HOME unset

        home = user_home()
    return os.path.join(home, ".local", "state")


def _read_numbers(path: str) -> Optional[list[int]]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        words = os.read(fd, 256).split()
    except OSError:
        return None
    finally:
        os.close(fd)
    if not words or not all(word.isdigit() for word in words):
        return None
    return [int(word) for word in words]


class Ids:
    """Job ids as everyone sees them, from a queue's own.

    The server gives each queue an origin number once, at its first push;
    the queue's job J is then job ``origin * ID_BLOCK + J`` everywhere, so
    ids are unique across hosts and users with no round trip per job (as
    Slurm's federation puts a cluster's id in its jobs' ids). Origin 0's
    ids are its own: a server's first queue keeps the ids it handed out.
    A job begun before the origin was known was told its queue id; such an
    id, below ``provisional``, names the job on this host too.
    """

    __slots__ = ("origin", "provisional")

    def __init__(self, origin: Optional[int] = None, provisional: int = 0) -> None:
        self.origin = origin  # None: the database's own ids (SQLite; a queue never pushed)
        self.provisional = provisional  # queue ids below this were handed out without an origin

    def public(self, local: int) -> int:
        return local if not self.origin else self.origin * ID_BLOCK + local

    def local(self, public: int) -> Optional[int]:
        """The queue's id for a job id (one this queue handed out); None for another queue's."""
        if not self.origin or public < ID_BLOCK:
            return public
        local = public - self.origin * ID_BLOCK
        return local if 0 < local < ID_BLOCK else None

    def own(self, public: int) -> Optional[int]:
        """The queue's id for a job id, exactly when it is one of the queue's own jobs."""
        if not self.origin:
            return public if 0 < public < ID_BLOCK else None
        local = public - self.origin * ID_BLOCK
        return local if 0 < local < ID_BLOCK else None

    def aliases(self, public: int) -> list[int]:
        """Every job an id may name here: itself, and the job a provisional id became."""
        if self.origin and 0 < public < min(self.provisional, ID_BLOCK):
            return [public, self.public(public)]
        return [public]


class Queue:
    """This user's queue on this host for one server (see the module's layout)."""

    __slots__ = ("conninfo", "database", "directory", "node")

    def __init__(self, database: str, environ: Mapping[str, str]) -> None:
        self.conninfo = conninfo(database)
        key = server_key(database, environ)
        self.directory = os.path.join(state_home(environ), "exitwrap", "servers", key)
        self.node = node_name()
        self.database = self.file("db")

    def file(self, suffix: str) -> str:
        return os.path.join(self.directory, f"{self.node}.{suffix}")

    def ids(self) -> Ids:
        """The origin the server gave this queue, as its last push wrote it down."""
        numbers = _read_numbers(self.file("origin"))
        if numbers is None:
            return Ids()  # not pushed yet: the queue's ids, provisional
        origin, provisional = [*numbers, 0][:2]
        return Ids(origin, provisional)

    def take_failure(self) -> Optional[str]:
        """Why the last push failed, the first time this is asked after it failed (one
        process wins the rename): exitwrap warns once per outage."""
        failed, warned = self.file("failed"), self.file("warned")
        try:
            os.rename(failed, warned)
        except OSError:
            return None
        fd = os.open(warned, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            reason = os.read(fd, 1024).decode("utf-8", "replace").strip()
        finally:
            os.close(fd)
        return f"{reason}; records wait in this host's queue, {self.directory}, until a push"


def spool_database(database: str, environ: Mapping[str, str]) -> str:
    """The SQLite file whose spool exitwrap writes: the database, or a server's queue."""
    return Queue(database, environ).database if is_server(database) else database
