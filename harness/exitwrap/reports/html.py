"""The HTML matrix: scenarios down, shells across, coloured by verdict, details on hover.

Each cell shows the observed value and the verdict mark as the Markdown
matrix does; hovering it (or focusing it) shows what ran and why the verdict
is what it is: the script and the exact command, what the shell and the
operating system reported, each convention's expected value and verdict,
and the source each expectation rests on, quoted and linked; then what the
observed number can mean, from ``exitcodes explain`` (harness/exitwrap/explain/).
"""

from __future__ import annotations

import functools
from typing import Optional, Union

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
    observed_text,
    outer_text,
)
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.htmlpage import esc, expectation_items, legend, link, page, verdict_class
from exitwrap.reports.markdown import columns
from exitwrap.scenarios.catalog import INNER
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.verdicts import FINDINGS, NOT_RUN

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
    if record.get("command"):
        parts.append(f"<p>command:</p><pre>{esc(command_text(record))}</pre>")
    parts.append(expectation_items(record.get("expected") or []))
    parts.append(readings(record))
    parts.append(_conflicts(record))
    return "".join(parts)


def _cell(record: Record) -> str:
    return (
        f'<td class="cell {verdict_class(record["verdict"])}" tabindex="0">'
        f'{esc(cell_text(record))}<div class="tip" role="tooltip">{tip(record)}</div></td>'
    )


def _findings(records: list[Record]) -> str:
    found = [r for r in records if r["verdict"] in FINDINGS]
    if not found:
        return "<h2>Findings</h2>\n<p>No cell deviates from a binding convention.</p>"
    items = [
        f"<li><b>{esc(r['shell'])}</b> <code>{esc(r['scenario'])}</code>: observed "
        f"{esc(observed_text(r))}: {esc(finding_detail(r))}</li>"
        for r in found
    ]
    return "<h2>Findings</h2>\n<ul>" + "".join(items) + "</ul>"


def render(document: MatrixDocument) -> str:
    records: list[Record] = document["records"]
    meta = document["meta"]
    cols = columns(records)
    cells = {(r["scenario"], column_key(r)): r for r in records}
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    layers = {r["scenario"]: r["layer"] for r in reversed(records)}
    header = "".join(f'<th scope="col">{esc(column_title(c))}</th>' for c in cols)
    rows = []
    for scenario in scenarios:
        row = "".join(
            _cell(cells[(scenario, c)]) if (scenario, c) in cells else "<td></td>" for c in cols
        )
        rows.append(
            f'<tr><th scope="row"><code>{esc(scenario)}</code> '
            f'<span class="layer">{esc(layers[scenario])}</span></th>{row}</tr>'
        )
    body = (
        f"<p>exitwrap {esc(meta.get('tool_version', '?'))} on {esc(meta.get('host', '?'))} "
        f"({esc(meta.get('platform', '?'))}), started {esc(meta.get('started', '?'))}. "
        "Each cell shows the observed value; hover or focus it for the command, the expected "
        "values and their sources. Inner-layer cells show the shell's status variable, "
        "outer-layer cells how the shell process ended.</p>\n"
        f"{legend()}\n<table>\n<thead><tr><th>scenario</th>{header}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n"
        + _findings(records)
    )
    return page("Exit-status conformance matrix", body)
