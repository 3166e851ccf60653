"""Account pages: register, log in, log out, profile, password; admin user list."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from quizapp.auth import access, services
from quizapp.auth.access import public, requires
from quizapp.auth.forms import AdminUserForm, ChangePasswordForm, LoginForm, ProfileForm, RegisterForm
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.extensions import limiter, login_manager
from quizapp.units import services as units

bp = Blueprint("auth", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    access.init_app(app)
    app.jinja_env.globals["Role"] = Role


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def login_limits(key_func, deduct_when):
    """The login throttles: per account and per address, each ONE counter shared by
    every door (the form here, the JSON API), so a guesser gets no extra tries by
    switching door.  Only failed attempts count (``deduct_when``)."""
    def decorate(view):
        view = limiter.shared_limit(lambda: _cfg("LOGIN_RATE_LIMIT"), scope="login-account", key_func=key_func,
                                    methods=["POST"], deduct_when=deduct_when)(view)
        return limiter.shared_limit(lambda: _cfg("LOGIN_IP_RATE_LIMIT"), scope="login-address", methods=["POST"],
                                    deduct_when=deduct_when)(view)

    return decorate


def _failed_login(response) -> bool:
    # Only failed attempts count against the limit (a success redirects).
    return response.status_code != 302


def _login_key() -> str:
    return "login:" + services.normalize_login(request.form.get("login"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits(_login_key, _failed_login)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form.password.errors.append(_("Wrong phone number / e-mail or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


def _cfg(key: str) -> str:
    from flask import current_app

    return current_app.config.get(key) or "1000 per minute"


@bp.route("/logout", methods=["POST"])
@public
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


def _unit_choices():
    return [(u.id, label) for u, label in units.choice_labels()]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.unit_id.choices = [(0, _("— choose your unit —"))] + _unit_choices()
    if form.validate_on_submit():
        try:
            user = services.register(
                services.Registration(
                    full_name=form.full_name.data,
                    date_of_birth=form.date_of_birth.data,
                    phone=form.phone.data,
                    email=form.email.data,
                    national_id=form.national_id.data,
                    unit_id=form.unit_id.data,
                    position=form.position.data,
                    category=EntrantCategory(form.category.data),
                    password=form.password.data,
                )
            )
        except ServiceError as exc:
            getattr(form, exc.field or "full_name").errors.append(exc.message)
            return render_template("auth/register.html", form=form), 422
        login_user(user)
        flash(_("Welcome! Your account has been created."), "success")
        return redirect(url_for("main.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@requires(Role.PARTICIPANT)
def account():
    form = ProfileForm(obj=current_user._get_current_object())
    if request.method == "GET":
        form.category.data = current_user.category.value
    if form.validate_on_submit():
        services.update_profile(current_user, position=form.position.data, category=EntrantCategory(form.category.data))
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Role.PARTICIPANT)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            getattr(form, exc.field or "current_password").errors.append(exc.message)
            return render_template("auth/password.html", form=form), 422
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/admin/users")
@requires(Role.ADMIN)
def admin_users():
    q = request.args.get("q", "")[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    users = services.search_users(q, limit=50, offset=(page - 1) * 50)
    return render_template("auth/admin_users.html", users=users, q=q, page=page)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AdminUserForm(obj=user)
    form.unit_id.choices = _unit_choices()
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            services.admin_update_user(
                current_user,
                user,
                full_name=form.full_name.data,
                date_of_birth=form.date_of_birth.data,
                phone=form.phone.data,
                email=form.email.data,
                national_id=form.national_id.data,
                unit_id=form.unit_id.data,
                role=form.role.data,
                is_active_account=form.is_active_account.data,
            )
        except ServiceError as exc:
            getattr(form, exc.field or "full_name").errors.append(exc.message)
            return render_template("auth/admin_user_edit.html", form=form, user=user), 422
        flash(_("The account has been saved."), "success")
        return redirect(url_for("auth.admin_users"))
    if request.method == "POST":
        return render_template("auth/admin_user_edit.html", form=form, user=user), 422
    return render_template("auth/admin_user_edit.html", form=form, user=user)
