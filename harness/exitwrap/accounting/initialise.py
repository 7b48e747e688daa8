"""exitcodes db init: create (or migrate) the accounting's schema, on a server or in a file.

On a server this needs a privileged role (a superuser, or the database's
owner with CREATEROLE): it makes the roles exitwrap_owner, exitwrap_user
and exitwrap_admin when missing, the schema, and sets whether users read
every job or only their own. Granting the roles to users is the site's.
"""

# ruff: noqa: PLC0415  (lazy imports: the server's driver only for a server)

from __future__ import annotations

from exitwrap.accounting.location import conninfo, is_server
from exitwrap.accounting.schema import VERSION
from exitwrap.accounting.store import open_for_writing
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def initialise(database: str, *, private: Optional[bool] = None) -> str:
    """Bring the schema up to date; returns what to tell the caller."""
    if is_server(database):
        from exitwrap.accounting.server.database import Server
        from exitwrap.accounting.server.schema import ADMIN_ROLE, USER_ROLE

        with Server(conninfo(database)) as server:
            version = server.migrate(private=private)
            private_jobs = bool(server.value("SELECT private_jobs FROM settings"))
            where = server.where
        readers = "owners and administrators" if private_jobs else f"every {USER_ROLE}"
        return (
            f"{where}: schema version {version}; jobs readable by {readers}\n"
            f"users: GRANT {USER_ROLE} TO name; administrators: GRANT {ADMIN_ROLE} TO name"
        )
    if private is not None:
        raise UsageError("--private and --public are for a server: a file's mode says who reads it")
    open_for_writing(database).close()
    return f"{database}: schema version {VERSION}"
