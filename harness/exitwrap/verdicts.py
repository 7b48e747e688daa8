"""Verdicts, as DESIGN.md names them: one a convention, and one a cell.

A cell ``conforms`` when every binding convention covering it holds and
``deviates`` when one does not; ``unspecified`` when none covers it, ``n/a``
when the scenario does not apply to the shell, ``absent`` when the shell is
not installed, ``error`` when the harness got no observation. Plain strings
at run time (they are what the JSON documents hold), a closed type for mypy.

A cell of a user's own suite (a scenario file, an Oils spec file) also has
a result in the Oils spec tests' classes: ``pass``, ``ok``, ``N-I`` and
``BUG`` are cells that conform (the last three through a shell's qualified
expectation: its own rule, a missing feature, a known bug), ``FAIL`` one
that deviates, ``TIME`` one that timed out.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal, Optional

    Verdict = Literal["conforms", "deviates", "unspecified", "n/a", "absent", "error"]
    Result = Literal["pass", "ok", "N-I", "BUG", "FAIL", "TIME"]
else:  # at run time each is a string
    Verdict = Result = str

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

RESULTS: Final[tuple[Result, ...]] = ("pass", "ok", "N-I", "BUG", "FAIL", "TIME")


def result_of(verdict: str, qualifier: str, *, timed_out: bool) -> Optional[str]:
    """A suite cell's Oils class; None for a cell with none (unspecified, n/a, absent, error)."""
    if timed_out:
        return "TIME"
    if verdict == DEVIATES:
        return "FAIL"
    if verdict == CONFORMS:
        return qualifier or "pass"
    return None
