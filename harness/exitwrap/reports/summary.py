"""A run in one line: how many cells had each verdict, and the users' suites' Oils classes.

``1222 cells: 594 conform, 22 deviate, 129 unspecified, 383 n/a, 94 absent,
0 error in 6.9 s``, then, when users' suites ran, their cells in Oils'
classes (``; suites: 28 pass, 4 ok, 5 N-I, 3 BUG, 4 FAIL, 2 TIME``). The
matrix prints it on stderr at the end of every run and keeps the counts in
the JSON's meta; the Markdown and HTML reports count them again from the
records, so a merged or hand-trimmed file reads true.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from exitwrap.reports.document import CellRecord, SummaryEntry
from exitwrap.verdicts import ERROR, RESULTS, VERDICTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

# how the line says each verdict ("594 conform, 22 deviate")
WORDS: Mapping[str, str] = {"conforms": "conform", "deviates": "deviate"}


def summarize(records: Iterable[CellRecord], duration_s: Optional[float] = None) -> SummaryEntry:
    records = list(records)
    verdicts = Counter(str(r["verdict"]) for r in records)
    results = Counter(str(r.get("result")) for r in records if r.get("result"))
    suites = any(r.get("suite") for r in records)
    entry: SummaryEntry = {
        "cells": len(records),
        "verdicts": {v: verdicts[v] for v in VERDICTS},
        "timed_out": sum(1 for r in records if r.get("timed_out")),
        "results": {r: results[r] for r in RESULTS} if suites else {},
        "duration_s": None if duration_s is None else round(duration_s, 3),
        "line": "",
    }
    entry["line"] = summary_line(entry)
    return entry


def summary_line(entry: SummaryEntry) -> str:
    counts = []
    for verdict, count in entry["verdicts"].items():
        text = f"{count} {WORDS.get(verdict, verdict)}"
        if verdict == ERROR and entry["timed_out"]:
            text += f" ({entry['timed_out']} timed out)"
        counts.append(text)
    line = f"{entry['cells']} cells: " + ", ".join(counts)
    if entry["duration_s"] is not None:
        line += f" in {entry['duration_s']:.3g} s"
    if entry["results"]:
        line += "; suites: " + ", ".join(f"{n} {r}" for r, n in entry["results"].items())
    return line


def document_summary(records: Iterable[CellRecord], meta: Mapping[str, object]) -> SummaryEntry:
    """The counts a report shows: from the records, with the run's duration when it kept one."""
    kept = meta.get("summary")
    duration = kept.get("duration_s") if isinstance(kept, dict) else None
    return summarize(records, duration if isinstance(duration, (int, float)) else None)
