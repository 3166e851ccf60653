"""Participation: the one figure a unit is judged by, defined here and read everywhere.

The unit dashboard, the unit ranking (its default view and its exports), the round
statistics and the periodic report all take a unit's participation from this module:

* **with sub-units** (``SUBTREE``): a unit counts the entrants and the headcount of its
  sub-units too (a city's members usually sit in its wards); a merged unit's headcount
  already moved to the unit it was merged into, so it is not counted twice;
* **confirmed members only**: an entrant counts for his unit once a unit manager (or an
  organiser) confirmed the membership (``User.unit_confirmed``);
* **per round**: entrants ÷ headcount, capped at 100 % — the unit ranking's row
  (``unit_ranking.UnitRow.rate``), computed once and cached there;
* **over several rounds** (a contest, a report period): only rounds that had opened by the
  date asked about count (``rounds_counted``); the figure is Σ entrants ÷ Σ headcounts over
  those rounds, i.e. the average per-round participation when the headcount did not change.

Owns: ``Participation``, ``UnitStanding`` and the functions below.
Must not: decide who may see a figure (callers check access first).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from quizapp.contests.models import Round
from quizapp.leaderboards.unit_ranking import UnitRow, unit_ranking

SUBTREE = True  # a unit's figure includes its sub-units; the unit ranking opens on this view


@dataclass(frozen=True)
class Participation:
    entrants: int  # confirmed members' entries, summed over the rounds counted
    headcount: int  # the headcount, summed over the rounds counted
    rounds: int  # rounds counted (opened by the date asked about)

    @property
    def rate(self) -> Fraction | None:
        """In percent, exact, capped at 100; None without a headcount."""
        if not self.headcount:
            return None
        return min(Fraction(100 * self.entrants, self.headcount), Fraction(100))

    @property
    def rate_float(self) -> float | None:
        return None if self.rate is None else float(self.rate)

    @property
    def rate_text(self) -> str:
        """Two decimals, as the unit ranking prints it ("" without a headcount)."""
        return "" if self.rate is None else f"{float(self.rate):.2f}"


NONE = Participation(0, 0, 0)


def rounds_counted(rounds: Iterable[Round], as_of: datetime) -> list[Round]:
    """The rounds that had opened by ``as_of``: a round not yet open does not lower the average."""
    return [r for r in rounds if r.opens_at <= as_of]


def _row(round_id: int, unit_id: int) -> UnitRow | None:
    return next((r for r in unit_ranking(round_id, subtree=SUBTREE).rows if r.unit_id == unit_id), None)


def of_round(round_id: int, unit_id: int) -> Participation:
    """A unit's participation in one round (with sub-units, confirmed members)."""
    row = _row(round_id, unit_id)
    return Participation(row.entrants, row.headcount, 1) if row is not None else Participation(0, 0, 1)


def of_rounds(unit_ids: Iterable[int], rounds: Iterable[Round], as_of: datetime) -> dict[int, Participation]:
    """Each unit's participation over ``rounds`` (those opened by ``as_of``):
    ``{unit_id: Participation}``; one cached unit ranking read per round."""
    wanted = set(unit_ids)
    counted = rounds_counted(rounds, as_of)
    sums = {uid: [0, 0] for uid in wanted}
    for rnd in counted:
        for row in unit_ranking(rnd.id, subtree=SUBTREE).rows:
            if row.unit_id in wanted:
                sums[row.unit_id][0] += row.entrants
                sums[row.unit_id][1] += row.headcount
    return {uid: Participation(e, h, len(counted)) for uid, (e, h) in sums.items()}


@dataclass(frozen=True)
class UnitStanding:
    """Where a unit stands in a round's unit ranking (the ``SUBTREE`` view) and what a rank needs."""
    participation: Participation
    rank: int | None  # None: not ranked (``note`` says why)
    ranked: int  # how many units are ranked
    note: str  # the ranking's note: "", "below_minimum", "no_headcount", "no_entrants"
    min_rate: Fraction  # the contest's minimum participation for unit prizes (the prize floor), percent
    missing: int  # confirmed entrants still needed to reach the floor (0 once reached)


def standing(round_id: int, unit_id: int) -> UnitStanding | None:
    """The unit's rank in the round's unit ranking and its gap to the prize floor (None: not listed)."""
    from quizapp.leaderboards.visibility import get_round

    ranking = unit_ranking(round_id, subtree=SUBTREE)
    row = next((r for r in ranking.rows if r.unit_id == unit_id), None)
    if row is None:
        return None
    floor = Fraction(Decimal(get_round(round_id).contest.min_participation_rate or 0))
    needed = math.ceil(floor * row.headcount / 100) if row.headcount else 0
    return UnitStanding(Participation(row.entrants, row.headcount, 1), row.rank,
                        sum(1 for r in ranking.rows if r.rank is not None), row.note, floor,
                        max(0, needed - row.entrants, 1 if row.entrants == 0 and row.headcount else 0))
