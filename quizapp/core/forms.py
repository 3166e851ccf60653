"""Form fields shared by every capability's forms."""
from __future__ import annotations

import wtforms
from flask_babel import lazy_gettext as _l

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
