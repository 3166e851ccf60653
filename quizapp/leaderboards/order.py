"""The ranking order: which keys a contest ranks by (``Contest.ranking_order``), parsed once.

Owns: the list of known keys and the parsing of a contest's comma list. It is the floor
under ``ranking.py`` (the ranking itself, the true figure, finalisation) and
``standings.py`` (which attempt counts), which both compare on these keys.
Must not import any other leaderboards module or touch the database: keeping it below
both is what keeps ``ranking`` → ``standings`` one-way.
"""
from __future__ import annotations

from quizapp.contests.models import DEFAULT_RANKING_ORDER

RANKING_KEYS = ("score", "prediction", "duration", "submitted_at")


def ranking_keys(order: str | None) -> list[str]:
    keys = [k.strip() for k in (order or DEFAULT_RANKING_ORDER).split(",")]
    seen: list[str] = []
    for k in keys:
        if k in RANKING_KEYS and k not in seen:
            seen.append(k)
    return seen or ranking_keys(DEFAULT_RANKING_ORDER)
