"""exitwrap's start-up cost: ``exitwrap -- /bin/true`` against the bare interpreter.

Every row is measured in the same run, interleaved, with the same virtual
environment's Python, so the ratio to ``python -c pass`` (the floor) holds
wherever this runs. The goal (issue 15): recording on, at most 1.3x the floor.
``tini`` and GNU ``timeout`` (C programs) are shown for reference against
``/bin/true``. The import rows: what recording imports (the recorder, which
writes to the spool), and what it would cost to import SQLite instead.

The file system's share: a recorded run creates two spool files beside the
database (its begin and its end record), links each to its id's name and
fsyncs the end. Creating a file (allocating an inode) has been seen here to
take 0.015 ms and, minutes later, 0.9 ms on the same disk, so the same
file operations, done by a bare interpreter in the same directory, are
measured in the same rounds: the recording row less that row's excess over
``python -c pass`` is exitwrap's own cost.
Byte-code caching is allowed (PYTHONDONTWRITEBYTECODE is dropped), as it is
for any installed command.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench.common import VENV_PYTHON, Row, interleaved_medians_ms

GROUP = "exitwrap"
GOAL = "<= 1.3x"
FLOOR = "python -c pass"
TRUE = "/bin/true"
# what recording imports (the recorder), and the two layers of SQLite's module it avoids
IMPORTS = ("exitwrap.accounting.recorder", "sqlite3", "_sqlite3")
FILE_WORK = "python -c pass + a recorded run's file operations"
# what the spool does on disk for one recorded run (spool.py): two records, each written to a
# new file and linked to its id's name (the temporary name then removed), the end fsynced
FILE_OPERATIONS = """
import os, sys
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
for record in ("job", "end"):
    temporary = os.path.join(sys.argv[1], f".tmp.{os.getpid()}.{record}")
    fd = os.open(temporary, flags, 0o600)
    os.write(fd, b"x" * 700)
    os.close(fd)
    named = os.path.join(sys.argv[1], f"{os.getpid()}.{record}")
    os.link(temporary, named)
    os.unlink(temporary)
fd = os.open(named, os.O_RDWR | os.O_CLOEXEC)
os.fsync(fd)
os.close(fd)
"""


def exitwrap_command() -> str:
    """The exitwrap launcher installed beside this interpreter (what users run)."""
    found = shutil.which("exitwrap", path=str(Path(VENV_PYTHON).parent))
    if found is None:
        raise SystemExit(f"bench: no exitwrap beside {VENV_PYTHON}: install the package first")
    return found


def _reference_commands() -> dict[str, list[str]]:
    commands: dict[str, list[str]] = {}
    tini = shutil.which("tini")
    if tini:
        commands["tini -s -- /bin/true"] = [tini, "-s", "--", TRUE]
    timeout = shutil.which("timeout")
    if timeout:
        commands["timeout 60 /bin/true"] = [timeout, "60", TRUE]
    return commands


def _emptied(directory: str) -> None:
    """What the file operations' runs left, removed between rounds (untimed)."""
    for entry in os.scandir(directory):
        os.unlink(entry.path)


def rows(*, quick: bool) -> list[Row]:
    exitwrap = exitwrap_command()
    commands = {
        TRUE: [TRUE],
        FLOOR: [VENV_PYTHON, "-c", "pass"],
        "exitwrap -- /bin/true (recording)": [exitwrap, "--", TRUE],
        "exitwrap --no-record -- /bin/true": [exitwrap, "--no-record", "--", TRUE],
        **{f"python -c 'import {m}'": [VENV_PYTHON, "-c", f"import {m}"] for m in IMPORTS},
        **_reference_commands(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-exitwrap-") as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["EXITWRAP_DB"] = os.path.join(scratch, "accounting.db")
        files = os.path.join(scratch, "file-operations")
        os.mkdir(files)
        commands[FILE_WORK] = [VENV_PYTHON, "-c", FILE_OPERATIONS, files]
        medians = interleaved_medians_ms(
            commands, runs=15 if quick else 200, env=env, between=lambda: _emptied(files)
        )
    floors = {TRUE: medians[TRUE], FLOOR: medians[FLOOR]}
    result = [Row(GROUP, TRUE, medians[TRUE], "ms"), Row(GROUP, FLOOR, medians[FLOOR], "ms")]
    for name, value in medians.items():
        if name in floors:
            continue
        floor = TRUE if name.startswith(("tini", "timeout")) else FLOOR
        result.append(
            Row(
                GROUP,
                name,
                value,
                "ms",
                floor=floor,
                ratio=value / floors[floor],
                goal=GOAL if "(recording)" in name else "",
                note=_note(name, floor, medians),
            )
        )
    return result


def _note(name: str, floor: str, medians: dict[str, float]) -> str:
    if floor == TRUE:
        return "reference (C)"
    if "(recording)" not in name:
        return ""
    disk = medians[FILE_WORK] - medians[FLOOR]
    own = (medians[name] - disk) / medians[FLOOR]
    return f"{own:.2f}x less the file system's {disk:.2f} ms"
