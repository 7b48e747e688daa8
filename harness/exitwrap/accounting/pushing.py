"""exitcodes db push: bring what waits on this host into the store now.

For a server, the push of this host's queue (server/push.py); in the
background (as exitwrap starts it) quietly, coalescing with a push that
is running, and noting a failure for exitwrap to warn about once. For an
SQLite file, the spool's ingest every reader does anyway.
"""

# ruff: noqa: PLC0415  (lazy imports: the server's driver only for a server)

from __future__ import annotations

from exitwrap.accounting.ingest import catch_up
from exitwrap.accounting.location import is_server
from exitwrap.errors import HarnessFailure


def push_now(database: str, *, background: bool = False) -> str:
    """Push (or ingest); what was done, in one line. HarnessFailure when it could not."""
    if not is_server(database):
        notice = catch_up(database)
        if notice is not None:
            raise HarnessFailure(notice)
        return f"ingested this host's spool into {database}"
    from exitwrap.accounting.server.backend import ServerBackend
    from exitwrap.accounting.server.push import push_while_asked

    with ServerBackend(database) as backend:
        if background:
            pushed = push_while_asked(backend.queue, backend.push)
            return "" if pushed is None else f"pushed {pushed.jobs} jobs, {pushed.steps} steps"
        pushed = backend.push()
        return f"pushed {pushed.jobs} jobs and {pushed.steps} steps to {backend.server.where}"
