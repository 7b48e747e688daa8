"""Expected values as small formulas in N (``128+N``, ``N&255``), shown in reports as written.

Only integers, N, parentheses, + - & % and ``min(a, b)``/``max(a, b)`` are
allowed: a catalog entry is data, and this is the whole language it may use
(Wine's "the low 8 bits, or 1 when they are 0 but the code is not" is
``max(N&255, min(N&4294967295, 1))``). Operators bind as in Python: unary
minus, then %, then + and -, then &. A parser of its own, not Python's ast:
the language is five rules, and ast cost every run 2 ms to import.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable

Formula = Callable[["int | None"], int]  # a parsed formula: its value for N

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z_]\w*)|(.))", re.ASCII)
_LEVELS: tuple[dict[str, Callable[[int, int], int]], ...] = (  # loosest first
    {"&": operator.and_},
    {"+": operator.add, "-": operator.sub},
    {"%": operator.mod},
)
_FUNCTIONS: dict[str, Callable[[int, int], int]] = {"min": min, "max": max}
_DIGITS = frozenset("0123456789")


class _Parser:
    """Recursive descent over the formula's tokens, each rule returning the function it
    parsed."""

    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = [m.group(m.lastindex or 0) for m in _TOKEN.finditer(formula.rstrip())]
        self.at = 0

    def error(self) -> ValueError:
        return ValueError(
            f"formula {self.formula!r}: only integers, N, + - & % and min(a, b), max(a, b) are "
            "allowed"
        )

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise self.error()
        self.at += 1
        return token

    def whole(self) -> Formula:
        parsed = self.binary(0)
        if self.peek():
            raise self.error()
        return parsed

    def binary(self, level: int) -> Formula:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in _LEVELS[level]:
            apply = _LEVELS[level][self.take()]
            left = _apply(apply, left, self.binary(level + 1))
        return left

    def unary(self) -> Formula:
        if self.peek() == "-":
            self.take()
            operand = self.unary()
            return lambda n: -operand(n)
        return self.atom()

    def atom(self) -> Formula:
        token = self.take()
        if token[0] in _DIGITS:
            value = int(token)
            return lambda n: value
        if token == "N":
            return _parameter
        if token == "(":
            inner = self.binary(0)
            self.take(")")
            return inner
        if token in _FUNCTIONS:
            self.take("(")
            left = self.binary(0)
            self.take(",")
            right = self.binary(0)
            self.take(")")
            return _apply(_FUNCTIONS[token], left, right)
        raise self.error()


def _apply(function: Callable[[int, int], int], left: Formula, right: Formula) -> Formula:
    return lambda n: function(left(n), right(n))


def _parameter(n: int | None) -> int:
    if n is None:
        raise ValueError("formula uses N but the scenario has no parameter")
    return n


@functools.cache
def _parse(formula: str) -> Formula:
    return _Parser(formula).whole()


def evaluate(formula: str, n: int | None) -> int:
    return _parse(formula)(n)
