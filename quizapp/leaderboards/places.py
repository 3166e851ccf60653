"""One entrant's own place in a round: for "Bài thi của tôi", the API and the result page.

Owns: ``Place`` and the two lookups of one entrant in a round's snapshot (a binary
search): ``own_place`` (as the viewer's results pages show it) and ``place_in_round``
(the entrant's board row).
Must not: rank, or show a place the contest's results visibility hides from the viewer
(``own_place`` asks ``visibility.results_access``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.leaderboards import ranking
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.boards import BoardRow, round_rows
from quizapp.leaderboards.snapshots import CATEGORY_CODES, round_snapshot
from quizapp.leaderboards.visibility import get_round, results_access


def place_in_round(round_id: int, user_id: int) -> BoardRow | None:
    """One entrant's place (from the snapshot: a binary search, then one row)."""
    snap = round_snapshot(round_id)
    pos = snap.position_of(user_id)
    return None if pos is None else (round_rows(round_id, snap, [pos]) or [None])[0]


@dataclass(frozen=True)
class Place:
    rank: int
    entrants: int  # in the ranking the rank is counted in (the entrant's group when groups rank separately)
    final: bool  # the round is finalised: this place will not change
    as_of: float  # when the ranking was computed (epoch seconds)
    group: str | None = None  # the entrant category ranked on its own, None for the common (or only) ranking


def _group_of(rnd, snap, pos: int) -> tuple[str | None, int]:
    """(the entrant's ranking group, how many entrants it holds): a category the round ranks
    separately (``ranking.separate_groups``) restarts the ranks, so the place counts in it."""
    groups = [g for g in ranking.separate_groups(rnd) if g in CATEGORY_CODES]
    if not groups:
        return None, len(snap)
    codes = [CATEGORY_CODES.index(g) for g in groups]
    mine = int(snap.categories[pos])
    if mine in codes:
        return CATEGORY_CODES[mine], int((snap.categories == mine).sum())
    return None, int((~np.isin(snap.categories, codes)).sum())


def own_place(round_id: int, viewer) -> Place | None:
    """The viewer's own place in the round, as its results pages show it; None when the
    contest does not show its results to this viewer, or the ranking does not include
    them yet (it is recomputed every few seconds)."""
    rnd = get_round(round_id, recent=True)
    try:
        if results_access(rnd.contest, viewer, rnd) != "ok":
            return None
    except ServiceError:
        return None
    snap = round_snapshot(round_id)
    pos = snap.position_of(viewer.id)
    if pos is None:
        return None
    group, entrants = _group_of(rnd, snap, pos)
    return Place(int(snap.ranks[pos]), entrants, snap.final, snap.computed_at, group)


@dataclass(frozen=True)
class OwnResult:
    round_title: str
    score: int
    max_score: int
    duration_ms: int


def own_results(rounds, viewer) -> list[OwnResult]:
    """The viewer's own counted result in each of ``rounds`` he took (what a page of results
    not published yet still shows him: ``visibility.ResultsEmbargoed``)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    titles = {r.id: r.title for r in rounds}
    if not titles:
        return []
    rows = db.session.execute(
        sa.select(Standing.round_id, Standing.score, Standing.max_score, Standing.duration_ms)
        .where(Standing.user_id == viewer.id, Standing.round_id.in_(list(titles)))).all()
    order = list(titles)
    return [OwnResult(titles[r.round_id], r.score, r.max_score, r.duration_ms)
            for r in sorted(rows, key=lambda r: order.index(r.round_id))]
