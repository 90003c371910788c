"""Compiled inner loops (numba) for the per-month propeller move.

Why: a month touches every (organisation, theme) pair and every tie a few times. Written as numpy
expressions that is ~80 array calls a month, and on small regional populations the fixed cost of each
call dominates. One compiled pass over the same arrays does the same arithmetic without that
overhead. The rules stay where they were: the transition table is compiled to arrays by
``propeller.PropellerTable`` and read here; random numbers come from the model's numpy Generator and
are passed in, so results stay reproducible from the seed.
"""

from __future__ import annotations

import os

import numpy as np
from numba import njit, typeof

from propeller.core.state import ENROL_COACHING, ENROL_TRAJECTORY

FORWARD, SKIP, BACK, REPEAT = 0, 1, 2, 3
FIRST_ADOPTEREN = 7


# ------------------------------------------------------------------ calling a kernel
CHECK_TYPES = os.environ.get("PROPELLER_CHECK_KERNEL_TYPES") == "1"  # tests: every bound call re-checks its types


class Bound:
    """A kernel called without numba's per-call type dispatch, once typed by its first call.

    numba types every argument on every call, and a named tuple field by field in Python (about 0.25 us a field);
    the model passes its state in named groups (``state``) of ~10-20 fields, some 150 fields a month. The groups keep
    their types for a model's whole run, so a model binds each kernel it calls (one ``Bound`` per kernel and model) and
    the first call's types select the compiled code once; later calls go straight to it. So every call must pass
    arguments of exactly the first call's types: the same groups, and Python ``int``/``float``/``bool`` where the first
    call had them (cast at the call site). With PROPELLER_CHECK_KERNEL_TYPES=1 (the tests) each call is checked.
    """

    __slots__ = ("kernel", "types", "call")

    def __init__(self, kernel):
        self.kernel = kernel
        self.types = None
        self.call = None

    def __call__(self, *args):
        if self.call is None:
            if not hasattr(self.kernel, "compile"):  # not a numba dispatcher (a plain Python function)
                return self.kernel(*args)
            self.types = _types(self.kernel, args)
            self.call = self.kernel.compile(self.types)
        elif CHECK_TYPES:
            types = tuple(typeof(a) for a in args)
            if types != self.types:
                raise TypeError(f"{self.kernel.__name__}: bound to {self.types}, called with {types}")
        return self.call(*args)


_UNCACHED = object()
_TYPES: dict = {}  # (kernel, fingerprint of its arguments) -> their numba types, for the process


def _fingerprint(a):
    """What numba's ``typeof`` reads of a value, taken cheaply: equal fingerprints give equal types. An array's type
    is its dtype, dimensions, layout, writability and alignment; a tuple's (named tuples included) its class and its
    items'; a Python int's depends on its range. ``_UNCACHED`` for anything else (typed fresh each time)."""
    if isinstance(a, np.ndarray):
        f = a.flags
        return (a.dtype, a.dtype.isalignedstruct, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned)
    if isinstance(a, tuple):
        items = tuple(_fingerprint(x) for x in a)
        return _UNCACHED if any(x is _UNCACHED for x in items) else (type(a), items)
    if isinstance(a, bool | float) or a is None:
        return type(a)
    if isinstance(a, int):
        return (int, -(2**63) <= a < 2**63)
    if isinstance(a, np.generic):
        return (type(a), a.dtype, a.dtype.isalignedstruct)
    return _UNCACHED


def _types(kernel, args: tuple) -> tuple:
    """The numba types of a first call's arguments. Every model of a run passes groups of the same types, and typing
    them field by field costs ~3.5 ms a model (all hubs: 3.5 % of its run), so they are kept per fingerprint; under
    PROPELLER_CHECK_KERNEL_TYPES=1 (the tests) a kept answer is checked against a fresh ``typeof``."""
    key = _fingerprint(args)
    types = _TYPES.get((kernel, key)) if key is not _UNCACHED else None
    if types is None:
        types = tuple(typeof(a) for a in args)
        if key is not _UNCACHED:
            _TYPES[(kernel, key)] = types
    elif CHECK_TYPES and types != tuple(typeof(a) for a in args):
        raise TypeError(f"{kernel.__name__}: fingerprint {key} kept types {types}, typeof gives others")
    return types


# ------------------------------------------------------------------ random numbers
# The per-pair loops draw one uniform per (organisation, theme) a month. numba's np.random.random()
# (Mersenne Twister behind a thread-local state) costs ~15 ns a call here, more than the rest of the
# pair's arithmetic; xoshiro256+ (Blackman & Vigna 2018, the generator they recommend for floating-point
# numbers) on a 4-word state costs ~1 ns. Seeded through splitmix64 from a seed the caller draws from the
# model's numpy Generator, so runs stay reproducible from the model seed.

@njit(cache=True)
def rng_state(seed):
    """xoshiro256+ state (4 x uint64) from a 64-bit seed, expanded by splitmix64 (as the authors advise)."""
    s = np.empty(4, dtype=np.uint64)
    z = np.uint64(seed)
    for i in range(4):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        x = z
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        s[i] = x ^ (x >> np.uint64(31))
    return s


@njit(inline="always")
def uniform(s):
    """Next uniform double in [0, 1) from xoshiro256+ state ``s`` (the top 53 bits of s0 + s3)."""
    result = s[0] + s[3]
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << np.uint64(45)) | (s[3] >> np.uint64(19))
    return (result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def occurs(u, hazard_dt):
    """Whether an event with hazard x dt = ``hazard_dt`` happens, given uniform ``u``: u < 1 - exp(-x).
    Since 1 - exp(-x) <= x, u >= x already says no: most pairs (small monthly hazards) skip expm1."""
    return u < hazard_dt and u < -np.expm1(-hazard_dt)


# ------------------------------------------------------------------ neighbour state
DIRTY_SUMS, DIRTY_MASKS = 1, 2  # what of an organisation's neighbour state is stale (``dirty``, uint8 flags)

@njit(inline="always")
def _other_end(slot, cu, cv):
    """The organisation at the other end of collaboration-list slot ``slot`` (2e: tie e seen from cu[e])."""
    e = slot >> 1
    return cv[e] if slot & 1 == 0 else cu[e]


@njit(inline="always")
def _node_bits(stage, j, k, is_company, comaker_min_step):
    a = 0
    b = 0
    for t in range(k):
        s = stage[j, t]
        if s >= FIRST_ADOPTEREN:
            a |= 1 << t
        if s >= comaker_min_step:
            b |= 1 << t
    return a, (b if is_company[j] else 0)


@njit(cache=True, nogil=True)
def update_neighbours(stage, stage_words, full, is_company, is_client, nb, ties):
    """Bring the neighbour state up to date with the current stages and tie intensities, per organisation i:
    num[i, t] = sum of tie intensities to contacts in Adopteren on theme t, deg[i] = sum of all its tie
    intensities (structural ties, then collaboration ties), so exposure = num / deg; comaker[i] bit t = a
    client-tie company at comaker_min_step or beyond on t (tie intensity >= comaker_min_w); pulled[i] bit t
    = a client tie to a client (woco/gemeente) in Adopteren on t; chained[i] bit t = a chain-tie company at
    comaker_min_step or beyond on t (a chain partner involved in the innovation).

    Incremental: ``snap`` is a copy of the stages (flattened) as of the last update, compared 8 bytes at a
    time (``stage_words``/``snap_words``: uint64 views of the same memory, the tail byte by byte), so finding
    the organisations whose stages changed - whoever changed them - costs N K / 8 comparisons (``nb.cand``: a
    buffer for their indices, room for 2 N). For those,
    ``adopted``/``maker`` (bit t = theme t) are recomputed; if they changed, the organisation's contacts are
    marked ``nb.dirty`` (DIRTY_SUMS by a change in Adopteren, DIRTY_MASKS for client-tie contacts by any
    change), as are both ends of a tie that changed intensity (both flags, set by the tie kernels). Dirty
    organisations are recomputed (the flagged parts): the same sum in the same order as a full recomputation (``full``), so the
    result is identical to recomputing everyone, which a test checks month by month. Few organisations change
    in a month, so this is O(N K / 8 + changed x degree) instead of O(N K + ties K). Collaboration ties are
    reached per organisation through a linked list (``ties.head``/``ties.nxt``: slot 2e is tie e seen from
    collab.u[e], slot 2e + 1 from collab.v[e]). Groups: ``state.Neighbours``, ``state.Ties``."""
    snap, snap_words, cand, dirty = nb.snap, nb.snap_words, nb.cand, nb.dirty
    adopted, maker, num, deg, comaker, pulled = nb.adopted, nb.maker, nb.num, nb.deg, nb.comaker, nb.pulled
    chained = nb.chained
    indptr, indices, weight = ties.structural
    client_ptr, client_idx, client_w = ties.client
    chain_ptr, chain_idx = ties.chain.indptr, ties.chain.indices
    cu, cv, cw = ties.collab
    head, nxt = ties.head, ties.nxt
    comaker_min_step, comaker_min_w = ties.comaker_min_step, ties.comaker_min_w
    n, k = stage.shape
    flat = stage.reshape(-1)
    if full:
        for j in range(n):
            adopted[j], maker[j] = _node_bits(stage, j, k, is_company, comaker_min_step)
        for x in range(n * k):
            snap[x] = flat[x]
    else:
        # organisations whose stages changed (in order; one may be listed twice if its row spans two words)
        n_words = stage_words.shape[0]
        n_cand = 0
        for wi in range(n_words):
            if stage_words[wi] != snap_words[wi]:
                snap_words[wi] = stage_words[wi]
                for j in range(wi * 8 // k, min((wi * 8 + 7) // k, n - 1) + 1):
                    cand[n_cand] = j
                    n_cand += 1
        for x in range(n_words * 8, n * k):
            if flat[x] != snap[x]:
                snap[x] = flat[x]
                cand[n_cand] = x // k
                n_cand += 1
        for c in range(n_cand):
            j = cand[c]
            a, b = _node_bits(stage, j, k, is_company, comaker_min_step)
            if a == adopted[j] and b == maker[j]:
                continue
            if a != adopted[j]:  # contacts' sums change (and clients' pull)
                for p in range(indptr[j], indptr[j + 1]):
                    dirty[indices[p]] |= DIRTY_SUMS
                slot = head[j]
                while slot >= 0:
                    dirty[_other_end(slot, cu, cv)] |= DIRTY_SUMS
                    slot = nxt[slot]
            for p in range(client_ptr[j], client_ptr[j + 1]):  # client-tie contacts' co-maker / pull masks
                dirty[client_idx[p]] |= DIRTY_MASKS
            if b != maker[j]:  # chain-tie contacts' chain-partner masks
                for p in range(chain_ptr[j], chain_ptr[j + 1]):
                    dirty[chain_idx[p]] |= DIRTY_MASKS
            adopted[j] = a
            maker[j] = b
    for i in range(n):
        todo = DIRTY_SUMS | DIRTY_MASKS if full else dirty[i]
        if todo == 0:
            continue
        dirty[i] = 0
        if todo & DIRTY_MASKS:
            cm = 0
            pm = 0
            for p in range(client_ptr[i], client_ptr[i + 1]):
                j = client_idx[p]
                if client_w[p] >= comaker_min_w:
                    cm |= maker[j]
                if is_client[j]:
                    pm |= adopted[j]
            comaker[i] = cm
            pulled[i] = pm
            ch = 0
            for p in range(chain_ptr[i], chain_ptr[i + 1]):
                ch |= maker[chain_idx[p]]
            chained[i] = ch
        if not todo & DIRTY_SUMS:
            continue
        d = 0.0
        for t in range(k):
            num[i, t] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            w = weight[p]
            d += w
            a = adopted[indices[p]]
            if a:
                for t in range(k):
                    if a >> t & 1:
                        num[i, t] += w
        slot = head[i]
        while slot >= 0:
            w = cw[slot >> 1]
            d += w
            a = adopted[_other_end(slot, cu, cv)]
            if a:
                for t in range(k):
                    if a >> t & 1:
                        num[i, t] += w
            slot = nxt[slot]
        deg[i] = d


@njit(cache=True, nogil=True)
def home_partners(rel, home, thr, out):
    """out[i]: organisation i is a partner of its home region's hub (rel[i, home[i]] >= thr), the one thing the move
    reads of the relations - taken before the month's relation growth, which may run beside the move."""
    for i in range(rel.shape[0]):
        out[i] = rel[i, home[i]] >= thr


@njit(cache=True)
def clear_month(orgs, adj, extra_fwd, extra_entry, activity, took_part):
    """Clear what a month's instrument runs wrote for that month only: the participants' (``orgs``: the participation
    log's organisations) activity ids, pushes and took-part flags, and the forward push their structural contacts
    (``adj``, as given to ``hub_month``) received (``batch_common``'s reach). Nothing else writes these arrays, so
    this leaves them as clearing them whole would, at the cost of the participants instead of the population."""
    indptr, indices = adj.indptr, adj.indices
    k = extra_fwd.shape[1]
    n_h = took_part.shape[1]
    for x in range(orgs.shape[0]):
        i = orgs[x]
        activity[i] = -1
        for h in range(n_h):
            took_part[i, h] = False
        for t in range(k):
            extra_fwd[i, t] = 0.0
            extra_entry[i, t] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            for t in range(k):
                extra_fwd[j, t] = 0.0


@njit(cache=True, nogil=True)
def propeller_move(stage, month, orgs, table, nb, pushes, par, home_partner, connector, mix_share, t, dt, seed, adoptions):
    """Move every (organisation, theme) at most once by competing hazards (see PropellerTable) in calendar
    month ``month`` (0-11); the uniform draws come from xoshiro256+ seeded with ``seed`` (from the model's
    generator). Groups: ``state.Organisations``, ``state.Table``, ``state.Neighbours``, ``state.Pushes``,
    ``state.MoveParams``; ``adoptions`` (per theme) counts moves into Adopteren.

    Exposure on theme th is nb.num[i, th] / nb.deg[i] (``update_neighbours``), or the population share
    mix_share[th] when mixing is full (``mix_share`` non-empty). ``nb.comaker``/``nb.pulled``/``nb.chained`` are
    bit masks per organisation (bit th); a move that requires a co-maker (table.gate 1) is x par.gate_floor without
    one, a move that requires an involved chain partner (2) x par.chain_gate_floor without one.
    A partner of its home region's hub (``home_partner``, from ``home_partners``) whose connector is weak falls back
    faster: back x (1 + par.connector_back x (1 - connector))."""
    route, home, class_mult, is_company = orgs.route, orgs.home, orgs.class_mult, orgs.is_company
    rates, target, gate, phase_scale = table.rates[month], table.target, table.gate, table.phase_scale
    n_steps, entry_step = table.n_steps, table.entry_step
    num, deg, comaker, pulled = nb.num, nb.deg, nb.comaker, nb.pulled
    extra_entry, extra_fwd, student_until = pushes.extra_entry, pushes.extra_fwd, pushes.student_until
    enrolled_until, enrolled_hazard = pushes.enrolled_until, pushes.enrolled_hazard
    coached_until, coached_hazard = pushes.coached_until, pushes.coached_hazard
    entry_p, entry_q, connector_back = par.entry_p, par.entry_q, par.connector_back
    traj_boost, traj_back, coach_boost = par.traj_boost, par.traj_back, par.coach_boost
    student_boost, procurement_boost, gate_floor = par.student_boost, par.procurement_boost, par.gate_floor
    chain_floor = par.chain_gate_floor
    chained = nb.chained
    rs = rng_state(seed)
    n, k = stage.shape
    mixed = mix_share.shape[0] > 0
    h = np.zeros(4)
    for i in range(n):
        r = route[i]
        hub = home[i]
        back_scale = 1.0 + connector_back * (1.0 - connector[hub]) if home_partner[i] else 1.0
        inv_deg = 1.0 / deg[i] if deg[i] > 0 else 0.0
        cm_bits = comaker[i]
        ch_bits = chained[i]
        pull_bits = pulled[i] if is_company[i] else 0
        for th in range(k):
            s = stage[i, th]
            if s == 0:  # entry: p + q * exposure (Bass), plus instrument pushes
                exposure = mix_share[th] if mixed else num[i, th] * inv_deg
                hz = (entry_p + entry_q * exposure) * class_mult[i] + extra_entry[i, th]
                if occurs(uniform(rs), hz * dt):
                    stage[i, th] = entry_step
                    if entry_step >= FIRST_ADOPTEREN:
                        adoptions[th] += 1
                continue
            row = r * n_steps + s
            enrolled = enrolled_until[i, th] > t
            coached = coached_until[i, th] > t
            fm = class_mult[i] * phase_scale[s]
            if pull_bits >> th & 1:
                fm *= 1.0 + procurement_boost
            if enrolled and 3 <= s < FIRST_ADOPTEREN:
                fm *= traj_boost
            if coached and s >= FIRST_ADOPTEREN - 1:
                fm *= coach_boost
            if student_until[i, th] > t:
                fm *= 1.0 + student_boost
            push = extra_fwd[i, th]
            if enrolled:
                push += enrolled_hazard[i, th]
            if coached:
                push += coached_hazard[i, th]
            has_comaker = cm_bits >> th & 1
            has_chain = ch_bits >> th & 1
            total = 0.0
            for kind in range(4):
                v = rates[row, kind]
                if kind == FORWARD:
                    v = v * fm + (push if v > 0 else 0.0)
                elif kind == SKIP:
                    v *= fm
                elif kind == BACK:
                    v *= back_scale * (traj_back if enrolled else 1.0)
                g = gate[row, kind]
                if g == 1 and not has_comaker:
                    v *= gate_floor
                elif g == 2 and not has_chain:
                    v *= chain_floor
                h[kind] = v
                total += v
            if total <= 0 or not occurs(uniform(rs), total * dt):
                continue
            pick = uniform(rs) * total
            acc = 0.0
            chosen = 3
            for kind in range(4):
                acc += h[kind]
                if pick < acc:
                    chosen = kind
                    break
            new = target[row, chosen]
            if s < FIRST_ADOPTEREN <= new:
                adoptions[th] += 1
            stage[i, th] = new


@njit(cache=True)
def batch_common(sel, sizes, h, theme, spec, rel, thr, activity, first_id, stage, orgs, adj, persons, pushes,
                 persons_out, pairs, p0):
    """Effects every instrument run has (``sel`` = the runs' participants back to back, ``sizes`` the runs'
    group sizes), drawn from numba's generator (seeded by ``hub_month``):
    - persons per organisation (1 + Poisson(spec.persons_mean - 1), written to ``persons_out``); each person
      is a student (spec.student_share) or else a teacher (spec.teacher_share) or else a professional;
      students and teachers are counted at an education organisation of the run (none: counted in the
      totals only), professionals at their own (``persons``, ``state.PersonCounts``);
    - the relation to hub h intensifies (at least ring 3: taking part makes a partner);
    - co-participants share an activity id and meet (a new tie with probability spec.new_tie_p, written
      to pairs[:, p0:], which has room for one pair per participant);
    - spill-over: with spec.p_spill, awareness of another theme [003 L3121];
    - reach beyond the participants [003 L2966-2989]: colleagues told, chain partners told (become
      aware) and involved (a push one step further, ``pushes.extra_fwd``) over structural ties ``adj``.
    ``spec``: one ``state.SPEC_DTYPE`` record. Returns (new-tie pairs written, professionals, students, teachers)."""
    gain, meet_on, new_tie_p, p_spill = spec.gain, spec.meet, spec.new_tie_p, spec.p_spill
    entry_step, count_people, persons_mean = spec.entry_step, spec.count_people, spec.persons_mean
    student_share, teacher_share = spec.student_share, spec.teacher_share
    reach_colleagues, reach_told, reach_involved = spec.reach_colleagues, spec.reach_told, spec.reach_involved
    h_involved = spec.h_involved
    is_edu = orgs.is_edu
    prof_reached, students_reached = persons.professionals_reached, persons.students_reached
    teachers_reached, colleagues_told = persons.teachers_reached, persons.colleagues_told
    indptr, indices, extra_fwd = adj.indptr, adj.indices, pushes.extra_fwd
    n = sel.shape[0]
    n_themes = stage.shape[1]
    edu = np.empty(n, dtype=np.int64)
    n_edu = 0
    for x in range(n):
        if is_edu[sel[x]]:
            edu[n_edu] = sel[x]
            n_edu += 1
    prof = 0
    students = 0
    teachers = 0
    for x in range(n):
        i = sel[x]
        k = 1 + (np.random.poisson(persons_mean - 1.0) if persons_mean > 1.0 else 0)
        persons_out[x] = k
        if not count_people:  # the instrument counts its own people (education: students per run)
            continue
        for _ in range(k):
            if np.random.random() < student_share:
                students += 1
                if n_edu > 0:
                    students_reached[edu[np.random.randint(0, n_edu)]] += 1
            elif np.random.random() < teacher_share:
                teachers += 1
                if n_edu > 0:
                    teachers_reached[edu[np.random.randint(0, n_edu)]] += 1
            else:
                prof += 1
                prof_reached[i] += 1
    n_pairs = 0
    pos = 0
    for r in range(sizes.shape[0]):
        k = sizes[r]
        for q in range(k):
            i = sel[pos + q]
            v = rel[i, h] + gain
            if v < thr:
                v = thr
            if v > 1.0:
                v = 1.0
            rel[i, h] = v
            activity[i] = first_id + r
            if meet_on and k > 1 and np.random.random() < new_tie_p:
                shift = 1 + np.random.randint(0, k - 1)
                pairs[0, p0 + n_pairs] = i
                pairs[1, p0 + n_pairs] = sel[pos + (q + shift) % k]
                n_pairs += 1
        pos += k
    for x in range(n):
        i = sel[x]
        if np.random.random() < p_spill:
            o = (theme + np.random.randint(1, n_themes)) % n_themes
            if stage[i, o] == 0:
                stage[i, o] = entry_step
        if reach_colleagues > 0:
            colleagues_told[i] += np.random.poisson(reach_colleagues * persons_out[x])
        if not meet_on:
            continue
        start = indptr[i]
        deg = indptr[i + 1] - start
        if deg == 0:
            continue
        if reach_told > 0:
            for _ in range(np.random.poisson(reach_told * persons_out[x])):
                j = indices[start + np.random.randint(0, deg)]
                if stage[j, theme] == 0:
                    stage[j, theme] = entry_step
        if reach_involved > 0:
            for _ in range(np.random.poisson(reach_involved * persons_out[x])):
                j = indices[start + np.random.randint(0, deg)]
                if stage[j, theme] > 0:
                    extra_fwd[j, theme] += h_involved
    return n_pairs, prof, students, teachers


@njit(cache=True, nogil=True)
def grow_relations(rel, active, connector, growth, is_ngo, adj, collab, members, took_part, seed, buf):
    """One month of the organisation-hub relations of the ``active`` hubs (columns of ``rel``): decay without
    activity, at growth.decay x (1 + growth.connector_decay x (1 - connector)) (lapsed partners stay in ring 4);
    a relation with activity this month (``took_part[i, h]``: i took part in a run of hub h) does not decay, so a
    participant lifted to the ring-3 floor ends its month a partner (taking part makes a partner [003 L2796-2803]);
    then, from the decayed state, each organisation outside a hub moves one ring inward (unknown -> ring 4,
    ring 4 -> partner) with a hazard from its partner contacts (organic growth, times the connector's strength,
    over the structural ties ``adj`` and the collaboration ties ``collab``) plus, for unknown ones, from
    membership (``members``) of an inner-ring network organisation (constituency). ``growth``: ``state.Growth``.
    Draws: one uniform per candidate (organisation, hub) from xoshiro256+ seeded with ``seed`` (``uniform``;
    thousands of candidates a month). ``buf``: ``state.GrowthBuffers`` (the hazards are summed only for the
    contacts of partners and the members of inner-ring network organisations, the candidates; only they are
    visited, in index order, so the draws are those of a pass over everyone)."""
    potential, thr, ring_cut = growth.potential, growth.partner_thr, growth.ring_cut
    organic_rate, constituency_rate = growth.organic_rate, growth.constituency_rate
    recruit_intensity, network_on = growth.recruit_intensity, growth.network_on
    indptr, indices, weight = adj
    cu, cv, cw = collab
    m_ptr, m_idx = members.indptr, members.indices
    act = np.flatnonzero(active)
    connector_act = np.empty(act.shape[0])
    decay = np.empty(act.shape[0])
    for a in range(act.shape[0]):
        connector_act[a] = connector[act[a]]
        decay[a] = growth.decay * (1.0 + growth.connector_decay * (1.0 - connector[act[a]]))
    rs = rng_state(seed)
    n = rel.shape[0]
    n_act = act.shape[0]
    # decay, and per organisation, bit a: partner of active hub a / a network organisation in its inner rings
    # (constituency); the partners and inner-ring network organisations are listed (few of all organisations)
    partner, inner, pushers, hz, via, flag = buf.partner, buf.inner, buf.pushers, buf.hz, buf.via, buf.flag
    n_push = 0
    for j in range(n):
        pm = 0
        im = 0
        for a in range(n_act):
            h = act[a]
            r = rel[j, h]
            if r > 0 and not took_part[j, h]:
                r *= 1.0 - decay[a]
                if r < potential:
                    r = potential
                rel[j, h] = r
            if r >= thr:
                pm |= 1 << a
            if r >= ring_cut:
                im |= 1 << a
        partner[j] = pm
        inner[j] = im if is_ngo[j] else 0
        if pm or inner[j]:
            pushers[n_push] = j
            n_push += 1
    if not network_on:
        return
    # organic hazard: the intensity of ties to partners of each hub, pushed from the partners along their ties
    # (the structural ties are symmetric: row j lists j's contacts); constituency: from inner-ring network
    # organisations to their members
    for x in range(n_push):
        j = pushers[x]
        mk = partner[j]
        if mk:
            for p in range(indptr[j], indptr[j + 1]):
                i = indices[p]
                w = weight[p]
                flag[i] = True
                for a in range(n_act):
                    if mk >> a & 1:
                        hz[i, a] += w
        im = inner[j]
        if im:
            for p in range(m_ptr[j], m_ptr[j + 1]):
                i = m_idx[p]
                via[i] |= im
                flag[i] = True
    for e in range(cu.shape[0]):
        x, y, w = cu[e], cv[e], cw[e]
        mx, my = partner[x], partner[y]
        if mx | my:
            flag[x] = True
            flag[y] = True
            for a in range(n_act):
                if my >> a & 1:
                    hz[x, a] += w
                if mx >> a & 1:
                    hz[y, a] += w
    for i in range(n):  # everyone else has no hazard (and takes no draw)
        if not flag[i]:
            continue
        flag[i] = False
        vi = via[i]
        via[i] = 0
        for a in range(n_act):
            h = act[a]
            hz_i = hz[i, a]
            hz[i, a] = 0.0
            v = rel[i, h]
            if v >= thr:
                continue
            hz_ia = hz_i * organic_rate * connector_act[a]
            if vi >> a & 1 and v <= 0:  # constituency brings unknown organisations in
                hz_ia += constituency_rate
            if hz_ia > 0 and occurs(uniform(rs), hz_ia):
                rel[i, h] = recruit_intensity if v > 0 else potential


@njit(cache=True)
def insert_ties(a, b, n_nodes, edges, m, intensity, collab_kind, n_static, head, nxt, dirty):
    """Append a collaboration tie for each pair (a[x], b[x]) not yet linked (any kind), in the order of the
    pairs (a repeated pair counts once, at its first occurrence), keeping ``edges.keys`` (u * n + v, u < v)
    sorted; the buffers (``state.Edges``) have room for all pairs. Each new tie is linked into both ends'
    collaboration lists (``head``/``nxt``, see ``update_neighbours``) and both ends are marked ``dirty``. The
    month's pairs are sorted once and merged into the keys from the back: O(B log B + B log M + M) for B pairs
    and M ties, not a shift of the key array per new tie. Returns the edge count."""
    keys, u, v, kind, base, w = edges
    nb = a.shape[0]
    bk = np.empty(nb, dtype=np.int64)
    for x in range(nb):
        lo, hi = min(a[x], b[x]), max(a[x], b[x])
        bk[x] = lo * n_nodes + hi if lo != hi else -1
    order = np.argsort(bk, kind="mergesort")  # stable: among equal keys the first pair comes first
    fresh = np.zeros(nb, dtype=np.bool_)
    new_keys = np.empty(nb, dtype=np.int64)
    n_new = 0
    prev = -1
    for q in range(nb):
        x = order[q]
        key = bk[x]
        if key < 0 or key == prev:
            continue
        prev = key
        pos = np.searchsorted(keys[:m], key)
        if pos < m and keys[pos] == key:
            continue
        fresh[x] = True
        new_keys[n_new] = key
        n_new += 1
    m0 = m
    for x in range(nb):
        if not fresh[x]:
            continue
        lo, hi = min(a[x], b[x]), max(a[x], b[x])
        u[m] = lo
        v[m] = hi
        kind[m] = collab_kind
        base[m] = 0.0
        w[m] = intensity
        e = m - n_static
        nxt[2 * e] = head[lo]
        head[lo] = 2 * e
        nxt[2 * e + 1] = head[hi]
        head[hi] = 2 * e + 1
        dirty[lo] = DIRTY_SUMS | DIRTY_MASKS
        dirty[hi] = DIRTY_SUMS | DIRTY_MASKS
        m += 1
    i = m0 - 1  # merge the new keys (sorted, none present) into keys[:m0], from the back
    j = n_new - 1
    for k in range(m0 + n_new - 1, -1, -1):
        if j < 0:
            break
        if i >= 0 and keys[i] > new_keys[j]:
            keys[k] = keys[i]
            i -= 1
        else:
            keys[k] = new_keys[j]
            j -= 1
    return m


@njit(cache=True)
def tie_positions(perm, n_static):
    """Where each structural tie sits in a weighted view's data (``perm``: the tie at each position): slots[0, e] its
    first position, slots[1, e] its second (a tie is listed in both directions), -1 where it is not in the view. One
    pass; the same as the positions of tie e in a stable argsort of ``perm``."""
    slots = np.full((2, n_static), -1, dtype=np.int64)
    for p in range(perm.shape[0]):
        e = perm[p]
        if slots[0, e] < 0:
            slots[0, e] = p
        else:
            slots[1, e] = p
    return slots


@njit(cache=True)
def update_tie_weights(u, v, w, base, activity, intensify, decay, n_static, dirty, all_data, all_slots, client_data,
                       client_slots):
    """Joint participation (same activity id) intensifies a tie; otherwise it decays towards its base
    (and rests there once within 1e-9). Both ends of a tie that changed are marked ``dirty`` (their sums; a client
    tie's also their co-maker masks, the only masks that read a tie's intensity), and a structural
    tie (e < n_static) that changed is written into the data of the weighted views of all structural ties and of
    the client ties at its positions (``*_slots``: 2 x n_static, -1 where the tie is not in the view).
    Returns (whether a structural tie changed, whether every tie now rests at its base)."""
    static_changed = False
    at_base = True
    for e in range(u.shape[0]):
        a = activity[u[e]]
        old = w[e]
        if a >= 0 and a == activity[v[e]]:
            w[e] += intensify * (1.0 - w[e])
        elif old != base[e]:
            w[e] -= decay * (w[e] - base[e])
            if abs(w[e] - base[e]) < 1e-9:
                w[e] = base[e]
        if w[e] != old:
            # the sums read every tie's intensity; the co-maker mask only client ties' (client_slots >= 0)
            stale = DIRTY_SUMS | DIRTY_MASKS if e < n_static and client_slots[0, e] >= 0 else DIRTY_SUMS
            dirty[u[e]] |= stale
            dirty[v[e]] |= stale
            if e < n_static:
                static_changed = True
                for d in range(2):
                    all_data[all_slots[d, e]] = w[e]
                    if client_slots[d, e] >= 0:
                        client_data[client_slots[d, e]] = w[e]
        if w[e] != base[e]:
            at_base = False
    return static_changed, at_base


@njit(cache=True)
def select_participants(rel_col, cand, known_ok, thr, route_mask, stage_col, elig, orgs, total):
    """Draw up to ``total`` participants among the organisations ``cand`` (those the hub knows, in index order)
    by successive weighted draws without replacement (numba's generator, seeded by the caller), weight =
    eligibility(step on the theme) x class weight x (0.5 + relation) x funding factor (``orgs``:
    ``state.Organisations``). ``known_ok``: ring 4 may take part (events); ``route_mask`` (bit r: route r; -1 any) restricts the
    routes. The order of the result is the order of the draws (``draw_without_replacement``)."""
    route, class_weight, cls, small_factor = orgs.route, orgs.class_weight, orgs.cls, orgs.small_factor
    n = cand.shape[0]
    idx = np.empty(n, dtype=np.int64)
    cum = np.empty(n)
    c = 0
    acc = 0.0
    for x in range(n):
        i = cand[x]
        r = rel_col[i]
        if r <= 0 or (not known_ok and r < thr):
            continue
        if not (route_mask >> route[i]) & 1:
            continue
        w = elig[stage_col[i]] * class_weight[cls[i]] * (0.5 + r) * small_factor[i]
        if w <= 0:
            continue
        acc += w
        idx[c] = i
        cum[c] = acc
        c += 1
    return draw_without_replacement(idx, cum, c, min(total, c))


@njit(cache=True)
def draw_without_replacement(idx, cum, c, take):
    """``take`` of the ``c`` candidates idx[:c] (cumulative weights cum[:c]) by successive weighted
    draws without replacement, in draw order (numba's generator). A small group from a large pool by
    rejection (draw from all weights, redraw a repeat: exactly the successive-draw distribution, one
    binary search per draw, no per-candidate logarithms); half the pool or more by Gumbel keys
    (log w + Gumbel noise, largest first)."""
    out = np.empty(take, dtype=np.int64)
    if take == 0:
        return out
    acc = cum[c - 1]
    if 2 * take < c:
        chosen = np.zeros(c, dtype=np.bool_)
        q = 0
        tries = 0
        while q < take and tries < 50 * take + 1000:  # the cap is never reached at these weight ratios
            tries += 1
            x = np.searchsorted(cum[:c], np.random.random() * acc, side="right")
            if x >= c or chosen[x]:
                continue
            chosen[x] = True
            out[q] = idx[x]
            q += 1
        if q == take:
            return out
    keys = np.empty(c)
    prev = 0.0
    for x in range(c):
        keys[x] = np.log(cum[x] - prev) - np.log(-np.log(np.random.random()))
        prev = cum[x]
    order = np.argsort(-keys)
    for q in range(take):
        out[q] = idx[order[q]]
    return out


@njit(cache=True)
def recruit(rel, lo, hi, h, n_recruit, n_discover, thr, recruit_intensity, potential, orgs, idx, cum):
    """Targeted recruitment by hub ``h`` in its region rel[lo:hi]: ``n_recruit`` ring-4 organisations
    come into ring 3 (``recruit_intensity``), then ``n_discover`` unknown ones become known (ring 4,
    ``potential``); both drawn by weight = class weight x funding factor (small organisations), from
    ``orgs`` (``state.Organisations``), with numba's generator (seeded by ``hub_month``). ``idx``/``cum``:
    workspace with room for the region."""
    class_weight, cls, small_factor = orgs.class_weight, orgs.cls, orgs.small_factor
    for discover in (False, True):
        want = n_discover if discover else n_recruit
        new = potential if discover else recruit_intensity
        if want == 0:
            continue
        c = 0
        acc = 0.0
        for i in range(lo, hi):
            r = rel[i, h]
            if (r == 0.0) if discover else (0.0 < r < thr):
                w = class_weight[cls[i]] * small_factor[i]
                if w > 0:
                    acc += w
                    idx[c] = i
                    cum[c] = acc
                    c += 1
        for i in draw_without_replacement(idx, cum, c, min(want, c)):
            rel[i, h] = new


@njit(cache=True, nogil=True)
def aggregate_month(t, stage, rel, thr, otype, cls, route, home, wprod, wmarket, market_mask, use, step_phase, was,
                    agg):
    """All counts the outcome frames need for month ``t``, in one pass over the current state
    (stage N x K, relation N x H), written into row t of the preallocated arrays of ``agg``
    (``state.Aggregates``): rings per hub (by level 0 unknown .. 4 = ring 1), partners per hub x type,
    cumulative joins/leaves per hub (``was`` carries last month's partner flags), organisations that are
    partners anywhere (and their innovativeness class), partner x theme pairs per phase, organisations in
    Adopteren per theme, production-weighted use per home region and theme (``wprod`` = a company's production
    weight, 0 for other organisations; ``use`` is 0 before Adopteren), the production-weighted use of each market
    share of the sector goals per home region (``wmarket`` = weight in the market's output; a market counts an
    organisation's smallest use over the themes ``market_mask`` selects: the part of its production that uses them
    all; one in Adopteren on no theme adds 0 to a market that selects a theme, and is skipped), and occupancy
    (route x theme x step). Counting monthly keeps memory flat however long the run (no snapshots of the whole
    state). The counts go into row-t views first (one indexing level less in the inner loops)."""
    rings, by_type, joins, leaves, unique = agg.rings, agg.by_type, agg.joins, agg.leaves, agg.unique
    by_class, by_phase, adopted, used, occupancy = agg.by_class, agg.by_phase, agg.adopted, agg.used, agg.occupancy
    market = agg.market
    n, n_k = stage.shape
    n_m = market_mask.shape[0]
    n_h = rel.shape[1]
    rings_t, by_type_t, joins_t, leaves_t = rings[t], by_type[t], joins[t], leaves[t]
    by_class_t, by_phase_t, adopted_t, used_t, occ_t = by_class[t], by_phase[t], adopted[t], used[t], occupancy[t]
    market_t = market[t]
    if t > 0:
        for h in range(n_h):
            joins_t[h] = joins[t - 1, h]
            leaves_t[h] = leaves[t - 1, h]
    thr0, thr1, thr2 = thr[0], thr[1], thr[2]
    any_theme = np.zeros(n_m, dtype=np.bool_)  # a market that selects no theme counts everyone's whole weight
    for j in range(n_m):
        for k in range(n_k):
            if market_mask[j, k]:
                any_theme[j] = True
    n_unique = 0
    for i in range(n):
        anyp = False
        for h in range(n_h):
            r = rel[i, h]
            if r <= 0:  # unknown to the hub (most organisation-hub pairs): counted as n minus the rest below
                if was[i, h]:
                    if t > 0:
                        leaves_t[h] += 1
                    was[i, h] = False
                continue
            lvl = 1
            if r >= thr2:
                lvl = 2
                if r >= thr1:
                    lvl = 3
                    if r >= thr0:
                        lvl = 4
            rings_t[h, lvl] += 1
            now = lvl >= 2
            if now:
                anyp = True
                by_type_t[h, otype[i]] += 1
            if now != was[i, h]:
                if t > 0:
                    if now:
                        joins_t[h] += 1
                    else:
                        leaves_t[h] += 1
                was[i, h] = now
        if anyp:
            n_unique += 1
            by_class_t[cls[i]] += 1
        occ = occ_t[route[i]]
        r_home = home[i]
        w = wprod[i]
        in_adopteren = False
        for k in range(n_k):
            s = stage[i, k]
            occ[k, s] += 1
            if s >= FIRST_ADOPTEREN:
                in_adopteren = True
                adopted_t[k] += 1
                used_t[r_home, k] += w * use[s]
            if anyp:
                by_phase_t[step_phase[s]] += 1
        wm = wmarket[i]
        if wm > 0.0:
            for j in range(n_m):
                if any_theme[j] and not in_adopteren:  # its least use is 0
                    continue
                least = 1.0
                for k in range(n_k):
                    if market_mask[j, k]:
                        u = use[stage[i, k]]
                        if u < least:
                            least = u
                market_t[r_home, j] += wm * least
    for h in range(n_h):
        known = 0
        for lvl in range(1, 5):
            known += rings_t[h, lvl]
        rings_t[h, 0] += n - known
    unique[t] += n_unique

@njit(cache=True)
def _rows(a, need):
    """``a`` (rows x capacity) with room for ``need`` columns: itself, or a copy twice as wide."""
    if need <= a.shape[1]:
        return a
    b = np.empty((a.shape[0], max(need, 2 * a.shape[1])), dtype=a.dtype)
    b[:, : a.shape[1]] = a
    return b


@njit(cache=True)
def place(school, theme, n_students, t, students, home, stage, student_until, received):
    """Part of a school's ``n_students`` with new skills on ``theme`` reach companies (Binomial with
    students.to_companies): each goes to one of the school's internship companies, or, without any, of its
    region's companies (uniformly); a company that receives students is boosted for students.boost_months on
    the theme, and becomes aware of it if it was not engaged [003 L5437-5441, L7019-7021]. numba's generator."""
    reach = np.random.binomial(n_students, students.to_companies)
    if reach == 0:
        return
    pool = students.intern_idx
    lo, hi = students.intern_ptr[school], students.intern_ptr[school + 1]
    if hi == lo:
        pool = students.region_idx
        lo, hi = students.region_ptr[home[school]], students.region_ptr[home[school] + 1]
        if hi == lo:
            return
    until = t + students.boost_months
    for _ in range(reach):
        c = pool[lo + int(np.random.random() * (hi - lo))]
        received[c] += 1
        student_until[c, theme] = until
        if stage[c, theme] == 0:
            stage[c, theme] = students.entry_step


@njit(cache=True)
def place_students(seed, schools, theme, counts, t, students, home, stage, student_until, received):
    """``place`` for each school of ``schools`` with its ``counts`` of students (the yearly intake of renewed
    education, ``Couplings.school_intake``); numba's generator seeded with ``seed`` (from the model's)."""
    np.random.seed(seed)
    for x in range(schools.shape[0]):
        place(schools[x], theme, counts[x], t, students, home, stage, student_until, received)


@njit(cache=True)
def run_one(h, n_runs, inst, focus_cum, known, orgs, rel, thr, stage, activity, first_id, t, adj, persons, pushes, students,
            book, log, n_log, pairs, n_pairs, code):
    """All ``n_runs`` runs of instrument number ``code`` at hub ``h`` in one month (numba's generator).

    Per run a theme (hub focus, ``focus_cum``) and a format (group size, months enrolled; inst.mix_cum[h] the hub's
    format mix, no columns: one format) are drawn; runs on the same theme draw their participants together
    (``select_participants``, among ``known``: the organisations the hub knows), then the shared effects
    (``batch_common``) and the instrument's own effect, which is data (``inst``: ``state.InstrumentData``, its
    ``spec`` a ``state.SPEC_DTYPE`` record, see ``Instrument.spec``): a push into Agenderen for the not engaged
    (spec.h_entry), a push one step forward in steps [spec.fwd_lo, spec.fwd_hi] (spec.h_fwd), enrolment in a
    trajectory or coaching (months of the format; the next-step hazard spec.h_enrol spread over them, ``pushes``),
    professionals skilled (Binomial(persons, spec.p_skills)), KPI 5 (all persons counted, or the students of renewed
    education), and for education the students per school (Poisson(spec.students_per_participant), teachers
    Binomial(students, spec.teacher_share)) who then reach companies (``place``).

    Books into ``book`` (``state.Book``: runs, Table 3.2 persons, students by level, activity ids) and appends the
    participants to ``log`` (``state.LOG_ROWS`` x capacity, from column n_log) and the new-tie pairs to ``pairs`` (2
    x capacity, from column n_pairs), either grown when full. Returns (log, n_log, pairs, n_pairs, KPI 5 persons,
    cost of the runs held)."""
    spec = inst.spec[0]
    elig, fmt_orgs, fmt_months = inst.elig, inst.format_orgs, inst.format_months
    fmt_cum = inst.mix_cum[h]
    prof_skilled = persons.professionals_skilled
    extra_entry, extra_fwd = pushes.extra_entry, pushes.extra_fwd
    enrolled_until, enrolled_hazard = pushes.enrolled_until, pushes.enrolled_hazard
    coached_until, coached_hazard = pushes.coached_until, pushes.coached_hazard
    n, n_themes = stage.shape
    themes = np.empty(n_runs, dtype=np.int64)
    fmts = np.empty(n_runs, dtype=np.int64)
    for r in range(n_runs):
        themes[r] = np.searchsorted(focus_cum, np.random.random(), side="right")
    for r in range(n_runs):
        fmts[r] = np.searchsorted(fmt_cum, np.random.random(), side="right") if fmt_cum.shape[0] > 0 else 0
    done = 0
    prof_all = 0
    students_all = 0
    teachers_all = 0
    kpi5 = 0
    next_id = first_id
    for theme in range(n_themes):
        wanted = 0
        n_th = 0
        for r in range(n_runs):
            if themes[r] == theme:
                n_th += 1
        if n_th == 0:
            continue
        want = np.empty(n_th, dtype=np.int64)
        fmt_th = np.empty(n_th, dtype=np.int64)
        q = 0
        for r in range(n_runs):
            if themes[r] == theme:
                mean = fmt_orgs[fmts[r]] - 1.0
                want[q] = 1 + (np.random.poisson(mean) if mean > 0 else 0)
                fmt_th[q] = fmts[r]
                wanted += want[q]
                q += 1
        sel = select_participants(rel[:, h], known, spec.known_ok, thr, spec.route_mask, stage[:, theme], elig, orgs,
                                  wanted)
        m = sel.shape[0]
        if m == 0:
            continue
        sizes = np.empty(n_th, dtype=np.int64)
        left = m
        n_r = 0
        for q in range(n_th):
            if left <= 0:
                break
            sizes[q] = min(want[q], left)
            left -= sizes[q]
            n_r += 1
        sizes = sizes[:n_r]
        persons_out = np.empty(m, dtype=np.int64)
        pairs = _rows(pairs, n_pairs + m)
        added, prof, st, te = batch_common(sel, sizes, h, theme, spec, rel, thr, activity, next_id, stage, orgs, adj,
                                           persons, pushes, persons_out, pairs, n_pairs)
        n_pairs += added
        next_id += n_r
        # the instrument's own effect
        pos = 0
        for q in range(n_r):
            months = fmt_months[fmt_th[q]]
            for x in range(pos, pos + sizes[q]):
                i = sel[x]
                s = stage[i, theme]
                if s == 0:
                    extra_entry[i, theme] += spec.h_entry
                if spec.fwd_lo <= s <= spec.fwd_hi:
                    extra_fwd[i, theme] += spec.h_fwd
                if spec.p_skills > 0:
                    prof_skilled[i] += np.random.binomial(persons_out[x], spec.p_skills)
                if spec.enrol == ENROL_TRAJECTORY:
                    enrolled_until[i, theme] = max(enrolled_until[i, theme], t + months)
                    enrolled_hazard[i, theme] = spec.h_enrol / max(months, 1)
                elif spec.enrol == ENROL_COACHING:
                    coached_until[i, theme] = max(coached_until[i, theme], t + months)
                    coached_hazard[i, theme] = spec.h_enrol / max(months, 1)
            pos += sizes[q]
        if spec.kpi5:
            kpi5 += prof + st + te
        if spec.students_per_participant > 0:  # renewed education: students per school, teachers with them
            for x in range(m):
                i = sel[x]
                n_st = np.random.poisson(spec.students_per_participant)
                n_te = np.random.binomial(n_st, spec.teacher_share)
                persons.students_reached[i] += n_st
                persons.students_skilled[i] += n_st
                persons.teachers_reached[i] += n_te
                st += n_st
                te += n_te
                kpi5 += n_st
                if students.level[i] >= 0:
                    book.students_by_level[students.level[i]] += n_st
                place(i, theme, n_st, t, students, orgs.home, stage, pushes.student_until, persons.students_received)
        log = _rows(log, n_log + m)
        for x in range(m):
            log[0, n_log + x] = code
            log[1, n_log + x] = h
            log[2, n_log + x] = t
            log[3, n_log + x] = sel[x]
            log[4, n_log + x] = theme
        n_log += m
        done += n_r
        prof_all += prof
        students_all += st
        teachers_all += te
    if done > 0:
        book.run_counts[code] += done
        book.last_id[0] += done
        cat = spec.category
        if cat >= 0:
            if spec.count_people:
                book.participants_table[cat, 0] += prof_all
            book.participants_table[cat, 1] += students_all
            book.participants_table[cat, 2] += teachers_all
    return log, n_log, pairs, n_pairs, kpi5, spec.cost * done


@njit(cache=True)
def hub_month(seed, t, funding, hubs, insts, orgs, rel, thr, stage, activity, adj, persons, pushes, students, book,
              log, pairs):
    """The hubs' month in one compiled call, numba's generator seeded with ``seed`` (from the model's).

    Each hub's activity level is what its budget (times ``funding``) and its connector-limited staff allow, as a
    multiple of its planned activity (0 for a hub not active; a plan without cost or staff days is not limited by
    them): extra money buys extra activity as far as staff allow. During the month staff move towards the planned
    capacity x (1 + hiring_share x (funding - 1)) when funding exceeds 1, and back to the planned capacity
    otherwise, closing ``hiring_rate`` of the gap (next month's staff). Each active hub, in hub order, then runs
    each instrument of ``insts`` (``state.InstrumentData``, in month order) Poisson(rate x level) times (``run_one``)
    and recruits and discovers Poisson(planned x level) organisations (``recruit``). ``hubs``: ``state.Hubs``.

    Returns (whether any run was held, log, participants logged, pairs, new-tie pairs): ``log`` and ``pairs``
    are the buffers passed in, or grown copies."""
    np.random.seed(seed)
    n_hubs = hubs.active.shape[0]
    known = np.empty(rel.shape[0], dtype=np.int64)
    for h in range(n_hubs):
        if not hubs.active[h]:
            hubs.activity_level[h] = 0.0
            continue
        # a plan that costs nothing (or takes no staff days) is not limited by money (or staff): it runs as planned
        by_budget = 1.0 if hubs.inv_cost[h] == np.inf else hubs.budget[h] * funding * hubs.inv_cost[h]
        by_staff = 1.0 if hubs.inv_days[h] == np.inf else hubs.staff[h] * hubs.connector[h] * hubs.inv_days[h]
        hubs.activity_level[h] = max(min(by_budget, by_staff), 0.0)
        # hiring (or letting go) during the month: the staff of next month
        wanted = hubs.capacity[h] * (1.0 + hubs.hiring_share * max(funding - 1.0, 0.0))
        hubs.staff[h] += (wanted - hubs.staff[h]) * hubs.hiring_rate
    n_log = 0
    n_pairs = 0
    ran = False
    for h in range(n_hubs):
        if not hubs.active[h]:
            continue
        level = hubs.activity_level[h]
        n_known = 0  # the organisations the hub knows (relation > 0), once for its month: none is forgotten in it
        for i in range(known.shape[0]):
            if rel[i, h] > 0:
                known[n_known] = i
                n_known += 1
        for code in range(len(insts)):
            n_runs = np.random.poisson(hubs.rates[h, code] * level)
            if n_runs == 0:
                continue
            log, n_log, pairs, n_pairs, kpi5, cost = run_one(
                h, n_runs, insts[code], hubs.focus_cum[h], known[:n_known], orgs, rel, thr, stage, activity, book.last_id[0] + 1, t,
                adj, persons, pushes, students, book, log, n_log, pairs, n_pairs, code)
            hubs.kpi5[h] += kpi5
            hubs.spent[h] += cost
            ran = True
        n_recruit = np.random.poisson(hubs.recruitment[h] * level)
        n_discover = np.random.poisson(hubs.discovery[h] * level)
        if n_recruit or n_discover:
            lo, hi = hubs.region_lo[h], hubs.region_hi[h]
            idx = np.empty(hi - lo, dtype=np.int64)
            cum = np.empty(hi - lo)
            recruit(rel, lo, hi, h, n_recruit, n_discover, thr, hubs.recruit_intensity, hubs.potential, orgs, idx, cum)
    return ran, log, n_log, pairs, n_pairs
