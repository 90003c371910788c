"""The bad-input corpus: every entry point of ``propeller`` answers bad input with ONE line on stderr naming the file,
key or argument, the value and what was expected (with "did you mean" for near misses), exit code 2, no traceback,
nothing on stdout - and nothing written: the working folder (where every case runs and where every output path
points) is byte-for-byte the same afterwards.

The corpus is a table (``CASES``): to cover a new command (``propeller report``, ``propeller dashboard``, ...) add
rows. A row is ``Case(id, argv, expect, files)``:

- ``argv``: the command line after ``propeller``; ``{tmp}`` is the case's working folder (the current directory
  while it runs), ``{root}`` the repository, ``{lib}`` scenarios/library, ``{sweepdb}`` a copy of a small finished
  sweep database (2 scenarios x 1 seed, Midden, 2024-03 .. 2024-06; outputs partners_total, kpi5_skilled).
- ``expect``: a substring of the one line.
- ``files``: files to create first, ``{name: text or bytes}`` (a name ending in "/" makes a folder); the same
  placeholders work in text.

Most cases run in this process through ``propeller.app.cli.main`` (fast: they fail during validation); ``SUBPROCESS``
runs a few as real commands to prove that no traceback reaches a terminal.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TARGET_RECORD

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "scenarios" / "library"
HEADER = "route,from,kind,to,rate,requires,months,source\n"


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    expect: str
    files: dict[str, str | bytes] = field(default_factory=dict)


def scenario(text: str) -> str:
    return f'extends = "{{root}}/scenarios/uncalibrated_defaults.toml"\n{text}'


SPEC = """name = "tiny"
scenarios = ["{lib}/uncalibrated.toml"]
replications = 1
until = "2024-06"
outputs = ["partners_total"]
[overrides]
simulation.region = "midden"
"""

TARGET = TARGET_RECORD

PRIOR = """[parameters."ecosystem.decay"]
prior = "uniform"
low = 0.005
high = 0.05
reason = "a reason"
"""

BASE = ["run", "{root}/scenarios/uncalibrated_defaults.toml", "--out", "out"]  # + bad arguments
RUN = ["run", "s.toml", "--out", "out"]  # with a bad s.toml
SWEEP = ["sweep", "spec.toml", "--db", "sweep.db", "--workers", "1", "--no-progress"]
CAL = ["calibrate", "--quick", "--workers", "1", "--out", "cal"]

CASES = [
    # ---------------------------------------------------------------- scenario files
    Case("toml-syntax", RUN, "s.toml: (syntax): expected valid TOML", {"s.toml": "[hubs.west\nbudget = 1\n"}),
    Case("toml-binary", RUN, "s.toml: (syntax): expected a UTF-8 text file", {"s.toml": b"\xff\xfe\x00\x01"}),
    Case("scenario-missing", ["run", "nope.toml"], "nope.toml: (file): expected an existing scenario file"),
    Case("scenario-folder", ["run", "adir"], "adir: (file): expected an existing scenario file", {"adir/": ""}),
    Case("extends-missing", RUN, "nope.toml: (file): expected an existing scenario file",
         {"s.toml": 'extends = "nope.toml"\n'}),
    Case("extends-not-string", RUN, "s.toml: extends: expected a path string, got 3", {"s.toml": "extends = 3\n"}),
    Case("unknown-key", RUN, "s.toml: hubs.west.budgett: expected a parameter that exists in uncalibrated_defaults.toml (unknown "
         "key); did you mean 'hubs.west.budget'?", {"s.toml": scenario("[hubs.west]\nbudgett = 1.0\n")}),
    Case("unknown-section", RUN, "simulaton.until: expected a parameter that exists in uncalibrated_defaults.toml (unknown key); "
         "did you mean 'simulation.until'?", {"s.toml": scenario('[simulaton]\nuntil = "2025-01"\n')}),
    Case("value-as-table", RUN, "hubs.west.budget.x: expected a parameter that exists in uncalibrated_defaults.toml (unknown key) "
         "('hubs.west.budget' is a value, not a table)", {"s.toml": scenario("[hubs.west.budget]\nx = 1\n")}),
    Case("wrong-type-string", RUN, "s.toml: hubs.west.budget: expected a number, got 'lots'",
         {"s.toml": scenario('[hubs.west]\nbudget = "lots"\n')}),
    Case("wrong-type-list", RUN, "s.toml: hubs.west.focus: expected a list, got 0.5",
         {"s.toml": scenario("[hubs.west]\nfocus = 0.5\n")}),
    Case("wrong-type-toml-date", RUN, "s.toml: funding.change_date: expected a string, got datetime.date(2026, 1, 1)",
         {"s.toml": scenario("[funding]\nchange_date = 2026-01-01\n")}),
    Case("wrong-type-bool", RUN, "s.toml: network.enabled: expected true/false, got 1",
         {"s.toml": scenario("[network]\nenabled = 1\n")}),
    Case("list-length", RUN, "s.toml: hubs.oost.focus: expected a list of 4 values, got [1.0]",
         {"s.toml": scenario("[hubs.oost]\nfocus = [1.0]\n")}),
    Case("shares-not-summing", RUN, "s.toml: hubs.oost.focus: expected non-negative shares that sum to 1",
         {"s.toml": scenario("[hubs.oost]\nfocus = [0.5, 0.5, 0.5, 0.5]\n")}),
    Case("probability-above-1", RUN, "s.toml: spillover.p_other_theme: expected a number in [0, 1], got 1.5",
         {"s.toml": scenario("[spillover]\np_other_theme = 1.5\n")}),
    Case("probability-below-0", BASE + ["--set", "network.decay=-0.1"],
         "--set: network.decay: expected a number in [0, 1], got -0.1"),
    Case("negative-count", RUN, "s.toml: hubs.west.potential_unknown: expected a whole number of organisations in "
         "[0, 250,000], got -5", {"s.toml": scenario("[hubs.west]\npotential_unknown = -5\n")}),
    Case("count-too-large", BASE + ["--set", "hubs.zuid.partners_start=1000000000"],
         "--set: hubs.zuid.partners_start: expected a whole number of organisations in [0, 250,000], got 1000000000"),
    Case("negative-budget", BASE + ["--set", "hubs.west.budget=-5"],
         "--set: hubs.west.budget: expected a number >= 0, got -5.0"),
    Case("not-finite", BASE + ["--set", "hubs.west.budget=nan"], "--set: hubs.west.budget: expected a finite number"),
    # ---------------------------------------------------------------- the propeller table and its rates
    Case("rate-too-high", BASE + ["--set", "propeller.rates.mkb.test.back=9"],
         "--set: propeller.rates.mkb.test.back: expected a number in [0, 5], got 9.0"),
    Case("exit-hazard", RUN, "s.toml: propeller.rates.mkb.test: expected a total hazard of leaving test of at most 5 "
         "per month", {"s.toml": scenario("[propeller.rates.mkb.test]\nback = 5.0\n")}),
    Case("phase-scale", BASE + ["--set", "propeller.scale_uitproberen=50"],
         "--set: propeller.scale_uitproberen: expected a number in [0, 10], got 50.0"),
    Case("rate-unknown-route", BASE + ["--set", "propeller.rates.bank.test.back=0.1"],
         "propeller.rates.bank.test.back: expected a rate of a transition in the propeller table "
         "(propeller.rates.<route>.<from>.<kind>) (unknown stakeholder route 'bank'; one of mkb, woco"),
    Case("rate-move-not-in-table", BASE + ["--set", "propeller.rates.mkb.test.skip=0.1"],
         "(propeller.rates.mkb.test has no move kind 'skip'; it has back, forward, repeat)"),
    Case("rate-step-typo", BASE + ["--set", "propeller.rates.mkb.tset.back=0.1"],
         "did you mean 'propeller.rates.mkb.test.back'?"),
    Case("table-unknown-to-step", RUN, "t.csv: row 1 (mkb,test,back): expected 'to' an engaged propeller step "
         "(entry is [diffusion]), got 'desing'; did you mean 'design'?",
         {"s.toml": scenario('[propeller]\ntable = "t.csv"\n'), "t.csv": HEADER + "mkb,test,back,desing,0.1,,,x\n"}),
    Case("table-unknown-route", RUN, "t.csv: row 1 (bank,test,back): expected route in mkb, woco, gemeente, school, "
         "generic, got 'bank'",
         {"s.toml": scenario('[propeller]\ntable = "t.csv"\n'), "t.csv": HEADER + "bank,test,back,design,0.1,,,x\n"}),
    Case("table-short-row", RUN, "t.csv: row 1 (mkb,test,back): expected 8 fields",
         {"s.toml": scenario('[propeller]\ntable = "t.csv"\n'), "t.csv": HEADER + "mkb,test,back,design\n"}),
    Case("table-wrong-direction", RUN, "t.csv: row 1 (mkb,test,forward): expected to = next step for kind 'forward'",
         {"s.toml": scenario('[propeller]\ntable = "t.csv"\n'), "t.csv": HEADER + "mkb,test,forward,design,0.1,,,x\n"}),
    Case("table-missing", RUN, "none.csv: (file): expected an existing propeller table",
         {"s.toml": scenario('[propeller]\ntable = "none.csv"\n')}),
    # ---------------------------------------------------------------- dates
    Case("date-month-13", BASE + ["--set", "funding.change_date=2026-13"],
         "--set: funding.change_date: expected a date 'YYYY-MM' (month 01-12, year 2000-2100), got '2026-13'"),
    Case("date-words", BASE + ["--until", "March 2026"], "--until: simulation.until: expected a date 'YYYY-MM'"),
    Case("date-after-range", BASE + ["--until", "2051-01"],
         "--until: simulation.until: expected a date within the model's range 2024-03 .. 2050-12, got '2051-01'"),
    Case("date-before-range", RUN, "s.toml: simulation.start: expected a date within the model's range",
         {"s.toml": scenario('[simulation]\nstart = "2023-01"\n')}),
    Case("until-before-start", BASE + ["--set", "simulation.start=2025-01", "--until", "2024-12"],
         "--until: simulation.until: expected a date at or after simulation.start (2025-01), got '2024-12'"),
    Case("connector-date", BASE + ["--set", "hubs.west.connector_leaves=soon"],
         "--set: hubs.west.connector_leaves: expected a date 'YYYY-MM' or \"\" (never), got 'soon'"),
    # ---------------------------------------------------------------- names: hubs, themes, instruments, ...
    Case("unknown-hub", BASE + ["--set", "hubs.mars.budget=1"], "--set: hubs.mars.budget: expected a parameter that "
         "exists in uncalibrated_defaults.toml (unknown key) (unknown hub 'mars'; one of noord, zuid, oost, west, midden)"),
    Case("hub-typo", BASE + ["--set", "hubs.wset.budget=1"], "did you mean 'hubs.west.budget'?"),
    Case("unknown-region", BASE + ["--set", "simulation.region=mars"],
         "--set: simulation.region: expected one of 'noord', 'zuid', 'oost', 'west', 'midden', 'all', got 'mars'"),
    Case("theme-typo", BASE + ["--set", "outputs.theme=digitalization"],
         "--set: outputs.theme: expected one of 'biobased_circular'"),
    Case("instrument-typo", BASE + ["--set", "hubs.west.instruments.event=1"],
         "did you mean 'hubs.west.instruments.events'?"),
    Case("lead-partner", BASE + ["--set", "hubs.west.lead_partner=school"],
         "--set: hubs.west.lead_partner: expected one of 'education', 'foundation', 'company', 'association'"),
    Case("entry-step", BASE + ["--set", "diffusion.entry_step=awarness"], "did you mean 'awareness'?"),
    # ---------------------------------------------------------------- command-line arguments
    Case("set-without-equals", BASE + ["--set", "nonsense"], "--set: nonsense: expected dotted.key=value"),
    Case("seed-not-a-number", BASE + ["--seed", "x"], "argument --seed: expected a whole number >= 0, got 'x'"),
    Case("seed-negative", BASE + ["--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'"),
    Case("command-typo", ["rn", "s.toml"], "invalid choice: 'rn'"),
    Case("no-command", [], "the following arguments are required: command"),
    Case("unknown-option", BASE + ["--outt", "x"], "unrecognized arguments: --outt x"),
    # ---------------------------------------------------------------- output paths (checked before any work)
    Case("out-under-a-file", ["run", "{root}/scenarios/uncalibrated_defaults.toml", "--out", "afile/sub"],
         "--out: afile/sub: expected a path in a folder that can be created (afile is a file, not a folder)",
         {"afile": "keep me\n"}),
    Case("out-is-a-file", ["run", "{root}/scenarios/uncalibrated_defaults.toml", "--out", "afile"],
         "--out: afile: expected a folder to write into (this path is a file)", {"afile": "keep me\n"}),
    Case("out-in-proc", ["run", "{root}/scenarios/uncalibrated_defaults.toml", "--out", "/proc/propeller-out"],
         "--out: /proc/propeller-out: expected a writable folder (cannot write in /proc"),
    # ---------------------------------------------------------------- sweep specs
    Case("spec-empty-sweep", SWEEP, "spec.toml: (sweep): expected a list of `scenarios` or a [factors] table: the "
         "sweep is empty", {"spec.toml": 'name = "x"\n'}),
    Case("scenario-empty", ["run", "empty.toml"], "empty.toml: (file): expected a scenario with at least one setting "
         "or an 'extends' line (this file is empty or only comments", {"empty.toml": ""}),
    Case("scenario-comments-only", ["run", "c.toml"], "c.toml: (file): expected a scenario with at least one setting",
         {"c.toml": "# a scenario that forgot its settings\n\n"}),
    Case("spec-comments-only", SWEEP, "spec.toml: (sweep): expected a list of `scenarios` or a [factors] table: the "
         "sweep is empty", {"spec.toml": "# nothing here\n"}),
    Case("run-compare-out", ["run", "{lib}/calibrated.toml", "{lib}/funding_plus50.toml", "--out", "o"],
         "--out: o: expected one scenario and one seed (--out writes one run's files"),
    Case("run-one-db", ["run", "{lib}/calibrated.toml", "--db", "x.db"],
         "--db: x.db: expected several scenarios, --seeds N > 1 or --draws M"),
    Case("run-compare-same-name", ["run", "{lib}/calibrated.toml", "{root}/scenarios/calibrated.toml", "--seeds", "2"],
         "run: calibrated: expected scenario files with different names"),
    Case("run-compare-bad-set", ["run", "{lib}/calibrated.toml", "{lib}/funding_plus50.toml", "--set", "hubs.west.budgett=1"],
         "hubs.west.budgett: expected a parameter that exists in uncalibrated_defaults.toml"),
    Case("run-draws-uncalibrated", ["run", "{lib}/uncalibrated.toml", "{lib}/calibrated.toml", "--draws", "2"],
         "expected scenarios that extend scenarios/calibrated.toml for a posterior design"),
    Case("spec-missing", SWEEP, "spec.toml: (file): expected an existing sweep spec file"),
    Case("spec-syntax", SWEEP, "spec.toml: (syntax): expected valid TOML", {"spec.toml": "[factors\n"}),
    Case("spec-unknown-key", SWEEP, "spec.toml: replicatons: expected a sweep spec key (name, description, base, "
         "scenarios, seed, replications", {"spec.toml": "replicatons = 3\n" + SPEC}),
    Case("spec-unknown-key-hint", SWEEP, "did you mean 'replications'?", {"spec.toml": "replicatons = 3\n" + SPEC}),
    Case("spec-negative-replications", SWEEP, "spec.toml: replications: expected an integer >= 1, got -1",
         {"spec.toml": SPEC.replace("replications = 1", "replications = -1")}),
    Case("spec-outcome-typo", SWEEP, "spec.toml: outputs[0]: expected an outcome column of the timeseries "
         "(docs/ODD.md §10.1; date and month are always kept), got 'partners_totl'; did you mean 'partners_total'?",
         {"spec.toml": SPEC.replace('"partners_total"', '"partners_totl"')}),
    Case("spec-factor-key-typo", SWEEP, "spec.toml: factors.f: expected keys that exist in uncalibrated_defaults.toml or the "
         "propeller table (propeller.rates.<route>.<from>.<kind>), got 'funding.multiplyer'; did you mean "
         "'funding.multiplier'?",
         {"spec.toml": SPEC + '[factors.f]\nkey = "funding.multiplyer"\nlevels = [1.0]\n'}),
    Case("spec-design-typo", SWEEP, "spec.toml: design.kind: expected one of 'scenarios', 'grid', 'lhs', 'sobol', "
         "'morris', 'posterior', got 'sobl'; did you mean 'sobol'?",
         {"spec.toml": SPEC + '[design]\nkind = "sobl"\n'}),
    Case("spec-unknown-region", SWEEP, "spec.toml: overrides.simulation.region: expected one of 'noord'",
         {"spec.toml": SPEC.replace('"midden"', '"mars"')}),
    Case("spec-until-out-of-range", SWEEP, "spec.toml: until: expected a date within the model's range",
         {"spec.toml": SPEC.replace('until = "2024-06"', 'until = "2060-01"')}),
    Case("spec-scenario-missing", SWEEP, "spec.toml: scenarios[0]: expected an existing scenario file",
         {"spec.toml": SPEC.replace("uncalibrated.toml", "nope.toml")}),
    Case("spec-bad-level", SWEEP, "spec.toml: factors.f: expected levels valid for network.decay: a number in [0, 1], "
         "got 2.0", {"spec.toml": SPEC + '[factors.f]\nkey = "network.decay"\nlevels = [0.1, 2.0]\n'}),
    Case("spec-posterior-not-numbers", SWEEP, "spec.toml: design.file: expected a CSV of numbers (weight and one "
         "column per parameter)", {"spec.toml": SPEC.replace("[overrides]", '[design]\nkind = "posterior"\nsamples = 2'
                                                             '\nfile = "post.csv"\n[overrides]'),
                                   "post.csv": "weight,ecosystem.decay\nheavy,0.01\n"}),
    Case("sweep-workers-0", SWEEP[:-3] + ["--workers", "0"], "argument --workers: expected a positive whole number, "
         "got '0'", {"spec.toml": SPEC}),
    Case("scheduler-malformed", SWEEP + ["--scheduler", "notanaddress"], "--scheduler: notanaddress: expected a "
         "Dask scheduler address tcp://HOST:PORT (missing port number", {"spec.toml": SPEC}),
    Case("sweep-no-spec", ["sweep", "--db", "x.db"], "sweep: SPEC: expected a sweep spec file"),
    Case("sweep-rerun-without-db", ["sweep", "--rerun", "abc"], "sweep: --rerun: expected --rerun RUN_ID --db PATH"),
    Case("sweep-rerun-unknown-id", ["sweep", "--rerun", "abc", "--db", "{sweepdb}"],
         "run_id: expected the id of a run stored in this database, got 'abc'"),
    # ---------------------------------------------------------------- databases
    Case("db-under-a-file", ["sweep", "spec.toml", "--db", "afile/sweep.db", "--workers", "1"],
         "--db: afile/sweep.db: expected a path in a folder (afile is a file, not a folder)",
         {"spec.toml": SPEC, "afile": "keep me\n"}),
    Case("db-not-sqlite", ["sweep", "spec.toml", "--db", "notes.db", "--workers", "1"],
         "notes.db: (file): expected an SQLite sweep database (this file is not SQLite)",
         {"spec.toml": SPEC, "notes.db": "my notes\n"}),
    Case("db-not-sqlite-compare", ["compare", "notes.db"],
         "notes.db: (file): expected an SQLite sweep database (this file is not SQLite)", {"notes.db": "my notes\n"}),
    Case("db-corrupt", ["compare", "bad.db"], "bad.db: (file): expected an intact SQLite sweep database (this one is damaged",
         {"bad.db": b"SQLite format 3\x00" + b"\x07" * 2000}),
    Case("db-newer-schema", ["compare", "{newerdb}"], "meta.schema_version: expected a schema version <= 1 (this "
         "propeller); the database was written by a newer version, got 2"),
    Case("db-newer-schema-sweep", ["sweep", "spec.toml", "--db", "{newerdb}", "--workers", "1"],
         "written by a newer version", {"spec.toml": SPEC}),
    Case("db-missing", ["compare", "nope.db"], "nope.db: (file): expected an existing sweep database"),
    Case("report-db-missing", ["report", "nope.db", "--out", "r.html"], "nope.db: (file): expected an existing sweep database"),
    Case("report-db-not-sqlite", ["report", "notes.db", "--out", "r.html"],
         "notes.db: (file): expected an SQLite sweep database (this file is not SQLite)", {"notes.db": "my notes\n"}),
    Case("report-out-not-html", ["report", "notes.db", "--out", "r.txt"], "--out: r.txt: expected a file name ending in .html",
         {"notes.db": "my notes\n"}),
    Case("dashboard-port-zero", ["dashboard", "--port", "0"], "argument --port: expected a port number 1-65535, got '0'"),
    Case("dashboard-scenario-missing", ["dashboard", "--scenario", "nope.toml"],
         "nope.toml: (file): expected an existing scenario file"),

    Case("db-folder", ["compare", "adir"], "adir: (file): expected an SQLite sweep database file, not a folder",
         {"adir/": ""}),
    # ---------------------------------------------------------------- compare / sensitivity
    Case("compare-reference-typo", ["compare", "{sweepdb}", "--reference", "funding_minus5"],
         "--reference: funding_minus5: expected a scenario of sweep 'tiny' (uncalibrated, funding_minus50); "
         "did you mean 'funding_minus50'?"),
    Case("compare-outcome-typo", ["compare", "{sweepdb}", "--outcome", "kpi5_skiled"],
         "--outcome: kpi5_skiled: expected an outcome kept by sweep 'tiny' (partners_total, kpi5_skilled); "
         "did you mean 'kpi5_skilled'?"),
    Case("compare-sweep-typo", ["compare", "{sweepdb}", "--sweep", "tinny"],
         "sweeps: expected a sweep named 'tinny' in this database (it has: tiny); did you mean 'tiny'?"),
    Case("compare-csv-under-a-file", ["compare", "{sweepdb}", "--csv", "afile/t.csv"],
         "--csv: afile/t.csv: expected a path in a folder", {"afile": "keep me\n"}),
    Case("sensitivity-not-a-design", ["sensitivity", "{sweepdb}", "--png", "s.png"],
         "sweeps: expected a sweep with a morris or sobol design in this database (it has: tiny)"),
    Case("sensitivity-outcome-format", ["sensitivity", "{sweepdb}", "--outcome", "kpi5"],
         "--outcome: kpi5: expected OUTCOME@YYYY-MM"),
    Case("sensitivity-png-is-folder", ["sensitivity", "{sweepdb}", "--png", "adir"],
         "--png: adir: expected a file path (this path is a folder)", {"adir/": ""}),
    # ---------------------------------------------------------------- calibration targets and priors
    Case("targets-syntax", CAL + ["--targets", "t.toml"], "t.toml: (syntax): expected valid TOML",
         {"t.toml": "[[kpi]\n"}),
    Case("targets-missing", CAL + ["--targets", "t.toml"], "t.toml: (file): expected an existing file"),
    Case("targets-bad-sd", CAL + ["--targets", "t.toml"], "t.toml: record x_target: sd: expected a number > 0, got 0",
         {"t.toml": TARGET.replace("sd = 8.5", "sd = 0")}),
    Case("targets-unknown-key", CAL + ["--targets", "t.toml"],
         "t.toml: record x_target: valeu: expected a known key", {"t.toml": TARGET + "valeu = 3\n"}),
    Case("targets-unknown-partner-type", CAL + ["--targets", "t.toml"],
         "t.toml: record x_target: model_output: expected a model output (a timeseries column, partners_<hub>_<type> "
         "or partners_four_hubs_<type>), got 'partners_west_mkb_builderz'; did you mean 'partners_west_mkb_builders'?",
         {"t.toml": TARGET.replace("kpi4_mkb_four_hubs", "partners_west_mkb_builderz")}),
    Case("targets-beyond-horizon", CAL + ["--targets", "t.toml"], "t.toml: record x_target: date: expected a month "
         "up to the calibration's horizon 2025-09, got '2026-09'",
         {"t.toml": TARGET.replace('date = "2025-09"', 'date = "2026-09"')}),
    Case("priors-syntax", CAL + ["--priors", "p.toml"], "p.toml: (syntax): expected valid TOML", {"p.toml": "[parameters\n"}),
    Case("priors-missing", CAL + ["--priors", "p.toml"], "p.toml: (file): expected an existing priors file"),
    Case("priors-unknown-parameter", CAL + ["--priors", "p.toml"], "p.toml: parameters.ecosystem.decy: expected a "
         "parameter of uncalibrated_defaults.toml (unknown key); did you mean 'ecosystem.decay'?",
         {"p.toml": PRIOR.replace("ecosystem.decay", "ecosystem.decy")}),
    Case("priors-bound-invalid", CAL + ["--priors", "p.toml"], "p.toml: parameters.ecosystem.decay.high: expected a "
         "value valid for ecosystem.decay (a number in [0, 1]), got 1.5",
         {"p.toml": PRIOR.replace("high = 0.05", "high = 1.5")}),
    Case("priors-key-typo", CAL + ["--priors", "p.toml"], "p.toml: parameters.ecosystem.decay.hihg: expected a prior "
         "key (prior, low, high, reason, informs); did you mean 'high'?", {"p.toml": PRIOR.replace("high =", "hihg =")}),
    Case("priors-integer-parameter", CAL + ["--priors", "p.toml"], "p.toml: parameters.network.chain_m: expected a "
         "real-valued parameter", {"p.toml": PRIOR.replace("ecosystem.decay", "network.chain_m")}),
    Case("calibrate-out-under-a-file", ["calibrate", "--quick", "--out", "afile/cal"],
         "--out: afile/cal: expected a path in a folder that can be created (afile is a file, not a folder)",
         {"afile": "keep me\n"}),
    Case("calibrate-scheduler-malformed", CAL + ["--scheduler", "nope"],
         "--scheduler: nope: expected a Dask scheduler address tcp://HOST:PORT"),
    Case("calibrate-workers-0", ["calibrate", "--quick", "--workers", "0"],
         "argument --workers: expected a positive whole number, got '0'"),
]

# A few as real commands: what a terminal shows (one line, no traceback) and the exit status.
SUBPROCESS = ["toml-syntax", "unknown-key", "out-in-proc", "db-not-sqlite-compare", "priors-bound-invalid",
              "spec-empty-sweep"]


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    """A small finished sweep database, and a copy that claims a newer schema version."""
    from propeller.app.store import SCHEMA_VERSION
    from propeller.app.sweeps.design import build_plan
    from propeller.app.sweeps.execute import execute
    from propeller.app.sweeps.spec import load_spec

    d = tmp_path_factory.mktemp("dbs")
    spec = d / "tiny.toml"
    spec.write_text(f'name = "tiny"\nscenarios = ["{LIB}/uncalibrated.toml", "{LIB}/funding_minus50.toml"]\n'
                    'replications = 1\nuntil = "2024-06"\noutputs = ["partners_total", "kpi5_skilled"]\n'
                    'key_dates = ["2024-06"]\n[overrides]\nsimulation.region = "midden"\n')
    db = d / "tiny.db"
    assert execute(build_plan(load_spec(spec)), db, progress=False).stored == 2
    newer = d / "newer.db"
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(newer)) as dst:
        src.backup(dst)
    with closing(sqlite3.connect(newer)) as c, c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    return db, newer


def _fill(text: str, subs: dict[str, str]) -> str:
    for k, v in subs.items():
        text = text.replace("{" + k + "}", v)
    return text


def _prepare(case: Case, tmp: Path, databases) -> list[str]:
    db, newer = databases
    subs = {"tmp": str(tmp), "root": str(ROOT), "lib": str(LIB)}
    if any("{sweepdb}" in a for a in case.argv):
        shutil.copy(db, tmp / "sweep_copy.db")
        subs["sweepdb"] = "sweep_copy.db"
    if any("{newerdb}" in a for a in case.argv):
        shutil.copy(newer, tmp / "newer_copy.db")
        subs["newerdb"] = "newer_copy.db"
    for name, content in case.files.items():
        p = tmp / name
        if name.endswith("/"):
            p.mkdir(parents=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(_fill(content, subs), encoding="utf-8")
    return [_fill(a, subs) for a in case.argv]


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with a digest of its bytes: equal trees = nothing written."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def check_one_line(code, out: str, err: str, expect: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, f"exit {code}; stderr: {err}"
    assert "Traceback" not in err and "Traceback" not in out
    assert out == "", f"stdout: {out!r}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert expect in lines[0], f"\n  wanted: {expect}\n  got:    {lines[0]}"


# ------------------------------------------------------------------------------------------------ the corpus
def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(SUBPROCESS) <= {c.id for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_process(case, tmp_path, monkeypatch, capsys, databases):
    from propeller.app.cli import main

    monkeypatch.chdir(tmp_path)
    argv = _prepare(case, tmp_path, databases)
    before = tree(tmp_path)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    check_one_line(code, out, err, case.expect)
    assert tree(tmp_path) == before, "the command wrote something"


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_bad_input_as_a_command(case_id, tmp_path, databases):
    case = next(c for c in CASES if c.id == case_id)
    argv = _prepare(case, tmp_path, databases)
    before = tree(tmp_path)
    r = subprocess.run([sys.executable, "-m", "propeller.app.cli", *argv], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120, env=_env())
    check_one_line(r.returncode, r.stdout, r.stderr, case.expect)
    assert tree(tmp_path) == before, "the command wrote something"


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")  # cwd is the case's folder
    return env


def test_a_bug_still_shows_its_traceback(tmp_path, monkeypatch, capsys):
    """Only user-input errors become one line: an unexpected exception is not hidden."""
    import importlib

    from propeller.app.cli import main

    simulate_mod = importlib.import_module("propeller.core.simulate")  # (propeller.core.simulate is also the function)

    def broken(*a, **k):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(simulate_mod, "simulate", broken)
    with pytest.raises(ZeroDivisionError):
        main(["run", str(ROOT / "scenarios" / "uncalibrated_defaults.toml"), "--until", "2024-04"])
