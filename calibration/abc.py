"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

Why our own and not pyabc: a calibration must give the same posterior for the same seed whether it
runs serially, on a local pool or on a Dask cluster (principle 7). pyabc's parallel samplers accept
particles in the order workers finish, so its result depends on timing. Here every proposal of a
generation is made by the parent from a seeded generator, in fixed-size batches, before any of them
is simulated; simulations only return distances; acceptance runs over the batch in proposal order.
The executor therefore changes the speed, never the result.

Two algorithms. ``abc_smc_mcmc`` (the one the calibration uses) is the replenishment ABC-SMC of Drovandi & Pettitt
(2011): equal weights, particles moved by MCMC steps - it keeps a sample of the posterior in two dozen dimensions,
where importance weights degenerate. ``abc_smc`` (kept for low-dimensional fits and its tests) is the population
Monte Carlo ABC of Beaumont et al. (2009, Biometrika 96:983) with the
adaptive tolerance of Del Moral et al. (2012) / Drovandi & Pettitt (2011):

* generation 0 samples the prior; each later generation's tolerance is the ``alpha`` quantile of the
  previous generation's accepted distances;
* a proposal picks a particle by weight and perturbs it with a Gaussian kernel of twice the weighted
  covariance of the previous population (in the transformed space where every prior is flat);
* the importance weight of an accepted particle is prior(z) / sum_j w_j K(z | z_j), with a flat prior
  in the transformed space the numerator is a constant inside the bounds.

It stops after ``generations`` populations, when the tolerance falls below ``min_epsilon``, or when
the acceptance rate falls below ``min_acceptance`` (further generations would cost more than they gain).
"""

from __future__ import annotations

import math
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from propeller.errors import UserError

PRIORS = Path(__file__).with_name("priors.toml")
PRIOR_KEYS = ("prior", "low", "high", "reason", "informs")  # informs: optional, the observation that would narrow it


class PriorError(UserError):
    """A bad priors file: one line naming the file (by its name), the parameter and what was expected."""

    def __init__(self, where: str | Path, key: str, expected: str, got: Any = None, *, show_got: bool = False,
                 hint: str = ""):
        super().__init__(where, key, expected, got, show_got=show_got, hint=hint)

    @staticmethod
    def _where(where: str | Path) -> str:
        return Path(where).name


@dataclass(frozen=True)
class Prior:
    """Independent flat priors in a transformed space (log for ``loguniform``)."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    low: np.ndarray          # bounds on the natural scale
    high: np.ndarray
    reasons: tuple[str, ...] = ()
    informs: tuple[str, ...] = ()  # per parameter: the observation that would narrow it ("" = none named)

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def is_log(self) -> np.ndarray:
        return np.array([k == "loguniform" for k in self.kinds])

    @property
    def z_low(self) -> np.ndarray:
        return np.where(self.is_log, np.log(np.where(self.is_log, self.low, 1.0)), self.low)

    @property
    def z_high(self) -> np.ndarray:
        return np.where(self.is_log, np.log(np.where(self.is_log, self.high, 1.0)), self.high)

    def to_z(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.is_log, np.log(np.where(self.is_log, np.maximum(x, 1e-300), 1.0)), x)

    def from_z(self, z: np.ndarray) -> np.ndarray:
        return np.where(self.is_log, np.exp(np.where(self.is_log, z, 0.0)), z)

    def sample_z(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.z_low, self.z_high, size=(n, self.dim))

    def inside(self, z: np.ndarray) -> np.ndarray:
        return np.all((z >= self.z_low) & (z <= self.z_high), axis=-1)

    def as_dict(self, x: np.ndarray) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, x, strict=True)}


def load_priors(path: str | Path = PRIORS, schema: dict | None = None) -> Prior:
    """Read priors.toml; ``schema`` (the baseline parameters) checks the names exist and are numbers."""
    from propeller.scenarios.loader import did_you_mean, key_hint, value_problem

    path = Path(path)
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriorError(where, "(file)", "an existing priors file (file not found)") from None
    except IsADirectoryError:
        raise PriorError(where, "(file)", "a priors file, not a folder") from None
    except OSError as e:
        raise PriorError(where, "(file)", f"a readable priors file ({e.strerror})") from None
    except UnicodeDecodeError:
        raise PriorError(where, "(syntax)", "a UTF-8 text file of TOML (this file is binary)") from None
    except tomllib.TOMLDecodeError as e:
        raise PriorError(where, "(syntax)", f"valid TOML ({e})") from None
    for key in data:
        if key != "parameters":
            raise PriorError(where, f"{key}", "only [parameters.\"dotted.key\"] tables"
                             + did_you_mean(key, ["parameters"]))
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        raise PriorError(where, "parameters", "at least one [parameters.\"dotted.key\"] table")
    names, kinds, lows, highs, reasons, informs = [], [], [], [], [], []
    for name, spec in params.items():
        if schema is not None and name not in schema:
            raise PriorError(where, f"parameters.{name}", "a parameter of uncalibrated_defaults.toml (unknown key)"
                             + key_hint(name, schema))
        if schema is not None and (isinstance(schema[name], bool) or not isinstance(schema[name], (int, float))):
            raise PriorError(where, f"parameters.{name}", f"a numeric parameter, baseline has {schema[name]!r}")
        if schema is not None and isinstance(schema[name], int):
            raise PriorError(where, f"parameters.{name}", f"a real-valued parameter (the calibration draws "
                             f"real numbers), baseline has the whole number {schema[name]!r}")
        if not isinstance(spec, dict):
            raise PriorError(where, f"parameters.{name}", f"a table with prior, low, high and reason, "
                             f"got {spec!r}")
        for key in spec:
            if key not in PRIOR_KEYS:
                raise PriorError(where, f"parameters.{name}.{key}", f"a prior key ({', '.join(PRIOR_KEYS)})"
                                 + did_you_mean(key, PRIOR_KEYS))
        kind = spec.get("prior")
        if kind not in ("uniform", "loguniform"):
            raise PriorError(where, f"parameters.{name}.prior", f"\"uniform\" or \"loguniform\", got {kind!r}")
        lo, hi = spec.get("low"), spec.get("high")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi)) \
                or not lo < hi:
            raise PriorError(where, f"parameters.{name}", f"numbers low < high, got low={lo!r} high={hi!r}")
        if kind == "loguniform" and lo <= 0:
            raise PriorError(where, f"parameters.{name}.low", f"> 0 for a loguniform prior, got {lo!r}")
        if schema is not None:
            for bound, v in (("low", lo), ("high", hi)):
                problem = value_problem(name, float(v), schema)
                if problem:  # every draw must be a value the scenario loader accepts, or the fit fails half-way
                    raise PriorError(where, f"parameters.{name}.{bound}", f"a value valid for {name} "
                                     f"({problem}), got {v!r}")
        if not spec.get("reason"):
            raise PriorError(where, f"parameters.{name}.reason", "the reasoning behind the prior")
        names.append(name)
        kinds.append(kind)
        lows.append(float(lo))
        highs.append(float(hi))
        reasons.append(" ".join(str(spec["reason"]).split()))
        if "informs" in spec and not (isinstance(spec["informs"], str) and spec["informs"].strip()):
            raise PriorError(where, f"parameters.{name}.informs", "a sentence naming the observation that would "
                             "narrow this parameter", spec["informs"])
        informs.append(" ".join(str(spec.get("informs", "")).split()))
    return Prior(tuple(names), tuple(kinds), np.array(lows), np.array(highs), tuple(reasons), tuple(informs))


@dataclass
class Generation:
    """One population: particles (natural scale and transformed), weights, distances."""

    t: int
    epsilon: float
    z: np.ndarray
    x: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    seeds: np.ndarray
    summaries: list[dict]
    simulations: int
    seconds: float
    move_acceptance: float = float("nan")  # abc_smc_mcmc: share of MCMC proposals accepted in this generation

    @property
    def distinct(self) -> int:
        """Distinct particles (copies of one particle that no MCMC move accepted count once)."""
        return len(np.unique(self.z, axis=0))

    @property
    def acceptance(self) -> float:
        return len(self.weights) / max(self.simulations, 1)

    @property
    def ess(self) -> float:
        """Effective sample size of the weights (Kish)."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass
class Result:
    prior: Prior
    generations: list[Generation] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def last(self) -> Generation:
        return self.generations[-1]

    @property
    def simulations(self) -> int:
        return sum(g.simulations for g in self.generations)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n parameter vectors (natural scale) drawn from the final weighted population."""
        g = self.last
        idx = rng.choice(len(g.weights), size=n, p=g.weights)
        return g.x[idx]

    def quantiles(self, qs: Sequence[float]) -> np.ndarray:
        """Weighted quantiles of each parameter (rows: qs) in the final population."""
        g = self.last
        out = np.empty((len(qs), self.prior.dim))
        for j in range(self.prior.dim):
            order = np.argsort(g.x[:, j])
            cw = np.cumsum(g.weights[order])
            cw /= cw[-1]
            out[:, j] = [g.x[order[min(np.searchsorted(cw, q), len(cw) - 1)], j] for q in qs]
        return out


# A batch evaluator: list of (parameter dict, seed) -> list of (distance, summaries)
Evaluate = Callable[[list[tuple[dict[str, float], int]]], list[tuple[float, dict]]]


def _kernel_cov(z: np.ndarray, w: np.ndarray, z_low: np.ndarray, z_high: np.ndarray) -> np.ndarray:
    """Twice the weighted covariance (Beaumont et al. 2009), kept positive definite."""
    mean = w @ z
    d = z - mean
    cov = 2.0 * (d * w[:, None]).T @ d
    floor = (1e-6 * (z_high - z_low)) ** 2
    return cov + np.diag(floor)


def _log_mvn_mixture(z: np.ndarray, centres: np.ndarray, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log sum_j w_j N(z | centres_j, cov) for each row of z."""
    chol = np.linalg.cholesky(cov)
    logdet = 2.0 * np.log(np.diag(chol)).sum()
    k = z.shape[1]
    out = np.empty(len(z))
    logw = np.log(np.maximum(w, 1e-300))
    for i, zi in enumerate(z):
        sol = np.linalg.solve(chol, (zi - centres).T)
        q = np.sum(sol**2, axis=0)
        a = logw - 0.5 * (q + logdet + k * math.log(2 * math.pi))
        m = a.max()
        out[i] = m + math.log(np.exp(a - m).sum())
    return out


def abc_smc(
    prior: Prior,
    evaluate: Evaluate,
    *,
    n_particles: int,
    generations: int,
    seed: int = 0,
    alpha: float = 0.5,
    min_epsilon: float = 0.0,
    min_acceptance: float = 0.02,
    batch_size: int | None = None,
    max_simulations: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Run ABC-SMC; the result depends on (prior, evaluate, the numbers above, seed) only.

    ``evaluate`` gets a batch of (parameters, seed) and returns (distance, summaries) per item in
    order; it may run them in parallel. ``batch_size`` (default: the number of particles) is part of
    the method, not of the machine: keep it fixed to reproduce a result.
    """
    batch = int(batch_size or n_particles)
    result = Result(prior)
    ss = np.random.SeedSequence(seed)
    eps = math.inf
    for t in range(generations):
        t0 = time.perf_counter()
        rng = np.random.default_rng(ss.spawn(1)[0])
        prev = result.generations[-1] if result.generations else None
        if prev is not None:
            eps = float(np.quantile(prev.distances, alpha))
            if eps <= min_epsilon:
                eps = min_epsilon
            cov = _kernel_cov(prev.z, prev.weights, prior.z_low, prior.z_high)
            chol = np.linalg.cholesky(cov)
        acc_z, acc_d, acc_seeds, acc_s = [], [], [], []
        sims = 0
        cut = ""
        while len(acc_z) < n_particles:
            if max_simulations is not None and result.simulations + sims >= max_simulations and t > 0:
                cut = f"simulation budget {max_simulations} used in generation {t}"
                break
            if prev is None:
                z = prior.sample_z(rng, batch)
            else:  # propose from the previous population; proposals outside the prior are redrawn, unsimulated
                z = np.empty((0, prior.dim))
                while len(z) < batch:
                    pick = rng.choice(len(prev.weights), size=batch, p=prev.weights)
                    cand = prev.z[pick] + rng.standard_normal((batch, prior.dim)) @ chol.T
                    z = np.vstack([z, cand[prior.inside(cand)]])
                z = z[:batch]
            seeds = rng.integers(0, 2**31 - 1, size=len(z))
            out = evaluate([(prior.as_dict(prior.from_z(zi)), int(s)) for zi, s in zip(z, seeds, strict=True)])
            sims += len(z)
            for zi, s, (d, summ) in zip(z, seeds, out, strict=True):
                if d <= eps and len(acc_z) < n_particles and np.isfinite(d):
                    acc_z.append(zi)
                    acc_d.append(d)
                    acc_seeds.append(s)
                    acc_s.append(summ)
            if progress:
                progress(f"generation {t}: epsilon {eps:.3g}, accepted {len(acc_z)}/{n_particles}, simulations {sims}")
            if prev is not None and sims >= 20 * n_particles and len(acc_z) / sims < min_acceptance:
                cut = f"acceptance rate below {min_acceptance:g} in generation {t}"
                break
        if len(acc_z) < max(2, n_particles // 2) and prev is not None:
            result.stop_reason = f"{cut} (kept generation {t - 1})"
            break
        z = np.array(acc_z)
        d = np.array(acc_d)
        if prev is None:
            w = np.full(len(z), 1.0 / len(z))
            if not np.isfinite(eps):  # generation 0 accepts everything finite: its tolerance is its largest distance
                eps = float(d.max())
        else:
            logw = -_log_mvn_mixture(z, prev.z, prev.weights, cov)
            w = np.exp(logw - logw.max())
            w /= w.sum()
        result.generations.append(Generation(t, eps, z, prior.from_z(z), w, d, np.array(acc_seeds), acc_s, sims,
                                             time.perf_counter() - t0))
        if progress:
            g = result.generations[-1]
            progress(f"generation {t} done: epsilon {eps:.3g}, acceptance {g.acceptance:.1%}, ESS {g.ess:.0f}, "
                     f"median distance {np.median(d):.3g}, {g.seconds:.0f} s")
        if eps <= min_epsilon:
            result.stop_reason = f"tolerance reached min_epsilon {min_epsilon:g}"
            break
        if cut or (max_simulations is not None and result.simulations >= max_simulations):
            result.stop_reason = cut or f"simulation budget {max_simulations} used"
            break
    if not result.stop_reason:
        result.stop_reason = f"{len(result.generations)} generations"
    return result


def _reflect(z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold points back into the box [lo, hi] by reflection at its walls. A reflected Gaussian random walk is still
    symmetric (q(a -> b) = q(b -> a)), so with a flat prior the Metropolis-Hastings ratio stays 1 inside the box,
    and far fewer proposals are lost outside it in many dimensions."""
    w = hi - lo
    u = np.mod(z - lo, 2 * w)
    return lo + np.where(u <= w, u, 2 * w - u)


def abc_smc_mcmc(
    prior: Prior,
    evaluate: Evaluate,
    *,
    n_particles: int,
    generations: int,
    seed: int = 0,
    alpha: float = 0.5,
    min_epsilon: float = 0.0,
    min_acceptance: float = 0.02,
    max_simulations: int | None = None,
    target_rejection: float = 0.01,
    max_moves: int = 30,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """ABC-SMC with MCMC moves, the "replenishment" algorithm of Drovandi & Pettitt (2011, Biometrics 67:225).

    Why not the importance weights of ``abc_smc``: with two dozen free parameters the weights prior / proposal
    density degenerate - the effective sample size fell to 1 of 60 particles in two generations - and a posterior of
    one particle claims a certainty the data do not give. Here every particle has the same weight:

    * generation 0 samples the prior and simulates every particle;
    * each later generation sorts the particles by distance, sets the tolerance to the distance of the
      ``alpha``-quantile particle, keeps the particles within it and replaces the others by copies of kept ones
      (drawn uniformly);
    * each copy then takes ``R`` Metropolis-Hastings steps: a Gaussian random walk with 2.38^2 / d times the covariance
      of the kept particles (in the transformed space where the prior is flat; d = number of parameters), reflected at
      the prior's bounds, accepted when it lies inside the prior and its
      simulation is within the tolerance. ``R`` is chosen so that a copy stays unmoved with probability about
      ``target_rejection``, from the previous generation's acceptance rate (at most ``max_moves``).

    It stops after ``generations`` populations, when the MCMC acceptance rate falls below ``min_acceptance`` (the
    tolerance can hardly shrink further; Drovandi & Pettitt's criterion), at ``min_epsilon`` or when the simulation
    budget is used. Whenever it stops, every particle is within the last tolerance: the population is a valid sample
    of the ABC posterior at that tolerance. Every step's proposals are drawn by the parent from a seeded generator
    and simulated as one batch, so the result does not depend on the executor.
    """
    result = Result(prior)
    ss = np.random.SeedSequence(seed)
    n = int(n_particles)
    n_keep = max(1, min(n - 1, int(math.floor(alpha * n))))
    t0 = time.perf_counter()
    rng = np.random.default_rng(ss.spawn(1)[0])
    z = prior.sample_z(rng, n)
    seeds = rng.integers(0, 2**31 - 1, size=n)
    out = evaluate([(prior.as_dict(prior.from_z(zi)), int(s)) for zi, s in zip(z, seeds, strict=True)])
    d = np.array([o[0] for o in out], dtype=float)
    summ = [o[1] for o in out]
    finite = np.isfinite(d)
    eps0 = float(d[finite].max()) if finite.any() else math.inf
    result.generations.append(Generation(0, eps0, z, prior.from_z(z), np.full(n, 1.0 / n), d, seeds, summ, n,
                                         time.perf_counter() - t0))
    if progress:
        progress(f"generation 0 done: {n} draws from the prior, median distance {np.median(d[finite]):.3g}")
    p_acc = 0.3  # before the first moves: a guess that gives R = 13 when target_rejection = 0.01
    for t in range(1, generations):
        t0 = time.perf_counter()
        prev = result.generations[-1]
        rng = np.random.default_rng(ss.spawn(1)[0])
        order = np.argsort(prev.distances, kind="stable")
        keep = order[:n_keep]
        eps = max(float(prev.distances[keep[-1]]), min_epsilon)
        if not np.isfinite(eps):
            result.stop_reason = f"no finite distance among the best {n_keep} particles (kept generation {t - 1})"
            break
        z = prev.z.copy()
        d = prev.distances.copy()
        seeds = prev.seeds.copy()
        summ = list(prev.summaries)
        drop = order[n_keep:]
        src = keep[rng.integers(0, n_keep, size=len(drop))]
        z[drop], d[drop], seeds[drop] = prev.z[src], prev.distances[src], prev.seeds[src]
        for i, j in zip(drop, src, strict=True):
            summ[i] = prev.summaries[j]
        kept = prev.z[keep]
        # random-walk scale 2.38^2 / d x the kept particles' covariance (Roberts, Gelman & Gilks 1997: the optimal
        # scaling of a Gaussian random walk; about 2 x in two dimensions, far smaller steps in two dozen)
        cov = (2.38**2 / prior.dim) * np.cov(kept, rowvar=False).reshape(prior.dim, prior.dim) \
            + np.diag((1e-6 * (prior.z_high - prior.z_low)) ** 2)
        chol = np.linalg.cholesky(cov)
        p_move = min(max(p_acc, 1e-6), 1.0 - 1e-9)  # a copy stays unmoved after R steps with probability (1 - p)^R
        moves = int(min(max_moves, max(1, math.ceil(math.log(target_rejection) / math.log(1.0 - p_move)))))
        sims = proposals = accepted = 0
        cut = ""
        for _ in range(moves):
            if max_simulations is not None and result.simulations + sims >= max_simulations:
                cut = f"simulation budget {max_simulations} used in generation {t}"
                break
            cand = _reflect(z[drop] + rng.standard_normal((len(drop), prior.dim)) @ chol.T, prior.z_low, prior.z_high)
            cand_seeds = rng.integers(0, 2**31 - 1, size=len(drop))
            inside = prior.inside(cand)
            who = drop[inside]
            proposals += len(drop)
            if len(who):
                res = evaluate([(prior.as_dict(prior.from_z(zi)), int(s))
                                for zi, s in zip(cand[inside], cand_seeds[inside], strict=True)])
                sims += len(who)
                for i, zi, s, (di, si) in zip(who, cand[inside], cand_seeds[inside], res, strict=True):
                    if np.isfinite(di) and di <= eps:
                        z[i], d[i], seeds[i], summ[i] = zi, di, s, si
                        accepted += 1
            if progress:
                progress(f"generation {t}: epsilon {eps:.3g}, moves accepted {accepted}/{proposals}, simulations {sims}")
        p_acc = accepted / proposals if proposals else 0.0
        g = Generation(t, eps, z, prior.from_z(z), np.full(n, 1.0 / n), d, seeds, summ, sims, time.perf_counter() - t0,
                       move_acceptance=p_acc)
        result.generations.append(g)
        distinct = g.distinct
        if progress:
            progress(f"generation {t} done: epsilon {eps:.3g}, {moves} moves per particle, move acceptance {p_acc:.1%}, "
                     f"{distinct} distinct particles, median distance {np.median(d):.3g}, {g.seconds:.0f} s")
        if cut:
            result.stop_reason = cut
            break
        if eps <= min_epsilon:
            result.stop_reason = f"tolerance reached min_epsilon {min_epsilon:g}"
            break
        if p_acc < min_acceptance:
            result.stop_reason = f"move acceptance {p_acc:.1%} below {min_acceptance:g} in generation {t}"
            break
        if max_simulations is not None and result.simulations >= max_simulations:
            result.stop_reason = f"simulation budget {max_simulations} used"
            break
    if not result.stop_reason:
        result.stop_reason = f"{len(result.generations)} generations"
    return result
