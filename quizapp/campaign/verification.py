"""Verification codes printed on certificates, and the check behind the one public page that
verifies every code (``/verify/<code>``).

Owns: the HMAC signature (``CERTIFICATE_KEY``, else ``SECRET_KEY``); the campaign awards' codes
``<award id in base 36>-<8 characters of HMAC-SHA256("award:<id>")>`` (``verification_code``,
``award_by_code``: checked without a lookup table, a wrong signature finds nothing); and the registry
of other **kinds** of certificate.  A room on a higher floor whose certificates are not campaign awards
(the live contest's, issue 22) registers a kind at import time: a code prefix, an HMAC domain, a lookup
by id and the template of its verify page.  Its codes are ``<PREFIX>-<id in base 36>-<8 characters of
HMAC-SHA256("<domain>:<id>")>``, signed with the same key: they cannot be guessed or forged from another
code, and the domain keeps the kinds apart (a live certificate's signature never verifies an award of
the same number, nor the other way round).  Two hyphens: no award code has that shape.  The registry
holds code, not state (every process registers the same kinds when it imports the rooms).
Must not: decide whether an award may be shown or downloaded (``awards``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Callable

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


# --- other kinds of certificate (registered by the rooms that keep them) ----------------------

SIGNATURE_CHARS = 8  # 40 bits, A-Z2-7, as the awards' codes


@dataclass(frozen=True)
class Kind:
    prefix: str  # upper-case letters, printed first ("HT" for a live event, "hội thi")
    domain: str  # what the HMAC signs before the id; never "award"
    lookup: Callable[[int], dict | None]  # id → the verify template's context (None: no such certificate)
    template: str


@dataclass(frozen=True)
class Found:
    template: str
    context: dict


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    if not kind.prefix.isalpha() or not kind.prefix.isupper() or kind.domain == "award":
        raise ValueError(f"bad verification kind {kind!r}")
    known = _KINDS.get(kind.prefix)
    if known is not None and known.domain != kind.domain:
        raise ValueError(f"code prefix {kind.prefix} is taken by {known.domain}")
    _KINDS[kind.prefix] = kind


def signature(domain: str, ident: int) -> str:
    digest = hmac.new(_key(), f"{domain}:{ident}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode()[:SIGNATURE_CHARS]


def code_for(prefix: str, ident: int) -> str:
    """The printed code of certificate ``ident`` of the kind registered under ``prefix``."""
    kind = _KINDS[prefix]
    return f"{prefix}-{short_code(ident).upper()}-{signature(kind.domain, ident)}"


def parse(code: str) -> tuple[Kind, int] | None:
    """(kind, id) of a well-formed code whose signature is right; None for anything else."""
    parts = (code or "").strip().upper().split("-")
    if len(parts) != 3:
        return None
    prefix, ident, sig = parts
    kind = _KINDS.get(prefix)
    number = contest_id_from_code(ident) if kind is not None else None  # base 36, 1 ≤ id < 2**31
    if number is None or not hmac.compare_digest(sig, signature(kind.domain, number)):
        return None
    return kind, number


def resolve(code: str) -> Found | None:
    """The verify page of a registered kind's certificate, or None (not ours, forged or unknown)."""
    parsed = parse(code)
    if parsed is None:
        return None
    kind, number = parsed
    context = kind.lookup(number)
    return Found(kind.template, context) if context is not None else None
