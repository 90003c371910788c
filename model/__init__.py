"""Propeller: an agent-based model of innovation adoption in the Dutch construction sector.

``simulate(params, seed, until)`` is the entry point; :class:`PropellerModel` is the Mesa model.
"""

from model.model import PropellerModel
from model.simulate import simulate

__all__ = ["PropellerModel", "simulate"]
