"""The unit ranking (collective prizes): each unit's participation and scores in a round, ranked.

Owns: ``UnitRow`` / ``UnitRanking`` and their codec, the unit ranking keys
(``Contest.unit_ranking_order``), the contest's blocs, computing the ranking (direct
members or with sub-units; only members a unit has confirmed count; a unit's best
entrant from the round snapshot) and the cached ranking.
Must not: decide visibility itself (the page asks ``visibility.check_results_access``;
the exports and reports call ``unit_ranking`` / ``compute_unit_ranking`` after their own
checks), or rank individuals (it reads ``snapshots.round_snapshot``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa

from quizapp.auth.models import User
from quizapp.contests.models import Contest, DEFAULT_UNIT_RANKING
from quizapp.core.db import db
from quizapp.leaderboards import refresh
from quizapp.leaderboards.cache import JsonCodec
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.ranking import number_text
from quizapp.leaderboards.snapshots import round_snapshot
from quizapp.leaderboards.visibility import check_results_access, get_round
from quizapp.units.models import Unit

UNIT_RANKING_KEYS = ("participation", "average", "entrants", "perfect", "attempts")


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
    rnd = get_round(round_id, recent=True)
    check_results_access(rnd.contest, viewer, rnd)
    return unit_ranking(round_id, bloc, subtree)


def unit_ranking(round_id: int, bloc: str | None = None, subtree: bool = False) -> UnitRanking:
    bloc = (bloc or "").strip()[:64] or None
    return refresh.cached("unit_ranking", round_id, bloc, bool(subtree))


refresh.register("unit_ranking",
                 key=lambda round_id, bloc, subtree: f"round:{round_id}:units:{int(subtree)}:{bloc or ''}",
                 compute=compute_unit_ranking, codec=UnitRankingCodec)
