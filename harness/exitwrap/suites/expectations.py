"""Expectations users state (a scenario file, the pytest plugin's ``expect``) as conventions.

The checker knows one kind of expectation, the convention: an expected
value for one layer of some scenarios, with its source. A user's "exits 3
under every shell, 2 under ksh93" becomes conventions of the same shape, so
their cells get verdicts, reports and sources exactly as the built-in
catalog's do, and the observation is still never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

from exitwrap.conventions.model import KNOWN_BUG, SHELL_RULE, Convention, Expect, Source
from exitwrap.errors import UsageError

Status = Union[int, Sequence[int]]  # one exit status, or any of several
ID_FORBIDDEN = frozenset("*?[] \t\r\n")  # glob characters and blanks: ids are matched as globs


class KnownBug:
    """A per-shell expectation that records a shell's documented defect (Oils' ``BUG``)."""

    def __init__(self, status: Status) -> None:
        self.status = status

    def __repr__(self) -> str:
        return f"bug({self.status!r})"


def bug(status: Status) -> KnownBug:
    """Mark a per-shell expectation as a known bug of that shell, not its own rule."""
    return KnownBug(status)


PerShell = Union[Status, KnownBug]


def check_status(value: object, what: str) -> Status:
    """An exit status or a non-empty list of them; anything else is a usage error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    raise UsageError(f"{what} must be an integer status or a list of them, not {value!r}")


def check_id(scenario_id: object, what: str) -> str:
    if not isinstance(scenario_id, str) or not scenario_id.strip():
        raise UsageError(f"{what}: a scenario needs a non-empty text id")
    bad = sorted(ID_FORBIDDEN & set(scenario_id))
    if bad or not scenario_id.isprintable():
        raise UsageError(f"{what}: id {scenario_id!r} may not hold blanks or glob characters")
    return scenario_id


def status_expect(status: Status) -> Expect:
    if isinstance(status, int):
        return Expect("==", str(status))
    return Expect("in", ",".join(str(s) for s in status))


def status_conventions(
    scenario_id: str,
    layer: str,
    default: Status | None,
    per_shell: Mapping[str, PerShell],
    source: Source,
    all_shells: Sequence[str],
) -> list[Convention]:
    """The conventions for one scenario: the default for every shell not named, one per name."""
    summary = f"{scenario_id}: the {layer} status the user expects"
    conventions = []
    if default is not None:
        others = tuple(name for name in all_shells if name not in per_shell)
        conventions.append(
            Convention(
                f"user:{scenario_id}",
                summary,
                (scenario_id,),
                layer,
                status_expect(default),
                source,
                others,
            )
        )
    for name, wanted in per_shell.items():
        status = wanted.status if isinstance(wanted, KnownBug) else wanted
        conventions.append(
            Convention(
                f"user:{scenario_id}@{name}",
                f"{summary} under {name}",
                (scenario_id,),
                layer,
                status_expect(status),
                source,
                (name,),
                qualifier=KNOWN_BUG if isinstance(wanted, KnownBug) else SHELL_RULE,
            )
        )
    return conventions
