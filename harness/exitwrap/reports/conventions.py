"""The convention report: for each convention, which shells conform, with what was observed.

The matrix reads by cell; this report turns it around. Each convention the
records were checked against gets its source (quoted and linked), and one
row per column (shell, version, platform) with its verdict and the value
observed in every cell the convention covers, deviations first with what
was expected. It is built from matrix documents only: nothing is re-run, so
the report of last week's CI files is the one those runs earned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exitwrap.reports.cells import Record, column_key, column_title, observed_text
from exitwrap.reports.document import MatrixDocument, SourceEntry
from exitwrap.reports.htmlpage import esc, link, page, verdict_class
from exitwrap.reports.markdown import escape
from exitwrap.verdicts import CONFORMS, DEVIATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Column = tuple[str, str, str]
FILES = {"md": "conventions.md", "html": "conventions.html"}


@dataclass(frozen=True)
class Check:
    """One cell as one convention judged it."""

    scenario: str
    observed: str
    expected: str
    verdict: str
    qualifier: str


@dataclass
class ConventionReport:
    id: str
    summary: str
    binding: bool
    source: SourceEntry
    rows: dict[Column, list[Check]] = field(default_factory=dict)

    def verdict(self, column: Column) -> str:
        checks = self.rows[column]
        return DEVIATES if any(c.verdict == DEVIATES for c in checks) else CONFORMS

    def columns_with(self, verdict: str) -> list[Column]:
        return [c for c in self.rows if self.verdict(c) == verdict]


def gather(document: MatrixDocument) -> list[ConventionReport]:
    """Every convention in the records, in first-seen order, with its checks per column."""
    reports: dict[str, ConventionReport] = {}
    for record in document["records"]:
        for entry in record["expected"]:
            report = reports.get(entry["id"])
            if report is None:
                report = reports[entry["id"]] = ConventionReport(
                    entry["id"],
                    entry.get("summary", ""),
                    bool(entry.get("binding")),
                    entry["source"],
                )
            report.rows.setdefault(column_key(record), []).append(_check(record, entry))
    return list(reports.values())


def _check(record: Record, entry: Mapping[str, Any]) -> Check:
    return Check(
        record["scenario"],
        observed_text(record),
        entry["expected"],
        entry["verdict"],
        entry.get("qualifier") or "",
    )


def _ordered(checks: list[Check]) -> list[Check]:
    return sorted(checks, key=lambda c: c.verdict != DEVIATES)


def _tally(report: ConventionReport, column: Column) -> str:
    checks = report.rows[column]
    verdict = report.verdict(column)
    count = sum(c.verdict == verdict for c in checks)
    qualifiers = sorted({c.qualifier for c in checks if c.qualifier})
    return f"{verdict} {count}/{len(checks)}" + (
        f" ({', '.join(qualifiers)})" if qualifiers else ""
    )


def _check_text(check: Check) -> str:
    if check.verdict == DEVIATES:
        return f"{check.scenario}: {check.observed} ✗ (expects {check.expected})"
    return f"{check.scenario}: {check.observed}"


def _markdown_link(text: str, url: str) -> str:
    if not url.startswith(("https://", "http://")):
        return escape(text)
    return f"[{escape(text)}]({url.replace(' ', '%20').replace(')', '%29')})"


def _titles(columns: list[Column]) -> str:
    return ", ".join(column_title(c) for c in columns) or "-"


def _header(document: MatrixDocument) -> str:
    meta = document["meta"]
    return (
        f"From the matrix of exitwrap {meta.get('tool_version', '?')} on "
        f"{meta.get('host', '?')} ({meta.get('platform', '?')}), started "
        f"{meta.get('started', '?')}; read from the matrix files, nothing re-run. A binding "
        "convention is one the shells it covers promise; the others are common practice, "
        "shown for comparison."
    )


def render_markdown(document: MatrixDocument) -> str:
    reports = gather(document)
    lines = [
        "# Conventions: which shells conform",
        "",
        _header(document),
        "",
        "| convention | kind | conforms | deviates |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{r.id}` | {'binding' if r.binding else 'informational'} | "
        f"{escape(_titles(r.columns_with(CONFORMS)))} | "
        f"{escape(_titles(r.columns_with(DEVIATES)))} |"
        for r in reports
    ]
    for r in reports:
        source = r.source
        lines += [
            "",
            f"## `{r.id}`: {escape(r.summary)}",
            "",
            f"{'Binding' if r.binding else 'Informational'}. Source: "
            + _markdown_link(source["document"], source["url"]),
            "",
            f"> {escape(source['quote'])}",
            "",
            "| shell | verdict | observed |",
            "|---|---|---|",
        ]
        lines += [
            f"| {escape(column_title(c))} | {escape(_tally(r, c))} | "
            f"{escape('; '.join(_check_text(k) for k in _ordered(checks)))} |"
            for c, checks in r.rows.items()
        ]
    return "\n".join(lines) + "\n"


def _html_section(report: ConventionReport) -> str:
    source = report.source
    rows = "".join(
        f'<tr><th scope="row">{esc(column_title(c))}</th>'
        f'<td class="{verdict_class(report.verdict(c))}">{esc(_tally(report, c))}</td>'
        f"<td>{'<br>'.join(esc(_check_text(k)) for k in _ordered(checks))}</td></tr>"
        for c, checks in report.rows.items()
    )
    return (
        f'<h2 id="{esc(report.id)}"><code>{esc(report.id)}</code>: {esc(report.summary)}</h2>\n'
        f"<p>{'Binding' if report.binding else 'Informational'}. Source: "
        f"{link(source['document'], source['url'])}</p>\n"
        f"<blockquote><q>{esc(source['quote'])}</q></blockquote>\n"
        "<table><thead><tr><th>shell</th><th>verdict</th><th>observed</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_html(document: MatrixDocument) -> str:
    reports = gather(document)
    summary = "".join(
        f'<tr><th scope="row"><a href="#{esc(r.id)}"><code>{esc(r.id)}</code></a></th>'
        f"<td>{'binding' if r.binding else 'informational'}</td>"
        f'<td class="v-conforms">{esc(_titles(r.columns_with(CONFORMS)))}</td>'
        f'<td class="v-deviates">{esc(_titles(r.columns_with(DEVIATES)))}</td></tr>'
        for r in reports
    )
    body = (
        f"<p>{esc(_header(document))}</p>\n<table><thead><tr><th>convention</th><th>kind</th>"
        f"<th>conforms</th><th>deviates</th></tr></thead><tbody>{summary}</tbody></table>\n"
        + "\n".join(_html_section(r) for r in reports)
    )
    return page("Conventions: which shells conform", body)


def write(document: MatrixDocument, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, render in (("md", render_markdown), ("html", render_html)):
        path = out_dir / FILES[kind]
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written
