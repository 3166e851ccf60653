"""Leaderboards, unit rankings, round statistics, exports, a unit manager's people.

Public pages are ``@public`` because who may see them depends on the
contest (``results_visibility``): the services check it and raise 404/403,
or ``LoginRequired``, which sends the viewer to the login page.
"""
from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from quizapp.auth.access import public, require_unit_scope, requires
from quizapp.auth.models import EntrantCategory, Role
from quizapp.core.db import db
from quizapp.core.downloads import download_response
from quizapp.core.urls import external_url
from quizapp import jobs
from quizapp.leaderboards import boards, charts, exports, visibility
from quizapp.leaderboards.people import unit_people as people_of_unit
from quizapp.leaderboards.round_stats import round_stats_page
from quizapp.leaderboards.unit_ranking import unit_ranking_page
from quizapp.leaderboards.tasks import EXPORT_JOB
from quizapp.units.models import Unit

bp = Blueprint("leaderboards", __name__, template_folder="templates")

CATEGORY_LABELS = {
    EntrantCategory.CIVIL_SERVANT.value: _l("Civil servants"),
    EntrantCategory.PUBLIC_EMPLOYEE.value: _l("Public employees"),
    EntrantCategory.WORKER.value: _l("Workers"),
    EntrantCategory.ARMED_FORCES.value: _l("Armed forces"),
    EntrantCategory.CITIZEN.value: _l("Citizens"),
    EntrantCategory.STUDENT.value: _l("Students"),
}


@bp.errorhandler(visibility.LoginRequired)
def _login_first(exc):
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.errorhandler(visibility.ResultsEmbargoed)
def _not_published(exc):
    """Results not published yet: the viewer's own result and when they will be."""
    from quizapp.leaderboards.places import own_results

    args = request.view_args or {}
    if "round_id" in args:
        rnd = visibility.get_round(args["round_id"], recent=True)
        contest, rounds = rnd.contest, [rnd]
    else:
        contest, rnd = visibility.get_contest(args.get("contest_id", 0)), None
        rounds = sorted(contest.rounds, key=lambda r: r.number)
    return render_template("leaderboards/not_published.html", contest=contest, round=rnd,
                           mine=own_results(rounds, current_user))


@bp.app_template_filter("vn_date")
def _vn_date(iso: str) -> str:
    """'2026-12-04' → '04/12/2026' (the Vietnamese way)."""
    year, month, day = (iso or "").split("-") if (iso or "").count("-") == 2 else ("", "", "")
    return f"{day}/{month}/{year}" if year else (iso or "")


@bp.app_template_filter("lb_num")
def _num(text):
    """Decimal comma in Vietnamese."""
    if text is None or text == "":
        return ""
    comma = g.get("_lb_comma")
    if comma is None:
        comma = g._lb_comma = str(get_locale()) == "vi"
    return str(text).replace(".", ",") if comma else str(text)


def _filters() -> dict:
    return {
        "unit_id": request.args.get("unit", type=int) or None,
        "category": (request.args.get("category") or "").strip()[:24] or None,
        "page": request.args.get("page", 1, type=int) or 1,
    }


def _unit_choices():
    return boards.unit_choices()


def _board_response(board, **context):
    pending = boards.prediction_pending(board.contest, board.round)
    confidential = boards.confidential_truth(board.round, current_user) if board.round else None
    context.setdefault("release", visibility.release(board.round or board.contest, current_user))
    resp = make_response(render_template("leaderboards/board.html", board=board, unit_choices=_unit_choices(),
                                         categories=CATEGORY_LABELS, prediction_pending=pending,
                                         confidential_truth=confidential, **context))
    # When the ranking shown was computed: every submission before it is included.
    resp.headers["X-Data-As-Of"] = f"{board.computed_at:.3f}"
    return resp


@bp.route("/rounds/<int:round_id>/leaderboard")
@public
def round_leaderboard(round_id: int):
    board = boards.round_board(round_id, current_user, **_filters())
    return _board_response(board, endpoint="leaderboards.round_leaderboard", endpoint_args={"round_id": round_id})


@bp.route("/contests/<int:contest_id>/leaderboard")
@public
def contest_leaderboard(contest_id: int):
    board = boards.contest_board(contest_id, current_user, **_filters())
    return _board_response(board, endpoint="leaderboards.contest_leaderboard",
                           endpoint_args={"contest_id": contest_id})


def _unit_args() -> tuple[str | None, bool]:
    """Bloc and view; without ``subtree`` the ranking opens on the view the dashboard and reports use."""
    from quizapp.leaderboards.participation import SUBTREE

    subtree = request.args.get("subtree")
    return (request.args.get("bloc") or "").strip()[:64] or None, SUBTREE if subtree is None else subtree == "1"


@bp.route("/rounds/<int:round_id>/units")
@public
def unit_ranking(round_id: int):
    bloc, subtree = _unit_args()
    result = unit_ranking_page(round_id, current_user, bloc, subtree)
    rnd = visibility.get_round(round_id, recent=True)
    shown = [r for r in result.rows if r.entrants][:30]
    rate_chart = charts.hbars([(r.name, float(r.rate or 0), r.rate_text) for r in shown], max_value=100)
    top = max([r.average for r in shown if r.average is not None] + [0])
    avg_chart = charts.hbars([(r.name, float(r.average or 0), r.average_text) for r in shown],
                             max_value=float(top) or None)
    flags = []
    if current_user.is_authenticated and current_user.has_role(Role.ORGANISER):
        from quizapp.units import confirmations

        flags = confirmations.flags_for([rnd])
    return render_template("leaderboards/units.html", ranking=result, round=rnd, rate_chart=rate_chart,
                           release=visibility.release(rnd, current_user),
                           avg_chart=avg_chart, confirmation_flags=flags)


@bp.route("/rounds/<int:round_id>/stats")
@public
def round_stats(round_id: int):
    stats = round_stats_page(round_id, current_user)
    rnd = visibility.get_round(round_id, recent=True)
    day_chart = charts.hbars([(_vn_date(d), a, str(a)) for d, a, _e in stats.per_day])
    score_chart = charts.columns([(str(s), c, str(c)) for s, c in stats.distribution])
    unit_chart = charts.hbars([(n, float(r or 0), r) for n, r, _e, _h in stats.units[:40]], max_value=100)
    return render_template("leaderboards/stats.html", stats=stats, round=rnd, day_chart=day_chart,
                           confidential_truth=boards.confidential_truth(rnd, current_user),
                           release=visibility.release(rnd, current_user),
                           score_chart=score_chart, unit_chart=unit_chart)


def _export_job(what: str, obj_id: int, fmt: str, **kw):
    """Start the export as a job and send the organiser to its page (progress, then the download)."""
    params = exports.export_params(what, obj_id, fmt, actor_id=current_user.id, **kw)
    job = jobs.start_job(EXPORT_JOB, current_user.id, params)
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


@bp.route("/rounds/<int:round_id>/export.<fmt>", methods=["POST"])
@requires(Role.ORGANISER)
def export_round(round_id: int, fmt: str):
    return _export_job("round", round_id, fmt, personal=request.form.get("personal") == "1")


@bp.route("/contests/<int:contest_id>/export.<fmt>", methods=["POST"])
@requires(Role.ORGANISER)
def export_contest(contest_id: int, fmt: str):
    return _export_job("contest", contest_id, fmt, personal=request.form.get("personal") == "1")


@bp.route("/rounds/<int:round_id>/units/export.<fmt>", methods=["POST"])
@requires(Role.ORGANISER)
def export_units(round_id: int, fmt: str):
    bloc, subtree = (request.form.get("bloc") or "").strip()[:64] or None, request.form.get("subtree") == "1"
    return _export_job("units", round_id, fmt, bloc=bloc, subtree=subtree)


@bp.route("/units/<int:unit_id>/rounds/<int:round_id>/people")
@requires(Role.UNIT_MANAGER)
def unit_people(unit_id: int, round_id: int):
    unit = db.get_or_404(Unit, unit_id)
    require_unit_scope(unit.id)
    subtree = request.args.get("subtree", "1") == "1"
    people = people_of_unit(unit.id, round_id, subtree, current_user)
    rnd = visibility.get_round(round_id)
    return render_template("leaderboards/people.html", unit=unit, round=rnd, people=people, subtree=subtree,
                           results_shown=visibility.results_visible(rnd.contest, current_user, rnd),
                           missing=sum(1 for p in people if not p.took_part))


@bp.route("/units/<int:unit_id>/dashboard")
@requires(Role.UNIT_MANAGER)
def unit_dashboard(unit_id: int):
    """Participation of the unit (with sub-units) per round and contest; who has not taken part;
    the live events (hội thi) its teams took part in."""
    from quizapp.leaderboards import dashboard
    from quizapp.live import records  # the unit's history: see EXCEPTIONS in tests/test_architecture.py

    require_unit_scope(unit_id)
    board = dashboard.unit_dashboard(unit_id, request.args.get("round", type=int))
    contest_url = (external_url("contests.public_detail", slug=board.round.contest.slug)
                   if board.round else None)
    trend = {cf.contest.id: charts.hbars([(rf.round.title, rf.rate or 0.0, rf.rate_text) for rf in cf.rounds],
                                         max_value=100) for cf in board.contests}
    return render_template("leaderboards/unit_dashboard.html", board=board, contest_url=contest_url, trend=trend,
                           live=records.unit_history(unit_id))


@bp.route("/units/<int:unit_id>/rounds/<int:round_id>/missing.<fmt>")
@requires(Role.UNIT_MANAGER)
def unit_missing_export(unit_id: int, round_id: int, fmt: str):
    from quizapp.leaderboards import dashboard

    require_unit_scope(unit_id)
    db.get_or_404(Unit, unit_id)
    if fmt not in ("xlsx", "csv"):  # one unit's list is small: served at once, not as a job
        return render_template("errors/error.html", status=404, message=_l("Unknown format.")), 404
    content, mimetype, name = dashboard.export_missing(unit_id, round_id, fmt)
    return download_response(content, name, mimetype)
