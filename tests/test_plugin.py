"""The pytest plugin's fixtures and options, driven through pytester with real shells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from exitwrap.reports.json_report import schema
from exitwrap.shells.catalog import POSIX_FAMILY
from tests.conftest import SHELLS

pytest_plugins = ["pytester"]

PRESENT = [n for n in ("bash", "dash", "ksh93") if SHELLS[n].present]
NAMES = ",".join(PRESENT)


def test_shell_is_parametrised_and_an_absent_shell_skips_with_its_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_runs(shell, run_in_shell):
            assert run_in_shell("exit 0").shell is shell
        """
    )
    result = pytester.runpytest(f"--exitwrap-shells={NAMES},pwsh", "-rs", "-v")
    result.assert_outcomes(passed=len(PRESENT), skipped=1)
    result.stdout.fnmatch_lines(["*test_runs?bash? PASSED*", "*SKIPPED*pwsh: *"])


def test_default_is_the_installed_posix_family(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_runs(shell):\n    assert shell.present\n")
    installed = [n for n in POSIX_FAMILY if SHELLS[n].present]  # the POSIX modes included
    pytester.runpytest().assert_outcomes(passed=len(installed))


def test_an_unknown_shell_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_runs(shell):\n    pass\n")
    result = pytester.runpytest("--exitwrap-shells=bash,cshell")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--exitwrap-shells: unknown shell 'cshell'*"])


def test_a_test_that_parametrises_shell_itself_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("shell", ["mine"])
        def test_own(shell):
            assert shell == "mine"
        """
    )
    pytester.runpytest(f"--exitwrap-shells={NAMES}").assert_outcomes(passed=1)


def test_a_project_fixture_named_shell_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def shell():
            return "the project's own"
        """
    )
    pytester.makepyfile('def test_own(shell):\n    assert shell == "the project\'s own"\n')
    pytester.runpytest(f"--exitwrap-shells={NAMES}").assert_outcomes(passed=1)


def test_snippets_argv_and_layers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from exitwrap.pytest_plugin import expect

        HOSTILE = ["it's", '"$HOME"', "a;b", "`id`", "new\\nline", "", "\u00fc"]

        def test_snippet_keeps_stdout_and_the_status(run_in_shell):
            run = run_in_shell("echo out; echo err >&2; (exit 4)")
            assert (run.stdout, run.stderr, run.inner, run.status) == ("out\\n", "err\\n", "4", 4)
            expect(run, status=4)

        def test_argv_is_quoted_for_the_shell(run_in_shell):
            run = run_in_shell(["printf", "%s|", *HOSTILE])
            assert run.stdout == "".join(a + "|" for a in HOSTILE)
            expect(run, status=0)

        def test_outer_layer_is_how_the_shell_ended(run_in_shell):
            expect(run_in_shell("exit 300", layer="outer"), status=44)
        """
    )
    pytester.runpytest(f"--exitwrap-shells={NAMES}").assert_outcomes(passed=3 * len(PRESENT))


def test_expect_per_shell_rules_bugs_and_failure_messages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from exitwrap.pytest_plugin import bug, expect

        def test_signal_status(run_in_shell, shell):
            # ksh93 documents 256+N; dash here is declared (wrongly) to have a bug
            expect(run_in_shell("kill -9 $$", layer="outer"), status=[137], ksh93=265)

        def test_wrong_for_dash(run_in_shell):
            expect(run_in_shell("(exit 3)"), status=3, dash=bug(4))

        def test_bad_calls(run_in_shell):
            run = run_in_shell("true")
            with pytest.raises(TypeError, match="unknown shell 'kshh'"):
                expect(run, status=0, kshh=1)
            with pytest.raises(TypeError, match="no status, signal or output given"):
                expect(run)
        """
    )
    result = pytester.runpytest(f"--exitwrap-shells={NAMES}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # the outer layer of `kill -9 $$` is a signal death, not an exit status: every shell fails
    result.stdout.fnmatch_lines(
        ["E * bash *, outer layer: 1 of 1 expectations fail", "E * outer status signal 9, "
         "expected one of 137", 'E * script: "kill -9 $$"']
    )  # fmt: skip
    if "dash" in PRESENT:
        result.stdout.fnmatch_lines(["E * inner status '3', expected = 4"])
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == len(PRESENT) + ("dash" in PRESENT)


def test_report_holds_every_cell_with_verdicts(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        """
        from exitwrap.pytest_plugin import expect

        def test_three(run_in_shell):
            expect(run_in_shell("(exit 3)"), status=3)
            run_in_shell("exit 0")  # a second run: a second cell, no expectation

        def test_plain(shell):
            pass  # uses no run_in_shell: no cells
        """
    )
    report = tmp_path / "report"
    result = pytester.runpytest(f"--exitwrap-shells={NAMES},pwsh", f"--exitwrap-report={report}")
    result.assert_outcomes(passed=2 * len(PRESENT), skipped=2)
    result.stdout.fnmatch_lines([f"exitwrap: {2 * len(PRESENT) + 1} cells written to {report}"])
    document = json.loads((report / "matrix.json").read_text())
    jsonschema.validate(document, schema())
    cells = {(r["shell"], r["scenario"].split("::")[1]): r for r in document["records"]}
    for name in PRESENT:
        assert cells[(name, "test_three")]["verdict"] == "conforms"
        assert cells[(name, "test_three")]["inner"] == "3"
        assert cells[(name, "test_three#2")]["verdict"] == "unspecified"
    assert cells[("pwsh", "test_three")]["verdict"] == "absent"
    assert document["records"][0]["shell"] == PRESENT[0]  # columns in the order named
    assert {p.name for p in report.iterdir()} >= {"matrix.md", "matrix.html", "matrix.junit.xml"}


def test_an_unwritable_report_fails_the_session_loudly(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile("def test_one(run_in_shell):\n    run_in_shell('true')\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = pytester.runpytest(f"--exitwrap-shells={NAMES}", f"--exitwrap-report={blocker}/r")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    result.stdout.fnmatch_lines(["exitwrap: report not written: *"])


def _sacct(database: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "exitwrap", "sacct", "-P", "-n", "-S", "2000-01-01",
         "-o", "JobName,Comment"],
        env={**os.environ, "EXITWRAP_DB": str(database)}, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_the_session_is_recorded_as_a_job_unless_told_not_to(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        from exitwrap.pytest_plugin import expect

        def test_three(run_in_shell):
            expect(run_in_shell("(exit 3)"), status=3)
        """
    )
    database = tmp_path / "accounting.db"
    monkeypatch.setenv("EXITWRAP_DB", str(database))
    pytester.runpytest(f"--exitwrap-shells={NAMES}").assert_outcomes(passed=len(PRESENT))
    lines = _sacct(database)
    assert lines[0] == "pytest|"
    steps = {line.split("|")[0].split("::")[0]: line.split("|")[1] for line in lines[2:]}
    assert steps == {f"{name}/test_the_session_is_recorded_as_a_job_unless_told_not_to.py":
                     "conforms" for name in PRESENT}  # fmt: skip
    unrecorded = pytester.runpytest(f"--exitwrap-shells={NAMES}", "--exitwrap-no-record")
    unrecorded.assert_outcomes(passed=len(PRESENT))
    monkeypatch.setenv("EXITWRAP_DB", "off")
    pytester.runpytest(f"--exitwrap-shells={NAMES}").assert_outcomes(passed=len(PRESENT))
    assert _sacct(database) == lines  # both runs passed, and neither added a job


def test_expect_signals_outputs_qualifiers_and_a_short_failure(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(
        """
        import re
        from exitwrap.pytest_plugin import bug, expect, not_implemented, ok

        def test_signal_by_each_shells_convention(run_in_shell):
            expect(run_in_shell("sh -c 'kill -TERM $$'"), signal="TERM")
            expect(run_in_shell("kill -TERM $$", layer="outer"), signal=15)

        def test_statuses_through_stdout_in_a_fresh_directory(run_in_shell):
            run = run_in_shell('false; echo $?; touch here; ls; echo "$TMP" | grep -c .; echo $SH')
            expect(run, status=0, stdout=re.compile(r"^1\\nhere\\n1\\n(bash|dash|ksh)\\n$"))

        def test_pipefail_is_not_implemented_in_dash(run_in_shell):
            # dash refuses the option and exits: the shell's own exit status is checked
            run = run_in_shell("set -o pipefail; false | true; echo $?", layer="outer")
            expect(run, status=0, stdout="1\\n", dash=not_implemented(2, stdout=""),
                   ksh93=ok(stdout="1\\n"))

        def test_a_failure_in_about_ten_lines(run_in_shell):
            expect(run_in_shell("echo no; echo oops >&2; (exit 3)"), status=3, stdout="yes\\n",
                   dash=bug(4))
        """
    )
    report = tmp_path / "report"
    result = pytester.runpytest(f"--exitwrap-shells={NAMES}", f"--exitwrap-report={report}")
    result.assert_outcomes(passed=3 * len(PRESENT), failed=len(PRESENT))
    text = result.stdout.str()
    assert "pytest_plugin/" not in text  # the plugin's own frames are hidden
    section = text.split("test_a_failure_in_about_ten_lines[bash] _")[1].split("\n_")[0]
    lines = [line for line in section.splitlines() if line.strip()]
    assert len(lines) <= 12, section
    assert 'E         stdout "no\\n", expected stdout "yes\\n"' in lines
    assert 'E         script: "echo no; echo oops >&2; (exit 3)"' in lines
    assert 'E         stderr: "oops\\n"' in lines
    records = json.loads((report / "matrix.json").read_text())["records"]
    results = {(r["shell"], r["scenario"].split("::")[1]): r.get("result") for r in records}
    if "dash" in PRESENT:
        assert results["dash", "test_pipefail_is_not_implemented_in_dash"] == "N-I"
        assert results["dash", "test_a_failure_in_about_ten_lines"] == "FAIL"
    if "ksh93" in PRESENT:
        assert results["ksh93", "test_pipefail_is_not_implemented_in_dash"] == "ok"
    assert results["bash", "test_signal_by_each_shells_convention"] == "pass"
