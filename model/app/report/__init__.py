"""The steering-group report (issue 5): ``propeller report DB`` -> one self-contained HTML file.

- ``build.py``: the command, the page and its tables (``build_report``);
- ``figures.py``: the figures (matplotlib/seaborn, embedded as base64 PNG);
- ``data.py``: what it reads (runs and outcome columns of a sweep, re-runs for occupancy and the spider diagrams,
  observations from calibration/targets.toml);
- ``provenance.py``: every parameter's source, from the comments of scenarios/uncalibrated_defaults.toml and calibrated.toml;
- ``i18n.py``: English and Dutch strings.
"""

from propeller.app.report.build import build_report

__all__ = ["build_report"]
