from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length
from wtforms.fields.choices import SelectChoice

from quizapp.core.forms import Form

DIFFICULTIES = [SelectChoice(0, _l("Any")), SelectChoice(1, _l("1 – easy")), SelectChoice(2, _l("2 – medium")),
                SelectChoice(3, _l("3 – hard"))]


class StartForm(Form):
    area_id = SelectField(_l("Reform area"), coerce=int, default=0)
    difficulty = SelectField(_l("Difficulty"), coerce=int, choices=DIFFICULTIES, default=0)
    size = RadioField(_l("Number of questions"), coerce=int, default=10,
                      choices=[(10, "10"), (20, "20"), (30, "30")])
    timed = BooleanField(_l("Timed (one minute per question)"))
    submit = SubmitField(_l("Start practising"))


class SettingsForm(Form):
    open_to_anonymous = BooleanField(_l("Visitors without an account may practise too"))
    whole_bank = BooleanField(_l("Publish the whole question bank for study"))
    submit = SubmitField(_l("Save"))


class StudySetForm(Form):
    references = TextAreaField(_l("Question codes"), validators=[Length(max=20000)])
    add = SubmitField(_l("Add to the study set"))
    remove = SubmitField(_l("Remove from the study set"))
