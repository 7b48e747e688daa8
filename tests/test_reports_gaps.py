"""The newly observed cells read right in every format: Plan 9 rc's string statuses, cmd's DWORD
beside Linux's view, core dumps, the POSIX-mode columns; each with its conventions and sources."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from exitwrap.reports import html, junit, markdown
from exitwrap.reports.cells import cell_text
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.json_report import schema
from tests.conftest import SHELLS
from tests.reports_helpers import run_document

NEEDED = ("plan9rc", "cmd", "rc", "bash-posix")
pytestmark = pytest.mark.skipif(
    not all(SHELLS[n].present for n in NEEDED),
    reason=f"needs {', '.join(NEEDED)}",
)


@functools.cache
def _document() -> str:
    scenarios = "exit/0,signal/9,shell-exit/256,core/3,expansion-error"
    return json.dumps(run_document(",".join(NEEDED), scenarios))


@pytest.fixture
def document() -> MatrixDocument:
    loaded: MatrixDocument = json.loads(_document())
    return loaded


def _cell(document: MatrixDocument, shell: str, scenario: str) -> dict[str, object]:
    found = [r for r in document["records"] if (r["shell"], r["scenario"]) == (shell, scenario)]
    assert len(found) == 1
    return dict(found[0])


def test_json_keeps_both_layers_and_every_expectations_source(document: MatrixDocument) -> None:
    jsonschema.validate(document, schema())
    cmd = _cell(document, "cmd", "shell-exit/256")
    assert cmd["dword"] == 256 and cmd["outer"] == {"kind": "exited", "value": 1, "core": False}
    expected = {e["id"]: e for e in cmd["expected"]}  # type: ignore[attr-defined]
    assert expected["cmd/exit-sets-process-exit-code"]["source"]["url"].endswith("/exit")
    assert "get_unix_exit_code" in expected["cmd/wine-unix-exit-code"]["source"]["document"]
    plan9 = _cell(document, "plan9rc", "exit/0")
    assert plan9["inner"] == "" and plan9["verdict"] == "conforms"


def test_markdown_shows_the_null_string_the_dword_and_the_words(document: MatrixDocument) -> None:
    text = markdown.render(document)
    assert "| `exit/0` | inner | '' ✓ |" in text
    assert "exit 1 (DWORD 256) ✓" in text
    assert "signal: sys: kill ✓" in text
    assert "bash-posix" in text
    assert cell_text(_cell(document, "rc", "core/3")) in ("sigquit+core ✓", "n/a")  # type: ignore[arg-type]


def test_html_hover_reads_string_statuses_with_explain(document: MatrixDocument) -> None:
    page = html.render(document)
    assert "plan9rc/wait-message" in page  # explain's reading of 'signal: sys: kill'
    assert "plan9rc/status-non-null-on-failure" in page
    assert "manpages.debian.org/bookworm/9base/rc.1plan9.en.html" in page
    assert "DWORD 256" in page


def test_junit_carries_the_conventions_of_the_new_cells(document: MatrixDocument) -> None:
    root = ET.fromstring(junit.render(document))
    cases = {
        (case.get("classname"), case.get("name")): case.findtext("system-out") or ""
        for case in root.iter("testcase")
    }
    assert (
        'plan9rc/status-null-on-success expects text "": conforms'
        in (cases[("plan9rc[linux]", "exit/0")])
    )
    assert "DWORD = 256" in cases[("cmd[wine]", "shell-exit/256")]
    assert "bash-posix/expansion-error-exits" in cases[("bash-posix[linux]", "expansion-error")]
