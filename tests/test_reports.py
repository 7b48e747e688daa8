"""The HTML and JUnit matrix writers: they parse, they escape, they count like a consumer does."""

from __future__ import annotations

import copy
import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from exitwrap.reports import formats
from exitwrap.reports.cells import cell_text, column_key
from exitwrap.reports.html import render as render_html
from exitwrap.reports.html_navigation import NAVIGATION_SCRIPT
from exitwrap.reports.junit import render as render_junit
from tests.hostile import HOSTILE_TEXT as HOSTILE
from tests.reports_helpers import (
    Document,
    hung_document,
    parse_html,
    real_document,
    stand_in_document,
    with_records,
)


@pytest.fixture(scope="module")
def every_verdict(tmp_path_factory: pytest.TempPathFactory) -> Document:
    """Real cells of every verdict: conforms, unspecified, n/a, absent, deviates, error."""
    scratch = tmp_path_factory.mktemp("stand-ins")
    doc = with_records(real_document(), stand_in_document(scratch, "7"), hung_document(scratch))
    verdicts = {r["verdict"] for r in doc["records"]}
    assert verdicts == {"conforms", "unspecified", "n/a", "absent", "deviates", "error"}
    return doc


@pytest.fixture
def document(every_verdict: Document) -> Document:
    return copy.deepcopy(every_verdict)


def hostile(document: Document) -> Document:
    """The document with hostile text where a record can carry text (a scenario file, a shell)."""
    doc = copy.deepcopy(document)
    record = next(r for r in doc["records"] if r["verdict"] == "conforms")
    record["scenario"] = f"user/{HOSTILE}"
    record["script"] = f"echo '{HOSTILE}'</pre>"
    record["command"] = [*(record["command"] or []), HOSTILE]
    record["stdout"] = HOSTILE + "\x00\x07"
    record["expected"][0]["source"] = {
        "document": HOSTILE,
        "url": "javascript:alert(1)",
        "quote": HOSTILE,
    }
    record["note"] = HOSTILE
    return doc


def test_html_is_one_self_contained_page_with_a_cell_per_record(document: Document) -> None:
    page = parse_html(render_html(document))
    tags = Counter(tag for tag, _ in page.tags)
    assert tags["script"] == 1 and tags["link"] == 0 and tags["img"] == 0  # its own, inline
    assert all("src" not in attrs for _, attrs in page.tags)
    hrefs = [attrs["href"] or "" for tag, attrs in page.tags if tag == "a"]
    sources = [h for h in hrefs if not h.startswith("#")]  # the rest: links inside the page
    assert sources and all(h.startswith("https://") for h in sources)
    cells = [
        attrs for tag, attrs in page.tags if tag == "td" and "cell" in (attrs.get("class") or "")
    ]
    assert len(cells) == len(document["records"])
    colours = Counter((attrs.get("class") or "").split()[1] for attrs in cells)
    verdicts = ("conforms", "unspecified", "n/a", "absent", "deviates", "error")
    assert set(colours) == {f"v-{v.replace('/', '')}" for v in verdicts}


def test_html_hover_shows_command_expected_values_and_sources(document: Document) -> None:
    text = "".join(parse_html(render_html(document)).text)
    signal = next(
        r for r in document["records"] if r["shell"] == "ksh93" and r["scenario"] == "signal/9"
    )
    assert "265 ✓" in text  # observed, as the cell shows it
    for entry in signal["expected"]:
        assert entry["id"] in text and entry["expected"] in text
        assert entry["source"]["document"] in text and entry["source"]["quote"] in text
    assert signal["command"] and signal["command"][0] in text and "exitwrap-status:" in text
    assert "what 265 means" in text and "killed by signal 9" in text  # exitcodes explain


def test_html_escapes_hostile_text(document: Document) -> None:
    doc = hostile(document)
    rendered = render_html(doc)
    page = parse_html(rendered)
    assert [tag for tag, _ in page.tags if tag == "script"] == ["script"]  # only its own
    assert rendered.count("<script>") == 1 and f"<script>{NAVIGATION_SCRIPT}</script>" in rendered
    text = "".join(page.text)
    assert f"user/{HOSTILE}" in text  # shown as text, unchanged
    assert "javascript:" not in "".join(a.get("href") or "" for _, a in page.tags)


def test_junit_has_one_testcase_per_cell_named_as_documented(document: Document) -> None:
    root = ET.fromstring(render_junit(document))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(document["records"])
    names = Counter((c.get("classname"), c.get("name")) for c in cases)
    expected = Counter(
        (f"{r['shell']}[{r['platform']}]", r["scenario"]) for r in document["records"]
    )
    assert names == expected
    suites = root.findall("./testsuite")
    assert len(suites) == len({column_key(r) for r in document["records"]})


@pytest.mark.parametrize("strict", [False, True])
def test_a_junit_consumer_counts_the_verdicts(
    tmp_path: Path, document: Document, strict: bool
) -> None:
    path = formats.write(document, "junit", tmp_path / "m.junit.xml", strict=strict)
    verdicts = Counter(r["verdict"] for r in document["records"])
    seen: Counter[str] = Counter()
    suites = list(JUnitXml.fromfile(str(path)))
    for suite in suites:
        kinds: Counter[str] = Counter()
        for case in suite:
            result = {type(r) for r in case.result}
            kind = "failure" if Failure in result else "error" if Error in result else (
                "skipped" if Skipped in result else "passed")  # fmt: skip
            kinds[kind] += 1
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
            sum(kinds.values()), kinds["failure"], kinds["error"], kinds["skipped"])  # fmt: skip
        seen += kinds
    assert seen["error"] == verdicts["error"]
    assert seen["skipped"] == verdicts["absent"] + verdicts["n/a"]
    assert seen["failure"] == (verdicts["deviates"] if strict else 0)
    root = ET.parse(path).getroot()
    assert int(root.get("tests", "")) == len(document["records"])
    assert int(root.get("failures", "")) == seen["failure"]


def test_junit_survives_hostile_text_and_control_characters(document: Document) -> None:
    root = ET.fromstring(render_junit(hostile(document)))
    case = next(c for c in root.iter("testcase") if (c.get("name") or "").startswith("user/"))
    assert case.get("name") == f"user/{HOSTILE}".replace("\x1b", "\\x1b")
    assert "\\x1b" in (case.findtext("system-out") or "")


def test_every_format_is_written_into_an_out_dir(tmp_path: Path, document: Document) -> None:
    written = formats.write_all(document, tmp_path / "r")
    assert sorted(os.path.basename(p) for p in written) == sorted(
        ["matrix.json", "matrix.md", "matrix.html", "matrix.junit.xml"]
    )
    markdown = (tmp_path / "r" / "matrix.md").read_text()
    for record in document["records"]:
        assert cell_text(record) in markdown


def test_markdown_names_each_columns_binary_and_manual(document: Document) -> None:
    shells = formats.renderer("md")(document).split("\n## Shells\n", 1)[1]
    for record in document["records"]:
        assert f"`{record['shell_path'] or 'not installed'}`" in shells
        assert record["shell_manual"] in shells
