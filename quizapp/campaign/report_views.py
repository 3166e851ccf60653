"""The periodic reports' pages (``/reports``): the form, the download, and the job for a large report.

Owns: who may report on which units and contests, reading the form, inline or job.
Must not: compute a figure or write a file (``reports``, ``tasks``).
Routes are registered on the campaign blueprint (``views.bp``), so their endpoints stay
``campaign.report`` and ``campaign.report_job``.
"""
from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from quizapp import jobs
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.campaign import render, reports, tasks
from quizapp.campaign.views import bp
from quizapp.core.db import utcnow
from quizapp.core.downloads import download_response
from quizapp.core.errors import ServiceError
from quizapp.core.forms import VnDateField
from quizapp.units import services as units
from quizapp.units.models import Unit


def _report_units() -> list[tuple[Unit, str]]:
    choices = units.choice_labels()
    if current_user.has_role(Role.ORGANISER):
        return choices
    allowed = set(units.subtree_ids(current_user.unit_id)) if current_user.unit_id else set()
    return [(u, label) for u, label in choices if u.id in allowed]


REPORT_FIELDS = ("kind", "year", "number", "start", "end", "unit_id", "contest_id", "threshold", "doc_number")


def _report_form(args):
    """The form's context and the checked parameters of ``args`` (a GET's query or a POST's form):
    (ctx, params) with params None when the form is only shown, or (response, None) when refused."""
    unit_choices = _report_units()
    if not unit_choices:
        abort(403)
    today = render.local_date(utcnow())  # the quarter as it is in Vietnam
    organiser = current_user.has_role(Role.ORGANISER)
    issuer_unit_id = None if organiser else current_user.unit_id  # a unit manager reports in his unit's name
    choices = reports.report_contests()  # drafts are nobody's to report on
    ctx = {"unit_choices": unit_choices, "contests": choices, "args": args,
           "year": today.year, "quarter": (today.month - 1) // 3 + 1, "error": None, "field": None, "size": None,
           "job_fields": None, "issuer_unit_id": issuer_unit_id, "date_pattern": VnDateField.PATTERN,
           "issuing": reports.issuing_settings(issuer_unit_id, args.get("contest_id", type=int))}
    if "kind" not in args:
        return ctx, None
    unit_id = args.get("unit_id", type=int) or unit_choices[0][0].id
    if unit_id not in {u.id for u, _label in unit_choices}:
        abort(403)
    contest_id = args.get("contest_id", type=int)
    if contest_id and contest_id not in {c.id for c in choices}:
        abort(404)
    try:
        params = reports.report_params(
            args.get("kind", ""), args.get("year", type=int), args.get("number", type=int),
            _date_arg(args.get("start"), "start"), _date_arg(args.get("end"), "end"), unit_id,
            args.get("contest_id", type=int), args.get("threshold", "50").replace(",", "."),
            args.get("doc_number", "").strip(), issuer_unit_id)
    except ServiceError as exc:
        return (render_template("campaign/report.html", **{**ctx, "error": exc.message, "field": exc.field}),
                422), None
    return ctx, params


@bp.route("/reports")
@requires(Role.UNIT_MANAGER)
def report():
    """The form (GET without ``kind``) and the download (GET with it: a download changes nothing).
    A report larger than ``CAMPAIGN_INLINE_REPORT_ENTRANTS`` results is not built here: the page
    offers to build it in the background (``report_job``)."""
    ctx, params = _report_form(request.args)
    if params is None:
        return ctx if isinstance(ctx, tuple) else render_template("campaign/report.html", **ctx)
    outcome = tasks.report_now(params, annex=request.args.get("fmt", "docx") == "xlsx")
    if isinstance(outcome, jobs.JobNeeded):
        fields = {k: request.args[k] for k in REPORT_FIELDS if k in request.args}
        return render_template("campaign/report.html", **{**ctx, "size": outcome.size, "job_fields": fields})
    data, filename, mimetype = outcome
    return download_response(data, filename, mimetype)


@bp.route("/reports/job", methods=["POST"])
@requires(Role.UNIT_MANAGER)
def report_job():
    """Start the job that writes the report and its annex (one ZIP), and show its page."""
    ctx, params = _report_form(request.form)
    if params is None:
        return ctx if isinstance(ctx, tuple) else render_template("campaign/report.html", **ctx)
    job = jobs.start_job(tasks.REPORT_JOB, current_user.id, params)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


def _date_arg(raw: str | None, field: str) -> date | None:
    """A date typed dd/mm/yyyy (or ISO, from older links); unreadable: refused at its field."""
    try:
        return VnDateField.parse(raw)
    except ValueError as exc:
        raise ServiceError("date_invalid", str(exc), field=field) from None
