"""Matrix documents on disk: write them, read them back, and check them against the schema."""

from __future__ import annotations

import json
import os

from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from exitwrap.reports.document import MatrixDocument

SCHEMA_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "schema", "matrix.schema.json"
)


def render(document: MatrixDocument) -> str:
    """The document as JSON, one record a line: with an indent, json falls back to its
    pure-Python encoder (24 ms for 480 cells, against 7 ms a line at a time), and a record a
    line still diffs record by record."""
    meta = json.dumps(document["meta"], indent=2, ensure_ascii=False)
    records = ",\n".join(json.dumps(record, ensure_ascii=False) for record in document["records"])
    return f'{{"meta": {meta},\n"records": [\n{records}\n]}}\n'


def load(path: str | os.PathLike[str]) -> MatrixDocument:
    """Read a matrix file; anything that is not one is a clear failure, not a traceback."""
    try:
        with open(path, encoding="utf-8") as stream:
            document: MatrixDocument = json.load(stream)  # its shape: the schema's (tests check it)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HarnessFailure(f"{path}: not a readable matrix file ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        raise HarnessFailure(f"{path}: not a matrix file (no records list)")
    if not isinstance(document.get("meta"), dict):
        raise HarnessFailure(f"{path}: not a matrix file (no meta object)")
    return document


def schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as stream:
        loaded: dict[str, Any] = json.load(stream)
    return loaded
