"""How a matrix cell reads in every format: the observed value and the verdict's mark."""

from __future__ import annotations

import json
from collections.abc import Mapping

from exitwrap.reports.document import CellRecord
from exitwrap.verdicts import (
    ABSENT,
    CONFORMS,
    DEVIATES,
    ERROR,
    NOT_APPLICABLE,
    NOT_RUN,
    UNSPECIFIED,
    Verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.status import Outcome

Record = CellRecord

VERDICT_MARKS: Mapping[Verdict, str] = {
    CONFORMS: "✓",
    DEVIATES: "✗",
    UNSPECIFIED: "·",
    NOT_APPLICABLE: "n/a",
    ABSENT: "absent",
    ERROR: "ERROR",
}


def outer_text(outer: Optional[Outcome]) -> str:
    if not outer:
        return "-"
    if outer["kind"] == "signaled":
        return f"signal {outer['value']}" + (" (core)" if outer.get("core") else "")
    return f"exit {outer['value']}"


def observed_text(record: Record) -> str:
    """The value the cell's layer shows: the shell's status text, or how the process ended.

    An empty status (Plan 9 rc's null string: success) shows as rc writes it, ``''``;
    under Wine an outer cell shows the DWORD a Windows parent read beside Linux's view.
    """
    if record["verdict"] in NOT_RUN and not record.get("outer"):
        return ""
    if record["layer"] == "inner":
        inner = record.get("inner")
        return "(none)" if inner is None else str(inner) or "''"
    dword = record.get("dword")
    both = dword is not None and record.get("wait_status") is not None
    return outer_text(record.get("outer")) + (f" (DWORD {dword})" if both else "")


def command_text(record: Record) -> str:
    """The command a cell ran as an argv list (JSON), quotes and newlines shown unambiguously."""
    return json.dumps(record.get("command"), ensure_ascii=False)


def mark(record: Record) -> str:
    """A suite cell's Oils class (pass, ok, N-I, BUG, FAIL, TIME), else the verdict's mark."""
    return record.get("result") or VERDICT_MARKS.get(record["verdict"], record["verdict"])


def cell_text(record: Record) -> str:
    """Observed value and verdict mark, as a table cell shows them (and a merge's conflict)."""
    observed = observed_text(record)
    conflict = " (conflict)" if record.get("conflicts") else ""
    return f"{observed} {mark(record)}{conflict}".strip()


def row_summary(record: Record) -> str:
    """What a row shows after a suite's scenario id: its summary (a spec case's description)."""
    return str(record.get("summary") or "") if record.get("suite") else ""


def finding_detail(record: Record) -> str:
    """Why a cell is a finding: the binding conventions it breaks and their documents."""
    failed = [e for e in record["expected"] if e["verdict"] == DEVIATES and e.get("binding")]
    detail = "; ".join(
        f"{e['id']} expects {e['expected']} ({e['source']['document']})" for e in failed
    )
    return detail or (record.get("note") or "")


def outcome(record: Record) -> tuple[object, ...]:
    """What a cell found, without what differs between machines (commands, paths, durations).

    Two records of one cell with the same outcome say the same thing: a merge
    folds them, a diff sees no change.
    """
    outer: Mapping[str, object] = record.get("outer") or {}
    return (
        record.get("inner"),
        outer.get("kind"),
        outer.get("value"),
        bool(outer.get("core")),
        record.get("dword"),
        record["verdict"],
        record.get("result"),
    )


def column_key(record: Record) -> tuple[str, str, str]:
    """A matrix column: (shell, version, platform)."""
    return (str(record["shell"]), str(record["shell_version"]), str(record["platform"]))


def column_title(key: tuple[str, str, str]) -> str:
    shell, version, platform = key
    return f"{shell} {version} ({platform})" if version != "unknown" else f"{shell} ({platform})"
