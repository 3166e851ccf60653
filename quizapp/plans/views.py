"""Plans pages: the province plan and forms (organisers), a unit's plan, activities logged from a
phone, completion, reports and their submission, the province's overview of reports."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from quizapp import jobs
from quizapp.core.urls import external_url
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.plans import activities, catalogue, completion, evidence, province, reporting, scope, tasks, unit_plans
from quizapp.plans.forms import (ActivityForm, ButtonForm, EvidenceForm, ImportForm, NarrativeForm, NewFormForm,
                                 ProvincePlanForm, ReturnForm, TaskForm)
from quizapp.plans.models import Audience, PlanTask, ReportKind, ReportStatus
from quizapp.units.models import Unit

bp = Blueprint("plans", __name__, template_folder="templates")

PER_PAGE = 50


def _user():
    return current_user._get_current_object()


def _unit_or_404(unit_id: int, write: bool = False) -> Unit:
    unit = db.get_or_404(Unit, unit_id)
    ok = scope.may_write(_user(), unit.id) if write else scope.may_read(_user(), unit.id)
    if not ok:
        abort(403)
    return unit


def _year_arg() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else activities.vn_today().year


def _form_error(form, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "error")


def _uploads(field) -> list[tuple[str, bytes]]:
    out = []
    for f in request.files.getlist(field):
        if f and (f.filename or "").strip():
            out.append((f.filename, f.read(evidence.MAX_FILE_BYTES + 1)))
    return out


# --- home -----------------------------------------------------------------------------------------

@bp.route("/plans")
@requires(Role.REFORM_OFFICER)
def home():
    unit_id = scope.home_unit_id(_user())
    if unit_id is None:
        flash(_("Your account belongs to no unit: ask an organiser to set it."), "error")
        return redirect(url_for("main.index"))
    return redirect(url_for("plans.unit_home", unit_id=unit_id))


# --- the province plan (organisers) ---------------------------------------------------------------

@bp.route("/admin/plans", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def province_index():
    form = ProvincePlanForm()
    if request.method == "GET":
        form.year.data = activities.vn_today().year
    if form.validate_on_submit():
        try:
            plan = province.save_plan(form.year.data, form.title.data, form.number.data, form.issued_on.data,
                                      current_user.id)
            flash(_("The plan has been saved."), "success")
            return redirect(url_for("plans.province_plan", plan_id=plan.id))
        except ServiceError as exc:
            _form_error(form, exc)
    status = 422 if request.method == "POST" else 200
    return render_template("plans/province_index.html", plans=province.plans(), form=form), status


def _plan_page(plan, status=200, plan_form=None, task_form=None, import_form=None):
    if plan_form is None:
        plan_form = ProvincePlanForm(obj=plan)
    return render_template("plans/province_plan.html", plan=plan, plan_form=plan_form,
                           task_form=task_form or TaskForm(), import_form=import_form or ImportForm(),
                           button=ButtonForm()), status


@bp.route("/admin/plans/<int:plan_id>", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def province_plan(plan_id: int):
    plan = db.get_or_404(province.ProvincePlan, plan_id)
    form = ProvincePlanForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                province.save_plan(form.year.data, form.title.data, form.number.data, form.issued_on.data,
                                   current_user.id, plan)
                flash(_("The plan has been saved."), "success")
                return redirect(url_for("plans.province_plan", plan_id=plan.id))
            except ServiceError as exc:
                _form_error(form, exc)
        return _plan_page(plan, 422, plan_form=form)
    return _plan_page(plan)


@bp.route("/admin/plans/<int:plan_id>/tasks", methods=["POST"])
@requires(Role.ORGANISER)
def task_add(plan_id: int):
    plan = db.get_or_404(province.ProvincePlan, plan_id)
    form = TaskForm()
    if form.validate_on_submit():
        try:
            province.add_task(plan, {k: getattr(form, k).data for k in province.LIMITS})
            flash(_("The task has been added."), "success")
            return redirect(url_for("plans.province_plan", plan_id=plan.id) + "#tasks")
        except ServiceError as exc:
            _form_error(form, exc)
    return _plan_page(plan, 422, task_form=form)


@bp.route("/admin/plans/<int:plan_id>/tasks/<int:task_id>/delete", methods=["POST"])
@requires(Role.ORGANISER)
def task_delete(plan_id: int, task_id: int):
    task = db.get_or_404(PlanTask, task_id)
    if task.plan_id != plan_id or not ButtonForm().validate_on_submit():
        abort(404 if task.plan_id != plan_id else 400)
    province.delete_task(task)
    flash(_("The task has been deleted."), "success")
    return redirect(url_for("plans.province_plan", plan_id=plan_id) + "#tasks")


@bp.route("/admin/plans/<int:plan_id>/import", methods=["POST"])
@requires(Role.ORGANISER)
def task_import(plan_id: int):
    plan = db.get_or_404(province.ProvincePlan, plan_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if not upload or not upload.filename:
            form.file.errors = [_("Choose an .xlsx file.")]
        else:
            try:
                n = province.import_tasks(plan, upload.read(province.MAX_FILE_BYTES + 1), current_user.id)
                flash(_("%(n)d tasks imported.", n=n), "success")
                return redirect(url_for("plans.province_plan", plan_id=plan.id) + "#tasks")
            except ServiceError as exc:
                _form_error(form, exc)
    return _plan_page(plan, 422, import_form=form)


@bp.route("/admin/plans/forms", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def forms_index():
    form = NewFormForm()
    if form.validate_on_submit():
        try:
            catalogue.add_form(form.name.data, form.group.data)
            flash(_("The form has been added."), "success")
            return redirect(url_for("plans.forms_index"))
        except ServiceError as exc:
            _form_error(form, exc)
    status = 422 if request.method == "POST" else 200
    return render_template("plans/forms.html", forms=catalogue.all_forms(active_only=False), form=form,
                           button=ButtonForm(), labels=catalogue.GROUP_LABELS), status


@bp.route("/admin/plans/forms/<int:form_id>/toggle", methods=["POST"])
@requires(Role.ORGANISER)
def form_toggle(form_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    item = db.get_or_404(catalogue.CommunicationForm, form_id)
    catalogue.set_active(item.id, not item.is_active)
    return redirect(url_for("plans.forms_index"))


# --- a unit: home, plan, activities ---------------------------------------------------------------

@bp.route("/plans/units/<int:unit_id>")
@requires(Role.REFORM_OFFICER)
def unit_home(unit_id: int):
    unit = _unit_or_404(unit_id)
    year = _year_arg()
    comp = completion.completion(unit, year)
    kind, dyear, number, due = completion.next_deadline(activities.vn_today())
    period = completion.period(kind, dyear, number)
    silent = completion.silent_units(unit, period.start, period.end)
    reminder = completion.reminder_text([n for _, n in silent], period.label, due,
                                        external_url("plans.home")) if silent else ""
    return render_template("plans/unit_home.html", unit=unit, year=year, comp=comp, may_write=scope.may_write(
        _user(), unit.id), period=period, due=due, kind=kind, dyear=dyear, number=number, silent=silent,
        reminder=reminder, periods=completion.PERIODS)


def _unit_plan_page(unit: Unit, year: int, errors: dict | None = None, posted=None):
    view = unit_plans.view(unit.id, year)
    return render_template("plans/unit_plan.html", unit=unit, year=year, view=view,
                           writable=scope.may_write(_user(), unit.id), button=ButtonForm(), errors=errors or {},
                           posted=posted), (422 if errors else 200)


@bp.route("/plans/units/<int:unit_id>/plan/<int:year>")
@requires(Role.REFORM_OFFICER)
def unit_plan(unit_id: int, year: int):
    return _unit_plan_page(_unit_or_404(unit_id), year)


@bp.route("/plans/units/<int:unit_id>/plan/<int:year>", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def unit_plan_save(unit_id: int, year: int):
    unit = _unit_or_404(unit_id, write=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        unit_plans.save(_user(), unit.id, year, request.form.getlist("task_id"),
                        {k[len("planned-"):]: v for k, v in request.form.items() if k.startswith("planned-")},
                        request.form.get("note", ""))
    except ServiceError as exc:
        return _unit_plan_page(unit, year, {exc.field or "form": exc.message}, request.form)
    flash(_("The unit's plan has been saved."), "success")
    return redirect(url_for("plans.unit_home", unit_id=unit.id, year=year))


def _activity_choices(form: ActivityForm, unit_id: int, year: int) -> None:
    form.form_id.choices = [("", _("— choose —"))] + [(str(f.id), f.name) for f in catalogue.all_forms()]
    form.task_id.choices = [("", _("— none —"))] + [(str(t.id), t.name[:120]) for t in
                                                    unit_plans.tasks_taken(unit_id, year)]


def _activity_values(form: ActivityForm) -> dict:
    return {"held_on": form.held_on.data, "form_id": form.form_id.data, "title": form.title.data,
            "audience": form.audience.data, "reached": form.reached.data, "task_id": form.task_id.data or None,
            "link": form.link.data}


@bp.route("/plans/units/<int:unit_id>/activities")
@requires(Role.REFORM_OFFICER)
def activity_list(unit_id: int):
    unit = _unit_or_404(unit_id)
    year = _year_arg()
    page = max(1, min(request.args.get("page", 1, type=int), 10_000))
    ids = [unit.id]
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows, total = activities.activity_page(ids, start, end, PER_PAGE, page)
    comp = completion.completion(unit, year)  # the subtree's figures, rounds and live events included
    auto = [a for a in comp.auto if a.unit_id == unit.id]  # the list shows the unit's own
    return render_template("plans/activity_list.html", unit=unit, year=year, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), comp=comp, auto=auto,
                           may_write=scope.may_write(_user(), unit.id))


@bp.route("/plans/units/<int:unit_id>/activities/new", methods=["GET", "POST"])
@requires(Role.REFORM_OFFICER)
def activity_new(unit_id: int):
    unit = _unit_or_404(unit_id, write=True)
    form = ActivityForm()
    if request.method == "GET":
        form.held_on.data = activities.vn_today()
    year = form.held_on.data.year if isinstance(form.held_on.data, date) else activities.vn_today().year
    _activity_choices(form, unit.id, year)
    if form.validate_on_submit():
        try:
            activity = activities.create_activity(_user(), unit.id, _activity_values(form), _uploads("files"))
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("plans.activity_list", unit_id=unit.id, year=activity.held_on.year))
        except ServiceError as exc:
            if exc.status == 403:
                abort(403)
            _form_error(form, exc)
    status = 422 if request.method == "POST" else 200
    return render_template("plans/activity_form.html", unit=unit, form=form, activity=None), status


def _activity_page(activity, form: ActivityForm | None = None, status: int = 200):
    writable = scope.may_write(_user(), activity.unit_id)
    if form is None:
        form = ActivityForm(obj=activity)
        form.form_id.data = str(activity.form_id)
        form.task_id.data = str(activity.task_id or "")
        form.audience.data = activity.audience.value
    _activity_choices(form, activity.unit_id, activity.held_on.year)
    return render_template("plans/activity_form.html", unit=db.session.get(Unit, activity.unit_id), form=form,
                           activity=activity, writable=writable, button=ButtonForm()), status


@bp.route("/plans/activities/<int:activity_id>")
@requires(Role.REFORM_OFFICER)
def activity_edit(activity_id: int):
    return _activity_page(activities.get_activity(_user(), activity_id))


@bp.route("/plans/activities/<int:activity_id>", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def activity_update(activity_id: int):
    activity = activities.get_activity(_user(), activity_id, write=True)
    form = ActivityForm()
    _activity_choices(form, activity.unit_id, activity.held_on.year)
    if form.validate_on_submit():
        try:
            activities.update_activity(_user(), activity.id, _activity_values(form), _uploads("files"))
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("plans.activity_list", unit_id=activity.unit_id, year=activity.held_on.year))
        except ServiceError as exc:
            _form_error(form, exc)
            return _activity_page(activity, form, exc.status)
    return _activity_page(activity, form, 422)


@bp.route("/plans/activities/<int:activity_id>/delete", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def activity_delete(activity_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    activity = activities.get_activity(_user(), activity_id, write=True)
    unit_id, year = activity.unit_id, activity.held_on.year
    activities.delete_activity(_user(), activity.id)
    flash(_("The activity has been deleted."), "success")
    return redirect(url_for("plans.activity_list", unit_id=unit_id, year=year))


@bp.route("/plans/evidence/<int:evidence_id>")
@requires(Role.REFORM_OFFICER)
def evidence_file(evidence_id: int):
    item = activities.evidence_for(_user(), evidence_id)
    path = evidence.path_of(item.stored)
    if not path.exists():
        abort(404)
    mimetype = "image/jpeg" if item.kind == "photo" else "application/pdf"
    resp = send_file(path, mimetype=mimetype, as_attachment=item.kind != "photo", download_name=item.filename,
                     max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/plans/evidence/<int:evidence_id>/delete", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def evidence_delete(evidence_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    activity = activities.delete_evidence(_user(), evidence_id)
    flash(_("The file has been removed."), "success")
    return redirect(url_for("plans.activity_edit", activity_id=activity.id))


# --- reports --------------------------------------------------------------------------------------

def _report_args(kind: str, year: int, number: int):
    try:
        return reporting.check_period(kind, year, number)
    except ServiceError:
        abort(404)


def _report_page(unit: Unit, kind: ReportKind, year: int, number: int, form: NarrativeForm | None = None,
                 status: int = 200):
    existing = reporting.report_for(unit.id, kind, year, number)
    form = form or NarrativeForm(obj=existing)
    period = completion.period(kind, year, number)
    comp = completion.completion(unit, year, period.start, period.end)
    return render_template("plans/report.html", unit=unit, kind=kind, year=year, number=number, period=period,
                           report=existing, form=form, writable=scope.may_write(_user(), unit.id), comp=comp,
                           button=ButtonForm(), return_form=ReturnForm(), is_province=scope.is_province(_user()),
                           due=completion.deadline(kind, year, number), Status=ReportStatus), status


@bp.route("/plans/units/<int:unit_id>/reports/<kind>/<int:year>/<int:number>")
@requires(Role.REFORM_OFFICER)
def report(unit_id: int, kind: str, year: int, number: int):
    unit = _unit_or_404(unit_id)
    return _report_page(unit, *_report_args(kind, year, number))


@bp.route("/plans/units/<int:unit_id>/reports/<kind>/<int:year>/<int:number>", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def report_save(unit_id: int, kind: str, year: int, number: int):
    unit = _unit_or_404(unit_id, write=True)
    kind, year, number = _report_args(kind, year, number)
    form = NarrativeForm()
    if not form.validate_on_submit():
        return _report_page(unit, kind, year, number, form, 422)
    try:
        reporting.save_narrative(_user(), unit.id, kind, year, number,
                                 {k: getattr(form, k).data for k in reporting.NARRATIVE +
                                  ("doc_number", "signer_title", "signer_name")})
    except ServiceError as exc:
        _form_error(form, exc)
        return _report_page(unit, kind, year, number, form, exc.status)
    flash(_("The report has been saved."), "success")
    return redirect(url_for("plans.report", unit_id=unit.id, kind=kind.value, year=year, number=number))


@bp.route("/plans/units/<int:unit_id>/reports/<kind>/<int:year>/<int:number>/submit", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def report_submit(unit_id: int, kind: str, year: int, number: int):
    unit = _unit_or_404(unit_id, write=True)
    kind, year, number = _report_args(kind, year, number)
    if not ButtonForm().validate_on_submit():
        abort(400)
    rep = reporting.report_for(unit.id, kind, year, number, create=True)
    reporting.submit(_user(), rep)
    flash(_("The report has been submitted to the province."), "success")
    return redirect(url_for("plans.report", unit_id=unit.id, kind=kind.value, year=year, number=number))


def _send(path: Path, filename: str, mimetype: str) -> Response:
    data = path.read_bytes()
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"})


@bp.route("/plans/units/<int:unit_id>/reports/<kind>/<int:year>/<int:number>/<fmt>")
@requires(Role.REFORM_OFFICER)
def report_download(unit_id: int, kind: str, year: int, number: int, fmt: str):
    if fmt not in ("docx", "xlsx"):
        abort(404)
    unit = _unit_or_404(unit_id)
    kind, year, number = _report_args(kind, year, number)
    limit = int(current_app.config.get("PLANS_INLINE_REPORT_UNITS", 200))
    if reporting.subtree_size(unit) > limit:
        flash(_("This report covers many units: it is being built in the background."), "info")
        job = jobs.start_job(tasks.REPORT_JOB, current_user.id, {
            "unit_id": unit.id, "kind": kind.value, "year": year, "number": number, "consolidated": False,
            "requester_id": current_user.id})
        return redirect(url_for("jobs.show", job_id=job.id))
    fig = reporting.figures(unit, kind, year, number)
    with tempfile.TemporaryDirectory() as tmp:
        docx_path, xlsx_path = reporting.build_files(fig, Path(tmp))
        if fmt == "docx":
            return _send(docx_path, docx_path.name, reporting.DOCX)
        return _send(xlsx_path, xlsx_path.name, reporting.XLSX)


@bp.route("/plans/units/<int:unit_id>/evidence-pack/<kind>/<int:year>/<int:number>", methods=["POST"])
@requires(Role.REFORM_OFFICER)
def evidence_pack(unit_id: int, kind: str, year: int, number: int):
    unit = _unit_or_404(unit_id)
    kind, year, number = _report_args(kind, year, number)
    if not ButtonForm().validate_on_submit():
        abort(400)
    job = jobs.start_job(tasks.EVIDENCE_JOB, current_user.id, {
        "unit_id": unit.id, "kind": kind.value, "year": year, "number": number, "requester_id": current_user.id})
    return redirect(url_for("jobs.show", job_id=job.id))


# --- the province: who has reported, returns, the consolidated report -----------------------------

@bp.route("/admin/plans/reports")
@requires(Role.ORGANISER)
def province_reports():
    today = activities.vn_today()
    kind = request.args.get("kind", ReportKind.QUARTER.value)
    year = _year_arg()
    number = request.args.get("number", (today.month - 1) // 3 + 1, type=int)
    try:
        kind, year, number = reporting.check_period(kind, year, number)
    except ServiceError:
        kind, year, number = ReportKind.QUARTER, today.year, (today.month - 1) // 3 + 1
    root = db.session.get(Unit, scope.home_unit_id(_user()) or 0)
    root = root if root is None or root.parent_id is None else db.session.get(Unit, int(root.path.strip("/").split("/")[0]))
    lines = reporting.submission_status(root, kind, year, number) if root else []
    period = completion.period(kind, year, number)
    return render_template("plans/province_reports.html", root=root, lines=lines, kind=kind, year=year, number=number,
                           period=period, periods=completion.PERIODS, button=ButtonForm(),
                           due=completion.deadline(kind, year, number), Status=ReportStatus,
                           submitted=sum(1 for s in lines if s.status == ReportStatus.SUBMITTED))


@bp.route("/admin/plans/reports/<int:report_id>/return", methods=["POST"])
@requires(Role.ORGANISER)
def report_return(report_id: int):
    rep = db.get_or_404(reporting.UnitReport, report_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Say what must be corrected."), "error")
    else:
        try:
            reporting.return_report(_user(), rep.id, form.reason.data)
            flash(_("The report has been returned for correction."), "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(url_for("plans.report", unit_id=rep.unit_id, kind=rep.kind.value, year=rep.year,
                            number=rep.number))


@bp.route("/admin/plans/reports/consolidated/<kind>/<int:year>/<int:number>", methods=["POST"])
@requires(Role.ORGANISER)
def consolidated(kind: str, year: int, number: int):
    kind, year, number = _report_args(kind, year, number)
    if not ButtonForm().validate_on_submit():
        abort(400)
    root_id = scope.home_unit_id(_user())
    unit = db.session.get(Unit, root_id) if root_id else None
    if unit is None:
        abort(404)
    top = int(unit.path.strip("/").split("/")[0])
    job = jobs.start_job(tasks.REPORT_JOB, current_user.id, {
        "unit_id": top, "kind": kind.value, "year": year, "number": number, "consolidated": True,
        "requester_id": current_user.id})
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.app_template_global()
def plans_audience_label(value) -> str:
    labels = {Audience.CIVIL_SERVANTS: _("Civil servants"), Audience.CITIZENS: _("Citizens"),
              Audience.BUSINESSES: _("Businesses")}
    return labels.get(value, str(value))
