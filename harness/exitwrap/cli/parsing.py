"""argparse for the commands that can afford it (argparse costs ~0.9x a bare interpreter start)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from exitwrap.cli.options import terminal_columns
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn, Optional


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
