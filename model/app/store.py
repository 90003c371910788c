"""The sweep store: one SQLite database (sqlite-utils), written only by the parent process.

Tables (``SCHEMA_VERSION`` 1):

- ``meta`` (key, value): ``schema_version``, ``created``.
- ``runs``: one row per run, primary key ``run_id`` (hash of scenario + record + seed + horizon + code version):
  scenario, scenario_file, overrides (JSON: the factor values of its design point), params (JSON: the full
  record, enough to re-run it), seed, until, code_version, status ('done' / 'failed'), error, started, ended,
  seconds, worker, outputs and key_dates (JSON: what was kept).
- ``outcomes``: (run_id, month) primary key, date and one column per kept timeseries outcome, of the SQLite type
  its declaration gives (``propeller.core.outputs``: int64 -> INTEGER, float64 -> REAL).
- ``summaries``: (run_id, outcome, date) primary key, value: the kept outcomes at the key dates.
- ``sweeps``: one row per sweep (its spec text, design, SALib problem, outputs, key dates, seed, ...).
- ``points``: (sweep_id, point) primary key: scenario, label, overrides, x (factor values, JSON).
- ``sweep_runs``: (sweep_id, point, replication) primary key -> run_id; a run shared by several sweeps or
  repeated design points is stored once and linked from each.

Safety: WAL journal, ``busy_timeout`` 60 s (``PROPELLER_DB_TIMEOUT``, in seconds), and every run written in one
``BEGIN IMMEDIATE`` transaction with ``INSERT OR IGNORE`` on primary keys, so a killed sweep leaves only whole runs
and two sweeps writing into one database store each run exactly once. A file that is not SQLite, a database without
a ``meta`` table or with a newer ``schema_version`` is refused with one line (:class:`StoreError`).

Faults, each one line naming the database (:func:`translate`, applied when a store is opened and to anything that
fails inside ``with Store(...)``): a damaged file (truncated, a page overwritten; a writer runs SQLite's
``quick_check`` before it adds anything) and a read-only file given to a writer are :class:`StoreError` (exit 2);
a database another process keeps locked for longer than the timeout, and running out of space, are
:class:`propeller.errors.ResourceError` (exit 1). None of them changes the database: the failing transaction is
rolled back, and the runs stored before are whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from propeller.core.outputs import INDEX, sqlite_columns
from propeller.errors import ResourceError, UserError

SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000


class StoreError(UserError):
    """A database that cannot be used, as one line ``file: key: expected ...``."""


TIMEOUT_ENV = "PROPELLER_DB_TIMEOUT"


def timeout_s() -> float:
    """How long a command waits for a database another process holds locked: ``PROPELLER_DB_TIMEOUT`` seconds
    (default 60)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS / 1000
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise UserError(f"environment variable {TIMEOUT_ENV}", TIMEOUT_ENV, "a number of seconds >= 0", raw)
    return value


# SQLite's primary result codes (the low byte of an exception's sqlite_errorcode)
_BUSY, _LOCKED, _READONLY, _CORRUPT, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 14, 26


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The SQLite error behind ``exc`` (pandas wraps them in its own DatabaseError), if any."""
    from propeller.app.userio import exception_chain

    return next((e for e in exception_chain(exc) if isinstance(e, sqlite3.Error)), None)


def translate(path: Path, exc: BaseException, stored: int = 0) -> UserError | None:
    """The one-line error for an SQLite failure on the database ``path`` (None: not one of the known faults).
    ``stored``: how many runs this command had stored before it failed."""
    from propeller.app.userio import space_reason

    err = _sqlite_error(exc)
    if err is None:
        return None
    code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
    before = (f"the {stored} run{'s' if stored != 1 else ''} this command stored before are whole" if stored
              else "this command stored no run")
    if code in (_CORRUPT, _NOTADB):
        return StoreError(path, "(file)", f"an intact SQLite sweep database (this one is damaged: {err}); restore it "
                          f"from a copy, or salvage what is readable with: sqlite3 {path} .recover", show_got=False)
    if code == _READONLY:
        return StoreError(path, "(file)", f"a database this command can write (this one is read-only: {err}); make "
                          "it writable, or give --db a new file", show_got=False)
    if code in (_BUSY, _LOCKED):
        return ResourceError(path, f"another process has kept the database locked for more than {timeout_s():g} s "
                             f"(SQLite: {err}); {before} - run the same command again when the other process has "
                             f"finished, or wait longer with {TIMEOUT_ENV}=SECONDS")
    reason = space_reason(err)
    if reason is not None:
        return ResourceError(path, f"could not write: {reason}; {before} - free space and run the same command "
                             "again to resume")
    if code == _CANTOPEN:
        return StoreError(path, "(file)", f"a database file that can be opened (SQLite: {err})", show_got=False)
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_file(path: Path) -> None:
    """Refuse a file that exists but is not an SQLite database."""
    if path.is_dir():
        raise StoreError(path, "(file)", "an SQLite sweep database file, not a folder", show_got=False)
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise StoreError(path, "(file)", "an SQLite sweep database (this file is not SQLite)", show_got=False)


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        # query_only on a read-write handle rather than mode=ro: a read-only handle on a WAL database leaves its
        # -wal and -shm files behind, while the last ordinary handle to close removes them. Read-only media: mode=ro.
        try:
            conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=timeout_s())
            conn.execute("PRAGMA query_only = ON")
        except sqlite3.OperationalError:
            conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=timeout_s())
    else:
        conn = sqlite3.connect(str(path), timeout=timeout_s())
    conn.isolation_level = None  # explicit transactions only (BEGIN IMMEDIATE ... COMMIT)
    conn.execute(f"PRAGMA busy_timeout={round(timeout_s() * 1000)}")
    return conn


def _check_schema(path: Path, conn: sqlite3.Connection) -> int | None:
    """The schema version of an existing sweep database, None for an empty one; StoreError otherwise."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise (translate(path, exc) or StoreError(path, "(file)", "an SQLite sweep database (this file is not SQLite)",
                                                  show_got=False)) from None
    if not tables:
        return None
    if "meta" not in tables:
        raise StoreError(path, "meta", "a sweep database (this SQLite file has no meta table; "
                         "is it a `propeller run --out` database?)", show_got=False)
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    try:
        version = int(row[0]) if row else None
    except ValueError:
        version = None
    if version is None:
        raise StoreError(path, "meta.schema_version", "an integer schema version", row[0] if row else None)
    if version > SCHEMA_VERSION:
        raise StoreError(path, "meta.schema_version", f"a schema version <= {SCHEMA_VERSION} (this propeller); "
                         "the database was written by a newer version", version)
    return version


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to write-ahead logging (persistent in the file). The switch needs an exclusive lock, and SQLite
    reports "database is locked" at once, without its busy handler, when another process holds one - e.g. a
    second sweep opening the same new database at the same moment. So retry for up to the timeout."""
    deadline = time.monotonic() + timeout_s()
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """An open sweep database. Only the parent process of a sweep writes to it."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        check_file(self.path)
        if readonly and not self.path.exists():
            raise StoreError(self.path, "(file)", "an existing sweep database", show_got=False)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stored = 0  # runs this handle has written (for the one line when a later write fails)
        try:
            self.conn = _connect(self.path, readonly)
        except sqlite3.Error as exc:
            raise (translate(self.path, exc) or exc) from None
        try:
            version = _check_schema(self.path, self.conn)
            self.db = sqlite_utils.Database(self.conn)
            if readonly:
                if version is None:
                    raise StoreError(self.path, "meta", "a sweep database (this one is empty)", show_got=False)
            else:
                if version is not None:  # never add to a damaged database
                    check = self.conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                    if check != "ok":
                        raise StoreError(self.path, "(file)", f"an intact SQLite sweep database (this one is damaged: "
                                         f"{check}); restore it from a copy, or salvage what is readable with: "
                                         f"sqlite3 {self.path} .recover", show_got=False)
                _enable_wal(self.conn)
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self._create_schema()
        except BaseException as exc:
            self.conn.close()
            mapped = translate(self.path, exc)
            if mapped is not None:
                raise mapped from None
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        mapped = translate(self.path, exc, self.stored) if exc is not None else None
        if mapped is not None:
            raise mapped from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE waits up to busy_timeout for other writers)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _create_schema(self) -> None:
        db = self.db
        with self.transaction():
            _check_schema(self.path, self.conn)  # again, under the write lock (another process may have created it)
            db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
            db["meta"].insert_all([{"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                   {"key": "created", "value": _now()}], ignore=True)
            db["runs"].create({
                "run_id": str, "scenario": str, "scenario_file": str, "overrides": str, "params": str, "seed": int,
                "until": str, "code_version": str, "status": str, "error": str, "started": str, "ended": str,
                "seconds": float, "worker": str, "outputs": str, "key_dates": str,
            }, pk="run_id", if_not_exists=True)
            db["outcomes"].create({"run_id": str, **sqlite_columns(INDEX)}, pk=("run_id", "month"),
                                  if_not_exists=True)
            db["summaries"].create({"run_id": str, "outcome": str, "date": str, "value": float},
                                   pk=("run_id", "outcome", "date"), if_not_exists=True)
            db["sweeps"].create({
                "sweep_id": str, "name": str, "spec_path": str, "spec_text": str, "design": str, "problem": str,
                "factors": str, "scenarios": str, "seed": int, "replications": int, "common_seeds": int,
                "outputs": str, "key_dates": str, "code_version": str, "n_points": int, "n_runs": int,
                "created": str, "registered": str,
            }, pk="sweep_id", if_not_exists=True)
            db["points"].create({"sweep_id": str, "point": int, "scenario": str, "label": str, "overrides": str,
                                 "x": str}, pk=("sweep_id", "point"), if_not_exists=True)
            db["sweep_runs"].create({"sweep_id": str, "point": int, "replication": int, "run_id": str},
                                    pk=("sweep_id", "point", "replication"), if_not_exists=True)
            db["runs"].create_index(["scenario"], if_not_exists=True)
            db["runs"].create_index(["status"], if_not_exists=True)
            db["summaries"].create_index(["outcome", "date"], if_not_exists=True)
            db["sweep_runs"].create_index(["run_id"], if_not_exists=True)
            db["sweeps"].create_index(["name"], if_not_exists=True)

    # ------------------------------------------------------------------ sweeps
    def register(self, plan) -> None:
        """Record the sweep, its design points and which run each (point, replication) is."""
        s = plan.spec
        now = _now()
        design = {"kind": s.kind, "samples": s.samples, "levels": s.levels, "second_order": s.second_order}
        factors = [{"name": f.name, "keys": list(f.keys), "levels": list(f.levels) if f.levels is not None else None,
                    "bounds": list(f.bounds) if f.bounds else None, "scale": f.scale} for f in s.factors]
        with self.transaction():
            self.db["sweeps"].insert({
                "sweep_id": plan.sweep_id, "name": s.name, "spec_path": str(Path(s.path).resolve()),
                "spec_text": s.text, "design": json.dumps(design), "problem": json.dumps(plan.problem),
                "factors": json.dumps(factors), "scenarios": json.dumps([[n, str(p)] for n, p in s.scenarios]),
                "seed": s.seed, "replications": s.replications, "common_seeds": int(s.common_seeds),
                "outputs": json.dumps(list(s.outputs)), "key_dates": json.dumps(list(plan.key_dates)),
                "code_version": plan.code_version, "n_points": len(plan.points), "n_runs": len(plan.runs),
                "created": now, "registered": now,
            }, ignore=True)
            self.conn.execute("UPDATE sweeps SET registered=? WHERE sweep_id=?", (now, plan.sweep_id))
            self.db["points"].insert_all(({
                "sweep_id": plan.sweep_id, "point": p.index, "scenario": p.scenario, "label": p.label,
                "overrides": json.dumps(p.overrides, sort_keys=True), "x": json.dumps(p.x),
            } for p in plan.points), ignore=True, batch_size=500)
            self.db["sweep_runs"].insert_all(({
                "sweep_id": plan.sweep_id, "point": t["point"], "replication": t["replication"], "run_id": t["run_id"],
            } for t in plan.runs), ignore=True, batch_size=500)

    def _done(self, run_ids: Iterable[str]) -> dict[str, tuple[set, set]]:
        """Stored, completed runs among run_ids -> (kept outputs, key dates)."""
        out: dict[str, tuple[set, set]] = {}
        ids = list(run_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = (f"SELECT run_id, outputs, key_dates FROM runs WHERE status='done' "
                 f"AND run_id IN ({','.join('?' * len(chunk))})")
            for rid, outputs, dates in self.conn.execute(q, chunk):
                out[rid] = (set(json.loads(outputs)), set(json.loads(dates)))
        return out

    def pending(self, plan) -> list[dict]:
        """The plan's runs (each run id once) not yet stored with the outputs and key dates it asks for."""
        unique = plan.unique_runs
        done = self._done(t["run_id"] for t in unique)
        todo = []
        for t in unique:
            have = done.get(t["run_id"])
            if have is None or not (set(t["outputs"]) <= have[0] and set(t["key_dates"]) <= have[1]):
                todo.append(t)
        return todo

    @staticmethod
    def count_stored(path: str | Path, run_ids: list[str]) -> int | None:
        """How many of run_ids an existing database holds as done (None when there is no database yet)."""
        path = Path(path)
        if not path.exists():
            return None
        with Store(path, readonly=True) as st:
            return len(st._done(run_ids))

    # ------------------------------------------------------------------ runs
    def write(self, task: Mapping[str, Any], result: Mapping[str, Any]) -> str:
        """Store one run's result in one transaction. Returns 'new', 'extended' (more outputs for a stored run),
        'exists' (already stored: nothing written) or 'failed' (stored as failed)."""
        rid = task["run_id"]
        if result["run_id"] != rid:
            raise ValueError(f"result of run {result['run_id']} written as run {rid}")
        with self.transaction():
            row = self.conn.execute("SELECT status, outputs, key_dates FROM runs WHERE run_id=?", (rid,)).fetchone()
            if row is not None and row[0] == "done":
                if result["status"] != "done":
                    return "exists"
                outputs, dates = json.loads(row[1]), json.loads(row[2])
                new_out = [o for o in task["outputs"] if o not in outputs]
                new_dates = [d for d in task["key_dates"] if d not in dates]
                if not new_out and not new_dates:
                    return "exists"
                self._add_columns(new_out)
                if new_out:
                    cols = result["columns"]
                    sets = ", ".join(f"[{c}] = ?" for c in new_out)
                    self.conn.executemany(
                        f"UPDATE outcomes SET {sets} WHERE run_id = ? AND month = ?",
                        [tuple(cols[c][i] for c in new_out) + (rid, m) for i, m in enumerate(cols["month"])])
                self._insert_summaries(rid, result["summaries"])
                self.conn.execute("UPDATE runs SET outputs=?, key_dates=? WHERE run_id=?",
                                  (json.dumps(outputs + new_out), json.dumps(dates + new_dates), rid))
                return "extended"
            if row is not None:  # a failed attempt: replace it
                self.conn.execute("DELETE FROM runs WHERE run_id=?", (rid,))
            self.db["runs"].insert({
                "run_id": rid, "scenario": task["scenario"], "scenario_file": task["scenario_file"],
                "overrides": json.dumps(task["overrides"], sort_keys=True),
                "params": json.dumps(task["params"], sort_keys=True), "seed": task["seed"], "until": task["until"],
                "code_version": task["code_version"], "status": result["status"], "error": result["error"],
                "started": result["started"], "ended": result["ended"], "seconds": result["seconds"],
                "worker": result["worker"], "outputs": json.dumps(list(task["outputs"])),
                "key_dates": json.dumps(list(task["key_dates"])),
            }, ignore=True)
            if result["status"] != "done":
                return "failed"
            cols = result["columns"]
            self._add_columns(task["outputs"])
            names = list(cols)
            placeholders = ", ".join("?" * (len(names) + 1))
            self.conn.executemany(
                f"INSERT OR IGNORE INTO outcomes (run_id, {', '.join(f'[{c}]' for c in names)}) VALUES ({placeholders})",
                [(rid, *row) for row in zip(*(cols[c] for c in names), strict=True)])
            self._insert_summaries(rid, result["summaries"])
        self.stored += 1
        return "new"

    def _add_columns(self, names: Iterable[str]) -> None:
        """Add the outcome columns the table lacks, with their declared SQLite types (propeller.core.outputs)."""
        have = {c.name for c in self.db["outcomes"].columns}
        for c, sqlite_type in sqlite_columns([c for c in names if c not in have]).items():
            self.db["outcomes"].add_column(c, sqlite_type)

    def _insert_summaries(self, rid: str, summaries: Iterable[tuple]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO summaries (run_id, outcome, date, value) VALUES (?, ?, ?, ?)",
                              [(rid, o, d, v) for o, d, v in summaries])

    # ------------------------------------------------------------------ reading
    def run_record(self, run_id: str) -> dict:
        row = self.conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(self.path, "run_id", "the id of a run stored in this database", run_id)
        names = [d[0] for d in self.conn.execute("SELECT * FROM runs LIMIT 0").description]
        rec = dict(zip(names, row, strict=True))
        for k in ("overrides", "params", "outputs", "key_dates"):
            rec[k] = json.loads(rec[k])
        return rec

    def outcomes(self, run_id: str):
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM outcomes WHERE run_id=? ORDER BY month", self.conn, params=(run_id,))

    def sweeps(self):
        import pandas as pd

        return pd.read_sql_query("SELECT sweep_id, name, design, n_points, n_runs, code_version, created, registered "
                                 "FROM sweeps ORDER BY registered", self.conn)
