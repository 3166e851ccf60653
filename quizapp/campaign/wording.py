"""How the campaign kit writes text: composed characters for the fonts, and its refusals.

Owns: ``nfc`` (one code point per Vietnamese letter, as the embedded fonts expect) and ``_err``
(a ``ServiceError`` whose message is readable outside a request too: a job gets the English
msgid with its placeholders filled in).
Must not: know links, settings, prizes or files; every other module of the kit builds on it.
"""
from __future__ import annotations

import unicodedata

from quizapp.core.errors import ServiceError, message_text


def _err(code: str, message, status: int = 422, field: str | None = None) -> ServiceError:
    """A refusal; outside a request the English msgid, with its placeholders filled in."""
    from flask import has_request_context

    text = message_text(message)
    params = getattr(message, "_kwargs", None)
    if params and not has_request_context():
        text = text % params
    return ServiceError(code, text, status, field)


def nfc(text: str | None) -> str:
    """Text as composed characters (NFC): one code point per Vietnamese letter, as fonts expect."""
    return unicodedata.normalize("NFC", text or "")
