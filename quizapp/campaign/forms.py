"""Campaign forms: print settings, prizes from the ranking, certificates for every finisher."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from quizapp.core.forms import Form

DEFAULT_TIERS = "Giải Nhất: 1\nGiải Nhì: 2\nGiải Ba: 3\nGiải Khuyến khích: 5"


class SettingsForm(Form):
    organiser = StringField(_l("Organising authority (first line of the header)"),
                            validators=[DataRequired(), Length(max=255)])
    issuer = StringField(_l("Issuing body (second line)"), validators=[DataRequired(), Length(max=255)])
    place = StringField(_l("Place written before the date"), validators=[DataRequired(), Length(max=120)])
    signer_title = StringField(_l("Title of the signer"), validators=[DataRequired(), Length(max=120)])
    signer_name = StringField(_l("Name of the signer"), validators=[Optional(), Length(max=120)])
    save = SubmitField(_l("Save the print settings"))


class PrizesForm(Form):
    round_id = SelectField(_l("Ranking"), choices=[], validate_choice=False)
    kind = SelectField(_l("Prizes for"), choices=[("individual", _l("Individuals")), ("unit", _l("Units"))])
    tiers = TextAreaField(_l("Prizes, one per line: name, colon, how many"), default=DEFAULT_TIERS,
                          validators=[DataRequired(), Length(max=4000)])
    reason = TextAreaField(_l("Reason, if marking again revokes certificates already issued"),
                           validators=[Optional(), Length(max=500)])
    mark = SubmitField(_l("Mark the prizes"))


class RevokeForm(Form):
    reason = StringField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)])
    revoke = SubmitField(_l("Revoke"))


class FinishersForm(Form):
    round_id = SelectField(_l("Who finished"), choices=[], validate_choice=False)
    prize = StringField(_l("Wording on the certificate"), default="Hoàn thành cuộc thi",
                        validators=[DataRequired(), Length(max=120)])
    give = SubmitField(_l("Give every finisher a certificate"))


class PublishForm(Form):
    publish = HiddenField(default="1")
    submit = SubmitField(_l("Publish the winners list"))
