"""Forms of the event builder, the judges' sheet and the join pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from quizapp.core.forms import Form, IntegerField
from quizapp.live.builder import JUDGE_MODE_LABELS, KIND_LABELS
from quizapp.live.models import JudgeMode


class EventForm(Form):
    title = StringField(_l("Title of the event"), validators=[InputRequired(), Length(max=255)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=255)])
    publish_judges = BooleanField(_l("Show each judge's scores on the published results"))
    submit = SubmitField(_l("Save"))


class TeamForm(Form):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Team name (the unit's name if empty)"), validators=[Optional(), Length(max=255)])
    members = TextAreaField(_l("Members (1–5, one name a line)"), validators=[InputRequired(), Length(max=700)])
    submit = SubmitField(_l("Add the team"))


class MembersForm(Form):
    members = TextAreaField(_l("Members (1–5, one name a line)"), validators=[InputRequired(), Length(max=700)])
    submit = SubmitField(_l("Save the members"))


class PartForm(Form):
    kind = SelectField(_l("Kind of part"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=255)])
    seconds = IntegerField(_l("Seconds per question"), default=20, validators=[InputRequired(), NumberRange(3, 600)])
    points = FloatField(_l("Points for a right answer (or the judges' maximum)"), default=10,
                        validators=[InputRequired(), NumberRange(0, 1000)])
    speed_bonus = FloatField(_l("Knowledge: up to this many extra points for speed"), default=0,
                             validators=[Optional(), NumberRange(0, 1000)])
    wrong_penalty = FloatField(_l("Buzzer: points lost on a wrong answer"), default=0,
                               validators=[Optional(), NumberRange(0, 1000)])
    pass_on = BooleanField(_l("Buzzer: a wrong answer passes the question to the next team"), default=True)
    judge_mode = SelectField(_l("Judged: combine the judges' scores by"),
                             choices=[(m.value, label) for m, label in JUDGE_MODE_LABELS.items()],
                             default=JudgeMode.MEAN.value)
    rubric = TextAreaField(_l("Judged: rubric, one “criterion: maximum points” a line"),
                           validators=[Optional(), Length(max=2000)])
    poll = BooleanField(_l("Audience: a poll (vote for a team) instead of a question"))
    prize_title = StringField(_l("Prize of this part for its best team (optional)"),
                              validators=[Optional(), Length(max=120)])
    audience_prizes = IntegerField(_l("Audience question: prizes per question (its first right answers)"), default=3,
                                   validators=[Optional(), NumberRange(0, 50)])
    submit = SubmitField(_l("Add the part"))


class DrawForm(Form):
    area_id = SelectField(_l("Reform area"), coerce=int, default=0)
    difficulty = SelectField(_l("Difficulty"), coerce=int, default=0,
                             choices=[(0, _l("Any")), (1, "1"), (2, "2"), (3, "3")])
    count = IntegerField(_l("Number of questions"), default=5, validators=[InputRequired(), NumberRange(1, 60)])
    reserve = BooleanField(_l("As reserve questions (ties, skips)"))
    submit = SubmitField(_l("Draw from the bank"))


class PickForm(Form):
    question_ids = StringField(_l("Question numbers from the bank"), validators=[InputRequired(), Length(max=500)])
    reserve = BooleanField(_l("As reserve questions (ties, skips)"))
    submit = SubmitField(_l("Add these questions"))


class JudgeForm(Form):
    login = StringField(_l("Judge's phone number or e-mail (their account)"),
                        validators=[InputRequired(), Length(max=255)])
    submit = SubmitField(_l("Add the judge"))


class JoinForm(Form):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=20)])
    submit = SubmitField(_l("Join"))


class CorrectionForm(Form):
    team_id = SelectField(_l("Team"), coerce=int)
    item_id = SelectField(_l("Question"), coerce=int)
    points = FloatField(_l("Correct points for this question"), validators=[InputRequired()])
    reason = StringField(_l("Reason (goes on the record)"), validators=[InputRequired(), Length(max=500)])
    submit = SubmitField(_l("Correct the mark"))

