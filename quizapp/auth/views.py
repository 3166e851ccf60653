"""Account pages: register, log in, log out, profile, password; admin user list."""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from quizapp.auth import access, accounts, identity, recovery, sessions
from quizapp.auth import duplicates as duplicate_accounts  # the view below is called duplicates
from quizapp.auth.access import public, requires
from quizapp.auth.forms import (
    AdminUserForm,
    category_choices,
    ChangePasswordForm,
    DuplicateActionForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetCodeForm,
    ResetPasswordForm,
    SearchForm,
)
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.extensions import limiter, login_manager
from quizapp.units import services as units
from quizapp.units.forms import ConfirmForm

bp = Blueprint("auth", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    access.init_app(app)
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["category_label"] = category_label


def category_label(category) -> str:
    return str(dict(category_choices()).get(getattr(category, "value", category), ""))


@login_manager.user_loader
def _load_user(user_id: str):
    # "<id>:<login token>": only a live (not logged-out, not revoked) login is accepted.
    return sessions.session_user(user_id)


def sign_in(user: User, remember: bool = False) -> None:
    """Log ``user`` in with a new server-side login session (its own token and cookie)."""
    sessions.start_session(user)
    login_user(user, remember=remember)
    for login_name in (user.phone, user.email):  # either may be typed at the next login
        remember_address(identity.normalize_login(login_name))


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _address() -> str:
    return request.remote_addr or "-"


def _known_key(account: str, address: str) -> str:
    return "login-known:" + hashlib.sha256(f"{account}|{address}".encode()).hexdigest()[:32]


def remember_address(account: str) -> None:
    """After a successful login: this address is the owner's for the next 30 days, so the
    loose per-account limit does not apply to it."""
    if account:
        try:
            limiter.storage.incr(_known_key(account, _address()), 30 * 86400)
        except Exception:  # pragma: no cover - a storage outage must not break logging in
            current_app.logger.warning("login throttle storage: could not remember the address", exc_info=True)


def _known_address(key_func) -> bool:
    account = key_func().removeprefix("login:")
    try:
        return bool(account) and limiter.storage.get(_known_key(account, _address())) > 0
    except Exception:  # pragma: no cover - a storage outage: apply the per-account limit as usual
        current_app.logger.warning("login throttle storage: could not read the known address", exc_info=True)
        return False


def login_limits(key_func, deduct_when):
    """The login throttles, each ONE counter shared by every door (the form here, the
    JSON API), so a guesser gets no extra tries by switching door; only failed attempts
    count (``deduct_when``):

    * per (account, address) pair, tight (``LOGIN_RATE_LIMIT``);
    * per account, loose and growing (``LOGIN_ACCOUNT_RATE_LIMIT``, e.g. 30 per 10 minutes,
      then 100 per day), not applied on an address the owner logged in from before, so a
      stranger failing on purpose cannot lock the owner out;
    * per address (``LOGIN_IP_RATE_LIMIT``)."""
    def decorate(view):
        view = limiter.shared_limit(lambda: _cfg("LOGIN_RATE_LIMIT"), scope="login-pair",
                                    key_func=lambda: key_func() + "|" + _address(),
                                    methods=["POST"], deduct_when=deduct_when)(view)
        view = limiter.shared_limit(lambda: _cfg("LOGIN_ACCOUNT_RATE_LIMIT"), scope="login-account",
                                    key_func=key_func, methods=["POST"], deduct_when=deduct_when,
                                    exempt_when=lambda: _known_address(key_func))(view)
        return limiter.shared_limit(lambda: _cfg("LOGIN_IP_RATE_LIMIT"), scope="login-address", methods=["POST"],
                                    deduct_when=deduct_when)(view)

    return decorate


def _failed_login(response) -> bool:
    # Only failed attempts count against the limit (a success redirects).
    return response.status_code != 302


def _login_key() -> str:
    return "login:" + identity.normalize_login(request.form.get("login"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits(_login_key, _failed_login)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    next_path = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(next_path or url_for("main.index"))
        # Shown at the password (the field to type again), described to both fields, focused.
        form.password.errors.append(_("Wrong phone number / e-mail or password."))
        return render_template("auth/login.html", form=form, next_path=next_path, failed=True), 401
    return render_template("auth/login.html", form=form, next_path=next_path)


def _cfg(key: str) -> str:
    return current_app.config.get(key) or "1000 per minute"


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        sessions.end_session(current_user.id, current_user.login_token)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@requires(Role.PARTICIPANT)
def logout_everywhere():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sessions.revoke_sessions(current_user.id)
    logout_user()
    flash(_("You have been logged out on every device."), "info")
    return redirect(url_for("main.index"))


def _unit_choices():
    return [(u.id, label) for u, label in units.choice_labels()]


def _register_limit() -> str:
    return current_app.config.get("REGISTER_RATE_LIMIT") or "200 per hour"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.unit_id.choices = [(0, _("— choose your unit —"))] + _unit_choices()
    # The round she came for (a share link, "Vào thi"): carried to the login page, then followed.
    next_path = safe_next(request.args.get("next"))
    page = lambda: render_template("auth/register.html", form=form, next_path=next_path)  # noqa: E731
    if form.validate_on_submit():
        try:
            created = accounts.register(
                accounts.Registration(
                    full_name=form.full_name.data,
                    date_of_birth=form.date_of_birth.data,
                    phone=form.phone.data,
                    email=form.email.data,
                    national_id=form.national_id.data,
                    unit_id=form.unit_id.data,
                    position=None,  # added later on "My account": not needed to take part
                    category=EntrantCategory(form.category.data),
                    password=form.password.data,
                )
            )
        except ServiceError as exc:
            getattr(form, exc.field or "full_name").errors.append(exc.message)
            return page(), 422
        # The same answer whether an account was created or the phone / e-mail / CCCD was
        # already registered (the owner and the admins are told by other means). The new
        # account's id stays on the server (g) for what counts registrations, e.g. campaign tags.
        g.registered_user_id = created.id if created is not None else None
        # What happens next, in the order it happens; the login page fills in the phone she typed
        # (auth.js, from this tab's sessionStorage: the server's answer stays the same for everyone).
        flash(_("Your registration has been received. Log in now with your phone number and password to take "
                "part. Your unit manager will then confirm that you belong to the unit: you can take part "
                "meanwhile, and your results count for the unit once you are confirmed."), "success")
        return redirect(url_for("auth.login", next=next_path) if next_path else url_for("auth.login"))
    if request.method == "POST":
        # Name every wrong field at once, the phone / e-mail / CCCD formats included.
        try:
            identity.validate_identity(form.phone.data, form.email.data, form.national_id.data)
        except ServiceError as exc:
            field = getattr(form, exc.field or "phone")
            if exc.message not in field.errors:
                field.errors = list(field.errors) + [exc.message]
        return page(), 422
    return page()


@bp.route("/account", methods=["GET", "POST"])
@requires(Role.PARTICIPANT)
def account():
    form = ProfileForm(obj=current_user._get_current_object())
    if form.validate_on_submit():
        accounts.update_profile(current_user, position=form.position.data)
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, confirm_form=ConfirmForm())


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Role.PARTICIPANT)
def change_password():
    form = ChangePasswordForm()
    return _password_page(
        form, "auth/password.html", "current_password",
        lambda: accounts.change_password(current_user, form.current_password.data, form.new_password.data),
        _("Your password has been changed. Your other devices have been logged out."), url_for("auth.account"))


def _password_page(form, template: str, default_field: str, run, done: str, done_url: str):
    """A password form: on success flash ``done`` and go to ``done_url``; a refusal of the
    service is shown at its field (and in the error summary), nothing changed."""
    if form.validate_on_submit():
        try:
            run()
        except ServiceError as exc:
            getattr(form, exc.field or default_field).errors.append(exc.message)
            return render_template(template, form=form), 422
        flash(done, "success")
        return redirect(done_url)
    return render_template(template, form=form), (422 if request.method == "POST" else 200)


# --- password recovery -----------------------------------------------------------------

def _reset_limit() -> str:
    return current_app.config.get("PASSWORD_RESET_RATE_LIMIT") or "5 per hour"


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    mail_available = recovery.reset_mail_available()
    if form.validate_on_submit():
        recovery.request_password_reset(form.email.data)
        if not mail_available:  # nothing can be mailed: never say it was; point to the unit manager's code
            flash(_("If an account uses this e-mail address, a link still cannot be sent to it: this site has no "
                    "mail server. Ask your unit manager (or the organisers) for a one-time code and enter it "
                    "below."), "info")
            return redirect(url_for("auth.reset_with_code"))
        flash(_("If an account uses this e-mail address, a link to set a new password has been sent to it. "
                "It works once, within %(minutes)d minutes.", minutes=recovery.reset_token_minutes()), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, mail_available=mail_available), \
        (422 if request.method == "POST" else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@public
def reset_password(token: str):
    try:
        recovery.user_for_reset_token(token)
    except ServiceError as exc:
        return render_template("auth/reset_invalid.html", message=exc.message), 400
    form = ResetPasswordForm()
    return _password_page(form, "auth/reset.html", "new_password",
                          lambda: recovery.reset_with_token(token, form.new_password.data),
                          _("Your password has been changed. Log in with the new password."), url_for("auth.login"))


def _code_key() -> str:
    # Per (account, address): a stranger's wrong codes lock out the stranger, not the owner typing
    # his own code elsewhere (issue 20 item 11); the per-address limit below also applies.
    return "reset-code:" + identity.normalize_login(request.form.get("login")) + "|" + _address()


@bp.route("/password/code", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_code_key, scope="reset-code-pair",
               deduct_when=lambda response: response.status_code != 302)
@limiter.limit(_reset_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
@public
def reset_with_code():
    form = ResetCodeForm()
    return _password_page(form, "auth/reset_code.html", "code",
                          lambda: recovery.reset_with_code(form.login.data, form.code.data, form.new_password.data),
                          _("Your password has been changed. Log in with the new password."), url_for("auth.login"))


@bp.route("/users/<int:user_id>/reset-code", methods=["POST"])
@requires(Role.UNIT_MANAGER)
def issue_reset_code(user_id: int):
    """A unit manager (for his members) or an organiser gives a phone-only person a one-time code."""
    user = db.get_or_404(User, user_id)
    if not recovery.may_manage_account(current_user, user):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    code = recovery.issue_reset_code(current_user, user)
    back = current_user.unit_id if current_user.role == Role.UNIT_MANAGER else user.unit_id
    return render_template("auth/reset_code_issued.html", user=user, code=code,
                           hours=current_app.config.get("RESET_CODE_HOURS", 24),
                           back_url=url_for("units.members", unit_id=back, _anchor=f"member-{user.id}") if back else None)


# --- administration ----------------------------------------------------------------------

@bp.route("/admin/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_users():
    # The search is POSTed: phone numbers and e-mails never appear in a URL (access logs).
    form = SearchForm()
    q = form.q.data if form.validate_on_submit() else ""
    page = max(request.args.get("page", 1, type=int), 1)
    users = accounts.search_users(q or "", limit=50, offset=(page - 1) * 50)
    return render_template("auth/admin_users.html", users=users, form=form, q=q or "", page=page)


@bp.route("/admin/users/duplicates", methods=["GET", "POST"])
@requires(Role.ADMIN)
def duplicates():
    """The admins' queue of likely duplicates. "Gộp" first shows exactly what would move (attempts and
    standings only, never an e-mail, phone or CCCD); the merge happens on the confirmation."""
    form = DuplicateActionForm()
    if request.method == "POST" and not form.validate_on_submit():
        flash(_("The action could not be read: reload the page and try again."), "error")
        return redirect(url_for("auth.duplicates"))
    if form.validate_on_submit():
        try:
            if form.action.data == "merge":
                plan = duplicate_accounts.merge_plan(current_user, form.keep_id.data, form.other_id.data)
                return render_template("auth/merge_confirm.html", plan=plan, form=DuplicateActionForm())
            if form.action.data == "confirm_merge":
                duplicate_accounts.merge_accounts(current_user, form.keep_id.data, form.other_id.data,
                                                  fingerprint=form.fingerprint.data or "")
                flash(_("The accounts have been merged: the results moved, the duplicate is disabled."), "success")
            else:
                duplicate_accounts.disable_duplicate(current_user, form.other_id.data)
                flash(_("The duplicate account has been disabled."), "success")
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("auth.duplicates"))
    return render_template("auth/duplicates.html", groups=duplicate_accounts.likely_duplicates(), form=form,
                           conflicts=duplicate_accounts.recent_registration_conflicts())


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def admin_user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AdminUserForm(obj=user)
    form.unit_id.choices = _unit_choices()
    if request.method == "GET":
        form.role.data = user.role.value
        form.category.data = user.category.value
    if form.validate_on_submit():
        try:
            accounts.admin_update_user(
                current_user,
                user,
                full_name=form.full_name.data,
                date_of_birth=form.date_of_birth.data,
                phone=form.phone.data,
                email=form.email.data,
                national_id=form.national_id.data,
                unit_id=form.unit_id.data,
                role=form.role.data,
                category=form.category.data,
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
