"""What to measure next (issue 15, point 6): the first-order variance shares rank the parameter that drives a
projection first, and the paragraph turns the ranking into observations to collect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from propeller.calibration.drivers import PROJECTIONS, first_order, paragraph


def test_first_order_ranks_the_driving_parameter_first():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(300, 4))
    y = 3 * x[:, 0] + x[:, 1] + 0.1 * rng.normal(size=300)   # S1: a ~0.89, b ~0.10, c = d = 0
    s = first_order(x, y, ("a", "b", "c", "d")).set_index("parameter")["S1"]
    assert s.idxmax() == "a" and s["a"] > 0.7
    assert s["a"] > 5 * max(s["c"], s["d"])
    flat = first_order(x, np.ones(300), ("a", "b", "c", "d"))
    assert (flat["S1"] == 0).all()                            # nothing varies: nothing explains it


def test_paragraph_names_the_leading_parameter_and_its_observation():
    rows = []
    for _, _, label in PROJECTIONS:
        for name, s1 in (("propeller.scale_adopteren", 0.6), ("hubs.west.recruitment", 0.05)):
            rows.append({"projection": label, "parameter": name, "S1": s1, "S1_conf": 0.05,
                         "narrowing": 1 - np.sqrt(1 - s1), "median": 0.3, "p05": 0.1, "p95": 0.5})
    res = {"table": pd.DataFrame(rows), "stochastic": {label: 0.1 for _, _, label in PROJECTIONS}, "draws": 50}
    text = paragraph(res, {"propeller.scale_adopteren": "the share using it as standard two years on"})
    assert "adopted share 2050" in text and "propeller.scale_adopteren 60% (-37%)" in text
    first = text.split("should collect")[1].splitlines()[1]
    assert "standard two years on" in first and "scale_adopteren" in first
