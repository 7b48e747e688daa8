"""The accounting on a PostgreSQL server, as the commands use it (``Backend`` in backend.py).

Every command first pushes this host's queue (push.py), then reads or
writes the server over the same connection, as the user it connects as.
The server guards owners (row-level security, schema.py): a change it
refuses touches no row, and the command says so; this process checks
nothing on its behalf. A cancel of a job running on another host is
recorded on the server as a request, which that host's next push acts on
(it signals the processes there).
"""

from __future__ import annotations

import os

from exitwrap.accounting import states
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.closing import Closing
from exitwrap.accounting.location import Queue
from exitwrap.accounting.maintenance import Health, renumbered, spool_health
from exitwrap.accounting.process import ANOTHER_NAMESPACE, uid
from exitwrap.accounting.records import load
from exitwrap.accounting.server.database import Server
from exitwrap.accounting.server.push import Pushed, note_failure, push
from exitwrap.accounting.server.schema import VERSION
from exitwrap.accounting.slurm_settle import show_slurm_ends
from exitwrap.accounting.spool import RecordingError
from exitwrap.accounting.store import DatabaseBusy, DatabaseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, TypeVar

    from exitwrap.accounting.records import JobRecord, Selection
    from exitwrap.accounting.session import Session

    Result = TypeVar("Result")


class ServerBackend(Closing):
    """A PostgreSQL server and this host's queue for it."""

    enforces_owners = True

    def __init__(self, database: str) -> None:
        self.database = database
        self.queue = Queue(database, os.environ)
        self._server: Optional[Server] = None

    @property
    def server(self) -> Server:
        """The connection, opened on first use, its schema checked (migrated when it may)."""
        if self._server is None:
            server = Server(self.queue.conninfo)
            try:
                server.ensure_schema()
            except BaseException:
                server.close()
                raise
            self._server = server
        return self._server

    def push(self) -> Pushed:
        """Push this host's queue; a failure is noted for exitwrap's warning, then raised."""
        try:
            return push(self.queue, self.server)
        except (DatabaseError, RecordingError) as error:
            if not isinstance(error, DatabaseBusy):
                note_failure(self.queue, str(error))
            raise

    def catch_up(self) -> Optional[str]:
        try:
            self.push()
        except (DatabaseBusy, RecordingError) as error:
            return f"this host's queue was not pushed ({error}): what is shown may be behind"
        return None

    def read(self, selection: Selection) -> list[JobRecord]:
        return load(self.server.session(), selection, self.server.where)

    def write(self, body: Callable[[Session], Result]) -> Result:
        self.catch_up()
        server = self.server
        with server.connection.transaction():
            return body(server.session())

    def settle_slurm(self, jobs: list[JobRecord]) -> bool:
        """Shown, not stored: the hosts that recorded the jobs store Slurm's ends at their next
        push (their users may not change those columns here)."""
        show_slurm_ends(jobs)
        return False

    def aliases(self, job_id: int) -> list[int]:
        return self.queue.ids().aliases(job_id)

    def mark_cancelled(self, job_id: int, uid: int) -> None:
        own = self.queue.ids().own(job_id)
        if own is not None and os.path.exists(self.queue.database):
            Backlog(self.queue.database).mark_cancelled(own, uid)

    def elsewhere(self, job_id: int, place: str) -> str:
        pusher = (
            "the next push from that namespace signals its processes"
            if place == ANOTHER_NAMESPACE
            else f"{place.removeprefix('on ')} signals its processes at its next push"
        )
        return (
            f"job {job_id} runs {place}: recorded as cancelled; {pusher} (any exitcodes "
            "command or job ending there)"
        )

    def check(self) -> Health:
        health = Health()
        health.note(f"server: {self.database}")
        health.note(f"queue: {self.queue.directory} (this user on {self.queue.node})")
        try:
            pushed = self.push()
            server = self.server
            ids = self.queue.ids()
            health.note(f"pushed: {pushed.jobs} jobs, {pushed.steps} steps (origin {ids.origin})")
            admin = " (an exitwrap administrator)" if server.is_admin() else ""
            role = server.value("SELECT current_user")
            health.note(f"connected: {server.where} as {role}{admin}")
            version = server.installed_version()
            health.note(f"schema: version {version} (this exitwrap writes {VERSION})")
            counted = "SELECT count(*), count(*) FILTER (WHERE state = ?) FROM jobs"
            jobs, running = server.session().execute(counted, (states.RUNNING,)).fetchall()[0]
            steps = server.value("SELECT count(*) FROM steps")
            health.note(f"jobs: {jobs} ({running} recorded as running)")
            health.note(f"steps: {steps}")
            renumbered(server.session(), health)
        except (DatabaseError, RecordingError) as error:
            health.note(f"error: {error}", problem=True)
        spool_health(self.queue.database, health, owner=uid())
        return health

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
