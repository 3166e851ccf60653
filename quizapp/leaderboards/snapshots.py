"""Snapshots: everybody's place in a round, computed once per few seconds, and their binary form.

How a page stays fast at a million attempts
--------------------------------------------
The standings table holds one row per entrant and round (the counted
attempt), kept current inside the submit transaction, so a submission costs
one indexed upsert (O(log n)).  Ranking everybody is the expensive part, so
it is done at most once every ``LEADERBOARD_FRESH_SECONDS`` (default 1.5 s) per
round, by one worker at a time (see ``cache.py`` and ``refresh.py``; a snapshot stored more than
``LEADERBOARD_MAX_STALE_SECONDS``, default 3.5 s, ago is never shown), into a *snapshot*: the
entrants' ids in ranking order with their rank, unit and category as compact
arrays.  A page is then a slice of the snapshot plus one query for the 50
rows shown (``boards.py``); one entrant's place is a binary search (``places.py``); a unit
filter is a mask over the arrays.  Pages, unit rankings and statistics are cached the same way.
So a new submission shows within ``max stale`` + the time of one recomputation
(about 0.5 s at 200,000 entrants on PostgreSQL): under 5 s.  The recomputation runs off the
request path (``leaderboards/tasks.py``): the request that finds the snapshot older than
``fresh`` starts it as a job (or a thread) and serves the snapshot it has.

Ranks are the round's official places (``ranking.py``: standard competition
ranking, ties share a rank); filtering by unit or category narrows the list
but keeps each entrant's place in the whole round.

Results belong to the unit an entrant belonged to when they took part
(``Standing.unit_id``, copied from the attempt), never to their current unit.

Owns: ``Snapshot`` and its codec, ranking a round in numpy by ``ranking.py``'s rules
(``compute_round_snapshot``, checked against ``ranking.rank_round`` by the tests) and the
cached round snapshot.  The contest-wide snapshot is ``contest_ranking.py``'s.
Must not: check who may see results (callers do, ``visibility.py``), read names or
build page rows, or hold a ranking rule of its own.
"""
from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory
from quizapp.contests.models import PredictionMode
from quizapp.core.db import db
from quizapp.leaderboards import ranking, refresh
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.order import ranking_keys
from quizapp.leaderboards.ranking import number_text
from quizapp.leaderboards.visibility import get_round

CATEGORY_CODES = [c.value for c in EntrantCategory]


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
        """Unit id → index of its best-placed entrant (not one of the users ``leaving_out``).

        "Best" is the best rank, across the groups a round ranks separately (each restarts at 1,
        so the order of the snapshot alone would always prefer the common ranking); between equal
        ranks, the earlier in the snapshot (the common ranking, then the groups in order)."""
        if not len(self):
            return {}
        positions = np.arange(len(self))
        if leaving_out:
            positions = positions[~np.isin(self.user_ids, np.asarray(leaving_out, dtype=np.int64))]
        positions = positions[np.lexsort((positions, self.ranks[positions]))]  # by rank, then snapshot order
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


def snapshot_from_rows(rows, truth: Decimal | None, final: bool, started: float) -> Snapshot:
    """``started``: when the ranking query began; every submission committed before it is included."""
    codes = {c: i for i, c in enumerate(CATEGORY_CODES)}
    n = len(rows)
    user_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    ranks = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    unit_ids = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=n)
    cats = np.fromiter((codes.get(r[3], -1) for r in rows), dtype=np.int8, count=n)
    return Snapshot(started, number_text(truth), final, user_ids, ranks, unit_ids, cats)


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
    for key in ranking_keys(rnd.contest.ranking_order):
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
    return refresh.cached("round_snapshot", round_id)



refresh.register("round_snapshot", key=lambda round_id: f"round:{round_id}:snap",
                 compute=compute_round_snapshot, codec=SnapshotCodec)
