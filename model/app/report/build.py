"""``propeller report DB``: one self-contained HTML file for the steering group, from a sweep database.

    propeller report DB [--scenario NAME ...] [--lang en|nl] [--out outputs/report.html]
                        [--sweep NAME] [--reference NAME] [--reruns N]

The file embeds its figures as base64 PNG and its CSS inline; it has no scripts and no external references, so it
opens in any browser without Python or a network. Bad input (a missing or non-sweep database, an unknown scenario,
a wrong language, an --out that is a folder or not .html) prints one line naming the argument or file and what
was expected, exits 2 and writes nothing. The HTML is written to a temporary file next to --out and moved into
place (os.replace), so a failure never leaves half a report.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import html
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from propeller.app.report.data import HEADLINE, TARGETS, ReportError, SweepData, fmt_interval, observed_points
from propeller.app.report.i18n import LANGS, Text
from propeller.app.report.provenance import parameters, scenario_header
from propeller.app.userio import atomic_write_text
from propeller.core import outputs
from propeller.core.constants import HUBS

CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #0b6e99; --bg: #ffffff; --soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       background: var(--bg); }
main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 40px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 34px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
.sub { font-size: 16px; color: var(--muted); margin: 0; }
.meta { font-size: 12.5px; color: var(--muted); margin: 6px 0 0; }
nav ol { columns: 2; margin: 6px 0 0; padding-left: 20px; }
nav a, a { color: var(--accent); text-decoration: none; }
figure { margin: 12px 0 18px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption, .note { font-size: 13px; color: var(--muted); margin-top: 6px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 14px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
td.group { font-weight: 600; background: var(--bg); min-width: 150px; }
tr.ref td { background: #eef6fb; }
.kind { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11.5px; white-space: nowrap; }
.kind-source { background: #e3f2e1; } .kind-source_assumption { background: #fdf3d8; }
.kind-assumption { background: #fde2e1; } .kind-setting { background: #e8eaf6; }
.kind-calibrated { background: #d7ecfb; font-weight: 600; } .kind-derived, .kind-other { background: #eeeeee; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
.howto li { margin-bottom: 4px; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
code { font-size: 12.5px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { font-size: 11px; } main { max-width: none; padding: 0; }
  nav { display: none; } figure { break-inside: avoid; } tr { break-inside: avoid; }
  .scroll { overflow: visible; } table { font-size: 9.5px; table-layout: fixed; }
  th, td { padding: 2px 4px; overflow-wrap: anywhere; }
  td.num { white-space: normal; } td.group { min-width: 0; } code { font-size: 9px; word-break: break-all; }
}
"""

def _e(s) -> str:
    return html.escape(str(s), quote=True)


MAX_SCENARIOS_PER_FIGURE = 6  # colours to a chart; more scenarios go to further figures


class ReportBuilder:
    def __init__(self, data: SweepData, lang: str, goals_db: str | Path | None = None, progress=None):
        self.data, self.t = data, Text(lang)
        self.goals_db = goals_db
        self.figures: list = []   # figures.Figure, in page order
        self.progress = progress  # propeller.app.progress.Stages, or None
        self.observed = observed_points()

    # ------------------------------------------------------------------ pieces
    def figure(self, fig, caption: str = "") -> str:
        """Embed a figures.Figure as a base64 PNG <img>; refuse one that drew no data."""
        if fig.n_values <= 0:  # never embed an empty figure: the sweep lacks what it shows
            raise ReportError(self.data.db, fig.key, f"runs with data for the figure '{fig.title}'", show_got=False)
        self.figures.append(fig)
        if self.progress:
            self.progress("drawing figures", fig.key)
        b64 = base64.b64encode(fig.png).decode("ascii")
        cap = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (f'<figure id="fig-{fig.key}"><img src="data:image/png;base64,{b64}" alt="{_e(self.t("figure_alt", title=fig.title))}" '
                f'width="{fig.width}" height="{fig.height}" data-values="{fig.n_values}">{cap}</figure>')

    def scenario_groups(self) -> list[list[str]]:
        """The report's scenarios in groups of at most MAX_SCENARIOS_PER_FIGURE, the reference first in each (so it
        keeps its colour): one figure per group, never more colours to a chart."""
        labels, ref = self.data.labels, self.data.reference
        if len(labels) <= MAX_SCENARIOS_PER_FIGURE:
            return [labels]
        others = [lab for lab in labels if lab != ref]
        step = MAX_SCENARIOS_PER_FIGURE - 1
        return [[ref, *others[i:i + step]] for i in range(0, len(others), step)]

    def scenario_figures(self, make, caption: str = "") -> str:
        """``make(data)`` for each group of scenarios (small multiples when a sweep has more than fit one chart)."""
        groups = self.scenario_groups()
        out = []
        for k, labels in enumerate(groups):
            fig = make(dataclasses.replace(self.data, labels=labels))
            if len(groups) > 1:
                fig = dataclasses.replace(fig, key=f"{fig.key}-{k + 1}", title=f"{fig.title} ({k + 1}/{len(groups)})")
            out.append(self.figure(fig, caption))
        return "".join(out)

    def table(self, head: list[str], rows: list[list[str]], num_cols: set[int] = frozenset(),
              row_class: list[str] | None = None) -> str:
        th = "".join(f'<th class="num">{_e(h)}</th>' if i in num_cols else f"<th>{_e(h)}</th>" for i, h in enumerate(head))
        body = []
        for k, r in enumerate(rows):
            # a cell given as None is covered by a rowspan above; a cell starting with "<td" is written as is
            tds = "".join(c if c.startswith("<td") else (f'<td class="num">{c}</td>' if i in num_cols else f"<td>{c}</td>")
                          for i, c in enumerate(r) if c is not None)
            cls = f' class="{row_class[k]}"' if row_class and row_class[k] else ""
            body.append(f"<tr{cls}>{tds}</tr>")
        return f"<div class='scroll'><table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"

    def rerun_note(self) -> str:
        t, d = self.t, self.data
        checked = [r for r in d.reruns if r.identical is not None]
        bad = [r for r in checked if not r.identical]
        if bad:
            stored = ", ".join(sorted(set(d.runs["code_version"])))
            return t("rerun_differs", k=len(bad), n=len(checked), stored=stored, now=d.code_version)
        return t("rerun_identical", n=len(checked)) if checked else ""

    def source_note(self, *columns: str) -> str:
        d = self.data
        missing = [c for c in columns if d.source(c) == "reruns"]
        if not missing:
            return ""
        n = max(len(d.reruns_of(lab)) for lab in d.labels)
        return " " + self.t("from_reruns", n=n, cols=", ".join(missing))

    # ------------------------------------------------------------------ sections
    def probabilities(self) -> dict:
        return {(key, lab): self.data.reach_probability(lab, col, thr) for key, col, thr in TARGETS
                for lab in self.data.labels}

    def key_numbers(self, probs: dict) -> str:
        t, d = self.t, self.data
        target_date = outputs.TARGET_DATE
        dates = [x for x in (target_date, outputs.HORIZON_DATE) if x in d.dates]
        head = [t("col_scenario"), t("col_n")]
        cols = []
        for dt in dates:
            cols.append(("partners_total", dt))
        if target_date in d.dates:
            cols += [("kpi4_mkb", target_date), ("kpi5_skilled", target_date)]
        head += [f"{t.label(c)} {dt}" for c, dt in cols]
        target_year = int(outputs.TARGET_DATE[:4])
        year = target_year if target_year in d.years() else (d.years()[-1] if d.years() else None)
        # the target year, and the horizon: is the target still met after the programme ends (2028)?
        years = [y for y in dict.fromkeys((year, int(outputs.HORIZON_DATE[:4]))) if y is not None and y in d.years()]
        rows, classes = [], []
        for lab in d.labels:
            r = [_e(t.scenario(lab)), t.num(d.n_runs(lab), 0)]
            r += [fmt_interval(t, d.at(lab, c, dt), 0) for c, dt in cols]
            rows.append(r)
            classes.append("ref" if lab == d.reference else "")
        out = self.table(head, rows, num_cols=set(range(1, len(head))), row_class=classes)
        # the probabilities in a table of their own (one column per target, the years side by side in a cell), so
        # that both tables fit the page
        if years:
            when = " · ".join(t("end_of_year", year=y) for y in years)
            head = [t("col_scenario")] + [f"{t('prob_of', target=t(k))}: {when}" for k, _, _ in TARGETS]
            rows = [[_e(t.scenario(lab))] + [" · ".join(t.pct(probs[(k, lab)].get(y, np.nan)) for y in years)
                                             for k, _, _ in TARGETS] for lab in d.labels]
            out += self.table(head, rows, num_cols=set(range(1, len(head))), row_class=classes)
        return out

    def probability_table(self, probs: dict) -> str:
        t, d = self.t, self.data
        years = d.years()
        head = [t("col_target"), t("col_scenario")] + [str(y) for y in years]
        rows = []
        for key, _, _ in TARGETS:
            for lab in d.labels:
                p = probs[(key, lab)]
                rows.append([_e(t(key)), _e(t.scenario(lab))] + [t.pct(p[y]) if y in p else "–" for y in years])
        return self.table(head, rows, num_cols=set(range(2, len(head))))

    def goals(self) -> str:
        """The sector's goals from their own sweep (national scale, to 2050: scenarios/sweeps/sector_goals.toml):
        intro, the partner count beside the 500+, the figure with the target lines, a table and one answer each."""
        from propeller.app import goals as g
        from propeller.app.report import figures

        t = self.t
        info, runs = g.load(self.goals_db)
        items = g.answers(runs)
        n_runs = sum(len(v) for v in runs.values())
        body = f"<p>{_e(t('sec_goals_intro', sweep=info['name'], runs=n_runs))}</p>"
        first = next(iter(runs))
        date = outputs.HORIZON_DATE
        if all(c in runs[first][0].frame.columns for c in ("partners_total", "ring1", "ring2")):
            part = [r.frame.at[date, "partners_total"] for r in runs[first]]
            core = [r.frame.at[date, "ring1"] + r.frame.at[date, "ring2"] for r in runs[first]]
            words = t("goals_partners", scenario=t.scenario(first), date=date, partners=fmt_interval(t, part, 0),
                      core=fmt_interval(t, core, 0))
            body += f"<p>{_e(words)}</p>"
        body += self.figure(figures.goals(runs, t))
        rows = []
        for a in items:
            o = outputs.get(a.output)
            fmt = (lambda v, o=o: t.pct(v)) if o.percent else (lambda v: t.num(v, 1))
            rows.append([_e(t.label(a.output)), _e(t.scenario(a.scenario)), t.pct(a.p),
                         f"{fmt(a.median)} ({fmt(a.low)}–{fmt(a.high)})", _e(a.driver_label or a.pre_run_label),
                         _e(f"{a.flip:.3g}" if a.flip is not None else "–")])
        body += self.table([t("goals_table_goal"), t("col_scenario"), t("goals_table_p"), t("goals_table_median"),
                            t("goals_table_driver"), t("goals_table_flip")], rows, num_cols={2, 3})
        body += "<ul>" + "".join(f"<li>{_e(a.sentence(t, keys=False))}</li>" for a in items if a.scenario == first) + "</ul>"
        return body

    def _fmt_for(self, outcome: str):
        """A number of ``outcome`` in the report's language, as its declaration formats it (propeller.core.outputs)."""
        t = self.t
        if not outputs.is_output(outcome):  # a column of an older model version, stored in the sweep
            return lambda v: t.num(v, 0)
        o = outputs.get(outcome)
        if o.percent:
            return lambda v: t.pct(v, o.digits)
        return lambda v: t.num(v, o.digits)

    def comparison(self) -> str:
        """compare(): one table per key date (so that it fits the page), one row per outcome x scenario: the median
        (90 % interval) and the difference from the reference (90 % interval of the seed-paired differences)."""
        from propeller.app.analysis import compare

        t, d = self.t, self.data
        outcomes = [c for c in HEADLINE if c in d.kept] or d.kept[:6]
        table, info = compare(d.db, sweep=d.info["sweep_id"], reference=d.reference, outcomes=outcomes)
        table = table[table["scenario"].isin(d.labels)]
        ref = info["reference"]
        dates = list(dict.fromkeys(table["date"]))
        intro = t("sec_compare_intro", ref=t.scenario(ref)) if ref else t("sec_compare_noref")
        parts = [f"<p>{_e(intro)}</p>"]
        for dt in dates:
            head = [t("col_outcome"), t("col_scenario"), t("col_n"), t("col_median_interval")]
            if ref:
                head += [t("col_diff", ref=t.scenario(ref)), t("col_diff_interval")]
            rows, classes = [], []
            for outcome in outcomes:
                f = self._fmt_for(outcome)
                sel = table[(table["outcome"] == outcome) & (table["date"] == dt)].set_index("scenario")
                group = [lab for lab in d.labels if lab in sel.index]
                for k, lab in enumerate(group):
                    r = sel.loc[lab]
                    name = _e(t.label(outcome))
                    first = f'<td rowspan="{len(group)}" class="group">{name}</td>' if k == 0 else None
                    row = [first, _e(t.scenario(lab)), str(int(r["n"])),
                           f"{f(r['median'])} ({f(r['q05'])} – {f(r['q95'])})"]
                    if ref:
                        if lab == ref or np.isnan(r["diff_median"]):
                            row += ["", ""]
                        else:
                            sign = "+" if r["diff_median"] > 0 else ""
                            iv = f"{f(r['diff_q05'])} – {f(r['diff_q95'])}" if not np.isnan(r["diff_q05"]) else ""
                            row += [f"{sign}{f(r['diff_median'])}", iv]
                    rows.append(row)
                    classes.append("ref" if lab == ref else "")
            parts.append(f"<h3>{_e(t('compare_at', date=dt))}</h3>")
            parts.append(self.table(head, rows, num_cols=set(range(2, len(head))), row_class=classes))
        return "".join(parts)

    def appendix(self) -> str:
        t, d = self.t, self.data
        out = [f"<p>{_e(t('sec_appendix_intro'))}</p>", f"<h3>{_e(t('sec_appendix_scenarios'))}</h3><ul>"]
        for lab in d.labels:
            text = scenario_header(d.scenario_file(lab)) or t("no_header")
            out.append(f"<li><b>{_e(t.scenario(lab))}</b> (<code>{_e(lab)}</code>): {_e(text)}</li>")
        out.append("</ul>")
        rows_p = parameters()
        counts: dict[str, int] = {}
        for p in rows_p:
            counts[p.kind] = counts.get(p.kind, 0) + 1
        order = ("calibrated", "source", "source_assumption", "assumption", "setting", "derived", "other")
        parts = ", ".join(f"{counts[k]} {t('kind_' + k)}" for k in order if k in counts)
        out.append(f"<h3>{_e(t('sec_appendix_params'))}</h3><p>{_e(t('sec_appendix_counts', n=len(rows_p), parts=parts))}</p>")
        cal = [p for p in rows_p if p.kind == "calibrated"]
        if cal:
            out.append(self.table(
                [t("col_parameter"), t("col_value"), t("col_kind"), t("col_source")],
                [[f"<code>{_e(p.key)}</code>", _e(p.calibrated["value"]),
                  f'<span class="kind kind-calibrated">{_e(t("kind_calibrated"))}</span>',
                  _e(t("calibrated_note", value=p.calibrated["value"], lo=p.calibrated["lo"], hi=p.calibrated["hi"],
                       base=p.value)) + " — " + _e(p.comment)] for p in cal]))
        sections: dict[str, list] = {}
        for p in rows_p:
            sections.setdefault(p.section or "-", []).append(p)
        for sec, items in sections.items():
            note = items[0].section_note
            rows = []
            for p in items:
                value = p.calibrated["value"] + f" ({_e(p.value)})" if p.calibrated else p.value
                rows.append([f"<code>{_e(p.key)}</code>", _e(value),
                             f'<span class="kind kind-{p.kind}">{_e(t("kind_" + p.kind))}</span>', _e(p.comment)])
            summary = f"[{_e(sec)}] ({len(items)})" + (f" — {_e(note)}" if note else "")
            out.append(f"<details><summary>{summary}</summary>"
                       + self.table([t("col_parameter"), t("col_value"), t("col_kind"), t("col_source")], rows)
                       + "</details>")
        # the data behind the report
        info = d.info
        out.append(f"<h3>{_e(t('sec_appendix_data'))}</h3><ul>")
        out.append(f"<li>sweep <code>{_e(info['name'])}</code> ({_e(info['sweep_id'])}), design "
                   f"{_e(info['design']['kind'])}, {len(d.runs)} runs; code {_e(', '.join(sorted(set(d.runs['code_version']))))}"
                   f"</li>")
        out.append(f"<li>{_e(', '.join(f'{lab}: {d.n_runs(lab)}' for lab in d.labels))}</li>")
        out.append(f"<li>re-runs: {_e(', '.join(f'{r.run_id} ({r.label}, seed {r.seed})' for r in d.reruns))}</li>")
        out.append("<li>calibration/targets.toml (observations), scenarios/uncalibrated_defaults.toml, scenarios/calibrated.toml</li>")
        out.append("</ul>")
        return "".join(out)

    # ------------------------------------------------------------------ the page
    def discovery(self) -> str:
        """For a factor design: per target and date, the PRIM boxes (``propeller.app.discover``) of the runs that
        miss it; empty for a scenarios or posterior design."""
        from propeller.app.discover import Outcome, discover

        t, d = self.t, self.data
        if not d.info["factors"]:
            return ""
        rows = []
        dates = [x for x in (outputs.TARGET_DATE, outputs.HORIZON_DATE) if x in d.info["key_dates"]]
        for key, col, thr in TARGETS:
            if col not in d.info["outputs"]:
                continue
            for date in dates:
                res = discover(d.db, Outcome(col, date, "<", float(thr)), sweep=d.info["sweep_id"])
                missing = f"{res.n_cases} / {res.n_runs}"
                if res.n_cases == 0 or res.n_cases == res.n_runs or not res.boxes:
                    word = ("discover_none_missing" if res.n_cases == 0 else
                            "discover_all_missing" if res.n_cases == res.n_runs else "discover_no_box")
                    rows.append([_e(f"{t(key)}, {date[:4]}"), missing, _e(t(word)), "–", "–"])
                for b in res.boxes:
                    cond = "; ".join(f"{r.factor}: {r.text}" for r in b.restrictions)
                    rows.append([_e(f"{t(key)}, {date[:4]}"), missing, _e(cond), f"{b.coverage:.0%}",
                                 f"{b.density:.0%}"])
        if not rows:
            return ""
        factors = ", ".join(f["name"] + " (" + ", ".join(f["keys"]) + ")" for f in d.info["factors"])
        intro = f"<p>{_e(t('sec_discover_intro', factors=factors, runs=len(d.runs)))}</p>"
        head = [t("col_target_date"), t("col_missing"), t("col_conditions"), t("col_coverage"), t("col_density")]
        return intro + self.table(head, rows, num_cols={1, 3, 4})

    def reading_notes(self) -> str:
        """Which scenario the differences are taken from and why; and a word when the sweep is a factor design,
        which this report shows point by point rather than factor by factor."""
        t, d = self.t, self.data
        out = [f"<p class='reference'>{_e(t('reference_line', ref=t.scenario(d.reference), rule=t('ref_rule_' + d.reference_rule)))}</p>"]
        kind = d.info["design"]["kind"]
        if kind not in ("scenarios", "posterior"):
            factors = ", ".join(key for f in d.info["factors"] for key in f["keys"])
            out.append(f"<p class='note'>{_e(t('design_note', design=kind, factors=factors, points=len(d.labels)))}</p>")
        return "".join(out)

    def render(self) -> str:
        from propeller.app.report import figures  # matplotlib: imported when a report is made, not by every propeller command

        t, d = self.t, self.data
        figures.style()
        hubs = d.active_hubs()
        left_out = [h for h in HUBS if h not in hubs]
        hub_note = (" " + t("hubs_left_out", hubs=", ".join(t.hub(h) for h in left_out))) if left_out else ""
        probs = self.probabilities()
        ref = d.reference
        ref_runs = d.reruns_of(ref)
        sections: list[tuple[str, str, str]] = []

        how_body = t.list("how_to_read_body", instruments=t.instruments())
        how = "<ul class='howto'>" + "".join(f"<li>{_e(s)}</li>" for s in how_body) + "</ul>"
        sections.append(("how", t("how_to_read"), how))
        sections.append(("key", t("key_numbers"), f"<p>{_e(t('key_numbers_intro'))}</p>" + self.key_numbers(probs)))

        body = f"<p>{_e(t('sec_partners_intro'))}</p>"
        body += self.scenario_figures(lambda v: figures.partners(v, t, self.observed),
                            _e(self.source_note("partners_total", "partners_four_hubs").strip()))
        body += f"<h3>{_e(t('sec_partners_hub'))}</h3>"
        body += self.scenario_figures(lambda v: figures.partners_by_hub(v, t, self.observed, hubs),
                            _e(hub_note.strip() + self.source_note(*(f"partners_{h}" for h in hubs))))
        body += f"<h3>{_e(t('sec_partners_type'))}</h3>"
        body += self.scenario_figures(lambda v: figures.partners_by_type(v, t, self.observed),
                            _e(self.source_note(*outputs.family("partners_type_{type}")).strip()))
        sections.append(("partners", t("sec_partners"), body))

        sections.append(("kpi", t("sec_kpi"), self.scenario_figures(lambda v: figures.kpis(v, t, self.observed),
                                                          _e(self.source_note("kpi4_mkb", "kpi5_skilled").strip()))))
        body = f"<p>{_e(t('sec_prob_intro'))}</p>" + self.scenario_figures(lambda v: figures.probabilities(v, t, probs)) + \
            self.probability_table(probs)
        sections.append(("prob", t("sec_prob"), body))

        from propeller.core.constants import ROUTES

        occ_intro = t("sec_occupancy_intro", scenario=t.scenario(ref), n=len(ref_runs),
                      routes=", ".join(t.route(r) for r in ROUTES))
        sections.append(("occupancy", t("sec_occupancy"),
                         f"<p>{_e(occ_intro)}</p>" + self.figure(figures.occupancy(d, t, ref), _e(self.rerun_note()))))
        sections.append(("adoption", t("sec_adoption"), self.scenario_figures(
            lambda v: figures.adoption(v, t), _e(self.source_note(*outputs.family("adopted_share_{theme}")).strip()))))

        spider_date = outputs.TARGET_DATE if outputs.TARGET_DATE in d.dates else d.dates[-1]
        med = np.median(d.at(ref, "partners_total", spider_date)) if len(d.at(ref, "partners_total", spider_date)) else 0
        rep = min(ref_runs, key=lambda r: abs(float(r.timeseries.set_index("date")["partners_total"].get(
            spider_date, np.nan)) - med) if spider_date in set(r.timeseries["date"]) else np.inf)
        intro = t("sec_rings_intro", scenario=t.scenario(ref), run=rep.run_id, date=spider_date, n=d.n_runs(ref))
        sections.append(("rings", t("sec_rings"), f"<p>{_e(intro)}</p>" + self.figure(
            figures.spiders(d, t, ref, rep, hubs),
            _e((t("ring_counts") + hub_note + self.source_note(*(f"ring{r}_{h}" for h in hubs
                                                                 for r in (1, 2, 3, 4)))).strip()))))
        sections.append(("productivity", t("sec_productivity"),
                         self.scenario_figures(lambda v: figures.productivity(v, t), _e(self.source_note("productivity_index").strip()))))
        if self.goals_db is not None:
            sections.append(("goals", t("sec_goals"), self.goals()))
        boxes = self.discovery()
        if boxes:
            sections.append(("discover", t("sec_discover"), boxes))
        sections.append(("compare", t("sec_compare"), self.comparison()))
        sections.append(("appendix", t("sec_appendix"), self.appendix()))

        info = d.info
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        meta = t("generated", when=when, sweep=info["name"], design=info["design"]["kind"], runs=len(d.runs),
                 code=", ".join(sorted(set(d.runs["code_version"]))), db=d.db.name)
        toc = "".join(f'<li><a href="#{sid}">{_e(title)}</a></li>' for sid, title, _ in sections)
        parts = [f'<!DOCTYPE html>\n<html lang="{t.lang}"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{_e(t('title'))}</title><style>{CSS}</style></head><body><main>",
                 f"<header><h1>{_e(t('title'))}</h1><p class='sub'>{_e(t('subtitle', end=d.dates[-1]))}</p>"
                 f"<p class='meta'>{_e(meta)}</p>{self.reading_notes()}</header>",
                 f"<nav><b>{_e(t('toc'))}</b><ol>{toc}</ol></nav>"]
        parts += [f'<section id="{sid}"><h2>{_e(title)}</h2>{body}</section>' for sid, title, body in sections]
        parts.append(f"<footer>{_e(t('footer'))}</footer></main></body></html>\n")
        return "".join(parts)


def write_atomically(out: Path, text: str) -> None:
    """Write through a temporary file next to ``out`` and move it into place (:func:`atomic_write_text`: synced,
    with the usual permissions, one line when out of space)."""
    atomic_write_text(out, text)


def build_report(db: str | Path, out: str | Path = "outputs/report.html", lang: str = "en",
                 scenarios: list[str] | None = None, sweep: str | None = None, reference: str | None = None,
                 reruns: int = 6, progress=None, goals: str | Path | None = None) -> dict:
    """Write the report; return a manifest: out, lang, figures [(key, n_values, width, height)], scenarios."""
    out = Path(out)
    if lang not in LANGS:
        raise ReportError("--lang", lang, f"one of {', '.join(LANGS)}", show_got=False)
    if out.is_dir():
        raise ReportError("--out", str(out), "a path for the HTML file (this is a folder)", show_got=False)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ReportError("--out", str(out), "a file name ending in .html", show_got=False)
    if reruns < 1:
        raise ReportError("--reruns", str(reruns), "an integer >= 1", show_got=False)
    if goals is not None and not Path(goals).exists():
        raise ReportError("--goals", str(goals), "an existing sweep database of the sector's goals (propeller sweep "
                          "scenarios/sweeps/sector_goals.toml)", show_got=False)
    data = SweepData.load(db, sweep=sweep, scenarios=scenarios, reference=reference, reruns=reruns, progress=progress)
    builder = ReportBuilder(data, lang, goals_db=goals, progress=progress)
    text = builder.render()
    if progress and hasattr(progress, "close"):
        progress.close()
    write_atomically(out, text)
    return {"out": str(out), "lang": lang, "scenarios": data.labels, "reference": data.reference,
            "figures": [(f.key, f.n_values, f.width, f.height) for f in builder.figures],
            "reruns": [(r.run_id, r.label, r.identical) for r in data.reruns], "bytes": len(text.encode())}


# ----------------------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from propeller.app.progress import Stages

    progress = Stages(enabled=not args.no_progress, verbose=args.verbose)
    try:
        manifest = build_report(args.db, out=args.out, lang=args.lang, scenarios=args.scenario, sweep=args.sweep,
                                reference=args.reference, reruns=args.reruns, goals=args.goals, progress=progress)
    finally:
        progress.close()
    figs = ", ".join(k for k, *_ in manifest["figures"])
    print(f"report: {len(manifest['figures'])} figures ({figs}); scenarios {', '.join(manifest['scenarios'])} "
          f"(reference {manifest['reference']}); {manifest['bytes'] / 1e6:.1f} MB")
    print(f"Written: {manifest['out']}")
    return 0


def add_command(sub) -> None:
    rep = sub.add_parser("report", help="steering-group report: one self-contained HTML file from a sweep database")
    rep.add_argument("db", help="sweep database, e.g. outputs/sweeps/steering_report.db")
    rep.add_argument("--scenario", action="append", default=None, metavar="NAME",
                     help="only this scenario (repeatable; default: every scenario of the sweep)")
    rep.add_argument("--lang", choices=LANGS, default="en", help="language of the report (default en)")
    rep.add_argument("--out", default="outputs/report.html", help="HTML file to write (default outputs/report.html)")
    rep.add_argument("--sweep", default=None, help="sweep name or id in the database (default: the last one run)")
    rep.add_argument("--reference", default=None,
                     help="scenario the differences are taken from (default: calibrated if the sweep has it, else its "
                          "first scenario; the report states which)")
    rep.add_argument("--reruns", type=int, default=6,
                     help="runs per scenario re-run from their records for occupancy and spider diagrams (default 6)")
    rep.add_argument("--goals", default=None, metavar="DB",
                     help="also a section on the sector's goals, from this sweep (scenarios/sweeps/sector_goals.toml)")
    rep.add_argument("--verbose", action="store_true", help="name each re-run and figure under the progress lines")
    rep.add_argument("--no-progress", action="store_true", help="no progress lines on standard error")
    rep.set_defaults(func=cmd_report)


__all__ = ["build_report", "add_command", "cmd_report"]
