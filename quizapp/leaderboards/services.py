"""Leaderboards and results: individual rankings, unit rankings, round statistics.

How a page stays fast at a million attempts
--------------------------------------------
The standings table holds one row per entrant and round (the counted
attempt), kept current inside the submit transaction, so a submission costs
one indexed upsert (O(log n)).  Ranking everybody is the expensive part, so
it is done at most once every ``LEADERBOARD_FRESH_SECONDS`` (default 1.5 s) per
round, by one worker at a time (see ``cache.py``; a snapshot stored more than
``LEADERBOARD_MAX_STALE_SECONDS``, default 3.5 s, ago is never shown), into a *snapshot*: the
entrants' ids in ranking order with their rank, unit and category as compact
arrays.  A page is then a slice of the snapshot plus one query for the 50
rows shown; one entrant's place is a binary search; a unit filter is a mask
over the arrays.  Pages, unit rankings and statistics are cached the same way.
So a new submission shows within ``max stale`` + the time of one recomputation
(about 0.5 s at 200,000 entrants on PostgreSQL): under 5 s.  The recomputation runs off the
request path (``leaderboards/tasks.py``): the request that finds the snapshot older than
``fresh`` starts it as a job (or a thread) and serves the snapshot it has.

Ranks are the round's official places (``ranking.py``: standard competition
ranking, ties share a rank); filtering by unit or category narrows the list
but keeps each entrant's place in the whole round.

Results belong to the unit an entrant belonged to when they took part
(``Standing.unit_id``, copied from the attempt), never to their current unit.
"""
from __future__ import annotations

import json
import struct
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.contests.models import (
    Contest, ContestAggregate, ContestStatus, DEFAULT_UNIT_RANKING, PredictionMode, ResultsVisibility, Round,
)
from quizapp.core.db import db
from quizapp.core.errors import ServiceError, message_text
from quizapp.leaderboards import ranking
from quizapp.leaderboards.cache import JsonCodec, cache_for
from quizapp.leaderboards.models import Standing
from quizapp.units import services as units
from quizapp.units.models import Unit

PAGE_SIZE = 50
CATEGORY_CODES = [c.value for c in EntrantCategory]
UNIT_RANKING_KEYS = ("participation", "average", "entrants", "perfect", "attempts")
# Vietnam has kept UTC+7 without daylight saving since 1975.
VN_OFFSET = timedelta(hours=7)


def _text(message) -> str:
    return message_text(message)


def _err(code: str, message, status: int = 400, field_name: str | None = None) -> ServiceError:
    return ServiceError(code, _text(message), status, field_name)


def _fresh() -> float:
    return float(current_app.config.get("LEADERBOARD_FRESH_SECONDS", 1.5))


def _max_stale() -> float:
    return float(current_app.config.get("LEADERBOARD_MAX_STALE_SECONDS", 3.5))


def _stats_fresh() -> float:
    return float(current_app.config.get("LEADERBOARD_STATS_FRESH_SECONDS", 30))


def number_text(value: Decimal | None) -> str | None:
    """A Decimal without trailing zeros: 7.000000 → '7', 87.654320 → '87.65432'."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


# ---------------------------------------------------------------------------
# Who may see results
# ---------------------------------------------------------------------------

def results_access(contest: Contest | None, user) -> str:
    """'ok', or 'login' (the viewer must log in first); raises 404/403 otherwise.

    ``user`` is the viewer (an anonymous user object or None for nobody).
    Organisers see every contest's results; others only published contests,
    as ``Contest.results_visibility`` says.
    """
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    organiser = authenticated and user.has_role(Role.ORGANISER)
    if contest is None or (contest.status != ContestStatus.PUBLISHED and not organiser):
        raise _err("results_not_found", _l("These results do not exist or are not published."), 404)
    if organiser or contest.results_visibility == ResultsVisibility.PUBLIC:
        return "ok"
    if not authenticated:
        return "login"
    if contest.results_visibility == ResultsVisibility.LOGGED_IN:
        return "ok"
    raise _err("results_organisers_only", _l("The results of this contest are shown to the organisers only."), 403)


def results_visible(contest: Contest | None, viewer) -> bool:
    """The one rule for every view of results (leaderboards, unit rankings, statistics,
    a unit manager's people page): may this viewer see scores and ranks now?"""
    try:
        return results_access(contest, viewer) == "ok"
    except ServiceError:
        return False


class LoginRequired(ServiceError):
    """The contest shows its results to logged-in users: the viewer must log in first."""


def check_results_access(contest: Contest | None, viewer) -> None:
    if results_access(contest, viewer) == "login":
        raise LoginRequired("login_required", _text(_l("Please log in to see these results.")), 401)


def _viewer_id(viewer) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


def get_round(round_id: int, *, recent: bool = False) -> Round:
    """The round with its contest.

    ``recent``: for the public results pages, which need it on every view. A copy this process
    read less than ``LEADERBOARD_RECHECK_SECONDS`` (0.25 s) ago is attached to the session
    without a query (``merge(load=False)``), so an edit of the round or contest (its visibility
    included) reaches these pages at most that much later. Never for what changes or ranks.
    """
    cache = cache_for(current_app) if recent else None
    if cache is not None:
        held = cache.held(f"orm:round:{round_id}")
        if held is not None:
            return db.session.merge(held, load=False)
    rnd = db.session.get(Round, round_id, options=[sa.orm.joinedload(Round.contest)])
    if rnd is None:
        raise _err("results_not_found", _l("These results do not exist or are not published."), 404)
    if cache is not None and cache.recheck_for:
        cache.hold(f"orm:round:{round_id}", _detached_copy(rnd))
    return rnd


def _detached_copy(obj):
    """A copy of a freshly loaded object (and what it has loaded) belonging to no session."""
    scratch = sa.orm.Session()
    try:
        copy = scratch.merge(obj, load=False)
        scratch.expunge_all()
        return copy
    finally:
        scratch.close()


def get_contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise _err("results_not_found", _l("These results do not exist or are not published."), 404)
    return contest


# ---------------------------------------------------------------------------
# Snapshots: everybody's place, computed once per few seconds
# ---------------------------------------------------------------------------

@dataclass
class Snapshot:
    computed_at: float
    truth: str | None  # the prediction's true figure used for this ranking
    final: bool  # the true figure is final (the round has been finalised)
    user_ids: np.ndarray  # int64, in ranking order
    ranks: np.ndarray  # int64
    unit_ids: np.ndarray  # int64 (0 = no unit)
    categories: np.ndarray  # int8 index into CATEGORY_CODES (-1 = other)
    _sorter: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.user_ids.shape[0])

    def position_of(self, user_id: int) -> int | None:
        """Index of the entrant in ranking order (binary search, O(log n))."""
        if not len(self):
            return None
        if self._sorter is None:
            self._sorter = np.argsort(self.user_ids, kind="stable")
        i = int(np.searchsorted(self.user_ids, user_id, sorter=self._sorter))
        if i < len(self) and int(self.user_ids[self._sorter[i]]) == user_id:
            return int(self._sorter[i])
        return None

    def positions(self, unit_ids: list[int] | None = None, category: str | None = None) -> np.ndarray:
        """Indices (in ranking order) of the entrants matching the filters."""
        mask = np.ones(len(self), dtype=bool)
        if unit_ids is not None:
            mask &= np.isin(self.unit_ids, np.asarray(unit_ids, dtype=np.int64))
        if category is not None:
            mask &= self.categories == CATEGORY_CODES.index(category)
        return np.flatnonzero(mask)

    def first_position_by_unit(self, leaving_out: list[int] | None = None) -> dict[int, int]:
        """Unit id → index of its best-placed entrant (not one of the users ``leaving_out``)."""
        if not len(self):
            return {}
        positions = np.arange(len(self))
        if leaving_out:
            positions = positions[~np.isin(self.user_ids, np.asarray(leaving_out, dtype=np.int64))]
        ids, first = np.unique(self.unit_ids[positions], return_index=True)
        return {int(u): int(positions[p]) for u, p in zip(ids, first) if u}


class SnapshotCodec:
    """Binary: a JSON header then the four arrays (no pickle).

    Ids and ranks go as 4-byte integers when they fit (always, with PostgreSQL's integer keys):
    a round of 200,000 entrants is 2.6 MB instead of 5 MB, fetched by every worker after each
    recomputation. The header says the width, so a value stored by an older release still reads.
    """

    _LEN = struct.Struct("!I")
    _I4_MAX = 2**31 - 1

    @classmethod
    def dumps(cls, snap: Snapshot) -> bytes:
        wide = len(snap) and max(int(snap.user_ids.max()), int(snap.ranks.max()), int(snap.unit_ids.max())) > cls._I4_MAX
        width = 8 if wide else 4
        header = json.dumps({"at": snap.computed_at, "truth": snap.truth, "final": snap.final,
                             "n": len(snap), "w": width}).encode()
        dtype = f"<i{width}"
        return b"".join([cls._LEN.pack(len(header)), header,
                         snap.user_ids.astype(dtype).tobytes(), snap.ranks.astype(dtype).tobytes(),
                         snap.unit_ids.astype(dtype).tobytes(), snap.categories.astype("i1").tobytes()])

    @classmethod
    def loads(cls, data: bytes) -> Snapshot:
        (size,) = cls._LEN.unpack(data[:4])
        head = json.loads(data[4:4 + size])
        n, at, width = head["n"], 4 + size, head.get("w", 8)
        arrays = []
        for dtype, w in ((f"<i{width}", width), (f"<i{width}", width), (f"<i{width}", width), ("i1", 1)):
            arrays.append(np.frombuffer(data, dtype=dtype, count=n, offset=at))
            at += n * w
        return Snapshot(head["at"], head["truth"], head["final"], *arrays)


def _snapshot_from_rows(rows, truth: Decimal | None, final: bool, started: float) -> Snapshot:
    """``started``: when the ranking query began; every submission committed before it is included."""
    codes = {c: i for i, c in enumerate(CATEGORY_CODES)}
    n = len(rows)
    user_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    ranks = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    unit_ids = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=n)
    cats = np.fromiter((codes.get(r[3], -1) for r in rows), dtype=np.int8, count=n)
    return Snapshot(started, number_text(truth), final, user_ids, ranks, unit_ids, cats)


def _ranked_round(rnd: Round):
    """The round's standings with their rank (``ranking.py``'s ranking, so the rules live in one place)."""
    return ranking.ranked_subquery(rnd)  # the one ranking query of the round


def competition_ranks(keys: list[np.ndarray], tiebreak: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, ranks): indices sorted by ``keys`` (ascending, first key first, ``tiebreak`` last)
    and standard competition ranks (1, 2, 2, 4): equal on every key means an equal rank."""
    n = int(tiebreak.shape[0])
    order = np.lexsort([tiebreak] + list(reversed(keys)))
    if not n:
        return order, np.zeros(0, dtype=np.int64)
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for key in keys:
        sorted_key = key[order]
        new[1:] |= sorted_key[1:] != sorted_key[:-1]
    ranks = np.maximum.accumulate(np.where(new, np.arange(1, n + 1), 0))
    return order, ranks.astype(np.int64)


_MICRO = 10**6


def _int64_columns(columns: list, where) -> list[np.ndarray]:
    """Bigint columns of the standings as numpy arrays, each read as ONE binary array value
    (PostgreSQL ``array_send(array_agg(...))``): no Python object per value, so 200,000 rows
    arrive in a few hundred milliseconds, most of it the database's own work."""
    stmt = sa.select(*[sa.func.array_send(sa.func.array_agg(c)) for c in columns]).where(where)
    row = db.session.execute(stmt).one()
    element = np.dtype([("length", ">i4"), ("value", ">i8")])
    out = []
    for raw in row:
        if raw is None:  # no rows
            out.append(np.zeros(0, dtype=np.int64))
            continue
        # Header: ndim, has-nulls flag, element type, then (size, lower bound) for the one dimension.
        out.append(np.frombuffer(bytes(raw), dtype=element, offset=20)["value"].astype(np.int64))
    return out


def compute_round_snapshot(round_id: int) -> Snapshot:
    """Everybody's place in the round, by ``ranking.py``'s rules, ranked in numpy.

    The database only reads the standings (whole numbers: predictions in
    millionths, times in microseconds); sorting 200,000 rows by a computed
    |prediction - truth| is several times faster here than in SQL.
    ``tests/test_leaderboards_services.py`` checks it against ``ranking.rank_round``.
    """
    started = time.time()
    rnd = get_round(round_id)
    truth = ranking.prediction_truth(rnd)
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        when = sa.cast(sa.func.round(sa.func.date_part("epoch", Standing.submitted_at) * _MICRO), sa.BigInteger)
    else:  # stored as fixed-width ISO text: its order is the time order
        when = sa.cast(Standing.submitted_at, sa.String)
    cat = sa.case({c: i for i, c in enumerate(CATEGORY_CODES)}, value=Standing.category, else_=-1)
    columns = [sa.cast(c, sa.BigInteger) for c in (
        Standing.user_id, sa.func.coalesce(Standing.unit_id, 0), cat, Standing.score, Standing.duration_ms,
        sa.func.coalesce(sa.func.round(Standing.prediction * _MICRO), -1),
        sa.case((Standing.prediction.is_(None), 1), else_=0))]
    where = Standing.round_id == round_id
    if postgres:
        user_ids, unit_ids, cats, scores, durations, predictions, missing, whens = _int64_columns(
            columns + [when], where)
    else:
        rows = db.session.execute(sa.select(*columns, when).where(where)).all()
        table = np.asarray([r[:7] for r in rows], dtype=np.int64).reshape(len(rows), 7)
        user_ids, unit_ids, cats, scores, durations, predictions, missing = (table[:, i].copy() for i in range(7))
        whens = np.unique(np.asarray([r[7] for r in rows], dtype=object).astype(str),
                          return_inverse=True)[1].astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
    keys = []
    for key in ranking.ranking_keys(rnd.contest.ranking_order):
        if key == "score":
            keys.append(-scores)
        elif key == "prediction":
            if rnd.prediction_mode == PredictionMode.OFF or truth is None:
                continue
            error = np.where(missing == 1, 0, np.abs(predictions - int(Decimal(truth) * _MICRO)))
            keys += [missing, error]
        elif key == "duration":
            keys.append(durations)
        elif key == "submitted_at":
            keys.append(whens)
    groups = ranking.separate_groups(rnd)
    if groups:
        # Each entrant group with its own questions is ranked on its own: the group is the
        # first sort key and ranks restart at 1 in each group (the common ranking first).
        codes = np.asarray([CATEGORY_CODES.index(g) if g in CATEGORY_CODES else -2 for g in groups], dtype=np.int64)
        group_of = np.where(np.isin(cats, codes), cats + 1, 0)
        order, ranks = competition_ranks([group_of] + keys, user_ids)
        sorted_groups = group_of[order]
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
        first = starts[np.searchsorted(starts, np.arange(len(order)), side="right") - 1]
        ranks = ranks - first
    else:
        order, ranks = competition_ranks(keys, user_ids)
    return Snapshot(started, number_text(truth), ranking.is_final(rnd), user_ids[order], ranks,
                    unit_ids[order], cats[order].astype(np.int8))


def round_snapshot(round_id: int) -> Snapshot:
    return _cached("round_snapshot", round_id)


# --- recomputation off the request path (stale-while-revalidate) -------------------------------
# The rankings cached for ``fresh`` seconds and never shown older than ``max stale``: how to
# name and compute each, so a background worker can recompute one from its name and arguments.

def _specs() -> dict:
    return {
        "round_snapshot": lambda round_id: (f"round:{round_id}:snap", lambda: compute_round_snapshot(round_id),
                                            SnapshotCodec),
        "contest_snapshot": lambda contest_id: (f"contest:{contest_id}:snap",
                                                lambda: compute_contest_snapshot(contest_id), SnapshotCodec),
        "unit_ranking": lambda round_id, bloc, subtree: (
            f"round:{round_id}:units:{int(subtree)}:{bloc or ''}",
            lambda: compute_unit_ranking(round_id, bloc, subtree), UnitRankingCodec),
    }


def _cached(name: str, *args):
    key, compute, codec = _specs()[name](*args)
    hook = current_app.extensions.get("leaderboards.refresh")
    refresh = None
    if hook is not None and current_app.config.get("LEADERBOARD_REFRESH_IN_BACKGROUND", True):
        def refresh(token: str) -> None:
            hook(name, list(args), token)
    return cache_for(current_app).get_or_compute(key, compute, fresh_for=_fresh(), stale_for=_max_stale(),
                                                 codec=codec, refresh=refresh)


def refresh_cached(name: str, args: list, token: str) -> bool:
    """Recompute one ranking in the background under the lock ``token`` its requester took."""
    key, compute, codec = _specs()[name](*args)
    return cache_for(current_app).refill(key, token, compute, fresh_for=_fresh(), stale_for=_max_stale(),
                                         codec=codec)


# --- contest-wide ranking (sum or best of the rounds) -------------------------------

def _truths(contest: Contest) -> dict[int, Decimal]:
    out = {}
    for rnd in contest.rounds:
        if rnd.prediction_mode != PredictionMode.OFF:
            truth = ranking.prediction_truth(rnd)
            if truth is not None:
                out[rnd.id] = truth
    return out


def _order(cols, keys: list[str], with_prediction: bool) -> list:
    clauses = []
    for key in keys:
        if key == "score":
            clauses.append(cols["score"].desc())
        elif key == "prediction" and with_prediction:
            clauses += [cols["missing"].asc(), cols["error"].asc()]
        elif key == "duration":
            clauses.append(cols["duration_ms"].asc())
        elif key == "submitted_at":
            clauses.append(cols["submitted_at"].asc())
    return clauses


def _contest_entries(contest: Contest, user_ids: list[int] | None = None):
    """One row per entrant of the contest with its contest score, before ranking.

    Sum: the sums of the rounds' scores, durations and prediction errors (a
    missing prediction counts as worse than any), the last submission time.
    Best: the entrant's best round, compared by the contest's ranking order.
    The unit and category are those of the entrant's latest round (sum) or
    best round (best).  Returns (subquery, ordering clauses over it).
    """
    round_ids = [r.id for r in contest.rounds]
    truths = _truths(contest)
    keys = ranking.ranking_keys(contest.ranking_order)
    with_prediction = bool(truths)
    if truths:
        error = sa.case(*[(Standing.round_id == rid, sa.func.abs(Standing.prediction - sa.literal(t, sa.Numeric(20, 6))))
                          for rid, t in truths.items()], else_=None)
        missing = sa.case((Standing.round_id.in_(list(truths)) & Standing.prediction.is_(None), 1), else_=0)
    else:
        error = sa.cast(sa.null(), sa.Numeric(20, 6))
        missing = sa.literal(0)
    where = [Standing.round_id.in_(round_ids)]
    if user_ids is not None:
        where.append(Standing.user_id.in_(user_ids))
    counts = (sa.select(Standing.user_id, sa.func.count().label("rounds"),
                        sa.func.sum(Standing.attempts_count).label("attempts"))
              .where(*where).group_by(Standing.user_id).subquery())
    if contest.aggregate == ContestAggregate.BEST:
        row_cols = {"score": Standing.score, "missing": missing, "error": error,
                    "duration_ms": Standing.duration_ms, "submitted_at": Standing.submitted_at}
        per = (sa.select(Standing.user_id, Standing.unit_id, Standing.category, Standing.score, Standing.max_score,
                         Standing.duration_ms, Standing.submitted_at, missing.label("missing"), error.label("error"),
                         sa.func.row_number().over(partition_by=Standing.user_id,
                                                   order_by=_order(row_cols, keys, with_prediction)
                                                   + [Standing.round_id]).label("rn"))
               .where(*where).subquery())
        base = (sa.select(per.c.user_id, per.c.unit_id, per.c.category, per.c.score, per.c.max_score,
                          per.c.duration_ms, per.c.submitted_at, per.c.missing, per.c.error,
                          counts.c.rounds, counts.c.attempts)
                .join(counts, counts.c.user_id == per.c.user_id).where(per.c.rn == 1).subquery())
    else:
        agg = (sa.select(Standing.user_id, sa.func.sum(Standing.score).label("score"),
                         sa.func.sum(Standing.max_score).label("max_score"),
                         sa.func.sum(Standing.duration_ms).label("duration_ms"),
                         sa.func.max(Standing.submitted_at).label("submitted_at"),
                         sa.func.sum(missing).label("missing"), sa.func.sum(error).label("error"))
               .where(*where).group_by(Standing.user_id).subquery())
        latest = (sa.select(Standing.user_id, Standing.unit_id, Standing.category,
                            sa.func.row_number().over(partition_by=Standing.user_id,
                                                      order_by=[Standing.submitted_at.desc(),
                                                                Standing.round_id.desc()]).label("rn"))
                  .where(*where).subquery())
        base = (sa.select(agg.c.user_id, latest.c.unit_id, latest.c.category, agg.c.score, agg.c.max_score,
                          agg.c.duration_ms, agg.c.submitted_at, agg.c.missing, agg.c.error,
                          counts.c.rounds, counts.c.attempts)
                .join(latest, (latest.c.user_id == agg.c.user_id) & (latest.c.rn == 1))
                .join(counts, counts.c.user_id == agg.c.user_id).subquery())
    order = _order({k: base.c[k] for k in ("score", "missing", "error", "duration_ms", "submitted_at")},
                   keys, with_prediction)
    return base, order, with_prediction


def contest_partition(contest: Contest, base):
    """Entrant groups ranked on their own in any round are ranked on their own for the whole
    contest too (by the category of the entrant's counted round); None: one ranking."""
    groups = sorted({g for rnd in contest.rounds for g in ranking.separate_groups(rnd)})
    if not groups:
        return None
    return sa.case((base.c.category.in_(groups), base.c.category), else_=sa.literal(""))


def compute_contest_snapshot(contest_id: int) -> Snapshot:
    started = time.time()
    contest = get_contest(contest_id)
    base, order, _ = _contest_entries(contest)
    rnk = sa.func.rank().over(order_by=order or [base.c.score.desc()],
                              partition_by=contest_partition(contest, base)).label("rnk")
    ranked = sa.select(base.c.user_id, rnk, base.c.unit_id, base.c.category).subquery()
    rows = db.session.execute(sa.select(ranked).order_by(ranked.c.rnk, ranked.c.user_id)).all()
    final = bool(contest.rounds) and all(ranking.is_final(r) for r in contest.rounds)
    return _snapshot_from_rows(rows, None, final, started)


def contest_snapshot(contest_id: int) -> Snapshot:
    return _cached("contest_snapshot", contest_id)


# ---------------------------------------------------------------------------
# Individual leaderboards
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int
    full_name: str
    unit_name: str
    score: int
    max_score: int
    duration_ms: int
    prediction: str | None  # the entrant's prediction (a round), as text
    prediction_error: str | None  # |prediction - true figure| (a round) or the sum of them (a contest)
    attempts: int
    rounds: int = 1


class RowsCodec:
    @staticmethod
    def dumps(rows: list[BoardRow]) -> bytes:
        return JsonCodec.dumps([asdict(r) for r in rows])

    @staticmethod
    def loads(data: bytes) -> list[BoardRow]:
        return [BoardRow(**r) for r in JsonCodec.loads(data)]


@dataclass(frozen=True)
class Board:
    title: str
    contest: Contest
    round: Round | None
    rows: list[BoardRow]
    total: int  # entrants matching the filters
    entrants: int  # entrants of the whole ranking
    page: int
    pages: int
    me: BoardRow | None  # the viewer's own place (whatever the filters and page)
    truth: str | None
    final: bool
    computed_at: float
    unit: Unit | None = None
    category: str | None = None
    my_page: int | None = None  # the page holding the viewer's own row ("show around me")


def _round_rows(round_id: int, snap: Snapshot, positions: list[int]) -> list[BoardRow]:
    ids = [int(snap.user_ids[p]) for p in positions]
    if not ids:
        return []
    truth = Decimal(snap.truth) if snap.truth is not None else None
    found = {}
    for r in db.session.execute(
        sa.select(Standing.user_id, User.full_name, Unit.name, Standing.score, Standing.max_score,
                  Standing.duration_ms, Standing.prediction, Standing.attempts_count)
        .join(User, User.id == Standing.user_id).outerjoin(Unit, Unit.id == Standing.unit_id)
        .where(Standing.round_id == round_id, Standing.user_id.in_(ids))
    ):
        # Predictions stay secret until the round is finalised (``ranking`` module docstring).
        pred = Decimal(r.prediction) if r.prediction is not None and truth is not None else None
        found[r.user_id] = (r, pred, abs(pred - truth) if pred is not None and truth is not None else None)
    rows = []
    for p, uid in zip(positions, ids):
        if uid not in found:  # left the standings since the snapshot (cannot normally happen)
            continue
        r, pred, error = found[uid]
        rows.append(BoardRow(int(snap.ranks[p]), uid, r.full_name, r.name or "", r.score, r.max_score,
                             r.duration_ms, number_text(pred), number_text(error), r.attempts_count))
    return rows


def _contest_rows(contest_id: int, snap: Snapshot, positions: list[int]) -> list[BoardRow]:
    ids = [int(snap.user_ids[p]) for p in positions]
    if not ids:
        return []
    contest = get_contest(contest_id)
    base, _, with_prediction = _contest_entries(contest, ids)
    found = {r.user_id: r for r in db.session.execute(
        sa.select(base, User.full_name, Unit.name.label("unit_name"))
        .join(User, User.id == base.c.user_id).outerjoin(Unit, Unit.id == base.c.unit_id))}
    rows = []
    for p, uid in zip(positions, ids):
        r = found.get(uid)
        if r is None:
            continue
        error = Decimal(r.error) if (with_prediction and r.error is not None) else None
        rows.append(BoardRow(int(snap.ranks[p]), uid, r.full_name, r.unit_name or "", int(r.score),
                             int(r.max_score), int(r.duration_ms), None, number_text(error), int(r.attempts),
                             int(r.rounds)))
    return rows


def _filters(unit_id: int | None, category: str | None) -> tuple[Unit | None, list[int] | None, str | None]:
    unit = None
    subtree = None
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise _err("unit_not_found", _l("This unit does not exist."), 404, "unit")
        subtree = units.subtree_ids(unit.id)
    if category:
        if category not in CATEGORY_CODES:
            raise _err("category_unknown", _l("Unknown entrant category."), 400, "category")
    return unit, subtree, category or None


def _board(kind: str, obj_id: int, snap: Snapshot, rows_for, *, title: str, contest: Contest,
           rnd: Round | None, unit_id: int | None, category: str | None, page: int,
           viewer_id: int | None) -> Board:
    unit, subtree, category = _filters(unit_id, category)
    positions = snap.positions(subtree, category) if (subtree is not None or category) else None
    total = len(snap) if positions is None else int(positions.shape[0])
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    key = f"{kind}:{obj_id}:page:{snap.computed_at!r}:{unit_id or 0}:{category or ''}:{page}"

    def compute():
        chosen = range(start, min(start + PAGE_SIZE, total)) if positions is None else positions[start:start + PAGE_SIZE]
        return rows_for(obj_id, snap, [int(p) for p in chosen])

    rows = cache_for(current_app).get_or_compute(key, compute, fresh_for=600, keep_for=60, codec=RowsCodec)
    me, my_page = None, None
    if viewer_id is not None:
        pos = snap.position_of(viewer_id)
        me = next((r for r in rows if r.user_id == viewer_id), None)
        if me is None and pos is not None:  # kept like the pages: one query per viewer per recomputation
            me = (cache_for(current_app).get_or_compute(
                f"{kind}:{obj_id}:place:{snap.computed_at!r}:{pos}", lambda: rows_for(obj_id, snap, [pos]),
                fresh_for=600, keep_for=60, codec=RowsCodec) or [None])[0]
        if pos is not None:
            index = pos if positions is None else int(np.searchsorted(positions, pos))
            if positions is None or (index < total and int(positions[index]) == pos):
                my_page = index // PAGE_SIZE + 1
    return Board(title, contest, rnd, rows, total, len(snap), page, pages, me, snap.truth, snap.final,
                 snap.computed_at, unit, category, my_page)


def round_board(round_id: int, viewer=None, *, unit_id: int | None = None, category: str | None = None,
                page: int = 1) -> Board:
    """One page of a round's individual ranking, and the viewer's own place."""
    rnd = get_round(round_id, recent=True)
    check_results_access(rnd.contest, viewer)
    viewer_id = _viewer_id(viewer)
    snap = round_snapshot(round_id)
    return _board("round", round_id, snap, _round_rows, title=rnd.title, contest=rnd.contest, rnd=rnd,
                  unit_id=unit_id, category=category, page=page, viewer_id=viewer_id)


def contest_board(contest_id: int, viewer=None, *, unit_id: int | None = None, category: str | None = None,
                  page: int = 1) -> Board:
    """One page of the contest-wide ranking (sum or best of the rounds)."""
    contest = get_contest(contest_id)
    check_results_access(contest, viewer)
    viewer_id = _viewer_id(viewer)
    snap = contest_snapshot(contest_id)
    return _board("contest", contest_id, snap, _contest_rows, title=contest.title, contest=contest, rnd=None,
                  unit_id=unit_id, category=category, page=page, viewer_id=viewer_id)


def confidential_truth(rnd: Round, viewer) -> str | None:
    """The live prediction figure of a round not finalised yet, for organisers only
    (their views mark it confidential); None for anyone else or once final."""
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.has_role(Role.ORGANISER):
        return None
    if rnd.prediction_mode == PredictionMode.OFF or ranking.is_final(rnd):
        return None
    return number_text(ranking.live_truth(rnd))


def prediction_pending(contest: Contest, rnd: Round | None) -> bool:
    """A prediction question whose truth is not final yet: the ranking shown is by score and time only."""
    rounds = [rnd] if rnd is not None else list(contest.rounds)
    return any(r.prediction_mode != PredictionMode.OFF and not ranking.is_final(r) for r in rounds)


def unit_choices() -> list[tuple[int, str]]:
    """(unit id, indented label) for the unit filter, cached for a minute."""
    return [tuple(x) for x in cache_for(current_app).get_or_compute(
        "unit-choices", lambda: [[u.id, label] for u, label in units.choice_labels()], fresh_for=60)]


def place_in_round(round_id: int, user_id: int) -> BoardRow | None:
    """One entrant's place (from the snapshot: a binary search, then one row)."""
    snap = round_snapshot(round_id)
    pos = snap.position_of(user_id)
    return None if pos is None else (_round_rows(round_id, snap, [pos]) or [None])[0]


@dataclass(frozen=True)
class Place:
    rank: int
    entrants: int
    final: bool  # the round is finalised: this place will not change
    as_of: float  # when the ranking was computed (epoch seconds)


def own_place(round_id: int, viewer) -> Place | None:
    """The viewer's own place in the round, as its results pages show it; None when the
    contest does not show its results to this viewer, or the ranking does not include
    them yet (it is recomputed every few seconds)."""
    rnd = get_round(round_id, recent=True)
    try:
        if results_access(rnd.contest, viewer) != "ok":
            return None
    except ServiceError:
        return None
    snap = round_snapshot(round_id)
    pos = snap.position_of(viewer.id)
    if pos is None:
        return None
    return Place(int(snap.ranks[pos]), len(snap), snap.final, snap.computed_at)


# ---------------------------------------------------------------------------
# Unit ranking (collective prizes)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    code: str
    name: str
    bloc: str
    is_active: bool
    merged: bool
    depth: int
    headcount: int
    entrants: int
    attempts: int
    score_sum: int
    perfect: int
    best_name: str | None
    best_rank: int | None
    rank: int | None  # None: not ranked (see ``note``)
    note: str  # "", "below_minimum", "no_headcount", "no_entrants"

    @property
    def over_headcount(self) -> bool:
        """More confirmed entrants than the headcount: flagged to organisers."""
        return bool(self.headcount) and self.entrants > self.headcount

    @property
    def rate(self) -> Fraction | None:
        """Participation in percent, exact, capped at 100 (only confirmed members count)."""
        return min(Fraction(100 * self.entrants, self.headcount), Fraction(100)) if self.headcount else None

    @property
    def average(self) -> Fraction | None:
        return Fraction(self.score_sum, self.entrants) if self.entrants else None

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else f"{float(self.rate):.2f}"

    @property
    def average_text(self) -> str:
        return "" if self.average is None else f"{float(self.average):.2f}"


@dataclass(frozen=True)
class UnitRanking:
    round_id: int
    bloc: str | None
    subtree: bool
    keys: list[str]
    min_rate: str
    blocs: list[str]
    rows: list[UnitRow]


class UnitRankingCodec:
    @staticmethod
    def dumps(r: UnitRanking) -> bytes:
        return JsonCodec.dumps({**{f.name: getattr(r, f.name) for f in fields(r) if f.name != "rows"},
                                "rows": [asdict(x) for x in r.rows]})

    @staticmethod
    def loads(data: bytes) -> UnitRanking:
        d = JsonCodec.loads(data)
        d["rows"] = [UnitRow(**x) for x in d["rows"]]
        return UnitRanking(**d)


def unit_ranking_keys(order: str | None) -> list[str]:
    keys = []
    for k in (order or DEFAULT_UNIT_RANKING).split(","):
        k = k.strip()
        if k in UNIT_RANKING_KEYS and k not in keys:
            keys.append(k)
    return keys or unit_ranking_keys(DEFAULT_UNIT_RANKING)


def contest_blocs(contest: Contest) -> list[str]:
    listed = [b.strip() for b in (contest.blocs or "").split(",") if b.strip()]
    if listed:
        return listed
    return sorted(b for b in db.session.scalars(sa.select(Unit.bloc).where(Unit.bloc.is_not(None)).distinct()) if b)


def _unit_key(row: UnitRow, keys: list[str]) -> tuple:
    values = {"participation": row.rate or Fraction(0), "average": row.average or Fraction(0),
              "entrants": row.entrants, "perfect": row.perfect, "attempts": row.attempts}
    return tuple(-values[k] for k in keys)


def compute_unit_ranking(round_id: int, bloc: str | None = None, subtree: bool = False) -> UnitRanking:
    rnd = get_round(round_id)
    contest = rnd.contest
    perfect = sa.case(((Standing.score == Standing.max_score) & (Standing.max_score > 0), 1), else_=0)
    own: dict[int, list[int]] = {}  # unit id → [entrants, attempts, score sum, perfect]
    for uid, n, att, total, full in db.session.execute(
        sa.select(Standing.unit_id, sa.func.count(), sa.func.sum(Standing.attempts_count),
                  sa.func.sum(Standing.score), sa.func.sum(perfect))
        .join(User, User.id == Standing.user_id)  # only confirmed members count for their unit
        .where(Standing.round_id == round_id, Standing.unit_id.is_not(None), User.unit_confirmed)
        .group_by(Standing.unit_id)
    ):
        own[uid] = [int(n), int(att or 0), int(total or 0), int(full or 0)]
    all_units = {u.id: u for u in db.session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.bloc, Unit.headcount, Unit.path, Unit.is_active,
                  Unit.merged_into_id)).all()}
    snap = round_snapshot(round_id)
    unconfirmed = list(db.session.scalars(  # usually few: people a unit has not confirmed yet
        sa.select(Standing.user_id).join(User, User.id == Standing.user_id)
        .where(Standing.round_id == round_id, sa.not_(User.unit_confirmed))))
    first = snap.first_position_by_unit(leaving_out=unconfirmed)  # a unit's best entrant: confirmed members only

    figures = {uid: list(v) for uid, v in own.items()}
    heads = {uid: u.headcount for uid, u in all_units.items()}
    best = dict(first)
    if subtree:
        # A parent includes its sub-units.  A merged unit's headcount already
        # moved to the unit it was merged into, so it is not counted twice.
        figures, best = {}, {}
        heads = {uid: u.headcount for uid, u in all_units.items()}
        for uid, u in all_units.items():
            ancestors = [int(a) for a in u.path.strip("/").split("/") if a]
            for a in ancestors:
                if a not in all_units:
                    continue
                if uid in own:
                    acc = figures.setdefault(a, [0, 0, 0, 0])
                    for i in range(4):
                        acc[i] += own[uid][i]
                if a != uid and u.merged_into_id is None:
                    heads[a] += u.headcount
                if uid in first and (a not in best or first[uid] < best[a]):
                    best[a] = first[uid]
    best_users = {uid: int(snap.user_ids[p]) for uid, p in best.items()}
    names = dict(db.session.execute(
        sa.select(User.id, User.full_name).where(User.id.in_(set(best_users.values())))).all()) if best_users else {}

    min_rate = Fraction(Decimal(contest.min_participation_rate or 0))
    keys = unit_ranking_keys(contest.unit_ranking_order)
    rows = []
    for uid, u in all_units.items():
        n, att, total, full = figures.get(uid, [0, 0, 0, 0])
        if not n and not (u.is_active and heads[uid] > 0):
            continue
        if bloc and u.bloc != bloc:
            continue
        note = ""
        if not n:
            note = "no_entrants"
        elif not heads[uid]:
            note = "no_headcount"
        elif Fraction(100 * n, heads[uid]) < min_rate:
            note = "below_minimum"
        pos = best.get(uid)
        rows.append(UnitRow(uid, u.code, u.name, u.bloc or "", bool(u.is_active), u.merged_into_id is not None,
                            u.path.count("/") - 2, heads[uid], n, att, total, full,
                            names.get(best_users.get(uid)), int(snap.ranks[pos]) if pos is not None else None,
                            None, note))
    ranked = sorted((r for r in rows if not r.note), key=lambda r: (_unit_key(r, keys), r.name, r.unit_id))
    others = sorted((r for r in rows if r.note), key=lambda r: (_unit_key(r, keys), r.name, r.unit_id))
    out = []
    prev_key, prev_rank = None, 0
    for i, r in enumerate(ranked, start=1):
        k = _unit_key(r, keys)
        rank = prev_rank if k == prev_key else i
        prev_key, prev_rank = k, rank
        out.append(UnitRow(**{**asdict(r), "rank": rank}))
    return UnitRanking(round_id, bloc or None, subtree, keys, number_text(Decimal(contest.min_participation_rate or 0)),
                       contest_blocs(contest), out + others)


def unit_ranking_page(round_id: int, viewer=None, bloc: str | None = None, subtree: bool = False) -> UnitRanking:
    """The unit ranking as the public page shows it (after the contest's visibility check)."""
    check_results_access(get_round(round_id, recent=True).contest, viewer)
    return unit_ranking(round_id, bloc, subtree)


def unit_ranking(round_id: int, bloc: str | None = None, subtree: bool = False) -> UnitRanking:
    bloc = (bloc or "").strip()[:64] or None
    return _cached("unit_ranking", round_id, bloc, bool(subtree))


# ---------------------------------------------------------------------------
# Round statistics (what organisers publish each week)
# ---------------------------------------------------------------------------

BANDS = ("full", "q75", "q25", "low", "zero")  # 100%; ≥75%; 25–75%; under 25% (not 0); 0 correct


@dataclass(frozen=True)
class RoundStats:
    round_id: int
    entrants: int
    attempts: int
    perfect: int
    bands: list  # [band, count, percent text]
    truth: str | None
    truth_final: bool
    prediction_mode: str
    distribution: list  # [score, count] for every score 0..max
    max_score: int
    per_day: list  # [ISO date (Vietnam), submitted attempts, entrants]
    units: list  # [name, participation % text, entrants, headcount], lowest participation first

    @property
    def perfect_pct(self) -> str:
        return _pct(self.perfect, self.entrants)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "0.0"


class StatsCodec:
    @staticmethod
    def dumps(s: RoundStats) -> bytes:
        return JsonCodec.dumps(asdict(s))

    @staticmethod
    def loads(data: bytes) -> RoundStats:
        return RoundStats(**JsonCodec.loads(data))


def _local_day(column):
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Ho_Chi_Minh", column), "YYYY-MM-DD")
    return sa.func.date(column, "+7 hours")


def compute_round_stats(round_id: int) -> RoundStats:
    rnd = get_round(round_id)
    s = Standing
    band = sa.case(
        ((s.max_score > 0) & (s.score == s.max_score), "full"),
        (s.score == 0, "zero"),
        (s.score * 4 >= s.max_score * 3, "q75"),
        (s.score * 4 >= s.max_score, "q25"),
        else_="low",
    )
    counts = dict(db.session.execute(
        sa.select(band, sa.func.count()).where(s.round_id == round_id).group_by(band)).all())
    entrants = sum(counts.values())
    attempts = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(s.attempts_count), 0)).where(s.round_id == round_id)) or 0
    dist = dict(db.session.execute(
        sa.select(s.score, sa.func.count()).where(s.round_id == round_id).group_by(s.score)).all())
    max_score = db.session.scalar(sa.select(sa.func.max(s.max_score)).where(s.round_id == round_id)) or 0
    max_score = max([max_score] + list(dist))
    day = _local_day(Attempt.submitted_at)
    per_day = [[d, int(a), int(e)] for d, a, e in db.session.execute(
        sa.select(day, sa.func.count(), sa.func.count(sa.distinct(Attempt.user_id)))
        .where(Attempt.round_id == round_id, Attempt.status == AttemptStatus.SUBMITTED)
        .group_by(day).order_by(day))]
    ranking_rows = unit_ranking(round_id).rows
    unit_rows = sorted((r for r in ranking_rows if r.headcount), key=lambda r: (r.rate, r.name))
    truth = ranking.prediction_truth(rnd)
    return RoundStats(
        round_id=round_id, entrants=entrants, attempts=int(attempts), perfect=counts.get("full", 0),
        bands=[[b, counts.get(b, 0), _pct(counts.get(b, 0), entrants)] for b in BANDS],
        truth=number_text(truth), truth_final=ranking.is_final(rnd), prediction_mode=rnd.prediction_mode.value,
        distribution=[[k, int(dist.get(k, 0))] for k in range(max_score + 1)], max_score=int(max_score),
        per_day=per_day,
        units=[[r.name, r.rate_text, r.entrants, r.headcount] for r in unit_rows],
    )


def round_stats_page(round_id: int, viewer=None) -> RoundStats:
    check_results_access(get_round(round_id, recent=True).contest, viewer)
    return round_stats(round_id)


def round_stats(round_id: int) -> RoundStats:
    return cache_for(current_app).get_or_compute(
        f"round:{round_id}:stats", lambda: compute_round_stats(round_id), fresh_for=_stats_fresh(),
        codec=StatsCodec)


# ---------------------------------------------------------------------------
# A unit manager's view of their people
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonRow:
    user_id: int
    full_name: str
    unit_name: str  # the unit the result counts for (or the person's current unit if no result)
    current_unit_name: str
    phone: str | None
    email: str | None
    took_part: bool
    score: int | None
    max_score: int | None
    duration_ms: int | None
    attempts: int
    rank: int | None


def unit_people(unit_id: int, round_id: int, subtree: bool = True, viewer=None) -> list[PersonRow]:
    """Everybody of the unit (and its sub-units) with their result in the round, those
    who have not taken part first (so the manager can remind them).  Includes people
    whose result counts for the unit although they have moved since.

    Scores, times and ranks follow the contest's results visibility for ``viewer``
    like every other view of results (``results_visible``); whether someone has
    taken part is always shown (the manager reminds those who have not)."""
    rnd = get_round(round_id)
    shown = results_visible(rnd.contest, viewer)
    ids = units.subtree_ids(unit_id) if subtree else [unit_id]
    current = sa.orm.aliased(Unit)
    counted = sa.orm.aliased(Unit)
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.phone, User.email, current.name, counted.name,
                  Standing.score, Standing.max_score, Standing.duration_ms, Standing.attempts_count, User.unit_id)
        .outerjoin(Standing, (Standing.user_id == User.id) & (Standing.round_id == round_id))
        .outerjoin(current, current.id == User.unit_id)
        .outerjoin(counted, counted.id == Standing.unit_id)
        .where(sa.or_(User.unit_id.in_(ids), Standing.unit_id.in_(ids)))
        .order_by(User.full_name, User.id)
    ).all()
    snap = round_snapshot(round_id) if shown else None
    id_set = set(ids)
    out = []
    for r in rows:
        took = r.score is not None
        pos = snap.position_of(r.id) if took and shown else None
        # Contact details only while the person belongs to the unit: someone who has left
        # is listed (the result still counts here) without his phone or e-mail.
        here = r.unit_id in id_set
        out.append(PersonRow(r.id, r.full_name, (r[5] if took else r[4]) or "", r[4] or "",
                             r.phone if here else None, r.email if here else None, took,
                             r.score if shown else None, r.max_score if shown else None,
                             r.duration_ms if shown else None, int(r.attempts_count or 0),
                             int(snap.ranks[pos]) if pos is not None else None))
    out.sort(key=lambda p: (p.took_part, p.full_name, p.user_id))
    return out
