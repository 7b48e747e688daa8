"""Expected values as small formulas in N (``128+N``, ``N&255``), shown in reports as written.

Only integers, N, parentheses and + - & % are allowed: a catalog entry is
data, and this is the whole language it may use.
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


@functools.cache
def _parse(formula: str) -> ast.expr:
    tree = ast.parse(formula, mode="eval").body
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.USub, ast.Constant, ast.Name, ast.Load, *_OPERATORS)
        if not isinstance(node, allowed) or (isinstance(node, ast.Name) and node.id != "N"):
            raise ValueError(f"formula {formula!r}: only integers, N and + - & % are allowed")
    return tree


def _eval(node: ast.expr, n: Optional[int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
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
