"""Compiled kernels against exact results on small cases."""

from itertools import permutations

import numpy as np
import pytest
from numba import njit

from model.kernels import select_participants


@njit
def _draws(seed, rel, elig, total, reps):
    np.random.seed(seed)
    n = rel.shape[0]
    zeros = np.zeros(n, dtype=np.int64)
    ones = np.ones(n)
    counts = np.zeros(n)
    first = np.zeros(n)
    for _ in range(reps):
        sel = select_participants(rel, True, 0.5, zeros, -1, zeros, elig, ones[:1], zeros, ones, total)
        first[sel[0]] += 1
        for i in sel:
            counts[i] += 1
    return counts / reps, first / reps


def _exact(w, k):
    """Inclusion probabilities of successive weighted draws without replacement, by enumeration."""
    incl = np.zeros(len(w))
    for seq in permutations(range(len(w)), k):
        p, left = 1.0, w.sum()
        for i in seq:
            p *= w[i] / left
            left -= w[i]
        incl[list(seq)] += p
    return incl


@pytest.mark.parametrize("k", [1, 2, 3, 5])  # 1, 2: rejection; 3, 5: Gumbel keys (half the pool or more)
def test_select_participants_matches_successive_weighted_draws(k):
    rel = np.array([0.1, 0.3, 0.6, 0.9, 1.0])
    w = 0.5 + rel                       # weight = (0.5 + relation) with the other factors 1
    reps = 40_000
    incl, first = _draws(7, rel, np.ones(1), k, reps)
    se = np.sqrt(_exact(w, k) * (1 - _exact(w, k)) / reps) + 1e-9
    assert np.all(np.abs(incl - _exact(w, k)) < 5 * se)
    assert np.allclose(first, w / w.sum(), atol=5 * np.sqrt(0.25 / reps))  # the first draw is the weighted one


def test_select_participants_respects_the_audience():
    rel = np.array([0.0, 0.2, 0.6, 0.8])
    stage = np.zeros(4, dtype=np.int8)
    out = select_participants(rel, False, 0.5, np.zeros(4, dtype=np.int64), -1, stage, np.ones(1), np.ones(1),
                              np.zeros(4, dtype=np.int64), np.ones(4), 10)
    assert sorted(out.tolist()) == [2, 3]  # unknown (0) and ring 4 (0.2 < 0.5) are not partners
