"""Every output column of the model, declared once: name, label, unit, dtype, description, display format.

In the style of Starsim's ``define_results(ss.Result(name, dtype, label, ...))`` and Covasim's ``defaults.py``:
the ``timeseries`` frame of :func:`propeller.simulate` has exactly the columns of :func:`timeseries`, in that
order and with those dtypes (``outcomes.Recorder`` builds it from this declaration and refuses a column that is
not declared). Everything else reads the columns from here:

- the ``propeller run`` summary (labels, formats and rows: :data:`SUMMARY`, :data:`SUMMARY_DATES`);
- sweeps (default outputs :data:`HEADLINE`, default key dates :data:`KEY_DATES`, the columns a spec may keep)
  and the sweep store (SQLite column types: :attr:`Output.sqlite_type`; a type is never guessed from a name or
  from the values);
- the steering report (labels, formats, targets, spider dates; Dutch labels are translations in its ``i18n``);
- the column table of docs/ODD.md §10.1: ``python -m propeller.core.outputs --markdown`` prints it,
  ``--update docs/ODD.md`` rewrites it there (a test checks that the two agree).

Columns that come in families - one per hub, type, theme, instrument, ... - are declared once as a
:class:`Family` over :class:`Dim` values taken from :mod:`propeller.core.constants`; a family of several
templates interleaves them (``joins_cum_noord, leaves_cum_noord, ..., joins_cum_zuid, ...``).

This module is light to import (the constants only): the command line reads it while it starts up. The
instrument names are looked up on first use (importing the instruments loads numba).
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from propeller.core.constants import (
    CLASSES,
    HUBS,
    MARKETS,
    PERSON_CATEGORIES,
    PHASES,
    RINGS,
    SCHOOL_LEVELS,
    THEMES,
    TYPES,
)

# ----------------------------------------------------------------------------------------------------------------
# Key dates (calendar months "YYYY-MM"), defined here once.
START_DATE = "2024-03"      # t = 0 of the baseline (simulation.start): the evaluation's first counts [003 L2800]
OBSERVED_DATE = "2025-09"   # the evaluation's counts: Table 3.1 and the KPI status of Q3 2025 [003 L519-563, L2720-2776]
TARGET_DATE = "2027-12"     # the KPI targets are for 2027 [003 L519-563]
HORIZON_DATE = "2030-12"    # the baseline's last month (simulation.until)
GOAL_2030_DATE = "2030-12"  # the national goals for 2030: half the market [001 L15-17], -50 % raw materials [002 L9-11]
GOAL_PRODUCTIVITY_DATE = "2050-12"  # the productivity ambition "richting 2050" [000 L87-91]
KEY_DATES: tuple[str, ...] = (OBSERVED_DATE, TARGET_DATE, HORIZON_DATE)  # sweep summaries (default key_dates)
SUMMARY_DATES: tuple[str, ...] = KEY_DATES                              # the `propeller run` summary
SPIDER_DATES: tuple[str, ...] = (START_DATE, OBSERVED_DATE, TARGET_DATE)  # the report's ring diagrams (Figure 3.1)

# dtype of a column in the DataFrame -> its SQLite column type (sweep store, `propeller run --out` database)
SQLITE_TYPES: dict[str, str] = {"int64": "INTEGER", "float64": "REAL", "str": "TEXT"}
DEFAULT_FMT: dict[str, str] = {"int64": ".0f", "float64": ".2f", "str": ""}


@dataclass(frozen=True)
class Target:
    """A programme target for an output: ``key`` names it (the report's words), ``text`` as the summary shows it."""

    key: str
    value: float
    text: str
    by: str = ""          # the month the target is for ("" = none stated: any month counts)
    below: bool = False   # met at or below the value (a reduction target), not at or above

    def met(self, value):
        """Whether ``value`` (a number or an array) meets the target."""
        return value <= self.value if self.below else value >= self.value


@dataclass(frozen=True)
class Output:
    """One output column. In a :class:`Family`, ``name``, ``label`` and ``description`` are templates with the
    family's dimensions as fields: ``{hub}`` is the value (``noord``), ``{Hub}`` its display name (``Noord``)."""

    name: str
    label: str               # short English label (report titles, summary rows)
    unit: str
    dtype: str               # "int64", "float64" or "str" (the DataFrame's dtype; SQLITE_TYPES maps it)
    description: str
    fmt: str = ""            # format spec of one value for display (".0f", ".1%", ".2f"); default by dtype
    note: str = ""           # a qualifier shown after the label where there is room (the summary)
    target: Target | None = None
    family: str = ""         # the name template of the family it belongs to ("" for a single column)

    def __post_init__(self):
        if self.dtype not in SQLITE_TYPES:
            raise ValueError(f"output {self.name}: dtype {self.dtype!r}, expected one of {', '.join(SQLITE_TYPES)}")
        if not self.fmt:
            object.__setattr__(self, "fmt", DEFAULT_FMT[self.dtype])

    @property
    def sqlite_type(self) -> str:
        return SQLITE_TYPES[self.dtype]

    @property
    def percent(self) -> bool:
        """Shown as a percentage (a share)."""
        return self.fmt.endswith("%")

    @property
    def digits(self) -> int:
        """Decimals shown (of the percentage for a share)."""
        m = re.search(r"\.(\d+)", self.fmt)
        return int(m.group(1)) if m else 0

    @property
    def title(self) -> str:
        """The label with its qualifier: the note, or the target ("Partners, all hubs (target 500+)")."""
        qualifier = self.note or (f"target {self.target.text}" if self.target else "")
        return f"{self.label} ({qualifier})" if qualifier else self.label

    def format(self, value) -> str:
        return format(value, self.fmt)


@dataclass(frozen=True)
class Dim:
    """A dimension of a family: its field in the templates, its values (or a function giving them, looked up on
    first use), and display names (``{Key}`` in the templates; default: the value)."""

    key: str
    source: tuple | Callable[[], tuple]
    names: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""            # a note on the values for the docs

    @property
    def values(self) -> tuple:
        return tuple(self.source()) if callable(self.source) else tuple(self.source)

    def name(self, value) -> str:
        return self.names.get(value, str(value))

    @property
    def display_key(self) -> str:
        """The field of the display names in the templates: ``Hub`` for ``hub``."""
        return self.key[0].upper() + self.key[1:]


@dataclass(frozen=True)
class Family:
    """Columns over the product of ``dims`` (the first varies slowest); at each point the templates in turn."""

    dims: tuple[Dim, ...]
    templates: tuple[Output, ...]

    def __post_init__(self):
        for tpl in self.templates:
            if tpl.target is not None:
                raise ValueError(f"family {tpl.name}: targets belong to single outputs")

    def outputs(self) -> Iterator[Output]:
        for point in itertools.product(*(d.values for d in self.dims)):
            fields = {}
            for d, v in zip(self.dims, point, strict=True):
                fields[d.key], fields[d.display_key] = v, d.name(v)
            for tpl in self.templates:
                yield replace(tpl, name=tpl.name.format(**fields), label=tpl.label.format(**fields),
                              description=tpl.description.format(**fields), family=tpl.name)

    def size(self) -> int:
        n = 1
        for d in self.dims:
            n *= len(d.values)
        return n


def per(dims: Dim | tuple[Dim, ...], *templates: Output) -> Family:
    """A family: ``per(HUB, Output("partners_{hub}", "Partners {Hub}", ...))``."""
    return Family(dims if isinstance(dims, tuple) else (dims,), templates)


def _instrument_names() -> tuple[str, ...]:
    from propeller.core.instruments import registry  # numba: imported when the family is expanded

    return registry.names()


def _activity_categories() -> tuple[str, ...]:
    """Table 3.2 activity categories: each registered instrument's, once, in month order."""
    from propeller.core.instruments import registry

    return registry.categories()


HUB = Dim("hub", HUBS, {h: h.capitalize() for h in HUBS})
TYPE = Dim("type", TYPES)
THEME = Dim("theme", THEMES)
RING = Dim("ring", RINGS)
LEVEL = Dim("level", SCHOOL_LEVELS)
PHASE = Dim("phase", PHASES, {"none": "not engaged", **{p: p for p in PHASES[1:]}})
CLASS = Dim("class", CLASSES)
CATEGORY = Dim("category", _activity_categories, doc="the registered instruments' Table 3.2 categories")
PERSON = Dim("person", PERSON_CATEGORIES)
INSTRUMENT = Dim("instrument", _instrument_names, doc="in their order within a month")

INT, FLOAT, STR = "int64", "float64", "str"
ORGS, PERSONS, SHARE = "organisations", "persons", "share"

# ----------------------------------------------------------------------------------------------------------------
# The `timeseries` frame: one row per month, t = 0 ... end. Order = column order.
DECLARED: tuple[Output | Family, ...] = (
    Output("date", "Month", "YYYY-MM", STR, f"calendar month (t = 0 is {START_DATE})"),
    Output("month", "Step", "months", INT, "step t (0, 1, 2, ...)"),
    per(HUB, Output("partners_{hub}", "Partners {Hub}", ORGS, INT, "organisations in rings 1–3 of that hub "
                    "(rel ≥ 0.25)")),
    Output("partners_total", "Partners, all hubs", ORGS, INT, "Σ of `partners_<hub>` over the five hubs (multi-hub "
           "partners count once per hub, as in Table 3.1)", target=Target("target_500", 500.0, "500+")),
    Output("partners_four_hubs", "Partners, four evaluated hubs", ORGS, INT, "the same over Noord, Zuid, Oost, West "
           "(compare with 405 → 645)"),
    Output("partners_unique", "Partners, each organisation once", ORGS, INT, "organisations that are a partner of at "
           "least one hub"),
    per(TYPE, Output("partners_type_{type}", "Partners of type {type}", ORGS, INT, "partners of that type, summed "
                     "over the five hubs")),
    per(RING, Output("ring{ring}", "Ring {ring}, all hubs", "(organisation, hub) pairs", INT, "(organisation, hub) "
                     "pairs in that ring, all hubs; ring 4 = 0 < rel < 0.25")),
    per((HUB, RING), Output("ring{ring}_{hub}", "Ring {ring}, {Hub}", ORGS, INT, "organisations in that ring of that "
                            "hub (the rings of the spider diagrams, Figure 3.1); rings 1–3 sum to `partners_<hub>`")),
    Output("kpi4_mkb", "KPI 4: active MKB companies, all hubs", ORGS, INT, "KPI 4: MKB builders (type 1) partnered, "
           "summed over all five hubs", target=Target("target_kpi4", 130.0, ">= 130")),
    Output("kpi4_mkb_four_hubs", "KPI 4, four evaluated hubs", ORGS, INT, "KPI 4 over the four evaluated hubs "
           "(compare with 170)"),
    Output("kpi5_skilled", "KPI 5: people with new skills, all hubs", PERSONS, INT, "KPI 5, cumulative persons: "
           "trajectory persons + LLO persons + education-run and school-intake students, all hubs",
           target=Target("target_kpi5", 650.0, "+650")),
    Output("kpi5_skilled_four_hubs", "KPI 5, four evaluated hubs", PERSONS, INT, "KPI 5 credited to the four "
           "evaluated hubs (compare with ≈ 1,750)"),
    per(LEVEL, Output("students_renewed_{level}", "Students in renewed education, {level}", PERSONS, INT,
                      "cumulative students in renewed education (education runs and school intakes) by the school's "
                      "level; the three sum to `participants_education_students_students`")),
    Output("adopted_share", "Adopted share, all organisations", SHARE, FLOAT, "share of all modelled organisations at "
           "step ≥ secure, mean over themes (or the `outputs.theme` theme)", fmt=".1%"),
    per(THEME, Output("adopted_share_{theme}", "Adopted share, {theme}", SHARE, FLOAT, "the same for one theme",
                      fmt=".1%")),
    per(THEME, Output("adoptions_cum_{theme}", "Adoptions, {theme} (cumulative)", "crossings", INT, "cumulative "
                      "crossings into Adopteren on that theme, re-entries included")),
    per(PHASE, Output("partner_phase_{phase}", "Partners x themes: {Phase}", SHARE, FLOAT, "share of (unique partner × "
                      "theme) pairs in that phase; the four sum to 1", fmt=".1%")),
    per(CLASS, Output("partners_class_{class}", "Partners of class {class}", ORGS, INT, "unique partners (any hub) of "
                      "that innovativeness class")),
    per((CATEGORY, PERSON), Output("participants_{category}_{person}", "Participants, {category}: {person}",
                                   PERSONS, INT, "cumulative persons (Table 3.2 cells)")),
    per(INSTRUMENT, Output("runs_{instrument}", "Runs of {instrument}", "runs", INT, "cumulative runs held (groups "
                           "that ran)")),
    per(HUB,
        Output("joins_cum_{hub}", "Partners joining, {Hub} (cumulative)", "crossings", INT, "cumulative "
               "month-to-month crossings of the partner threshold upwards for that hub"),
        Output("leaves_cum_{hub}", "Partners leaving, {Hub} (cumulative)", "crossings", INT, "the same downwards "
               "(partners lapsing to ring 4)"),
        Output("activity_level_{hub}", "Activity level, {Hub}", "× planned", FLOAT, "that month's activity as a "
               "multiple of the planned activity: what budget and staff allow, 1 = as planned, above 1 with extra "
               "funding and the staff for it (0 while the hub is not active, and 0 at t = 0, before any month has run)"),
        Output("connector_{hub}", "Connector strength, {Hub}", "strength 0–1", FLOAT, "connector strength that month"),
        Output("staff_days_{hub}", "Staff capacity, {Hub}", "days/month", FLOAT, "hub staff days available that "
               "month: the planned capacity, grown by hiring while funding is above 1 (funding.hiring_share, "
               "funding.hiring_delay_months)", fmt=",.1f")),
    Output("budget_spent_cum", "Budget spent (cumulative)", "€", FLOAT, "cumulative € spent (Σ runs × cost per run)",
           fmt=",.0f"),
    Output("plan_changed", "Plan changed", "0/1", INT, "1 from the month the scenario's plan change (adapt.*) takes "
           "effect: at adapt.from, or the month after its condition first held (docs/ODD.md §7.3)"),
    Output("productivity_index", "Labour productivity against the trend", "index", FLOAT, "production-weighted "
           "labour productivity of the companies from their use of the four themes, against the path without adoption "
           f"(the sector's own trend = 100, {START_DATE} = 100): the programme's +40 % is measured against the "
           "null scenario [000 L87-91, L4197, L4366] (§7.10)", note="trend = 100",
           target=Target("target_productivity", 140.0, "+40 % by 2050", by=GOAL_PRODUCTIVITY_DATE)),
    Output("sector_productivity_index", "Labour productivity with the sector's trend", "index", FLOAT,
           f"productivity_index times the sector's own trend (sector.trend_per_year), {START_DATE} = 100 (§7.10)",
           note=f"{START_DATE} = 100"),
    Output("primary_material_index", "Primary raw materials per unit of output", "index", FLOAT, "production-weighted "
           "use of primary abiotic raw materials per unit of output, from the themes' material savings at their use "
           f"level, {START_DATE} = 100 (§7.10); the national goal is -50 % by 2030 [002 L9-11, L89-91]",
           note=f"{START_DATE} = 100", target=Target("target_materials", 50.0, "-50 % by 2030", by=GOAL_2030_DATE,
                                                     below=True)),
    per(Dim("market", tuple(m for m in MARKETS if m != "all_three")),
        Output("market_share_{market}", "Market share, {market} building", SHARE, FLOAT, "share of the market's "
               "production (sector.market_types) made with the themes of sector.markets.{market}, weighted by each "
               "step's use level (§7.10)", fmt=".1%")),
    Output("market_share_all_three", "Market share, industrial, sustainable and digital", SHARE, FLOAT, "share of the "
           "market's production made industrially, sustainably and digitally at once (an organisation's smallest use "
           "over the three themes); the PVGO goal is half the market by 2030 [001 L15-17, L226-227] (§7.10)",
           fmt=".1%", target=Target("target_market", 0.5, "half the market by 2030", by=GOAL_2030_DATE)),
    Output("market_share_industrial_region", "Industrial building, regional view", SHARE, FLOAT, "market_share_industrial "
           "in the region of sector.region_view as modelled (Oost stands in for Arnhem-Nijmegen: 50 % of homes "
           "industrial by 2030 [004 L270-274, L1779-1782])", fmt=".1%",
           target=Target("target_region_market", 0.5, "50 % of homes by 2030", by=GOAL_2030_DATE)),
    Output("primary_material_index_region", "Primary raw materials, regional view", "index", FLOAT,
           "primary_material_index in the region of sector.region_view (Arnhem-Nijmegen: 50 % less primary raw "
           "material by 2030 [004 L1779-1782])", note=f"{START_DATE} = 100",
           target=Target("target_region_materials", 50.0, "-50 % by 2030", by=GOAL_2030_DATE, below=True)),
    per(THEME, Output("modelled_use_{theme}", "Use of {theme}, modelled companies", SHARE, FLOAT, "production-"
                      "weighted use level of the theme over the modelled companies (0 = none, 1 = standard use by "
                      "all), before the regional-national link (§7.10)", fmt=".1%")),
    per(Dim("market", MARKETS), Output("modelled_market_{market}", "Market use, {market}, modelled", SHARE, FLOAT,
                                       "market_share_{market} among the modelled organisations, before the "
                                       "regional-national link (§7.10)", fmt=".1%")),
    per(THEME, Output("region_use_{theme}", "Use of {theme}, regional view", SHARE, FLOAT, "modelled_use_{theme} "
                      "in the region of sector.region_view (§7.10)", fmt=".1%")),
)

# ----------------------------------------------------------------------------------------------------------------
@functools.cache
def timeseries() -> tuple[Output, ...]:
    """Every column of the ``timeseries`` frame, in order."""
    out: list[Output] = []
    for item in DECLARED:
        out.extend(item.outputs() if isinstance(item, Family) else (item,))
    seen: set[str] = set()
    for o in out:
        if o.name in seen:
            raise ValueError(f"output {o.name} declared twice")
        seen.add(o.name)
    return tuple(out)


@functools.cache
def names() -> tuple[str, ...]:
    return tuple(o.name for o in timeseries())


@functools.cache
def _by_name() -> dict[str, Output]:
    return {o.name: o for o in timeseries()}


def refresh() -> None:
    """Forget the expanded columns (the registry calls this when an instrument is registered or removed)."""
    for fn in (timeseries, names, _by_name):
        fn.cache_clear()


_SINGLES: dict[str, Output] = {o.name: o for o in DECLARED if isinstance(o, Output)}


def get(name: str) -> Output:
    """The declaration of a column (KeyError if there is none)."""
    if name in _SINGLES:  # without expanding the families
        return _SINGLES[name]
    return _by_name()[name]


def is_output(name: str) -> bool:
    return name in _SINGLES or name in _by_name()


def family(template: str) -> tuple[str, ...]:
    """The column names of the family whose name template is ``template`` (e.g. ``"partners_{hub}"``), in order."""
    for item in DECLARED:
        if isinstance(item, Family) and any(t.name == template for t in item.templates):
            return tuple(o.name for o in item.outputs() if o.family == template)
    raise KeyError(f"{template}: not the name template of an output family")


def patterns() -> dict[str, tuple[str, ...]]:
    """Every family as the docs write it (``partners_<hub>``) -> its column names."""
    out: dict[str, tuple[str, ...]] = {}
    for item in DECLARED:
        if isinstance(item, Family):
            for tpl in item.templates:
                out[_pattern(tpl.name, item.dims)] = family(tpl.name)
    return out


def targets() -> tuple[Output, ...]:
    """The outputs that carry a programme target, in declared order."""
    return tuple(o for o in DECLARED if isinstance(o, Output) and o.target is not None)


def sqlite_columns(columns=None) -> dict[str, str]:
    """Column name -> SQLite type, for ``columns`` (default: every column), in that order."""
    return {c: get(c).sqlite_type for c in (names() if columns is None else columns)}


# ----------------------------------------------------------------------------------------------------------------
# Selections of the declared columns.
# Columns every sweep keeps (the store's key with run_id), in the store's order.
INDEX: tuple[str, ...] = ("month", "date")
# The headline outcomes: what a sweep keeps by default, and the report's key outcomes.
HEADLINE: tuple[str, ...] = ("partners_total", "partners_four_hubs", "kpi4_mkb", "kpi5_skilled", "adopted_share",
                             "productivity_index")
# The rows of the `propeller run` summary (README; tests/golden.py pins it).
SUMMARY: tuple[str, ...] = (
    *family("partners_{hub}"), "partners_four_hubs", "partners_total", "kpi4_mkb_four_hubs", "kpi4_mkb",
    "kpi5_skilled_four_hubs", "kpi5_skilled", *family("partner_phase_{phase}"), "adopted_share", "productivity_index",
)


# ----------------------------------------------------------------------------------------------------------------
# The docs' column table (docs/ODD.md §10.1), generated from the declaration.
BLOCK = re.compile(r"(<!-- outputs-table: begin[^\n]*-->\n)(.*?)(<!-- outputs-table: end -->)", re.S)


def _pattern(template: str, dims: tuple[Dim, ...], code: bool = False) -> str:
    """A template with its fields as placeholders: ``partners_{hub}`` -> ``partners_<hub>`` (in a code span if
    ``code``: for running text)."""
    for d in dims:
        mark = f"`<{d.key}>`" if code else f"<{d.key}>"
        template = template.replace("{" + d.key + "}", mark).replace("{" + d.display_key + "}", mark)
    return template


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The column table of docs/ODD.md §10.1: the placeholders, then one row per column or family template."""
    dims: dict[str, Dim] = {}
    rows = ["| Column(s) | n | Type | Unit | Meaning |", "|---|---|---|---|---|"]
    for item in DECLARED:
        if isinstance(item, Output):
            rows.append(f"| `{item.name}` | 1 | {item.dtype} | {item.unit} | {_cell(item.description)} |")
            continue
        for d in item.dims:
            dims.setdefault(d.key, d)
        for tpl in item.templates:
            desc = _cell(_pattern(tpl.description, item.dims, code=True))
            rows.append(f"| `{_pattern(tpl.name, item.dims)}` | {item.size()} | {tpl.dtype} | {tpl.unit} | {desc} |")
    legend = "; ".join(f"`<{d.key}>` = {', '.join(map(str, d.values))}" + (f" ({d.doc})" if d.doc else "")
                       for d in dims.values())
    head = (f"{len(timeseries())} columns, in this order; `n` columns per row. Placeholders: {legend}. Type is the "
            f"column's dtype in the DataFrame; the databases store int64 as INTEGER, float64 as REAL and str as TEXT.")
    code = ", ".join
    dates = (f"Key dates: {OBSERVED_DATE} is the month of the evaluation's counts, {TARGET_DATE} that of the KPI "
             f"targets, {HORIZON_DATE} the horizon; `KEY_DATES` = {code(KEY_DATES)} (a sweep's default `key_dates`), "
             f"`SUMMARY_DATES` = {code(SUMMARY_DATES)} (the `propeller run` summary), `SPIDER_DATES` = "
             f"{code(SPIDER_DATES)} (the report's spider diagrams). A sweep keeps {code(f'`{c}`' for c in INDEX)} always and by default "
             f"{code(f'`{c}`' for c in HEADLINE)} (`HEADLINE`); the `propeller run` summary shows "
             f"{code(f'`{c}`' for c in SUMMARY)} (`SUMMARY`). Targets: "
             + code(f"`{o.name}` {o.target.text}" for o in targets()) + ".")
    return head + "\n\n" + "\n".join(rows) + "\n\n" + dates + "\n"


def update_block(text: str) -> str:
    """``text`` (docs/ODD.md) with the generated table between its ``outputs-table`` markers."""
    if BLOCK.search(text) is None:
        raise ValueError("no <!-- outputs-table: begin --> ... <!-- outputs-table: end --> block")
    return BLOCK.sub(lambda m: m.group(1) + markdown() + m.group(3), text)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m propeller.core.outputs",
                                 description="The declared output columns (the docs' column table).")
    ap.add_argument("--markdown", action="store_true", help="print the column table of docs/ODD.md §10.1")
    ap.add_argument("--update", metavar="FILE", help="rewrite the table between the outputs-table markers of FILE")
    args = ap.parse_args(argv)
    if args.update:
        from pathlib import Path

        path = Path(args.update)
        path.write_text(update_block(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"written: the column table in {path}")
    elif args.markdown:
        sys.stdout.write(markdown())
    else:
        for o in timeseries():
            print(f"{o.name}\t{o.dtype}\t{o.unit}\t{o.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
