"""Fixed vocabularies of the model: hubs, partner types, routes, themes, propeller steps.

These are structure, not parameters: changing them changes what the model *is*.
Sources are cited in line; seed files live in ../shared/seeds/.
"""

from __future__ import annotations

# Regional hubs. Noord, Zuid, Oost, West evaluated in seed 003 [003 L825-848];
# Midden (Hogeschool Utrecht) joined in 2024, start-up phase, not evaluated [003 L971-975].
HUBS: tuple[str, ...] = ("noord", "zuid", "oost", "west", "midden")

# The 8 partner types of Table 3.1 [003 L2720-2776], in table order.
TYPES: tuple[str, ...] = (
    "mkb_builders",   # 1 (MKB) bouw- en installatiebedrijven
    "clients",        # 2 opdrachtgevers (woningcorporaties, overheden als opdrachtgever, ontwikkelaars)
    "technology",     # 3 technologiepartners
    "suppliers",      # 4 toeleveranciers
    "other_chain",    # 5 overige ketenpartners (architecten, logistiek)
    "branch_ngo",     # 6 brancheverenigingen / NGO's
    "education",      # 7 onderwijs- en kennisinstellingen
    "government",     # 8 overheden (gemeente, provincie)
)
COMPANY_TYPES: tuple[int, ...] = (0, 2, 3, 4)  # types 1,3,4,5 are companies [model_notes]

# Stakeholder routes through the propeller (Bijlage F: bedrijven, woco's, onderwijs,
# overheid als opdrachtgever [003 L12949-14365]); the other types follow a generic route.
ROUTES: tuple[str, ...] = ("mkb", "woco", "gemeente", "school", "generic")

# Innovation themes [003 L49-53, L867-871].
THEMES: tuple[str, ...] = ("biobased_circular", "digitalisation", "industrialisation", "chain_collaboration")

# The market shares of the sector goals (docs/sector_pathway.md): which themes each counts is a scenario choice
# (sector.markets.*); "all_three" is the PVGO goal of industrial, sustainable and digital building at once
# [001 L15-17, L226-227].
MARKETS: tuple[str, ...] = ("industrial", "sustainable", "digital", "all_three")

# The Innovatie Adoptie Propeller: not engaged + 3 phases x 3 steps
# [003 L1944-1956, L2254-2262, L2416-2428; Bijlage F L12989-12999].
STEPS: tuple[str, ...] = (
    "not_engaged",
    "awareness", "vision", "partnering",      # agenderen
    "design", "test", "validate",             # uitproberen
    "secure", "scale", "develop",             # adopteren (borgen, opschalen, doorontwikkelen)
)
PHASES: tuple[str, ...] = ("none", "agenderen", "uitproberen", "adopteren")
STEP_PHASE: tuple[int, ...] = (0, 1, 1, 1, 2, 2, 2, 3, 3, 3)
STEP_INDEX: dict[str, int] = {s: i for i, s in enumerate(STEPS)}
FIRST_ADOPTEREN = STEP_INDEX["secure"]

TRANSITION_KINDS: tuple[str, ...] = ("forward", "skip", "back", "repeat")

# What a move of the transition table may require (its ``requires`` column; index = gate code of the compiled
# table, 0 = nothing): a co-maker company partnered with the organisation (woningcorporaties [003 L7886-7889]),
# or a chain partner involved in the innovation ("Partners en leveranciers actief betrekken bij de innovatie. Dit
# is voorwaarde voor opschaling" [003 L13337-13342]). Without it the move's rate is multiplied by
# coupling.comaker_gate_floor or coupling.chain_gate_floor.
REQUIRES: tuple[str, ...] = ("", "comaker", "chain")

# Innovativeness classes (Rogers; hubs reach mostly the first two among MKB [003 L1313-1336]).
CLASSES: tuple[str, ...] = ("frontrunner", "early_adopter", "early_majority", "follower")

# Rings of the spider diagrams, Figure 3.1 [003 L2780-2795]: 1 = long-term strategic,
# 2 = medium-term, 3 = ad-hoc/incidental (these three count as partners [003 L2796-2803]),
# 4 = potential (no project relation yet). 0 here = unknown to the hub.
RINGS: tuple[int, ...] = (1, 2, 3, 4)

# Levels of the schools whose education is renewed ("mbo/hbo/wo students").
SCHOOL_LEVELS: tuple[str, ...] = ("mbo", "hbo", "wo")

# The person categories counted in Table 3.2 [003 L2859-2927]; its activity rows are the instruments' categories
# (``instruments.registry.categories()``).
PERSON_CATEGORIES: tuple[str, ...] = ("professionals", "students", "teachers")
