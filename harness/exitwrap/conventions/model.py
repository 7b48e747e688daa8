"""What a convention is: an expectation about one layer of some scenarios, with its source.

Conventions are expectations, never observations. Each one names the
document it comes from and quotes it. ``binding`` says whether the shells it
covers promise it (POSIX, their own manual) or whether it is a common
practice shown for comparison (the 128+N habit, the 8-bit wrap). A
per-shell ``qualifier`` marks the Oils-style cases: the shell documents its
own rule, or the entry records a known bug.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from exitwrap import signal_names
from exitwrap.conventions.expr import evaluate
from exitwrap.record import Record
from exitwrap.scenarios.globs import matches
from exitwrap.shell_names import documented_by
from exitwrap.shells.status_words import plan9_note

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

# Qualifiers, with the Oils spec tests' names for them (OK, BUG, N-I)
SHELL_RULE = "shell-rule"  # the shell's manual documents its own rule for this cell
KNOWN_BUG = "known-bug"  # a documented defect: the expectation is what the bug does
NOT_IMPLEMENTED = "not-implemented"  # the shell lacks the feature: the expectation is its failure
# the class a cell takes when it conforms through a qualified expectation, as Oils shows it;
# the worst one decides, in this order (Oils: BUG < N-I < OK < pass)
OILS_CLASSES: dict[str, str] = {KNOWN_BUG: "BUG", NOT_IMPLEMENTED: "N-I", SHELL_RULE: "ok"}

# Expectations about what the shell printed rather than a status
OUTPUTS = ("stdout", "stderr")


class Source(Record):
    document: str  # e.g. "POSIX.1-2017, XCU 2.8.2 Exit Status for Commands"
    url: str
    quote: str  # the sentence the expectation rests on, verbatim

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "url": self.url, "quote": self.quote}


# kinds whose value is text, not a formula
TEXT_KINDS = ("text", *OUTPUTS)
# a text kind's operators -> how a report words them
TEXT_OPS = {
    "==": "",
    "!=": "other than ",
    "contains": "containing ",
    "lacks": "without ",
    "matches": "matching ",
}
# numeric kinds -> how a report prefixes the worked-out value
_PREFIXES = {
    "status": "",
    "signal": "signal ",
    "core": "signal ",
    "dword": "DWORD ",
    "wait": "exit ",
}


class Expect(Record):
    """What the checked layer should show.

    kind ``status``: the number (the inner status, or the outer exit code);
    kind ``signal``: the outer process died of that signal;
    kind ``status``: the number (the inner status, or the outer exit code);
    kind ``signal``: the outer process died of that signal;
    kind ``core``: the outer process died of that signal and dumped core;
    kind ``dword``: the outer Windows exit code, as a Windows parent reads it;
    kind ``wait``: the exit code in the outer POSIX wait status (under Wine, what Linux
    sees); a run with no POSIX wait status (native Windows) is not judged by it;
    kind ``text``: the inner status text, with {signame} (lower-case, no SIG), {plan9note}
    (9base's note for the signal: ``sys: kill``) and {N};
    kind ``stdout``/``stderr``: what the shell printed on that stream, taken literally.
    The numeric kinds take ``==``, ``>``, ``!=``, ``in`` (value: formulas separated by
    commas) and ``between`` (value: ``LO,HI``, both inclusive); the text kinds take
    ``==``, ``!=``, ``contains``, ``lacks`` (value is not in it) and ``matches`` (the
    regular expression value is found in it).
    """

    op: str
    value: str
    kind: str = "status"

    def describe(self, n: Optional[int]) -> str:
        """The expectation with its formula worked out for this N, as a report shows it."""
        if self.kind in TEXT_KINDS:
            wording = TEXT_OPS[self.op]
            return f"{self.kind} {wording}{json.dumps(self.text(n), ensure_ascii=False)}"
        values = ", ".join(self._show(v, n) for v in self.formulas)
        prefix = _PREFIXES[self.kind]
        suffix = " with a core dump" if self.kind == "core" else ""
        if self.op == "between":
            low, high = self.values(n)
            return f"{prefix}{low}..{high}{suffix}"
        op = {"==": "= ", ">": "> ", "!=": "!= ", "in": "one of "}[self.op]
        return f"{prefix}{op}{values}{suffix}"

    def text(self, n: Optional[int]) -> str:
        """A text kind's value; the inner status text's with the signal's names and N filled in."""
        if n is None or self.kind != "text":
            return self.value
        name = signal_names.name(n)
        return (
            self.value.replace("{signame}", name[3:].lower())
            .replace("{plan9note}", plan9_note(name))
            .replace("{N}", str(n))
        )

    def text_holds(self, actual: str, n: Optional[int]) -> bool:
        wanted = self.text(n)
        if self.op == "==":
            return actual == wanted
        if self.op == "!=":
            return actual != wanted
        if self.op == "contains":
            return wanted in actual
        if self.op == "lacks":
            return wanted not in actual
        if self.op == "matches":
            return re.search(wanted, actual) is not None
        raise ValueError(f"unknown text operator {self.op!r}")

    @staticmethod
    def _show(formula: str, n: Optional[int]) -> str:
        value = evaluate(formula, n)
        return str(value) if formula == str(value) else f"{value} ({formula})"

    @property
    def formulas(self) -> list[str]:
        """The value's comma-separated formulas (a comma inside min(a, b) separates nothing)."""
        parts, depth, start = [], 0, 0
        for at, char in enumerate(self.value):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "," and depth == 0:
                parts.append(self.value[start:at].strip())
                start = at + 1
        return [*parts, self.value[start:].strip()]

    def values(self, n: Optional[int]) -> list[int]:
        return [evaluate(v, n) for v in self.formulas]

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


class Convention(Record):
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
        if not any(matches(scenario_id, g) for g in self.scenarios):
            return False
        return self.n_range is None or (n is not None and self.n_range[0] <= n <= self.n_range[1])

    def covers_shell(self, shell: str, family: Sequence[str]) -> bool:
        """Whether the convention speaks for shell: a mode (bash-posix) is bound by its base's."""
        return (
            "*" in self.shells
            or any(name in self.shells for name in documented_by(shell))
            or ("@posix" in self.shells and shell in family)
        )
