"""The status model: every view derives from the raw wait status, as <sys/wait.h> defines it."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from exitwrap.observe.observation import Observation
from exitwrap.status import EXITED, SIGNALED, Termination, parse_int


@pytest.mark.parametrize("code", [0, 1, 42, 126, 127, 128, 255])
def test_exit_codes_decode_like_the_os_macros(code: int) -> None:
    status = code << 8
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == code
    term = Termination.from_wait_status(status)
    assert term == Termination(EXITED, code)
    assert term.wait_status == status
    assert term.returncode == code
    assert term.shell_status() == code
    assert term.slurm == f"{code}:0"


@pytest.mark.parametrize("sig", [1, 2, 9, 11, 15])
@pytest.mark.parametrize("core", [False, True])
def test_signal_deaths_decode_with_the_core_flag(sig: int, core: bool) -> None:
    status = sig | (0x80 if core else 0)
    term = Termination.from_wait_status(status)
    assert (term.kind, term.value, term.core) == (SIGNALED, sig, core)
    assert os.WTERMSIG(status) == sig and os.WCOREDUMP(status) == core
    assert term.wait_status == status
    assert term.returncode == -sig
    assert term.shell_status() == 128 + sig
    assert term.shell_status(256) == 256 + sig
    assert term.shell_status(384) == 384 + sig
    assert term.slurm == f"0:{sig}"


def test_real_processes_round_trip_through_the_wait_status() -> None:
    exited = subprocess.run(["sh", "-c", "exit 7"], check=False, timeout=300)
    killed = subprocess.run(["sh", "-c", "kill -9 $$"], check=False, timeout=300)
    assert Termination.from_returncode(exited.returncode) == Termination(EXITED, 7)
    assert Termination.from_returncode(killed.returncode) == Termination(SIGNALED, signal.SIGKILL)


def test_a_stop_is_not_a_termination() -> None:
    with pytest.raises(ValueError, match="stop"):
        Termination.from_wait_status((signal.SIGSTOP << 8) | 0x7F)


def test_wrap8_and_slurm_show_the_unsigned_byte() -> None:
    assert Termination(SIGNALED, 9).wrap8 == 137
    assert Termination(EXITED, 300).slurm == "44:0"
    assert Termination(EXITED, 0xFFFFFFFF).slurm == "255:0"


def test_json_round_trip_and_rejects_garbage() -> None:
    term = Termination(SIGNALED, 11, core=True)
    assert Termination.from_json(term.to_json()) == term
    with pytest.raises(ValueError):
        Termination.from_json({"kind": "melted", "value": 1})


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("137", 137), ("-1", -1), ("+3", 3), ("sigkill", None), ("", None), (None, None),
     ("1 2", None), ("²", None), ("-", None)],
)  # fmt: skip
def test_parse_int_accepts_only_plain_integers(text: str | None, value: int | None) -> None:
    assert parse_int(text) == value


def test_observation_derives_outer_from_whichever_raw_value_it_has() -> None:
    assert Observation(wait_status=9).outer == Termination(SIGNALED, 9)
    assert Observation(dword=0xC0000005).outer == Termination(EXITED, 0xC0000005)
    both = Observation(wait_status=5 << 8, dword=0xC0000005)
    assert both.outer == Termination(EXITED, 5)
    assert Observation(error="timed out").outer is None
    assert Observation(inner="265").inner_value == 265
