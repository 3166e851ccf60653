from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from quizapp.core.forms import Form, IntegerField
from quizapp.units.services import KIND_LABELS


class UnitImportForm(Form):
    file = FileField(
        _l("Unit file (.xlsx or .csv)"),
        validators=[FileRequired(), FileAllowed(["xlsx", "csv"], _l("Only .xlsx and .csv files are accepted."))],
    )
    submit = SubmitField(_l("Import"))


class UnitEditForm(Form):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    bloc = StringField(_l("Bloc"), validators=[Optional(), Length(max=64)])
    headcount = IntegerField(_l("Headcount"), validators=[DataRequired(), NumberRange(min=0, max=10_000_000)])
    submit = SubmitField(_l("Save"))


class UnitCreateForm(UnitEditForm):
    code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=32)])
    parent_id = SelectField(_l("Parent unit"), coerce=int)


class UnitMoveForm(Form):
    parent_id = SelectField(_l("New parent unit"), coerce=int)
    submit = SubmitField(_l("Move"))


class UnitMergeForm(Form):
    target_id = SelectField(_l("Merge into"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Merge"))


class ConfirmForm(Form):
    """An empty form: a CSRF-protected button (archive, restore)."""

    submit = SubmitField(_l("Confirm"))




class ReportSettingsForm(Form):
    """How the unit's own periodic report is issued (``report_settings``)."""
    organiser = StringField(_l("Governing body (first header line)"), validators=[Optional(), Length(max=255)])
    issuer = StringField(_l("Issuing unit"), validators=[Optional(), Length(max=255)])
    number_code = StringField(_l("Number code (after the slash, e.g. BC-SNV)"), validators=[Optional(), Length(max=40)])
    place = StringField(_l("Place (before the date)"), validators=[Optional(), Length(max=120)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=120)])
    signer_name = StringField(_l("Signer's name"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Save"))
