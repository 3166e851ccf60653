from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from quizapp.bank.validation import (EXCLUSION_GROUP_MAX, EXPLANATION_MAX, EXTERNAL_ID_MAX, MAX_OPTIONS, NOTE_MAX, OPTION_MAX,
                                   SOURCE_MAX, TEXT_MAX)
from quizapp.core.forms import Form, SubForm, VnDateField

IMPORT_EXTENSIONS = ["xlsx", "csv", "docx", "xml", "gift", "txt", "aiken", "yaml", "yml"]
DIFFICULTY_CHOICES = [SelectChoice(1, _l("1 – easy")), SelectChoice(2, _l("2 – medium")), SelectChoice(3, _l("3 – hard"))]
STATUS_CHOICES = [SelectChoice("approved", _l("Approved")), SelectChoice("draft", _l("Draft"))]


class BankImportForm(Form):
    file = FileField(
        _l("Question file (.xlsx, .csv, Word .docx, Moodle .xml, GIFT, Aiken or .yaml)"),
        validators=[FileRequired(), FileAllowed(IMPORT_EXTENSIONS, _l(
            "Only .xlsx, .csv, .docx (Word), .xml (Moodle), .gift, .txt (GIFT or Aiken) and .yaml files are accepted."))],
    )
    status = SelectField(_l("Status of imported questions"), choices=STATUS_CHOICES, default="approved")
    default_area_id = SelectField(_l("Area for questions that name none (Aiken, GIFT)"), coerce=int, default=0)
    default_difficulty = SelectField(_l("Difficulty for questions that give none"), coerce=int,
                                     choices=DIFFICULTY_CHOICES, default=1)
    category_map = TextAreaField(
        _l("Moodle categories to areas (GIFT, Moodle XML): one “category = area code” per line"),
        validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Import"))


class OptionForm(SubForm):
    text = TextAreaField(_l("Option"), validators=[Optional(), Length(max=OPTION_MAX)])
    correct = BooleanField(_l("Correct"))


class QuestionForm(Form):
    area_id = SelectField(_l("Reform area"), coerce=int, validators=[DataRequired()])
    difficulty = SelectField(_l("Difficulty"), coerce=int, choices=DIFFICULTY_CHOICES)
    multiple = BooleanField(_l("Several options may be correct"))
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    options = FieldList(FormField(OptionForm), min_entries=6, max_entries=MAX_OPTIONS)
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=EXPLANATION_MAX)])
    source = StringField(_l("Source document"), validators=[Optional(), Length(max=SOURCE_MAX)])
    reference_date = VnDateField(_l("Reference date"), validators=[Optional()])
    external_id = StringField(_l("Question id"), validators=[Optional(), Length(max=EXTERNAL_ID_MAX)])
    exclusion_group = StringField(_l("Exclusion group"), validators=[Optional(), Length(max=EXCLUSION_GROUP_MAX)])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="approved")
    submit = SubmitField(_l("Save"))


class FlagForm(Form):
    document = StringField(_l("Document number (e.g. 61/2018/NĐ-CP)"), validators=[DataRequired(), Length(max=200)])
    note = StringField(_l("Note for reviewers"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Flag for review"))


class ConfirmForm(Form):
    """An empty form: a CSRF-protected button (retire, restore, approve, clear flag)."""

    submit = SubmitField(_l("Confirm"))


class FilterForm(Form):
    """The list's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search (diacritics optional)"), validators=[Optional(), Length(max=200)])
    area_id = SelectField(_l("Area"), coerce=int, default=0, validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), coerce=int, default=0,
                             choices=[SelectChoice(0, _l("All"))] + DIFFICULTY_CHOICES, validators=[Optional()])
    status = SelectField(_l("Status"), default="current", validators=[Optional()], choices=[
        SelectChoice("current", _l("Current (not superseded)")), SelectChoice("approved", _l("Approved")), SelectChoice("draft", _l("Draft")),
        SelectChoice("retired", _l("Retired")), SelectChoice("superseded", _l("Old versions")), SelectChoice("all", _l("All versions")),
    ])
    source = StringField(_l("Source contains"), validators=[Optional(), Length(max=200)])
    date_from = VnDateField(_l("Reference date from"), validators=[Optional()])
    date_to = VnDateField(_l("Reference date to"), validators=[Optional()])
    used = SelectField(_l("Used in attempts"), default="", validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("used", _l("Used")), SelectChoice("unused", _l("Not used yet"))])
    flagged = BooleanField(_l("Only flagged for review"))
