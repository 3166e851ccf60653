"""The contest's print settings (organiser, issuer, place, signer) and the facts printed with them.

Owns: ``contest_period`` (first opening to last closing), the defaults taken from the top of the
unit tree (``default_settings``, ``_root_unit``), ``settings_for`` (defaults when none are saved,
never added to the session) and ``save_settings`` (NFC text, lengths checked, field named).
Must not: draw anything (``cards``, ``posters``, ``certificates``, ``reports`` do) or give prizes.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.campaign.models import CampaignSettings
from quizapp.campaign.wording import _err, nfc
from quizapp.contests.models import Contest
from quizapp.core.db import db
from quizapp.units.models import Unit, UnitKind


def contest_period(contest: Contest) -> tuple[datetime | None, datetime | None]:
    """From the first round's opening to the last round's closing."""
    if not contest.rounds:
        return None, None
    return min(r.opens_at for r in contest.rounds), max(r.closes_at for r in contest.rounds)


def _root_unit() -> Unit | None:
    return db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None), Unit.is_active.is_(True))
                             .order_by((Unit.kind != UnitKind.PROVINCE), Unit.id).limit(1))


def default_settings() -> dict:
    """Organiser and place from the top of the unit tree (``Tỉnh X`` → ``Ủy ban nhân dân tỉnh X``, ``X``)."""
    root = _root_unit()
    organiser = current_app.config.get("CAMPAIGN_ORGANISER") or ""
    place = current_app.config.get("CAMPAIGN_PLACE") or ""
    if root is not None:
        name = root.name.strip()
        if not organiser:
            organiser = f"Ủy ban nhân dân {name[0].lower() + name[1:]}" if name.startswith("Tỉnh ") else name
        if not place:
            place = name[5:] if name.startswith(("Tỉnh ", "tỉnh ")) else name
    return {"organiser": organiser or "Ban Tổ chức", "issuer": "Ban Tổ chức cuộc thi", "place": place,
            "signer_title": "Trưởng Ban Tổ chức", "signer_name": ""}


def settings_for(contest_id: int) -> CampaignSettings:
    """The contest's print settings (defaults when the organiser has not set them; not added to the session)."""
    found = db.session.get(CampaignSettings, contest_id)
    return found if found is not None else CampaignSettings(contest_id=contest_id, **default_settings())


SETTINGS_FIELDS = {"organiser": 255, "issuer": 255, "place": 120, "signer_title": 120, "signer_name": 120}


def save_settings(contest_id: int, values: dict) -> CampaignSettings:
    clean = {}
    for name, limit in SETTINGS_FIELDS.items():
        value = nfc(str(values.get(name) or "")).strip()
        if len(value) > limit:
            raise _err("too_long", _l("This field is too long."), field=name)
        if not value and name != "signer_name":
            raise _err("required", _l("This field is required."), field=name)
        clean[name] = value
    row = db.session.get(CampaignSettings, contest_id)
    if row is None:
        row = CampaignSettings(contest_id=contest_id, **clean)
        db.session.add(row)
    else:
        for k, v in clean.items():
            setattr(row, k, v)
    db.session.flush()
    return row
