"""The settings offered to organisers: the choices of each contest and round setting
(with their labels), the defaults and the bounds, and the refusal every builder rule
raises.

Owns constants only.  Must not query the database or validate a whole contest or round
(``contests``, ``rounds``, ``quotas``, ``grants`` do).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp.contests.models import (
    DEFAULT_RANKING_ORDER,
    DEFAULT_UNIT_RANKING,
    ContestAggregate,
    ContestStatus,
    CountedAttempt,
    PredictionMode,
    ResultsVisibility,
    ReviewPolicy,
)
from quizapp.core.errors import ServiceError

# Every rule that varies between contests is a setting; the first choice of
# each list is the default (the most common practice, see contest-rules.md).

RANKING_ORDERS = {
    DEFAULT_RANKING_ORDER: _l("Correct answers, then prediction, then time taken, then submission time"),
    "prediction,submitted_at": _l("Prediction, then submission time"),
    "score,duration,submitted_at": _l("Correct answers, then time taken, then submission time (no prediction)"),
    "score,duration,prediction": _l("Correct answers, then time taken, then prediction"),
}
UNIT_RANKING_ORDERS = {
    DEFAULT_UNIT_RANKING: _l("Participation rate, then average score"),
    "average,participation": _l("Average score, then participation rate"),
    "entrants,average": _l("Number of entrants, then average score"),
}
AGGREGATES = {
    ContestAggregate.SUM: _l("Sum of the rounds"),
    ContestAggregate.BEST: _l("Best round"),
}
VISIBILITIES = {
    ResultsVisibility.PUBLIC: _l("Everyone"),
    ResultsVisibility.LOGGED_IN: _l("Logged-in users"),
    ResultsVisibility.ORGANISERS: _l("Organisers only"),
}
COUNTED_ATTEMPTS = {
    CountedAttempt.BEST: _l("The best attempt"),
    CountedAttempt.FIRST: _l("The first attempt"),
    CountedAttempt.LAST: _l("The last attempt"),
}
PREDICTION_MODES = {
    PredictionMode.PERFECT_COUNT: _l("How many entrants answer every question correctly"),
    PredictionMode.ENTRANT_COUNT: _l("How many entrants take part in the round"),
    PredictionMode.PERFECT_PERCENT: _l("Percentage of entrants with every answer correct"),
    PredictionMode.OFF: _l("No prediction question"),
}
REVIEW_POLICIES = {
    ReviewPolicy.AFTER_CONTEST: _l("After the whole contest ends (recommended when rounds share a bank)"),
    ReviewPolicy.AFTER_CLOSE: _l("After the round closes"),
    ReviewPolicy.AFTER_ATTEMPT: _l("Right after each attempt"),
    ReviewPolicy.NEVER: _l("Never"),
}
DIFFICULTIES = {0: _l("Any"), 1: _l("Easy"), 2: _l("Medium"), 3: _l("Hard")}
STATUSES = {
    ContestStatus.DRAFT: _l("Draft"),
    ContestStatus.PUBLISHED: _l("Published"),
    ContestStatus.ARCHIVED: _l("Archived"),
}

DEFAULT_TIME_LIMIT_MINUTES = 20
DEFAULT_ATTEMPTS_ALLOWED = 3
DEFAULT_QUESTION_COUNT = 20
MAX_TIME_LIMIT_MINUTES = 600
MAX_ATTEMPTS_ALLOWED = 100
MAX_QUESTIONS = 200
MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 20


def refusal(code: str, message, field: str | None = None, status: int = 422) -> ServiceError:
    """The error a builder rule raises: a translated message naming the form field at fault."""
    return ServiceError(code, str(message), status=status, field=field)
