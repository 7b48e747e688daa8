"""The pytest plugin's cells in the accounting: a session is a job, each cell a step.

As ``exitcodes matrix`` does (harness/exitwrap/matrix/feed.py), so a
tool author's test runs are queried with ``exitcodes sacct`` like any
conformance run: job name ``pytest``, steps ``<shell>/<test id>``, each
exit code the child's outcome as the shell reported it, the verdict as the
comment, the job's exit code pytest's own status. The controller records at
the end, from the matrix records, which is the form in which pytest-xdist
workers' cells reach it; a session without cells leaves no job behind.
Recording never changes the session's outcome: a failure comes back as a
warning to show.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from exitwrap.accounting.location import database_path
from exitwrap.accounting.recorder import RecordingError
from exitwrap.conventions.checker import CellCheck
from exitwrap.matrix.feed import MatrixRun, finish_recording
from exitwrap.matrix.run import CellResult
from exitwrap.observe.observation import Observation
from exitwrap.scenarios.catalog import Scenario
from exitwrap.shells.catalog import BY_NAME
from exitwrap.shells.shell import Shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

JOB_NAME = "pytest"


def cell_from_record(record: Mapping[str, Any]) -> Optional[CellResult]:
    """The cell a record was made from, as far as the accounting needs it."""
    spec = BY_NAME.get(str(record.get("shell_name")))
    if spec is None:
        return None
    note = record.get("note") or ""
    shell = Shell(
        spec,
        record["shell"],
        record.get("shell_path"),
        record["shell_version"],
        record["platform"],
        note if record.get("shell_path") is None else "",
    )
    observation = None
    if record.get("outer") is not None or record.get("inner") is not None:
        observation = Observation(
            wait_status=record.get("wait_status"),
            dword=record.get("dword"),
            inner=record.get("inner"),
            duration_s=float(record.get("duration_s") or 0.0),
        )
    scenario = Scenario(record["scenario"], "pytest", record["layer"], {}, "")
    check = CellCheck(record["verdict"], note=note)
    return CellResult(
        shell, scenario, record.get("command"), observation, check, record.get("script")
    )


def record_session(
    records: Sequence[Mapping[str, Any]],
    argv: Sequence[str],
    exit_code: int,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """Record the session's cells as one job; the warnings to show (empty when all went well)."""
    cells = [cell for cell in map(cell_from_record, records) if cell is not None]
    path = database_path(environ)
    if not cells or path is None:
        return []
    warnings: list[str] = []
    try:
        run = MatrixRun.start(path, argv, name=JOB_NAME, warn=warnings.append)
    except RecordingError as error:
        return [f"not recorded: {error}"]
    finish_recording(run, cells, exit_code, warnings.append)
    return warnings
