"""What every HTML report shares: one self-contained page, escaping, and the verdict colours.

A report is a single file a CI system can keep as an artifact and anyone can
open offline: the style sheet is inline and there are no external assets
(the matrix adds one small inline script, harness/exitwrap/reports/html_navigation.py).
Hover details are CSS (``:hover`` and ``:focus``, so a keyboard reaches them
too). Every piece of text from a record is escaped: a record may hold
whatever a shell printed, and a scenario file is user input.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from exitwrap.verdicts import (
    ABSENT,
    CONFORMS,
    DEVIATES,
    ERROR,
    NOT_APPLICABLE,
    UNSPECIFIED,
    Verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VERDICT_COLOURS: Mapping[Verdict, str] = {
    CONFORMS: "#d6f5d6",
    DEVIATES: "#f9c9c4",
    UNSPECIFIED: "#eeeeee",
    NOT_APPLICABLE: "#f7f7f7",
    ABSENT: "#fdf3c7",
    ERROR: "#e5b3f2",
}

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; vertical-align: top; }
thead th { background: #f0f0f0; position: sticky; top: 0; z-index: 2; }
th[scope=row] { text-align: left; font-weight: normal; white-space: nowrap; }
td.cell { position: relative; white-space: nowrap; cursor: default; }
td.cell .tip { display: none; position: absolute; left: 0; top: 100%; z-index: 5;
  width: 36em; max-width: calc(100vw - 2em); max-height: calc(100vh - 1em); overflow: auto;
  box-sizing: border-box; white-space: normal; background: #fffff4; border: 1px solid #888;
  padding: 0.5em 0.8em; box-shadow: 0 2px 8px rgba(0,0,0,.25); font-size: 0.92em; }
td.cell.flip .tip { left: auto; right: 0; }
td.cell:hover .tip, td.cell:focus .tip { display: block; }
tr.row:focus, td.cell:focus { outline: 2px solid #1a5fb4; outline-offset: -2px; }
tr.row:target th, td.cell:target { outline: 3px solid #e66100; outline-offset: -3px; }
input[name=filter] { margin-left: 1em; }
.tip pre { white-space: pre-wrap; word-break: break-all; margin: 0.2em 0; }
.tip ul { padding-left: 1.2em; margin: 0.3em 0; }
.layer { color: #666; font-size: 0.85em; }
.legend span { display: inline-block; padding: 0 0.5em; margin-right: 0.4em;
  border: 1px solid #bbb; }
q { font-style: italic; }
"""
_CSS += "".join(
    f".v-{slug} {{ background: {colour}; }}\n"
    for slug, colour in ((v.replace("/", ""), c) for v, c in VERDICT_COLOURS.items())
)


def esc(value: object) -> str:
    """Text and attribute values, escaped (quotes included)."""
    return html.escape(str(value), quote=True)


def verdict_class(verdict: str) -> str:
    return "v-" + verdict.replace("/", "")


def link(text: str, url: str) -> str:
    """A link for http(s) addresses only: a record cannot smuggle in a javascript: URL."""
    if url.startswith(("https://", "http://")):
        return f'<a href="{esc(url)}">{esc(text)}</a>'
    return esc(text)


def expectation_items(expected: Iterable[Mapping[str, Any]]) -> str:
    """The record's expectations as list items: what each expects, its verdict and its source."""
    items = []
    for entry in expected:
        source = entry.get("source") or {}
        kind = "binding" if entry.get("binding") else "informational"
        if entry.get("qualifier"):
            kind += f", {entry['qualifier']}"
        note = f" ({esc(entry['note'])})" if entry.get("note") else ""
        quote = f"<q>{esc(source.get('quote', ''))}</q> " if source.get("quote") else ""
        items.append(
            f"<li><b>{esc(entry['id'])}</b> expects <code>{esc(entry['expected'])}</code>: "
            f"{esc(entry['verdict'])}{note} [{esc(kind)}]<br>"
            f"{quote}— {link(source.get('document', ''), source.get('url', ''))}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def legend() -> str:
    spans = "".join(f'<span class="{verdict_class(v)}">{esc(v)}</span>' for v in VERDICT_COLOURS)
    return f'<p class="legend">{spans}</p>'


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n{body}\n</body>\n</html>\n"
    )
