"""Matrix documents for the report tests, every observation from a real run.

One small matrix per process (bash, dash, ksh93 and an absent pwsh) plus
cells from stand-in shells selected the documented way (``NAME@TAG=/path``):
one that reports a status it reads from a file (a deviation, or two runs
that disagree), one that hangs past the timeout (an error cell). Tests get
deep copies, so nothing they change leaks into another test.
"""

from __future__ import annotations

import copy
import functools
import json
from html.parser import HTMLParser
from pathlib import Path

from exitwrap.matrix.run import run_matrix
from exitwrap.observe.runner import Limits
from exitwrap.reports.document import MatrixDocument
from exitwrap.scenarios.catalog import select
from exitwrap.shells.shell import parse_selection, resolve

Document = MatrixDocument
SCENARIOS = "exit/42,signal/9,pipeline/pipefail,shell-exit/256"
SHELLS = "bash,dash,ksh93,pwsh"


def run_document(shells: str, scenarios: str, timeout_s: float = 10.0) -> Document:
    selected = [resolve(s) for s in parse_selection(shells)]
    return run_matrix(selected, select(scenarios), limits=Limits(timeout_s=timeout_s)).to_json()


@functools.cache
def _real() -> str:
    return json.dumps(run_document(SHELLS, SCENARIOS))


def real_document() -> Document:
    """bash, dash, ksh93 and an absent pwsh on four scenarios (conforms, unspecified, n/a)."""
    document: Document = json.loads(_real())
    return document


def stand_in_shell(directory: Path, status_file: Path) -> Path:
    """A 'shell' that runs nothing and reports whatever status the file holds."""
    script = directory / "stand-in-shell"
    script.write_text(f"#!/bin/sh\nprintf 'exitwrap-status:%s\\n' \"$(cat '{status_file}')\"\n")
    script.chmod(0o755)
    return script


def stand_in_document(directory: Path, status: str, scenarios: str = "exit/42") -> Document:
    """A run of the stand-in (label bash@liar) reporting ``status`` for every inner cell."""
    status_file = directory / "status"
    status_file.write_text(status)
    shell = stand_in_shell(directory, status_file)
    return run_document(f"bash@liar={shell}", scenarios)


def hung_document(directory: Path) -> Document:
    """A run whose shell outlives its timeout: an error cell."""
    hung = directory / "hung-shell"
    hung.write_text('#!/bin/sh\n[ "$1" = --version ] && exit 0\nexec sleep 30\n')  # answers at once
    hung.chmod(0o755)
    return run_document(f"bash@hung={hung}", "exit/42", timeout_s=0.3)


def with_records(document: Document, *others: Document) -> Document:
    combined = copy.deepcopy(document)
    for other in others:
        combined["records"] += copy.deepcopy(other["records"])
    return combined


def write(document: Document, path: Path) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class StrictHTML(HTMLParser):
    """html.parser that keeps the text and checks every non-void element is closed in order."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert not parser.problems, parser.problems[:5]
    assert parser.stack == [], parser.stack
    return parser
