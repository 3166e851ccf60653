"""Organiser pages of re-grading (``attempts.regrade``): from a round or from a corrected question.

GET shows the form; "Preview" (POST) shows the dry run: whose score and place would change;
"Apply" (POST) starts the job and sends the organiser to its page.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from quizapp.attempts import regrade
from quizapp.attempts.forms import RegradeForm
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.core.errors import ServiceError

bp = Blueprint("regrade", __name__, template_folder="templates")


def _form(round_id: int) -> RegradeForm:
    form = RegradeForm()
    form.question_id.choices = [
        (q.id, f"{q.external_id or q.id} – {q.text[:80]} ({n})") for q, n in regrade.questions_of_round(round_id)]
    return form


@bp.route("/admin/rounds/<int:round_id>/regrade", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def round_page(round_id: int):
    rnd = regrade.load_round(round_id)
    form = _form(round_id)
    if request.method == "GET" and request.args.get("question", type=int):
        form.question_id.data = request.args.get("question", type=int)
    preview, error, status = None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = next(iter(form.errors.values()), [""])[0] or None, 422
        else:
            try:
                if form.apply.data:
                    job = regrade.start_apply(rnd.id, form.question_id.data, form.mode.data, current_user.id)
                    return redirect(url_for("jobs.show", job_id=job.id), code=303)
                preview = regrade.dry_run(rnd.id, form.question_id.data, form.mode.data)
            except ServiceError as exc:
                error, status = exc.message, exc.status
    return render_template("attempts/regrade.html", round=rnd, form=form, preview=preview, error=error,
                           flagged=regrade.flagged_awards(rnd.id)), status


@bp.route("/admin/questions/<int:question_id>/regrade")
@requires(Role.ORGANISER)
def question_page(question_id: int):
    question = regrade.current_version(regrade.load_question(question_id))
    return render_template("attempts/regrade_question.html", question=question,
                           rounds=regrade.rounds_of_question(question_id))
