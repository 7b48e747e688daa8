"""What changed between two matrices: a regression gate for CI.

Cells are compared by outcome (what the shell reported, how the process
ended, the verdict), never by command, path or duration, which differ from
machine to machine. Columns pair up by (shell, version, platform); a column
left over on each side with the same shell and platform pairs with its
counterpart, so an upgraded shell (bash 5.2.15 to 5.2.21) is compared cell
by cell rather than showing as one column gone and another new.

A changed cell, or a cell of the base that the new matrix lacks (a
regression may hide behind a missing cell), makes the diff a regression.
New cells (more scenarios, another shell) are listed but do not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from exitwrap.reports.cells import Record, cell_text, column_key, column_title, outcome
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.markdown import escape

Column = tuple[str, str, str]


@dataclass(frozen=True)
class CellChange:
    scenario: str
    base: Record
    new: Record


@dataclass
class MatrixDiff:
    compared: int = 0
    changed: list[CellChange] = field(default_factory=list)
    missing: list[Record] = field(default_factory=list)  # in the base only
    added: list[Record] = field(default_factory=list)  # in the new matrix only
    upgrades: list[tuple[Column, Column]] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.changed or self.missing)


def _by_column(document: MatrixDocument) -> dict[Column, dict[str, Record]]:
    columns: dict[Column, dict[str, Record]] = defaultdict(dict)
    for record in document["records"]:
        columns[column_key(record)][record["scenario"]] = record
    return columns


def pair_columns(base: list[Column], new: list[Column]) -> list[tuple[Column, Column]]:
    """Same key first; then one leftover per (shell, platform) on each side pairs up."""
    pairs = [(c, c) for c in base if c in new]
    left_base = [c for c in base if c not in new]
    left_new = [c for c in new if c not in base]
    for b in left_base:
        same = [b[0], b[2]]
        base_like = [c for c in left_base if [c[0], c[2]] == same]
        new_like = [c for c in left_new if [c[0], c[2]] == same]
        if len(base_like) == 1 and len(new_like) == 1:
            pairs.append((b, new_like[0]))
    return pairs


def diff(base: MatrixDocument, new: MatrixDocument) -> MatrixDiff:
    base_cols, new_cols = _by_column(base), _by_column(new)
    result = MatrixDiff()
    paired_new = set()
    for b, n in pair_columns(list(base_cols), list(new_cols)):
        paired_new.add(n)
        if b != n:
            result.upgrades.append((b, n))
        for scenario, old in base_cols.pop(b).items():
            now = new_cols[n].pop(scenario, None)
            if now is None:
                result.missing.append(old)
                continue
            result.compared += 1
            if outcome(old) != outcome(now):
                result.changed.append(CellChange(scenario, old, now))
    for cells in base_cols.values():
        result.missing += cells.values()
    for cells in new_cols.values():
        result.added += cells.values()
    return result


def _cell_name(record: Record) -> str:
    return escape(f"{column_title(column_key(record))} `{record['scenario']}`")


def render(result: MatrixDiff, base_name: str, new_name: str) -> str:
    """The diff as Markdown, for a CI log or a step summary."""
    lines = [f"# Matrix diff: {base_name} → {new_name}", ""]
    lines += [
        f"- {column_title(b)} is now {n[1]} (was {b[1]}); compared cell by cell"
        for b, n in result.upgrades
    ]
    if result.changed:
        lines += ["", "| cell | base | new |", "|---|---|---|"]
        lines += [
            f"| {_cell_name(c.base)} | {escape(cell_text(c.base))} | {escape(cell_text(c.new))} |"
            for c in result.changed
        ]
    if result.missing:
        lines += ["", "Missing from the new matrix:", ""]
        lines += [f"- {_cell_name(r)}: was {escape(cell_text(r))}" for r in result.missing]
    if result.added:
        lines += ["", "New cells (not a regression):", ""]
        lines += [f"- {_cell_name(r)}: {escape(cell_text(r))}" for r in result.added]
    lines += [
        "",
        f"{len(result.changed)} of {result.compared} compared cells changed, "
        f"{len(result.missing)} missing, {len(result.added)} new.",
    ]
    return "\n".join(lines) + "\n"
