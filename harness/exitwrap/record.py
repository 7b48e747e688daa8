"""Immutable records whose classes cost next to nothing to define.

``@dataclass(frozen=True)`` writes six methods of each class as source and
compiles them when the class is defined: on Python 3.11 that is 0.3-1.3 ms a
class on a 2-core machine, and the 26 classes a one-cell matrix run defined
cost 17-20 ms of its 95 (``import dataclasses``, which brings inspect, ast
and dis, cost several more). A Record's class shares one set of methods
instead and is defined in microseconds.

A subclass gets what ``@dataclass(frozen=True)`` gives: ``__init__`` over its
annotated fields, by position or keyword (inherited fields first; defaults
from the class body), equality and hash over the fields between instances
of one class, a repr naming them, and no assignment after ``__init__``;
``replace`` is ``dataclasses.replace``. ``ClassVar`` annotations are not
fields. A default is shared by every instance, so defaults are immutable
values (``()``, ``frozenset()``, another record): a list, dict, set or
bytearray is refused, as dataclasses refuse it.

What stays a dataclass is what no start-up path defines: the report
builders that compare and merge matrix files (``reports/``), and the pytest
plugin's runs (pytest has imported dataclasses by then).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar

    from typing_extensions import dataclass_transform

    RecordT = TypeVar("RecordT", bound="Record")
    ClassT = TypeVar("ClassT")
else:

    def dataclass_transform(**_options: object) -> Callable[[ClassT], ClassT]:
        """For type checkers only: nothing to do at run time (typing has it from 3.11 only)."""
        return lambda cls: cls


def _is_class_var(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


@dataclass_transform(frozen_default=True)
class Record:
    """An immutable record: subclass it and annotate the fields (see the module's note)."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063  (the class's own;
        # its modules import annotations from __future__, and inspect's import is what is saved)
        own = [name for name, annotation in annotations.items() if not _is_class_var(annotation)]
        cls._fields = tuple(dict.fromkeys([*cls._fields, *own]))  # a redefined one keeps its place
        defaults = dict(cls._defaults)  # a field annotated again keeps an inherited default
        for name in own:
            if name in cls.__dict__:
                default = cls.__dict__[name]
                if isinstance(default, (list, dict, set, bytearray)):  # as dataclasses refuse
                    raise ValueError(f"{cls.__qualname__}.{name}: a mutable default is shared")
                defaults[name] = default
        cls._defaults = defaults
        after_default = False
        for name in cls._fields:
            if name in defaults:
                after_default = True
            elif after_default:
                raise TypeError(f"{cls.__qualname__}: {name!r} has no default, one before it has")

    if not TYPE_CHECKING:  # type checkers make each subclass's __init__ from its fields

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # one field at a time, in order: the instances of a class then share their
            # dictionaries' keys (137 bytes an instance against 337 for a dictionary of
            # its own, measured with six fields)
            fields = self._fields
            if len(args) > len(fields):
                raise TypeError(
                    f"{type(self).__qualname__}() takes {len(fields)} arguments, {len(args)} given"
                )
            for name, value in zip(fields, args):
                object.__setattr__(self, name, value)
            for name in fields[len(args) :]:
                if name in kwargs:
                    value = kwargs.pop(name)
                elif name in self._defaults:
                    value = self._defaults[name]
                else:
                    raise TypeError(f"{type(self).__qualname__}() needs {name!r}")
                object.__setattr__(self, name, value)
            if kwargs:
                name = min(kwargs)
                problem = f"got {name!r} twice" if name in fields else f"has no field {name!r}"
                raise TypeError(f"{type(self).__qualname__}() {problem}")

    def _values(self) -> tuple[Any, ...]:
        own = self.__dict__
        return tuple(own[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return isinstance(other, Record) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._values()))
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")


def field_names(record: Record) -> tuple[str, ...]:
    """Its fields' names, in order (``dataclasses.fields``, names only)."""
    return record._fields


def replace(record: RecordT, **changes: Any) -> RecordT:
    """A copy of record with changes to some of its fields."""
    return type(record)(**{**dict(zip(record._fields, record._values())), **changes})
