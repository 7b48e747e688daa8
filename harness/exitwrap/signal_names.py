"""Signal names and descriptions from the host's own table."""

from __future__ import annotations

import signal


def name(number: int) -> str:
    """``SIGKILL`` for 9 on this host; ``SIG<number>`` where the host has no such signal."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def short_name(number: int) -> str:
    """The name without its SIG prefix, as kill -l and rc print it."""
    return name(number)[3:]


def description(number: int) -> str:
    """strsignal(3)'s text: ``Killed`` for 9 on glibc."""
    text = signal.strsignal(number) if hasattr(signal, "strsignal") else None
    return text or name(number)
