# The two commands of the README. Each sets up .venv (Python >= 3.12, pinned packages) when missing.
.PHONY: baseline test bench venv notebooks report
SEED ?= 0

venv:
	@bash tools/bootstrap.sh

baseline: venv
	.venv/bin/propeller run scenarios/calibrated.toml --seed $(SEED) --out outputs/baseline

test: venv
	.venv/bin/python -m pytest -q

bench: venv
	.venv/bin/python benchmarks/bench_run.py

notebooks: venv
	.venv/bin/python tools/run_notebooks.py

report: venv
	.venv/bin/propeller sweep scenarios/sweeps/steering_report.toml
	.venv/bin/propeller report outputs/sweeps/steering_report.db --out outputs/report.html
	.venv/bin/propeller report outputs/sweeps/steering_report.db --lang nl --out outputs/rapport.html
