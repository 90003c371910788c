"""Timers around the model's compiled kernels, for benchmarks/profile.py and benchmarks/floors.py.

``timed_kernels()`` replaces every numba dispatcher in the modules that call kernels with a ``Timed`` kernel; models
built afterwards bind those (``kernels.Bound``), so each kernel's calls and time are counted for the process.
A kernel is never called from two threads at once (at national scale relation growth and the counts run in the
helper thread, the rest in the model's), so each kernel's counter is updated by one thread at a time.
"""

from __future__ import annotations

import time

from numba.core.registry import CPUDispatcher

import propeller.core.couplings
import propeller.core.ecosystem
import propeller.core.model
import propeller.core.outcomes

CALLERS = (propeller.core.model, propeller.core.ecosystem, propeller.core.outcomes, propeller.core.couplings)


class Timed:
    """A kernel with a timer, in place of its numba dispatcher in the modules that call it. ``kernels.Bound`` binds it
    as it binds a dispatcher (``compile``: the compiled code for the first call's types, here with the timer around
    it), so a bound kernel's time is its compiled code's alone, as in a model's run; a direct call (a kernel the model
    calls without ``Bound``) includes numba's dispatch."""

    def __init__(self, dispatcher, cell: list[int]):
        self.dispatcher, self.cell = dispatcher, cell
        self.__name__ = self.__qualname__ = dispatcher.__name__  # the model keys its bound kernels by name

    def _timed(self, call):
        cell = self.cell

        def timed(*a):
            t0 = time.perf_counter_ns()
            try:
                return call(*a)
            finally:
                cell[0] += 1
                cell[1] += time.perf_counter_ns() - t0

        return timed

    def compile(self, types):
        return self._timed(self.dispatcher.compile(types))

    def __call__(self, *a):
        return self._timed(self.dispatcher)(*a)


def timed_kernels() -> dict[str, list[int]]:
    """Wrap every compiled kernel the model's modules call (``Timed``): name -> [calls, total ns]."""
    acc: dict[str, list[int]] = {}
    for mod in CALLERS:
        for name, obj in list(vars(mod).items()):
            if isinstance(obj, CPUDispatcher):
                setattr(mod, name, Timed(obj, acc.setdefault(name, [0, 0])))
    return acc


def untimed_kernels() -> None:
    """Put the numba dispatchers back (models built afterwards run untimed)."""
    for mod in CALLERS:
        for name, obj in list(vars(mod).items()):
            if isinstance(obj, Timed):
                setattr(mod, name, obj.dispatcher)
