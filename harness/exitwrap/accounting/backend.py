"""What the accounting commands read and change, wherever it is kept: one interface, two stores.

``open_backend(database)`` takes what ``$EXITWRAP_DB`` says: an SQLite file
(sqlite_backend.py) or a PostgreSQL server (server/backend.py, which
imports its driver only then). Each command's body is written once,
against a ``Session`` (session.py). What differs between the two stores (how records come
in, who guards owners, liveness elsewhere, SQL of their own) is in each
backend's own module.
"""

# ruff: noqa: PLC0415  (lazy imports: each backend imports its driver when chosen)

from __future__ import annotations

from exitwrap.accounting.location import is_server

TYPE_CHECKING = False
if TYPE_CHECKING:  # the interface, for the type checker: importing typing costs start-up
    from types import TracebackType
    from typing import Callable, Optional, Protocol, TypeVar

    from exitwrap.accounting.maintenance import Health
    from exitwrap.accounting.records import JobRecord, Selection
    from exitwrap.accounting.session import Session

    Result = TypeVar("Result")

    class Backend(Protocol):
        """One accounting store, opened for one command (``with open_backend(...) as backend``)."""

        database: str
        # True: the store refuses what is not the caller's to change (a server's row-level
        # security); False: the command checks owners itself (a file has no other guard)
        enforces_owners: bool

        def catch_up(self) -> Optional[str]:
            """Bring what waits on this host in; a one-line notice when it could not (and the
            reader shows what is in)."""

        def read(self, selection: Selection) -> list[JobRecord]:
            """The selected jobs, as stored now (no catching up)."""

        def write(self, body: Callable[[Session], Result]) -> Result:
            """Run body in one write transaction, once what waits on this host is in."""

        def settle_slurm(self, jobs: list[JobRecord]) -> bool:
            """Ask Slurm about the Slurm jobs' records among jobs that still run: store the
            ends it has (True: read again), or show them in jobs where this store cannot."""

        def aliases(self, job_id: int) -> list[int]:
            """The jobs an id given on this host may name (several only for a provisional id)."""

        def mark_cancelled(self, job_id: int, uid: int) -> None:
            """Let no new step join a job being cancelled, where this host's spool holds it."""

        def elsewhere(self, job_id: int, place: str) -> str:
            """What a cancel says of a job whose processes run where this process cannot
            signal them (``on NODE``, or in another PID namespace: signalling.py's where)."""

        def check(self) -> Health:
            """What ``exitcodes db check`` reports."""

        def close(self) -> None: ...

        def __enter__(self) -> Backend: ...

        def __exit__(
            self,
            kind: Optional[type[BaseException]],
            value: Optional[BaseException],
            traceback: Optional[TracebackType],
        ) -> None: ...


def open_backend(database: str) -> Backend:
    """The store ``database`` names (``$EXITWRAP_DB``'s value): a server, or an SQLite file."""
    if is_server(database):
        from exitwrap.accounting.server.backend import ServerBackend

        return ServerBackend(database)
    from exitwrap.accounting.sqlite_backend import SQLiteBackend

    return SQLiteBackend(database)


def catch_up(database: str) -> Optional[str]:
    """Bring what waits on this host into the store (ingest, or push to a server)."""
    with open_backend(database) as backend:
        return backend.catch_up()
