"""Core layer (every script and lab): one error type for problems a student can fix, and a clear exit for it."""

from __future__ import annotations

import functools
import reprlib
import sys
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., int | None])

EXIT_USER_ERROR = 2


class CourseError(Exception):
    """A problem with the user's input or set-up, with a message that says what to do.

    Scripts catch it in :func:`friendly_errors` and print the message without a traceback: the
    traceback of a missing file helps nobody, the sentence "run `make data`" does.
    """


def friendly_errors(main: F) -> F:
    """Decorate a script's ``main``: a :class:`CourseError` prints ``error: ...`` and exits with 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except CourseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = _BRIEF.maxlong = 80
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxdict = 3, 6, 6


def brief(value: object) -> str:
    """A bounded ``repr`` for messages that quote what a user wrote: long text, numbers and nested data are cut
    with ``...``, so a hostile file (a YAML alias bomb, a 5,000-digit number) is never echoed in full."""
    try:
        return _BRIEF.repr(value)
    except ValueError:  # an int over Python's 4,300-digit str() limit
        return "<a number too long to show>"
