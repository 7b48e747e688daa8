"""exitcodes db purge: delete the jobs that ended before a date, with their steps.

On an SQLite file: every user's as root, else this user's own (the file
has no other guard). On a server: whatever the server lets the caller
delete, which is everything for an exitwrap administrator and nothing for
anyone else (harness/exitwrap/accounting/server/schema.py).
"""

from __future__ import annotations

from exitwrap.accounting import display
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.users import ROOT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from exitwrap.accounting.session import Session


def purge(database: str, before: float, uid: int, *, dry_run: bool = False) -> tuple[int, int]:
    """Delete the jobs (and their steps) that ended before ``before``. Returns (jobs, steps)
    deleted, or that would be."""
    with open_backend(database) as backend:
        everyone = uid == ROOT or backend.enforces_owners
        owned = "" if everyone else " AND uid = ?"
        args: tuple[object, ...] = (before,) if everyone else (before, uid)
        chosen = f"SELECT job_id FROM jobs WHERE end_time IS NOT NULL AND end_time < ?{owned}"

        def delete(db: Session) -> tuple[int, int]:
            jobs = db.execute(f"SELECT count(*) FROM ({chosen}) AS chosen", args).fetchone()[0]
            steps = db.execute(
                f"SELECT count(*) FROM steps WHERE job_id IN ({chosen})", args
            ).fetchone()[0]
            if not dry_run:
                db.execute(f"DELETE FROM steps WHERE job_id IN ({chosen})", args)
                db.execute(f"DELETE FROM jobs WHERE job_id IN ({chosen})", args)
            return int(jobs), int(steps)

        return backend.write(delete)


def describe_purge(counts: tuple[int, int], before: float, *, dry_run: bool) -> str:
    verb = "would purge" if dry_run else "purged"
    return f"{verb} {counts[0]} jobs ({counts[1]} steps) that ended before {display.date(before)}"
