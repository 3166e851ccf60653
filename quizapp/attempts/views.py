"""Entrant pages: my rounds, the start page, the quiz page, the result page."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from quizapp.attempts import history
from quizapp.attempts.clock import remaining_ms
from quizapp.attempts.entry import get_round_for_entrant, open_rounds_for, round_for_entrant
from quizapp.attempts.errors import TimeUp
from quizapp.attempts.review import review, review_visible
from quizapp.attempts.shown import ShownQuestion, get_attempt, shown_questions
from quizapp.attempts.start import begin_attempt
from quizapp.attempts.submit import submit_form
from quizapp.attempts.api import close_after_time_up
from quizapp.attempts.models import AttemptStatus
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.core.arrival import arrival_time
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError

bp = Blueprint("attempts", __name__, template_folder="templates")


@bp.route("/my/rounds")
@requires(Role.PARTICIPANT)
def my_rounds():
    return render_template("attempts/rounds.html", rounds=open_rounds_for(current_user))


@bp.route("/my/attempts")
@requires(Role.PARTICIPANT)
def my_attempts():
    return render_template("attempts/history.html", items=history.my_attempts(current_user))


@bp.route("/rounds/<int:round_id>/start", methods=["GET"])
@requires(Role.PARTICIPANT)
def start_page(round_id: int):
    rnd = get_round_for_entrant(round_id, current_user)
    return render_template("attempts/start.html", item=round_for_entrant(rnd, current_user))


@bp.route("/rounds/<int:round_id>/start", methods=["POST"])
@requires(Role.PARTICIPANT)
def start(round_id: int):
    attempt = begin_attempt(round_id, current_user.id)
    return redirect(url_for("attempts.quiz", attempt_id=attempt.id), 303)


def _quiz_page(attempt, status: int = 200, error: ServiceError | None = None, posted=None, prediction=""):
    questions = shown_questions(attempt)
    if posted is not None:  # re-show what the entrant had chosen on a refused submission
        questions = [ShownQuestion(**{**q.__dict__, "selected": posted.get(q.id, q.selected)})
                     for q in questions]
    return render_template(
        "attempts/quiz.html", attempt=attempt, rnd=attempt.round, questions=questions,
        remaining_ms=remaining_ms(attempt), error=error, prediction=prediction,
        answered=sum(1 for q in questions if q.selected),
    ), status


@bp.route("/attempts/<int:attempt_id>")
@requires(Role.PARTICIPANT)
def quiz(attempt_id: int):
    attempt = get_attempt(attempt_id, current_user.id)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("attempts.result", attempt_id=attempt.id))
    return _quiz_page(attempt)


def _posted_answers() -> dict[int, list[int]]:
    answers: dict[int, list[int]] = {}
    for raw in request.form.getlist("shown"):
        if raw.isdigit():
            values = request.form.getlist(f"q{raw}")
            answers[int(raw)] = [int(v) if v.isdigit() else v for v in values]
    return answers


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@requires(Role.PARTICIPANT)
def submit(attempt_id: int):
    answers = _posted_answers()
    prediction = request.form.get("prediction", "")
    try:
        attempt = submit_form(attempt_id, current_user.id, answers, prediction,
                                       auto=request.form.get("auto") == "1", now=arrival_time(), clock=utcnow())
    except TimeUp:
        close_after_time_up(attempt_id)  # closed by the server at its deadline: show that result
        return redirect(url_for("attempts.result", attempt_id=attempt_id), 303)
    except ServiceError as exc:
        if exc.field not in ("prediction", "selected"):
            raise
        attempt = get_attempt(attempt_id, current_user.id)
        return _quiz_page(attempt, 422, exc, posted=answers, prediction=prediction[:40])
    return redirect(url_for("attempts.result", attempt_id=attempt.id), 303)


@bp.route("/attempts/<int:attempt_id>/result")
@requires(Role.PARTICIPANT)
def result(attempt_id: int):
    attempt = get_attempt(attempt_id, current_user.id)
    if attempt.status != AttemptStatus.SUBMITTED:
        return redirect(url_for("attempts.quiz", attempt_id=attempt.id))
    visible = review_visible(attempt)
    return render_template("attempts/result.html", attempt=attempt, rnd=attempt.round,
                           review=review(attempt) if visible else None, place=history.attempt_place(current_user, attempt))


@bp.app_template_filter("prediction")
def prediction_filter(value) -> str:
    """Decimal('87.650000') → '87,65'; Decimal('12.000000') → '12'."""
    text = format(value.normalize(), "f") if value is not None else ""
    return text.replace(".", ",")
