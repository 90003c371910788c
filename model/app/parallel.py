"""Where runs execute: serially, on a local process pool, or on a Dask distributed cluster.

Every executor returns results in the order of the inputs, so a caller that derives seeds from the
input gets identical results whichever executor runs them. The calibration uses it; sweeps have their own
runners (``model/app/sweep.py``), which store results as they complete, keyed by run id.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from propeller.errors import UserError


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent (which stops the pool), instead of each printing a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ExecutorError(UserError):
    """The executor cannot be set up (bad scheduler address, Dask missing): one line for the user."""


class Executor:
    """``map(fn, items)`` over ``workers`` local processes, or over a Dask cluster at ``scheduler``.

    ``fn`` must be a module-level function (it is pickled). Use as a context manager.
    """

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = max(int(workers), 1)
        self.scheduler = scheduler
        self._pool: ProcessPoolExecutor | None = None
        self._client = None

    def __enter__(self) -> "Executor":
        if self.scheduler:
            try:
                from dask.distributed import Client
            except ImportError:
                raise ExecutorError("--scheduler", self.scheduler, "the 'dask[distributed]' package (pip install dask[distributed])",
                                    show_got=False) from None
            from propeller.app.sweep import check_scheduler_address

            check_scheduler_address(self.scheduler)  # a SpecError (a UserError) for a malformed address
            try:
                self._client = Client(self.scheduler, timeout="10s")
            except Exception as e:  # noqa: BLE001 - any connection failure is the user's address
                raise ExecutorError("--scheduler", "(connection)", f"a reachable Dask scheduler at {self.scheduler!r} "
                                    f"({type(e).__name__}: {e})", show_got=False) from None
        elif self.workers > 1:
            # forkserver: a clean single-threaded server imports the model (and loads the compiled kernels)
            # once and forks the workers from it - as cheap as fork, without forking a threaded parent
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["propeller.core.simulate", "propeller.calibration.run"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_ignore_sigint)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def description(self) -> str:
        if self.scheduler:
            return f"Dask cluster at {self.scheduler}"
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        items = list(items)
        if self._client is not None:
            futures = self._client.map(fn, items, pure=False)
            return self._client.gather(futures)
        if self._pool is not None:
            chunk = max(1, len(items) // (4 * self.workers))
            return list(self._pool.map(fn, items, chunksize=chunk))
        return [fn(x) for x in items]
