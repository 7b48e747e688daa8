"""Expected values as small formulas in N (``128+N``, ``N&255``), shown in reports as written.

Only integers, N, parentheses, + - & % and ``min(a, b)``/``max(a, b)`` are
allowed: a catalog entry is data, and this is the whole language it may use
(Wine's "the low 8 bits, or 1 when they are 0 but the code is not" is
``max(N&255, min(N&4294967295, 1))``).
"""

from __future__ import annotations

import ast
import functools
import operator
from typing import Callable, Optional

_OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.BitAnd: operator.and_,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, Callable[[int, int], int]] = {"min": min, "max": max}


@functools.cache
def _parse(formula: str) -> ast.expr:
    tree = ast.parse(formula, mode="eval").body
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.USub, ast.Constant, ast.Name, ast.Load, ast.Call)
        if (
            not isinstance(node, (*allowed, *_OPERATORS))
            or (isinstance(node, ast.Name) and node.id != "N" and id(node) not in callees)
            or (isinstance(node, ast.Call) and not _is_function_call(node))
        ):
            raise ValueError(
                f"formula {formula!r}: only integers, N, + - & % and min(a, b), max(a, b) are "
                "allowed"
            )
    return tree


def _is_function_call(node: ast.Call) -> bool:
    return (
        isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 2
        and not node.keywords
    )


def _eval(node: ast.expr, n: Optional[int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        left, right = (_eval(arg, n) for arg in node.args)
        return _FUNCTIONS[node.func.id](left, right)
    if isinstance(node, ast.Name):
        if n is None:
            raise ValueError("formula uses N but the scenario has no parameter")
        return n
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, n)
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_eval(node.left, n), _eval(node.right, n))
    raise ValueError(f"not a formula node: {ast.dump(node)}")


def evaluate(formula: str, n: Optional[int]) -> int:
    return _eval(_parse(formula), n)
