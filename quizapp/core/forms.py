"""The base forms and form fields shared by every capability's forms."""
from __future__ import annotations

import wtforms
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
