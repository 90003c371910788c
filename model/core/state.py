"""The model's state as the compiled kernels read it: named groups of arrays instead of long argument lists.

Each group is a ``NamedTuple`` of the model's own arrays (numba reads a named tuple's fields by name, and the
arrays are shared, not copied: a kernel that writes ``pushes.extra_fwd`` writes the model's array). A group is
built once where its arrays live and rebuilt only when one of them is replaced (the tie buffers when they grow).
The effect of an instrument run, a set of scalars, is one numpy record (``SPEC_DTYPE``), read by field name too.

Which kernel reads which group: ``kernels.propeller_move`` (Organisations, Table, Neighbours, Pushes,
MoveParams), ``kernels.update_neighbours`` (Neighbours, Ties), ``kernels.hub_month`` (Hubs, InstrumentData,
Organisations, Csr, PersonCounts, Pushes, Students, Book), ``kernels.place_students`` (Students),
``kernels.grow_relations`` (Growth, GrowthBuffers, Csr, Collab), ``kernels.insert_ties`` (Edges), ``kernels.aggregate_month``
(Aggregates), ``kernels.recruit`` and ``kernels.select_participants`` (Organisations).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Organisations(NamedTuple):
    """Per organisation (length N). Fixed for the run, except ``small_factor`` (updated in place)."""

    route: np.ndarray          # int8: stakeholder route, index into constants.ROUTES
    home: np.ndarray           # int8: home hub region, index into constants.HUBS
    cls: np.ndarray            # innovativeness class, index into constants.CLASSES
    class_mult: np.ndarray     # float: its class's multiplier on entry and forward / skip moves
    class_weight: np.ndarray   # float, per class (length 4): weight in participant and recruitment draws
    small_factor: np.ndarray   # float: funding factor of small organisations in those draws (1 for others)
    is_company: np.ndarray     # bool: a company (co-maker, procurement pull)
    is_client: np.ndarray      # bool: a client (woningcorporatie, gemeente route)
    is_edu: np.ndarray         # bool: an education organisation (counts students and teachers)


class Table(NamedTuple):
    """The propeller's transition table (``transitions.PropellerTable``), rows ``route * n_steps + step``."""

    rates: np.ndarray          # float (12, rows, 4): hazard per calendar month and move kind
    target: np.ndarray         # int (rows, 4): step reached by each move kind
    gate: np.ndarray           # int8 (rows, 4): what the move requires (constants.REQUIRES: 0 nothing, 1 co-maker,
                               #   2 chain partner)
    phase_scale: np.ndarray    # float (steps,): phase speed on forward / skip moves out of each step
    n_steps: int
    entry_step: int            # step of an organisation that enters the propeller


class MoveParams(NamedTuple):
    """Scalars of the monthly propeller move."""

    entry_p: float             # Bass innovation coefficient (entry)
    entry_q: float             # Bass imitation coefficient (entry, times exposure)
    connector_back: float      # fall-back factor under a weak connector: back x (1 + f x (1 - connector))
    traj_boost: float          # forward multiplier while enrolled in a trajectory (steps 3 .. Adopteren - 1)
    traj_back: float           # back multiplier while enrolled in a trajectory
    coach_boost: float         # forward multiplier while coached (from the last Uitproberen step)
    student_boost: float       # forward multiplier 1 + this while students with new skills arrived
    procurement_boost: float   # forward multiplier 1 + this for a company pulled by a client in Adopteren
    gate_floor: float          # multiplier on a co-maker-gated move without a co-maker
    chain_gate_floor: float    # multiplier on a chain-gated move without an involved chain partner


class Pushes(NamedTuple):
    """Per (organisation, theme), N x K: what instrument runs add to the month's move."""

    extra_entry: np.ndarray      # float: hazard added to entry (cleared after a month with runs)
    extra_fwd: np.ndarray        # float: hazard added to the forward move (cleared after a month with runs)
    enrolled_until: np.ndarray   # int32: month up to which enrolled in a trajectory
    enrolled_hazard: np.ndarray  # float: forward hazard while enrolled
    coached_until: np.ndarray    # int32: month up to which coached
    coached_hazard: np.ndarray   # float: forward hazard while coached
    student_until: np.ndarray    # int32: month up to which students with new skills boost the company


class Neighbours(NamedTuple):
    """What an organisation sees of its contacts (``ecosystem.NeighbourState``), kept up to date incrementally."""

    num: np.ndarray            # float N x K: tie intensity to contacts in Adopteren on the theme
    deg: np.ndarray            # float N: sum of all its tie intensities (exposure = num / deg)
    comaker: np.ndarray        # int64 N, bit t: a client-tie company at the co-maker step or beyond on theme t
    pulled: np.ndarray         # int64 N, bit t: a client tie to a client in Adopteren on theme t
    chained: np.ndarray        # int64 N, bit t: a chain-tie company at the co-maker step or beyond on theme t
    adopted: np.ndarray        # int64 N, bit t: the organisation is in Adopteren on theme t
    maker: np.ndarray          # int64 N, bit t: a company at the co-maker step or beyond on theme t
    snap: np.ndarray           # int8 N K: the stages (flattened) at the last update
    snap_words: np.ndarray     # uint64 view of ``snap`` (8 stages at a time)
    cand: np.ndarray           # int64 buffer (2 N + 8): organisations whose stages changed
    dirty: np.ndarray          # uint8 N: what of the organisation's neighbour state is stale (kernels.DIRTY_*)


class Csr(NamedTuple):
    """Symmetric ties in compressed-row form: the contacts of i are indices[indptr[i]:indptr[i + 1]]."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray           # tie intensity (or 1)


class Collab(NamedTuple):
    """Collaboration ties (made in joint activities), one entry per tie."""

    u: np.ndarray
    v: np.ndarray
    w: np.ndarray              # intensity


class Ties(NamedTuple):
    """All ties an organisation's exposure is summed over (``kernels.update_neighbours``)."""

    structural: Csr            # every structural tie, weighted by intensity
    client: Csr                # client ties (co-makers, procurement pull)
    chain: Csr                 # chain ties (partners and suppliers: the chain-partner gate)
    collab: Collab
    head: np.ndarray           # int64 N: first collaboration-list slot of each organisation (-1: none)
    nxt: np.ndarray            # int64: next slot (slot 2e is tie e seen from u[e], 2e + 1 from v[e])
    comaker_min_step: int      # step from which a company counts as co-maker
    comaker_min_w: float       # tie intensity from which a client tie counts for co-making


class Edges(NamedTuple):
    """The tie buffers (``ecosystem.Ecosystem``), with spare capacity; ties 0 .. m - 1 exist."""

    keys: np.ndarray           # int64: sorted u * n + v of all ties (u < v)
    u: np.ndarray
    v: np.ndarray
    kind: np.ndarray           # int8: ecosystem.CHAIN .. COLLAB
    base: np.ndarray           # float: the intensity a tie decays to
    w: np.ndarray              # float: current intensity


class Growth(NamedTuple):
    """Scalars of the monthly growth of organisation-hub relations (``kernels.grow_relations``)."""

    potential: float           # intensity of a known organisation (ring 4)
    partner_thr: float         # intensity from which an organisation is a partner
    ring_cut: float            # inner-ring threshold for a network organisation's constituency
    organic_rate: float        # hazard per unit of partner-contact intensity, times the connector's activity
    constituency_rate: float   # hazard for an unknown member of an inner-ring network organisation
    recruit_intensity: float   # intensity of an organisation that moved into ring 3
    network_on: bool
    decay: float               # monthly decay of a relation without activity (strong connector)
    connector_decay: float     # decay x (1 + this x (1 - connector strength))


class GrowthBuffers(NamedTuple):
    """Work arrays of ``kernels.grow_relations``, kept by the model between months (no monthly allocation: at
    national scale a fresh hazard matrix every month cost more page faults than arithmetic). ``hz``, ``via`` and
    ``flag`` are all zero between calls (the kernel clears what it wrote); the others are overwritten."""

    partner: np.ndarray        # int64 N: bit a = partner of active hub a
    inner: np.ndarray          # int64 N: bit a = a network organisation in hub a's inner rings
    pushers: np.ndarray        # int64 N: the organisations with either bit (their indices, first n_push)
    hz: np.ndarray             # float N x H: summed intensity of ties to partners of active hub a
    via: np.ndarray            # int64 N: bit a = member of an inner-ring network organisation of hub a
    flag: np.ndarray           # bool N: a candidate (hz or via set this month)


class PersonCounts(NamedTuple):
    """Persons per organisation (length N), cumulative (``PropellerModel.persons``, in this order)."""

    professionals_reached: np.ndarray
    professionals_skilled: np.ndarray
    students_reached: np.ndarray
    students_skilled: np.ndarray
    teachers_reached: np.ndarray
    students_received: np.ndarray     # students with new skills who arrived at the company (internships, jobs)
    colleagues_told: np.ndarray


class Hubs(NamedTuple):
    """The hubs (length H) as ``kernels.hub_month`` reads and writes them; instruments in month order (length I)."""

    active: np.ndarray         # bool: the hub runs this month (opened, in the run's region)
    budget: np.ndarray         # float: budget per month (euro) at funding multiplier 1
    inv_cost: np.ndarray       # float: 1 / planned cost of its planned activity per month (inf: no cost, runs at plan)
    capacity: np.ndarray       # float: staff capacity as planned (days a month)
    staff: np.ndarray          # float, written: staff capacity this month (days), grown by hiring when funding > 1
    connector: np.ndarray      # float: connector strength (staff capacity is connector-limited)
    inv_days: np.ndarray       # float: 1 / planned staff days (inf: no staff days, runs at plan)
    rates: np.ndarray          # float H x I: planned runs a month of each instrument
    recruitment: np.ndarray    # float: planned recruitments a month (ring 4 -> ring 3)
    discovery: np.ndarray      # float: planned discoveries a month (unknown -> ring 4)
    region_lo: np.ndarray      # int64: its region is organisations region_lo .. region_hi - 1
    region_hi: np.ndarray
    focus_cum: np.ndarray      # float H x (K - 1): cumulative theme focus (a run's theme by searchsorted)
    activity_level: np.ndarray  # float, written: activity as a multiple of the planned activity (budget and staff)
    spent: np.ndarray          # float, accumulated: cost of the runs held
    kpi5: np.ndarray           # int64, accumulated: KPI 5 persons the hub reached
    recruit_intensity: float   # relation intensity of a recruited organisation (ring 3)
    potential: float           # relation intensity of a discovered organisation (ring 4)
    hiring_share: float        # share of the staff that extra funding pays for which the hubs hire (0: none)
    hiring_rate: float         # share of the gap to that staff closed each month (1 / the hiring delay in months)


class Students(NamedTuple):
    """Where students of renewed education go (``kernels.place_students``)."""

    level: np.ndarray          # int8 N: school level (constants.SCHOOL_LEVELS) of a school, -1 otherwise
    intern_ptr: np.ndarray     # int64 N + 1: the internship companies of school i are
    intern_idx: np.ndarray     #   intern_idx[intern_ptr[i]:intern_ptr[i + 1]]
    region_ptr: np.ndarray     # int64 H + 1: the companies of hub region h (for a school without internship ties)
    region_idx: np.ndarray
    to_companies: float        # share of a school's students who reach a company
    boost_months: int          # months a company is boosted by the students it received
    entry_step: int            # step of a not-engaged company that received students


class Book(NamedTuple):
    """What the hubs' month adds to the model's counters."""

    run_counts: np.ndarray           # int64 I: runs held per instrument
    participants_table: np.ndarray   # int64 (Table 3.2 categories) x PERSON_CATEGORIES
    students_by_level: np.ndarray    # int64 (3,): students in renewed education, mbo / hbo / wo
    last_id: np.ndarray              # int64 (1,): the last activity id given (ids count the runs held)


LOG_ROWS = ("instrument", "hub", "month", "organisation", "theme")  # rows of the participation log

# enrolment of an instrument's participants (SPEC_DTYPE.enrol)
ENROL_NONE, ENROL_TRAJECTORY, ENROL_COACHING = 0, 1, 2

# The effect of one instrument run (``Instrument.spec``), read by ``kernels.run_one``.
SPEC_DTYPE = np.dtype([
    ("persons_mean", np.float64),      # persons per organisation (1 + Poisson(mean - 1))
    ("student_share", np.float64),     # a person is a student with this probability ...
    ("teacher_share", np.float64),     # ... else a teacher with this one, else a professional
    ("gain", np.float64),              # relation intensity gained with the hub
    ("new_tie_p", np.float64),         # probability that a co-participant meets another (new tie)
    ("p_spill", np.float64),           # probability of awareness of another theme
    ("reach_colleagues", np.float64),  # colleagues told per person
    ("reach_told", np.float64),        # chain partners told per person (become aware)
    ("reach_involved", np.float64),    # chain partners involved per person (a push one step on)
    ("h_involved", np.float64),        # forward hazard pushed onto an involved chain partner
    ("h_entry", np.float64),           # entry hazard pushed onto a not-engaged participant
    ("h_fwd", np.float64),             # forward hazard pushed onto a participant in steps fwd_lo .. fwd_hi
    ("p_skills", np.float64),          # share of persons who gain skills
    ("h_enrol", np.float64),           # next-step hazard over the enrolment (spread over its months)
    ("known_ok", np.bool_),            # ring 4 may take part (else partners only)
    ("route_mask", np.int64),          # bit r set: route r may take part (-1: any)
    ("fwd_lo", np.int64),
    ("fwd_hi", np.int64),
    ("enrol", np.int64),               # ENROL_NONE, ENROL_TRAJECTORY or ENROL_COACHING
    ("count_people", np.bool_),        # persons are counted by the shared effects (education counts its own)
    ("kpi5", np.bool_),                # every participating person counts for KPI 5
    ("meet", np.bool_),                # co-participants meet and tell their contacts (network on)
    ("entry_step", np.int64),          # step of an organisation made aware (spill-over, chain partners told)
    ("cost", np.float64),              # cost of one run (added to the hub's spending)
    ("category", np.int64),            # Table 3.2 row of its persons (-1: not counted there)
    ("students_per_participant", np.float64),  # education: students per participating school (Poisson), 0: none
])


class InstrumentData(NamedTuple):
    """One instrument as ``kernels.run_one`` reads it (built once per model)."""

    spec: np.ndarray           # SPEC_DTYPE, one record
    elig: np.ndarray           # float (steps,): eligibility of a participant by its step on the run's theme
    format_orgs: np.ndarray    # float (formats,): mean organisations per run of each format
    format_months: np.ndarray  # int64 (formats,): months enrolled in each format
    mix_cum: np.ndarray        # float H x (formats - 1): cumulative format mix per hub (no columns: one format)


class Aggregates(NamedTuple):
    """The monthly counts the outcome frames are derived from (``outcomes.Recorder``), T rows each."""

    rings: np.ndarray          # (T, H, 5): organisations per hub and level (0 unknown .. 4 = ring 1)
    by_type: np.ndarray        # (T, H, types): partners per hub and type
    joins: np.ndarray          # (T, H): cumulative joins
    leaves: np.ndarray         # (T, H): cumulative leaves
    unique: np.ndarray         # (T,): organisations that are a partner of any hub
    by_class: np.ndarray       # (T, classes): those, per innovativeness class
    by_phase: np.ndarray       # (T, phases): partner x theme pairs per phase
    adopted: np.ndarray        # (T, K): organisations in Adopteren per theme
    used: np.ndarray           # (T, H, K): production-weighted use per home region and theme (companies)
    market: np.ndarray         # (T, H, markets): production-weighted use of each goal's market share per home region
    occupancy: np.ndarray      # (T, routes, K, steps): organisations per route, theme and step
