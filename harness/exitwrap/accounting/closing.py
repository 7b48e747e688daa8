"""``with opened as it:``: whatever a command opens for its duration, closed at the end."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Optional, TypeVar

    Opened = TypeVar("Opened", bound="Closing")


class Closing:
    """A base for what holds something open: ``close`` it, or use it in a ``with`` block."""

    def close(self) -> None:
        return None

    def __enter__(self: Opened) -> Opened:
        return self

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()
