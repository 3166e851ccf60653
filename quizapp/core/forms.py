"""The base forms and form fields shared by every capability's forms."""
from __future__ import annotations

import re
from datetime import date, datetime

import wtforms
import wtforms.validators
import wtforms.widgets
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


class _AppTranslations:
    """WTForms' built-in messages ("This field is required.", "Field cannot be longer
    than %(max)d characters.", ...) looked up in the app's own catalogue, in the
    request's language: WTForms ships no Vietnamese.  The Vietnamese texts are in
    ``core/translations/vi.po``.  No formatting here: WTForms fills the placeholders."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


_TRANSLATIONS = _AppTranslations()


class _TranslatedMeta:
    def get_translations(self, form):
        return _TRANSLATIONS


class Form(FlaskForm):
    """Base of every page form: CSRF-protected (Flask-WTF), messages in the user's language."""

    Meta = _TranslatedMeta


class SubForm(wtforms.Form):
    """Base of forms nested in a page form (``FormField``): no CSRF token of their own."""

    Meta = _TranslatedMeta

# Longer than any count, minute or headcount the app takes; longer digit strings
# also break WTForms' NumberRange (int → float overflow beyond 308 digits).
MAX_DIGITS = 15


class IntegerField(wtforms.IntegerField):
    """``wtforms.IntegerField`` that refuses absurdly long numbers with a clear message."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > MAX_DIGITS:
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        super().process_formdata(valuelist)


class _TypedDate:
    """What the day-first date fields share: a text input with a pattern, the numeric keypad and
    a placeholder; what was typed comes back as typed; read by ``parse`` (ValueError: refused)."""

    PLACEHOLDER = DISPLAY = PATTERN = ""
    widget = wtforms.widgets.TextInput()

    def __init__(self, label=None, validators=None, autocomplete: str = "off", **kwargs):
        render_kw = {"inputmode": "numeric", "pattern": self.PATTERN, "placeholder": self.PLACEHOLDER,
                     "autocomplete": autocomplete, "maxlength": str(len(self.PLACEHOLDER) + 3),
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, format=self.DISPLAY, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:  # what was typed comes back as typed
            return " ".join(self.raw_data)
        return self.data.strftime(self.DISPLAY) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        self.data = self.parse(" ".join(valuelist))

    def pre_validate(self, form):
        if self.process_errors:  # unreadable: its own message, not "This field is required."
            raise wtforms.validators.StopValidation()


class VnDateField(_TypedDate, wtforms.DateField):
    """A date typed as dd/mm/yyyy whatever the browser's locale (issue 21 item 10).

    A text input (not ``type=date``, whose order follows the phone's language) with a
    pattern, the numeric keypad and a dd/mm/yyyy placeholder.  Read on the server:
    ``03/02/1970``, ``3/2/1970``, ``03-02-1970``, ``03.02.1970``, ``03021970`` (a numeric
    keypad may have no "/") and ISO ``1970-02-03`` (links and older pages); anything else,
    or a day that is not on the calendar, is refused with a message naming the form."""

    PATTERN = r"[0-9]{1,2}[\/.\-][0-9]{1,2}[\/.\-][0-9]{4}|[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    PLACEHOLDER, DISPLAY = "dd/mm/yyyy", "%d/%m/%Y"
    _DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
    _ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

    @classmethod
    def parse(cls, raw: str | None) -> date | None:
        """The date in ``raw`` (None when blank); ValueError with a Vietnamese message when unreadable."""
        text = (raw or "").strip()
        if not text:
            return None
        if m := cls._ISO.fullmatch(text):
            year, month, day = m.groups()
        elif m := cls._DAY_FIRST.fullmatch(text):
            day, month, year = m.groups()
        elif re.fullmatch(r"\d{8}", text):
            day, month, year = text[:2], text[2:4], text[4:]
        else:
            raise ValueError(str(_l("Type the date as day/month/year, e.g. 03/02/1970.")))
        if not 1900 <= int(year) <= 2100:
            raise ValueError(str(_l("Check the year of %(date)s: type it with 4 digits, e.g. 1970.", date=text)))
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(str(_l("%(date)s is not a date on the calendar: check the day and the month.",
                                    date=text))) from None


class VnDateTimeField(_TypedDate, wtforms.DateTimeField):
    """A date and time typed ``dd/mm/yyyy hh:mm`` (Vietnam time) whatever the browser's locale.

    Read: the day-first date of :class:`VnDateField`, then a time ``8:00``, ``08:00``, ``08h00``,
    ``08.00`` or ``0800`` (a numeric keypad may have no ":"); also ISO ``2026-12-06T08:00`` (older
    pages, links).  Refused with a message that shows the expected form."""

    PATTERN = (r"[0-9]{1,2}[\/.\-][0-9]{1,2}[\/.\-][0-9]{4}[ ,T]+[0-9]{1,2}[:hH.]?[0-9]{2}"
               r"|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")
    PLACEHOLDER, DISPLAY = "dd/mm/yyyy hh:mm", "%d/%m/%Y %H:%M"
    _TIME = re.compile(r"(\d{1,2})[:hH.]?(\d{2})")

    @classmethod
    def parse(cls, raw: str | None) -> datetime | None:
        text = (raw or "").strip()
        if not text:
            return None
        for iso in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(text, iso)
            except ValueError:
                pass
        m = re.fullmatch(r"(\S+?)[ ,T]+(\S+)", text)
        when = cls._TIME.fullmatch(m.group(2)) if m else None
        if not m or not when:
            raise ValueError(str(_l("Type the date and time as day/month/year hours:minutes, e.g. 06/12/2026 08:00.")))
        day = VnDateField.parse(m.group(1))
        hour, minute = int(when.group(1)), int(when.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(str(_l("%(time)s is not a time of day: hours 0–23, minutes 0–59.", time=m.group(2))))
        return datetime(day.year, day.month, day.day, hour, minute)
