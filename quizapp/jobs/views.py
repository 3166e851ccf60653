"""A job's page (progress bar refreshed by static/js/jobs.js), its status as JSON, its file."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.core.downloads import download_response
from quizapp.jobs import registry, services

bp = Blueprint("jobs", __name__, template_folder="templates")


@bp.route("/jobs")
@requires(Role.PARTICIPANT)
def index():
    return render_template("jobs/index.html", jobs=services.recent_for(current_user), registry=registry)


@bp.route("/jobs/<int:job_id>")
@requires(Role.PARTICIPANT)
def show(job_id: int):
    job = services.job_for(job_id, current_user)
    kind = registry.get(job.kind)
    return render_template("jobs/show.html", job=job, status=services.status_dict(job),
                           label=kind.label if kind else job.kind, result_template=kind.template if kind else None)


@bp.route("/jobs/<int:job_id>/status")
@requires(Role.PARTICIPANT)
def status(job_id: int):
    resp = jsonify(services.status_dict(services.job_for(job_id, current_user)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/jobs/<int:job_id>/download")
@requires(Role.PARTICIPANT)
def download(job_id: int):
    job = services.job_for(job_id, current_user)
    path = services.result_file(job)
    return download_response(path, job.result_filename or path.name, job.result_mimetype or "application/octet-stream")
