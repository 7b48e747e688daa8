"""A connection as the accounting's command bodies use it, whichever store it reaches.

The subset of the DB-API that both SQLite's module and psycopg offer:
``execute(sql, parameters)`` with ``?`` markers (the server's session turns
them into psycopg's), and a cursor with ``fetchone``, ``fetchall``,
iteration and ``rowcount`` (how many rows a change touched: a server's
row-level security refuses a row by touching none). For the type checker
only: importing typing would cost the commands' start-up.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Protocol

    class Cursor(Protocol):
        @property
        def rowcount(self) -> int: ...

        def fetchone(self) -> Any: ...

        def fetchall(self) -> list[Any]: ...

        def __iter__(self) -> Iterator[Any]: ...

    class Session(Protocol):
        """A connection in one transaction."""

        def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
