# The two commands of the README. Each sets up .venv (Python >= 3.12, pinned packages) when missing.
.PHONY: baseline test bench venv check-baseline
SEED ?= 0

venv:
	@bash tools/bootstrap.sh

baseline: venv
	.venv/bin/propeller run scenarios/calibrated.toml --seed $(SEED) --out outputs/baseline

test: venv
	.venv/bin/python -m pytest -q

bench: venv
	.venv/bin/python benchmarks/bench_run.py

check-baseline: venv
	.venv/bin/python benchmarks/check_baseline.py --seeds 50 --region west --csv outputs/check_baseline.csv
