"""The JUnit XML matrix: one testcase per cell, so any CI system counts the matrix as tests.

One testsuite per column (shell, version, platform); each testcase has
classname ``shell[platform]`` and the scenario id as its name. An ``error``
cell is a JUnit error, ``absent`` and ``n/a`` cells are skipped with the
reason, and a deviation of the built-in catalog passes (it is a finding,
shown in the test's output) unless the report is strict, when it is a
failure; a cell of the users' own suites that deviates (Oils' FAIL) is
always a failure: those are their own expectations. Counts on every suite
and on the root are the ones a consumer would compute from the testcases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from exitwrap.reports.cells import (
    Record,
    column_key,
    column_title,
    command_text,
    finding_detail,
    observed_text,
    outer_text,
)
from exitwrap.reports.document import MatrixDocument
from exitwrap.reports.markdown import columns
from exitwrap.verdicts import ABSENT, DEVIATES, ERROR, NOT_APPLICABLE

# XML 1.0 cannot carry these at all, escaped or not; a shell may print them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text XML 1.0 can hold: characters it forbids become visible \\xNN escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _details(record: Record) -> str:
    lines = [
        f"verdict: {record['verdict']}"
        + (f" ({record['result']})" if record.get("result") else ""),
        f"observed ({record['layer']} layer): {observed_text(record) or '-'}",
        f"shell reported: {record.get('inner')}; process: {outer_text(record.get('outer'))}",
    ]
    if record.get("note"):
        lines.append(f"note: {record['note']}")
    if record.get("command"):
        lines.append(f"command: {command_text(record)}")
    for entry in record.get("expected") or []:
        source = entry["source"]
        qualifier = entry.get("qualifier")
        lines.append(
            f"{entry['id']} expects {entry['expected']}: {entry['verdict']} "
            f"({'binding' if entry.get('binding') else 'informational'}"
            f"{', ' + qualifier if qualifier else ''}) "
            f"- {source['document']} {source['url']}".rstrip()
        )
    for conflict in record.get("conflicts") or []:
        lines.append(f"conflict: {conflict.get('source')} observed {conflict.get('observed')}")
    return "\n".join(lines)


def _outcome(record: Record, *, strict: bool) -> tuple[str, str] | None:
    """(element, message) for a cell that is not a plain pass."""
    verdict = record["verdict"]
    if verdict == ERROR:
        return "error", record.get("note") or "the harness got no observation"
    if verdict in (ABSENT, NOT_APPLICABLE):
        note = record.get("note")
        return "skipped", f"{verdict}: {note}" if note else verdict
    if verdict == DEVIATES and (strict or record.get("suite")):
        return "failure", f"deviates: {finding_detail(record)}"
    return None


def _testcase(record: Record, *, strict: bool) -> tuple[ET.Element, str | None]:
    case = ET.Element(
        "testcase",
        classname=xml_text(f"{record['shell']}[{record['platform']}]"),
        name=xml_text(record["scenario"]),
        time=f"{float(record.get('duration_s') or 0):.6f}",
    )
    details = xml_text(_details(record))
    outcome = _outcome(record, strict=strict)
    if outcome is not None:
        element, message = outcome
        child = ET.SubElement(case, element, message=xml_text(message))
        if element != "skipped":
            child.set("type", record["verdict"])
            child.text = details
    if record["verdict"] == DEVIATES and outcome is None:
        details = "a finding, not a failure (--strict makes it one)\n" + details
    ET.SubElement(case, "system-out").text = details
    return case, outcome[0] if outcome else None


def _count(element: ET.Element, outcomes: list[str | None], seconds: float) -> None:
    element.set("tests", str(len(outcomes)))
    for kind, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        element.set(attribute, str(outcomes.count(kind)))
    element.set("time", f"{seconds:.6f}")


def render(document: MatrixDocument, *, strict: bool = False) -> str:
    records: list[Record] = document["records"]
    meta = document["meta"]
    root = ET.Element("testsuites", name="exitwrap conformance matrix")
    every: list[str | None] = []
    total = 0.0
    for column in columns(records):
        suite = ET.SubElement(
            root,
            "testsuite",
            name=xml_text(column_title(column)),
            hostname=xml_text(meta.get("host", "")),
            timestamp=xml_text(meta.get("started", "")),
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in zip(("shell", "shell_version", "platform"), column):
            ET.SubElement(properties, "property", name=name, value=xml_text(value))
        outcomes: list[str | None] = []
        seconds = 0.0
        for record in (r for r in records if column_key(r) == column):
            case, outcome = _testcase(record, strict=strict)
            suite.append(case)
            outcomes.append(outcome)
            seconds += float(record.get("duration_s") or 0)
        _count(suite, outcomes, seconds)
        every += outcomes
        total += seconds
    _count(root, every, total)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def render_strict(document: MatrixDocument) -> str:
    """The same report with deviations as failures (``--strict``)."""
    return render(document, strict=True)
