"""The application around the simulation core: the ``propeller`` command, user I/O, sweeps and their SQLite
store, analysis, the steering-group report, the dashboard, the EMA Workbench adapter and the process-pool runner.

Everything here calls the core through :func:`propeller.simulate` (or builds a
:class:`propeller.core.model.PropellerModel` for inspection); nothing here changes a run's numbers.
"""
