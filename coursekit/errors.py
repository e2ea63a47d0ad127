"""One error type for problems a student can fix, and a wrapper that turns it into a clear exit."""

from __future__ import annotations

import functools
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
