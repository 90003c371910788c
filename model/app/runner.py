"""Where runs execute: serially, on a local process pool, or on a Dask distributed cluster - for sweeps and the
calibration alike.

:class:`Executor` is the one runner. Use it as a context manager; it offers two ways to run a module-level
function (it is pickled) over a list of items:

- ``map(fn, items)``: the results **in the order of the items**. The calibration maps its fixed batches of
  particles through it, so its posterior never depends on which worker finishes first;
- ``stream(fn, items)``: the results **as they complete**, with a bounded number in flight. Sweeps store each
  result as it arrives, keyed by run id.

The local pool starts at the first call, with at most as many workers as that call has items (one item, or one
worker, runs here). It is a ``forkserver`` pool: a clean single-threaded server imports the model (``preload``)
once and forks the workers from it - as cheap as fork, without forking a threaded parent. Workers ignore Ctrl-C
(the parent stops the pool: running items finish, queued ones are cancelled) and exit when the parent dies
(``kill -9``). A Dask scheduler address is checked before a client is made; a bad or unreachable address is
one :class:`ExecutorError` line.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from propeller.errors import ResourceError, UserError

PRELOAD = ("propeller.core.simulate",)


class ExecutorError(UserError):
    """The executor cannot be set up (bad or unreachable scheduler address, Dask missing): one line for the user."""


class SchedulerLostError(ResourceError):
    """The Dask scheduler stopped answering while work was in flight (killed, its machine gone): one line, exit 1.
    What was stored before is whole; the same command resumes once a scheduler answers at the address again."""

    def __init__(self, address: str, detail: str, done: str = ""):
        self.address, self.detail = address, detail
        super().__init__(f"--scheduler {address}", f"lost the Dask scheduler while work was running ({detail})"
                         f"{'; ' + done if done else ''} - restart the scheduler and its workers at this address, "
                         "then run the same command again")


# ------------------------------------------------------------------------------------------ Dask
def check_scheduler_address(address: str, arg: str = "--scheduler") -> None:
    """Refuse a malformed Dask scheduler address before a client is made (a client that fails to start would try
    to close itself at exit for 30 s and print a traceback)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise ExecutorError(arg, address, f"a Dask scheduler address tcp://HOST:PORT ({exc})", show_got=False) from None


def dask_client(address: str, arg: str = "--scheduler"):
    """A client of the Dask scheduler at ``address``; ExecutorError (one line) if it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError(arg, address, "the 'dask[distributed]' package (pip install dask[distributed])",
                            show_got=False) from None
    check_scheduler_address(address, arg)
    try:
        return Client(address, timeout="15s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - any connection failure is the user's address
        raise ExecutorError(arg, address, f"a reachable Dask scheduler address tcp://HOST:PORT ({exc})",
                            show_got=False) from None


@contextlib.contextmanager
def _quiet_loggers(names: Sequence[str]) -> Iterator[None]:
    import logging

    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _quiet_dask_client() -> contextlib.ExitStack:
    """While a client is open, its reconnection attempts after a lost scheduler log tracebacks every second; the
    loss reaches the user as one line instead (:class:`SchedulerLostError`)."""
    stack = contextlib.ExitStack()
    stack.enter_context(_quiet_loggers(("distributed.client", "distributed.comm", "distributed.core")))
    return stack


_LOST = (OSError, TimeoutError, concurrent.futures.CancelledError)  # CommClosedError is an OSError


def _lost(client, exc: BaseException) -> SchedulerLostError:
    text = str(exc)
    detail = "the client lost its connection" if "connection" in text.lower() else f"{type(exc).__name__}: {text}"
    return SchedulerLostError(str(client.scheduler.address), detail[:120])


def _dask_stream(client, fn: Callable, items: Iterable) -> Iterator:
    """Results as they complete. The tasks themselves never raise (run_task records a failure as a result), so an
    exception here is the cluster's: a lost scheduler, or a client it closed - one :class:`SchedulerLostError` line.
    A lost *worker* is the scheduler's business: it runs that worker's tasks elsewhere."""
    from distributed import as_completed

    try:
        slots = max(2, 2 * sum(client.nthreads().values()))
        it = iter(items)
        ac = as_completed([client.submit(fn, x, pure=False) for x in itertools.islice(it, slots)], loop=client.loop)
        for fut in ac:
            res = fut.result()
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                ac.add(client.submit(fn, nxt, pure=False))
            yield res
    except _LOST as exc:
        raise _lost(client, exc) from None


# ------------------------------------------------------------------------------------------ local pool
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _worker_init(main: int) -> None:
    """Pool workers ignore Ctrl-C (the parent stops the pool) and exit when the parent dies (kill -9): their task
    queue would otherwise keep them waiting forever. A forkserver worker's parent is the server, which exits when
    the main process dies; either way the worker's parent changes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and _alive(main):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@contextlib.contextmanager
def _sigint_ignored_while_spawning() -> Iterator[None]:
    """Ctrl-C in a terminal goes to every process of the group. A new process takes seconds to import the model
    before it can ignore SIGINT, and a KeyboardInterrupt during those imports prints a traceback. A process inherits
    an *ignored* SIGINT through exec (the forkserver, and through it every worker), so the parent ignores it for the
    moment it submits work (which starts the processes); the parent itself handles Ctrl-C as usual before and after."""
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def _start_pool(workers: int, preload: Sequence[str]):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))  # takes effect when this process starts its forkserver
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),))


def _pool_stream(pool, workers: int, fn: Callable, items: Iterable) -> Iterator:
    from concurrent.futures import FIRST_COMPLETED, wait

    def submit(x):
        with _sigint_ignored_while_spawning():
            return pool.submit(fn, x)

    it = iter(items)
    inflight = {submit(x) for x in itertools.islice(it, 2 * workers)}
    while inflight:
        done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
        for fut in done:
            nxt = next(it, None)
            if nxt is not None:
                inflight.add(submit(nxt))
            yield fut.result()


def _pool_map(pool, workers: int, fn: Callable, items: list) -> Iterator:
    chunk = max(1, len(items) // (4 * workers))
    with _sigint_ignored_while_spawning():
        results = pool.map(fn, items, chunksize=chunk)  # submits every chunk here
    return results  # an iterator of the results in the items' order, each as it is ready


# ------------------------------------------------------------------------------------------ the runner
class Executor:
    """Run ``fn`` over items serially (``workers=1``), on ``workers`` local processes, or on the Dask cluster at
    ``scheduler``: ``map`` in item order, ``stream`` in completion order. Use as a context manager."""

    def __init__(self, workers: int = 1, scheduler: str | None = None, preload: Sequence[str] = PRELOAD):
        self.workers = max(int(workers), 1)
        self.scheduler = scheduler
        self.preload = tuple(preload)
        self._pool = None
        self._pool_size = 0
        self._client = None
        self._quiet = contextlib.ExitStack()

    def __enter__(self) -> Executor:
        if self.scheduler:
            self._client = dask_client(self.scheduler)
            self._quiet = _quiet_dask_client()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool (running items finish, queued ones are cancelled) and the Dask client."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(*_LOST):  # a lost scheduler: nothing left to close
                client.close(timeout=10)
            self._quiet.close()

    @property
    def description(self) -> str:
        if self.scheduler:
            return f"Dask cluster at {self.scheduler}"
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"

    def _local_pool(self, n: int):
        """The process pool for a call of ``n`` items, started on first need; None: run here."""
        if self._pool is None and self.workers > 1 and n > 1:
            self._pool_size = min(self.workers, n)
            self._pool = _start_pool(self._pool_size, self.preload)
        return self._pool

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any],
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        """``[fn(x) for x in items]``, wherever it runs: the results in the order of the items. ``progress``, if
        given, is called as ``progress(done, total)`` as results arrive (a command's progress line)."""
        items = list(items)
        total = len(items)

        def counted(results: Iterable[Any]) -> list[Any]:
            out = []
            for r in results:
                out.append(r)
                if progress:
                    progress(len(out), total)
            return out

        if self._client is not None:
            try:
                futures = self._client.map(fn, items, pure=False)
                if progress:
                    from distributed import as_completed

                    for done, _ in enumerate(as_completed(futures), start=1):
                        progress(done, total)
                return self._client.gather(futures)
            except _LOST as exc:
                raise _lost(self._client, exc) from None
        pool = self._local_pool(total)
        if pool is not None:
            return counted(_pool_map(pool, self._pool_size, fn, items))
        return counted(fn(x) for x in items)

    def stream(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        """``fn(x)`` for every item, yielded as each completes (a bounded number in flight)."""
        if self._client is not None:
            return _dask_stream(self._client, fn, items)
        pool = self._local_pool(len(items))
        if pool is not None:
            return _pool_stream(pool, self._pool_size, fn, items)
        return (fn(x) for x in items)
