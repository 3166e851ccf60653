"""Organiser pages: item statistics of a round, a contest, the whole bank; compute now."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.core.forms import Form
from quizapp.itemstats import engine, services
from quizapp.itemstats.models import StatsScope

bp = Blueprint("itemstats", __name__, template_folder="templates")

FLAG_LABELS = {
    engine.FLAG_WRONG_KEY: _l("Possibly wrong key"),
    engine.FLAG_TOO_EASY: _l("Too easy"),
    engine.FLAG_TOO_HARD: _l("Too hard"),
    engine.FLAG_NOT_DISCRIMINATING: _l("Not discriminating"),
}

# Why the coefficient of internal consistency is missing (engine.CIC_REASONS).
CIC_NOTES = {
    engine.CIC_TOO_FEW_ATTEMPTS: _l("Not computed: it needs at least two attempts."),
    engine.CIC_ONE_QUESTION: _l("Not computed: each attempt has only one question."),
    engine.CIC_DIFFERENT_LENGTHS: _l("Not computed: the attempts do not all have the same number of questions."),
    engine.CIC_NO_SPREAD: _l("Not computed: every attempt has the same score."),
    engine.CIC_QUESTION_SEEN_ONCE: _l("Not computed: some questions were seen by only one attempt, so their "
                                      "variance is unknown."),
    engine.CIC_OUT_OF_RANGE: _l("Not computed: questions were drawn at random and too few attempts saw each "
                                "one for the approximation to hold."),
}


@bp.app_template_filter("cic_note")
def _cic_note(note: str | None) -> str:
    return str(CIC_NOTES.get(note, "")) if note else ""


@bp.app_template_filter("stat_flag")
def _flag_label(flag: str) -> str:
    return str(FLAG_LABELS.get(flag, flag))


@bp.app_template_filter("stat_num")
def _stat_num(value, digits: int = 1) -> str:
    """A figure with a decimal comma in Vietnamese; a dash when there is none."""
    if value is None:
        return "–"
    from flask_babel import get_locale

    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if str(get_locale()) == "vi" else text


def _all_attempts() -> bool:
    return request.args.get("all") == "1"


def _page(scope: StatsScope, scope_id: int, title: str, compute: dict, **extra):
    all_attempts = _all_attempts()
    flagged_only = request.args.get("flagged") == "1"
    return render_template(
        "itemstats/sample.html", title=title, scope=scope, scope_id=scope_id, all_attempts=all_attempts,
        flagged_only=flagged_only, sample=services.sample(scope, scope_id, all_attempts),
        rows=services.item_rows(scope, scope_id, all_attempts, flagged_only), min_n=engine.MIN_N,
        compute=compute, form=Form(), **extra)


@bp.route("/admin/stats")
@requires(Role.ORGANISER)
def index():
    return render_template("itemstats/index.html", computed=services.rounds_with_statistics(),
                           pending=services.closed_rounds_without_statistics(), form=Form())


@bp.route("/admin/stats/rounds/<int:round_id>")
@requires(Role.ORGANISER)
def round_page(round_id: int):
    rnd = db.get_or_404(Round, round_id)
    return _page(StatsScope.ROUND, rnd.id, f"{rnd.contest.title} – {rnd.title}", {"round_id": rnd.id},
                 contest=rnd.contest)


@bp.route("/admin/stats/contests/<int:contest_id>")
@requires(Role.ORGANISER)
def contest_page(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    return _page(StatsScope.CONTEST, contest.id, contest.title, {"contest_id": contest.id}, contest=contest)


@bp.route("/admin/stats/bank")
@requires(Role.ORGANISER)
def bank_page():
    return _page(StatsScope.BANK, 0, _("All rounds"), {})


@bp.route("/admin/stats/compute", methods=["POST"])
@requires(Role.ORGANISER)
def compute():
    form = Form()
    round_id = request.form.get("round_id", type=int)
    contest_id = request.form.get("contest_id", type=int)
    target = (url_for("itemstats.round_page", round_id=round_id) if round_id else
              url_for("itemstats.contest_page", contest_id=contest_id) if contest_id else
              url_for("itemstats.bank_page"))
    if not form.validate_on_submit():
        flash(_("Your session has expired or the form is invalid. Please reload the page and try again."), "error")
        return redirect(target)
    try:
        job = services.request_computation(round_id=round_id, contest_id=contest_id, actor_id=current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(target)
    # Queued: it runs once this request's transaction commits, and its page shows the progress.
    flash(_("The statistics are being computed…"), "success")
    return redirect(url_for("jobs.show", job_id=job.id) if job is not None else target, 303)
