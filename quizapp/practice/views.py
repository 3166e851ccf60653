"""Practice pages (/practice): choose a set, answer one question at a time, see progress.

Open to every logged-in user, and to visitors when the organiser allows it
(the views are ``@public`` and ask ``services.may_practise``).  Answers are
form posts or JSON, both CSRF-protected.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from quizapp.auth.access import public, requires
from quizapp.auth.models import Role
from quizapp.bank import editor
from quizapp.core.errors import ServiceError
from quizapp.core.forms import Form
from quizapp.practice import services
from quizapp.extensions import limiter
from quizapp.practice.forms import SettingsForm, StartForm, StudySetForm

bp = Blueprint("practice", __name__, template_folder="templates")
TOKEN_KEY = "practice_token"


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _login_page():
    """Practice is for registered users unless the organiser opened it: say so, with the way in."""
    return render_template("practice/login_needed.html")


def _address() -> str:
    return "practice-address:" + (request.remote_addr or "-")


def _account() -> str:
    """Per account; a visitor (when the organiser opened practice) by address."""
    return f"practice-account:{current_user.id}" if current_user.is_authenticated else _address()


def _start_limit() -> str:
    return current_app.config.get("PRACTICE_START_RATE_LIMIT") or "30 per hour"


def _start_address_limit() -> str:
    return current_app.config.get("PRACTICE_START_ADDRESS_RATE_LIMIT") or "120 per hour"


def _answer_limit() -> str:
    return current_app.config.get("PRACTICE_ANSWER_RATE_LIMIT") or "600 per hour"


def _start_form() -> StartForm:
    form = StartForm()
    form.area_id.choices = [SelectChoice(0, _("All areas"))] + [
        SelectChoice(a.id, f"{a.code} – {a.name}") for a in editor.areas()]
    return form


def _owned(session_id: int):
    try:
        return services.get(session_id, _user_id(), session.get(TOKEN_KEY))
    except ServiceError:
        abort(404)


@bp.route("/practice", methods=["GET", "POST"])
@limiter.limit(_start_limit, methods=["POST"], key_func=_account, scope="practice-start-account")
@limiter.limit(_start_address_limit, methods=["POST"], key_func=_address, scope="practice-start-address")
@public
def index():
    user_id = _user_id()
    if not services.may_practise(user_id):
        return _login_page()
    form = _start_form()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                practice = services.start(user_id, form.area_id.data or None, form.difficulty.data, form.size.data,
                                          bool(form.timed.data))
            except ServiceError as exc:
                error = exc.message
            else:
                if user_id is None:
                    session[TOKEN_KEY] = practice.token
                return redirect(url_for("practice.question", session_id=practice.id, position=1))
        else:
            error = _("Check the choices below.")
    settings_form = None
    if current_user.is_authenticated and current_user.has_role(Role.ORGANISER):
        current = services.settings()
        settings_form = SettingsForm(formdata=None, open_to_anonymous=current.open_to_anonymous,
                                     whole_bank=current.whole_bank)
    status = 422 if error else 200
    study = (dict(form=StudySetForm(formdata=None), questions=services.study_set())
             if settings_form is not None else None)
    return render_template("practice/index.html", form=form, error=error, settings_form=settings_form, study=study,
                           progress=services.progress(user_id) if user_id else None), status


@bp.route("/practice/<int:session_id>")
@public
def resume(session_id: int):
    practice = _owned(session_id)
    position = services.next_position(practice)
    if position is None or practice.finished_at or services.time_up(practice):
        return redirect(url_for("practice.result", session_id=practice.id))
    return redirect(url_for("practice.question", session_id=practice.id, position=position))


@bp.route("/practice/<int:session_id>/<int:position>")
@public
def question(session_id: int, position: int):
    practice = _owned(session_id)
    try:
        shown = services.shown(practice, position)
    except ServiceError:
        abort(404)
    if shown.feedback is None and (practice.finished_at or services.time_up(practice)):
        return redirect(url_for("practice.result", session_id=practice.id))
    return render_template("practice/question.html", practice=practice, q=shown, form=Form(),
                           next_position=services.next_position(practice),
                           remaining_ms=services.remaining_ms(practice))


@bp.route("/practice/<int:session_id>/<int:position>/answer", methods=["POST"])
@limiter.limit(_answer_limit, key_func=_account, scope="practice-answer-account")
@limiter.limit(_answer_limit, key_func=_address, scope="practice-answer-address")
@public
def answer(session_id: int, position: int):
    practice = _owned(session_id)
    wants_json = request.is_json
    selected = (request.get_json(silent=True) or {}).get("selected") if wants_json else request.form.getlist("option")
    try:
        feedback = services.answer(practice, position, selected)
    except ServiceError as exc:
        if wants_json:
            return jsonify(error={"code": exc.code, "message": exc.message, "field": exc.field}), exc.status
        if exc.code == "time_up":
            flash(exc.message, "info")
            return redirect(url_for("practice.result", session_id=practice.id))
        flash(exc.message, "error")
        return redirect(url_for("practice.question", session_id=practice.id, position=position))
    if wants_json:
        return jsonify(feedback.as_dict() | {"next_position": services.next_position(practice)})
    return redirect(url_for("practice.question", session_id=practice.id, position=position))


@bp.route("/practice/<int:session_id>/result")
@public
def result(session_id: int):
    practice = _owned(session_id)
    summary = services.summary(practice)
    if (practice.finished_at is None and not services.time_up(practice) and summary.answered < summary.total
            and request.args.get("confirm") != "1"):
        # "Kết thúc" with questions left asks first (a page, not the browser's confirm()).
        return render_template("practice/finish_confirm.html", practice=practice, summary=summary,
                               next_position=services.next_position(practice))
    services.finish(practice)
    return render_template("practice/result.html", practice=practice, summary=summary)


@bp.route("/practice/settings", methods=["POST"])
@requires(Role.ORGANISER)
def update_settings():
    form = SettingsForm()
    if form.validate_on_submit():
        services.set_open_to_anonymous(bool(form.open_to_anonymous.data), current_user.id)
        if bool(form.whole_bank.data) != services.whole_bank_published():
            services.set_whole_bank(bool(form.whole_bank.data), current_user.id)
        flash(_("The practice settings have been saved."), "success")
    else:
        flash(_("Your session has expired or the form is invalid. Please reload the page and try again."), "error")
    return redirect(url_for("practice.index"))


@bp.route("/practice/study-set", methods=["POST"])
@requires(Role.ORGANISER)
def update_study_set():
    form = StudySetForm()
    if not form.validate_on_submit():
        flash(_("Your session has expired or the form is invalid. Please reload the page and try again."), "error")
        return redirect(url_for("practice.index"))
    try:
        n = services.mark_for_practice(form.references.data, not form.remove.data, current_user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The study set has been updated (%(n)d questions changed).", n=n), "success")
    return redirect(url_for("practice.index") + "#study-h")
