"""The contest-wide ranking: every entrant's place over all the rounds of a contest (sum or best).

Owns: a contest's entries before ranking (``contest_entries``: the sums, or the best round,
compared by the contest's ranking order; also read by the board rows and the jury export so
they show the same figures), the separately ranked groups of a contest
(``contest_partition``) and the cached contest snapshot.
Must not: check who may see results, build page rows, or rank a single round (that is
``snapshots.py``, by ``ranking.py``'s rules, which this module follows for the keys).
"""
from __future__ import annotations

import time
from decimal import Decimal

import sqlalchemy as sa

from quizapp.contests.models import Contest, ContestAggregate, PredictionMode
from quizapp.core.db import db
from quizapp.leaderboards import ranking, refresh
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.order import ranking_keys
from quizapp.leaderboards.snapshots import Snapshot, SnapshotCodec, snapshot_from_rows
from quizapp.leaderboards.visibility import get_contest


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


def contest_entries(contest: Contest, user_ids: list[int] | None = None):
    """One row per entrant of the contest with its contest score, before ranking.

    Sum: the sums of the rounds' scores, durations and prediction errors (a
    missing prediction counts as worse than any), the last submission time.
    Best: the entrant's best round, compared by the contest's ranking order.
    The unit and category are those of the entrant's latest round (sum) or
    best round (best).  Returns (subquery, ordering clauses over it).
    """
    round_ids = [r.id for r in contest.rounds]
    truths = _truths(contest)
    keys = ranking_keys(contest.ranking_order)
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
    base, order, _ = contest_entries(contest)
    rnk = sa.func.rank().over(order_by=order or [base.c.score.desc()],
                              partition_by=contest_partition(contest, base)).label("rnk")
    ranked = sa.select(base.c.user_id, rnk, base.c.unit_id, base.c.category).subquery()
    rows = db.session.execute(sa.select(ranked).order_by(ranked.c.rnk, ranked.c.user_id)).all()
    final = bool(contest.rounds) and all(ranking.is_final(r) for r in contest.rounds)
    return snapshot_from_rows(rows, None, final, started)


def contest_snapshot(contest_id: int) -> Snapshot:
    return refresh.cached("contest_snapshot", contest_id)



refresh.register("contest_snapshot", key=lambda contest_id: f"contest:{contest_id}:snap",
                 compute=compute_contest_snapshot, codec=SnapshotCodec)
