"""The one root of user-input errors.

Every problem with what a user gave us - a scenario file, a sweep spec, a calibration target or prior, a command-line
argument, an output path, a sweep database - is a :class:`UserError` (or a subclass named after the module that
raises it: ``ScenarioError``, ``SpecError``, ``StoreError``, ``OutputError``, ``ReportError``, ``TargetError``,
``PriorError``, ``ExecutorError``, ``UsageError``). It carries *where* (a file or an argument), the *key*, the *value*
it got and what was *expected*, and renders as one line::

    scenarios/x.toml: hubs.west.budget: expected a number >= 0, got -1

``propeller.app.cli.main`` is the one place that turns a UserError into that line on standard error and exit code 2.
A :class:`ResourceError` is the machine's refusal rather than the user's mistake (no space left, a file-size limit,
a database another process keeps locked): the same one line, exit code 1, and the same command succeeds once the
cause is gone. Any other exception is a bug and keeps its traceback. This module imports nothing, so every layer can
use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ResourceError", "UsageError", "UserError", "display_path"]


def display_path(where: str | Path) -> str:
    """A file shown relative to the working folder when it lies inside it; anything else (an argument such as
    ``--scheduler tcp://host:port``, an address) as given."""
    if isinstance(where, str) and (where.startswith("-") or "://" in where):
        return where
    p = Path(where)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(where)


class UserError(ValueError):
    """Bad user input, rendered as one line: ``WHERE: KEY: expected EXPECTED, got VALUE`` (+ an optional hint such
    as "; did you mean 'x'?").

    ``where`` is a file (shown relative to the working folder) or an argument such as ``--set``; ``key`` the
    parameter, record or part of it; ``got`` the offending value (left out with ``show_got=False``, e.g. when the
    value is the whole file).
    """

    exit_code = 2

    def __init__(self, where: str | Path, key: str, expected: str, got: Any = None, *, show_got: bool = True,
                 hint: str = ""):
        self.where, self.key, self.expected = str(where), key, expected
        self.got = got if show_got else None
        msg = f"{self._where(where)}: {key}: expected {expected}"
        if show_got:
            msg += f", got {got!r}"
        super().__init__(" ".join((msg + hint).split()))  # one line, whatever the parts contain

    def line(self) -> str:
        """The one line the command prints for this error."""
        return " ".join(f"propeller: {self}".split())

    @property
    def file(self) -> str:
        """The file or argument the problem is in (the same as ``where``)."""
        return self.where

    @staticmethod
    def _where(where: str | Path) -> str:
        return display_path(where)


class UsageError(UserError):
    """A command line that argparse refuses (unknown option, missing argument, invalid choice)."""

    def __init__(self, prog: str, message: str):
        self.where, self.key, self.expected, self.got = prog, "", message, None
        ValueError.__init__(self, " ".join(message.split()))

    def line(self) -> str:
        return " ".join(f"{self.where}: {self}".split())


class ResourceError(UserError):
    """The machine refused to go on (no space left on the device, a file-size limit, a database locked by another
    process for longer than the timeout), as one line ``WHERE: WHAT HAPPENED; what to do``. Exit code 1: the input
    was fine, and the same command completes once the cause is gone."""

    exit_code = 1

    def __init__(self, where: str | Path, message: str):
        self.where, self.key, self.expected, self.got = str(where), "", message, None
        ValueError.__init__(self, " ".join(f"{display_path(where)}: {message}".split()))
