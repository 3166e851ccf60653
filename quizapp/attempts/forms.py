"""Forms of the attempts capability's organiser pages (re-grading)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SubmitField

from quizapp.core.forms import Form

MODE_CHOICES = [
    ("key", _l("Re-grade with the corrected key")),
    ("void_all", _l("Void the question: everyone gets it")),
    ("void_drop", _l("Void the question: it drops from the maximum")),
]


class RegradeForm(Form):
    question_id = SelectField(_l("Question"), coerce=int)
    mode = RadioField(_l("What to do"), choices=MODE_CHOICES, default="key")
    preview = SubmitField(_l("Preview the changes"))
    apply = SubmitField(_l("Apply the re-grade"))
