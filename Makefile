# The two commands of the README. Each sets up .venv (Python >= 3.12, pinned packages) when missing.
.PHONY: baseline test golden outputs-table bench bench-dashboard venv browser dashboard check-baseline check-streams bench-issue7 floors profile notebooks report
SEED ?= 0

venv:
	@bash tools/bootstrap.sh

baseline: venv
	.venv/bin/propeller run scenarios/calibrated.toml --seed $(SEED) --out outputs/baseline

test: venv browser  # the tests that do not race a clock on 2 processes, then the `serial` ones alone (pyproject.toml)
	.venv/bin/python -m pytest -q -n 2 --dist loadfile -m "not serial"
	.venv/bin/python -m pytest -q -m serial

outputs-table: venv  # regenerate the column table of docs/ODD.md §10.1 from model/core/outputs.py
	.venv/bin/python -m propeller.core.outputs --update docs/ODD.md

golden: venv  # refresh the golden numbers when a change is meant to move them (say why in the commit)
	.venv/bin/python tests/golden.py --update

browser: venv
	@bash tools/browser.sh

dashboard: venv browser
	.venv/bin/propeller dashboard

bench: venv
	.venv/bin/python benchmarks/bench_run.py

bench-dashboard: venv
	.venv/bin/python benchmarks/bench_dashboard.py

check-baseline: venv
	.venv/bin/python benchmarks/check_baseline.py --seeds 50 --region west --csv outputs/check_baseline.csv

check-streams: venv  # hubs on: this code against benchmarks/streams_reference.json over seeds (when random streams move)
	.venv/bin/python benchmarks/check_streams.py --csv outputs/check_streams.csv

bench-issue7: venv
	.venv/bin/python benchmarks/run.py

floors: venv
	.venv/bin/python benchmarks/floors.py

profile: venv
	.venv/bin/python benchmarks/profile.py --orgs 10000 --pyinstrument

notebooks: venv
	.venv/bin/python tools/run_notebooks.py

report: venv
	.venv/bin/propeller sweep scenarios/sweeps/steering_report.toml
	.venv/bin/propeller sweep scenarios/sweeps/sector_goals.toml --workers 2
	.venv/bin/propeller report outputs/sweeps/steering_report.db --goals outputs/sweeps/sector_goals.db --out outputs/report.html
	.venv/bin/propeller report outputs/sweeps/steering_report.db --goals outputs/sweeps/sector_goals.db --lang nl --out outputs/rapport.html
