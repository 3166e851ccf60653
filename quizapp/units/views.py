"""Unit administration (organisers) and the unit members page (unit managers)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from quizapp.auth.access import public, require_unit_scope, requires
from quizapp.auth.models import Role, User
from quizapp.core.db import db
from quizapp.core.downloads import download_response
from quizapp.core.errors import ServiceError
from quizapp.units import import_export, membership, reorg, services
from quizapp.units.forms import (ConfirmForm, ReportSettingsForm, UnitCreateForm, UnitEditForm, UnitImportForm,
                                 UnitMergeForm, UnitMoveForm)
from quizapp.units.models import Unit, UnitKind

bp = Blueprint("units", __name__, template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/units/search.json")
@public
def search_json():
    q = request.args.get("q", "")[:100]
    return jsonify([{"id": u.id, "code": u.code, "name": u.name} for u in services.search(q)])


@bp.route("/admin/units")
@requires(Role.ORGANISER)
def index():
    tree = services.ordered_tree()
    q = request.args.get("q", "")[:100]
    if q:
        from quizapp.core.text import fold

        needle = fold(q)
        tree = [u for u in tree if needle in fold(u.name) or needle in u.code.lower()]
    return render_template("units/index.html", units=tree, q=q, import_form=UnitImportForm())


def _parent_choices(exclude: Unit | None = None):
    choices = [(0, _("— none (top level) —"))]
    for u, label in services.choice_labels():
        if exclude is not None and u.path.startswith(exclude.path):
            continue
        choices.append((u.id, label))
    return choices


@bp.route("/admin/units/new", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def create():
    form = UnitCreateForm()
    form.parent_id.choices = _parent_choices()
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Unit.id).where(Unit.code == form.code.data.strip())):
            form.code.errors.append(_("This unit code is already used."))
        else:
            parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
            unit = services.create_unit(
                form.code.data.strip(), form.name.data.strip(), parent, UnitKind(form.kind.data),
                (form.bloc.data or "").strip() or None, form.headcount.data,
            )
            from quizapp.core import audit

            audit.record(current_user.id, "unit.create", "unit", unit.id)
            flash(_("The unit has been created."), "success")
            return redirect(url_for("units.detail", unit_id=unit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("units/create.html", form=form), status


@bp.route("/admin/units/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def detail(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    form = UnitEditForm(obj=unit)
    if request.method == "GET":
        form.kind.data = unit.kind.value
    move_form = UnitMoveForm(prefix="move")
    move_form.parent_id.choices = _parent_choices(exclude=unit)
    merge_form = UnitMergeForm(prefix="merge")
    merge_form.target_id.choices = [c for c in _parent_choices(exclude=unit) if c[0]]
    if form.validate_on_submit():
        services.rename(unit, form.name.data, current_user.id)
        unit.kind = UnitKind(form.kind.data)
        unit.bloc = (form.bloc.data or "").strip() or None
        unit.headcount = form.headcount.data
        flash(_("The unit has been saved."), "success")
        return redirect(url_for("units.detail", unit_id=unit.id))
    members = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.unit_id == unit.id))
    return render_template(
        "units/detail.html", unit=unit, form=form, move_form=move_form, merge_form=merge_form,
        confirm_form=ConfirmForm(), members=members,
    ), (422 if request.method == "POST" else 200)


def _act(unit_id: int, action) -> Response:
    unit = db.get_or_404(Unit, unit_id)
    try:
        action(unit)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("units.detail", unit_id=unit_id))


@bp.route("/admin/units/<int:unit_id>/move", methods=["POST"])
@requires(Role.ORGANISER)
def move(unit_id: int):
    form = UnitMoveForm(prefix="move")
    form.parent_id.choices = [(0, "")] + [(u.id, u.name) for u in services.active_units()]
    if not form.validate_on_submit():
        flash(_("Choose a valid parent unit."), "error")
        return redirect(url_for("units.detail", unit_id=unit_id))

    def do(unit):
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        services.move(unit, parent, current_user.id)
        flash(_("The unit has been moved."), "success")

    return _act(unit_id, do)


@bp.route("/admin/units/<int:unit_id>/merge", methods=["POST"])
@requires(Role.ORGANISER)
def merge(unit_id: int):
    form = UnitMergeForm(prefix="merge")
    form.target_id.choices = [(u.id, u.name) for u in services.active_units()]
    if not form.validate_on_submit():
        flash(_("Choose a valid unit to merge into."), "error")
        return redirect(url_for("units.detail", unit_id=unit_id))

    if request.form.get("confirm") != "1":  # first a preview of what moves, then the confirmation
        unit = db.get_or_404(Unit, unit_id)
        plan = reorg.plan_merge_into(unit, db.session.get(Unit, form.target_id.data))
        return render_template("units/reorg_preview.html", plan=plan, title=_("Merge %(name)s", name=unit.name),
                               action=url_for("units.merge", unit_id=unit_id),
                               fields={"merge-target_id": form.target_id.data},
                               back=url_for("units.detail", unit_id=unit_id))

    def do(unit):
        services.merge(unit, db.session.get(Unit, form.target_id.data), current_user.id)
        flash(_("The unit has been merged."), "success")

    return _act(unit_id, do)


@bp.route("/admin/units/reorganise")
@requires(Role.ORGANISER)
def reorganise():
    """Several units into a new unit; dissolving a level (e.g. the districts)."""
    return render_template("units/reorganise.html", units=services.choice_labels(), kinds=services.KIND_LABELS,
                           form=request.args)


def _reorg_form() -> dict:
    f = request.form
    return {"sources": [int(v) for v in f.getlist("sources") if v.isdigit()], "code": f.get("code", "")[:64],
            "name": f.get("name", "")[:300], "parent_id": int(f["parent_id"]) if f.get("parent_id", "").isdigit() else None,
            "kind": UnitKind(f["kind"]) if f.get("kind") in {k.value for k in UnitKind} else UnitKind.OTHER}


@bp.route("/admin/units/reorganise/merge", methods=["POST"])
@requires(Role.ORGANISER)
def reorganise_merge():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("units.reorganise"))
    data = _reorg_form()
    args = (data["sources"], data["code"], data["name"], data["parent_id"], data["kind"])
    plan = reorg.plan_merge_into_new(*args)
    if request.form.get("confirm") == "1" and plan.ok:
        unit = reorg.merge_into_new(*args, actor_id=current_user.id)
        flash(_("The units have been merged into %(name)s.", name=unit.name), "success")
        return redirect(url_for("units.detail", unit_id=unit.id))
    fields = {"sources": data["sources"], "code": data["code"], "name": data["name"],
              "parent_id": data["parent_id"] or "", "kind": data["kind"].value}
    return render_template("units/reorg_preview.html", plan=plan, title=_("Merge units into a new unit"),
                           action=url_for("units.reorganise_merge"), fields=fields,
                           back=url_for("units.reorganise")), (200 if plan.ok else 422)


@bp.route("/admin/units/reorganise/dissolve", methods=["POST"])
@requires(Role.ORGANISER)
def reorganise_dissolve():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("units.reorganise"))
    kind = UnitKind(request.form["kind"]) if request.form.get("kind") in {k.value for k in UnitKind} else None
    plan = reorg.plan_dissolve_level(kind) if kind else reorg.ReorgPlan(errors=[_("Choose a unit kind.")])
    if request.form.get("confirm") == "1" and plan.ok:
        n = reorg.dissolve_level(kind, current_user.id)
        flash(_("%(n)d units have been dissolved.", n=n), "success")
        return redirect(url_for("units.index"))
    return render_template("units/reorg_preview.html", plan=plan,
                           title=_("Dissolve the level: %(kind)s", kind=services.KIND_LABELS[kind] if kind else ""),
                           action=url_for("units.reorganise_dissolve"), fields={"kind": kind.value if kind else ""},
                           back=url_for("units.reorganise")), (200 if plan.ok else 422)


@bp.route("/admin/units/<int:unit_id>/archive", methods=["POST"])
@requires(Role.ORGANISER)
def archive(unit_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("units.detail", unit_id=unit_id))

    def do(unit):
        services.archive(unit, current_user.id)
        flash(_("The unit has been archived."), "success")

    return _act(unit_id, do)


@bp.route("/admin/units/<int:unit_id>/restore", methods=["POST"])
@requires(Role.ORGANISER)
def restore(unit_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("units.detail", unit_id=unit_id))

    def do(unit):
        services.restore(unit, current_user.id)
        flash(_("The unit has been restored."), "success")

    return _act(unit_id, do)


@bp.route("/admin/units/import", methods=["POST"])
@requires(Role.ORGANISER)
def import_file():
    form = UnitImportForm()
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs]
        return render_template("units/import_result.html", report=None, errors=errors), 422
    upload = form.file.data
    try:
        report = import_export.import_units(upload.read(), upload.filename, current_user.id)
    except ServiceError as exc:
        return render_template("units/import_result.html", report=None, errors=[exc.message]), exc.status
    status = 200 if report.ok else 422
    return render_template("units/import_result.html", report=report, errors=[]), status


@bp.route("/admin/units/export.<fmt>")
@requires(Role.ORGANISER)
def export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        return render_template("errors/error.html", status=404, message=_("Unknown format.")), 404
    data = import_export.export_units(fmt)
    mimetype = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return download_response(data, f"don-vi.{fmt}", mimetype)


@bp.route("/units/<int:unit_id>/members")
@requires(Role.UNIT_MANAGER)
def members(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    require_unit_scope(unit.id)
    subtree = request.args.get("subtree", "1") == "1"
    ids = services.subtree_ids(unit.id) if subtree else [unit.id]
    people = db.session.scalars(
        sa.select(User).where(User.unit_id.in_(ids)).order_by(User.full_name).limit(2000)
    ).all()
    from quizapp.auth.recovery import may_manage_account

    return render_template("units/members.html", unit=unit, people=people, subtree=subtree,
                           may_manage=may_manage_account)


@bp.route("/units/confirm", methods=["GET", "POST"])
@requires(Role.UNIT_MANAGER)
def confirm_members():
    """The confirmation queue: one page, tick the people who really belong, confirm them
    all at once — or refuse them (“Từ chối”) (unit managers: their unit and sub-units; organisers:
    units without a manager, or every unit with ?all=1).  Each decision is audited with the
    address the request came from."""
    from quizapp.units import confirmations

    everything = request.args.get("all") == "1" and current_user.has_role(Role.ORGANISER)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return redirect(url_for("units.confirm_members"))
        ids = [int(v) for v in request.form.getlist("user_id") if v.isdigit() and len(v) < 10]
        if request.form.get("decision") == "reject":
            n = confirmations.reject(current_user, ids, request.remote_addr or "")
            flash(_("%(n)d person(s) refused.", n=n), "success")
        else:
            n = membership.confirm_members(current_user, ids, request.remote_addr or "")
            flash(_("%(n)d member(s) confirmed.", n=n), "success")
        db.session.commit()
        return redirect(url_for("units.confirm_members", **({"all": "1"} if everything else {})))
    queue = membership.confirmation_queue(current_user, everything=everything)
    flags = membership.units_over_headcount() if current_user.has_role(Role.ORGANISER) else []
    return render_template("units/confirm.html", queue=queue, form=form, everything=everything, flags=flags,
                           identities=confirmations.identify([m.user_id for m in queue]))


@bp.route("/admin/rounds/<int:round_id>/confirmations/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def review_confirmations(round_id: int, unit_id: int):
    """One page per flagged unit: its members counted in the round who were confirmed while the
    round was open or in a burst from one address; accept or strike them."""
    from quizapp.contests.models import Round
    from quizapp.units import confirmations

    rnd = db.get_or_404(Round, round_id)
    unit = db.get_or_404(Unit, unit_id)
    form = ConfirmForm()
    if request.method == "POST":
        if form.validate_on_submit():
            ids = [int(v) for v in request.form.getlist("user_id") if v.isdigit() and len(v) < 10]
            if request.form.get("decision") == "strike":
                n = confirmations.strike(current_user, rnd.id, unit.id, ids)
                flash(_("%(n)d confirmation(s) struck: those members no longer count.", n=n), "success")
            else:
                n = confirmations.accept(current_user, rnd.id, unit.id, ids)
                flash(_("%(n)d confirmation(s) accepted.", n=n), "success")
            db.session.commit()
        return redirect(url_for("units.review_confirmations", round_id=rnd.id, unit_id=unit.id))
    flagged = confirmations.review(rnd.id, unit.id)
    return render_template("units/review_confirmations.html", round=rnd, unit=unit, flagged=flagged, form=form,
                           burst=(confirmations.BURST_SIZE, confirmations.BURST_MINUTES))


@bp.route("/units/<int:unit_id>/report-settings", methods=["GET", "POST"])
@requires(Role.UNIT_MANAGER)
def report_settings(unit_id: int):
    """The name, number and signer the unit's own periodic report carries."""
    from quizapp.units import report_settings as settings

    unit = db.get_or_404(Unit, unit_id)
    require_unit_scope(unit.id)
    current = settings.for_unit(unit.id)
    form = ReportSettingsForm(data=vars(current))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                settings.save(unit.id, {name: getattr(form, name).data for name in settings.FIELDS}, current_user.id)
                db.session.commit()
                flash(_("The unit's report settings are saved."), "success")
                return redirect(url_for("units.report_settings", unit_id=unit.id))
            except ServiceError as exc:
                db.session.rollback()
                getattr(form, exc.field).errors.append(exc.message)
        status = 422
    return render_template("units/report_settings.html", unit=unit, form=form, current=current), status
