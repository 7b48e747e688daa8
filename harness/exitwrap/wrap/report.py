"""--json FILE: the observation of one wrapped run, every view derived from the raw status.

The file is made before the command starts (a path that cannot be written
is exitwrap's own failure, 125, and nothing runs) and written when the
command has ended, whatever the outcome: under a temporary name beside it,
then renamed into place, so that no reader sees half a document. ``-`` is
standard output; a path that is not a regular file (``/dev/stdout``, a FIFO
whose reader is there already) is written in place. The document is ASCII:
arguments are bytes, and one that is not UTF-8 keeps each such byte as the
escape ``\\udcXX`` (Python's surrogateescape: ``os.fsencode`` of the decoded
text gives the bytes back).
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import stat

from exitwrap.status import Termination
from exitwrap.streams import write as write_stream

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

SCHEMA = "exitwrap-observation/1"
STANDARD_OUTPUT = "-"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def observation(
    *,
    argv: Sequence[str],
    termination: Optional[Termination],
    exit_status: int,
    timed_out: bool,
    error: Optional[str],
    duration_s: float,
    rusage: Optional[tuple[int, float, float]],
    step: Optional[str],
) -> dict[str, object]:
    """The JSON document: the raw wait status and each view of it, as exitwrap.status defines."""
    document: dict[str, object] = {
        "schema": SCHEMA,
        "argv": list(argv),
        "exit_status": exit_status,
        "timed_out": timed_out,
        "error": error,
        "duration_s": round(duration_s, 6),
        "step": step,
        "outer": None,
        "rusage": None,
    }
    if termination is not None:
        document["outer"] = {
            **termination.to_json(),
            "wait_status": termination.wait_status,
            "returncode": termination.returncode,
            "shell_status": termination.shell_status(),
            "slurm": termination.slurm,
        }
    if rusage is not None:
        maxrss_kib, user_s, system_s = rusage
        document["rusage"] = {"maxrss_kib": maxrss_kib, "user_s": user_s, "system_s": system_s}
    return document


class JsonTarget:
    """Where the document goes, made ready before the command starts (OSError when it cannot
    be): standard output, a temporary file to rename into place, or a file written in place."""

    __slots__ = ("fd", "final", "temporary")

    def __init__(self, path: str) -> None:
        self.fd = -1
        self.final = self.temporary = ""
        if path == STANDARD_OUTPUT:
            return
        try:
            found: Optional[int] = os.stat(path).st_mode
        except FileNotFoundError:
            found = None
        if found is not None and not stat.S_ISREG(found):
            # written in place; never waiting for a FIFO's reader: ENXIO when there is none
            self.fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            os.set_blocking(self.fd, True)
            return
        self.final = os.path.realpath(path)  # a symbolic link stays one, its target replaced
        directory, name = os.path.split(self.final)
        self.temporary = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
        self.fd = os.open(self.temporary, _CREATE, 0o666)
        if found is not None:
            os.fchmod(self.fd, stat.S_IMODE(found))

    def write(self, document: dict[str, object]) -> Optional[str]:
        """Write the document; None when done, else why it could not be."""
        import json

        text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
        if self.fd < 0:
            return write_stream(text)
        try:
            try:
                view = memoryview(text.encode("ascii"))
                while view:
                    view = view[os.write(self.fd, view) :]
            finally:
                os.close(self.fd)
            if self.temporary:
                os.replace(self.temporary, self.final)
        except OSError as error:
            self.discard()
            return error.strerror or str(error)
        return None

    def discard(self) -> None:
        """Remove the temporary file (the command never got to run)."""
        if self.temporary:
            try:  # noqa: SIM105  (contextlib costs exitwrap's start-up)
                os.unlink(self.temporary)
            except OSError:
                pass
