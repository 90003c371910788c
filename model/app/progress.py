"""Progress of a long command on standard error (``propeller report``, ``propeller run``; sweeps have a bar per run).

:class:`Stages` is the ``progress`` callable the report's pieces call once per finished item: one tqdm line per
stage ("re-running stored runs 24/24", "drawing figures 13"), so that a reader sees the command is working and how
far it is. Disabled (``--no-progress``) it prints nothing; verbose (``--verbose``) it also names each item.
"""

from __future__ import annotations

import sys


class Stages:
    def __init__(self, enabled: bool = True, verbose: bool = False, stream=None, leave: bool = True):
        self.enabled = enabled
        self.verbose = verbose
        self.leave = leave  # keep each finished stage's line (False: a terminal shows only the running stage)
        self.stream = stream if stream is not None else sys.stderr
        self.stage: str | None = None
        self.bar = None

    def _open(self, stage: str, total: int | None) -> None:
        from tqdm import tqdm

        self.close()
        self.stage = stage
        self.bar = tqdm(desc=stage, total=total, file=self.stream, leave=self.leave, dynamic_ncols=True,
                        bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}]" if total else "{desc}: {n_fmt} [{elapsed}]")

    def __call__(self, stage: str, detail: str = "", total: int | None = None) -> None:
        """One item of ``stage`` is done (``total``: how many items the stage has, when it is known)."""
        if not self.enabled:
            return
        if stage != self.stage:
            self._open(stage, total)
        if self.verbose and detail:
            self.bar.write(f"  {detail}", file=self.stream)
        self.bar.update(1)

    def at(self, stage: str, done: int, total: int) -> None:
        """``done`` of ``total`` items of ``stage`` are done (``simulate(..., progress=stages.at)``); a new stage's
        line appears at once, at 0 of its total."""
        if not self.enabled:
            return
        if stage != self.stage:
            self._open(stage, total)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = None


__all__ = ["Stages"]
