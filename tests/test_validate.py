"""`propeller validate`: the posterior-predictive check of the committed calibration (issue 15, point 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from propeller.calibration.abc import Prior
from propeller.calibration.validate import contraction, coverage, load_posterior, summary

ROOT = Path(__file__).resolve().parents[1]


def propeller(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "propeller"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "propeller.app.cli"]
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True, timeout=300)


def records(**values):
    return pd.DataFrame([{"group": "g", "name": n, "date": "2025-09", "unit": unit, "value": v, "sd": sd,
                          "source": "003 L1", "model_output": n, "status": "ok"}
                         for n, (v, sd, unit) in values.items()])


def test_coverage_counts_an_observation_inside_only_when_it_is():
    rng = np.random.default_rng(0)
    pred = pd.DataFrame({"target:near": rng.normal(100, 5, 400), "target:far": rng.normal(100, 5, 400),
                         "target:share": rng.uniform(0.4, 0.6, 400)})
    cov = coverage(pred, records(near=(101, 5, "organisations"), far=(160, 5, "organisations"),
                                 share=(0.98, 0.05, "share"), missing=(3, 1, "organisations")), "target")
    by = cov.set_index("name")
    assert by.loc["near", "in_50"] and by.loc["near", "in_90"]
    assert not by.loc["far", "in_90"] and not by.loc["share", "in_90"]
    assert by.loc["share", "p95"] <= 1.0                       # a share's predictive stays a share
    assert not by.loc["missing", "has_output"]                  # no output: listed, not counted
    # the predictive interval includes the observation error: wider than the model's own spread
    assert by.loc["near", "p95"] - by.loc["near", "p05"] > by.loc["near", "model_p95"] - by.loc["near", "model_p05"]
    s = summary(cov, cov.iloc[:0])
    assert (s["targets_in_90"], s["targets_total"], s["targets_without_output"]) == (1, 3, 1)


def test_contraction_is_one_for_the_prior_and_small_for_a_decided_parameter():
    prior = Prior(("a", "b"), ("uniform", "loguniform"), np.array([0.0, 0.01]), np.array([1.0, 1.0]))
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.uniform(0, 1, 20_000), np.exp(rng.normal(np.log(0.1), 0.01, 20_000))])
    c = contraction(prior, ("a", "b"), x, np.full(len(x), 1 / len(x))).set_index("parameter")["contraction"]
    assert abs(c["a"] - 1.0) < 0.03
    assert c["b"] < 0.02


def test_validate_command_prints_the_table_and_the_json(tmp_path):
    post = tmp_path / "posterior.csv"
    names, values, w = load_posterior()
    pd.DataFrame(values[:3], columns=list(names)).assign(weight=1.0).to_csv(post, index=False)
    r = propeller("validate", "--draws", "3", "--posterior", str(post))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["draws"] == 3 and out["targets_total"] > 50 and out["heldout_total"] >= 8
    assert 0 <= out["heldout_in_50"] <= out["heldout_in_90"] <= out["heldout_total"]
    assert "Held-out records (never fitted)" in r.stdout and "friesland_gemeenten_step_use_in_part" in r.stdout


def test_validate_refuses_a_bad_posterior_in_one_line(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("a,b\n1,2\n")
    r = propeller("validate", "--draws", "2", "--posterior", str(bad))
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "weight" in r.stderr
    bad.write_text("weight,no.such.parameter\n1,2\n")
    r = propeller("validate", "--draws", "2", "--posterior", str(bad))
    assert r.returncode == 2 and "no.such.parameter" in r.stderr
    r = propeller("validate", "--posterior", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "not found" in r.stderr
