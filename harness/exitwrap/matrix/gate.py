"""The matrix as a CI gate: which verdicts fail a run (``exitcodes matrix --fail-on``).

A run of the built-in catalog alone fails only on ``error`` cells: a
deviation there is a finding about a shell, not a failure of the caller's.
A run that includes the users' own scenarios (a scenario file, an Oils spec
file) fails on ``deviates`` and ``error``: those are the user's own
expectations, and a CI job exists to notice when one no longer holds. Oils'
runner counts a timeout as no failure; ``--fail-on deviates`` is that rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exitwrap.errors import UsageError
from exitwrap.matrix.run import CellResult
from exitwrap.verdicts import DEVIATES, ERROR, VERDICTS

BUILT_IN_DEFAULT = frozenset({ERROR})
SUITES_DEFAULT = frozenset({DEVIATES, ERROR})
NEVER = "none"
SHOWN = 5  # failing cells named in the message


def parse_fail_on(text: str) -> frozenset[str]:
    """Comma-separated verdicts, or ``none``; anything else is a usage error."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if names == [NEVER]:
        return frozenset()
    unknown = [name for name in names if name not in VERDICTS]
    if unknown or not names:
        raise UsageError(
            f"--fail-on: {unknown[0] if unknown else text!r} is not a verdict "
            f"(choose from {', '.join(VERDICTS)}, or {NEVER})"
        )
    return frozenset(names)


def default_fail_on(*, with_suites: bool) -> frozenset[str]:
    return SUITES_DEFAULT if with_suites else BUILT_IN_DEFAULT


def failing(cells: Iterable[CellResult], fail_on: frozenset[str]) -> list[CellResult]:
    return [cell for cell in cells if cell.verdict in fail_on]


def failure_message(failed: Sequence[CellResult], fail_on: frozenset[str]) -> str:
    """One line: how many cells failed the gate, and the first few of them."""
    named = ", ".join(
        f"{c.shell.label} {c.scenario.id} ({c.result or c.verdict})" for c in failed[:SHOWN]
    )
    more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    verdicts = ",".join(v for v in VERDICTS if v in fail_on)
    return f"failed (--fail-on {verdicts}): {len(failed)} cells: {named}{more}"
