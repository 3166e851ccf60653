"""The audit log viewer for administrators."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from quizapp.audit import services
from quizapp.auth.access import requires
from quizapp.auth.models import Role

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.route("/admin/audit")
@requires(Role.ADMIN)
def index():
    action = request.args.get("action", "")[:64] or None
    page = request.args.get("page", 1, type=int) or 1
    from quizapp.audit import sentences

    pagination = services.entries(action, page)
    return render_template(
        "audit/index.html", pagination=pagination, action=action or "",
        actions=services.action_names(), sentences=sentences.describe(list(pagination.items)),
        action_label=sentences.action_label,
    )
