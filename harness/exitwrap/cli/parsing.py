"""argparse for the commands that can afford it (argparse costs ~0.9x a bare interpreter start)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn, Optional


def terminal_columns() -> int:
    """The width help is formatted to, found as ``shutil.get_terminal_size`` finds it."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # no stdout (None), or not a terminal
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout at a width found without shutil: argparse makes a formatter to
    check every argument added, and its own way to find the width imports shutil (2 ms of a
    run's start, with bz2 and lzma)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=terminal_columns() - 2)


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors by raising, so the caller prints one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse(parser: Parser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    return parser.parse_args(None if argv is None else list(argv))
