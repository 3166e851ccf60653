"""JSON API for the entrant's flow under /api/v1 (documented in docs/api.md).

Same services and rules as the HTML pages.  Every POST/PUT needs the header
``X-CSRFToken`` (from GET /api/v1/csrf); errors are
``{"error": {"code": ..., "message": ...}}`` with a 4xx status.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from quizapp.attempts import history
from quizapp.attempts import submit as submission  # this module's view is called submit
from quizapp.attempts.answers import save_answer
from quizapp.attempts.clock import remaining_ms
from quizapp.attempts.entry import RoundForEntrant, open_rounds_for
from quizapp.attempts.errors import TimeUp
from quizapp.attempts.review import review
from quizapp.attempts.shown import AttemptView, attempt_view, get_attempt
from quizapp.attempts.start import begin_attempt
from quizapp.attempts.submit import ResultView, result_view
from quizapp.attempts.sweep import close_expired
from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.auth import accounts as auth_accounts
from quizapp.auth import identity as auth_identity
from quizapp.auth.access import public, requires, requires_session, session_user_id
from quizapp.auth.views import login_limits, sign_in
from quizapp.auth.models import Role
from quizapp.core.arrival import arrival_time
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.core.pipeline import skip_commit
from quizapp.leaderboards.places import Place, own_place

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError("body_invalid", _("The request body must be a JSON object."), 400)
    return body


# --- session -------------------------------------------------------------------------

def _login_key() -> str:
    body = request.get_json(silent=True)
    login = body.get("login") if isinstance(body, dict) else None
    return "login:" + auth_identity.normalize_login(login if isinstance(login, str) else "")


def _failed(response) -> bool:
    return response.status_code != 200


@bp.route("/csrf")
@public
def csrf():
    return jsonify(csrf_token=generate_csrf())


@bp.route("/login", methods=["POST"])
@login_limits(_login_key, _failed)  # the same counters as the login form
@public
def login():
    body = _json_body()
    login_name, password = body.get("login"), body.get("password")
    user = None
    if isinstance(login_name, str) and isinstance(password, str):
        user = auth_accounts.authenticate(login_name, password)
    if user is None:
        raise ServiceError("login_failed", _("Wrong phone number / e-mail or password."), 401)
    sign_in(user)
    return jsonify(user={"id": user.id, "full_name": user.full_name})


# --- rounds and attempts ---------------------------------------------------------------

def round_json(item: RoundForEntrant) -> dict:
    rnd = item.round
    return {
        "id": rnd.id, "title": rnd.title, "contest": {"id": rnd.contest.id, "title": rnd.contest.title},
        "opens_at": rnd.opens_at.isoformat(), "closes_at": rnd.closes_at.isoformat(), "state": item.state,
        "time_limit_seconds": item.time_limit_seconds, "attempts_allowed": item.attempts_allowed,
        "attempts_used": item.attempts_used, "open_attempt_id": item.open_attempt_id,
        "prediction_mode": rnd.prediction_mode.value, "can_start": item.can_start,
    }


def attempt_json(view: AttemptView) -> dict:
    """An attempt as the entrant sees it.  Never any answer key while it is in progress."""
    out = {
        "id": view.id, "round_id": view.round_id, "number": view.number,
        "status": view.status.value, "started_at": view.started_at.isoformat(),
        "deadline": view.deadline_at.isoformat(), "remaining_ms": remaining_ms(view),
        "prediction_mode": view.prediction_mode.value,
    }
    if view.questions is not None:
        out["questions"] = [
            {"id": q.id, "position": q.position, "text": q.text, "multiple": q.multiple,
             "options": [{"id": oid, "text": text} for oid, text in q.options],
             "selected": q.selected, "seq": q.answer_seq}
            for q in view.questions
        ]
    return out


def result_json(view: ResultView) -> dict:
    out = {
        "id": view.id, "round_id": view.round_id, "status": view.status.value,
        "score": view.score, "max_score": view.max_score, "duration_ms": view.duration_ms,
        "started_at": view.started_at.isoformat(), "deadline": view.deadline_at.isoformat(),
        "submitted_at": view.submitted_at.isoformat() if view.submitted_at else None,
        "finish_reason": view.finish_reason.value if view.finish_reason else None,
        "prediction": str(view.prediction) if view.prediction is not None else None,
        "review_available": view.review_available,
    }
    if out["review_available"]:
        out["review"] = [
            {"position": r.position, "text": r.text, "multiple": r.multiple, "selected": r.selected,
             "is_correct": r.is_correct, "explanation": r.explanation, "source": r.source,
             "options": [{"id": oid, "text": text, "correct": ok} for oid, text, ok in r.options]}
            for r in review(view)
        ]
    return out


@bp.route("/rounds")
@requires(Role.PARTICIPANT)
def rounds():
    return jsonify(rounds=[round_json(r) for r in open_rounds_for(current_user)])


@bp.route("/rounds/<int:round_id>/attempts", methods=["POST"])
@requires_session
def start(round_id: int):
    # A hot path: no user query; begin_attempt reads the account (active, unit, category) itself.
    view = begin_attempt(round_id, session_user_id())
    return jsonify(attempt=attempt_json(view)), 201


@bp.route("/attempts/<int:attempt_id>")
@requires(Role.PARTICIPANT)
def show(attempt_id: int):
    attempt = get_attempt(attempt_id, current_user.id)
    return jsonify(attempt=attempt_json(attempt_view(attempt)))


@bp.route("/attempts/<int:attempt_id>/answers/<int:aq_id>", methods=["PUT"])
@requires_session
def save(attempt_id: int, aq_id: int):
    body = _json_body()
    try:
        # The hot path: no user query; save_answer checks the account in its UPDATE.
        r = save_answer(attempt_id, session_user_id(), aq_id, body.get("selected"), body.get("seq"),
                                 now=arrival_time())
    except TimeUp:
        close_after_time_up(attempt_id)
        raise
    return jsonify(saved=r.saved, selected=r.selected, seq=r.seq, remaining_ms=r.remaining_ms)


def close_after_time_up(attempt_id: int) -> None:
    """A save after deadline + grace is refused (409) and changes no answer, but the
    expired attempt is closed now, in its own transaction, rather than at the next request."""
    db.session.rollback()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is not None and close_expired(attempt):
        db.session.commit()
    skip_commit()


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@requires_session
def submit(attempt_id: int):
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    try:
        # The hot path: no user query; submit reads the account (active) in its one locked read.
        view = submission.submit(attempt_id, session_user_id(), body.get("prediction"),
                               auto=body.get("auto") is True, now=arrival_time(), clock=utcnow())
    except TimeUp:
        close_after_time_up(attempt_id)
        raise
    # The ranking is recomputed every few seconds: the place is read from the result (docs/api.md).
    return jsonify(result={**result_json(view), "place": None})


def place_json(place: Place | None) -> dict | None:
    """The entrant's place as the results pages show it: ``rank`` among ``entrants`` of the ranking
    it is counted in (``group``: the entrant category a round ranks on its own, else null)."""
    return None if place is None else {
        "rank": place.rank, "entrants": place.entrants, "group": place.group, "final": place.final,
        "as_of": datetime.fromtimestamp(place.as_of, timezone.utc).isoformat()}


@bp.route("/attempts/<int:attempt_id>/result")
@requires(Role.PARTICIPANT)
def result(attempt_id: int):
    attempt = get_attempt(attempt_id, current_user.id)
    if attempt.status != AttemptStatus.SUBMITTED:
        raise ServiceError("attempt_in_progress", _("This attempt has not been submitted yet."), 409)
    out = result_json(result_view(attempt))
    out["place"] = place_json(own_place(attempt.round_id, current_user))
    return jsonify(result=out)


@bp.route("/attempts")
@requires(Role.PARTICIPANT)
def my_attempts():
    # The same list as the page "Bài thi của tôi" (history.my_attempts), with the same place.
    return jsonify(attempts=[history_json(item) for item in history.my_attempts(current_user)])


def history_json(item: history.HistoryItem) -> dict:
    def iso(value):
        return value.isoformat() if value is not None else None
    a = item.attempt
    return {
        "id": a.id, "round": {"id": item.round.id, "title": item.round.title},
        "contest": {"id": item.contest.id, "title": item.contest.title}, "number": a.number,
        "status": a.status.value, "started_at": iso(a.started_at), "deadline": iso(a.deadline_at),
        "submitted_at": iso(a.submitted_at), "finish_reason": a.finish_reason.value if a.finish_reason else None,
        "score": a.score, "max_score": a.max_score, "duration_ms": a.duration_ms, "counted": item.counted,
        "place": place_json(item.place_detail),
    }
