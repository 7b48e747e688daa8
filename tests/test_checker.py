"""The checker turns (observation, expectations) into verdicts, one per convention and per cell.

These are unit tests of the checker itself, so the observations are built by
hand; everything the matrix reports is observed (see test_matrix.py).
"""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.checker import check, covering
from exitwrap.conventions.expr import evaluate
from exitwrap.conventions.model import Convention, Expect, Source
from exitwrap.observe.observation import Observation
from exitwrap.scenarios.catalog import BY_ID, INNER, OUTER
from exitwrap.scenarios.globs import Globs, matches
from exitwrap.shells.catalog import POSIX_FAMILY

SOURCE = Source("test", "https://example.invalid", "a quote")


def _convention(
    expect: Expect, layer: str = INNER, *, binding: bool = True, id_: str = "t/x"
) -> Convention:
    return Convention(id_, "test", ("*",), layer, expect, SOURCE, ("*",), binding)


def test_formulas_evaluate_in_n() -> None:
    assert evaluate("128+N", 9) == 137
    assert evaluate("N&255", -1) == 255
    assert evaluate("N%256", 300) == 44
    assert evaluate("-(N)", 3) == -3
    for bad in ("__import__('os')", "N*2", "M+1", "N**2"):
        with pytest.raises(ValueError):
            evaluate(bad, 1)
    with pytest.raises(ValueError, match="no parameter"):
        evaluate("N", None)


def test_binding_conventions_decide_informational_ones_do_not() -> None:
    scenario = BY_ID["signal/9"]
    posix = _convention(Expect(">", "128"), id_="p")
    common = _convention(Expect("==", "128+N"), binding=False, id_="c")
    ksh = check(Observation(wait_status=0, inner="265"), scenario, [posix, common])
    assert ksh.verdict == "conforms"
    assert [r.verdict for r in ksh.results] == ["conforms", "deviates"]
    low = check(Observation(wait_status=0, inner="9"), scenario, [posix, common])
    assert low.verdict == "deviates"


def test_no_binding_convention_means_unspecified() -> None:
    common = _convention(Expect("==", "N&255"), OUTER, binding=False)
    result = check(Observation(wait_status=2 << 8), BY_ID["shell-exit/-1"], [common])
    assert result.verdict == "unspecified"
    assert result.results[0].verdict == "deviates"
    assert result.results[0].expected == "= 255 (N&255)"


def test_outer_expectations_distinguish_exit_from_signal() -> None:
    exits_9 = _convention(Expect("==", "N"), OUTER)
    dies_of_9 = _convention(Expect("==", "N", kind="signal"), OUTER)
    scenario = BY_ID["reraise/9"]
    exited = Observation(wait_status=9 << 8)
    killed = Observation(wait_status=9)
    assert check(exited, scenario, [exits_9]).verdict == "conforms"
    assert check(killed, scenario, [exits_9]).verdict == "deviates"
    assert check(killed, scenario, [dies_of_9]).verdict == "conforms"


def test_missing_or_non_numeric_inner_status_deviates_with_a_note() -> None:
    conv = _convention(Expect("==", "127"))
    silent = check(Observation(wait_status=0), BY_ID["not-found"], [conv])
    assert silent.verdict == "deviates" and "no status" in silent.results[0].note
    words = check(Observation(wait_status=0, inner="sigkill"), BY_ID["not-found"], [conv])
    assert words.verdict == "deviates" and "not a number" in words.results[0].note


def test_text_expectations_use_the_signal_name() -> None:
    conv = _convention(Expect("==", "sig{signame}", kind="text"))
    assert (
        check(Observation(wait_status=0, inner="sigkill"), BY_ID["signal/9"], [conv]).verdict
        == "conforms"
    )
    assert (
        check(Observation(wait_status=0, inner="sigterm"), BY_ID["signal/9"], [conv]).verdict
        == "deviates"
    )


def test_error_and_not_applicable_come_before_any_convention() -> None:
    conv = _convention(Expect("==", "1"))
    assert check(Observation(error="timed out"), BY_ID["pipeline/last"], [conv]).verdict == "error"
    na = check(
        Observation(wait_status=0, inner="2"), BY_ID["pipeline/pipefail"], [conv], applicable=False
    )
    assert na.verdict == "n/a"


@pytest.mark.parametrize("op", ["==", ">", "!=", "in", "between"])
def test_every_operator_can_fail(op: str) -> None:
    value = {"in": "1,2", "between": "1,2"}.get(op, "1")
    conv = _convention(Expect(op, value))
    outcomes = {
        check(Observation(wait_status=0, inner=str(v)), BY_ID["pipeline/last"], [conv]).verdict
        for v in (0, 1, 2, 3)
    }
    assert outcomes == {"conforms", "deviates"}


def test_covering_filters_by_shell_family_and_range() -> None:
    exit_in_range = covering(CONVENTIONS, "dash", BY_ID["shell-exit/42"], POSIX_FAMILY)
    exit_out_of_range = covering(CONVENTIONS, "dash", BY_ID["shell-exit/256"], POSIX_FAMILY)
    assert "posix/exit-builtin" in {c.id for c in exit_in_range}
    assert "posix/exit-builtin" not in {c.id for c in exit_out_of_range}
    assert not any(
        c.binding
        for c in covering(CONVENTIONS, "fish", BY_ID["not-found"], POSIX_FAMILY)
        if "@posix" in c.shells
    )


def test_min_and_max_are_the_only_functions_a_formula_may_call() -> None:
    wine = "max(N&255, min(N&4294967295, 1))"  # Wine's Linux status for a Windows exit code
    assert [evaluate(wine, n) for n in (0, 3, 255, 256, -1, -256, 65536)] == [
        0,
        3,
        255,
        1,
        255,
        1,
        1,
    ]
    for bad in ("abs(N)", "min(N)", "max(N, 1, 2)", "min+1", "max", "min(N, k=1)", "N.real"):
        with pytest.raises(ValueError, match="min"):
            evaluate(bad, 1)
    assert Expect("in", "1, max(N, 2), 3").values(5) == [1, 5, 3]  # a comma inside max() is its own


def test_the_dword_and_the_posix_wait_status_are_judged_apart() -> None:
    """Under Wine a cell has both; on Windows only the DWORD, and no POSIX view is judged."""
    scenario = BY_ID["shell-exit/256"]
    dword = _convention(Expect("==", "N&4294967295", kind="dword"), OUTER, id_="d")
    wait = _convention(Expect("==", "max(N&255, min(N&4294967295, 1))", kind="wait"), OUTER)
    wine = check(Observation(wait_status=1 << 8, dword=256), scenario, [dword, wait])
    assert [(r.expected, r.verdict) for r in wine.results] == [
        ("DWORD = 256 (N&4294967295)", "conforms"),
        ("exit = 1 (max(N&255, min(N&4294967295, 1)))", "conforms"),
    ]
    windows = check(Observation(dword=256), scenario, [dword, wait])
    assert [r.convention.id for r in windows.results] == ["d"]
    unread = check(Observation(wait_status=1 << 8), scenario, [dword])
    assert unread.verdict == "deviates" and "no Windows exit code" in unread.results[0].note


def test_a_core_expectation_needs_the_core_flag() -> None:
    core = _convention(Expect("==", "N", kind="core"), OUTER)
    scenario = BY_ID["core-exec/3"]
    assert check(Observation(wait_status=3 | 0x80), scenario, [core]).verdict == "conforms"
    assert check(Observation(wait_status=3), scenario, [core]).verdict == "deviates"
    assert core.expect.describe(3) == "signal = 3 (N) with a core dump"


def test_text_expectations_fill_in_the_signal_and_compare_or_search() -> None:
    scenario = BY_ID["core/3"]
    rc = _convention(Expect("==", "sig{signame}+core", kind="text"))
    plan9 = _convention(Expect("==", "signal: {plan9note} (core dumped)", kind="text"))
    non_null = _convention(Expect("!=", "", kind="text"))
    said = _convention(Expect("contains", "core dumped", kind="stderr"))
    assert check(Observation(inner="sigquit+core"), scenario, [rc, non_null]).verdict == "conforms"
    assert check(Observation(inner="sigquit"), scenario, [rc]).verdict == "deviates"
    seen = Observation(inner="signal: quit (core dumped)", stderr="12: signal: quit (core dumped)")
    assert check(seen, scenario, [plan9, said]).verdict == "conforms"
    assert check(Observation(inner=""), scenario, [non_null]).verdict == "deviates"
    assert check(Observation(inner="131", stderr=""), scenario, [said]).verdict == "deviates"
    assert [c.expect.describe(3) for c in (rc, plan9, non_null, said)] == [
        'text "sigquit+core"',
        'text "signal: quit (core dumped)"',
        'text other than ""',
        'stderr containing "core dumped"',
    ]


_ID_TEXT = st.text(alphabet="ab/*?[]!-1", max_size=8)


@given(scenario_id=_ID_TEXT, glob=_ID_TEXT)
def test_scenario_globs_match_as_fnmatch_does(scenario_id: str, glob: str) -> None:
    assert matches(scenario_id, glob) == fnmatch.fnmatchcase(scenario_id, glob)


@given(ids=st.lists(_ID_TEXT, max_size=6), patterns=st.lists(_ID_TEXT, max_size=6))
def test_several_globs_choose_and_miss_as_fnmatch_does(ids: list[str], patterns: list[str]) -> None:
    globs = Globs(patterns)
    for scenario_id in ids:
        assert globs.match(scenario_id) == any(
            fnmatch.fnmatchcase(scenario_id, p) for p in patterns
        )
    missed = [p for p in dict.fromkeys(patterns) if not fnmatch.filter(ids, p)]
    assert globs.unmatched(ids) == missed


_FORMULAS = st.recursive(
    st.one_of(st.integers(0, 5000).map(str), st.just("N")),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "&", "%"]), inner).map(" ".join),
        inner.map(lambda f: f"-{f}"),
        inner.map(lambda f: f"({f})"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
    ),
    max_leaves=8,
)


@given(_FORMULAS, st.integers(-70000, 70000))
def test_a_formula_means_what_python_would_compute(formula: str, n: int) -> None:
    """The formula language is a subset of Python's expressions, with Python's precedence."""
    try:
        expected = eval(formula, {"__builtins__": {}, "min": min, "max": max, "N": n})
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            evaluate(formula, n)
        return
    assert evaluate(formula, n) == expected
