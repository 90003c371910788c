"""The process's one helper thread, for the work of a large model's month that can run beside the rest.

A national-scale month has independent parts: relation growth touches only the relations while the propeller move
touches only the stages (``PropellerModel.step``), and the month's counts can be taken from a copy of the state while
the next month starts (``Recorder.record``). The compiled kernels release the GIL (``nogil``), so the helper runs
them on the second core. The results are the same as serially: each job's inputs are fixed before it starts and
nobody else writes what it writes until it is waited for; the seeds are drawn in the serial order.

One thread per process, created on first use (a forked or spawned worker makes its own); jobs run in the order they
were submitted. Models in several threads of one process share it; each waits only for its own jobs. Fork a process
between model runs, not while one runs in another thread of it (a job in flight would never finish in the child);
the project's own pools start their workers from a clean server (``app/runner.py``) or spawn them (Dask).
"""

from __future__ import annotations

import concurrent.futures
import os
import threading

_THREAD: concurrent.futures.ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def thread() -> concurrent.futures.ThreadPoolExecutor:
    global _THREAD
    if _THREAD is None:
        with _LOCK:  # two models starting in two threads make one helper
            if _THREAD is None:
                _THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="propeller-helper")
    return _THREAD


def _forget_in_child() -> None:
    """A forked child has the parent's executor object but not its thread: jobs sent to it would never run."""
    global _THREAD, _LOCK
    _THREAD = None
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere processes are spawned
    os.register_at_fork(after_in_child=_forget_in_child)
