"""The Markdown matrix: scenarios down, shells across, ready for a CI step summary."""

from __future__ import annotations

from exitwrap.reports.cells import (
    VERDICT_MARKS,
    Record,
    cell_text,
    column_key,
    column_title,
    finding_detail,
    row_summary,
)
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.summary import document_summary
from exitwrap.verdicts import FINDINGS

SUITE_LEGEND = (
    "Cells of your own scenario and spec files show Oils' classes: pass, ok (a shell's own "
    "rule), N-I (not implemented), BUG (a known bug), FAIL, TIME (timed out)."
)


def escape(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def columns(records: list[Record]) -> list[tuple[str, str, str]]:
    return list(dict.fromkeys(column_key(r) for r in records))


def render(document: MatrixDocument) -> str:
    records: list[Record] = document["records"]
    meta = document["meta"]
    cols = columns(records)
    cells: dict[tuple[str, tuple[str, str, str]], Record] = {
        (r["scenario"], column_key(r)): r for r in records
    }
    firsts = {r["scenario"]: r for r in reversed(records)}
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    lines = [
        "# Exit-status conformance matrix",
        "",
        f"exitwrap {meta.get('tool_version', '?')} on {meta.get('host', '?')} "
        f"({meta.get('platform', '?')}), started {meta.get('started', '?')}.",
        "",
        f"**{escape(document_summary(records, meta)['line'])}**",
        "",
        "Legend: " + ", ".join(f"{mark} {name}" for name, mark in VERDICT_MARKS.items()) + ".",
        "Inner-layer cells show the shell's status variable; outer cells how the shell ended.",
        *([SUITE_LEGEND] if any(r.get("suite") for r in records) else []),
        "",
        "| scenario | layer | " + " | ".join(escape(column_title(c)) for c in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for scenario in scenarios:
        first = firsts[scenario]
        title = f"`{scenario}` {escape(row_summary(first))}".rstrip()
        row = [
            escape(cell_text(cells[scenario, c])) if (scenario, c) in cells else "" for c in cols
        ]
        lines.append(f"| {title} | {first['layer']} | " + " | ".join(row) + " |")
    lines += ["", "## Shells", ""]
    for col in cols:
        first = next(r for r in records if column_key(r) == col)
        where = first.get("shell_path") or "not installed"
        rules = first.get("shell_manual")
        lines.append(
            f"- {escape(column_title(col))}: `{escape(str(where))}`"
            + (f"; its own rules from {escape(rules)}" if rules else "")
        )
    deviations = [r for r in records if r["verdict"] in FINDINGS]
    if deviations:
        lines += ["", "## Findings", ""]
        lines += [
            f"- **{escape(r['shell'])}** `{r['scenario']}`: observed "
            f"{escape(cell_text(r))}: {escape(finding_detail(r))}"
            for r in deviations
        ]
    return "\n".join(lines) + "\n"
