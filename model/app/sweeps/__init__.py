"""Scenario sweeps: a TOML spec -> a plan of runs -> executed serially, on a process pool or on Dask -> one SQLite
store. One module per job:

- ``spec``: read and check a spec (``load_spec``, ``Spec``, ``Factor``, ``SpecError``); the outcome columns a sweep
  may keep and the default outputs and key dates;
- ``record``: a run's record (``record_params``, ``scenario_from_record``), seeds, run ids and ``code_version``;
- ``design``: design points and the plan (``build_plan``, ``Plan``, ``Point``; grid, SALib and posterior designs);
- ``summary``: what one run gives the store (``run_task``: kept columns and key-date values);
- ``execute``: the plan against its store (``execute``, ``describe``, ``rerun``, ``Outcome``, ``default_db``);
- ``cli``: the ``sweep``, ``compare`` and ``sensitivity`` subcommands.

Runs execute on the runner the calibration uses too (``propeller.app.runner``); results are stored as they complete,
keyed by run id, so the order in which workers finish never changes what is stored.
"""
