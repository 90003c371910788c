"""What every ``propeller`` command needs at its edges: near-miss suggestions, output paths checked before any work,
and atomic writes.

- :func:`did_you_mean` turns a near-miss name into ``"; did you mean 'x'?"`` (difflib).
- :func:`check_output_dir` / :func:`check_output_file` refuse an output path that cannot be written (its nearest
  existing ancestor is a file, or a real probe file cannot be created there), *before* a run or sweep starts, so
  bad input never costs a long computation and never leaves half a result. The probe is real: root ignores
  permission bits, so the check creates (and removes) a temporary file instead of asking ``os.access``.
- :func:`atomic_write` writes through a temporary file in the destination folder, flushes it to disk and moves it
  into place with ``os.replace``: a reader sees the old file or the new one, never half of one, and a writer that
  fails leaves the old file as it was and no temporary file behind.

- :func:`writing` turns running out of space while writing a file (a full disk, a file-size limit such as
  ``ulimit -f``, a disk quota; in SQLite "database or disk is full" or "disk I/O error") into one
  :class:`propeller.errors.ResourceError` line naming the file (exit code 1). :func:`atomic_write` writes inside it.

Errors are :class:`OutputError` (a :class:`propeller.errors.UserError`): one line ``ARG: PATH: expected ...``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from propeller.errors import ResourceError, UserError
from propeller.scenarios.loader import did_you_mean

__all__ = ["OutputError", "atomic_write", "atomic_write_text", "check_output_dir", "check_output_file", "did_you_mean",
           "space_reason", "writing"]


class OutputError(UserError):
    """An output path that cannot be written, as one line ``ARG: PATH: expected ...``."""


def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe(folder: Path) -> str | None:
    """None if a file can be created in ``folder`` (tried for real, then removed), else the reason."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".propeller-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    os.remove(tmp)
    return None


def _check_folder(folder: Path, arg: str, shown: Path) -> None:
    """``folder`` can be created and written into; errors name ``shown`` (the path the user gave)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(arg, str(shown), f"a path in a folder ({folder} is a file, not a folder)", show_got=False)
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise OutputError(arg, str(shown), f"a path in a folder that can be created ({base} is a file, not a folder)",
                          show_got=False)
    reason = _probe(base)
    if reason:
        raise OutputError(arg, str(shown), f"a writable folder (cannot write in {base}: {reason})", show_got=False)


def check_output_dir(path: str | Path, arg: str) -> Path:
    """Refuse an output folder that cannot be created or written (before anything is computed)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(arg, str(path), "a folder to write into (this path is a file)", show_got=False)
    _check_folder(path, arg, path)
    return path


def check_output_file(path: str | Path, arg: str) -> Path:
    """Refuse an output file path that cannot be written (before anything is computed)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(arg, str(path), "a file path (this path is a folder)", show_got=False)
    if path.name in ("", ".", ".."):
        raise OutputError(arg, str(path), "a file path", show_got=False)
    _check_folder(path.parent, arg, path)
    return path


_SPACE_ERRNOS = {errno.ENOSPC: "no space left on the device", errno.EFBIG: "the file-size limit was reached",
                 errno.EDQUOT: "the disk quota is exceeded"}
_SQLITE_FULL, _SQLITE_IOERR = 13, 10  # primary result codes (the low byte of an extended code)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or during (``__cause__``, else ``__context__``), once each."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def space_reason(exc: BaseException) -> str | None:
    """Why a write failed for lack of space, in words, if that is what ``exc`` (or an exception it was raised from)
    says; None otherwise. SQLite reports a file-size limit as a plain "disk I/O error" (SQLITE_IOERR_WRITE)."""
    for e in exception_chain(exc):
        if isinstance(e, OSError) and e.errno in _SPACE_ERRNOS:
            return _SPACE_ERRNOS[e.errno]
        if isinstance(e, sqlite3.Error):
            code = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
            if code == _SQLITE_FULL:
                return "the disk is full"
            if code == _SQLITE_IOERR:
                return f"the disk refused a write - it is full, a file-size limit was reached or it failed; SQLite: {e}"
    return None


@contextlib.contextmanager
def writing(path: str | Path, after: str = "nothing was half-written - free space and run the same command again"
            ) -> Iterator[None]:
    """Running out of space inside the block becomes one :class:`ResourceError` line naming ``path``."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        reason = space_reason(exc)
        if reason is None:
            raise
        raise ResourceError(path, f"could not write: {reason}; {after}") from None


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, sync it, then move it into place. Out of space:
    one :class:`ResourceError` line, the old file as it was and no temporary file left behind."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            write(tmp)
            with open(tmp, "rb+") as fh:  # the bytes reach the disk before the name points at them
                os.fsync(fh.fileno())
            umask = os.umask(0)  # the usual permissions (0666 less the umask), not mkstemp's private 0600
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
