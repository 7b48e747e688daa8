"""Records behave as ``@dataclass(frozen=True)`` classes do, wherever exitwrap relies on it."""

from __future__ import annotations

import copy
import pickle
from typing import Any, ClassVar, Optional

import pytest

from exitwrap.observe.observation import Observation
from exitwrap.record import Record, field_names, replace
from exitwrap.scenarios.catalog import BY_ID
from exitwrap.suites.suite_scenario import SuiteScenario


class Point(Record):
    """A record with a class constant, a required field and defaults."""

    ORIGIN: ClassVar[str] = "origin"
    x: int
    label: str = ""
    z: Optional[int] = None


class Tagged(Point):
    tags: tuple[str, ...] = ()


def test_fields_come_by_position_or_keyword_with_defaults() -> None:
    assert Point(1) == Point(x=1, label="", z=None)
    assert Point(1, "a", z=3).z == 3
    assert field_names(Point(1)) == ("x", "label", "z")  # ClassVar is not a field
    assert Point.ORIGIN == "origin"


def test_an_inherited_record_has_its_parents_fields_first() -> None:
    tagged = Tagged(2, tags=("t",))
    assert field_names(tagged) == ("x", "label", "z", "tags")
    assert repr(tagged) == "Tagged(x=2, label='', z=None, tags=('t',))"
    assert tagged != Point(2)  # another class: never equal, as with dataclasses


@pytest.mark.parametrize(
    ("args", "keywords", "message"),
    [
        ((), {}, "needs 'x'"),
        ((1,), {"x": 2}, "'x' twice"),
        ((1,), {"w": 2}, "no field 'w'"),
        ((1, "a", 2, 3), {}, "takes 3 arguments, 4 given"),
    ],
)
def test_a_wrong_call_is_a_type_error(
    args: tuple[Any, ...], keywords: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **keywords)


def test_a_record_cannot_be_changed_only_replaced() -> None:
    point = Point(1)
    with pytest.raises(AttributeError, match="cannot assign to field 'x'"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete field 'x'"):
        del point.x
    moved = replace(point, x=5)
    assert (moved, point) == (Point(5), Point(1))
    with pytest.raises(TypeError, match="no field 'w'"):
        replace(point, w=1)


def test_equal_records_hash_alike_and_survive_pickle_and_copy() -> None:
    assert len({Point(1), Point(1), Point(2)}) == 2
    tagged = Tagged(1, "a", 2, ("t",))
    assert pickle.loads(pickle.dumps(tagged)) == tagged  # how parallel workers send results
    assert copy.deepcopy(tagged) == tagged


def test_a_mutable_default_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Shared\.items: a mutable default is shared"):

        class Shared(Record):
            items: list[int] = []  # noqa: RUF012  (the point of the test)


def test_a_field_without_a_default_may_not_follow_one_with() -> None:
    with pytest.raises(TypeError, match="'y' has no default, one before it has"):

        class Broken(Record):
            x: int = 0
            y: int  # type: ignore[misc]  # what the type checker says too


def test_exitwraps_own_records_keep_their_semantics() -> None:
    scenario = BY_ID["exit/0"]
    suite = SuiteScenario(**{name: getattr(scenario, name) for name in field_names(scenario)})
    assert isinstance(suite, type(scenario)) and suite.applies("dash")
    assert replace(Observation(wait_status=0), dword=3).dword == 3
