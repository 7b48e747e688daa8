"""exitcodes explain: the readings of many values, boundaries included, and malformed input.

Each expected reading is what the cited document says of that value (the
conventions' sources are in harness/exitwrap/conventions/sources.py); the tests check the
arithmetic and the tables, and that every reading carries its source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from exitwrap import signal_names
from exitwrap.cli.main import main
from exitwrap.errors import UsageError
from exitwrap.explain import Interpretation, interpretations, parse
from tests.conftest import REPO


def readings(value: object, **where: str) -> dict[str, list[str]]:
    """convention -> meanings, for value."""
    found: dict[str, list[str]] = {}
    for reading in interpretations(value, **where):  # type: ignore[arg-type]
        found.setdefault(reading.convention, []).append(reading.meaning)
    return found


def meaning(value: object, convention: str, **where: str) -> str:
    found = readings(value, **where)
    assert convention in found, sorted(found)
    return " | ".join(found[convention])


@pytest.mark.parametrize(
    "value", ["0", "1", "2", "126", "127", "137", "255", "256", "-1", "2147483647", "4294967295",
              "-2147483648", "0xC0000005", "9009", "259", "0:9", "49:0", "0:0", "64", "393"],
)  # fmt: skip
def test_every_reading_has_a_convention_a_meaning_and_a_quoted_source(value: str) -> None:
    found = interpretations(value)
    assert found
    for reading in found:
        assert isinstance(reading, Interpretation)
        assert reading.convention and reading.meaning
        source = reading.to_json()["source"]
        assert isinstance(source, dict)
        assert source["document"] and source["url"].startswith("https://") and source["quote"]


def test_137_is_sigkill_under_128_plus_n() -> None:
    text = meaning(137, "posix/signal-128-plus-n", platform="linux")
    assert "signal 9, SIGKILL" in text and "OOM killer" in text
    assert "128+9" in text


def test_ksh93_and_yash_bases() -> None:
    assert "SIGKILL" in meaning(265, "ksh93/signal-256-plus-n", platform="linux")
    assert "SIGKILL" in meaning(393, "yash/signal-384-plus-n", platform="linux")
    assert "exit(393)" in meaning(137, "posix/8-bit-wrap")  # yash's 393 wraps to 137


def test_signal_names_follow_the_platform_or_the_host() -> None:
    assert "SIGUSR1" in meaning(138, "posix/signal-128-plus-n", platform="linux")
    assert "SIGBUS" in meaning(138, "posix/signal-128-plus-n", platform="macos")
    assert "posix/signal-128-plus-n" not in readings(137, platform="windows")
    host = meaning(128 + 15, "posix/signal-128-plus-n")
    assert signal_names.name(15) in host


@pytest.mark.parametrize(
    ("value", "convention", "phrase"),
    [
        (0, "posix/exit-status", "success"),
        (0, "c/exit-macros", "EXIT_SUCCESS"),
        (1, "c/exit-macros", "EXIT_FAILURE"),
        (2, "bash/builtin-usage", "incorrect usage"),
        (124, "gnu/timeout-124", "timed out"),
        (125, "gnu/timeout-125", "wrapper itself failed"),
        (126, "posix/not-executable-126", "could not be executed"),
        (127, "posix/not-found-127", "not found"),
        (64, "sysexits", "EX_USAGE"),
        (70, "sysexits", "EX_SOFTWARE"),
        (78, "sysexits", "EX_CONFIG"),
        (9009, "cmd/not-found-9009", "not found"),
        (259, "windows/still-active", "STILL_ACTIVE"),
        (0, "amigaos/return-level", "OK"),
        (5, "amigaos/return-level", "WARN"),
        (10, "amigaos/return-level", "ERROR"),
        (20, "amigaos/return-level", "FAILURE"),
        (1, "openvms/condition", "success"),
        (2, "openvms/condition", "failure"),
        (0, "plan9/exit-string", "empty exit string, success"),
        (7, "plan9/exit-string", "non-empty"),
        (3, "dos/if-errorlevel", "every n <= 3"),
        (0, "java/system-exit", "normal termination"),
        (42, "java/system-exit", "abnormal termination"),
        (42, "slurm/exit-code", "42:0"),
    ],
)
def test_fixed_meanings(value: int, convention: str, phrase: str) -> None:
    assert phrase in meaning(value, convention)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("0xC0000005", "STATUS_ACCESS_VIOLATION"),
        ("3221225477", "STATUS_ACCESS_VIOLATION"),
        ("-1073741819", "STATUS_ACCESS_VIOLATION"),
        ("0xc000013a", "STATUS_CONTROL_C_EXIT"),
        ("0xC0000409", "STATUS_STACK_BUFFER_OVERRUN"),
        ("0xC0000135", "STATUS_DLL_NOT_FOUND"),
        ("0xC00000FD", "STATUS_STACK_OVERFLOW"),
    ],
)
def test_ntstatus_in_unsigned_signed_and_hex_form(value: str, name: str) -> None:
    text = meaning(value, "windows/ntstatus")
    assert name in text
    dword = parse(value).value & 0xFFFFFFFF
    assert f"0x{dword:08X}" in text and f"{dword} unsigned" in text
    assert f"{dword - 2**32} signed" in text


def test_what_a_posix_parent_and_wine_make_of_a_dword() -> None:
    assert "as 5" in meaning("0xC0000005", "posix/8-bit-wrap")
    assert "exit status 5" in meaning("0xC0000005", "wine/unix-status")
    # Wine keeps a nonzero code nonzero: 256's low byte is 0, Linux sees 1
    assert "exit status 1" in meaning(256, "wine/unix-status")
    assert "looks like success" in meaning(256, "posix/8-bit-wrap")
    assert "STATUS_ACCESS_VIOLATION" in meaning(5, "wine/unix-status")


@pytest.mark.parametrize(
    ("value", "wrapped", "signed"),
    [(255, None, 255), (256, 0, 256), (-1, 255, -1), (2**31 - 1, 255, 2**31 - 1),
     (2**32 - 1, 255, -1), (-(2**31), 0, -(2**31))],
)  # fmt: skip
def test_boundaries(value: int, wrapped: int | None, signed: int) -> None:
    wrap = meaning(value, "posix/8-bit-wrap")
    if wrapped is None:
        assert f"exit({value - 256})" in wrap  # 255 is also what exit(-1) leaves
    else:
        assert f"as {wrapped} " in wrap
        assert f"%ERRORLEVEL% shows {signed}" in meaning(value, "windows/dword")


def test_negative_is_pythons_signal_returncode() -> None:
    assert "signal 9" in meaning(-9, "python/returncode", platform="linux")


@pytest.mark.parametrize(
    ("value", "phrase"),
    [("0:9", "signal 9, SIGKILL"), ("49:0", "exit code 49"), ("0:0", "success"),
     ("1:15", "after exit code 1")],
)  # fmt: skip
def test_slurm_code_signal(value: str, phrase: str) -> None:
    assert phrase in meaning(value, "slurm/code-signal", platform="linux")


def test_shell_and_platform_put_their_readings_first() -> None:
    assert interpretations(265, shell="ksh93")[0].convention == "ksh93/signal-256-plus-n"
    assert interpretations(393, shell="yash")[0].convention == "yash/signal-384-plus-n"
    first = interpretations("0xC0000005", platform="windows")[0].convention
    assert first.startswith("windows/")
    order = [r.convention for r in interpretations(256, platform="wine")]
    assert order.index("wine/unix-status") < order.index("slurm/exit-code")


@pytest.mark.parametrize(
    "text",
    ["", " ", "abc", "1.5", "1e3", "0x", "0xG1", "--1", "1:2:3", ":9", "9:", "-1:0", "256:0",
     "0:128", "4294967296", "-2147483649", "0x100000000", "\u0663", "12abc", "0:9x"],
)  # fmt: skip
def test_malformed_values_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse(text)


def test_unknown_shell_or_platform_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown shell"):
        interpretations(1, shell="cmd.exe")
    with pytest.raises(UsageError, match="unknown platform"):
        interpretations(1, platform="vms")


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "0:9", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["input"] == "0:9"
    assert [set(r) for r in document["interpretations"]] == [{"convention", "meaning", "source"}]


def test_cli_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "137", "--platform", "linux", "--shell", "bash"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "137 (decimal 137, as 32 bits 0x00000089)"
    assert out.splitlines()[1].startswith("  posix/signal-128-plus-n: killed by signal 9, SIGKILL")
    assert "source: bash(1)" in out


@pytest.mark.parametrize(
    "argv",
    [["nope"], ["1", "--shell", "sh"], ["1", "--platform", "dos"], [], ["1", "--bogus"],
     ["4294967296"], ["1:2:3"]],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_status_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exitcodes explain: ") and err.count("\n") == 1, err


def test_explain_does_not_load_the_matrix_or_the_shell_adapters() -> None:
    heavy = ("exitwrap.matrix.run", "exitwrap.shells.shell", "exitwrap.observe.runner")
    code = f"import sys, exitwrap.cli.explain; print(sorted(set(sys.modules) & {set(heavy)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "harness")},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert done.stdout.strip() == "[]"
