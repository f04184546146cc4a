"""How an ``otc`` command fails: one line on stderr, and one rule for the exit code.

- 2 (``USAGE``): the command line or the configuration is wrong, found before anything
  was done: a bad option or argument, an unknown id, a URL, file or mapping that can't be
  used, a missing API key, a missing extra. Fix it and run again.
- 1 (``FAILED``): the command ran and something failed: the API refused the key or
  answered an error, a database or broker was unreachable, records failed, a job was
  locked by another run.

Click's own usage errors (an unknown option, a value out of range) exit 2 as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

USAGE = 2
FAILED = 1
# Errors of input the user gives: bad values, a missing extra, a file not there or not theirs.
_USAGE_ERRORS = (
    ValueError,
    ImportError,
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def exit_code(exc: BaseException) -> int:
    """``USAGE`` for what the user must fix in the command or its settings, else ``FAILED``."""
    from ..exceptions import AuthenticationError, ConfigurationError, OpenToCloseAPIError

    if isinstance(exc, ConfigurationError):
        return USAGE
    if isinstance(exc, AuthenticationError):  # no key given: usage; a key refused: failure
        return USAGE if exc.status_code is None else FAILED
    if isinstance(exc, OpenToCloseAPIError):
        return FAILED
    if isinstance(exc, _USAGE_ERRORS):
        return USAGE
    return FAILED


@contextmanager
def one_line(what: str = "") -> Iterator[None]:
    """Turn an error of the library into one line and :func:`exit_code`'s code; ``what``
    goes before the message (e.g. ``"the poll failed: "``)."""
    try:
        yield
    except (typer.TyperException, typer.Exit, typer.Abort):
        raise  # Typer prints these itself (usage errors: exit 2)
    except Exception as exc:
        fail(what + describe(exc), exit_code(exc))


def describe(exc: BaseException) -> str:
    """The error's message; a database error by its driver's words, without SQLAlchemy's
    statement dump."""
    if type(exc).__module__.startswith("sqlalchemy"):
        return f"database error: {type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
    return str(exc) or type(exc).__name__
