"""What a convention is: an expectation about one layer of some scenarios, with its source.

Conventions are expectations, never observations. Each one names the
document it comes from and quotes it. ``binding`` says whether the shells it
covers promise it (POSIX, their own manual) or whether it is a common
practice shown for comparison (the 128+N habit, the 8-bit wrap). A
per-shell ``qualifier`` marks the Oils-style cases: the shell documents its
own rule, or the entry records a known bug.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from exitwrap.conventions.expr import evaluate

# Qualifiers, with the Oils spec tests' names for them (OK, BUG, N-I)
SHELL_RULE = "shell-rule"  # the shell's manual documents its own rule for this cell
KNOWN_BUG = "known-bug"  # a documented defect: the expectation is what the bug does
NOT_IMPLEMENTED = "not-implemented"  # the shell lacks the feature: the expectation is its failure
# the class a cell takes when it conforms through a qualified expectation, as Oils shows it;
# the worst one decides, in this order (Oils: BUG < N-I < OK < pass)
OILS_CLASSES: dict[str, str] = {KNOWN_BUG: "BUG", NOT_IMPLEMENTED: "N-I", SHELL_RULE: "ok"}

# Expectations about what the shell printed rather than a status
OUTPUTS = ("stdout", "stderr")
OUTPUT_OPS = ("==", "matches", "lacks")  # the exact text, a regular expression found, a substring


@dataclass(frozen=True)
class Source:
    document: str  # e.g. "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands"
    url: str
    quote: str  # the sentence the expectation rests on, verbatim

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "url": self.url, "quote": self.quote}


@dataclass(frozen=True)
class Expect:
    """What the checked layer should show.

    kind ``status``: the number (the inner status, or the outer exit code);
    kind ``signal``: the outer process died of that signal;
    kind ``text``: the inner status text, with {signame} (lower-case, no SIG);
    kind ``stdout``/``stderr``: what the shell printed, with op ``==`` (exactly value),
    ``matches`` (the regular expression value is found in it) or ``lacks`` (value is not in it).
    For the others op is one of ``==``, ``>``, ``!=``, ``in`` (value: formulas separated by
    commas) and ``between`` (value: ``LO,HI``, both inclusive).
    """

    op: str
    value: str
    kind: str = "status"

    def describe(self, n: Optional[int]) -> str:
        """The expectation with its formula worked out for this N, as a report shows it."""
        if self.kind == "text":
            return f"text {self.value}"
        if self.kind in OUTPUTS:
            shown = json.dumps(self.value, ensure_ascii=False)
            wording = {"==": "", "matches": "matching ", "lacks": "without "}[self.op]
            return f"{self.kind} {wording}{shown}"
        values = ", ".join(self._show(v.strip(), n) for v in self.value.split(","))
        prefix = "signal " if self.kind == "signal" else ""
        if self.op == "between":
            low, high = self.values(n)
            return f"{prefix}{low}..{high}"
        op = {"==": "= ", ">": "> ", "!=": "!= ", "in": "one of "}[self.op]
        return f"{prefix}{op}{values}"

    @staticmethod
    def _show(formula: str, n: Optional[int]) -> str:
        value = evaluate(formula, n)
        return str(value) if formula == str(value) else f"{value} ({formula})"

    def output_holds(self, printed: str) -> bool:
        """Whether what the shell printed on this stream is what a stdout/stderr kind expects."""
        if self.op == "==":
            return printed == self.value
        if self.op == "matches":
            return re.search(self.value, printed) is not None
        if self.op == "lacks":
            return self.value not in printed
        raise ValueError(f"unknown output operator {self.op!r}")

    def values(self, n: Optional[int]) -> list[int]:
        return [evaluate(v.strip(), n) for v in self.value.split(",")]

    def holds(self, actual: int, n: Optional[int]) -> bool:
        wanted = self.values(n)
        if self.op == "==":
            return actual == wanted[0]
        if self.op == ">":
            return actual > wanted[0]
        if self.op == "!=":
            return actual != wanted[0]
        if self.op == "in":
            return actual in wanted
        if self.op == "between":
            return wanted[0] <= actual <= wanted[1]
        raise ValueError(f"unknown operator {self.op!r}")


@dataclass(frozen=True)
class Convention:
    id: str
    summary: str
    scenarios: tuple[str, ...]  # globs over scenario ids
    layer: str  # "inner" or "outer"
    expect: Expect
    source: Source
    shells: tuple[str, ...]  # shell names, or "@posix" for the POSIX family, "*" for all
    binding: bool = True
    qualifier: str = ""
    n_range: Optional[tuple[int, int]] = None  # applies only when lo <= N <= hi

    def covers(self, scenario_id: str, n: Optional[int], shell: str, family: Sequence[str]) -> bool:
        return self.covers_scenario(scenario_id, n) and self.covers_shell(shell, family)

    def covers_scenario(self, scenario_id: str, n: Optional[int]) -> bool:
        if not any(fnmatch.fnmatchcase(scenario_id, g) for g in self.scenarios):
            return False
        return self.n_range is None or (n is not None and self.n_range[0] <= n <= self.n_range[1])

    def covers_shell(self, shell: str, family: Sequence[str]) -> bool:
        return (
            "*" in self.shells
            or shell in self.shells
            or ("@posix" in self.shells and shell in family)
        )
