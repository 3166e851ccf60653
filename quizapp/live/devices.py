"""Team devices and audience phones (no account: a signed cookie per device), and the event stream.

* ``/live/team``: a team's code (typed, or from the QR on its card) → a signed cookie bound to the
  team, the event and the code's generation → the team device page.
* ``/live/a/<code>``: the audience page (the QR on the projector); the first visit gives the phone a
  signed device id: one vote per device and question.
* ``/live/stream/<code>``: the Server-Sent Events stream of the hall's state (public: it holds what
  the projector shows, never the key before the reveal).

Answers and buzzes are JSON POSTs with the page's CSRF token, timed by the server on arrival, and
rate-limited per device (``LIVE_DEVICE_RATE_LIMIT``); joining is rate-limited per address.
"""
from __future__ import annotations

from flask import Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from quizapp.auth.access import public
from quizapp.core.arrival import arrival_time
from quizapp.core.errors import ServiceError
from quizapp.extensions import limiter
from quizapp.live import audience as audience_prizes
from quizapp.live import broadcast, joining, play, results
from quizapp.live.forms import JoinForm
from quizapp.live.models import EventStatus
from quizapp.live.views import _event, bp


def _team_join_limit() -> str:
    return current_app.config.get("LIVE_JOIN_RATE_LIMIT", "30 per minute")


def _audience_join_limit() -> str:
    return current_app.config.get("LIVE_AUDIENCE_JOIN_RATE_LIMIT", "600 per minute")


def _device_limit() -> str:
    return current_app.config.get("LIVE_DEVICE_RATE_LIMIT", "60 per minute")


def _device_key() -> str:
    """Rate limits per device (a hall shares one address): the device cookie, else the address."""
    for name, value in request.cookies.items():
        if name.startswith("live_") and value:
            return f"{name}:{value[-24:]}"
    return get_remote_address()


def _set_cookie(resp, name: str, value: str) -> None:
    resp.set_cookie(name, value, max_age=24 * 3600, httponly=True, samesite="Lax",
                    secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/live/")


def _team_of(event_id: int) -> joining.TeamDevice | None:
    return joining.team_device(event_id, request.cookies.get(joining.team_cookie_name(event_id)))


# --- teams ---------------------------------------------------------------------------------------

@bp.route("/live/team", methods=["GET", "POST"])
@public
@limiter.limit(_team_join_limit, methods=["POST"], scope="live-team-join")
def team_join():
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args.get("code", "")[:20]
    if form.validate_on_submit():
        try:
            team, token = joining.join_team(form.code.data)
        except ServiceError as exc:
            form.code.errors = [exc.message]
        else:
            resp = redirect(url_for("live.device", event_id=team.event_id))
            _set_cookie(resp, joining.team_cookie_name(team.event_id), token)
            return resp
    return render_template("live/team_join.html", form=form), 422 if form.errors else 200


@bp.route("/live/events/<int:event_id>/device")
@public
def device(event_id: int):
    event = _event(event_id)
    me = _team_of(event.id)
    if me is None:
        flash(_("Join with your team's code first."), "error")
        return redirect(url_for("live.team_join"))
    return render_template("live/device.html", event=event, team=me.team)


def _answer_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError("bad_request", _("The answer could not be read; please press again."), 400)
    return body


def _team_press(event_id: int):
    """What a team device's POST carries: its arrival time, the event, the device's team and the JSON body."""
    received = arrival_time()
    event = _event(event_id)
    me = _team_of(event.id)
    if me is None:
        raise ServiceError("not_joined", _("This device is not joined to a team of this event."), 403)
    return received, event, me.team, _answer_body()


@bp.route("/live/events/<int:event_id>/device/answer", methods=["POST"])
@public
@limiter.limit(_device_limit, key_func=_device_key, scope="live-device")
def device_answer(event_id: int):
    received, event, team, body = _team_press(event_id)
    team_id = team.id
    row, created = play.retry_when_locked(lambda: play.answer(
        event, _int(body.get("item_id")), f"t{team_id}", team_id, str(body.get("client_id") or ""),
        body.get("option_id"), received))
    return jsonify({"ok": True, "recorded": created, "item_id": row.item_id, "option_id": row.option_id})


@bp.route("/live/events/<int:event_id>/device/buzz", methods=["POST"])
@public
@limiter.limit(_device_limit, key_func=_device_key, scope="live-device")
def device_buzz(event_id: int):
    received, event, team, body = _team_press(event_id)
    place, created = play.retry_when_locked(lambda: play.buzz(
        event, _int(body.get("item_id")), team, str(body.get("client_id") or ""), received))
    return jsonify({"ok": True, "recorded": created, "place": place})


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- audience ------------------------------------------------------------------------------------

@bp.route("/live/a", methods=["GET", "POST"])
@public
def audience_join():
    form = JoinForm()
    if form.validate_on_submit():
        return redirect(url_for("live.audience", code=form.code.data.strip().upper()[:12]))
    return render_template("live/audience_join.html", form=form), 422 if form.errors else 200


def _returning_phone() -> bool:
    """A phone that already holds this event's signed audience cookie is not a new join: only it is
    exempt from the per-address join limit (a cookie that merely has the right name buys nothing; each
    new join is a new device and a new ticket)."""
    try:
        event = joining.event_by_audience_code((request.view_args or {}).get("code", ""))
    except ServiceError:
        return False
    token = request.cookies.get(joining.audience_cookie_name(event.id))
    return joining.audience_device(event.id, token) is not None


@bp.route("/live/a/<code>")
@public
@limiter.limit(_audience_join_limit, scope="live-audience-join", exempt_when=_returning_phone)
def audience(code: str):
    try:
        event = joining.event_by_audience_code(code)
    except ServiceError as exc:
        form = JoinForm()
        form.code.data = code[:12]
        form.code.errors = [exc.message]
        return render_template("live/audience_join.html", form=form), 404
    name = joining.audience_cookie_name(event.id)
    device_id = joining.audience_device(event.id, request.cookies.get(name))
    fresh = device_id is None
    token = joining.audience_token(event.id) if fresh else None
    if fresh:
        device_id = joining.audience_device(event.id, token)
    # The phone's ticket ("Phiếu số 0427") comes from its signed device id, never from the request.
    ticket = play.retry_when_locked(lambda: audience_prizes.issue_ticket(event, device_id, fresh))
    published = results.standings(event) if event.status == EventStatus.FINISHED and event.results_published else None
    resp = current_app.make_response(render_template(
        "live/audience.html", event=event, published=published, ticket=ticket,
        ticket_label=audience_prizes.label(ticket) if ticket else None))
    if fresh:
        _set_cookie(resp, name, token)
    return resp


@bp.route("/live/a/<code>/vote", methods=["POST"])
@public
@limiter.limit(_device_limit, key_func=_device_key, scope="live-device")
def audience_vote(code: str):
    received = arrival_time()
    event = joining.event_by_audience_code(code)
    device_id = joining.audience_device(event.id, request.cookies.get(joining.audience_cookie_name(event.id)))
    if device_id is None:
        raise ServiceError("not_joined", _("Open the audience page from the QR code first."), 403)
    body = _answer_body()
    row, created = play.retry_when_locked(lambda: play.answer(
        event, _int(body.get("item_id")), f"d{device_id}", None, str(body.get("client_id") or ""),
        body.get("option_id"), received))
    return jsonify({"ok": True, "recorded": created, "item_id": row.item_id, "option_id": row.option_id})


# --- the stream ----------------------------------------------------------------------------------

@bp.route("/live/stream/<code>")
@public
def stream(code: str):
    # The request's session ends (commit) before the stream starts: no connection is held while it lasts.
    event_id = joining.event_by_audience_code(code).id
    resp = Response(broadcast.stream(current_app._get_current_object(), event_id), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache, no-transform"
    resp.headers["X-Accel-Buffering"] = "no"  # nginx: pass each message on at once
    return resp

