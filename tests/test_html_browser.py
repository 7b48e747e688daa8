"""The HTML matrix in a real headless Chromium: ids and links, filters, tooltips on screen, and
keyboard focus row by row.

The page is a real run: every shell of the catalog (cmd and pwsh the last
columns, at the right edge of a 1600 px window) on a few built-in scenarios, beside
tests/spec/forms.test.sh. The browser is driven as a user would drive it:
the mouse over a cell, Tab and the arrow keys, a click on a radio button.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from exitwrap.matrix.run import run_matrix
from exitwrap.observe.runner import Limits
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.html import render
from exitwrap.scenarios.catalog import select
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.shell import parse_selection, resolve
from exitwrap.suites.spec_file import load_spec_files
from tests.browser_helpers import Page, browser, chromium
from tests.conftest import REPO

WIDTH, HEIGHT = 1600, 900
SPEC = REPO / "tests" / "spec" / "forms.test.sh"
BUILT_IN = "exit/42,signal/9,not-found,bad-interpreter,exec-format"
TAB, RIGHT, LEFT, DOWN, END, ESCAPE = (
    ("Tab", "Tab", 9),
    ("ArrowRight", "ArrowRight", 39),
    ("ArrowLeft", "ArrowLeft", 37),
    ("ArrowDown", "ArrowDown", 40),
    ("End", "End", 35),
    ("Escape", "Escape", 27),
)
BINARY = chromium()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="no Chromium here (scripts/bootstrap.sh installs Debian's chromium)"
)


@functools.cache
def _document() -> MatrixDocument:
    shells = [resolve(s) for s in parse_selection(",".join(KNOWN_NAMES))]
    suite = load_spec_files([SPEC])
    cases = [s for s in suite.scenarios if s.summary != "a shell that hangs is TIME"]
    result = run_matrix(
        shells, [*select(BUILT_IN), *cases], limits=Limits(timeout_s=10),
        conventions=suite.conventions,
    )  # fmt: skip
    return result.to_json()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    assert BINARY is not None
    path = tmp_path_factory.mktemp("html") / "matrix.html"
    path.write_text(render(_document()), encoding="utf-8")
    with browser(BINARY) as opened:
        opened.open(path, WIDTH, HEIGHT)
        yield opened


def _rect(page: Page, expression: str) -> dict[str, float]:
    rect: dict[str, float] = page.evaluate(
        f"(function(){{var r=({expression}).getBoundingClientRect();"
        "return {left:r.left,right:r.right,top:r.top,bottom:r.bottom,width:r.width};})()"
    )
    return rect


def _active(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        "(function(){var e=document.activeElement;"
        "return {tag:e.tagName, id:e.id, tip:e.tagName==='TD'&&"
        "getComputedStyle(e.querySelector('.tip')).display!=='none'};})()"
    )
    return found


def _tip_on_screen(page: Page, selector: str) -> None:
    tip = _rect(page, f"document.querySelector({selector!r}).querySelector('.tip')")
    assert tip["width"] > 0, selector
    assert tip["left"] >= 0 and tip["right"] <= WIDTH, (selector, tip)
    assert tip["top"] >= 0 and tip["bottom"] <= HEIGHT, (selector, tip)


def test_every_row_and_cell_has_an_id_and_findings_link_to_their_cells(page: Page) -> None:
    ids = page.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('tbody tr, td.cell'),"
        "function(e){return e.id;})"
    )
    records = _document()["records"]
    assert len(ids) == len(records) + len({r["scenario"] for r in records})
    assert all(ids) and len(set(ids)) == len(ids)
    links = page.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('#findings + ul a'),"
        "function(a){return a.getAttribute('href');})"
    )
    findings = [r for r in records if r["verdict"] in ("deviates", "error")]
    assert len(links) == len(findings) > 0
    for href in links:  # following one focuses its cell, which shows the cell's details
        page.evaluate(f"location.hash = {href!r}")
        assert page.evaluate("document.querySelector(':target').tagName") == "TD", href
        assert _active(page)["tip"] and "#" + _active(page)["id"] == unquote(href)


def test_a_cells_details_stay_on_screen_at_every_edge(page: Page) -> None:
    page.evaluate("location.hash = ''; window.scrollTo(0, 0); document.activeElement.blur()")
    rows = page.evaluate("document.querySelectorAll('tbody tr').length")
    columns = page.evaluate("document.querySelectorAll('tbody tr:first-child td.cell').length")
    for row in (1, rows):
        for column in range(1, columns + 1):
            selector = f"tbody tr:nth-child({row}) td:nth-child({column + 1})"
            page.evaluate(
                f"document.querySelector({selector!r}).scrollIntoView({{block:'center'}})"
            )
            cell = _rect(page, f"document.querySelector({selector!r})")
            page.hover(1, 1)  # off every cell first: a shown tip holds the pointer it is under
            page.hover((cell["left"] + cell["right"]) / 2, (cell["top"] + cell["bottom"]) / 2)
            _tip_on_screen(page, selector)
    assert columns == len(KNOWN_NAMES)  # the last ones, cmd and pwsh, sit at the right edge


def test_tab_moves_row_by_row_and_the_arrows_move_between_cells(page: Page) -> None:
    page.evaluate("location.hash = ''; document.querySelector('.summary a').focus()")
    for _ in range(3):  # the filters come between the summary's link and the table
        page.key(*TAB)
        if _active(page)["tag"] == "TR":
            break
    first = _active(page)
    assert first["tag"] == "TR"
    rows = []
    for _ in range(4):
        rows.append(_active(page))
        page.key(*TAB)
    assert [r["tag"] for r in rows] == ["TR"] * 4  # no cell is a tab stop
    assert len({r["id"] for r in rows}) == 4
    page.key(*TAB)
    page.evaluate(f"document.getElementById({first['id']!r}).focus()")
    page.key(*RIGHT)
    cell = _active(page)
    assert cell["tag"] == "TD" and cell["tip"] and cell["id"].startswith("c:bash:")
    page.key(*END)
    last = _active(page)
    assert last["tag"] == "TD" and last["id"].startswith("c:pwsh:") and last["tip"]
    _tip_on_screen(page, "td:focus")
    page.key(*DOWN)
    below = _active(page)
    assert below["tag"] == "TD" and below["id"].startswith("c:pwsh:") and below["id"] != last["id"]
    page.key(*LEFT)
    assert _active(page)["id"].startswith("c:cmd:")
    _tip_on_screen(page, "td:focus")
    page.key(*ESCAPE)
    assert _active(page)["tag"] == "TR"


def _visible_rows(page: Page) -> list[str]:
    rows: list[str] = page.evaluate(
        "Array.prototype.filter.call(document.querySelectorAll('tbody tr'),"
        "function(r){return r.offsetParent!==null;}).map(function(r){return r.id;})"
    )
    return rows


def _choose(page: Page, key: str) -> None:
    label = _rect(page, f"document.querySelector('label[for={key}]')")
    page.click((label["left"] + label["right"]) / 2, (label["top"] + label["bottom"]) / 2)


def test_the_filters_show_only_findings_or_one_spec_files_failures(
    page: Page, tmp_path: Path
) -> None:
    page.evaluate("location.hash = ''; window.scrollTo(0, 0)")
    records = _document()["records"]
    every = _visible_rows(page)
    assert len(every) == len({r["scenario"] for r in records})
    _choose(page, "f-findings")
    with_findings = {f"r:{r['scenario']}" for r in records if r["verdict"] in ("deviates", "error")}
    assert set(_visible_rows(page)) == with_findings
    _choose(page, "f-suite-0")
    failures = {i for i in with_findings if ".test.sh/" in i}
    assert set(_visible_rows(page)) == failures and 0 < len(failures) < len(with_findings)
    shot = tmp_path / "failures-of-the-spec-file.png"  # kept for a person to look at
    page.screenshot(shot)
    png = shot.read_bytes()  # the page as drawn, the window's size
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (WIDTH, HEIGHT)
    _choose(page, "f-all")
    assert _visible_rows(page) == every
