"""Verification codes printed on certificates: ``<id in base 36>-<8 signature characters>``.

Owns: the HMAC signature (``CERTIFICATE_KEY``, else ``SECRET_KEY``), ``verification_code`` and
``award_by_code`` (checked without a lookup table; a wrong signature finds nothing).
Must not: decide whether an award may be shown or downloaded (``awards``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from quizapp.campaign.links import contest_id_from_code, short_code
from quizapp.campaign.models import Award
from quizapp.core.db import db


def _key() -> bytes:
    return (current_app.config.get("CERTIFICATE_KEY") or current_app.config["SECRET_KEY"]).encode()


def _signature(award_id: int) -> str:
    digest = hmac.new(_key(), f"award:{award_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode()  # 8 characters, A-Z2-7


def verification_code(award_id: int) -> str:
    """``<id in base 36>-<8 signature characters>``: unguessable, checked without a lookup table."""
    return f"{short_code(award_id).upper()}-{_signature(award_id)}"


def award_by_code(code: str) -> Award | None:
    code = (code or "").strip().upper()
    ident, sep, sig = code.partition("-")
    award_id = contest_id_from_code(ident) if sep else None
    if award_id is None or not hmac.compare_digest(sig, _signature(award_id)):
        return None
    return db.session.get(Award, award_id)
