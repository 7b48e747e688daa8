"""exitwrap's own lines on stderr: one line each, whatever the command line held."""

from __future__ import annotations

from exitwrap.streams import write

PROG = "exitwrap"


def shown(text: str) -> str:
    """text as it can be shown on one line: quoted (repr) when it holds anything odd."""
    if text and text.isprintable() and not any(c in text for c in " '\"\\"):
        return text
    return repr(text)


def line(text: str) -> None:
    """Write one line to stderr; a closed, full or broken stderr drops it (never a failure)."""
    write(text.replace("\n", "\\n") + "\n", stream="stderr")


def say(message: str) -> None:
    line(f"{PROG}: {message}")


def warn(message: str) -> None:
    say(f"warning: {message}")
