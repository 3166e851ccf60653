"""Scoring rules of the live contest as pure functions (no database, no clock): tested directly.

* knowledge: ``points`` per right answer, plus a speed bonus that falls linearly from
  ``speed_bonus`` (an answer arriving as the question opens) to 0 (at the close), measured from the
  server's ``opened_at`` to the server's arrival time;
* buzzer: the first press by server arrival order holds the right to answer; right earns the points,
  wrong costs the penalty and, when the organiser allows it, passes the question to the next
  team in arrival order;
* judged parts: the judges' mean, or the mean without the highest and the lowest;
* ranking: total, then tie-break points; teams still equal share a place.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence


def round_points(value: float) -> float:
    """Points are kept to two decimals (judges' means): 8.333… is 8.33 everywhere."""
    return round(float(value) + 0.0, 2)


def speed_bonus(max_bonus: float, opened_at: datetime, closes_at: datetime, received_at: datetime) -> float:
    """Linear from ``max_bonus`` at ``opened_at`` to 0 at ``closes_at`` (server times); 0 outside."""
    if max_bonus <= 0:
        return 0.0
    window = (closes_at - opened_at).total_seconds()
    taken = (received_at - opened_at).total_seconds()
    if window <= 0 or taken < 0 or taken > window:
        return 0.0
    return round_points(max_bonus * (1 - taken / window))


def knowledge_points(correct: bool, points: float, max_bonus: float, opened_at: datetime, closes_at: datetime,
                     received_at: datetime) -> tuple[float, float]:
    """(points, bonus) for one team's answer to a knowledge question."""
    if not correct:
        return 0.0, 0.0
    return round_points(points), speed_bonus(max_bonus, opened_at, closes_at, received_at)


def accepts_answer(opened_at: datetime | None, closes_at: datetime | None, received_at: datetime,
                   grace_seconds: float = 0.0) -> bool:
    """Whether an answer that reached the server at ``received_at`` is in time."""
    if opened_at is None or closes_at is None or received_at < opened_at:
        return False
    return (received_at - closes_at).total_seconds() <= grace_seconds


@dataclass(frozen=True)
class Press:
    team_id: int
    order: int  # server arrival order (the buzz row's id)
    verdict: bool | None = None


def buzz_holder(presses: Iterable[Press], pass_on: bool) -> int | None:
    """The team holding the right to answer: the earliest press without a verdict, provided no earlier
    press was marked right, and (without pass-on) nobody was marked wrong yet."""
    for press in sorted(presses, key=lambda p: p.order):
        if press.verdict is True:
            return None  # answered: nobody else answers
        if press.verdict is False:
            if not pass_on:
                return None
            continue
        return press.team_id
    return None


def buzzer_points(verdict: bool, points: float, penalty: float) -> float:
    """A mark on a buzzer answer: ``points`` when right, minus the penalty when wrong."""
    return round_points(points) if verdict else -round_points(abs(penalty))


def judged_score(totals: Sequence[float], mode: str) -> float | None:
    """The judges' mean, or (``trimmed``) the mean without one highest and one lowest score.
    With fewer than three scores there is nothing to drop: the plain mean.  None without scores."""
    values = sorted(float(t) for t in totals)
    if not values:
        return None
    if mode == "trimmed" and len(values) >= 3:
        values = values[1:-1]
    return round_points(sum(values) / len(values))


def rubric_total(scores: Sequence[float], rubric: Sequence[dict]) -> float:
    """A judge's sheet: each criterion between 0 and its maximum; the total is their sum.
    Raises ValueError naming the criterion (1-based) that is out of range."""
    if len(scores) != len(rubric):
        raise ValueError("count")
    total = 0.0
    for i, (value, criterion) in enumerate(zip(scores, rubric), start=1):
        value = float(value)
        if value != value or value < 0 or value > float(criterion["max"]):  # NaN too
            raise ValueError(str(i))
        total += value
    return round_points(total)


@dataclass(frozen=True)
class Standing:
    team_id: int
    total: float
    tiebreak: float
    place: int
    tied: bool  # shares its place with another team


def rank(totals: dict[int, float], tiebreaks: dict[int, float] | None = None) -> list[Standing]:
    """Teams by total (desc), then tie-break points (desc); equal on both share a place (1, 1, 3).
    Order within a shared place is by team id, so it is stable."""
    tiebreaks = tiebreaks or {}
    keyed = sorted(totals, key=lambda t: (-round_points(totals[t]), -round_points(tiebreaks.get(t, 0)), t))
    out: list[Standing] = []
    prev_key = None
    place = 0
    for i, team_id in enumerate(keyed, start=1):
        key = (round_points(totals[team_id]), round_points(tiebreaks.get(team_id, 0)))
        if key != prev_key:
            place = i
        prev_key = key
        out.append(Standing(team_id, round_points(totals[team_id]), round_points(tiebreaks.get(team_id, 0)),
                            place, False))
    counts: dict[int, int] = {}
    for s in out:
        counts[s.place] = counts.get(s.place, 0) + 1
    return [Standing(s.team_id, s.total, s.tiebreak, s.place, counts[s.place] > 1) for s in out]


def tied_for(standings: list[Standing], places: int = 3) -> list[list[int]]:
    """Groups of teams sharing a place within the first ``places`` (the ones a tie-break must split)."""
    groups: dict[int, list[int]] = {}
    for s in standings:
        if s.tied and s.place <= places:
            groups.setdefault(s.place, []).append(s.team_id)
    return [groups[p] for p in sorted(groups)]
