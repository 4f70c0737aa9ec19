"""What is wrong with an input, by path: the :class:`InputError` of pypwext's one converter and
the bounded gathering of its problems (use :mod:`pypwext.codec`; this module is its part, split
off for size). At most MAX_PROBLEMS are listed, in document order, and a structuring stops
looking once it has found MAX_COUNTED_PROBLEMS: nothing holds on to one exception per bad
element (what made a 150 KB body of bad items cost seconds and answer megabytes), nor its
traceback (each would tie the failure in a reference cycle to the frames it went through, left
for Python's cycle collector); the problems of one object from cattrs' failures
(:func:`_model_error`). Imports only :mod:`pypwext.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from pypwext.errors import drop_tracebacks

MAX_PROBLEMS = 20
"""How many problems an :class:`InputError` (and so a 400's ``details.problems``) lists: the
first ones, in document order; ``more`` counts the others."""

MAX_COUNTED_PROBLEMS = 1000
"""Structuring stops looking once it has found this many problems, so a ``more`` of
``MAX_COUNTED_PROBLEMS - MAX_PROBLEMS`` or above means *at least* that many."""


@attrs.frozen
class Problem:
    """One thing wrong with an input: where (``items[2].quantity``; ``""`` is the whole input)
    and why (``expected an integer``)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """The problem as it appears in an error's details."""
        return {"path": self.path, "reason": self.reason}


class InputError(ValueError):
    """Raised by :func:`structure` when data does not fit a type.

    ``problems`` lists the first :data:`MAX_PROBLEMS` problems in document order, ``more`` how
    many others were found (a lower bound when structuring stopped looking, see
    :data:`MAX_COUNTED_PROBLEMS`).
    """

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.more = more + max(0, len(problems) - MAX_PROBLEMS)
        super().__init__()  # (the text is written when asked for: a nested one never is)

    def __str__(self) -> str:
        text = "; ".join(f"{p.path or '<input>'}: {p.reason}" for p in self.problems)
        return f"{text}; and {self.more} more" if self.more else text

    def __repr__(self) -> str:
        return f"InputError({str(self)!r})"

    def details(self) -> dict[str, Any]:
        """The ``details`` of the 400 this error becomes: ``{"problems": [...]}``, plus
        ``"more": n`` when there were more problems than listed."""
        found: dict[str, Any] = {"problems": [p.to_dict() for p in self.problems]}
        if self.more:
            found["more"] = self.more
        return found


class _Budget:
    """The problems one :func:`structure` call has found so far (each counted once)."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("pypwext_structure_budget", default=None)


class _Found:
    """The problems of one failing value: the first MAX_PROBLEMS, and how many in all."""

    __slots__ = ("budget", "count", "problems")

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0
        budget = _BUDGET.get()
        if budget is None:  # the first failure of this structuring: its budget, until it ends
            budget = _Budget()
            _BUDGET.set(budget)
        self.budget = budget

    def add(self, exc: BaseException, path: str) -> bool:
        """Record the problems of ``exc`` at ``path``; true once the structuring should stop."""
        if isinstance(exc, InputError):  # a nested container or class: counted when it was found
            room = MAX_PROBLEMS - len(self.problems)
            for problem in exc.problems[:room] if room > 0 else ():
                self.problems.append(Problem(_prefix(path, problem.path), problem.reason))
            self.count += len(exc.problems) + exc.more
            drop_tracebacks(exc)  # (and the failures it was made from, chained to it)
        elif isinstance(exc, (ClassValidationError, IterableValidationError)):  # cattrs' own hooks
            exc.__traceback__ = None  # (each grouped failure is added, and forgotten, below)
            with_notes, without = exc.group_exceptions()
            for sub, note in with_notes:
                if isinstance(note, cattrs.AttributeValidationNote):
                    self.add(sub, _join(path, note.name))
                else:
                    self.add(sub, f"{path}[{note.index}]")
            for sub in without:
                self.add(sub, path)
        elif isinstance(exc, ForbiddenExtraKeysError):
            for name in sorted(map(str, exc.extra_fields)):
                self._leaf(_join(path, _key(name)), "unexpected field")
            drop_tracebacks(exc)
        else:
            self._leaf(path, _reason(exc))
            drop_tracebacks(exc)
        return self.budget.found >= MAX_COUNTED_PROBLEMS

    def _leaf(self, path: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, reason))
        self.count += 1
        self.budget.found += 1

    def error(self) -> InputError:
        return InputError(self.problems, self.count - len(self.problems))


_MAX_KEY = 64  # a key or field name longer than this is cut in a path (a path never echoes a
_MAX_PATH = 256  # huge input), and a path longer than this keeps its end, which names the field


def _key(name: Any) -> str:
    text = str(name)
    return text if len(text) <= _MAX_KEY else text[: _MAX_KEY - 3] + "..."


def _join(path: str, name: str) -> str:
    return _short(f"{path}.{name}") if path else name


def _prefix(path: str, inner: str) -> str:
    if not inner:
        return path
    return _short(path + inner if inner[0] == "[" or not path else f"{path}.{inner}")


def _short(path: str) -> str:
    return path if len(path) <= _MAX_PATH else "..." + path[3 - _MAX_PATH :]


def _reason(exc: BaseException) -> str:
    """The client's sentence for one failure: a hook's own ``expected ...`` message, else a
    generic one (never Python's or a library's text, which may quote the input)."""
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, (ValueError, TypeError)) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
        if text.startswith(("expected", "unexpected")) and len(text) <= 200:
            return text
        if text == "Couldn't disambiguate":  # cattrs: a union of classes, none of which fits
            return "matches none of the accepted shapes"
        if text == "Only input mappings are supported":
            return "expected an object"
    if isinstance(exc, AttributeError | TypeError):
        return "wrong type"
    return "invalid value"


def _model_error(
    exc: ClassValidationError | ForbiddenExtraKeysError,
    value: Mapping[Any, Any],
    declared: tuple[str, ...],
    classified: frozenset[str],
) -> InputError:
    """The problems of one object, in document order: fields in the order the input has them
    (unexpected ones included), a required field it lacks where it would have been written
    (before the next declared field the input has, else at the end)."""
    drop_tracebacks(exc)  # (its failures are read below; their frames may hold them: a cycle)
    parts: list[tuple[str, BaseException | None]] = []  # (field name, its failure or None: unexpected)
    subs: Sequence[tuple[str, BaseException]] = [("", exc)]
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        subs = [(note.name, sub) for sub, note in with_notes] + [("", sub) for sub in without]
    for name, sub in subs:
        if isinstance(sub, ForbiddenExtraKeysError):
            parts += [(key, None) for key in value if key in sub.extra_fields]
        else:
            parts.append((name, sub))
    position = {key: i for i, key in enumerate(value)}
    end = len(position)
    where: dict[str, float] = {}  # a missing field: just before the next declared one it has
    following = float(end)
    for name in reversed(declared):
        if name in position:
            following = position[name] - 0.5
        else:
            where[name] = following
    found = _Found()
    for name, failure in sorted(parts, key=lambda part: position.get(part[0], where.get(part[0], end))):
        if failure is None:
            found._leaf(_key(name), "unexpected field")
        elif name in classified:  # the reasons without the value they quote
            listed = len(found.problems)
            found.add(failure, name)
            for i in range(listed, len(found.problems)):
                problem = found.problems[i]
                found.problems[i] = Problem(problem.path, problem.reason.split(", got ", 1)[0])
        else:
            found.add(failure, name)
    return found.error()
