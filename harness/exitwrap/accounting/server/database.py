"""The accounting server as the commands hold it: one connection, its schema up to date.

Opening a ``Server`` connects (connection.py) and checks the schema's
version; one older than this exitwrap's is migrated when the role
connected may (``exitcodes db init``, or the first command of a
privileged role), else the command fails with a line saying who must.
"""

from __future__ import annotations

import psycopg

from exitwrap.accounting.closing import Closing
from exitwrap.accounting.server.connection import (
    SCHEMA,
    SET_UP,
    ServerSession,
    connect,
    explain,
)
from exitwrap.accounting.server.schema import (
    ADMIN_ROLE,
    LOCK,
    MIGRATIONS,
    OWNER,
    ROLES,
    VERSION,
)
from exitwrap.accounting.store import DatabaseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


class Server(Closing):
    """One connection to the server, for one command (``with Server(conninfo) as server``)."""

    def __init__(self, conninfo: str) -> None:
        self.connection, self.where = connect(conninfo)

    def session(self) -> ServerSession:
        return ServerSession(self.connection, self.where)

    def value(self, sql: str, *parameters: Any) -> Any:
        row = self.session().execute(sql, parameters).fetchone()
        return None if row is None else row[0]

    def installed_version(self) -> int:
        """The schema's version on the server: 0 when there is none yet."""
        if self.value(f"SELECT to_regclass('{SCHEMA}.meta') IS NULL"):
            return 0
        return int(self.value("SELECT version FROM meta"))

    def is_admin(self) -> bool:
        return bool(self.value(f"SELECT pg_has_role('{ADMIN_ROLE}', 'MEMBER')"))

    def ensure_schema(self) -> None:
        """Migrate when the schema is older than this exitwrap's (DatabaseError when this role
        may not); refuse a newer one."""
        version = self.installed_version()
        if version == VERSION:
            return
        if version > VERSION:
            raise DatabaseError(
                f"{self.where}: schema version {version} is newer than this exitwrap reads "
                f"({VERSION}); upgrade exitwrap"
            )
        try:
            self.migrate()
        except DatabaseError as error:
            if version == 0:
                raise DatabaseError(f"{self.where}: no accounting there yet: {SET_UP}") from None
            raise DatabaseError(f"{error}: {SET_UP}") from None

    def migrate(self, *, private: Optional[bool] = None) -> int:
        """Bring the schema to VERSION (creating the roles it needs); set whether users read
        only their own jobs when ``private`` is given. Returns the version."""
        try:
            with self.connection.transaction():
                self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
                version = self.installed_version()
                if version > VERSION:
                    raise DatabaseError(f"{self.where}: schema version {version} is newer")
                if version < VERSION:
                    self.connection.execute(ROLES)
                    self.connection.execute(
                        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {OWNER}"
                    )
                    self.connection.execute(f"SET LOCAL ROLE {OWNER}")
                    for migration in MIGRATIONS[version:]:
                        for statement in migration:
                            self.connection.execute(statement)
                    self.connection.execute("UPDATE meta SET version = %s", (VERSION,))
                    self.connection.execute("RESET ROLE")
                if private is not None:  # the caller's to set: an administrator's
                    self.connection.execute("UPDATE settings SET private_jobs = %s", (private,))
        except psycopg.Error as error:
            raise explain(error, self.where) from None
        return VERSION

    def close(self) -> None:
        self.connection.close()
