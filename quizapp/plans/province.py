"""The province's plan for a year: its header and the task list of its appendix, typed in a form
or imported from Excel (all or nothing: one bad row refuses the file, naming the row)."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db
from quizapp.core.text import fold
from quizapp.core.uploads import check_xlsx
from quizapp.plans.models import PlanTask, ProvincePlan
from quizapp.plans.scope import refuse

MAX_TASKS = 500
MAX_FILE_BYTES = 2 * 1024 * 1024
# Column headings of the task sheet (Vietnamese as in the plan's appendix; English accepted).
COLUMNS = {
    "name": ("nhiệm vụ", "nội dung", "task"),
    "lead_unit": ("đơn vị chủ trì", "chủ trì", "lead unit"),
    "coordinating_units": ("đơn vị phối hợp", "phối hợp", "coordinating units"),
    "timeline": ("thời gian thực hiện", "thời gian", "timeline"),
    "expected_output": ("kết quả dự kiến", "sản phẩm", "kết quả", "expected output"),
}
LIMITS = {"name": 1000, "lead_unit": 255, "coordinating_units": 1000, "timeline": 120, "expected_output": 1000}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def plan_for(year: int) -> ProvincePlan | None:
    return db.session.scalar(sa.select(ProvincePlan).where(ProvincePlan.year == year))


def plans() -> list[ProvincePlan]:
    return list(db.session.scalars(sa.select(ProvincePlan).order_by(ProvincePlan.year.desc())))


def due_date(timeline: str, year: int) -> date | None:
    """The last day a timeline allows: "Quý II" → 30/6, "Tháng 3" → 31/3, "6 tháng đầu năm" → 30/6,
    "Cả năm" / "Thường xuyên" → 31/12, a date "15/05/2026" → itself; None if it cannot tell."""
    text = fold(timeline or "").strip()
    if not text:
        return None
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    m = re.search(r"quy\s*(iv|iii|ii|i|[1-4])\b", text)
    if m:
        q = _ROMAN.get(m.group(1)) or int(m.group(1))
        return (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
    if "6 thang dau" in text:
        return date(year, 6, 30)
    m = re.search(r"thang\s*(\d{1,2})\b", text)
    if m and 1 <= int(m.group(1)) <= 12:
        month = int(m.group(1))
        return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    if any(w in text for w in ("ca nam", "thuong xuyen", "6 thang cuoi", "hang quy", "hang thang", "nam")):
        return date(year, 12, 31)
    return None


def save_plan(year, title: str, number: str, issued_on: date | None, actor_id: int | None,
              plan: ProvincePlan | None = None) -> ProvincePlan:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise refuse("plan_year", _l("Enter a year between 2000 and 2100."), field="year")
    title = (title or "").strip()
    if not title or len(title) > 500:
        raise refuse("plan_title", _l("Enter the plan's title (at most 500 characters)."), field="title")
    other = plan_for(year)
    if other is not None and other is not plan:
        raise refuse("plan_exists", _l("The province already has a plan for this year."), field="year")
    if issued_on is not None and not date(year - 1, 1, 1) <= issued_on <= date(year, 12, 31):
        raise refuse("plan_date", _l("The date of issue must be in the plan's year or the year before."),
                     field="issued_on")
    created = plan is None
    if created:
        plan = ProvincePlan(year=year, created_by_id=actor_id)
        db.session.add(plan)
    plan.year, plan.title, plan.number, plan.issued_on = year, title, (number or "").strip()[:64], issued_on
    db.session.flush()
    if created:
        audit.record(actor_id, "plans.plan_create", "plan", plan.id, year=plan.year)
    return plan


def _clean_task(values: dict, row: int | None = None) -> dict:
    out = {}
    for key, limit in LIMITS.items():
        value = " ".join(str(values.get(key) or "").split())
        if len(value) > limit:
            msg = (_l("Row %(row)d: the column “%(col)s” is longer than %(n)d characters.", row=row,
                      col=COLUMNS[key][0], n=limit) if row else
                   _l("“%(col)s” is longer than %(n)d characters.", col=COLUMNS[key][0], n=limit))
            raise refuse("task_too_long", msg, field=key)
        out[key] = value
    if not out["name"]:
        raise refuse("task_name", _l("Row %(row)d: the task is empty.", row=row) if row else
                     _l("Enter the task."), field="name")
    return out


def add_task(plan: ProvincePlan, values: dict) -> PlanTask:
    clean = _clean_task(values)
    if len(plan.tasks) >= MAX_TASKS:
        raise refuse("too_many_tasks", _l("A plan has at most %(n)d tasks.", n=MAX_TASKS))
    task = PlanTask(plan=plan, position=(max((t.position for t in plan.tasks), default=0) + 1),
                    due_on=due_date(clean["timeline"], plan.year), **clean)
    db.session.add(task)
    db.session.flush()
    return task


def update_task(task: PlanTask, values: dict) -> PlanTask:
    clean = _clean_task(values)
    for key, value in clean.items():
        setattr(task, key, value)
    task.due_on = due_date(task.timeline, task.plan.year)
    return task


def delete_task(task: PlanTask) -> None:
    from quizapp.plans.models import Activity

    if db.session.scalar(sa.select(sa.func.count()).select_from(Activity).where(Activity.task_id == task.id)):
        raise refuse("task_in_use", _l("Activities were logged for this task: it cannot be deleted."))
    db.session.delete(task)


def import_tasks(plan: ProvincePlan, content: bytes, actor_id: int | None = None) -> int:
    """Replace the plan's tasks with the sheet's (all or nothing); returns how many."""
    from openpyxl import load_workbook

    if len(content) > MAX_FILE_BYTES:
        raise refuse("file_too_large", _l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 2**20), 413,
                     "file")
    check_xlsx(content, MAX_TASKS + 20)
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    except Exception:  # noqa: BLE001 - any parser failure is a bad file, never a 500
        raise refuse("file_corrupt", _l("The file is not a valid Excel (.xlsx) file."), field="file")
    header_at, columns = None, {}
    for i, row in enumerate(rows[:10]):
        found = {}
        for c, cell in enumerate(row):
            label = fold(str(cell or "")).strip()
            for key, names in COLUMNS.items():
                if key not in found and any(label == fold(n) for n in names):
                    found[key] = c
        if "name" in found:
            header_at, columns = i, found
            break
    if header_at is None:
        raise refuse("no_header", _l("The sheet has no “Nhiệm vụ” column in its first 10 rows."), field="file")
    tasks = []
    for i, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        values = {key: (row[c] if c < len(row) else None) for key, c in columns.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        tasks.append(_clean_task(values, row=i))
    if not tasks:
        raise refuse("no_tasks", _l("The sheet has no task."), field="file")
    if len(tasks) > MAX_TASKS:
        raise refuse("too_many_tasks", _l("A plan has at most %(n)d tasks.", n=MAX_TASKS), field="file")
    from quizapp.plans.models import Activity

    used = set(db.session.scalars(sa.select(Activity.task_id).where(
        Activity.task_id.in_([t.id for t in plan.tasks])).distinct())) if plan.tasks else set()
    if used:
        raise refuse("tasks_in_use", _l("Activities were already logged for this plan's tasks: add the new tasks "
                                        "one by one instead of replacing the list."), field="file")
    plan.tasks.clear()
    db.session.flush()
    for position, clean in enumerate(tasks, start=1):
        plan.tasks.append(PlanTask(position=position, due_on=due_date(clean["timeline"], plan.year), **clean))
    db.session.flush()
    audit.record(actor_id, "plans.tasks_import", "plan", plan.id, count=len(tasks))
    return len(tasks)
