"""The checker: (observation, expectations) -> a verdict per convention and one per cell.

A cell conforms when every binding convention that covers it holds, and
deviates when one does not; with no binding convention it is unspecified,
whatever the informational ones say. The observation is never changed to
fit an expectation: the verdicts sit beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exitwrap.conventions.model import OILS_CLASSES, OUTPUTS, Convention
from exitwrap.observe.observation import Observation
from exitwrap.record import Record, replace
from exitwrap.scenarios.catalog import INNER, Scenario
from exitwrap.scenarios.globs import is_glob
from exitwrap.status import Termination
from exitwrap.verdicts import CONFORMS, DEVIATES, ERROR, NOT_APPLICABLE, UNSPECIFIED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.verdicts import Verdict


class ConventionResult(Record):
    convention: Convention
    expected: str  # the expectation worked out for this cell
    verdict: Verdict  # CONFORMS or DEVIATES
    note: str = ""


class CellCheck(Record):
    verdict: Verdict
    results: tuple[ConventionResult, ...] = ()
    note: str = ""
    qualifier: str = ""  # the Oils class (ok, N-I, BUG) of a cell that conforms through one

    def qualified(self) -> CellCheck:
        """This check with the Oils class of a users' suite cell: the worst qualifier among
        the binding expectations it conforms to (Oils: BUG, then N-I, then OK)."""
        if self.verdict != CONFORMS:
            return self
        found = {
            r.convention.qualifier for r in self.results if r.convention.binding
        } & OILS_CLASSES.keys()
        worst = next((q for q in OILS_CLASSES if q in found), "")
        return replace(self, qualifier=OILS_CLASSES.get(worst, ""))


def _evaluate(
    convention: Convention, scenario: Scenario, obs: Observation
) -> Optional[ConventionResult]:
    """One convention's verdict on the cell; None when the cell has no such layer to judge."""
    expect, n = convention.expect, scenario.n
    expected = expect.describe(n)

    def verdict(*, holds: bool, note: str = "") -> ConventionResult:
        return ConventionResult(convention, expected, CONFORMS if holds else DEVIATES, note)

    if expect.kind in OUTPUTS:
        printed = obs.stdout if expect.kind == "stdout" else obs.stderr
        return verdict(holds=expect.text_holds(printed, n))
    if convention.layer == INNER:
        if obs.inner is None:
            return verdict(holds=False, note="the shell printed no status")
        if expect.kind == "text":
            return verdict(holds=expect.text_holds(obs.inner, n))
        if obs.inner_value is None:
            return verdict(holds=False, note=f"status {obs.inner!r} is not a number")
        return verdict(holds=expect.holds(obs.inner_value, n))
    if expect.kind == "dword":
        if obs.dword is None:
            return verdict(holds=False, note="no Windows exit code was read")
        return verdict(holds=expect.holds(obs.dword, n))
    if expect.kind == "wait":
        if obs.wait_status is None:
            return None  # no POSIX parent saw this run (native Windows)
        posix = Termination.from_wait_status(obs.wait_status)
        return verdict(holds=posix.exited and expect.holds(posix.value, n))
    outer = obs.outer
    if outer is None:
        return verdict(holds=False, note="no outer status")
    wanted_signal = expect.kind in ("signal", "core")
    holds = outer.signaled == wanted_signal and expect.holds(outer.value, n)
    return verdict(holds=holds and (outer.core or expect.kind != "core"))


class ConventionIndex:
    """The conventions of a run, looked up by scenario once and then only filtered by shell.

    Matching scenario globs is most of the checker's cost: a matrix asks the
    same question for every shell, so the answer is kept per scenario.
    """

    def __init__(self, conventions: Iterable[Convention]) -> None:
        self.conventions = tuple(conventions)
        self._by_scenario: dict[tuple[str, Optional[int]], list[Convention]] = {}
        # a users' suite names its scenarios exactly: those are found by id, not matched
        self._exact: dict[str, list[int]] = {}
        self._globbed: list[int] = []
        for number, convention in enumerate(self.conventions):
            if any(is_glob(glob) for glob in convention.scenarios):
                self._globbed.append(number)
            else:
                for scenario_id in dict.fromkeys(convention.scenarios):
                    self._exact.setdefault(scenario_id, []).append(number)

    def covering(self, shell: str, scenario: Scenario, family: Sequence[str]) -> list[Convention]:
        """The conventions that speak about this shell and scenario."""
        key = (scenario.id, scenario.n)
        candidates = self._by_scenario.get(key)
        if candidates is None:
            numbers = sorted([*self._exact.get(scenario.id, ()), *self._globbed])
            found = (self.conventions[n] for n in numbers)
            candidates = [c for c in found if c.covers_scenario(scenario.id, scenario.n)]
            self._by_scenario[key] = candidates
        return [c for c in candidates if c.covers_shell(shell, family)]


def covering(
    conventions: Iterable[Convention], shell: str, scenario: Scenario, family: Sequence[str]
) -> list[Convention]:
    """The conventions that speak about this shell and scenario (one question, no index)."""
    return ConventionIndex(conventions).covering(shell, scenario, family)


def check(
    obs: Observation,
    scenario: Scenario,
    conventions: Sequence[Convention],
    *,
    applicable: bool = True,
) -> CellCheck:
    """The verdicts for one cell, given the conventions that cover it."""
    if obs.error is not None:
        return CellCheck(ERROR, note=obs.error)
    if not applicable:
        return CellCheck(NOT_APPLICABLE, note="the scenario does not apply to this shell")
    evaluated = (_evaluate(c, scenario, obs) for c in conventions if c.layer == scenario.layer)
    results = tuple(result for result in evaluated if result is not None)
    binding = [r for r in results if r.convention.binding]
    if not binding:
        return CellCheck(UNSPECIFIED, results)
    verdict: Verdict = DEVIATES if any(r.verdict == DEVIATES for r in binding) else CONFORMS
    return CellCheck(verdict, results)
