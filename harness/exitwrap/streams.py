"""The standard streams when they may be closed, full or gone: writing is a wish, never a
reason to fail on its own.

A program started with ``2>&-`` gets ``sys.stderr`` set to None, one with
``>/dev/full`` a stdout whose flush fails, and, left alone, the next file it
opens takes the closed descriptor's number. Both commands hold closed
descriptors 0-2 on /dev/null (close-on-exec, so a child still finds them
closed, as its parent left them) and write through ``write``, which says
why a text could not be written instead of raising. A stream that failed is
swapped for one that refuses every later write, so that the interpreter's
own flush at exit does not fail a second time (and turn the status into
120).

On exitwrap's start-up path: imports nothing beyond os and sys.
"""

from __future__ import annotations

import errno
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

_STANDARD = 3  # descriptors 0, 1 and 2
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Refusing:
    """A stream that failed (or was closed from the start): every write fails the same way."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code

    def write(self, text: str) -> int:
        raise OSError(self.code, os.strerror(self.code))

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def hold_standard_descriptors() -> None:
    """Fill closed descriptors 0-2 with /dev/null, close-on-exec: a file this process opens
    never takes their number, and a child still finds them closed."""
    for _ in range(_STANDARD):
        try:
            fd = os.open(os.devnull, os.O_RDWR | _CLOEXEC)
        except OSError:
            return
        if fd >= _STANDARD:
            os.close(fd)
            return


def refuse_closed_streams() -> None:
    """A stream closed from the start (None) becomes a Refusing one: print() to it fails, as
    a write to a closed descriptor would, instead of doing nothing."""
    for stream in ("stdout", "stderr"):
        if getattr(sys, stream) is None:
            setattr(sys, stream, Refusing(errno.EBADF))


def write(text: str, *, stream: str = "stdout") -> Optional[str]:
    """Write text to sys.stdout or sys.stderr and flush it: None when done, else why not.

    After a failure the stream is replaced by a Refusing one.
    """
    target = getattr(sys, stream)
    try:
        if target is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        target.write(text)
        target.flush()
    except (OSError, ValueError) as error:  # ValueError: a stream closed by this process
        code = getattr(error, "errno", None) or errno.EBADF
        setattr(sys, stream, Refusing(code))
        return os.strerror(code)
    return None


def flush_all() -> None:
    """Flush stdout and stderr, dropping what cannot be written (before dying of a signal)."""
    for stream in ("stdout", "stderr"):
        write("", stream=stream)
