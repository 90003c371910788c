"""Propeller: an agent-based model of innovation adoption in the Dutch construction sector.

``simulate(params, seed, until)`` is the entry point; :class:`PropellerModel` is the Mesa model.

Importing the package is light: the model itself (Mesa, numba, networkx) is imported on first use of
``PropellerModel`` or ``simulate``, so that the ``propeller`` command can answer bad input and Ctrl-C with one
line even while it is still starting up.
"""

from propeller.core.simulate import simulate

__all__ = ["PropellerModel", "simulate"]


def __getattr__(name: str):
    if name == "PropellerModel":
        from propeller.core.model import PropellerModel

        return PropellerModel
    raise AttributeError(f"module 'propeller' has no attribute {name!r}")
