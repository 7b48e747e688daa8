"""Matrix files handed to the report commands, checked before any writer reads them.

The writers index records by the fields the schema requires; a file that
lacks one (hand-edited, truncated, from another tool) must fail as one clear
line naming the file and the record, never as a KeyError deep in a writer.
The check is the schema's own list of required fields plus the types the
writers rely on, so no JSON Schema library is needed at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from exitwrap.errors import HarnessFailure
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.json_report import load, schema
from exitwrap.scenarios.catalog import INNER, OUTER
from exitwrap.verdicts import VERDICTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

_STRINGS = ("shell", "shell_version", "platform", "scenario")
_EXPECTATION_STRINGS = ("id", "expected", "verdict")
_SOURCE_STRINGS = ("document", "url", "quote")


def _expectation_problem(entry: Any) -> Optional[str]:
    if not isinstance(entry, dict):
        return "an expectation is not an object"
    if not all(isinstance(entry.get(key), str) for key in _EXPECTATION_STRINGS):
        return f"an expectation lacks one of {', '.join(_EXPECTATION_STRINGS)}"
    source = entry.get("source")
    if not isinstance(source, dict) or not all(
        isinstance(source.get(key), str) for key in _SOURCE_STRINGS
    ):
        return f"expectation {entry['id']!r} has no source document, url and quote"
    return None


def record_problem(record: Any, required: Sequence[str]) -> Optional[str]:
    """Why a record cannot be reported, or None when the writers can read it."""
    if not isinstance(record, dict):
        return "not an object"
    missing = [key for key in required if key not in record]
    if missing:
        return f"missing {', '.join(missing)}"
    wrong = [key for key in _STRINGS if not isinstance(record[key], str)]
    if wrong:
        return f"{', '.join(wrong)} must be text"
    if record["verdict"] not in VERDICTS:
        return f"unknown verdict {record['verdict']!r}"
    if record["layer"] not in (INNER, OUTER):
        return f"unknown layer {record['layer']!r}"
    outer = record["outer"]
    if outer is not None and not (isinstance(outer, dict) and {"kind", "value"} <= outer.keys()):
        return "outer must be null or an object with kind and value"
    if not isinstance(record["expected"], list):
        return "expected must be a list"
    for entry in record["expected"]:
        problem = _expectation_problem(entry)
        if problem:
            return problem
    return None


def schema_version() -> int:
    """The version of the matrix format this package writes, as its shipped schema pins it."""
    version: int = schema()["properties"]["meta"]["properties"]["schema_version"]["const"]
    return version


def load_matrix(path: str | Path) -> MatrixDocument:
    """Read one matrix file; anything a writer could not read is a HarnessFailure (exit 1)."""
    document = load(path)
    required = schema()["$defs"]["record"]["required"]
    for number, record in enumerate(document["records"], start=1):
        problem = record_problem(record, required)
        if problem:
            raise HarnessFailure(f"{path}: record {number}: {problem}")
    return document


def load_matrices(paths: Sequence[str | Path]) -> list[tuple[str, MatrixDocument]]:
    """(name, document) for each file, in the order given."""
    return [(str(path), load_matrix(path)) for path in paths]
