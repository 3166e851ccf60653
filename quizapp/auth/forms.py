"""Account forms (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from quizapp.auth.models import EntrantCategory, Role
from quizapp.core.forms import Form, VnDateField


def category_choices():
    return [
        (EntrantCategory.CIVIL_SERVANT.value, _l("Cadre / civil servant")),
        (EntrantCategory.PUBLIC_EMPLOYEE.value, _l("Public employee")),
        (EntrantCategory.WORKER.value, _l("Worker")),
        (EntrantCategory.ARMED_FORCES.value, _l("Armed forces")),
        (EntrantCategory.CITIZEN.value, _l("Citizen")),
        (EntrantCategory.STUDENT.value, _l("Student")),
    ]


def role_choices():
    return [
        (Role.PARTICIPANT.value, _l("Participant")),
        (Role.REFORM_OFFICER.value, _l("Administrative reform focal officer")),
        (Role.UNIT_MANAGER.value, _l("Unit manager")),
        (Role.ORGANISER.value, _l("Organiser")),
        (Role.ADMIN.value, _l("Administrator")),
    ]


class LoginForm(Form):
    login = StringField(_l("Phone number or e-mail"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class IdentityFieldsMixin:
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    date_of_birth = VnDateField(_l("Date of birth"), validators=[Optional()], autocomplete="bday")
    phone = TelField(_l("Phone number"), validators=[Optional(), Length(max=20)], render_kw={"autocomplete": "tel"})
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    national_id = StringField(_l("ID number (CCCD)"), validators=[Optional(), Length(max=12)])


class RegisterForm(IdentityFieldsMixin, Form):
    """What taking part needs: name, phone (the login), unit, password; the date of birth, e-mail
    and CCCD are optional (the position is added later on "My account")."""

    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    category = SelectField(_l("Entrant category"), choices=category_choices)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Register"))


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class ProfileForm(Form):
    # The entrant category is an identity field: fixed at registration, changed by an admin.
    position = StringField(_l("Position"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Save"))


class AdminUserForm(IdentityFieldsMixin, Form):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    category = SelectField(_l("Entrant category"), choices=category_choices)
    role = SelectField(_l("Role"), choices=role_choices)
    is_active_account = BooleanField(_l("Account active"))
    submit = SubmitField(_l("Save"))


class SearchForm(Form):
    """A POSTed search (phone numbers and e-mails stay out of URLs and access logs)."""

    q = StringField(_l("Name, phone number or e-mail"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Search"))


class DuplicateActionForm(Form):
    keep_id = IntegerField(validators=[Optional()])
    other_id = IntegerField(validators=[DataRequired()])
    # Not a HiddenField: hidden_tag() would render it empty BEFORE the pressed button's
    # name="action" value, and the form would read that empty value (issue 20 item 2).
    action = StringField(validators=[DataRequired(), AnyOf(["merge", "confirm_merge", "disable"])])
    fingerprint = StringField(validators=[Optional(), Length(max=32)])


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(Form):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Set the new password"))


class ResetCodeForm(ResetPasswordForm):
    login = StringField(_l("Phone number or e-mail"), validators=[DataRequired(), Length(max=254)])
    # The numeric keypad on a phone; a code arriving by SMS can be offered by the keyboard.
    code = StringField(_l("Code from your unit manager"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "autocapitalize": "none"})
