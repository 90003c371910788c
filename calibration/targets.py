"""Observed numbers the model is fitted to (targets.toml) and held-out numbers it is checked against (validation.toml).

Each record carries its value, the month it refers to, the seed line it comes from and an uncertainty ``sd``; the
loader refuses a file whose records are incomplete, so a target cannot silently lose its source or its weight.
``observe`` reads the model outputs a target is compared with from ``simulate()`` results, and ``distance`` is the
sd-weighted root-mean-square miss that ABC-SMC will minimise (docs/calibration_targets.md).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from propeller.core import outputs
from propeller.core.constants import HUBS, TYPES
from propeller.errors import UserError

CALIBRATION_DIR = Path(__file__).resolve().parent
TARGETS = CALIBRATION_DIR / "targets.toml"
VALIDATION = CALIBRATION_DIR / "validation.toml"

TARGET_GROUPS = ("table_3_1", "growth", "hub_totals_over_time", "table_3_2", "kpi", "survey")
VALIDATION_GROUPS = ("adoption_steps", "intentions", "reach", "funnel", "flax")
STATUSES = ("ok", "initial condition", "no model output yet")
UNITS = ("organisations", "persons", "share", "ratio", "hectares")
FIRST_MONTH, LAST_MONTH = outputs.START_DATE, outputs.HORIZON_DATE

REQUIRED = ("name", "value", "date", "source", "quote", "sd", "sd_reason", "model_output", "status", "unit")
OPTIONAL = ("date_from", "n", "note", "held_out")
COLUMNS = ("group",) + REQUIRED + OPTIONAL
CHECK_KEYS = ("name", "stated", "holds", "source", "quote", "sum_of", "components", "derived", "note")

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_DATE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# "003 L2738-2742 (Table 3.1); 003 L6099, L6101": each ';' part names a seed file (000-004) and one or more lines.
_SOURCE_PART = re.compile(r"^(00[0-4]) (L\d+(?:-\d+)?(?:, L\d+(?:-\d+)?)*)(?: \([^()]*\))?$")


class TargetError(UserError):
    """A bad targets/validation file, rendered as one line: ``FILE: record NAME: key: expected ..., got ...``
    (the file by its name only)."""

    def __init__(self, file: str | Path, record: str | None, key: str, expected: str, got: Any = None, *, show_got: bool = True,
                 hint: str = ""):
        super().__init__(file, f"record {record}: {key}" if record is not None else key, expected, got,
                         show_got=show_got, hint=hint)
        self.record, self.key = record, key

    @staticmethod
    def _where(where: str | Path) -> str:
        return Path(where).name


def _did_you_mean(name: Any, options) -> str:
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_source(source: str) -> list[tuple[str, int, int]]:
    """``"003 L10-12, L20 (x); 000 L5"`` -> [("003", 10, 12), ("003", 20, 20), ("000", 5, 5)]; ValueError if malformed."""
    out: list[tuple[str, int, int]] = []
    for part in source.split("; "):
        m = _SOURCE_PART.match(part.strip())
        if not m:
            raise ValueError(part)
        for rng in m.group(2).split(", "):
            a, _, b = rng[1:].partition("-")
            lo, hi = int(a), int(b or a)
            if hi < lo:
                raise ValueError(part)
            out.append((m.group(1), lo, hi))
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _month_problem(v: Any) -> str | None:
    if not isinstance(v, str) or not _DATE.match(v):
        return "a month 'YYYY-MM'"
    if not FIRST_MONTH <= v <= LAST_MONTH:
        return f"a month within {FIRST_MONTH}..{LAST_MONTH}"
    return None


def _check_record(file: Path, group: str, i: int, rec: Any, held_out: bool) -> dict[str, Any]:
    label = rec.get("name") if isinstance(rec, dict) and isinstance(rec.get("name"), str) else f"#{i + 1} of [[{group}]]"
    if not isinstance(rec, dict):
        raise TargetError(file, label, "(record)", "a table of keys", rec)
    for key in REQUIRED:
        if key not in rec:
            raise TargetError(file, label, key, "this key (required)", show_got=False)
    for key in rec:
        if key not in REQUIRED + OPTIONAL:
            raise TargetError(file, label, key, "a known key (" + ", ".join(REQUIRED + OPTIONAL) + ")", show_got=False,
                              hint=_did_you_mean(key, REQUIRED + OPTIONAL))
    if not isinstance(rec["name"], str) or not _NAME.match(rec["name"]):
        raise TargetError(file, label, "name", "a snake_case name", rec["name"])
    for key in ("value", "sd"):
        if not _is_number(rec[key]):
            raise TargetError(file, label, key, "a finite number", rec[key])
    if not rec["sd"] > 0:
        raise TargetError(file, label, "sd", "a number > 0", rec["sd"])
    for key in ("date",) + (("date_from",) if "date_from" in rec else ()):
        problem = _month_problem(rec[key])
        if problem:
            raise TargetError(file, label, key, problem, rec[key])
    if "date_from" in rec and not rec["date_from"] < rec["date"]:
        raise TargetError(file, label, "date_from", f"a month before date ({rec['date']})", rec["date_from"])
    if not isinstance(rec["source"], str):
        raise TargetError(file, label, "source", "a string like '003 L2738-2742 (Table 3.1)'", rec["source"])
    try:
        parse_source(rec["source"])
    except ValueError:
        raise TargetError(file, label, "source", "'NNN Lx-y (label)' naming a seed file 000-004 and its line(s), "
                          "parts separated by '; '", rec["source"]) from None
    for key in ("quote", "sd_reason"):
        if not isinstance(rec[key], str) or not rec[key].strip():
            raise TargetError(file, label, key, "a non-empty string", rec[key])
    if not isinstance(rec["model_output"], str) or not _NAME.match(rec["model_output"]):
        raise TargetError(file, label, "model_output", "a snake_case output name", rec["model_output"])
    if rec["status"] not in STATUSES:
        raise TargetError(file, label, "status", "one of " + ", ".join(repr(s) for s in STATUSES), rec["status"])
    if rec["unit"] not in UNITS:
        raise TargetError(file, label, "unit", "one of " + ", ".join(UNITS), rec["unit"])
    if rec["unit"] == "share":
        if not 0 <= rec["value"] <= 1:
            raise TargetError(file, label, "value", "a share in [0, 1]", rec["value"])
        if "n" not in rec:
            raise TargetError(file, label, "n", "the sample size of a share (required for unit 'share')", show_got=False)
    if "n" in rec and (not isinstance(rec["n"], int) or isinstance(rec["n"], bool) or rec["n"] < 1):
        raise TargetError(file, label, "n", "an integer sample size >= 1", rec["n"])
    if "note" in rec and not isinstance(rec["note"], str):
        raise TargetError(file, label, "note", "a string", rec["note"])
    if rec.get("held_out", False) is not held_out:
        want = "true (every record in this file is held out)" if held_out else "false or absent (fitted targets)"
        raise TargetError(file, label, "held_out", want, rec.get("held_out"))
    return {"group": group, **rec, "held_out": held_out}


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TargetError(path, None, "(file)", "an existing file", show_got=False) from None
    except IsADirectoryError:
        raise TargetError(path, None, "(file)", "a file, not a folder", show_got=False) from None
    except OSError as exc:
        raise TargetError(path, None, "(file)", f"a readable file ({exc.strerror})", show_got=False) from None
    except UnicodeDecodeError:
        raise TargetError(path, None, "(syntax)", "a UTF-8 text file of TOML (this file is binary)", show_got=False) from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(path, None, "(syntax)", f"valid TOML ({exc})", show_got=False) from None


def _load(path: Path, groups: tuple[str, ...], held_out: bool) -> pd.DataFrame:
    doc = _read(path)
    rows: list[dict[str, Any]] = []
    for group, records in doc.items():
        if group == "check":
            continue
        if group not in groups:
            raise TargetError(path, None, group, "a group of this file (" + ", ".join(groups) + ", check)", show_got=False,
                              hint=_did_you_mean(group, groups + ("check",)))
        if not isinstance(records, list):
            raise TargetError(path, None, group, f"an array of tables [[{group}]]", records)
        rows += [_check_record(path, group, i, rec, held_out) for i, rec in enumerate(records)]
    if not rows:
        raise TargetError(path, None, "(records)", "at least one record", show_got=False)
    seen: set[str] = set()
    for r in rows:
        if r["name"] in seen:
            raise TargetError(path, r["name"], "name", "a name used once in the file", r["name"])
        seen.add(r["name"])
    fitted: dict[str, str] = {}
    for r in rows:
        if r["status"] == "ok":
            if r["model_output"] in fitted:
                raise TargetError(path, r["name"], "model_output", f"an output not already fitted by {fitted[r['model_output']]} "
                                  "(distance() looks values up by model_output; name a change '<output>_change')", r["model_output"])
            fitted[r["model_output"]] = r["name"]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["value"] = df["value"].astype(float)
    df["sd"] = df["sd"].astype(float)
    df["n"] = df["n"].astype("Int64")
    return df


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """The fitted targets as one row per record (columns: group + the record keys); raises TargetError if a record is bad."""
    return _load(Path(path) if path is not None else TARGETS, TARGET_GROUPS, held_out=False)


def load_validation(path: str | Path | None = None) -> pd.DataFrame:
    """The held-out observations (appendices B-E), same layout as load_targets; never pass these to distance()."""
    return _load(Path(path) if path is not None else VALIDATION, VALIDATION_GROUPS, held_out=True)


def load_checks(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The [[check]] records: totals stated in the source against the sum of their parts (for the tests and docs)."""
    p = Path(path) if path is not None else TARGETS
    checks = _read(p).get("check", [])
    for i, c in enumerate(checks):
        label = c.get("name", f"#{i + 1} of [[check]]")
        for key in ("name", "stated", "holds", "source", "quote"):
            if key not in c:
                raise TargetError(p, label, key, "this key (required in a check)", show_got=False)
        if ("sum_of" in c) == ("components" in c):
            raise TargetError(p, label, "sum_of", "exactly one of sum_of (record names) or components (numbers)", show_got=False)
        if not c["holds"] and "derived" not in c:
            raise TargetError(p, label, "derived", "the actual sum when holds = false", show_got=False)
        unknown = set(c) - set(CHECK_KEYS)
        if unknown:
            raise TargetError(p, label, sorted(unknown)[0], "a known key (" + ", ".join(CHECK_KEYS) + ")", show_got=False)
    return checks


def observations(targets_df: pd.DataFrame | None = None) -> dict[str, list[tuple[str, float]]]:
    """model_output -> [(date, value)] of the records that give a value at one month (not a change between two
    months), in file order: what the summary and the report show next to the model (default: targets.toml)."""
    t = load_targets() if targets_df is None else targets_df
    plain = t[t["date_from"].isna()] if "date_from" in t else t
    out: dict[str, list[tuple[str, float]]] = {}
    for r in plain.itertuples(index=False):
        out.setdefault(r.model_output, []).append((r.date, float(r.value)))
    return out


# ------------------------------------------------------------------------------------------------ model side
_HUB_TYPE = re.compile(r"^partners_(" + "|".join(HUBS) + ")_(" + "|".join(TYPES) + ")$")
_FOUR_TYPE = re.compile(r"^partners_four_hubs_(" + "|".join(TYPES) + ")$")


def _at(outcomes: Mapping[str, Any], output: str, date: str) -> float:
    ts = outcomes["timeseries"]
    row = ts.index[ts["date"] == date]
    if len(row) != 1:
        raise KeyError(f"{output}: the run has no month {date}")
    if output in ts.columns:
        return float(ts.at[row[0], output])
    surveys = outcomes.get("surveys", {})
    if output in surveys:  # a survey's share, read at the survey's month (scenarios/surveys.toml)
        at = outcomes.get("survey_dates", {}).get(output)
        if date != at:
            raise KeyError(f"{output}: a survey read at {at} (scenarios/surveys.toml), not {date}")
        return float(surveys[output])
    pbt = outcomes["partners_by_hub_type"]
    at_date = pbt[pbt["date"] == date]
    if m := _HUB_TYPE.match(output):
        sel = at_date[(at_date["hub"] == m.group(1)) & (at_date["partner_type"] == m.group(2))]
        return float(sel["partners"].sum())
    if m := _FOUR_TYPE.match(output):
        sel = at_date[(at_date["hub"] != "midden") & (at_date["partner_type"] == m.group(1))]
        return float(sel["partners"].sum())
    raise KeyError(f"{output}: not a timeseries column, partners_<hub>_<type> or partners_four_hubs_<type>")


def readable_outputs(outcomes: Mapping[str, Any]) -> list[str]:
    """Every model_output name that ``observe`` can read from a simulate() result."""
    names = [c for c in outcomes["timeseries"].columns if c not in outputs.INDEX]
    names += list(outcomes.get("surveys", {}))
    names += [f"partners_{h}_{t}" for h in HUBS for t in TYPES] + [f"partners_four_hubs_{t}" for t in TYPES]
    return names


def check_observable(targets_df: pd.DataFrame, outcomes: Mapping[str, Any], file: str | Path = TARGETS) -> None:
    """Refuse (TargetError) a fitted target that ``observe`` cannot read from ``outcomes``, a simulate() result up to
    the calibration's horizon: an unknown model output (with a near-miss suggestion) or a month the run does not
    reach. Run before a calibration starts, so a bad targets file never fails half-way through."""
    last = outcomes["timeseries"]["date"].iloc[-1]
    known = readable_outputs(outcomes)
    for i in range(len(targets_df)):
        row = targets_df.iloc[i]
        if row["status"] != "ok":
            continue
        for key in ("date", "date_from"):
            if isinstance(row[key], str) and row[key] > last:
                raise TargetError(file, row["name"], key, f"a month up to the calibration's horizon {last}", row[key])
        try:
            observe(outcomes, targets_df.iloc[[i]])
        except KeyError as exc:
            output = row["model_output"]
            base = output.removesuffix("_change") if isinstance(row["date_from"], str) else output
            if base in known:
                raise TargetError(file, row["name"], "model_output", f"an output readable at {row['date']} "
                                  f"({exc.args[0] if exc.args else exc})", output) from None
            raise TargetError(file, row["name"], "model_output", "a model output (a timeseries column, "
                              "partners_<hub>_<type> or partners_four_hubs_<type>"
                              + (", with '_change' and date_from" if base != output else "") + ")", output,
                              hint=_did_you_mean(base, known)) from None


def observe(outcomes: Mapping[str, Any], targets_df: pd.DataFrame) -> dict[str, float]:
    """Model values for the targets with status 'ok', keyed by model_output, read at each target's month.

    ``<output>_change`` with a ``date_from`` is output(date) - output(date_from). Raises KeyError when an output
    cannot be read from ``outcomes`` (a simulate() result that ran at least to the targets' last month).
    """
    sim: dict[str, float] = {}
    for r in targets_df[targets_df["status"] == "ok"].itertuples(index=False):
        out = r.model_output
        if isinstance(r.date_from, str):
            base = out.removesuffix("_change")
            sim[out] = _at(outcomes, base, r.date) - _at(outcomes, base, r.date_from)
        else:
            sim[out] = _at(outcomes, out, r.date)
    return sim


def distance(simulated: Mapping[str, float], targets_df: pd.DataFrame) -> float:
    """sqrt(mean(((sim - obs) / sd)^2)) over the 'ok' targets whose model_output is in ``simulated``.

    Targets without a model output yet and initial conditions (matched by construction) are skipped. A survey share
    that is NaN (nobody took part in the surveyed activity in that run, so the survey has no respondents) is skipped
    too: it is missing, not a miss. Any other non-finite simulated value gives inf (a failed run is as far as it gets);
    no matching target at all is a ValueError.
    """
    if "held_out" in targets_df and targets_df["held_out"].eq(True).any():
        raise ValueError("distance: held-out records (validation.toml) are never fitted")
    use = targets_df[(targets_df["status"] == "ok") & targets_df["model_output"].isin(list(simulated))]
    if "group" in use:
        nan = np.array([isinstance(v, float) and math.isnan(v) for v in (simulated[o] for o in use["model_output"])],
                       dtype=bool)
        use = use[~(use["group"].to_numpy() == "survey") | ~nan]
    if use.empty:
        raise ValueError("distance: no target with status 'ok' has its model_output in simulated")
    sim = np.array([float(simulated[k]) for k in use["model_output"]])
    if not np.all(np.isfinite(sim)):
        return math.inf
    z = (sim - use["value"].to_numpy(float)) / use["sd"].to_numpy(float)
    return float(np.sqrt(np.mean(z * z)))
