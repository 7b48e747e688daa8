"""--json FILE: the observation of one wrapped run, every view derived from the raw status.

The file is opened before the command starts (a path that cannot be written
is exitwrap's own failure, 125, and nothing runs) and written when the
command has ended, whatever the outcome.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

from exitwrap.status import Termination

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Optional

SCHEMA = "exitwrap-observation/1"


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


def write(stream: IO[str], document: dict[str, object]) -> None:
    import json

    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
    stream.close()
