"""One matrix from several runs: other machines, other operating systems, other shell versions.

A column is (shell, version, platform), so runs on different machines sit
side by side. Two runs that report the same cell with the same outcome fold
into one record that lists both sources; when the outcomes differ, the
first is kept and every other one is attached to it as a conflict naming its
source, so no observation is dropped and none is silently preferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exitwrap import __version__
from exitwrap.reports.cells import Record, cell_text, column_key, column_title, outcome
from exitwrap.reports.document import Conflict as ConflictEntry
from exitwrap.reports.document import MatrixDocument, Meta
from exitwrap.reports.inputs import schema_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CellKey = tuple[tuple[str, str, str], str]  # (column, scenario)


@dataclass(frozen=True)
class Conflict:
    """A cell that two or more runs saw differently."""

    column: tuple[str, str, str]
    scenario: str
    record: Record  # the kept record, with its "conflicts" list

    def describe(self) -> str:
        """One line: the cell, then each source with what it observed."""
        kept = ", ".join(self.record.get("sources") or [])
        seen = [f"{kept}: {_observed(self.record)}"]
        seen += [f"{c['source']}: {c['observed']}" for c in self.record.get("conflicts") or []]
        return f"{column_title(self.column)} `{self.scenario}`: " + "; ".join(seen)


def _observed(record: Record) -> str:
    return cell_text({**record, "conflicts": None})


def _sources(record: Record, name: str) -> list[str]:
    return list(record.get("sources") or [name])


def _conflict_entry(record: Record, name: str, host: str) -> ConflictEntry:
    return {
        "source": ", ".join(_sources(record, name)),
        "host": host,
        "observed": _observed(record),
        "verdict": record["verdict"],
        "inner": record.get("inner"),
        "outer": record.get("outer"),
    }


def _merge_meta(named: Sequence[tuple[str, MatrixDocument]]) -> Meta:
    runs: list[dict[str, Any]] = []
    for name, document in named:
        meta = document["meta"]
        runs += meta.get("merged_from") or [{"path": name, **meta}]
    hosts = dict.fromkeys(str(run.get("host", "?")) for run in runs)
    platforms = dict.fromkeys(str(run.get("platform", "?")) for run in runs)
    return {
        "schema_version": schema_version(),
        "tool_version": __version__,
        "host": ", ".join(hosts),
        "platform": ", ".join(platforms),
        "started": min((str(run.get("started", "")) for run in runs), default=""),
        "merged_from": runs,
    }


def merge(named: Sequence[tuple[str, MatrixDocument]]) -> MatrixDocument:
    """Merge (name, document) pairs in order; see the module docstring for what folds."""
    merged: dict[CellKey, Record] = {}
    for name, document in named:
        host = str(document["meta"].get("host", "?"))
        for record in document["records"]:
            key = (column_key(record), record["scenario"])
            kept = merged.get(key)
            if kept is None:
                merged[key] = {**record, "sources": _sources(record, name)}
            elif outcome(record) == outcome(kept):
                sources = kept.setdefault("sources", [])
                sources += [s for s in _sources(record, name) if s not in sources]
            else:
                kept["conflicts"] = [
                    *(kept.get("conflicts") or []),
                    _conflict_entry(record, name, host),
                    *(record.get("conflicts") or []),
                ]
    return {"meta": _merge_meta(named), "records": list(merged.values())}


def conflicts(document: MatrixDocument) -> list[Conflict]:
    return [
        Conflict(column_key(r), r["scenario"], r) for r in document["records"] if r.get("conflicts")
    ]
