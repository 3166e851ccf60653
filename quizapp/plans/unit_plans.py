"""A unit's own communication plan for a year: the province tasks it takes on and a planned
count per form of communication."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core.audit import record
from quizapp.core.db import db
from quizapp.plans import catalogue
from quizapp.plans.models import CommunicationForm, PlanTarget, PlanTask, ProvincePlan, UnitPlan, unit_plan_tasks
from quizapp.plans.scope import check_write, refuse

MAX_PLANNED = 100_000


def plan_of(unit_id: int, year: int) -> UnitPlan | None:
    return db.session.scalar(sa.select(UnitPlan).where(UnitPlan.unit_id == unit_id, UnitPlan.year == year))


def tasks_taken(unit_id: int, year: int) -> list[PlanTask]:
    return list(db.session.scalars(
        sa.select(PlanTask).join(unit_plan_tasks, unit_plan_tasks.c.task_id == PlanTask.id)
        .join(UnitPlan, UnitPlan.id == unit_plan_tasks.c.unit_plan_id)
        .where(UnitPlan.unit_id == unit_id, UnitPlan.year == year).order_by(PlanTask.position)))


@dataclass
class PlanView:
    province: ProvincePlan | None
    plan: UnitPlan | None
    forms: list[CommunicationForm]
    planned: dict[int, int]
    taken: set[int]


def view(unit_id: int, year: int) -> PlanView:
    plan = plan_of(unit_id, year)
    prov = db.session.scalar(sa.select(ProvincePlan).where(ProvincePlan.year == year))
    planned = {t.form_id: t.planned for t in plan.targets} if plan else {}
    taken = {t.id for t in plan.tasks} if plan else set()
    return PlanView(prov, plan, catalogue.all_forms(), planned, taken)


def save(actor, unit_id: int, year: int, task_ids: list, planned: dict, note: str = "") -> UnitPlan:
    """Declare (or change) the unit's plan: every value is checked before anything is written."""
    check_write(actor, unit_id)
    if not 2000 <= int(year) <= 2100:
        raise refuse("plan_year", _l("Enter a year between 2000 and 2100."), field="year")
    prov = db.session.scalar(sa.select(ProvincePlan).where(ProvincePlan.year == year))
    valid_tasks = {t.id: t for t in prov.tasks} if prov else {}
    chosen = []
    for raw in task_ids:
        try:
            tid = int(raw)
        except (TypeError, ValueError):
            tid = -1
        if tid not in valid_tasks:
            raise refuse("plan_task", _l("A chosen task is not in the province's plan for %(year)d.", year=year),
                         field="tasks")
        chosen.append(valid_tasks[tid])
    forms = {str(f.id): f for f in catalogue.all_forms(active_only=False)}
    counts = {}
    for key, raw in planned.items():
        if key not in forms:
            raise refuse("plan_form", _l("A form of communication is not in the list."), field="forms")
        raw = (raw or "").strip()
        try:
            n = int(raw) if raw else 0
        except ValueError:
            n = -1
        if not 0 <= n <= MAX_PLANNED:
            raise refuse("plan_count", _l("“%(form)s”: enter a whole number from 0 to %(max)d.",
                                          form=forms[key].name, max=MAX_PLANNED), field=f"planned-{key}")
        counts[forms[key].id] = n
    if len(note or "") > 5000:
        raise refuse("plan_note", _l("The note has at most 5000 characters."), field="note")
    plan = plan_of(unit_id, year)
    if plan is None:
        plan = UnitPlan(unit_id=unit_id, year=year)
        db.session.add(plan)
    plan.note = (note or "").strip()
    plan.tasks = sorted(set(chosen), key=lambda t: t.position)
    existing = {t.form_id: t for t in plan.targets}
    for form_id, n in counts.items():
        if form_id in existing:
            existing[form_id].planned = n
        else:
            plan.targets.append(PlanTarget(form_id=form_id, planned=n))
    db.session.flush()
    record(actor.id, "plans.unit_plan_save", "unit", unit_id, year=year)
    return plan
