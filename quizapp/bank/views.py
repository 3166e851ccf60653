"""The organiser's question bank editor (under /admin/bank)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.bank import editor, exporting, importing, tasks
from quizapp.bank.formats.records import OptionRecord, QuestionRecord
from quizapp.bank.forms import BankImportForm, ConfirmForm, FilterForm, FlagForm, QuestionForm
from quizapp.bank.models import Question, QuestionStatus
from quizapp.core.db import db
from quizapp.core.downloads import download_response
from quizapp.core.errors import ServiceError

bp = Blueprint("bank", __name__, template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIMETYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8", "gift": "text/plain; charset=utf-8",
             "xml": "application/xml; charset=utf-8"}
PER_PAGE = 50


def _area_choices(blank: str | None = None):
    choices = [SelectChoice(a.id, f"{a.code} – {a.name}") for a in editor.areas()]
    return ([SelectChoice(0, blank)] if blank is not None else []) + choices


def _import_form() -> BankImportForm:
    form = BankImportForm()
    form.default_area_id.choices = _area_choices(_("— none —"))
    return form


@bp.route("/admin/bank")
@requires(Role.ORGANISER)
def index():
    form = FilterForm(request.args)
    form.area_id.choices = _area_choices(_("All"))
    form.validate()
    filters = editor.ListFilters(
        q=form.q.data or "", area_id=None if form.area_id.errors else form.area_id.data or None,
        difficulty=None if form.difficulty.errors else form.difficulty.data or None,
        status=form.status.data if not form.status.errors else "current",
        source=form.source.data or "", date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        used=form.used.data if not form.used.errors else "", flagged=bool(form.flagged.data),
    )
    page = db.paginate(editor.list_select(filters), page=max(request.args.get("page", 1, type=int) or 1, 1),
                       per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    from quizapp.itemstats import services as itemstats

    ids = [q.id for q in page.items]
    return render_template("bank/index.html", page=page, form=form, args=args, import_form=_import_form(),
                           flag_form=FlagForm(), used_ids=editor.used_ids(ids),
                           stat_flags=itemstats.flagged_question_ids(ids))


@bp.route("/admin/bank/dashboard")
@requires(Role.ORGANISER)
def dashboard():
    return render_template("bank/dashboard.html", areas=editor.areas(), counts=editor.approved_counts())


def _record_from(form: QuestionForm) -> QuestionRecord:
    from quizapp.bank.models import ReformArea

    area = db.session.get(ReformArea, form.area_id.data)
    options = [OptionRecord((o.text.data or "").strip(), bool(o.correct.data)) for o in form.options]
    while options and not options[-1].text:
        options.pop()
    return QuestionRecord(
        row=0, area=area.code if area else "?", difficulty=form.difficulty.data, multiple=bool(form.multiple.data),
        text=form.text.data or "", options=options, explanation=form.explanation.data or "",
        source=form.source.data or "", reference_date=form.reference_date.data,
        external_id=form.external_id.data or "", exclusion_group=form.exclusion_group.data or "",
    )


def _question_form(record: QuestionRecord | None = None) -> QuestionForm:
    form = QuestionForm()
    form.area_id.choices = _area_choices()
    if record is not None and request.method == "GET":
        from quizapp.bank.models import ReformArea

        area = db.session.scalar(db.select(ReformArea).where(ReformArea.code == record.area))
        form.area_id.data = area.id if area else None
        form.difficulty.data = record.difficulty
        form.multiple.data = record.multiple
        form.text.data = record.text
        form.explanation.data = record.explanation
        form.source.data = record.source
        form.reference_date.data = record.reference_date
        form.external_id.data = record.external_id
        form.exclusion_group.data = record.exclusion_group
        while len(form.options) < max(6, len(record.options)):
            form.options.append_entry()
        for entry, option in zip(form.options, record.options):
            entry.text.data = option.text
            entry.correct.data = option.correct
    return form


@bp.route("/admin/bank/new", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def create():
    form = _question_form()
    errors = []
    if form.validate_on_submit():
        try:
            question = editor.create_question(_record_from(form), current_user.id, QuestionStatus(form.status.data))
        except editor.QuestionInvalid as exc:
            errors = exc.errors
        else:
            flash(_("The question has been created."), "success")
            return redirect(url_for("bank.detail", question_id=question.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/form.html", form=form, errors=errors, question=None), status


@bp.route("/admin/bank/<int:question_id>/edit", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def edit(question_id: int):
    question = db.get_or_404(Question, question_id)
    form = _question_form(editor.record_of(question))
    errors = []
    if form.validate_on_submit():
        try:
            saved = editor.edit_question(question, _record_from(form), current_user.id)
        except editor.QuestionInvalid as exc:
            errors = exc.errors
        else:
            if saved.id == question.id:
                flash(_("Nothing changed."), "info")
            else:
                flash(_("Saved as version %(v)d.", v=saved.version), "success")
            return redirect(url_for("bank.detail", question_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/form.html", form=form, errors=errors, question=question), status


@bp.route("/admin/bank/<int:question_id>")
@requires(Role.ORGANISER)
def detail(question_id: int):
    from quizapp.itemstats import services as itemstats

    question = db.get_or_404(Question, question_id)
    return render_template("bank/detail.html", question=question, history=editor.history(question),
                           used=editor.is_used(question.id), confirm_form=ConfirmForm(),
                           item_figures=itemstats.figures_for_question(question.id))


@bp.route("/admin/bank/<int:question_id>/preview")
@requires(Role.ORGANISER)
def preview(question_id: int):
    question = db.get_or_404(Question, question_id)
    return render_template("bank/preview.html", question=question)


def _act(question_id: int, action, done: str) -> Response:
    question = db.get_or_404(Question, question_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Your session has expired or the form is invalid. Please reload the page and try again."), "error")
        return redirect(url_for("bank.detail", question_id=question_id))
    try:
        action(question, current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("bank.detail", question_id=question_id))


@bp.route("/admin/bank/<int:question_id>/retire", methods=["POST"])
@requires(Role.ORGANISER)
def retire(question_id: int):
    return _act(question_id, editor.retire, _("The question has been retired."))


@bp.route("/admin/bank/<int:question_id>/restore", methods=["POST"])
@requires(Role.ORGANISER)
def restore(question_id: int):
    return _act(question_id, editor.restore, _("The question has been restored."))


@bp.route("/admin/bank/<int:question_id>/approve", methods=["POST"])
@requires(Role.ORGANISER)
def approve(question_id: int):
    return _act(question_id, editor.approve, _("The question has been approved."))


@bp.route("/admin/bank/<int:question_id>/unflag", methods=["POST"])
@requires(Role.ORGANISER)
def unflag(question_id: int):
    return _act(question_id, editor.clear_flag, _("The review flag has been cleared."))


@bp.route("/admin/bank/flag", methods=["POST"])
@requires(Role.ORGANISER)
def flag():
    form = FlagForm()
    if not form.validate_on_submit():
        flash(_("Enter the document number, e.g. 61/2018/NĐ-CP."), "error")
        return redirect(url_for("bank.index"))
    n = editor.flag_document(form.document.data, form.note.data, current_user.id)
    flash(_("%(n)d questions cite this document and are flagged for review.", n=n), "success")
    return redirect(url_for("bank.index", flagged="y"))


@bp.route("/admin/bank/import", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def import_file():
    form = _import_form()
    if request.method == "GET":
        return render_template("bank/import.html", form=form, report=None, errors=[])
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs]
        return render_template("bank/import.html", form=form, report=None, errors=errors), 422
    upload = form.file.data
    content = upload.read()
    try:
        outcome = tasks.import_upload(
            content, upload.filename or "", current_user.id, status=form.status.data,
            default_area_id=form.default_area_id.data or None, default_difficulty=form.default_difficulty.data,
            category_map=importing.parse_category_map(form.category_map.data or ""),
            threshold=current_app.config["IMPORT_JOB_THRESHOLD_BYTES"])
    except ServiceError as exc:
        return render_template("bank/import.html", form=form, report=None, errors=[exc.message]), exc.status
    if not isinstance(outcome, importing.ImportReport):  # a large file: the job's page (progress, then the report)
        return redirect(url_for("jobs.show", job_id=outcome.id), code=303)
    report = outcome
    return render_template("bank/import.html", form=form, report=report, errors=[]), (200 if report.ok else 422)


@bp.route("/admin/bank/export.<fmt>")
@requires(Role.ORGANISER)
def export(fmt: str):
    if fmt not in MIMETYPES:
        return render_template("errors/error.html", status=404, message=_("Unknown format.")), 404
    return download_response(exporting.export(fmt), f"ngan-hang-cau-hoi.{fmt}", MIMETYPES[fmt])


@bp.route("/admin/bank/template.xlsx")
@requires(Role.ORGANISER)
def template():
    return download_response(exporting.template_xlsx(), "mau-nhap-cau-hoi.xlsx", XLSX)


@bp.route("/admin/bank/template.docx")
@requires(Role.ORGANISER)
def template_docx():
    return download_response(exporting.template_docx(), "mau-nhap-cau-hoi.docx", DOCX)
