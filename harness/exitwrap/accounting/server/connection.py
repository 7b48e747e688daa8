"""A connection to the accounting server (psycopg 3), and the server's errors as one line.

Importing psycopg costs about 140 ms, so only the server's own modules
import this one, when a command reaches the server; exitwrap never does.
Each user connects as themselves: over the Unix socket on a node peer
authentication says who, elsewhere a password (``~/.pgpass``) or a
certificate, as libpq is configured. The role connected is who the
server lets read and change what (schema.py).

A session turns the accounting's ``?`` markers into psycopg's ``%s`` and
the server's errors into ``DatabaseError`` lines; commands are ``bytea``
on the server (argv joined by NUL bytes, which text cannot hold) and come
back as text, as SQLite keeps them.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import conninfo as libpq
from psycopg import errors
from psycopg.adapt import Loader
from psycopg.types.string import ByteaLoader

from exitwrap.accounting.store import DatabaseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    from psycopg import Connection
    from psycopg.abc import AdaptContext, Buffer

SCHEMA = "exitwrap"
CONNECT_TIMEOUT_S = 10  # unless the connection string or PGCONNECT_TIMEOUT says otherwise
SET_UP = "an administrator runs 'exitcodes db init' against it"


class CommandLoader(Loader):
    """A command as the accounting keeps it: text, argv joined by NUL bytes."""

    def __init__(self, oid: int, context: Optional[AdaptContext] = None) -> None:
        super().__init__(oid, context)
        self._bytes = ByteaLoader(oid, context)

    def load(self, data: Buffer) -> str:
        return bytes(self._bytes.load(bytes(data))).decode("utf-8", "surrogateescape")


def command_bytes(command: Optional[str]) -> Optional[bytes]:
    return None if command is None else command.encode("utf-8", "surrogateescape")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for prefix in ("connection failed: ",):
        text = text.removeprefix(prefix)
    return text.splitlines()[0].strip() if text else type(error).__name__


def describe(conninfo: str) -> str:
    """The server a connection string names, as ``postgresql://user@host:port/db`` without a
    password (libpq's defaults filled in from the environment where it has them)."""
    try:
        given = libpq.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "postgresql (a malformed connection string)"
    user = given.get("user") or os.environ.get("PGUSER", "")
    host = given.get("host") or os.environ.get("PGHOST", "")
    port = given.get("port") or os.environ.get("PGPORT", "")
    dbname = given.get("dbname") or os.environ.get("PGDATABASE", "")
    place = f"{host}:{port}" if port else str(host)
    return f"postgresql://{user}{'@' if user else ''}{place}/{dbname}"


def explain(error: BaseException, where: str) -> DatabaseError:
    """One line naming the server and what it said."""
    if isinstance(error, DatabaseError):
        return error
    detail = _first_line(error)
    if isinstance(
        error, (errors.UndefinedTable, errors.InvalidSchemaName, errors.UndefinedFunction)
    ):
        return DatabaseError(f"{where}: the accounting is not set up there ({detail}): {SET_UP}")
    if isinstance(error, errors.InsufficientPrivilege):
        return DatabaseError(f"{where}: refused by the server: {detail}")
    return DatabaseError(f"{where}: {detail}")


class ServerSession:
    """A connection as the accounting's command bodies use it (session.py)."""

    __slots__ = ("connection", "where")

    def __init__(self, connection: Connection[Any], where: str) -> None:
        self.connection = connection
        self.where = where

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        try:
            if not parameters:
                return self.connection.execute(sql)
            return self.connection.execute(sql.replace("?", "%s"), parameters)
        except psycopg.Error as error:
            raise explain(error, self.where) from None


def connect(conninfo: str) -> tuple[Connection[Any], str]:
    """A connection in autocommit mode (writes take ``transaction()`` blocks) and the server's
    name for messages; DatabaseError when there is none (records wait in this host's queue)."""
    where = describe(conninfo)
    extra: dict[str, Any] = {}
    try:
        if "connect_timeout" not in libpq.conninfo_to_dict(conninfo) and not os.environ.get(
            "PGCONNECT_TIMEOUT"
        ):
            extra["connect_timeout"] = CONNECT_TIMEOUT_S
        connection = psycopg.connect(conninfo, autocommit=True, **extra)
    except psycopg.ProgrammingError as error:  # a malformed connection string
        raise DatabaseError(f"{where}: {_first_line(error)}") from None
    except psycopg.OperationalError as error:
        raise DatabaseError(f"{where}: {_first_line(error)}") from None
    info = connection.info
    where = f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"
    connection.adapters.register_loader("bytea", CommandLoader)
    try:
        connection.execute(f"SET search_path TO {SCHEMA}, pg_catalog")
    except psycopg.Error as error:
        connection.close()
        raise explain(error, where) from None
    return connection, where
