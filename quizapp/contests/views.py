"""Contest pages: the organisers' builder (/admin/contests) and the public pages (/contests)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from quizapp.auth.access import public, requires
from quizapp.auth.models import Role, User
from quizapp.contests import catalogue, contests, eligibility, quotas, rounds, schedule, settings
from quizapp.contests.clock import epoch_ms, split_duration
from quizapp.contests.forms import ConfirmForm, ContestForm, GrantForm, round_form
from quizapp.contests.grants import find_entrants, grant, grants_for, mask_phone
from quizapp.contests.models import Contest, ReviewPolicy, Round
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units import services as units

bp = Blueprint("contests", __name__, template_folder="templates")

# The attempt engine registers this endpoint; until it does, no start button is shown.
START_ENDPOINT = "attempts.start_page"


@bp.app_template_global()
def countdown_text(delta) -> str:
    days, hours, minutes = split_duration(delta)
    if days:
        return _("%(d)d days %(h)d hours %(m)d minutes", d=days, h=hours, m=minutes)
    return _("%(h)d hours %(m)d minutes", h=hours, m=minutes)


@bp.app_template_global()
def countdown_ms(value) -> int:
    return epoch_ms(value)


_LABELS = {
    "status": settings.STATUSES, "ranking": settings.RANKING_ORDERS, "unit_ranking": settings.UNIT_RANKING_ORDERS,
    "aggregate": settings.AGGREGATES, "visibility": settings.VISIBILITIES, "counted": settings.COUNTED_ATTEMPTS,
    "prediction": settings.PREDICTION_MODES, "review": settings.REVIEW_POLICIES, "difficulty": settings.DIFFICULTIES,
}


@bp.app_template_global()
def setting_label(kind: str, value) -> str:
    """The organiser-facing label of a contest or round setting."""
    labels = _LABELS[kind]
    return str(labels.get(value, labels.get(str(value), value)))


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _form_error(form, exc: ServiceError) -> None:
    """Show a refused rule next to the field it names (or above the form)."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


# --- public pages ------------------------------------------------------------

@bp.route("/contests")
@public
def public_list():
    return render_template("contests/public_list.html", contests=catalogue.visible_contests(_viewer()))


@bp.route("/contests/<slug>")
@public
def public_detail(slug: str):
    contest = contests.get_contest_by_slug(slug)
    viewer = _viewer()
    if contest is None or not catalogue.can_view(contest, viewer):
        abort(404)
    now = utcnow()
    return render_template(
        "contests/public_detail.html", contest=contest, now=now, now_ms=epoch_ms(now),
        rounds=[(r, schedule.round_state(r, now)) for r in contest.rounds],
        eligible=viewer is None or eligibility.is_eligible(contest, viewer),  # visitors: log in, then back
        start_available=START_ENDPOINT in current_app.view_functions, start_endpoint=START_ENDPOINT,
    )


# --- organisers: contests ----------------------------------------------------

def _contest_form(**kw) -> ContestForm:
    form = ContestForm(**kw)
    form.unit_ids.choices = [(u.id, label) for u, label in units.choice_labels()]
    return form


@bp.route("/admin/contests")
@requires(Role.ORGANISER)
def index():
    return render_template("contests/admin_index.html", contests=contests.all_contests())


def _submit(form, save, page, success_message, next_url):
    """The builder's form flow: validate, call one service, show a refused
    rule beside the field it names, or redirect once saved."""
    if form.validate_on_submit():
        try:
            result = save(form.to_data())
        except ServiceError as exc:
            _form_error(form, exc)
            return page(exc.status)
        flash(str(success_message), "success")
        return redirect(next_url(result))
    return page(422 if request.method == "POST" else 200)


def _contest_page(form, contest: Contest | None):
    return lambda status: (render_template("contests/contest_form.html", form=form, contest=contest,
                                           known_blocs=contests.known_blocs()), status)


@bp.route("/admin/contests/new", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def create():
    form = _contest_form()
    return _submit(
        form, lambda data: contests.create_contest(data, current_user.id), _contest_page(form, None),
        _l("The contest has been created. Now add its rounds."),
        lambda contest: url_for("contests.manage", contest_id=contest.id))


@bp.route("/admin/contests/<int:contest_id>")
@requires(Role.ORGANISER)
def manage(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    return _manage_page(contest)


def _manage_page(contest: Contest, error: str | None = None, status: int = 200):
    now = utcnow()
    return render_template(
        "contests/manage.html", contest=contest, error=error, confirm_form=ConfirmForm(),
        rounds=[(r, schedule.round_state(r, now)) for r in contest.rounds],
        attempts=contests.attempt_counts_by_round(contest),
        area_names={a.id: a.name for a in quotas.reform_areas()},
    ), status


@bp.route("/admin/contests/<int:contest_id>/edit", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def edit(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = _contest_form()
    if request.method == "GET":
        form.fill_from(contests.contest_data_of(contest))
    return _submit(
        form, lambda data: contests.update_contest(contest, data, current_user.id), _contest_page(form, contest),
        _l("The contest has been saved."), lambda _changed: url_for("contests.manage", contest_id=contest.id))


def _status_change(contest_id: int, service, message):
    contest = db.get_or_404(Contest, contest_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service(contest, current_user.id)
    except ServiceError as exc:
        return _manage_page(contest, exc.message, exc.status)
    flash(str(message), "success")
    return redirect(url_for("contests.manage", contest_id=contest.id))


@bp.route("/admin/contests/<int:contest_id>/publish", methods=["POST"])
@requires(Role.ORGANISER)
def publish(contest_id: int):
    return _status_change(contest_id, contests.publish, _l("The contest has been published."))


@bp.route("/admin/contests/<int:contest_id>/unpublish", methods=["POST"])
@requires(Role.ORGANISER)
def unpublish(contest_id: int):
    return _status_change(contest_id, contests.unpublish, _l("The contest is a draft again."))


@bp.route("/admin/contests/<int:contest_id>/archive", methods=["POST"])
@requires(Role.ORGANISER)
def archive(contest_id: int):
    return _status_change(contest_id, contests.archive, _l("The contest has been archived."))


@bp.route("/admin/contests/<int:contest_id>/delete", methods=["POST"])
@requires(Role.ORGANISER)
def delete(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        contests.delete_contest(contest, current_user.id)
    except ServiceError as exc:
        return _manage_page(contest, exc.message, exc.status)
    flash(_("The contest has been deleted."), "success")
    return redirect(url_for("contests.index"))


# --- organisers: rounds ------------------------------------------------------

def _round_of(contest_id: int, round_id: int) -> Round:
    rnd = db.get_or_404(Round, round_id)
    if rnd.contest_id != contest_id:
        abort(404)
    return rnd


def _whole_bank_published() -> bool:
    from quizapp.practice import services as practice

    return practice.whole_bank_published()


def _pool_warnings(form, contest: Contest, rnd: Round | None) -> list[str]:
    return quotas.pool_warnings(contest, rnd, form.quota_items(), bool(form.fresh_questions.data))


def _round_saved(contest: Contest, rnd: Round) -> str:
    """Where a saved round goes (the contest's page), with the per-round pool's warnings."""
    items = [quotas.QuotaItem(q.area_id, q.difficulty, q.count, q.entrant_group or "") for q in rnd.quotas]
    for w in quotas.pool_warnings(contest, rnd, items, rnd.fresh_questions):
        flash(w, "warning")
    return url_for("contests.manage", contest_id=contest.id)


def _round_page(form, contest: Contest, rnd: Round | None, status: int = 200):
    return render_template(
        "contests/round_form.html", form=form, contest=contest, rnd=rnd, counts=quotas.available_counts(),
        fresh=quotas.fresh_counts(contest, rnd) if rounds.round_count(contest, before=rnd) else None,
        pool_warnings=_pool_warnings(form, contest, rnd), whole_bank=_whole_bank_published(),
        locked=bool(rnd and contests.attempt_count(round_id=rnd.id)),
    ), status


@bp.route("/admin/contests/<int:contest_id>/rounds/new", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def round_create(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = round_form(quotas.reform_areas())
    if request.method == "GET":
        form.title.data = _("Round %(n)d", n=len(contest.rounds) + 1)
        if rounds.round_count(contest):  # several rounds share the bank: keep the keys until the contest ends
            form.review_policy.data = ReviewPolicy.AFTER_CONTEST.value
            form.fresh_questions.data = True  # ... and do not hand out questions earlier rounds drew
        for q in quotas.default_quotas():
            getattr(form, f"q_{q.area_id}_{q.difficulty}").data = q.count
    return _submit(
        form, lambda data: rounds.add_round(contest, data, current_user.id),
        lambda status: _round_page(form, contest, None, status), _l("The round has been added."),
        lambda rnd: _round_saved(contest, rnd))


@bp.route("/admin/contests/<int:contest_id>/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def round_edit(contest_id: int, round_id: int):
    rnd = _round_of(contest_id, round_id)
    form = round_form(quotas.reform_areas())
    if request.method == "GET":
        form.fill_from(rounds.round_data_of(rnd))
    return _submit(
        form, lambda data: rounds.update_round(rnd, data, current_user.id),
        lambda status: _round_page(form, rnd.contest, rnd, status), _l("The round has been saved."),
        lambda _changed: _round_saved(rnd.contest, rnd))


@bp.route("/admin/contests/<int:contest_id>/rounds/<int:round_id>/delete", methods=["POST"])
@requires(Role.ORGANISER)
def round_delete(contest_id: int, round_id: int):
    rnd = _round_of(contest_id, round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    contest = rnd.contest
    try:
        rounds.delete_round(rnd, current_user.id)
    except ServiceError as exc:
        return _manage_page(contest, exc.message, exc.status)
    flash(_("The round has been deleted."), "success")
    return redirect(url_for("contests.manage", contest_id=contest_id))


# --- organisers: individual exceptions -----------------------------------------

@bp.route("/admin/contests/<int:contest_id>/rounds/<int:round_id>/grants", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def grants(contest_id: int, round_id: int):
    rnd = _round_of(contest_id, round_id)
    form = GrantForm()
    # The search is POSTed (action=search): a phone number or e-mail typed into it never
    # appears in a URL, so never in an access log.
    searching = request.method == "POST" and request.form.get("action") == "search"
    q = request.form.get("q", "")[:100] if searching else ""
    chosen_id = None if searching else (
        request.form.get("user_id", type=int) or request.args.get("user_id", type=int))  # bounded: core.inputs
    if request.method == "GET" and chosen_id:
        form.user_id.data = str(chosen_id)
    status = 200
    if searching:
        pass
    elif form.validate_on_submit():
        try:
            grant(rnd, chosen_id or 0, form.extra_minutes.data, form.extra_attempts.data,
                  form.reason.data, current_user.id)
        except ServiceError as exc:
            _form_error(form, exc)
            status = exc.status
        else:
            flash(_("The exception has been granted."), "success")
            return redirect(url_for("contests.grants", contest_id=contest_id, round_id=round_id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "contests/grants.html", rnd=rnd, contest=rnd.contest, form=form, q=q,
        results=find_entrants(q) if q else [],
        chosen=db.session.get(User, chosen_id) if chosen_id else None,
        grants=grants_for(rnd), mask_phone=mask_phone,
    ), status
