"""Identifiers of a person: phone, e-mail, CCCD and login as typed, normalised and checked.

Owns: ``ascii_digits`` (any Unicode digit as ASCII), ``normalize_phone`` / ``normalize_email`` /
``normalize_national_id`` / ``normalize_login`` (the one spelling stored and looked up; the
accounts migration and the grant search use them too) and ``validate_identity`` (the format
rules, with a translated refusal naming the field).
Must not: touch the database (whether an identifier is taken is ``accounts``), hash passwords
or know sessions.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from quizapp.core.errors import ServiceError

PHONE_RE = re.compile(r"^0[0-9]{9,10}$")
NATIONAL_ID_RE = re.compile(r"^[0-9]{12}$")


def ascii_digits(raw: str) -> str:
    """NFKC, then every Unicode decimal digit ('９', '٣', '৭') as its ASCII digit."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def normalize_phone(raw: str | None) -> str | None:
    """'+84 912.345.678', '０９１２３４５６７８' → '0912345678'; None or '' → None."""
    if not raw or not raw.strip():
        return None
    digits = re.sub(r"[\s.\-()]", "", ascii_digits(raw).strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalize_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    return unicodedata.normalize("NFKC", raw).strip().lower()


def normalize_national_id(raw: str | None) -> str | None:
    """The CCCD as 12 ASCII digits (spaces and dots dropped); None or '' → None."""
    if not raw or not raw.strip():
        return None
    return re.sub(r"[\s.\-]", "", ascii_digits(raw))


def normalize_login(raw: str | None) -> str:
    raw = (raw or "").strip()
    return normalize_email(raw) if "@" in raw else (normalize_phone(raw) or "")


def validate_identity(phone, email, national_id) -> tuple[str | None, str | None, str | None]:
    phone = normalize_phone(phone)
    email = normalize_email(email)
    national_id = normalize_national_id(national_id)
    if not phone and not email:
        raise ServiceError("login_missing", str(_l("Enter a phone number or an e-mail address.")), field="phone")
    if phone and not PHONE_RE.fullmatch(phone):
        raise ServiceError("phone_invalid", str(_l("The phone number must have 10 or 11 digits and start with 0.")), field="phone")
    if national_id and not NATIONAL_ID_RE.fullmatch(national_id):
        raise ServiceError("national_id_invalid", str(_l("The ID number (CCCD) must have exactly 12 digits.")), field="national_id")
    return phone, email, national_id
