"""The simulation core: everything that decides a run's numbers.

Constants and calendar, the March 2024 population, the ecosystem graph, the propeller's transition table, the
couplings between stakeholders, the instruments, the compiled kernels, the Mesa model and its agents, the
outcomes (their columns and the key dates declared once in :mod:`propeller.core.outputs`) and the one pure entry
point ``simulate``. The core reads scenarios through :mod:`propeller.scenarios.loader` and never imports the
application around it (:mod:`propeller.app`); a test checks the import graph, and the code version that sweeps
record is a hash of this package and the loader.
"""
