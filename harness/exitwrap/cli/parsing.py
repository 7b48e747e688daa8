"""argparse for the commands that can afford it (argparse costs ~0.9x a bare interpreter start)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn, Optional


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors by raising, so the caller prints one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse(parser: Parser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    return parser.parse_args(None if argv is None else list(argv))
