"""Round statistics: the figures organisers publish each week (score bands, distribution, per day, per unit).

Owns: ``RoundStats`` and its codec, computing them from the standings and the submitted
attempts (days in Vietnam's time), and the cached statistics (``LEADERBOARD_STATS_FRESH_SECONDS``).
Must not: decide visibility itself (``round_stats_page`` asks ``visibility``), show the
true figure before it is final (``ranking.prediction_truth``), or compute participation
its own way (the per-unit figures are the unit ranking's).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import current_app

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.core.db import db
from quizapp.leaderboards import ranking
from quizapp.leaderboards.cache import JsonCodec, cache_for
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.ranking import number_text
from quizapp.leaderboards.participation import SUBTREE
from quizapp.leaderboards.unit_ranking import unit_ranking
from quizapp.leaderboards.visibility import check_results_access, get_round


def _stats_fresh() -> float:
    return float(current_app.config.get("LEADERBOARD_STATS_FRESH_SECONDS", 30))


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
    ranking_rows = unit_ranking(round_id, subtree=SUBTREE).rows  # the one participation figure
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
    rnd = get_round(round_id, recent=True)
    check_results_access(rnd.contest, viewer, rnd)
    return round_stats(round_id)


def round_stats(round_id: int) -> RoundStats:
    return cache_for(current_app).get_or_compute(
        f"round:{round_id}:stats", lambda: compute_round_stats(round_id), fresh_for=_stats_fresh(),
        codec=StatsCodec)
