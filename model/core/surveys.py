"""Survey-shaped outputs: what the appendices' activity surveys measured, read from the model at the survey's month.

The surveys are declared as data in ``scenarios/surveys.toml`` (instrument, hubs, respondent filter, activity
window, survey date, and which answer each output counts); the mapping from a survey answer to model state is the
``[answer.*]`` tables of that file, explained in docs/surveys.md.

The respondents of a survey are the (organisation, theme) pairs of the participation log that took part in the
surveyed instrument at the declared hubs within the window (and pass the type/route filter). Their state is read from
snapshots the model takes only at the declared months (``Survey.due``): the end of the month before the window
(``before``), the window's last month (``window end``) and the survey month (``at survey``). The only state the model
keeps for the surveys beyond its own is :attr:`SurveyBook.pushed_at`, the last month an activity pushed an
(organisation, theme) pair towards its next step, updated only in months within some survey's span; it draws no
random numbers, so a run's other outputs are the same with or without surveys.

Model states read (``PRIMITIVES``), per respondent pair (i, k), with s0, sL, s1 the step before the window, at the
window end and at the survey date:

* ``engaged``: s1 >= awareness;
* ``got_further``: s1 > s0;
* ``pushed``: an activity pushed the pair (entry or forward hazard, enrolment in a trajectory or coaching) within the
  window;
* ``intends``: pushed within the window, the last push is at most ``intention_months`` before the survey, and the
  pair has not fallen back since the window ended (s1 >= sL);
* ``other_theme``: the organisation is engaged at the survey date on a theme it was not engaged on before the window;
* ``new_tie``: the organisation has more collaboration ties at the survey date than before the window;
* ``tie_intensified``: a tie of the organisation that existed before the window is more intense at the survey date;
* ``later_trajectory`` / ``later_followup``: the organisation took part, after its first surveyed activity and up to
  the survey date, in a trajectory (/ a trajectory or coaching) of the same hubs.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from propeller.core import calendar
from propeller.core.constants import HUBS, ROUTES, STEPS, TYPES
from propeller.errors import UserError

PRIMITIVES = ("engaged", "got_further", "pushed", "intends", "other_theme", "new_tie", "tie_intensified",
              "later_trajectory", "later_followup")
ORG_PRIMITIVES = ("other_theme", "new_tie", "tie_intensified", "later_trajectory", "later_followup")
LATER = {"later_trajectory": ("trajectories",), "later_followup": ("trajectories", "coaching")}
ANSWER_KEYS = ("question", "all", "any", "none", "steps", "among", "level")
SURVEY_KEYS = ("name", "instrument", "hubs", "types", "routes", "window_first", "window_last", "date", "source",
               "assumption", "pool", "outputs")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class SurveyError(UserError):
    """A bad survey declaration, one line: ``surveys.toml: survey NAME: key: expected ..., got ...``."""

    def __init__(self, file: str | Path, part: str | None, key: str, expected: str, got: Any = None, *,
                 show_got: bool = True):
        super().__init__(file, f"{part}: {key}" if part else key, expected, got, show_got=show_got)

    @staticmethod
    def _where(where: str | Path) -> str:
        return Path(where).name


@dataclass(frozen=True)
class Answer:
    name: str
    question: str
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    steps: tuple[int, ...] | None = None
    among: str | None = None
    level: str = "pair"


@dataclass(frozen=True)
class Survey:
    name: str
    outputs: dict[str, str]
    instrument: str = ""
    hubs: tuple[int, ...] = ()
    types: tuple[int, ...] | None = None
    routes: tuple[int, ...] | None = None
    window_first: str = ""
    window_last: str = ""
    date: str = ""
    pool: tuple[str, ...] = ()
    source: str = ""
    assumption: str = ""


@dataclass(frozen=True)
class Declaration:
    answers: dict[str, Answer]
    surveys: dict[str, Survey]
    intention_months: int
    file: str = ""

    def output_dates(self) -> dict[str, str]:
        """model output -> the survey month it is read at (a pooled survey: its parts' latest month)."""
        out = {}
        for s in self.surveys.values():
            for o in s.outputs:
                out[o] = self.date_of(s)
        return out

    def date_of(self, s: Survey) -> str:
        return max(self.surveys[p].date for p in s.pool) if s.pool else s.date


def default_path() -> Path:
    import propeller.scenarios

    return Path(propeller.scenarios.__file__).resolve().parent / "surveys.toml"


@lru_cache(maxsize=8)
def load(path: str | Path | None = None) -> Declaration:
    """The survey declaration (default ``scenarios/surveys.toml``); SurveyError on a bad file."""
    from propeller.core.instruments import registry

    f = Path(path) if path is not None else default_path()
    try:
        with f.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise SurveyError(f, None, "(file)", "an existing file", show_got=False) from None
    except tomllib.TOMLDecodeError as exc:
        raise SurveyError(f, None, "(syntax)", f"valid TOML ({exc})", show_got=False) from None
    unknown = set(doc) - {"settings", "answer", "survey"}
    if unknown:
        raise SurveyError(f, None, sorted(unknown)[0], "a table of this file (settings, answer, survey)", show_got=False)
    months = doc.get("settings", {}).get("intention_months")
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise SurveyError(f, "settings", "intention_months", "an integer number of months >= 1", months)
    answers = {name: _answer(f, name, a) for name, a in doc.get("answer", {}).items()}
    for a in answers.values():
        for ref in (*a.all, *a.any, *a.none):
            if ref not in PRIMITIVES and ref not in answers:
                raise SurveyError(f, f"answer {a.name}", "all/any/none", "a model state (" + ", ".join(PRIMITIVES)
                                  + ") or another answer", ref)
        if a.among is not None and a.among not in answers:
            raise SurveyError(f, f"answer {a.name}", "among", "another answer of this file", a.among)
    _no_cycles(f, answers)
    instruments = registry.names()
    surveys: dict[str, Survey] = {}
    outputs: dict[str, str] = {}
    for i, rec in enumerate(doc.get("survey", [])):
        s = _survey(f, i, rec, answers, instruments)
        if s.name in surveys:
            raise SurveyError(f, f"survey {s.name}", "name", "a name used once in the file", s.name)
        for o in s.outputs:
            if o in outputs:
                raise SurveyError(f, f"survey {s.name}", "outputs", f"an output not already declared by {outputs[o]}", o)
            outputs[o] = s.name
        surveys[s.name] = s
    for s in surveys.values():
        for p in s.pool:
            if p not in surveys or surveys[p].pool:
                raise SurveyError(f, f"survey {s.name}", "pool", "names of declared surveys that are not pools", p)
    return Declaration(answers, surveys, months, str(f))


def _no_cycles(f: Path, answers: dict[str, Answer]) -> None:
    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise SurveyError(f, f"answer {name}", "all/any/none/among", "answers that do not refer back to themselves",
                              " -> ".join((*path, name)))
        a = answers[name]
        for ref in (*a.all, *a.any, *a.none, *((a.among,) if a.among else ())):
            if ref in answers:
                visit(ref, (*path, name))

    for name in answers:
        visit(name, ())


def _strings(f: Path, part: str, key: str, v: Any, options: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
        raise SurveyError(f, part, key, "a non-empty list of names", v)
    for x in v:
        if options is not None and x not in options:
            raise SurveyError(f, part, key, "one of " + ", ".join(options), x)
    return tuple(v)


def _answer(f: Path, name: str, a: Any) -> Answer:
    part = f"answer {name}"
    if not _NAME.match(name) or not isinstance(a, dict):
        raise SurveyError(f, part, "(table)", "a snake_case name with a table of keys", a)
    if name in PRIMITIVES:
        raise SurveyError(f, part, "(name)", "an answer name that is not a model state's (" + ", ".join(PRIMITIVES) + ")",
                          name)
    for key in a:
        if key not in ANSWER_KEYS:
            raise SurveyError(f, part, key, "a known key (" + ", ".join(ANSWER_KEYS) + ")", show_got=False)
    if not isinstance(a.get("question"), str) or not a["question"].strip():
        raise SurveyError(f, part, "question", "the survey question in words", a.get("question"))
    level = a.get("level", "pair")
    if level not in ("pair", "organisation"):
        raise SurveyError(f, part, "level", "'pair' or 'organisation'", level)
    refs = {k: _strings(f, part, k, a[k]) for k in ("all", "any", "none") if k in a}
    steps = tuple(STEPS.index(s) for s in _strings(f, part, "steps", a["steps"], STEPS)) if "steps" in a else None
    if not refs and steps is None:
        raise SurveyError(f, part, "all", "at least one of all, any, none or steps", show_got=False)
    among = a.get("among")
    if among is not None and not isinstance(among, str):
        raise SurveyError(f, part, "among", "the name of another answer", among)
    return Answer(name, a["question"], refs.get("all", ()), refs.get("any", ()), refs.get("none", ()), steps, among, level)


def _month(f: Path, part: str, key: str, v: Any) -> str:
    if not isinstance(v, str) or not _MONTH.match(v):
        raise SurveyError(f, part, key, "a month 'YYYY-MM'", v)
    return v


def _survey(f: Path, i: int, rec: Any, answers: dict[str, Answer], instruments: tuple[str, ...]) -> Survey:
    label = rec.get("name") if isinstance(rec, dict) and isinstance(rec.get("name"), str) else f"#{i + 1} of [[survey]]"
    part = f"survey {label}"
    if not isinstance(rec, dict):
        raise SurveyError(f, part, "(record)", "a table of keys", rec)
    for key in rec:
        if key not in SURVEY_KEYS:
            raise SurveyError(f, part, key, "a known key (" + ", ".join(SURVEY_KEYS) + ")", show_got=False)
    if not isinstance(rec.get("name"), str) or not _NAME.match(rec["name"]):
        raise SurveyError(f, part, "name", "a snake_case name", rec.get("name"))
    for key in ("source", "assumption"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise SurveyError(f, part, key, "a non-empty string (seed lines / what was assumed, with a range)",
                              rec.get(key))
    outs = rec.get("outputs")
    if not isinstance(outs, dict) or not outs:
        raise SurveyError(f, part, "outputs", "a table of model output name = answer", outs)
    for o, a in outs.items():
        if not _NAME.match(o) or not o.endswith("_share"):
            raise SurveyError(f, part, "outputs", "snake_case output names ending in '_share'", o)
        if a not in answers:
            raise SurveyError(f, part, f"outputs.{o}", "an answer of this file (" + ", ".join(answers) + ")", a)
    if "pool" in rec:
        extra = [k for k in ("instrument", "hubs", "types", "routes", "window_first", "window_last", "date") if k in rec]
        if extra:
            raise SurveyError(f, part, extra[0], "no activity keys in a pooled survey (its parts have them)",
                              show_got=False)
        return Survey(rec["name"], dict(outs), pool=_strings(f, part, "pool", rec["pool"]), source=rec["source"],
                      assumption=rec["assumption"])
    for key in ("instrument", "hubs", "window_first", "window_last", "date"):
        if key not in rec:
            raise SurveyError(f, part, key, "this key (required unless the survey is a pool)", show_got=False)
    if rec["instrument"] not in instruments:
        raise SurveyError(f, part, "instrument", "an instrument of the model (" + ", ".join(instruments) + ")",
                          rec["instrument"])
    hubs = tuple(HUBS.index(h) for h in _strings(f, part, "hubs", rec["hubs"], HUBS))
    types = tuple(TYPES.index(t) for t in _strings(f, part, "types", rec["types"], TYPES)) if "types" in rec else None
    routes = tuple(ROUTES.index(r) for r in _strings(f, part, "routes", rec["routes"], ROUTES)) if "routes" in rec else None
    first, last, date = (_month(f, part, k, rec[k]) for k in ("window_first", "window_last", "date"))
    if not first <= last:
        raise SurveyError(f, part, "window_last", f"a month at or after window_first ({first})", last)
    if not last <= date:
        raise SurveyError(f, part, "date", f"a month at or after window_last ({last})", date)
    return Survey(rec["name"], dict(outs), rec["instrument"], hubs, types, routes, first, last, date,
                  source=rec["source"], assumption=rec["assumption"])


# ------------------------------------------------------------------------------------------------ the model's side
@dataclass
class Snapshot:
    """What the surveys read of the model at the end of one month (copies)."""
    stage: np.ndarray            # N x K steps
    pushed_at: np.ndarray        # N x K month of the last push (-1: never)
    degree: np.ndarray | None    # N collaboration ties per organisation (before a window / at a survey only)
    w: np.ndarray | None         # intensity of every tie (edges are only ever appended: index = tie); idem


def take_snapshot(m, pushed_at: np.ndarray, ties: bool = True) -> Snapshot:
    if not ties:  # a window's last month: only steps and pushes are read there
        return Snapshot(m.stage.copy(), pushed_at.copy(), None, None)
    eco = m.eco
    ns, n = eco.n_static, m.stage.shape[0]
    u, v = eco.u[ns:], eco.v[ns:]
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    return Snapshot(m.stage.copy(), pushed_at.copy(), degree, eco.w.copy())


@dataclass
class Timing:
    """A survey's months as model months (t = months from the start; 0 = the initial state)."""
    before: int
    first: int
    last: int
    at: int


def timing(s: Survey, start: str) -> Timing | None:
    """The survey's months in the run starting at ``start``; None when its window lies wholly before the start.
    A window that begins before the first month the model runs (month 1) is cut to it."""
    first, last, at = (calendar.offset(start, x) for x in (s.window_first, s.window_last, s.date))
    if last < 1:
        return None
    first = max(first, 1)
    return Timing(first - 1, first, last, at)


@dataclass
class SurveyBook:
    """The surveys of one run: the months to snapshot, the push state, the snapshots."""
    decl: Declaration
    n: int
    k: int
    start: str
    until: int
    times: dict[str, Timing] = field(default_factory=dict)
    due: frozenset = frozenset()
    span: tuple[int, int] = (1, 0)
    pushed_at: np.ndarray | None = None
    snaps: dict[int, Snapshot] = field(default_factory=dict)
    _ties: frozenset = frozenset()

    def __post_init__(self):
        for s in self.decl.surveys.values():
            if s.pool:
                continue
            tm = timing(s, self.start)
            if tm is not None and tm.at <= self.until:
                self.times[s.name] = tm
        self.due = frozenset(x for tm in self.times.values() for x in (tm.before, tm.last, tm.at))
        self._ties = frozenset(x for tm in self.times.values() for x in (tm.before, tm.at))
        if self.times:
            self.span = (min(tm.first for tm in self.times.values()), max(tm.at for tm in self.times.values()))
            self.pushed_at = np.full((self.n, self.k), -1, dtype=np.int32)

    def mark_pushes(self, m, t: int) -> None:
        """Month ``t`` had activity: record the pairs it pushed (call only for t within ``span``)."""
        pushed = (m.extra_fwd > 0) | (m.extra_entry > 0) | (m.enrolled_until > t) | (m.coached_until > t)
        np.putmask(self.pushed_at, pushed, t)

    def snapshot(self, m, t: int) -> None:
        self.snaps[t] = take_snapshot(m, self.pushed_at, t in self._ties)

    def shares(self, m) -> dict[str, float]:
        """model output -> share of the survey's respondents with the answer (NaN: nobody took part)."""
        reached = {name: tm for name, tm in self.times.items() if tm.at <= m.t}  # outcomes of a run stopped early
        return shares(self.decl, reached, self.snaps, m.participation_log(), m.instrument_names, m.pop.otype,
                      m.pop.route, m.eco.u, m.eco.v)


def _respondents(s: Survey, tm: Timing, log: dict[str, np.ndarray], instrument_names: tuple[str, ...],
                 otype: np.ndarray, route: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(organisations, themes, first month in the window) of the respondent pairs."""
    code = instrument_names.index(s.instrument) if s.instrument in instrument_names else -1
    keep = ((log["instrument"] == code) & np.isin(log["hub"], s.hubs)
            & (log["month"] >= tm.first) & (log["month"] <= tm.last))
    o, th, mo = log["organisation"][keep], log["theme"][keep], log["month"][keep]
    if s.types is not None or s.routes is not None:
        ok = np.ones(len(o), dtype=bool)
        if s.types is not None:
            ok &= np.isin(otype[o], s.types)
        if s.routes is not None:
            ok &= np.isin(route[o], s.routes)
        o, th, mo = o[ok], th[ok], mo[ok]
    uniq = np.unique(o * k + th)
    first = np.full(len(otype), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, o, mo)                                       # each organisation's first surveyed month
    orgs = uniq // k
    return orgs, uniq % k, first[orgs]


def _states(s: Survey, tm: Timing, snaps: dict[int, Snapshot], orgs, themes, first_month, log, instrument_names,
            u, v, intention_months: int) -> dict[str, np.ndarray]:
    b, e, a = snaps[tm.before], snaps[tm.last], snaps[tm.at]
    s0, sl, s1 = b.stage[orgs, themes], e.stage[orgs, themes], a.stage[orgs, themes]
    last_push = a.pushed_at[orgs, themes]
    pushed = e.pushed_at[orgs, themes] >= tm.first
    out = {
        "engaged": s1 >= 1,
        "got_further": s1 > s0,
        "pushed": pushed,
        "intends": pushed & (tm.at - last_push <= intention_months) & (s1 >= sl),
    }
    other = (b.stage[orgs] == 0) & (a.stage[orgs] > 0)
    other[np.arange(len(orgs)), themes] = False
    out["other_theme"] = other.any(axis=1)
    out["new_tie"] = a.degree[orgs] > b.degree[orgs]
    m0 = len(b.w)
    grown = np.flatnonzero(a.w[:m0] > b.w + 1e-12)
    flagged = np.zeros(len(a.stage), dtype=bool)
    flagged[u[grown]] = True
    flagged[v[grown]] = True
    out["tie_intensified"] = flagged[orgs]
    for name, insts in LATER.items():
        codes = [instrument_names.index(x) for x in insts if x in instrument_names]
        keep = np.isin(log["instrument"], codes) & np.isin(log["hub"], s.hubs) & (log["month"] <= tm.at)
        latest = np.full(len(a.stage), -1, dtype=np.int64)
        np.maximum.at(latest, log["organisation"][keep], log["month"][keep])  # each organisation's last such month
        out[name] = latest[orgs] > first_month
    return out


def _evaluate(decl: Declaration, name: str, states: dict[str, np.ndarray], s1: np.ndarray,
              cache: dict[str, np.ndarray]) -> np.ndarray:
    if name in cache:
        return cache[name]
    if name in states:
        return states[name]
    a = decl.answers[name]
    val = np.ones(len(s1), dtype=bool)
    for ref in a.all:
        val &= _evaluate(decl, ref, states, s1, cache)
    if a.any:
        val &= np.logical_or.reduce([_evaluate(decl, ref, states, s1, cache) for ref in a.any])
    for ref in a.none:
        val &= ~_evaluate(decl, ref, states, s1, cache)
    if a.steps is not None:
        val &= np.isin(s1, a.steps)
    cache[name] = val
    return val


def _part(decl, s, tm, snaps, log, instrument_names, otype, route, u, v, answers: set[str]):
    """Per answer (and its condition): the respondents' values, by organisation when the answer asks so."""
    k = snaps[tm.at].stage.shape[1]
    orgs, themes, first_month = _respondents(s, tm, log, instrument_names, otype, route, k)
    states = _states(s, tm, snaps, orgs, themes, first_month, log, instrument_names, u, v, decl.intention_months)
    s1 = snaps[tm.at].stage[orgs, themes]
    cache: dict[str, np.ndarray] = {}
    out = {}
    for name in answers:
        a = decl.answers[name]
        val = _evaluate(decl, name, states, s1, cache)
        cond = _evaluate(decl, a.among, states, s1, cache) if a.among else np.ones(len(val), dtype=bool)
        if a.level == "organisation" and len(orgs):
            uo, inv = np.unique(orgs, return_inverse=True)
            val = np.bincount(inv, weights=val, minlength=len(uo)) > 0
            cond = np.bincount(inv, weights=cond, minlength=len(uo)) > 0
        out[name] = (val, cond)
    return out


def shares(decl: Declaration, times: dict[str, Timing], snaps: dict[int, Snapshot], log: dict[str, np.ndarray],
           instrument_names: tuple[str, ...], otype: np.ndarray, route: np.ndarray, u: np.ndarray,
           v: np.ndarray) -> dict[str, float]:
    """model output -> share (NaN when nobody answered) for every survey whose months the run reached."""
    out: dict[str, float] = {}
    for s in decl.surveys.values():
        parts = s.pool or (s.name,)
        if not all(p in times for p in parts):
            continue
        wanted = set(s.outputs.values())
        vals = [_part(decl, decl.surveys[p], times[p], snaps, log, instrument_names, otype, route, u, v, wanted)
                for p in parts]
        for o, name in s.outputs.items():
            val = np.concatenate([x[name][0] for x in vals])
            cond = np.concatenate([x[name][1] for x in vals])
            n = int(cond.sum())
            out[o] = float((val & cond).sum() / n) if n else math.nan
    return out
