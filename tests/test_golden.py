"""Golden regression: the README's seed-0 summary and hashes of two seeded runs' outputs (tests/golden.py).

A refactoring must keep these exactly; a change meant to move numbers refreshes them with ``make golden`` and says
why in the commit message.
"""

from __future__ import annotations

import pytest

from tests import golden


@pytest.fixture(scope="module")
def current():
    return golden.compute()


@pytest.fixture(scope="module")
def pinned():
    return golden.load_golden()


def test_pinned_runs_are_the_ones_computed(pinned):
    assert pinned["summary_run"] == golden.SUMMARY_RUN
    assert pinned["regional_run"] == golden.REGIONAL_RUN


def test_baseline_summary_unchanged(current, pinned):
    assert current["summary"] == pinned["summary"], "the seed-0 baseline summary moved: `make golden` if meant"


@pytest.mark.parametrize("frame", golden.FRAMES)
def test_baseline_outputs_unchanged(current, pinned, frame):
    assert current["summary_run_sha256"][frame] == pinned["summary_run_sha256"][frame]


@pytest.mark.parametrize("frame", golden.FRAMES)
def test_regional_run_outputs_unchanged(current, pinned, frame):
    assert current["regional_run_sha256"][frame] == pinned["regional_run_sha256"][frame]


def test_readme_shows_the_pinned_summary(pinned):
    assert golden.readme_summary() == pinned["summary"], "README's baseline table differs from tests/golden.json"
