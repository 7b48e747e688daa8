"""exitwrap's own lines on stderr: one line each, whatever the command line held."""

from __future__ import annotations

import sys

PROG = "exitwrap"


def shown(text: str) -> str:
    """text as it can be shown on one line: quoted (repr) when it holds anything odd."""
    if text and text.isprintable() and not any(c in text for c in " '\"\\"):
        return text
    return repr(text)


def line(text: str) -> None:
    """Write one line to stderr; a closed or broken stderr is not a reason to fail."""
    try:
        sys.stderr.write(text.replace("\n", "\\n") + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def say(message: str) -> None:
    line(f"{PROG}: {message}")


def warn(message: str) -> None:
    say(f"warning: {message}")
