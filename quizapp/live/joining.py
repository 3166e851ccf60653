"""Joining without an account: a team device by its team's code, an audience phone by the event's code.

The device then holds a signed token (a cookie set by the view) naming the event, the team and the
code generation it joined with, plus a random device id.  A token signed for another team, event or
an older code (the organiser issued a new one) is refused; nothing about it is trusted unsigned.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.live.builder import clean_code
from quizapp.live.models import EventStatus, LiveEvent, LiveTeam

TEAM_SALT = "live-team-device"
AUDIENCE_SALT = "live-audience-device"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def new_device_id() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class TeamDevice:
    team: LiveTeam
    device_id: str


def team_cookie_name(event_id: int) -> str:
    return f"live_t{event_id}"


def audience_cookie_name(event_id: int) -> str:
    return f"live_a{event_id}"


def join_team(code: str) -> tuple[LiveTeam, str]:
    """The team holding ``code`` and a signed token for a new device of it."""
    key = clean_code(code)
    team = db.session.scalar(sa.select(LiveTeam).where(LiveTeam.join_code == key)) if len(key) >= 4 else None
    if team is None or team.event.status == EventStatus.FINISHED:
        raise ServiceError("bad_code", str(_l("This team code is not valid. Check the card your team received.")),
                           status=422, field="code")
    token = _serializer(TEAM_SALT).dumps({"e": team.event_id, "t": team.id, "g": team.code_generation,
                                          "d": new_device_id()})
    return team, token


def team_device(event_id: int, token: str | None) -> TeamDevice | None:
    """The team a device's token was signed for, if it is this event's and its code is still current."""
    if not token:
        return None
    try:
        data = _serializer(TEAM_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != event_id:
        return None
    team = db.session.get(LiveTeam, data.get("t")) if isinstance(data.get("t"), int) else None
    if team is None or team.event_id != event_id or team.code_generation != data.get("g"):
        return None
    return TeamDevice(team, str(data.get("d"))[:20])


def event_by_audience_code(code: str) -> LiveEvent:
    key = clean_code(code)
    event = db.session.scalar(sa.select(LiveEvent).where(LiveEvent.audience_code == key)) if len(key) >= 4 else None
    if event is None or event.status == EventStatus.DRAFT:
        raise ServiceError("bad_code", str(_l("This event code is not valid, or the event has not started yet.")),
                           status=404, field="code")
    return event


def audience_token(event_id: int) -> str:
    return _serializer(AUDIENCE_SALT).dumps({"e": event_id, "d": new_device_id()})


def audience_device(event_id: int, token: str | None) -> str | None:
    """The audience device id a token was signed for, for this event."""
    if not token:
        return None
    try:
        data = _serializer(AUDIENCE_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != event_id or not isinstance(data.get("d"), str):
        return None
    return data["d"][:20]
