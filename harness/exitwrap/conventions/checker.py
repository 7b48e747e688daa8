"""The checker: (observation, expectations) -> a verdict per convention and one per cell.

A cell conforms when every binding convention that covers it holds, and
deviates when one does not; with no binding convention it is unspecified,
whatever the informational ones say. The observation is never changed to
fit an expectation: the verdicts sit beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

from exitwrap.conventions.model import OILS_CLASSES, OUTPUTS, Convention
from exitwrap.observe.observation import Observation
from exitwrap.scenarios.catalog import INNER, Scenario
from exitwrap.signal_names import short_name
from exitwrap.verdicts import CONFORMS, DEVIATES, ERROR, NOT_APPLICABLE, UNSPECIFIED, Verdict


@dataclass(frozen=True)
class ConventionResult:
    convention: Convention
    expected: str  # the expectation worked out for this cell
    verdict: Verdict  # CONFORMS or DEVIATES
    note: str = ""


@dataclass(frozen=True)
class CellCheck:
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
        return dataclasses.replace(self, qualifier=OILS_CLASSES.get(worst, ""))


def _evaluate(convention: Convention, scenario: Scenario, obs: Observation) -> ConventionResult:
    expect, n = convention.expect, scenario.n
    expected = expect.describe(n)
    if expect.kind in OUTPUTS:
        printed = obs.stdout if expect.kind == "stdout" else obs.stderr
        holds = expect.output_holds(printed)
        return ConventionResult(convention, expected, CONFORMS if holds else DEVIATES)
    if convention.layer == INNER:
        if obs.inner is None:
            return ConventionResult(convention, expected, DEVIATES, "the shell printed no status")
        if expect.kind == "text":
            holds = _text_holds(expect.value, obs.inner, n)
        elif obs.inner_value is None:
            return ConventionResult(
                convention, expected, DEVIATES, f"status {obs.inner!r} is not a number"
            )
        else:
            holds = expect.holds(obs.inner_value, n)
        return ConventionResult(convention, expected, CONFORMS if holds else DEVIATES)
    outer = obs.outer
    if outer is None:
        return ConventionResult(convention, expected, DEVIATES, "no outer status")
    wanted_signal = expect.kind == "signal"
    holds = outer.signaled == wanted_signal and expect.holds(outer.value, n)
    return ConventionResult(convention, expected, CONFORMS if holds else DEVIATES)


def _text_holds(template: str, text: str, n: Optional[int]) -> bool:
    name = short_name(n).lower() if n is not None else ""
    return text == template.replace("{signame}", name).replace("{N}", str(n))


_GLOB_CHARACTERS = frozenset("*?[")


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
            if any(set(glob) & _GLOB_CHARACTERS for glob in convention.scenarios):
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
    results = tuple(_evaluate(c, scenario, obs) for c in conventions if c.layer == scenario.layer)
    binding = [r for r in results if r.convention.binding]
    if not binding:
        return CellCheck(UNSPECIFIED, results)
    verdict: Verdict = DEVIATES if any(r.verdict == DEVIATES for r in binding) else CONFORMS
    return CellCheck(verdict, results)
