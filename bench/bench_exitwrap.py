"""exitwrap's start-up cost: ``exitwrap -- /bin/true`` against the bare interpreter.

Every row is measured in the same run, interleaved, with the same virtual
environment's Python, so the ratio to ``python -c pass`` (the floor) holds
wherever this runs. The goal (issue 15): recording on, at most 1.3x the floor.
``tini`` and GNU ``timeout`` (C programs) are shown for reference against
``/bin/true``. The import rows: what recording imports (the recorder, which
writes to the spool), and what it would cost to import SQLite instead.
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
        medians = interleaved_medians_ms(commands, runs=15 if quick else 200, env=env)
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
                note="reference (C)" if floor == TRUE else "",
            )
        )
    return result
