"""exitcodes matrix --spec: Oils-format spec files read and run as Oils' own runner does.

The format and the rules are those of Oils' test/sh_spec.py (CreateAssertions,
Result, the tokenizer's classification order). tests/spec/forms.test.sh is
this project's own file in that format: every metadata form, and each class
(pass, ok, N-I, BUG, FAIL, TIME) on the eight POSIX shells. Its cells are
checked twice: against the class each case was written to give, and against
Oils' algorithm applied afresh to what each shell really printed.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exitwrap.errors import UsageError
from exitwrap.matrix.suite_cells import _file_name
from exitwrap.reports import formats
from exitwrap.reports.cells import cell_text
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.suites.oils_names import oils_name
from exitwrap.suites.spec_file import load_spec_files
from exitwrap.suites.spec_format import SpecCase, parse_spec, read_spec
from tests.conftest import REPO, SHELLS
from tests.reports_helpers import parse_html

EXITCODES = [sys.executable, "-m", "exitwrap"]
FORMS = REPO / "tests" / "spec" / "forms.test.sh"
PRESENT = [name for name in POSIX_FAMILY if SHELLS[name].present]
TIMEOUT_S = "4"  # the hanging case sleeps 30 s; the others take milliseconds

# the class each case gives where it is not pass, by the rules written in the file
NOT_PASS: dict[int, dict[str, str]] = {
    8: {"dash": "N-I", "posh": "N-I"},  # pipefail
    9: {"zsh": "BUG"},  # word splitting
    10: {"dash": "ok", "posh": "ok", "yash": "ok", "yash-posix": "ok"},  # echo -e, OK and OK-2
    12: {"ksh93": "BUG", "busybox": "BUG", "mksh": "FAIL"},  # mksh's own value replaces the ideal
    13: {"mksh": "FAIL"},  # exit 5 without a status: must exit 0
    16: {"posh": "FAIL"},  # a Python traceback on stderr
    17: {"yash": "TIME", "yash-posix": "TIME"},  # sleeps past the timeout
}
RANKS = {"BUG": "BUG", "BUG-2": "BUG", "N-I": "N-I", "OK": "ok", "OK-2": "ok", "OK-3": "ok"}
ORDER = ["FAIL", "BUG", "N-I", "ok", "pass"]  # Oils: the minimum over the assertions wins


def _exitcodes(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [*EXITCODES, *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


@functools.cache
def _forms_run() -> tuple[int, str, str]:
    done = _exitcodes("matrix", "--spec", FORMS, "--shells", ",".join(POSIX_FAMILY),
                      "--timeout", TIMEOUT_S, "--format", "json", "--no-record")  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def _records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(_forms_run()[1])["records"]
    return records


def _expected_value(values: dict[str, bytes], key: str) -> Optional[str]:
    if f"{key}-json" in values:
        decoded: str = json.loads(values[f"{key}-json"])
        return decoded
    return values[key].decode() if key in values else None


def oils_class(case: SpecCase, record: dict[str, Any]) -> str:
    """Oils' CreateAssertions and cell result, applied to what the shell did."""
    if record["timed_out"]:
        return "TIME"
    outer = record["outer"]
    status = outer["value"] if outer["kind"] == "exited" else -outer["value"]
    actual = {"stdout": record["stdout"], "stderr": record["stderr"], "status": status}
    annotation = case.shells.get(oils_name(record["shell_name"]))
    assertions: list[tuple[bool, str]] = []  # (holds, class if it holds)
    done = set()
    for key in ("stdout", "stderr", "status"):
        if annotation is None:
            break
        own = annotation.values.get("status") if key == "status" else None
        wanted: object = int(own) if own is not None else _expected_value(annotation.values, key)
        if wanted is not None:
            assertions.append((actual[key] == wanted, RANKS.get(annotation.qualifier, "pass")))
            done.add(key)
    for key in ("stdout", "stderr"):
        wanted = _expected_value(case.values, key)
        if key not in done and wanted is not None:
            assertions.append((actual[key] == wanted, "pass"))
    if "status" not in done:
        assertions.append((status == int(case.values.get("status", b"0")), "pass"))
    assertions.append(("Traceback (most recent" not in record["stderr"], "pass"))
    return min((cls if holds else "FAIL" for holds, cls in assertions), key=ORDER.index)


def test_the_fixture_gives_the_classes_oils_rules_give() -> None:
    if not PRESENT:
        pytest.skip("none of the POSIX shells is installed")
    status, _, stderr = _forms_run()
    assert status == 1, stderr  # FAIL cells: the gate's default for spec files
    cases = read_spec(FORMS).cases
    seen = {"pass", "ok", "N-I", "BUG", "FAIL", "TIME"}
    for record in (r for r in _records() if r["shell"] in PRESENT):
        index = int(record["scenario"].rsplit("/", 1)[1])
        wanted = NOT_PASS.get(index, {}).get(record["shell"], "pass")
        where = f"{record['shell']} case {index} ({record['summary']}): {record}"
        assert record["result"] == wanted, where
        assert oils_class(cases[index], record) == wanted, where
        seen.discard(record["result"])
    assert seen == set() or len(PRESENT) < len(POSIX_FAMILY)


def test_the_summary_line_and_the_meta_hold_the_counts() -> None:
    if not PRESENT:
        pytest.skip("none of the POSIX shells is installed")
    _, stdout, stderr = _forms_run()
    records = _records()
    results = [r["result"] for r in records if r["result"]]
    summary = json.loads(stdout)["meta"]["summary"]
    assert summary["cells"] == len(records) == 18 * len(POSIX_FAMILY)
    assert summary["results"] == {c: results.count(c) for c in summary["results"]}
    assert sum(summary["results"].values()) == len(PRESENT) * 18
    line = stderr.splitlines()[-2]  # the last: which cells failed the gate
    assert line == f"exitcodes matrix: {summary['line']}"
    assert f"{summary['results']['TIME']} TIME" in line and "error (" in line


def test_each_cell_reads_its_code_on_stdin_in_a_fresh_directory() -> None:
    if "dash" not in PRESENT:
        pytest.skip("dash is not installed")
    record = next(r for r in _records() if r["shell"] == "dash" and r["scenario"].endswith("/14"))
    assert record["command"] == ["dash"]  # the name Oils runs it by; the code is its stdin
    assert record["script"].startswith('test "$(pwd -P)" = "$(cd "$TMP" && pwd -P)"')
    assert record["stdout"] == "same\n_tmp\n"  # legacy_tmp_dir made _tmp; nothing else there
    assert record["suite"] == str(FORMS)


def _parse(text: str) -> list[SpecCase]:
    return parse_spec("t.test.sh", text.encode()).cases


@pytest.mark.parametrize(
    ("line", "values"),
    [
        ("## stdout: hello", {"stdout": b"hello\n"}),
        ("## stdout:    lead", {"stdout": b"lead\n"}),  # \s* eats leading blanks
        ("## stdout: x  ", {"stdout": b"x  \n"}),  # trailing ones are kept
        ("## stdout:", {"stdout": b"\n"}),  # one empty line, not empty output
        ("##\tstdout:\tx", {"stdout": b"x\n"}),
        ("## BUG: x", {"BUG": b"x"}),  # no blank after BUG: a key named BUG, ignored
        ("## status: 3", {"status": b"3"}),
        ('## stdout-json: "a\\tb"', {"stdout-json": b'"a\\tb"'}),
        ("## STDOUT:\n## END", {"stdout": b""}),  # an empty block is empty output
        ("## STDOUT:\na\n\nb\n#c\n## ENDING", {"stdout": b"a\n\nb\n"}),
        ("## STDOUT:\r\nx\r\n## END", {"stdout": b"x\r\n"}),  # \r stays: split on \n only
    ],
)
def test_metadata_values_are_read_as_oils_reads_them(line: str, values: dict[str, bytes]) -> None:
    (case,) = _parse(f"#### c\necho\n{line}\n")
    assert case.values == values


def test_code_qualifiers_and_shell_lists() -> None:
    first, second, third = _parse(
        "#### a\n## status: 3\nexit 3\n\n"
        "#### b\necho real\n\n  # an indented comment\ncat <<EOF\n# dropped\nEOF\n"
        "## OK bash/mksh status: 0\n## N-I zsh STDOUT:\nz\n## END\n## code: echo override\n"
        "#####x\n## code: echo c\n"
    )
    # blank lines up to the next case are read raw: they belong to the code
    assert (first.code, first.values) == (b"exit 3\n\n", {"status": b"3"})
    assert second.code == b"echo override"  # trailing ## code: replaces the code
    assert second.shells["bash"].values == {"status": b"0"}
    assert (second.shells["mksh"].qualifier, second.shells["zsh"].qualifier) == ("OK", "N-I")
    assert second.shells["zsh"].values == {"stdout": b"z\n"}
    assert (third.desc, third.code) == ("#x", b"echo c")
    (case,) = _parse("#### b\necho real\n\n  # an indented comment\ncat <<EOF\n# x\nEOF\n")
    assert case.code == b"echo real\n\ncat <<EOF\nEOF\n"  # comments go, blank lines stay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#### a\necho\n##stdout: x\n", "t.test.sh:3: Invalid ## line '##stdout: x\\n'"),
        ("#### a\necho\n## just a note\n", "t.test.sh:3: Invalid ## line"),
        ("#### a\necho\n## end\n", "t.test.sh:3: Invalid ## line"),
        ("#### a\necho\n### comment\n", "t.test.sh:3: Invalid ## line"),
        ("#### a\necho\n## OK bash-4.4 stdout: x\n", "t.test.sh:3: Invalid ## line"),
        ("#### a\necho\ncat <<EOF\n## x\nEOF\n", "t.test.sh:4: Invalid ## line"),
        ("#### a\necho\n## STDOUT: x\n", "t.test.sh:3: got value 'x' for 'STDOUT'"),
        ("#### a\n#### b\necho\n", "t.test.sh:2: Expected a line of code (got 0, 'b')"),
        ("#### a\necho\n## OK bash stdout: x\n## OK bash STDOUT:\ny\n", "duplicate spec 'stdout'"),
        ('#### a\necho\n## OK bash stdout: x\n## OK bash stdout-json: ""\n', "duplicate spec"),
        ("#### a\necho\n## OK bash stdout: x\n## BUG bash status: 1\n", "inconsistent qualifier"),
        ("#### a\necho\n## status: 1\necho more\n", "t.test.sh:4: Expected TEST_CASE_BEGIN"),
        ("echo before\n#### a\necho\n", "t.test.sh:1: Expected TEST_CASE_BEGIN"),
        ("## OK bash suite: osh\n#### a\necho\n", "t.test.sh:1: Invalid qualifier"),
        ("## owner: me\n#### a\necho\n", "t.test.sh:1: Invalid file metadata 'owner'"),
        ("## STDOUT:\n#### a\necho\n", "Expected TEST_CASE_BEGIN"),
        ("#### a\necho\n## status: 1 # c\n", "t.test.sh:1: case 0: status: '1 # c' is not"),
        ('#### a\necho\n## stdout-json: "x\n', "case 0: stdout-json: not JSON"),
        (
            "#### a\necho\n## OK zsh stdout-json: 5\n",
            "stdout-json for 'zsh': must be a JSON string",
        ),
        ("## suite: osh\n", "no test cases"),
    ],
)
def test_malformed_metadata_is_refused_with_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_spec("t.test.sh", text.encode())
    assert message in str(error.value)


def test_unknown_keys_are_warnings_and_the_cli_refuses_bad_files_in_one_line(
    tmp_path: Path,
) -> None:
    odd = tmp_path / "odd.test.sh"
    odd.write_text("#### a\necho x\n## stdot: x\n## stdout: x\n")
    assert load_spec_files([odd]).warnings == (
        f"{odd}:3: unknown key 'stdot' (Oils ignores it too)",
    )
    done = _exitcodes("matrix", "--spec", odd, "--shells", "dash", "--no-record")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == f"exitcodes matrix: warning: {odd}:3: unknown key " \
        "'stdot' (Oils ignores it too)"  # fmt: skip
    bad = tmp_path / "bad.test.sh"
    bad.write_text("#### a\necho\n## STDOUT: x\n")
    for args, message in (
        ([bad], f"{bad}:3: got value"),
        ([tmp_path / "missing.test.sh"], "cannot read the spec file"),
        ([tmp_path / "plain.sh"], "a spec file's name ends in .test.sh"),
        ([tmp_path / "a[1].test.sh"], "a spec file's name may not hold *, ? or ["),
        ([odd, odd], "given twice"),
    ):
        done = _exitcodes("matrix", *[a for p in args for a in ("--spec", p)], "--shells", "dash")
        assert done.returncode == 2, done.stdout
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_every_report_shows_the_classes_and_the_counts() -> None:
    if not PRESENT:
        pytest.skip("none of the POSIX shells is installed")
    document = json.loads(_forms_run()[1])
    line = document["meta"]["summary"]["line"]
    markdown = formats.renderer("md")(document)
    assert f"**{line}**" in markdown
    assert "| `forms.test.sh/9` unquoted expansion is split into words | outer |" in markdown
    html_text = "".join(parse_html(formats.renderer("html")(document)).text)
    assert line in html_text
    junit = formats.renderer("junit")(document)
    for record in (r for r in document["records"] if r["result"]):
        assert cell_text(record) in markdown and cell_text(record) in html_text
        assert f"verdict: {record['verdict']} ({record['result']})" in junit


def test_every_bash_binary_takes_the_bash_annotations(tmp_path: Path) -> None:
    if "bash" not in PRESENT:
        pytest.skip("bash is not installed")
    spec = tmp_path / "family.test.sh"
    spec.write_text("#### a\necho b\n## stdout: a\n## OK bash stdout: b\n## BUG dash stdout: b\n")
    shells = f"bash,bash@second={SHELLS['bash'].path}"
    done = _exitcodes("matrix", "--spec", spec, "--shells", shells, "--format", "json",
                      "--no-record")  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = {r["shell"]: r["result"] for r in json.loads(done.stdout)["records"]}
    assert results == {"bash": "ok", "bash@second": "ok"}


def test_a_shell_mode_keeps_its_options_in_the_cell_and_in_sh(tmp_path: Path) -> None:
    if "bash" not in PRESENT:
        pytest.skip("bash is not installed")
    spec = tmp_path / "mode.test.sh"
    posix = "case :$SHELLOPTS: in *:posix:*) echo posix;; *) echo default;; esac"
    twice = '"default\\ndefault\\n"'
    spec.write_text(f"#### mode\n{posix}\n$SH -c '{posix}'\n## stdout-json: {twice}\n"
                    f"## OK bash stdout-json: {twice}\n")  # fmt: skip
    done = _exitcodes("matrix", "--spec", spec, "--shells", "bash,bash-posix,bash@x:--posix",
                      "--format", "json", "--no-record")  # fmt: skip
    printed = {r["shell"]: r["stdout"] for r in json.loads(done.stdout)["records"]}
    assert printed == {
        "bash": "default\ndefault\n",
        "bash-posix": "posix\nposix\n",
        "bash@x": "posix\nposix\n",
    }, done.stderr
    results = {r["shell"]: r["result"] for r in json.loads(done.stdout)["records"]}
    assert results == {"bash": "ok", "bash-posix": "FAIL", "bash@x": "FAIL"}  # bash's annotation


@given(st.text())
def test_a_shells_directory_is_named_as_urllib_would_quote_its_label(label: str) -> None:
    try:
        quoted = urllib.parse.quote(label, safe="")
    except UnicodeEncodeError:  # a lone surrogate: urllib refuses it, the name replaces it
        assert "/" not in _file_name(label)
        return
    assert _file_name(label) == quoted
