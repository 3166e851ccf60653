"""Activities: logged by a unit's staff (from a phone), with evidence; and the "automatic"
activities that contest rounds and live events (hội thi) held in quizapp stand for, derived when read
(never copied).

Every change to an activity that falls in a period whose report the unit (or a unit above it) has
already submitted is written to the audit log and to that report's list of changes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from quizapp.core.audit import record
from quizapp.core.db import db
from quizapp.plans import evidence as files
from quizapp.plans.models import (Activity, Audience, CommunicationForm, Evidence, PlanTask, ReportChange,
                                  ReportKind, ReportStatus, UnitPlan, UnitReport, unit_plan_tasks)
from quizapp.plans.scope import check_write, refuse
from quizapp.units.models import Unit

MAX_REACHED = 10_000_000
FIELDS = ("held_on", "form_id", "title", "audience", "reached", "task_id", "link")


def vn_today() -> date:
    from quizapp.campaign.render import VN_OFFSET
    from quizapp.core.db import utcnow

    return (utcnow() + VN_OFFSET).date()


def _period_numbers(day: date) -> list[tuple[ReportKind, int]]:
    return [(ReportKind.QUARTER, (day.month - 1) // 3 + 1), (ReportKind.HALF, 1 if day.month <= 6 else 2),
            (ReportKind.YEAR, 1)]


def submitted_reports_covering(unit_id: int, day: date) -> list[UnitReport]:
    """Submitted reports (of the unit or a unit above it) whose period contains ``day``."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return []
    ids = [int(p) for p in unit.path.strip("/").split("/") if p] or [unit_id]
    match = sa.or_(*[sa.and_(UnitReport.kind == k, UnitReport.number == n) for k, n in _period_numbers(day)])
    return list(db.session.scalars(sa.select(UnitReport).where(
        UnitReport.unit_id.in_(ids), UnitReport.year == day.year, UnitReport.status == ReportStatus.SUBMITTED,
        match)))


def _note_change(actor_id: int | None, activity: Activity, action: str, summary: str, days: list[date]) -> None:
    seen = set()
    for day in days:
        for report in submitted_reports_covering(activity.unit_id, day):
            if report.id in seen:
                continue
            seen.add(report.id)
            db.session.add(ReportChange(report_id=report.id, actor_id=actor_id, action=action, summary=summary[:500]))
            record(actor_id, "plans.change_after_submit", "plan_report", report.id, activity_id=activity.id,
                   unit_id=activity.unit_id,
                   change=action)


def _check_values(unit_id: int, values: dict) -> dict:
    """The activity's fields, checked; a refusal names the field."""
    held_on = values.get("held_on")
    if not isinstance(held_on, date):
        raise refuse("activity_date", _l("Enter the date of the activity (day/month/year)."), field="held_on")
    if held_on > vn_today():
        raise refuse("activity_future", _l("The date of the activity is in the future."), field="held_on")
    if held_on.year < 2000:
        raise refuse("activity_date", _l("Enter the date of the activity (day/month/year)."), field="held_on")
    try:
        form_id = int(values.get("form_id") or 0)
    except (TypeError, ValueError):
        form_id = 0
    form = db.session.get(CommunicationForm, form_id) if form_id else None
    if form is None or not form.is_active:
        raise refuse("activity_form", _l("Choose a form of communication from the list."), field="form_id")
    title = " ".join(str(values.get("title") or "").split())
    if not title or len(title) > 255:
        raise refuse("activity_title", _l("Enter what the activity was (at most 255 characters)."), field="title")
    audience = values.get("audience") or ""
    if audience not in set(Audience):
        raise refuse("activity_audience", _l("Choose the audience."), field="audience")
    try:
        reached = int(values.get("reached") if values.get("reached") not in (None, "") else 0)
    except (TypeError, ValueError):
        reached = -1
    if not 0 <= reached <= MAX_REACHED:
        raise refuse("activity_reached", _l("Enter the number of people reached (a whole number, 0 or more)."),
                     field="reached")
    task_id = values.get("task_id") or None
    if task_id is not None:
        try:
            task_id = int(task_id)
        except (TypeError, ValueError):
            task_id = -1
        task = db.session.get(PlanTask, task_id) if task_id > 0 else None
        if task is None or not _unit_took_task(unit_id, task, held_on.year):
            raise refuse("activity_task", _l("Choose one of the tasks in your unit's plan for that year."),
                         field="task_id")
    link = (values.get("link") or "").strip() or None
    if link is not None and (len(link) > 500 or not link.lower().startswith(("https://", "http://"))):
        raise refuse("activity_link", _l("The link must start with https:// (at most 500 characters)."),
                     field="link")
    return {"held_on": held_on, "form_id": form.id, "title": title, "audience": Audience(audience),
            "reached": reached, "task_id": task_id, "link": link}


def _unit_took_task(unit_id: int, task: PlanTask, year: int) -> bool:
    if task.plan.year != year:
        return False
    return bool(db.session.scalar(
        sa.select(sa.func.count()).select_from(unit_plan_tasks).join(UnitPlan, UnitPlan.id == unit_plan_tasks.c.unit_plan_id)
        .where(UnitPlan.unit_id == unit_id, UnitPlan.year == year, unit_plan_tasks.c.task_id == task.id)))


def _attach_and_flush(activity: Activity, uploads: list) -> None:
    """Write the checked files, add their rows and flush; if anything fails, the files written so
    far are removed (the request then rolls back: nothing half-saved)."""
    written: list[str] = []
    try:
        db.session.add(activity)
        for prepared in uploads:
            rel, size = files.write(prepared, activity.unit_id)
            written.append(rel)
            activity.evidence.append(Evidence(kind=prepared.kind, filename=prepared.filename, stored=rel, size=size))
        db.session.flush()
    except Exception:
        for rel in written:
            files.remove(rel)
        raise


def create_activity(actor, unit_id: int, values: dict, uploads: list[tuple[str, bytes]] = ()) -> Activity:
    """Log an activity with its evidence: every field and file is checked before anything is
    written; if the database refuses, the files already written are removed."""
    check_write(actor, unit_id)
    clean = _check_values(unit_id, values)
    prepared = files.prepare_all(list(uploads))
    activity = Activity(unit_id=unit_id, created_by_id=actor.id, **clean)
    _attach_and_flush(activity, prepared)
    _note_change(actor.id, activity, "activity.create", activity.title, [activity.held_on])
    return activity


def get_activity(actor, activity_id: int, write: bool = False) -> Activity:
    from quizapp.plans.scope import check_read

    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise refuse("activity_not_found", _l("This activity does not exist."), 404)
    (check_write if write else check_read)(actor, activity.unit_id)
    return activity


def update_activity(actor, activity_id: int, values: dict, uploads: list[tuple[str, bytes]] = ()) -> Activity:
    activity = get_activity(actor, activity_id, write=True)
    clean = _check_values(activity.unit_id, values)
    prepared = files.prepare_all(list(uploads))
    before = activity.held_on
    changed = [k for k in FIELDS if getattr(activity, k) != clean[k]]
    for key in changed:
        setattr(activity, key, clean[key])
    _attach_and_flush(activity, prepared)
    if changed or prepared:
        summary = ", ".join(changed + (["evidence"] if prepared else []))
        _note_change(actor.id, activity, "activity.update", f"{activity.title}: {summary}", [before, activity.held_on])
    return activity


def delete_activity(actor, activity_id: int) -> None:
    activity = get_activity(actor, activity_id, write=True)
    _note_change(actor.id, activity, "activity.delete", activity.title, [activity.held_on])
    stored = [e.stored for e in activity.evidence]
    db.session.delete(activity)
    db.session.flush()
    for rel in stored:
        files.remove(rel)


def delete_evidence(actor, evidence_id: int) -> Activity:
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        raise refuse("evidence_missing", _l("This file does not exist."), 404)
    activity = get_activity(actor, item.activity_id, write=True)
    _note_change(actor.id, activity, "evidence.delete", f"{activity.title}: {item.filename}", [activity.held_on])
    stored = item.stored
    activity.evidence.remove(item)
    db.session.flush()
    files.remove(stored)
    return activity


def evidence_for(actor, evidence_id: int) -> Evidence:
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        raise refuse("evidence_missing", _l("This file does not exist."), 404)
    get_activity(actor, item.activity_id)
    return item


def activities_of(unit_ids: list[int], start: date, end: date) -> list[Activity]:
    """Every activity of ``unit_ids`` held from ``start`` to ``end``, oldest first, with its files and
    form (the evidence pack's index; the list pages read ``activity_page``)."""
    stmt = (sa.select(Activity).options(selectinload(Activity.evidence), joinedload(Activity.form))
            .where(Activity.unit_id.in_(unit_ids), Activity.held_on >= start, Activity.held_on <= end)
            .order_by(Activity.held_on, Activity.id))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class ListedActivity:
    """One line of a unit's activity list: the activity (its form loaded) and how many files it has."""

    activity: Activity
    files: int


def activity_page(unit_ids: list[int], start: date, end: date, per_page: int, page: int) -> tuple[list, int]:
    """One page of the list, newest first, and the number of activities in all.

    The files are counted in the database (the list shows their number, never the files), and a
    first page that is not full is every activity: then no count query is needed."""
    n_files = (sa.select(sa.func.count(Evidence.id)).where(Evidence.activity_id == Activity.id)
             .correlate(Activity).scalar_subquery())
    scope = (Activity.unit_id.in_(unit_ids), Activity.held_on >= start, Activity.held_on <= end)
    rows = db.session.execute(
        sa.select(Activity, n_files).options(joinedload(Activity.form)).where(*scope)
        .order_by(Activity.held_on.desc(), Activity.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)).all()
    listed = [ListedActivity(a, int(n)) for a, n in rows[:per_page]]
    if page == 1 and len(rows) <= per_page:
        return listed, len(listed)
    return listed, count_of(unit_ids, start, end)


def count_of(unit_ids: list[int], start: date, end: date) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Activity).where(
        Activity.unit_id.in_(unit_ids), Activity.held_on >= start, Activity.held_on <= end)) or 0)


# --- automatic activities: contests, rounds and live events held in quizapp --------------------------

ROUND, LIVE = "round", "live"


@dataclass(frozen=True)
class AutoActivity:
    """An activity of the contests form that quizapp records by itself (never typed, never copied
    into ``plan_activities``; read from the records each time):

    * ``kind`` "round": a round of an online contest (``key`` is the round's id); ``reached`` is the
      number of the unit's (subtree's) people with a standing in the round;
    * ``kind`` "live": a live event, hội thi (``key`` is the event's id); ``reached`` is the number
      of members of the unit's (subtree's) teams in it; ``teams`` are those teams
      (``live.records.TeamEntry``: name, members, place once the results are published)."""

    kind: str
    key: int
    held_on: date  # a round: the day it opened; a live event: the day it was held (Vietnam time)
    title: str
    reached: int
    unit_id: int | None = None
    contest: str = ""  # a round: its contest's title
    venue: str = ""  # a live event: where it was held
    teams: tuple = ()  # a live event: the unit's (subtree's) teams

    @property
    def ident(self) -> tuple[str, int]:
        """What an activity is, whichever unit it is counted for: the same round or event counts
        once for a subtree."""
        return (self.kind, self.key)


def automatic_activities(unit_ids: list[int], start: date, end: date, per_unit: bool = False) -> list[AutoActivity]:
    """The activities quizapp records by itself for ``unit_ids`` between ``start`` and ``end``:

    * rounds that opened in the period (contests not in draft) in which people of ``unit_ids``
      took part, with how many: read from the rounds' standings at the time of reading;
    * live events (hội thi: running or finished, not drafts) held in the period in which a unit of
      ``unit_ids`` had a team, with the team's members as the people reached
      (``live.records.team_entries``).

    ``per_unit``: one line per (round or event, unit) instead of one per round or event.
    Oldest first."""
    if not unit_ids:
        return []
    out = _round_activities(unit_ids, start, end, per_unit) + live_activities(unit_ids, start, end, per_unit)
    out.sort(key=lambda a: (a.held_on, a.kind != ROUND, a.key, a.unit_id or 0))
    return out


def _round_activities(unit_ids: list[int], start: date, end: date, per_unit: bool) -> list[AutoActivity]:
    from quizapp.campaign.reports import Period
    from quizapp.contests.models import Contest, ContestStatus, Round
    from quizapp.leaderboards.models import Standing

    period = Period(start, end, "")
    rounds = db.session.execute(
        sa.select(Round.id, Round.title, Round.opens_at, Contest.title.label("contest"))
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.status != ContestStatus.DRAFT, Round.opens_at >= period.start_utc,
               Round.opens_at < period.end_utc).order_by(Round.opens_at, Round.id)).all()
    if not rounds:
        return []
    group = [Standing.round_id] + ([Standing.unit_id] if per_unit else [])
    counts = db.session.execute(
        sa.select(*group, sa.func.count()).where(Standing.round_id.in_([r.id for r in rounds]),
                                                 Standing.unit_id.in_(unit_ids)).group_by(*group)).all()
    from quizapp.campaign.render import VN_OFFSET

    by_round = {r.id: r for r in rounds}
    out = []
    for row in counts:
        rnd = by_round[row[0]]
        out.append(AutoActivity(kind=ROUND, key=rnd.id, held_on=(rnd.opens_at + VN_OFFSET).date(), title=rnd.title,
                                reached=int(row[-1]), unit_id=row[1] if per_unit else None, contest=rnd.contest))
    return out


def live_activities(unit_ids: list[int], start: date, end: date, per_unit: bool = False) -> list[AutoActivity]:
    """Live events (hội thi) held from ``start`` to ``end`` with a team of ``unit_ids``: one per
    event (its teams of ``unit_ids`` together), or with ``per_unit`` one per (event, unit); people
    reached = the members of those teams."""
    from quizapp.live import records

    grouped: dict[tuple[int, int | None], list] = {}
    for entry in records.team_entries(unit_ids, start, end):
        grouped.setdefault((entry.event_id, entry.unit_id if per_unit else None), []).append(entry)
    return [AutoActivity(kind=LIVE, key=event_id, held_on=teams[0].held_on, title=teams[0].event,
                         reached=sum(t.members for t in teams), unit_id=unit_id, venue=teams[0].venue,
                         teams=tuple(teams))
            for (event_id, unit_id), teams in grouped.items()]
