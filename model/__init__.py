"""Propeller: an agent-based model of innovation adoption in the Dutch construction sector.

The public API::

    import propeller

    out = propeller.simulate("scenarios/calibrated.toml", seed=0, until="2030-12")   # the one pure entry point
    scenario = propeller.load(overrides={"funding.multiplier": 0.5})                 # on the calibrated set
    model = propeller.PropellerModel(scenario, rng=1)                                # the Mesa model, to inspect
    try: ...
    except propeller.UserError as exc: print(exc.line())                             # bad input, one line

The package has two layers: :mod:`propeller.core` (the simulation: everything that decides a run's numbers) and
:mod:`propeller.app` (the command, sweeps, store, report, dashboard); :mod:`propeller.scenarios` reads scenario
files and :mod:`propeller.calibration` fits the model to the hub data. The core never imports the application.

Importing the package is light: the model itself (Mesa, numba, networkx) is imported on first use of
``PropellerModel`` or ``simulate``, so that the ``propeller`` command can answer bad input and Ctrl-C with one
line even while it is still starting up.
"""

from propeller.core.simulate import simulate, simulate_many
from propeller.errors import UserError

__all__ = ["PropellerModel", "Scenario", "UserError", "__version__", "load", "simulate", "simulate_many"]


def __getattr__(name: str):
    if name == "PropellerModel":
        from propeller.core.model import PropellerModel

        return PropellerModel
    if name in ("load", "Scenario"):
        from propeller.scenarios import loader

        return getattr(loader, name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("propeller")
        except PackageNotFoundError:
            return "0+unknown"
    raise AttributeError(f"module 'propeller' has no attribute {name!r}")
