"""Individual leaderboards: one page of a round's or a contest's ranking, with the viewer's own row.

Owns: ``Board`` and ``BoardRow`` (and the rows' codec), the rows shown for positions of a
snapshot (names, units, scores, predictions once final), the unit and category filters,
paging (``PAGE_SIZE``) and the page cache, and what a board shows besides (the organisers'
confidential live figure, "prediction pending", the unit filter's choices).
Must not: rank (it slices the snapshots of ``snapshots.py`` / ``contest_ranking.py``) or
decide visibility itself (``visibility.check_results_access``); it never shows a
prediction before the round is final.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import Role, User
from quizapp.contests.models import Contest, PredictionMode, Round
from quizapp.core.db import db
from quizapp.leaderboards import ranking
from quizapp.leaderboards.cache import JsonCodec, cache_for
from quizapp.leaderboards.contest_ranking import contest_entries, contest_snapshot
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.ranking import number_text
from quizapp.leaderboards.snapshots import CATEGORY_CODES, Snapshot, round_snapshot
from quizapp.leaderboards.visibility import check_results_access, get_contest, get_round, service_error, viewer_id
from quizapp.units import services as units
from quizapp.units.models import Unit

PAGE_SIZE = 50


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


def round_rows(round_id: int, snap: Snapshot, positions: list[int]) -> list[BoardRow]:
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
    base, _, with_prediction = contest_entries(contest, ids)
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
            raise service_error("unit_not_found", _l("This unit does not exist."), 404, "unit")
        subtree = units.subtree_ids(unit.id)
    if category:
        if category not in CATEGORY_CODES:
            raise service_error("category_unknown", _l("Unknown entrant category."), 400, "category")
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
    check_results_access(rnd.contest, viewer, rnd)
    snap = round_snapshot(round_id)
    return _board("round", round_id, snap, round_rows, title=rnd.title, contest=rnd.contest, rnd=rnd,
                  unit_id=unit_id, category=category, page=page, viewer_id=viewer_id(viewer))


def contest_board(contest_id: int, viewer=None, *, unit_id: int | None = None, category: str | None = None,
                  page: int = 1) -> Board:
    """One page of the contest-wide ranking (sum or best of the rounds)."""
    contest = get_contest(contest_id)
    check_results_access(contest, viewer, contest)
    snap = contest_snapshot(contest_id)
    return _board("contest", contest_id, snap, _contest_rows, title=contest.title, contest=contest, rnd=None,
                  unit_id=unit_id, category=category, page=page, viewer_id=viewer_id(viewer))


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
