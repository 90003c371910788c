"""Events, meetings and lab visits: the agenderen instrument [003 L1427-1480, L1990-2030].

Open to the hub's whole network including ring 4, so events are also how potential partners come
to take part (and so count as partners). Effects from the event surveys of seed 003: everybody
gained knowledge [003 L3170-3180] (not engaged -> awareness), and 2/3 plan to apply, partly or
fully because of the event [003 L3258-3268] (one step further in Agenderen).
"""

from __future__ import annotations

from propeller.core.constants import STEP_INDEX
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Events(Instrument):
    name = "events"
    label, label_nl = "events", "bijeenkomsten"
    order = 10
    category = "events"
    audience = "known"
    ELIGIBILITY = {"not_engaged": 1.0, "awareness": 1.0, "vision": 0.8, "partnering": 0.5,
                   "design": 0.3, "test": 0.3, "validate": 0.3, "secure": 0.3, "scale": 0.3, "develop": 0.3}
    PARAMS = Instrument.PARAMS + ("student_share", "teacher_share", "p_aware", "p_advance")
    fwd_steps = (STEP_INDEX["awareness"], STEP_INDEX["partnering"])  # a step further within Agenderen

    def __init__(self, p):
        super().__init__(p)
        self.h_entry = hazard(self.cfg["p_aware"])
        self.h_fwd = hazard(self.cfg["p_advance"])
