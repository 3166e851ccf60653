"""The entrant's prediction (a count of entrants or a percentage): parsing what was typed.

Owns: ``parse_prediction`` (Vietnamese grouping and decimal comma, limits, precision) and
the stored scale.
Must not: read or write the database, or rank by the prediction (``leaderboards`` does).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from quizapp.attempts.errors import err
from quizapp.contests.models import PredictionMode


# Predictions above this are absurd for any contest (counts of entrants).
MAX_PREDICTION = Decimal(10) ** 9
# attempts.prediction is NUMERIC(20, 6): values read back have six decimals.
PREDICTION_SCALE = Decimal("0.000001")


# Vietnamese thousands grouping: "1.000.000" (dots between groups of three digits),
# optionally followed by a decimal comma: "1.234,5".
_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+(,\d+)?")


def _prediction_text(mode: PredictionMode, text: str) -> str:
    """The number as Python reads it: Vietnamese grouping and decimal comma undone."""
    def invalid():
        return err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if "e" in text.lower() and text.lower() not in ("inf", "infinity", "nan"):
        raise invalid()  # no exponents ("1e3"): write the number out
    if _GROUPED.fullmatch(text) and ("," in text or mode != PredictionMode.PERFECT_PERCENT):
        # "1.000.000" (a count) or "1.234,5": dots group thousands.  In a percentage
        # (at most 100) a lone dot is a decimal point: "12.345" is 12.345 %.
        return text.replace(".", "").replace(",", ".")
    if "," in text:
        if "." in text or text.count(",") > 1:
            raise invalid()
        return text.replace(",", ".")  # Vietnamese decimal comma: 87,65 → 87.65
    return text


def parse_prediction(mode: PredictionMode, raw) -> Decimal | None:
    """A non-negative number: an integer for counts, up to 6 decimals for a percentage.

    Strings may group thousands the Vietnamese way ("1.000.000") and use a decimal
    comma ("87,65"); a dot alone is a decimal point ("87.65"), except that in a count a
    dot followed by groups of three digits groups thousands ("12.345" = 12345).
    Exponents ("1e3") are refused.  JSON numbers are taken as they are."""
    if mode == PredictionMode.OFF:
        return None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise err("prediction_missing", _l("Enter your prediction."), 400, "prediction")
    if isinstance(raw, bool):
        raise err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    text = raw.strip().replace(" ", "").replace("\u00a0", "") if isinstance(raw, str) else raw
    if isinstance(text, str):
        text = _prediction_text(mode, text)
    if isinstance(text, float) and not math.isfinite(text):
        raise err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    try:
        value = Decimal(str(text)) if not isinstance(text, Decimal) else text
    except (InvalidOperation, ValueError):
        raise err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if not value.is_finite():
        raise err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if value < 0:
        raise err("prediction_negative", _l("The prediction cannot be negative."), 400, "prediction")
    if mode == PredictionMode.PERFECT_PERCENT:
        if value > 100:
            raise err("prediction_too_large", _l("A percentage cannot exceed 100."), 400, "prediction")
        if value != value.quantize(PREDICTION_SCALE):
            raise err("prediction_precision", _l("Use at most 6 decimal places."), 400, "prediction")
        return value.quantize(PREDICTION_SCALE)
    if value > MAX_PREDICTION:
        raise err("prediction_too_large", _l("The prediction is unrealistically large."), 400, "prediction")
    if value != value.to_integral_value():
        raise err("prediction_not_integer", _l("The prediction must be a whole number."), 400, "prediction")
    return value.quantize(Decimal(1))
