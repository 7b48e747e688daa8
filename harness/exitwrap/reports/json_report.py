"""Matrix documents on disk: write them, read them back, and check them against the schema."""

from __future__ import annotations

import json
from pathlib import Path

from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from exitwrap.reports.document import MatrixDocument

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "matrix.schema.json"


def render(document: MatrixDocument) -> str:
    """The document as JSON, one record a line: with an indent, json falls back to its
    pure-Python encoder (24 ms for 480 cells, against 7 ms a line at a time), and a record a
    line still diffs record by record."""
    meta = json.dumps(document["meta"], indent=2, ensure_ascii=False)
    records = ",\n".join(json.dumps(record, ensure_ascii=False) for record in document["records"])
    return f'{{"meta": {meta},\n"records": [\n{records}\n]}}\n'


def load(path: str | Path) -> MatrixDocument:
    """Read a matrix file; anything that is not one is a clear failure, not a traceback."""
    try:
        document: MatrixDocument = json.loads(  # its shape: the schema's (tests check it)
            Path(path).read_text(encoding="utf-8")
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HarnessFailure(f"{path}: not a readable matrix file ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        raise HarnessFailure(f"{path}: not a matrix file (no records list)")
    if not isinstance(document.get("meta"), dict):
        raise HarnessFailure(f"{path}: not a matrix file (no meta object)")
    return document


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded
