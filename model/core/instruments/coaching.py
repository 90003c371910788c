"""Coaching and the MKB scaling toolkit: the adopteren instrument [003 L14113-14143, L8084-8088].

1-on-1 support for partners that validate, secure or scale an innovation. The hubs have few
instruments for borgen and opschalen [003 L2560-2630], so its default rates are low; "more support
for borgen/opschalen" is a scenario lever [003 L4635-4850]. Not a Table 3.2 category.
"""

from __future__ import annotations

from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Coaching(Instrument):
    name = "coaching"
    label, label_nl = "coaching", "coaching"
    order = 50
    category = None
    ELIGIBILITY = {"validate": 1.0, "secure": 1.0, "scale": 0.8}
    PARAMS = Instrument.PARAMS + ("duration_months", "enrolled_boost", "p_advance")
    enrol = "coaching"  # coached for duration_months, the next-step hazard spread over them

    def __init__(self, p):
        super().__init__(p)
        self.h_enrol = hazard(self.cfg["p_advance"])
