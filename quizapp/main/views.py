"""Home page, language switch, health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from quizapp.auth.access import public
from quizapp.auth.views import safe_next
from quizapp.core.db import db

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@public
def index():
    from flask_login import current_user

    from quizapp.main import services

    user = current_user._get_current_object() if current_user.is_authenticated else None
    return render_template("main/index.html", **services.home_page(user))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
@public
def health():
    db.session.execute(sa.select(1))
    return jsonify(status="ok")




@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers and link previews ask for /favicon.ico whatever the page links: no 404."""
    return current_app.send_static_file("favicon.ico")
