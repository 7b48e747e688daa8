"""The HTML matrix: scenarios down, shells across, coloured by verdict, details on hover.

Each cell shows the observed value and the verdict mark as the Markdown
matrix does (a suite's cell its Oils class); hovering it (or focusing it)
shows what ran and why the verdict is what it is: the script and the exact
command, what the shell and the operating system reported, each
convention's expected value and verdict, and the source each expectation
rests on, quoted and linked; then what the observed number can mean, from
``exitcodes explain`` (harness/exitwrap/explain/).

The page can be navigated: every row and cell has an id (``r:SCENARIO``,
``c:SHELL:SCENARIO``), each finding links to its cell, radio buttons show
only the rows with findings, or only the failures of one scenario or spec
file (CSS alone). Tab moves from row to row (not through every cell); the
arrow keys move between cells, Escape back to the row. One small inline
script does that and keeps a cell's details inside the window; without it
the details still show on hover, below the cell.
"""

from __future__ import annotations

import functools

from exitwrap.errors import UsageError
from exitwrap.explain import interpretations
from exitwrap.platforms import PLATFORMS
from exitwrap.reports.cells import (
    Record,
    cell_text,
    column_key,
    column_title,
    command_text,
    finding_detail,
    mark,
    observed_text,
    outer_text,
    row_summary,
)
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.html_navigation import NAVIGATION_SCRIPT, Ids, fragment
from exitwrap.reports.htmlpage import esc, expectation_items, legend, link, page, verdict_class
from exitwrap.reports.markdown import columns
from exitwrap.reports.summary import document_summary
from exitwrap.scenarios.catalog import INNER
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.verdicts import FINDINGS, NOT_RUN

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union

READINGS_SHOWN = 4  # of exitcodes explain's readings of the observed value, most relevant first


def _conflicts(record: Record) -> str:
    rows = [
        f"<li>{esc(c.get('source', '?'))}: {esc(c.get('observed', ''))} "
        f"({esc(c.get('verdict', '?'))})</li>"
        for c in record.get("conflicts") or []
    ]
    if not rows:
        return ""
    kept = ", ".join(record.get("sources") or [])
    return (
        f"<p><b>conflict</b>: {esc(kept)} observed this; other runs differ:</p>"
        f"<ul>{''.join(rows)}</ul>"
    )


@functools.lru_cache(maxsize=4096)
def _readings(value: Union[int, str], shell: Optional[str], platform: Optional[str]) -> str:
    try:
        found = interpretations(value, shell, platform)[:READINGS_SHOWN]
    except UsageError:  # beyond 32 bits, or words no convention reads
        return ""
    items = "".join(
        f"<li>{esc(r.meaning)} ({esc(r.convention)}; {link(r.source.document, r.source.url)})</li>"
        for r in found
    )
    shown = esc(value if isinstance(value, int) else repr(value))
    return f"<p>what {shown} means (exitcodes explain):</p><ul>{items}</ul>" if items else ""


def readings(record: Record) -> str:
    """The first readings of the observed status, those about this shell and platform first.

    A status the shell reported as words (rc's sigkill, Plan 9 rc's wait messages) is read
    as words; a number, as a number.
    """
    value: Union[int, str, None] = None
    if record["layer"] == INNER:
        value = record.get("inner_value")
        if value is None:
            value = record.get("inner")
    outer = record.get("outer")
    if record["layer"] != INNER and outer is not None and outer["kind"] == "exited":
        value = outer["value"]
    if not isinstance(value, (int, str)) or record["verdict"] in NOT_RUN:
        return ""
    shell = record.get("shell_name")
    platform = record.get("platform")
    return _readings(
        value,
        shell if shell in KNOWN_NAMES else None,
        platform if platform in PLATFORMS else None,
    )


def tip(record: Record) -> str:
    """The hover details of one cell."""
    parts = [
        f"<p><b>{esc(record['shell'])}</b> {esc(record['shell_version'])} "
        f"({esc(record['platform'])}), <code>{esc(record['scenario'])}</code>, "
        f"{esc(record['layer'])} layer: <b>{esc(record['verdict'])}</b></p>"
    ]
    if record.get("outer") or record.get("inner") is not None:
        parts.append(
            f"<p>shell reported: <code>{esc(record.get('inner'))}</code>; "
            f"process: {esc(outer_text(record.get('outer')))}</p>"
        )
    if record.get("note"):
        parts.append(f"<p>{esc(record['note'])}</p>")
    if record.get("script"):
        parts.append(f"<p>script:</p><pre>{esc(record['script'])}</pre>")
    if record.get("suite"):  # a suite's expectations may be about what the shell printed
        for stream in ("stdout", "stderr"):
            parts.append(f"<p>{stream}:</p><pre>{esc(record.get(stream) or '(nothing)')}</pre>")
    if record.get("command"):
        parts.append(f"<p>command:</p><pre>{esc(command_text(record))}</pre>")
    parts.append(expectation_items(record.get("expected") or []))
    parts.append(readings(record))
    parts.append(_conflicts(record))
    return "".join(parts)


def _cell(record: Record, cell_id: str, *, flip: bool) -> str:
    classes = f"cell {verdict_class(record['verdict'])}" + (" flip" if flip else "")
    return (
        f'<td class="{classes}" id="{esc(cell_id)}" tabindex="-1">'
        f'{esc(cell_text(record))}<div class="tip" role="tooltip">{tip(record)}</div></td>'
    )


def _findings(records: list[Record], ids: Ids) -> str:
    found = [r for r in records if r["verdict"] in FINDINGS]
    if not found:
        return '<h2 id="findings">Findings</h2>\n<p>No cell deviates from a binding convention.</p>'
    items = [
        f'<li><a href="{fragment(ids.cell(r))}"><b>{esc(r["shell"])}</b> '
        f"<code>{esc(r['scenario'])}</code></a>: observed "
        f"{esc(observed_text(r))} {esc(mark(r))}: {esc(finding_detail(r))}</li>"
        for r in found
    ]
    return '<h2 id="findings">Findings</h2>\n<ul>' + "".join(items) + "</ul>"


def _filters(suites: list[str]) -> str:
    """Radio buttons the table's CSS reads (they precede it): every row, the rows with
    findings, or the failures of one user's file."""
    choices = [("f-all", "every row"), ("f-findings", "only rows with findings")]
    choices += [(f"f-suite-{n}", f"only failures of {name}") for n, name in enumerate(suites)]
    return "\n".join(
        f'<input type="radio" name="filter" id="{key}"{" checked" if key == "f-all" else ""}>'
        f'<label for="{key}">{esc(text)}</label>'
        for key, text in choices
    )


def _filter_css(suites: list[str]) -> str:
    rules = ["#f-findings:checked ~ table tbody tr:not(.finding) { display: none; }"]
    rules += [
        f"#f-suite-{n}:checked ~ table tbody tr:not(.finding.suite-{n}) {{ display: none; }}"
        for n in range(len(suites))
    ]
    return "<style>" + "\n".join(rules) + "</style>"


def _row(scenario: str, cells: list[Optional[Record]], ids: Ids, suites: list[str]) -> str:
    present = [r for r in cells if r is not None]
    first = present[0]
    classes = ["row"]
    if any(r["verdict"] in FINDINGS for r in present):
        classes.append("finding")
    if first.get("suite"):
        classes.append(f"suite-{suites.index(str(first['suite']))}")
    flip_from = (len(cells) + 1) // 2  # without the script, the right half's open leftwards
    row = "".join(
        "<td></td>" if r is None else _cell(r, ids.cell(r), flip=n >= flip_from)
        for n, r in enumerate(cells)
    )
    summary = row_summary(first)
    title = f"<code>{esc(scenario)}</code>" + (f" {esc(summary)}" if summary else "")
    return (
        f'<tr class="{" ".join(classes)}" id="{esc(ids.row(scenario))}" tabindex="0">'
        f'<th scope="row">{title} <span class="layer">{esc(first["layer"])}</span></th>'
        f"{row}</tr>"
    )


def render(document: MatrixDocument) -> str:
    records: list[Record] = document["records"]
    meta = document["meta"]
    cols = columns(records)
    cells = {(r["scenario"], column_key(r)): r for r in records}
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    suites = list(dict.fromkeys(str(r["suite"]) for r in records if r.get("suite")))
    ids = Ids(records)
    header = "".join(f'<th scope="col">{esc(column_title(c))}</th>' for c in cols)
    rows = [_row(s, [cells.get((s, c)) for c in cols], ids, suites) for s in scenarios]
    summary = document_summary(records, meta)["line"]
    body = (
        f"<p>exitwrap {esc(meta.get('tool_version', '?'))} on {esc(meta.get('host', '?'))} "
        f"({esc(meta.get('platform', '?'))}), started {esc(meta.get('started', '?'))}. "
        "Each cell shows the observed value; hover or focus it for the command, the expected "
        "values and their sources. Inner-layer cells show the shell's status variable, "
        "outer-layer cells how the shell process ended. Tab moves between rows, the arrow "
        "keys between cells.</p>\n"
        f'<p class="summary"><b>{esc(summary)}</b> (<a href="#findings">findings</a>)</p>\n'
        f"{legend()}\n{_filter_css(suites)}\n{_filters(suites)}\n"
        f"<table>\n<thead><tr><th>scenario</th>{header}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n"
        + _findings(records, ids)
        + f"\n<script>{NAVIGATION_SCRIPT}</script>"
    )
    return page("Exit-status conformance matrix", body)
