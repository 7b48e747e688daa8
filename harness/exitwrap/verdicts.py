"""Verdicts, as DESIGN.md names them: one a convention, and one a cell.

A cell ``conforms`` when every binding convention covering it holds and
``deviates`` when one does not; ``unspecified`` when none covers it, ``n/a``
when the scenario does not apply to the shell, ``absent`` when the shell is
not installed, ``error`` when the harness got no observation. Plain strings
at run time (they are what the JSON documents hold), a closed type for mypy.
"""

from __future__ import annotations

from typing import Final, Literal

Verdict = Literal["conforms", "deviates", "unspecified", "n/a", "absent", "error"]

CONFORMS: Final = "conforms"
DEVIATES: Final = "deviates"
UNSPECIFIED: Final = "unspecified"
NOT_APPLICABLE: Final = "n/a"
ABSENT: Final = "absent"
ERROR: Final = "error"
VERDICTS: Final[tuple[Verdict, ...]] = (
    CONFORMS,
    DEVIATES,
    UNSPECIFIED,
    NOT_APPLICABLE,
    ABSENT,
    ERROR,
)
NOT_RUN: Final[tuple[Verdict, ...]] = (NOT_APPLICABLE, ABSENT, ERROR)  # cells with no outcome
FINDINGS: Final[tuple[Verdict, ...]] = (DEVIATES, ERROR)  # what a report lists as findings
