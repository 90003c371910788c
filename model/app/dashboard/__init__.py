"""Interactive dashboard: a solara page with Mesa's ModelController around the Propeller model (``propeller dashboard``).

* ``model.py``: :class:`DashboardModel`, the model built from the controls, with a DataCollector;
* ``layout.py``: node positions, computed once per model;
* ``render.py``: the network PNG, the step bars, target lines (plain functions);
* ``components.py``: the solara components on the steering and analyst pages;
* ``app.py``: the solara app (``Page``); ``server.py``: :func:`serve`; ``assets.py``: solara's
  front-end files, fetched from the npm registry so that the server needs no other network.

Only ``model.py`` is imported here: solara is imported when the app or the server is.
"""

from propeller.app.dashboard.model import DashboardModel

__all__ = ["DashboardModel"]
