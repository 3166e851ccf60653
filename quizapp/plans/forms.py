"""Plans forms (WTForms parses and shows errors; the services hold the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from quizapp.core.forms import Form, IntegerField
from quizapp.plans.models import Audience, FormGroup

AUDIENCE_CHOICES = [(Audience.CIVIL_SERVANTS.value, _l("Civil servants and public employees")), (Audience.CITIZENS.value, _l("Citizens")),
                    (Audience.BUSINESSES.value, _l("Businesses"))]
GROUP_CHOICES = [(FormGroup.CIVIL_SERVANTS.value, _l("Civil servants and public employees")),
                 (FormGroup.PUBLIC.value, _l("Organisations, citizens and businesses"))]


class ProvincePlanForm(Form):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    number = StringField(_l("Number (e.g. 46/KH-UBND)"), validators=[Optional(), Length(max=64)])
    issued_on = DateField(_l("Date of issue"), validators=[Optional()])
    save = SubmitField(_l("Save the plan"))


class TaskForm(Form):
    name = TextAreaField(_l("Task"), validators=[DataRequired(), Length(max=1000)])
    lead_unit = StringField(_l("Lead unit"), validators=[Optional(), Length(max=255)])
    coordinating_units = StringField(_l("Coordinating units"), validators=[Optional(), Length(max=1000)])
    timeline = StringField(_l("Timeline (e.g. Quý II, Cả năm, 30/06/2026)"), validators=[Optional(), Length(max=120)])
    expected_output = StringField(_l("Expected output"), validators=[Optional(), Length(max=1000)])
    add = SubmitField(_l("Add the task"))


class ImportForm(Form):
    file = FileField(_l("Task list (.xlsx)"))
    upload = SubmitField(_l("Import (replaces the task list)"))


class NewFormForm(Form):
    name = StringField(_l("Name of the form"), validators=[DataRequired(), Length(max=255)])
    group = SelectField(_l("For"), choices=GROUP_CHOICES)
    add = SubmitField(_l("Add the form"))


class ActivityForm(Form):
    held_on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter the date (day/month/year)."))])
    form_id = SelectField(_l("Form of communication"), choices=[], validate_choice=False)
    title = StringField(_l("What was done"), validators=[DataRequired(), Length(max=255)])
    audience = SelectField(_l("Who was reached"), choices=AUDIENCE_CHOICES, validate_choice=False)
    reached = IntegerField(_l("People reached"), default=0, validators=[Optional(), NumberRange(0, 10_000_000)])
    task_id = SelectField(_l("Plan task it serves"), choices=[], validate_choice=False)
    link = StringField(_l("Link (article, video, post)"), validators=[Optional(), Length(max=500)])
    files = MultipleFileField(_l("Photos or PDF of the minutes"))
    save = SubmitField(_l("Save the activity"))


class EvidenceForm(Form):
    files = MultipleFileField(_l("Photos or PDF of the minutes"))
    upload = SubmitField(_l("Add the files"))


class NarrativeForm(Form):
    doc_number = StringField(_l("Document number (e.g. 12/BC-UBND)"), validators=[Optional(), Length(max=40)])
    situation = TextAreaField(_l("I. Situation"), validators=[Optional(), Length(max=20000)])
    evaluation = TextAreaField(_l("IV. Overall evaluation"), validators=[Optional(), Length(max=20000)])
    difficulties = TextAreaField(_l("V. Difficulties"), validators=[Optional(), Length(max=20000)])
    proposals = TextAreaField(_l("VI. Proposals"), validators=[Optional(), Length(max=20000)])
    signer_title = StringField(_l("Title of the signer"), validators=[Optional(), Length(max=120)])
    signer_name = StringField(_l("Name of the signer"), validators=[Optional(), Length(max=120)])
    save = SubmitField(_l("Save the report"))


class ReturnForm(Form):
    reason = TextAreaField(_l("What must be corrected"), validators=[DataRequired(), Length(max=1000)])
    send = SubmitField(_l("Return for correction"))


class ButtonForm(Form):
    """A form of one button (submit, delete, start a job): CSRF only."""

    go = SubmitField(_l("Confirm"))
