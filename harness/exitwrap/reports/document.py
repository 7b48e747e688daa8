"""The matrix document, typed: what ``matrix.json`` holds and every report reads.

DESIGN.md's contract (``schema/matrix.schema.json`` is its JSON Schema): a
``meta`` object and a list of records, one a cell. The matrix writes these,
the plugin writes these, and every writer reads only these, so a report of
a file written last week is the same as one of a run just finished.
Records from a merge carry ``sources`` and ``conflicts`` besides.
"""

from __future__ import annotations

from exitwrap.conventions.checker import ConventionResult
from exitwrap.conventions.model import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, TypedDict

    from exitwrap.status import Outcome  # how a process ended, as JSON
    from exitwrap.verdicts import Verdict

    class SummaryEntry(TypedDict):
        """A run's counts (harness/exitwrap/reports/summary.py)."""

        cells: int
        verdicts: dict[str, int]  # every verdict, zeros included
        timed_out: int  # of the error cells
        results: dict[str, int]  # the suites' cells by Oils class (empty without suites)
        duration_s: Optional[float]
        line: str

    class Meta(TypedDict, total=False):
        schema_version: int
        tool_version: str
        host: str
        platform: str
        started: str
        python: str
        merged_from: list[dict[str, Any]]  # a merged document: each input's meta, with its path
        summary: SummaryEntry  # the run's counts, as its last line on stderr said them

    class SourceEntry(TypedDict):
        document: str
        url: str
        quote: str

    class _ExpectationFields(TypedDict):
        id: str
        summary: str
        expected: str
        verdict: str  # "conforms" | "deviates"
        binding: bool
        qualifier: Optional[str]
        source: SourceEntry

    class Expectation(_ExpectationFields, total=False):
        """One covering convention's expected value and verdict for a cell."""

        note: str

    class Conflict(TypedDict):
        """Another input's different outcome for a merged cell."""

        source: str
        host: str
        observed: str
        verdict: Verdict
        inner: Optional[str]
        outer: Optional[Outcome]

    class _RecordFields(TypedDict):
        shell: str
        shell_version: str
        platform: str
        scenario: str
        layer: str  # "inner" | "outer"
        command: Optional[list[str]]
        inner: Optional[str]
        inner_value: Optional[int]
        outer: Optional[Outcome]
        expected: list[Expectation]
        verdict: Verdict
        duration_s: float

    class CellRecord(_RecordFields, total=False):
        """One cell: what was observed, and each covering convention's verdict."""

        shell_name: str
        shell_path: Optional[str]
        shell_manual: str
        script: Optional[str]
        wait_status: Optional[int]
        dword: Optional[int]
        note: Optional[str]
        stdout: str
        stderr: str
        timed_out: bool  # an error cell whose timeout fired (Oils' TIME)
        suite: str  # a user's scenario or spec file the scenario comes from
        summary: str  # that scenario's summary (a spec case's description)
        result: Optional[str]  # a suite cell's Oils class: pass, ok, N-I, BUG, FAIL, TIME
        sources: list[str]  # a merged record: the files it came from
        conflicts: Optional[list[Conflict]]  # a merged record: outcomes that differ

    class MatrixDocument(TypedDict):
        meta: Meta
        records: list[CellRecord]

else:  # at run time each is a plain dict, as a TypedDict's instances are
    SummaryEntry = Meta = SourceEntry = Expectation = Conflict = CellRecord = MatrixDocument = dict


def source_entry(source: Source) -> SourceEntry:
    return {"document": source.document, "url": source.url, "quote": source.quote}


def expectation_entry(result: ConventionResult) -> Expectation:
    """A convention's result for one cell, as the record lists it."""
    convention = result.convention
    entry: Expectation = {
        "id": convention.id,
        "summary": convention.summary,
        "expected": result.expected,
        "verdict": result.verdict,
        "binding": convention.binding,
        "qualifier": convention.qualifier or None,
        "source": source_entry(convention.source),
    }
    if result.note:
        entry["note"] = result.note
    return entry
