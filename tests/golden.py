"""Golden numbers: the README's seed-0 baseline summary and hashes of a seeded regional run.

The model is deterministic for a scenario and a seed, so a refactoring that is meant to leave the numbers alone
must leave these exactly as they are (``tests/test_golden.py`` checks them). When a change is *meant* to move the
numbers, refresh them and record why in the commit message:

    make golden          # = .venv/bin/python tests/golden.py --update

which rewrites ``tests/golden.json`` and the summary table in README.md (between its ``golden-summary`` markers).
In the spirit of Starsim's ``tests/test_baselines.py`` / ``baseline.yaml``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden.json"
README = ROOT / "README.md"
README_BLOCK = re.compile(r"(<!-- golden-summary: begin -->\n```\n)(.*?)(```\n<!-- golden-summary: end -->)", re.S)

# The runs whose outputs are pinned. The summary is what `make baseline` prints (calibrated, seed 0); the regional
# run exercises the other code paths on the uncalibrated baseline (one hub, a connector leaving, a funding cut).
SUMMARY_RUN = {"scenario": "scenarios/calibrated.toml", "seed": 0}
REGIONAL_RUN = {
    "scenario": "scenarios/uncalibrated_defaults.toml",
    "seed": 11,
    "until": "2030-12",
    "overrides": {"simulation.region": "west", "hubs.west.connector_leaves": "2027-01",
                  "funding.multiplier": 0.7, "funding.change_date": "2026-01"},
}
FRAMES = ("timeseries", "occupancy", "partners_by_hub_type", "participants")


def _sha(frame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def compute() -> dict:
    """The golden record of the current code: summary table lines and per-frame sha256 hashes."""
    from propeller import simulate
    from propeller.app.cli import summary_table
    from propeller.scenarios.loader import load

    base = simulate(load(ROOT / SUMMARY_RUN["scenario"]), seed=SUMMARY_RUN["seed"])
    regional = simulate(load(ROOT / REGIONAL_RUN["scenario"], overrides=REGIONAL_RUN["overrides"]),
                        seed=REGIONAL_RUN["seed"], until=REGIONAL_RUN["until"])
    return {
        "summary_run": SUMMARY_RUN,
        "summary": summary_table(base["timeseries"]).to_string().splitlines(),
        "summary_run_sha256": {name: _sha(base[name]) for name in FRAMES},
        "regional_run": REGIONAL_RUN,
        "regional_run_sha256": {name: _sha(regional[name]) for name in FRAMES},
    }


def load_golden() -> dict:
    return json.loads(GOLDEN.read_text())


def readme_summary() -> list[str]:
    m = README_BLOCK.search(README.read_text())
    if m is None:
        raise AssertionError("README.md has no <!-- golden-summary --> block")
    return m.group(2).splitlines()


def update() -> dict:
    record = compute()
    GOLDEN.write_text(json.dumps(record, indent=2) + "\n")
    text = README.read_text()
    if README_BLOCK.search(text) is None:
        raise SystemExit("README.md has no <!-- golden-summary --> block to refresh")
    README.write_text(README_BLOCK.sub(lambda m: m.group(1) + "\n".join(record["summary"]) + "\n" + m.group(3), text))
    return record


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        raise SystemExit("usage: python tests/golden.py --update   (rewrites tests/golden.json and README's summary)")
    rec = update()
    print("\n".join(rec["summary"]))
    print(f"written: {GOLDEN} and the summary in {README}")
