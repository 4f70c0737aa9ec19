"""How a logged exception reads: its traceback (with its causes), bounded and without column
markers, its messages masked when its classification says so (:func:`format_exception`), and
where it was raised (:func:`innermost_location`)."""

from __future__ import annotations

from pypwext.base import InfoClassification
from pypwext.observability.logging._redaction import _mask, is_masked

__all__ = ["TRACEBACK_CHAIN", "TRACEBACK_FRAMES", "format_exception", "innermost_location"]

TRACEBACK_FRAMES = 16
"""The innermost frames a logged traceback shows of each exception in the chain (the frames left
out are counted in a line of their own): what fails is at the innermost end, and a deep stack
would otherwise make each failure's line, and the cost of writing it, as long as the stack."""

TRACEBACK_CHAIN = 8
"""The exceptions of a chain (``raise ... from``, an error while handling another) a logged
traceback shows, newest first."""


def format_exception(exc: BaseException, masked: InfoClassification | None = None) -> str:
    """The traceback of ``exc`` (with its causes) as text, in the format of Python's
    ``traceback`` module without the column markers (``^^^``: finding them parses each frame's
    source line, most of the cost of a failure's log line), bounded by :data:`TRACEBACK_FRAMES`
    and :data:`TRACEBACK_CHAIN`; with ``masked`` set, every exception message in the chain is
    replaced by the mask (a message may quote the data that failed)."""
    import collections
    import traceback  # only when an error is logged: not on every cold start

    mask = _mask(masked) if masked is not None and is_masked(masked) else None
    chain: list[tuple[str, BaseException]] = []  # (how it joins the next one, exception), newest first
    seen: set[int] = set()
    current: BaseException | None = exc
    join = ""
    while current is not None and id(current) not in seen and len(chain) < TRACEBACK_CHAIN:
        seen.add(id(current))
        chain.append((join, current))
        if current.__cause__ is not None:
            join, current = _CAUSE, current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            join, current = _CONTEXT, current.__context__
        else:
            current = None
    parts: list[str] = []
    for index in range(len(chain) - 1, -1, -1):  # oldest first, as traceback prints them
        join, current = chain[index]
        tb = current.__traceback__
        if tb is not None:
            # the innermost frames, without column positions (so without markers); each source
            # line is read (from linecache) only when shown, with no stat() of its file
            frames: collections.deque[traceback.FrameSummary] = collections.deque(maxlen=TRACEBACK_FRAMES)
            depth = 0
            for frame, lineno in traceback.walk_tb(tb):
                depth += 1
                code = frame.f_code
                frames.append(
                    traceback.FrameSummary(code.co_filename, lineno, code.co_name, lookup_line=False)
                )
            parts.append("Traceback (most recent call last):\n")
            if depth > len(frames):
                parts.append(f"  ... {depth - len(frames)} outer frames not shown\n")
            parts.extend(traceback.StackSummary.from_list(list(frames)).format())
        parts.append(_exception_line(current, mask))
        if join:
            parts.append(join)
    return "".join(parts).rstrip()


def _exception_line(exc: BaseException, mask: str | None) -> str:
    """The last line of a traceback, as Python's ``traceback`` writes it (``module.Name:
    message``, then the exception's notes), with ``mask`` in place of the message and the
    notes when set. Built here rather than by ``traceback.format_exception_only``, which builds a
    whole ``TracebackException`` for it; a ``SyntaxError`` (whose line shows the code) still goes
    there."""
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = f"{cls.__module__}.{name}"
    if mask is not None:
        return f"{name}: {mask}\n"
    if isinstance(exc, SyntaxError):
        import traceback

        return "".join(traceback.format_exception_only(cls, exc))
    try:
        message = str(exc)
    except Exception:
        message = "<exception str() failed>"
    line = f"{name}: {message}\n" if message else f"{name}\n"
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, (list, tuple)):
        for note in notes:
            line += f"{note}\n" if isinstance(note, str) else "<note str() failed>\n"
    return line


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def innermost_location(exc: BaseException) -> str | None:
    """``function:line`` where ``exc`` (or, for a wrapper, its cause) was raised."""
    root = exc.__cause__ if exc.__cause__ is not None and exc.__traceback__ is None else exc
    tb = root.__traceback__ or exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_name}:{tb.tb_lineno}"
