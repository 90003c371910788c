"""Every output file is written atomically (a temporary file, then os.replace): a writer that fails half-way leaves
the old file exactly as it was and no temporary file behind. Each test makes a real writer fail mid-write."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from propeller.app.userio import atomic_write, atomic_write_text

ROOT = Path(__file__).resolve().parents[1]


class DiskFullError(OSError):
    pass


def state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old,contents\n1,2\n")
    before = state(tmp_path)

    def half(tmp: Path) -> None:
        tmp.write_text("new,conte")  # half written ...
        raise DiskFullError("no space left on device")  # ... then the disk is full

    with pytest.raises(DiskFullError):
        atomic_write(target, half)
    assert state(tmp_path) == before  # the old file, and nothing else
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_compare_csv_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    from propeller.app.analysis import write_csv

    target = tmp_path / "comparison.csv"
    target.write_text("the,old,table\n")
    before = state(tmp_path)
    real = pd.DataFrame.to_csv

    def failing(self, path=None, *a, **k):
        real(self.iloc[:1], path, *a, **k)  # part of the rows reach the file
        raise DiskFullError("no space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(DiskFullError):
        write_csv(pd.DataFrame({"a": range(100)}), target)
    assert state(tmp_path) == before
    monkeypatch.setattr(pd.DataFrame, "to_csv", real)
    write_csv(pd.DataFrame({"a": range(3)}), target)
    assert pd.read_csv(target)["a"].tolist() == [0, 1, 2]


def test_sensitivity_png_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    import matplotlib.figure

    from propeller.app.analysis import plot_sensitivity

    table = pd.DataFrame({"outcome": ["kpi5_skilled"] * 2, "date": ["2027-12"] * 2, "factor": ["a", "b"],
                          "mu_star": [1.0, 0.5], "mu_star_conf": [0.1, 0.1], "mu": [1.0, 0.5], "sigma": [0.2, 0.1]})
    info = {"design": {"kind": "morris"}, "name": "m", "n_points": 6}
    png = tmp_path / "m.png"
    plot_sensitivity(table, info, png)
    before = state(tmp_path)
    real = matplotlib.figure.Figure.savefig

    def failing(self, fname, *a, **k):
        Path(fname).write_bytes(b"\x89PNG\r\n\x1a\n half")
        raise DiskFullError("no space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", failing)
    with pytest.raises(DiskFullError):
        plot_sensitivity(table, info, png)
    assert state(tmp_path) == before
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", real)


def test_run_out_keeps_the_previous_results_when_writing_fails(tmp_path, monkeypatch, capsys):
    import sqlite_utils.db

    from propeller.app.cli import main

    out = tmp_path / "res"
    args = ["run", str(ROOT / "scenarios" / "uncalibrated_defaults.toml"), "--set", "simulation.region=midden", "--until",
            "2024-06", "--out", str(out)]
    assert main(args) == 0
    before = state(tmp_path)
    real = sqlite_utils.db.Table.insert_all
    calls = []

    def failing(self, records, *a, **k):
        calls.append(self.name)
        if self.name == "occupancy":  # after timeseries.csv and part of the database
            raise DiskFullError("no space left on device")
        return real(self, records, *a, **k)

    monkeypatch.setattr(sqlite_utils.db.Table, "insert_all", failing)
    with pytest.raises(DiskFullError):
        main(args[:-4] + ["--seed", "5"] + args[-4:])
    assert "occupancy" in calls
    assert state(tmp_path) == before  # the old timeseries.csv and propeller.db, no temporary folder


def test_calibration_scenario_files_and_report_are_written_atomically(tmp_path, monkeypatch):
    from propeller.calibration import report
    from propeller.calibration.run import _atomic_write

    target = tmp_path / "calibrated.toml"
    target.write_text("# the committed calibration\n")
    before = state(tmp_path)
    real = Path.write_text

    def failing(self, data, *a, **k):
        real(self, data[:10], *a, **k)
        raise DiskFullError("no space left on device")

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(DiskFullError):
        _atomic_write(target, "extends = ...\n" * 50)
    assert state(tmp_path) == before
    monkeypatch.setattr(Path, "write_text", real)
    # the report's figures go through the same path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    png = tmp_path / "fig.png"
    png.write_bytes(b"old png")
    monkeypatch.setattr(type(fig), "savefig", lambda self, f, *a, **k: (Path(f).write_bytes(b"half"),
                                                                          (_ for _ in ()).throw(DiskFullError("full"))))
    with pytest.raises(DiskFullError):
        report._savefig(fig, png)
    plt.close(fig)
    assert png.read_bytes() == b"old png" and sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.toml",
                                                                                               "fig.png"]
