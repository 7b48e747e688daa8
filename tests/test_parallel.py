"""ordered_map: results in order, from forked workers, errors passed on."""

from __future__ import annotations

import os

import pytest

from harness.parallel import ordered_map


def _tagged(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def test_results_come_back_in_order_from_worker_processes() -> None:
    results = list(ordered_map(_tagged, list(range(200)), workers=2))
    assert [value for value, _ in results] == [n * n for n in range(200)]
    assert os.getpid() not in {pid for _, pid in results}  # which worker took what may vary


def test_one_worker_runs_in_this_process() -> None:
    results = list(ordered_map(_tagged, [1, 2, 3], workers=1))
    assert results == [(1, os.getpid()), (4, os.getpid()), (9, os.getpid())]


def _fails_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("three")
    return item


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fails_on_three, list(range(10)), workers=2))
