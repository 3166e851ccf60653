"""Completion at a glance: planned vs done per form and per task for a unit, rolled up the unit
tree (a unit's figures include its sub-units'), overdue tasks, reporting deadlines and the
reminder to units that have logged nothing yet."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from quizapp.campaign.reports import Period, period_of
from quizapp.core.db import db
from quizapp.plans import activities, catalogue
from quizapp.plans.models import (Activity, CommunicationForm, PlanTarget, PlanTask, ReportKind, UnitPlan,
                                  unit_plan_tasks)
from quizapp.units.models import Unit


@dataclass
class FormLine:
    form: CommunicationForm
    planned: int = 0
    done: int = 0  # activities logged (and, for the contests form, rounds and live events held in quizapp)
    reached: int = 0

    @property
    def pct(self) -> float | None:
        return 100.0 * self.done / self.planned if self.planned else None

    @property
    def bar(self) -> float:
        """Width of the bar (0–100) for the chart."""
        if self.planned:
            return min(100.0, 100.0 * self.done / self.planned)
        return 100.0 if self.done else 0.0


@dataclass
class TaskLine:
    task: PlanTask
    done: int
    overdue: bool


@dataclass
class SubUnitLine:
    unit_id: int
    name: str
    planned: int
    done: int
    has_plan: bool

    @property
    def pct(self) -> float | None:
        return 100.0 * self.done / self.planned if self.planned else None


@dataclass
class Completion:
    unit: Unit
    year: int
    start: date
    end: date
    forms: list[FormLine]
    tasks: list[TaskLine]
    children: list[SubUnitLine]
    automatic_rounds: int  # rounds held in quizapp counted under the contests form (once each)
    automatic_live: int  # live events (hội thi) counted under the contests form (once each)
    has_plan: bool
    total_planned: int = 0
    total_done: int = 0
    silent: list[SubUnitLine] = field(default_factory=list)
    auto: list = field(default_factory=list)  # the subtree's AutoActivity per (round or event, unit)

    @property
    def automatic(self) -> int:
        """Rounds and live events counted by themselves."""
        return self.automatic_rounds + self.automatic_live


def _subtree(unit: Unit) -> dict[int, tuple[str, str, int | None]]:
    return {r.id: (r.path, r.name, r.parent_id) for r in db.session.execute(
        sa.select(Unit.id, Unit.path, Unit.name, Unit.parent_id).where(Unit.path.startswith(unit.path),
                                                                        Unit.is_active.is_(True)))}


SMALL_TREE = 60  # up to this many units, figures come per (unit, form); above, summed in the database


def _in_tree(unit: Unit, ids: list[int]):
    """A filter "this column is a unit of the subtree": the ids themselves for a small tree, the
    materialised path for a large one (no IN list of thousands of parameters)."""
    if len(ids) <= SMALL_TREE:
        return lambda column: column.in_(ids)
    sub = sa.select(Unit.id).where(Unit.path.startswith(unit.path), Unit.is_active.is_(True))
    return lambda column: column.in_(sub)


def completion(unit: Unit, year: int, start: date | None = None, end: date | None = None,
               auto: list | None = None) -> Completion:
    """The unit's (and its subtree's) completion of its plans for ``year``, counting activities
    held from ``start`` to ``end`` (default: the whole year).  ``auto``: the subtree's automatic
    activities per unit for the same dates, when the caller has them already."""
    start = start or date(year, 1, 1)
    end = end or date(year, 12, 31)
    tree = _subtree(unit)
    ids = list(tree)
    forms = catalogue.all_forms(active_only=False)
    form_ids = {f.id for f in forms}
    lines = {f.id: FormLine(f) for f in forms}
    per_unit_planned: dict[int, int] = defaultdict(int)
    per_unit_done: dict[int, int] = defaultdict(int)
    in_tree = _in_tree(unit, ids)
    plan_scope = sa.and_(UnitPlan.year == year, in_tree(UnitPlan.unit_id))
    done_scope = sa.and_(in_tree(Activity.unit_id), Activity.held_on >= start, Activity.held_on <= end)
    if len(ids) <= SMALL_TREE:
        # A unit and a few sub-units: one row per (unit, form), two queries.
        planned_rows = db.session.execute(
            sa.select(UnitPlan.unit_id, PlanTarget.form_id, PlanTarget.planned).outerjoin(PlanTarget)
            .where(plan_scope)).all()  # a plan without targets still counts as declared
        with_plan = {row[0] for row in planned_rows}
        for uid, fid, n in planned_rows:
            if fid in form_ids:
                lines[fid].planned += n
                per_unit_planned[uid] += n
        for uid, fid, n, reached in db.session.execute(
                sa.select(Activity.unit_id, Activity.form_id, sa.func.count(),
                          sa.func.coalesce(sa.func.sum(Activity.reached), 0))
                .where(done_scope).group_by(Activity.unit_id, Activity.form_id)):
            if fid in form_ids:
                lines[fid].done += n
                lines[fid].reached += int(reached)
                per_unit_done[uid] += n
    else:
        # A district or the province: totals per form and per unit, summed in the database.
        for fid, n in db.session.execute(sa.select(PlanTarget.form_id, sa.func.sum(PlanTarget.planned))
                                         .join(UnitPlan).where(plan_scope).group_by(PlanTarget.form_id)):
            if fid in form_ids:
                lines[fid].planned += int(n or 0)
        with_plan = set()
        for uid, n in db.session.execute(sa.select(UnitPlan.unit_id, sa.func.sum(PlanTarget.planned))
                                         .outerjoin(PlanTarget).where(plan_scope).group_by(UnitPlan.unit_id)):
            with_plan.add(uid)
            per_unit_planned[uid] += int(n or 0)
        for fid, n, reached in db.session.execute(
                sa.select(Activity.form_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Activity.reached), 0))
                .where(done_scope).group_by(Activity.form_id)):
            if fid in form_ids:
                lines[fid].done += n
                lines[fid].reached += int(reached)
        for uid, n in db.session.execute(sa.select(Activity.unit_id, sa.func.count()).where(done_scope)
                                         .group_by(Activity.unit_id)):
            per_unit_done[uid] += n
    if auto is None:
        auto = activities.automatic_activities(ids, start, end, per_unit=True)
    contests = catalogue.contests_form(forms)
    seen: set[tuple[str, int]] = set()
    per_unit_auto: dict[int, set] = defaultdict(set)
    for a in auto:
        if contests is not None:
            if a.ident not in seen:  # a round or live event counts once for the subtree, its people all
                lines[contests.id].done += 1
            lines[contests.id].reached += a.reached
        seen.add(a.ident)
        per_unit_auto[a.unit_id].add(a.ident)
    # Roll every unit's figures up to the direct child of ``unit`` it sits under (read from its path);
    # a round or live event counts once for a child, however many of its units took part.
    depth = unit.path.count("/") - 1  # index of the child's id among the path's parts
    child_planned: dict[int, int] = defaultdict(int)
    child_done: dict[int, int] = defaultdict(int)
    child_auto: dict[int, set] = defaultdict(set)
    child_plan: set[int] = set()
    for uid, (path, _, _) in tree.items():
        parts = path.strip("/").split("/")
        if len(parts) <= depth:
            continue
        top = int(parts[depth])
        child_planned[top] += per_unit_planned.get(uid, 0)
        child_done[top] += per_unit_done.get(uid, 0)
        child_auto[top] |= per_unit_auto.get(uid, set())
        if uid in with_plan:
            child_plan.add(top)
    for top, idents in child_auto.items():
        child_done[top] += len(idents)
    child_ids = [uid for uid, (_, _, parent) in tree.items() if parent == unit.id]
    children = [SubUnitLine(cid, tree[cid][1], child_planned[cid], child_done[cid], cid in child_plan)
                for cid in sorted(child_ids, key=lambda c: tree[c][1])]
    today = activities.vn_today()
    task_rows = db.session.execute(
        sa.select(PlanTask).join(unit_plan_tasks, unit_plan_tasks.c.task_id == PlanTask.id)
        .join(UnitPlan, UnitPlan.id == unit_plan_tasks.c.unit_plan_id)
        .where(UnitPlan.unit_id == unit.id, UnitPlan.year == year).order_by(PlanTask.position)).scalars().all()
    task_done = dict(db.session.execute(
        sa.select(Activity.task_id, sa.func.count()).where(done_scope, Activity.task_id.in_([t.id for t in task_rows]))
        .group_by(Activity.task_id)).all()) if task_rows else {}
    tasks = [TaskLine(t, int(task_done.get(t.id, 0)), bool(t.due_on and t.due_on < today and not task_done.get(t.id)))
             for t in task_rows]
    shown = [line for line in lines.values() if line.form.is_active or line.planned or line.done]
    result = Completion(unit=unit, year=year, start=start, end=end, forms=shown, tasks=tasks, children=children,
                        automatic_rounds=sum(1 for kind, _ in seen if kind == activities.ROUND),
                        automatic_live=sum(1 for kind, _ in seen if kind == activities.LIVE),
                        has_plan=unit.id in with_plan, auto=list(auto))
    result.total_planned = sum(line.planned for line in shown)
    result.total_done = sum(line.done for line in shown)
    result.silent = [c for c in children if c.done == 0]
    return result


# --- reporting periods, deadlines, reminders ------------------------------------------------------

PERIODS = [(ReportKind.QUARTER, 1), (ReportKind.QUARTER, 2), (ReportKind.HALF, 1), (ReportKind.QUARTER, 3),
           (ReportKind.QUARTER, 4), (ReportKind.HALF, 2), (ReportKind.YEAR, 1)]


def period(kind: ReportKind | str, year: int, number: int) -> Period:
    """The campaign report's period (same labels: "quý II năm 2026")."""
    return period_of(str(ReportKind(kind)), year, number)


def deadline(kind: ReportKind | str, year: int, number: int) -> date:
    """When the report is due: day PLANS_REPORT_DUE_DAY (default 15) of the period's last month,
    the cut-off the province's reporting rules use."""
    end = period(kind, year, number).end
    day = int(current_app.config.get("PLANS_REPORT_DUE_DAY", 15))
    return date(end.year, end.month, min(max(day, 1), 28))


def next_deadline(today: date) -> tuple[ReportKind, int, int, date]:
    """The nearest reporting deadline on or after ``today`` (quarter deadlines come first)."""
    best = None
    for year in (today.year, today.year + 1):
        for kind, number in PERIODS:
            due = deadline(kind, year, number)
            if due >= today and (best is None or due < best[3]):
                best = (kind, year, number, due)
    return best


def silent_units(unit: Unit, start: date, end: date) -> list[tuple[int, str]]:
    """Sub-units (the unit included) that have logged no activity, taken part in no round and had
    no team in a live event between ``start`` and ``end``."""
    tree = _subtree(unit)
    ids = list(tree)
    active = set(db.session.scalars(sa.select(Activity.unit_id).where(
        _in_tree(unit, ids)(Activity.unit_id), Activity.held_on >= start, Activity.held_on <= end).distinct()))
    active.update(a.unit_id for a in activities.automatic_activities(ids, start, end, per_unit=True))
    return sorted(((uid, name) for uid, (_, name, _) in tree.items() if uid not in active), key=lambda x: x[1])


def reminder_text(unit_names: list[str], period_label: str, due: date, url: str) -> str:
    """The copy-to-Zalo reminder, in Vietnamese (it is pasted into a Vietnamese group)."""
    names = "; ".join(unit_names[:30]) + (f"; và {len(unit_names) - 30} đơn vị khác" if len(unit_names) > 30 else "")
    return (f"Nhắc việc: báo cáo kết quả tuyên truyền CCHC {period_label} hạn ngày {due:%d/%m/%Y}. "
            f"Các đơn vị sau chưa ghi nhận hoạt động tuyên truyền nào trong kỳ: {names}. "
            f"Đề nghị cán bộ đầu mối CCHC cập nhật hoạt động và minh chứng tại: {url}")
