"""The Opdrachtgeversaanpak (client approach): public clients learn to tender for innovation [003 L6008-6034].

"De opdrachtgeversaanpak is één van de vijf pijlers in het programma Friesland Bouwt Circulair. Het doel is om
publieke opdrachtgevers in Friesland te ondersteunen bij de transitie naar circulaire bouwprojecten (focus op
gemeenten en woningcorporaties). De focus ligt op aanbesteden volgens It Nije Normaal" [003 L6010-6024]: a
kennis- en intervisietraject around concrete projects, a knowledge base with tools and formats, and project
guidance [003 L6026-6034, L6551-6557]. It runs through the phases, from Agenderen into Uitproberen and on to
anchoring in policy [003 L1523-1526, L2275-2279, L6024-6026]. Participants: gemeenten and woningcorporaties (the
government route includes the provincie: one took part [003 L6559-6565]); one run is one cohort of the traject.

Effects from the survey of 7 of the 11 participating gemeenten [003 L7209-7345]: all gained knowledge and skills
[003 L7217-7221] (not engaged -> awareness; every person is a professional with new skills), and "Alle gemeenten
(n=7) zijn door de opdrachtgeversaanpak verder gekomen" [003 L7267-7269], their plans partly (4) or fully (1) due
to it [003 L7259-7265] (one step further, p_advance). The pull on the builders they tender to [003 L7299-7322] is
the procurement coupling (coupling.procurement_boost) once a client is in Adopteren.
"""

from __future__ import annotations

from propeller.core.constants import ROUTES, STEP_INDEX
from propeller.core.instruments.base import Instrument, hazard
from propeller.core.instruments.registry import register


@register
class Opdrachtgeversaanpak(Instrument):
    name = "opdrachtgeversaanpak"
    label, label_nl = "client approach", "opdrachtgeversaanpak"
    order = 60
    category = "trajectories"  # a kennis- en intervisietraject: Table 3.2 row 2, innovatietrajecten (assumption)
    audience = "known"         # public clients of the region join it (13 of the Frisian gemeenten [003 L6559-6565])
    routes = (ROUTES.index("woco"), ROUTES.index("gemeente"))  # "focus op gemeenten en woningcorporaties" [003 L6016-6020]
    ELIGIBILITY = {"not_engaged": 0.5, "awareness": 1.0, "vision": 1.0, "partnering": 1.0, "design": 1.0,
                   "test": 1.0, "validate": 1.0, "secure": 0.5}
    PARAMS = Instrument.PARAMS + ("p_aware", "p_advance", "p_skills")
    fwd_steps = (STEP_INDEX["awareness"], STEP_INDEX["secure"])  # Agenderen to anchoring in policy [003 L6024-6026]
    kpi5 = True  # counted with the innovation trajectories (category above): every person counts for KPI 5

    def __init__(self, p):
        super().__init__(p)
        self.h_entry = hazard(self.cfg["p_aware"])
        self.h_fwd = hazard(self.cfg["p_advance"])
        self.p_skills = float(self.cfg["p_skills"])
