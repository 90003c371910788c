"""Shared fixtures: scenarios and cached runs (a model run costs ~0.3-1 s here; reuse them)."""

from __future__ import annotations

import functools
import os

import pytest

# every kernel call of a bound kernel (kernels.Bound) checks that its argument types are those it was bound to
os.environ["PROPELLER_CHECK_KERNEL_TYPES"] = "1"

from propeller import simulate  # noqa: E402
from propeller.scenarios.loader import DEFAULTS, load  # noqa: E402

# One valid calibration-target record (calibration/targets.toml format), for the bad-file tests to break.
TARGET_RECORD = """[[kpi]]
name = "x_target"
value = 170
unit = "organisations"
date = "2025-09"
sd = 8.5
sd_reason = "counting"
source = "003 L529-531 (Table 1)"
quote = "170"
model_output = "kpi4_mkb_four_hubs"
status = "ok"
"""


@functools.cache
def _run(overrides: tuple, seed: int, until: str):
    over = {k: list(v) if isinstance(v, tuple) else v for k, v in overrides}
    return simulate(load(DEFAULTS, overrides=over), seed=seed, until=until)


def run(overrides: dict | None = None, seed: int = 0, until: str = "2027-12") -> dict:
    """Cached simulate() on the baseline with dotted overrides (treat the result as read-only)."""
    items = ((k, tuple(v) if isinstance(v, list) else v) for k, v in (overrides or {}).items())
    return _run(tuple(sorted(items)), seed, until)


@pytest.fixture(scope="session")
def baseline():
    return load(DEFAULTS)
