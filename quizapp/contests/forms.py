"""Organisers' forms: a contest's settings, a round with its quota grid, a grant."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from quizapp.auth.forms import category_choices
from quizapp.contests import contests, rounds, settings
from quizapp.contests.clock import utc_to_vn, vn_to_utc
from quizapp.contests.models import (
    DEFAULT_RANKING_ORDER,
    DEFAULT_UNIT_RANKING,
    ContestAggregate,
    CountedAttempt,
    PredictionMode,
    ResultsVisibility,
    ReviewPolicy,
)
from quizapp.contests.quotas import QuotaItem
from quizapp.core.forms import Form, IntegerField, VnDateTimeField


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(labels: dict) -> list[tuple[str, object]]:
    return [(str(k), v) for k, v in labels.items()]


class CommaDecimalField(DecimalField):
    """A decimal typed and shown the Vietnamese way: "12,5" (a dot is read too), never "12.50".
    A text box with the decimal keypad: a number box would show and want the browser's own format."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(self.data.normalize(), "f") if hasattr(self.data, "normalize") else str(self.data)
        return text.replace(".", ",")

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(" ", "").replace(",", ".")]
        super().process_formdata(valuelist)


class ContestForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=255)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    rules = TextAreaField(_l("Rules shown to entrants"), validators=[Optional(), Length(max=50000)])
    open_to_all = BooleanField(_l("All registered users may enter"), default=True)
    unit_ids = SelectMultipleField(_l("Units (with their sub-units)"), coerce=int, validate_choice=False)
    categories = MultiCheckboxField(_l("Entrant categories"), choices=category_choices)
    blocs = StringField(_l("Unit blocs for collective prizes (comma-separated)"),
                        validators=[Optional(), Length(max=255)])
    ranking_order = SelectField(_l("Individual ranking order"), choices=_choices(settings.RANKING_ORDERS),
                                default=DEFAULT_RANKING_ORDER)
    aggregate = SelectField(_l("Contest score"), choices=_choices(settings.AGGREGATES),
                            default=ContestAggregate.SUM.value)
    unit_ranking_order = SelectField(_l("Unit ranking criteria"), choices=_choices(settings.UNIT_RANKING_ORDERS),
                                     default=DEFAULT_UNIT_RANKING)
    min_participation_rate = CommaDecimalField(
        _l("Minimum participation rate for unit prizes (%)"), places=2, default=0,
        validators=[InputRequired(), NumberRange(min=0, max=100)], render_kw={"inputmode": "decimal"})
    results_visibility = SelectField(_l("Who may see the results"), choices=_choices(settings.VISIBILITIES),
                                     default=ResultsVisibility.PUBLIC.value)
    submit = SubmitField(_l("Save"))

    def fill_from(self, data: contests.ContestData) -> None:
        for name in ("title", "description", "rules", "open_to_all", "unit_ids", "categories",
                     "ranking_order", "unit_ranking_order", "min_participation_rate"):
            getattr(self, name).data = getattr(data, name)
        self.blocs.data = ", ".join(data.blocs)
        self.aggregate.data = str(data.aggregate)
        self.results_visibility.data = str(data.results_visibility)

    def to_data(self) -> contests.ContestData:
        return contests.ContestData(
            title=self.title.data or "", description=self.description.data or "", rules=self.rules.data or "",
            open_to_all=bool(self.open_to_all.data), unit_ids=list(self.unit_ids.data or []),
            categories=list(self.categories.data or []), blocs=(self.blocs.data or "").split(","),
            ranking_order=self.ranking_order.data, aggregate=self.aggregate.data,
            unit_ranking_order=self.unit_ranking_order.data,
            min_participation_rate=self.min_participation_rate.data,
            results_visibility=self.results_visibility.data,
        )


def quota_field_name(area_id: int, difficulty: int, group: bool = False) -> str:
    """The grid's count field; ``group``: the grid of the entrant group with its own questions."""
    return f"{'g' if group else 'q'}_{area_id}_{difficulty}"


def _group_choices():
    return [("", _l("None: every entrant draws from the same quota"))] + list(category_choices())


class RoundForm(Form):
    """A round's settings; the quota grid (one number per area and difficulty)
    is added per request by :func:`round_form`."""

    title = StringField(_l("Round title"), validators=[DataRequired(), Length(max=255)])
    # Typed dd/mm/yyyy hh:mm whatever the browser's locale (issue 21 item 10); ISO still read.
    opens_at = VnDateTimeField(_l("Opens at (Vietnam time)"), validators=[InputRequired()])
    closes_at = VnDateTimeField(_l("Closes at (Vietnam time)"), validators=[InputRequired()])
    time_limit_minutes = IntegerField(_l("Time limit per attempt (minutes)"),
                                      default=settings.DEFAULT_TIME_LIMIT_MINUTES,
                                      validators=[InputRequired(), NumberRange(min=1, max=settings.MAX_TIME_LIMIT_MINUTES)])
    attempts_allowed = IntegerField(_l("Attempts allowed per person"), default=settings.DEFAULT_ATTEMPTS_ALLOWED,
                                    validators=[InputRequired(), NumberRange(min=1, max=settings.MAX_ATTEMPTS_ALLOWED)])
    counted_attempt = SelectField(_l("Attempt that counts"), choices=_choices(settings.COUNTED_ATTEMPTS),
                                  default=CountedAttempt.BEST.value)
    shuffle_questions = BooleanField(_l("Shuffle the questions"), default=True)
    shuffle_options = BooleanField(_l("Shuffle the answer options"), default=True)
    layout = SelectField(_l("Layout"), choices=[("one_page", _l("All questions on one page")),
                                                ("paged", _l("One question per page"))], default="one_page")
    prediction_mode = SelectField(_l("Prediction question"), choices=_choices(settings.PREDICTION_MODES),
                                  default=PredictionMode.PERFECT_COUNT.value)
    review_policy = SelectField(_l("Entrants see the correct answers"), choices=_choices(settings.REVIEW_POLICIES),
                                default=ReviewPolicy.AFTER_CLOSE.value)
    fresh_questions = BooleanField(_l("Per-round pool: do not draw questions used in earlier rounds of this contest "
                                      "while enough others remain"), default=False)
    group_category = SelectField(_l("Entrant group with its own questions"), choices=_group_choices,
                                 default="")
    rank_groups_separately = BooleanField(_l("Rank that group separately from the other entrants"), default=False)
    live_results = BooleanField(_l("Show the ranking and statistics live while the round is open (rounds without "
                                   "a prediction question only)"), default=True)
    submit = SubmitField(_l("Save"))

    areas: list = []

    def quota_rows(self):
        """[(area, [field for difficulty 0..3])] for the template's grid."""
        return [(a, [getattr(self, quota_field_name(a.id, d)) for d in settings.DIFFICULTIES]) for a in self.areas]

    def group_quota_rows(self):
        """The same grid for the entrant group with its own questions."""
        return [(a, [getattr(self, quota_field_name(a.id, d, True)) for d in settings.DIFFICULTIES])
                for a in self.areas]

    def validate_group_category(self, field) -> None:
        if field.data and not any(f.data for _a, fields in self.group_quota_rows() for f in fields
                                  if isinstance(f.data, int)):
            raise ValidationError(_l("Questions for one entrant group: enter at least one question for the group, "
                                     "or choose “None”."))

    def quota_total(self) -> int:
        return sum(f.data or 0 for _a, fields in self.quota_rows() for f in fields
                   if isinstance(f.data, int))

    def fill_from(self, data: rounds.RoundData) -> None:
        self.title.data = data.title
        self.opens_at.data = utc_to_vn(data.opens_at) if data.opens_at else None
        self.closes_at.data = utc_to_vn(data.closes_at) if data.closes_at else None
        for name in ("time_limit_minutes", "attempts_allowed", "shuffle_questions", "shuffle_options"):
            getattr(self, name).data = getattr(data, name)
        self.counted_attempt.data = str(data.counted_attempt)
        self.prediction_mode.data = str(data.prediction_mode)
        self.review_policy.data = str(data.review_policy)
        self.layout.data = "one_page" if data.one_page else "paged"
        self.fresh_questions.data = data.fresh_questions
        self.rank_groups_separately.data = data.rank_groups_separately
        self.live_results.data = data.live_results
        self.group_category.data = next((q.entrant_group for q in data.quotas if q.entrant_group), "")
        for a in self.areas:
            for d in settings.DIFFICULTIES:
                getattr(self, quota_field_name(a.id, d)).data = None
                getattr(self, quota_field_name(a.id, d, True)).data = None
        for q in data.quotas:
            f = getattr(self, quota_field_name(q.area_id, q.difficulty, bool(q.entrant_group)), None)
            if f is not None:
                f.data = q.count

    def quota_items(self) -> list[QuotaItem]:
        quotas = []
        for a in self.areas:
            for d in settings.DIFFICULTIES:
                n = getattr(self, quota_field_name(a.id, d)).data
                if n and isinstance(n, int):
                    quotas.append(QuotaItem(a.id, d, n))
                n = getattr(self, quota_field_name(a.id, d, True)).data
                if n and isinstance(n, int) and self.group_category.data:
                    quotas.append(QuotaItem(a.id, d, n, self.group_category.data))
        return quotas

    def to_data(self) -> rounds.RoundData:
        quotas = self.quota_items()
        return rounds.RoundData(
            title=self.title.data or "", opens_at=vn_to_utc(self.opens_at.data),
            closes_at=vn_to_utc(self.closes_at.data), quotas=quotas,
            time_limit_minutes=self.time_limit_minutes.data, attempts_allowed=self.attempts_allowed.data,
            counted_attempt=self.counted_attempt.data, shuffle_questions=bool(self.shuffle_questions.data),
            shuffle_options=bool(self.shuffle_options.data), one_page=self.layout.data == "one_page",
            prediction_mode=self.prediction_mode.data, review_policy=self.review_policy.data,
            fresh_questions=bool(self.fresh_questions.data),
            rank_groups_separately=bool(self.rank_groups_separately.data and self.group_category.data),
            live_results=bool(self.live_results.data),
        )


def round_form(areas, **kw) -> RoundForm:
    """A RoundForm with one count field per reform area and difficulty."""

    class _RoundForm(RoundForm):
        pass

    for a in areas:
        for d, label in settings.DIFFICULTIES.items():
            for group in (False, True):
                setattr(_RoundForm, quota_field_name(a.id, d, group), IntegerField(
                    label, validators=[Optional(), NumberRange(min=0, max=settings.MAX_QUESTIONS)]))
    _RoundForm.areas = list(areas)
    return _RoundForm(**kw)


class GrantForm(Form):
    user_id = HiddenField(validators=[DataRequired(_l("Entrant: choose an account from the search results."))])
    extra_minutes = IntegerField(_l("Extra minutes"), default=0,
                                 validators=[InputRequired(), NumberRange(min=0, max=settings.MAX_EXTRA_MINUTES)])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=settings.MAX_EXTRA_ATTEMPTS)])
    reason = TextAreaField(_l("Reason (required)"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Grant"))


class ConfirmForm(Form):
    """A CSRF-protected button (publish, unpublish, archive, delete)."""

    submit = SubmitField(_l("Confirm"))
