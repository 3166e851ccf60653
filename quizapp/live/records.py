"""What a live event leaves in the units' records: which events the teams of some units took part
in, when, with how many members and (once published) their place.  Read-only.

Other rooms read the live tables only through this module: the plans count each event as an
activity of the contests form and list it in the unit's reports (``plans.activities``), the unit
dashboard lists it in the unit's history, and the campaign's periodic report lists it beside the
online rounds.

* **Which events**: every event that has started (running or finished; a draft has not happened).
* **When**: ``held_on`` when it is set, else the moment the organiser started it (the audit log's
  ``live.start``), else its first question's opening, else its creation; the day is Vietnam's.
* **Place and points**: only when the event has finished *and* the organiser has published its
  results (the rule of the audience page); otherwise ``place`` is None ("chưa công bố").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

import sqlalchemy as sa

from quizapp.campaign.render import VN_OFFSET
from quizapp.core.audit import AuditEntry
from quizapp.core.db import UTCDateTime, db
from quizapp.live import results
from quizapp.live.models import EventStatus, LiveEvent, LiveItem, LivePart, LiveTeam


@dataclass(frozen=True)
class TeamEntry:
    """One team of one event: the event, the unit the team stands for and how it did."""

    event_id: int
    event: str  # the event's title
    venue: str
    held_on: date  # Vietnam date
    team_id: int
    team: str
    unit_id: int
    members: int  # the team's members: the people of the unit the event reached
    published: bool  # finished and its results published: ``place`` and ``points`` are known
    place: int | None = None
    tied: bool = False
    points: float | None = None


def held_at():
    """SQL: when an event was held (UTC), as the module docstring says."""
    started = (sa.select(sa.func.min(AuditEntry.created_at))
               .where(AuditEntry.action == "live.start", AuditEntry.object_type == "live_event",
                      AuditEntry.object_id == sa.cast(LiveEvent.id, sa.String))
               .correlate(LiveEvent).scalar_subquery())
    first_open = (sa.select(sa.func.min(LiveItem.opened_at)).join(LivePart, LivePart.id == LiveItem.part_id)
                  .where(LivePart.event_id == LiveEvent.id).correlate(LiveEvent).scalar_subquery())
    return sa.type_coerce(sa.func.coalesce(LiveEvent.held_on, started, first_open, LiveEvent.created_at),
                          UTCDateTime())


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), timezone.utc) - VN_OFFSET


def team_entries(unit_ids: Iterable[int], start: date | None = None, end: date | None = None,
                 newest_first: bool = False, limit: int | None = None) -> list[TeamEntry]:
    """The teams of ``unit_ids`` in the events held from ``start`` to ``end`` (inclusive, Vietnam
    dates; None: no bound), one entry per (event, team), oldest event first unless ``newest_first``.
    ``limit`` bounds the number of events (not of teams)."""
    wanted = set(unit_ids)
    if not wanted:
        return []
    when = held_at()
    events = sa.select(LiveEvent.id, when.label("held_at")).where(LiveEvent.status != EventStatus.DRAFT)
    if start is not None:
        events = events.where(when >= _utc(start))
    if end is not None:
        events = events.where(when < _utc(end + timedelta(days=1)))
    events = events.subquery()
    order = (events.c.held_at.desc(), LiveEvent.id.desc()) if newest_first else (events.c.held_at, LiveEvent.id)
    rows = db.session.execute(
        sa.select(LiveEvent.id, LiveEvent.title, LiveEvent.venue, LiveEvent.status, LiveEvent.results_published,
                  events.c.held_at, LiveTeam.id.label("team_id"), LiveTeam.name, LiveTeam.unit_id,
                  LiveTeam.members)
        .join(events, events.c.id == LiveEvent.id).join(LiveTeam, LiveTeam.event_id == LiveEvent.id)
        .order_by(*order, LiveTeam.position, LiveTeam.id)).all()
    rows = [r for r in rows if r.unit_id in wanted]  # teams are few (≤ 60 an event): no IN list of a province
    if limit is not None:
        kept = set(list(dict.fromkeys(r.id for r in rows))[:limit])  # the first ``limit`` events, in order
        rows = [r for r in rows if r.id in kept]
    published = {r.id for r in rows if r.status == EventStatus.FINISHED and r.results_published}
    places = _places(published)
    out = []
    for r in rows:
        result = places.get(r.team_id)
        out.append(TeamEntry(
            event_id=r.id, event=r.title, venue=r.venue or "", held_on=(r.held_at + VN_OFFSET).date(),
            team_id=r.team_id, team=r.name, unit_id=r.unit_id, members=len(r.members or []),
            published=r.id in published, place=result.place if result else None,
            tied=bool(result and result.tied), points=result.total if result else None))
    return out


def unit_history(unit_id: int, limit: int = 20) -> list[TeamEntry]:
    """The live events the teams of the unit and its sub-units took part in, newest first (the
    last ``limit`` events): the unit's history beside its online contests."""
    from quizapp.units.models import Unit

    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return []
    ids = db.session.scalars(sa.select(Unit.id).where(Unit.path.startswith(unit.path)))
    return team_entries(ids, newest_first=True, limit=limit)


def result_text(entry: TeamEntry) -> str:
    """The team's result in the words of a Vietnamese report: "hạng 2 (75 điểm)", "đồng hạng 1
    (80 điểm)", or "chưa công bố" while the results are not published."""
    if not entry.published or entry.place is None:
        return "chưa công bố"
    points = f"{entry.points:g}".replace(".", ",") if entry.points is not None else "0"
    return f"{'đồng hạng' if entry.tied else 'hạng'} {entry.place} ({points} điểm)"


def _places(event_ids: set[int]) -> dict:
    """team id → its ``results.TeamResult`` in the events given (events whose results are published)."""
    out = {}
    for event_id in sorted(event_ids):
        event = db.session.get(LiveEvent, event_id)
        for row in results.standings(event):
            out[row.team_id] = row
    return out
