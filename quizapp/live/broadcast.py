"""Pushing the hall's state to every screen: Server-Sent Events, fed by Redis pub/sub or, without
Redis, by polling the event's version in the database.

* A service that changes what the hall sees calls ``mark_dirty(event_id)``.  Just before that
  transaction commits, the event's ``version`` is bumped *in SQL* (``version = version + 1``: two
  processes committing at once never publish one number twice) and the new snapshot is built inside
  the same transaction, so it is exactly what was committed.  After the commit it is published on
  the Redis channel of the event, and kept in a Redis key, only if it is newer than the one there
  (a Lua script: a slow publisher never overwrites a newer state).
* ``stream`` is the generator behind ``/live/stream/<code>``: it sends the current snapshot at once
  (a reconnect or a reload shows the same state), then every newer one, with a comment line every
  ``LIVE_HEARTBEAT_SECONDS`` so proxies keep the connection, and ends after
  ``LIVE_STREAM_MAX_SECONDS`` (the browser's EventSource reconnects by itself).  Without
  ``REDIS_URL`` it polls ``live_events.version`` every ``LIVE_POLL_SECONDS`` (0.2 s): this works
  under the Flask development server (threaded) on a fresh machine.

Nothing here is state a second process needs: the per-process Redis client is a connection pool.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Iterator

import sqlalchemy as sa
from flask import Flask, current_app

from quizapp.core.db import db

log = logging.getLogger(__name__)
_DIRTY = "live_dirty"
_READY = "live_publish"
_ANSWERED = "live_answered"
_READY_ANSWERED = "live_publish_answered"
_clients: dict[str, object] = {}

PUBLISH_IF_NEWER = """
local cur = redis.call('get', KEYS[2])
if (not cur) or tonumber(cur) < tonumber(ARGV[1]) then
  redis.call('set', KEYS[2], ARGV[1], 'EX', 86400)
  redis.call('set', KEYS[1], ARGV[2], 'EX', 86400)
  redis.call('publish', KEYS[3], ARGV[2])
  return 1
end
return 0
"""


def redis_url(app: Flask | None = None) -> str | None:
    app = app or current_app._get_current_object()
    return app.config.get("LIVE_REDIS_URL") or app.config.get("REDIS_URL")


def _redis(url: str):
    client = _clients.get(url)
    if client is None:
        import redis

        # Each open stream holds one pub/sub connection of this pool (redis-py's default pool stops at 100,
        # and a stream that cannot subscribe falls back to polling the database): LIVE_REDIS_MAX_CONNECTIONS
        # per process, within Redis's maxclients (10,000 by default).
        limit = int(current_app.config.get("LIVE_REDIS_MAX_CONNECTIONS", 5000))
        client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30, max_connections=limit)
        _clients[url] = client
    return client


def _keys(app: Flask, event_id: int) -> tuple[str, str, str]:
    prefix = app.config.get("LIVE_REDIS_PREFIX", "live:")
    return f"{prefix}snap:{event_id}", f"{prefix}ver:{event_id}", f"{prefix}chan:{event_id}"


def _answered_key(app: Flask, item_id: int) -> str:
    return f"{app.config.get('LIVE_REDIS_PREFIX', 'live:')}answered:{item_id}"


def _answered_since(app: Flask, url: str, payload: str) -> str | None:
    """For a new stream on Redis: the teams that have answered the question of this snapshot, when the
    snapshot (built before some of them answered) does not list them all."""
    item = (json.loads(payload).get("item") or {})
    if not item.get("id"):
        return None
    with app.app_context():
        client = _redis(url)
    members = {int(m) for m in client.smembers(_answered_key(app, item["id"]))}
    if members <= set(item.get("answered") or []):
        return None
    return json.dumps({"item": item["id"], "answered": sorted(members | set(item.get("answered") or []))},
                      separators=(",", ":"))


def mark_dirty(event_id: int) -> None:
    """The hall's state of ``event_id`` changes with the current transaction."""
    db.session.info.setdefault(_DIRTY, set()).add(event_id)


def mark_answered(event_id: int, item_id: int) -> None:
    """A team answered: with Redis, only the list of teams that have answered goes out (a few bytes
    instead of a snapshot to a thousand phones for each of thirty answers); without Redis the streams
    only see versions, so the version moves."""
    if redis_url() is None:
        mark_dirty(event_id)
    else:
        db.session.info.setdefault(_ANSWERED, set()).add((event_id, item_id))


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _bump_and_build(session) -> None:
    dirty = session.info.pop(_DIRTY, None)
    answered = session.info.pop(_ANSWERED, None)
    if not dirty and not answered:
        return
    from quizapp.live import state
    from quizapp.live.models import LiveEvent

    session.flush()
    for event_id, item_id in sorted(answered or ()):
        if event_id not in (dirty or ()):  # a new snapshot says it anyway
            session.info.setdefault(_READY_ANSWERED, []).append((event_id, state.answered_json(item_id)))
    if not dirty:
        return
    ready = session.info.setdefault(_READY, {})
    for event_id in sorted(dirty):
        session.execute(sa.update(LiveEvent).where(LiveEvent.id == event_id)
                        .values(version=LiveEvent.version + 1).execution_options(synchronize_session=False))
        event = session.get(LiveEvent, event_id)
        if event is None:
            continue
        session.expire(event, ["version"])
        try:
            ready[event_id] = (event.version, state.snapshot_json(event))
        except Exception:  # noqa: BLE001 - never lose the commit for a snapshot; the stream rebuilds it
            log.exception("could not build the live snapshot of event %s", event_id)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _publish(session) -> None:
    if session.in_nested_transaction():
        return
    ready = session.info.pop(_READY, None) or {}
    answered = session.info.pop(_READY_ANSWERED, None) or []
    if not ready and not answered:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    url = redis_url(app)
    if not url:
        return  # the streams poll the version
    for event_id, (version, payload) in ready.items():
        try:
            snap, ver, chan = _keys(app, event_id)
            _redis(url).eval(PUBLISH_IF_NEWER, 3, snap, ver, chan, version, payload)
        except Exception:  # noqa: BLE001 - the state is committed; streams resync from the key or the database
            log.exception("could not publish the live state of event %s", event_id)
    for event_id, payload in answered:
        try:
            # The stored snapshot still lists the teams that had answered when it was built: the set of
            # those who answered since is kept beside it (SADD commutes, so two answers committing in
            # either order leave the same set) and a new stream sends it after the snapshot.
            client = _redis(url)
            data = json.loads(payload)
            key = _answered_key(app, data["item"])
            pipe = client.pipeline()
            if data["answered"]:
                pipe.sadd(key, *data["answered"])
            pipe.expire(key, 86400)
            pipe.publish(_keys(app, event_id)[2], payload)
            pipe.execute()
        except Exception:  # noqa: BLE001 - the next snapshot carries the same list
            log.exception("could not publish the answers of event %s", event_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget(session) -> None:
    if not session.in_nested_transaction():
        for key in (_DIRTY, _READY, _ANSWERED, _READY_ANSWERED):
            session.info.pop(key, None)


def current_payload(app: Flask, event_id: int) -> tuple[int, str] | None:
    """The latest snapshot: Redis's copy when there is one, else built from the database."""
    url = redis_url(app)
    if url:
        try:
            snap, _ver, _chan = _keys(app, event_id)
            with app.app_context():
                client = _redis(url)
            raw = client.get(snap)
            if raw:
                text = raw.decode()
                return _version_of(text), text
        except Exception:  # noqa: BLE001
            log.warning("live snapshot not read from Redis; using the database", exc_info=True)
    with app.app_context():
        from quizapp.live import state
        from quizapp.live.models import LiveEvent

        try:
            event = db.session.get(LiveEvent, event_id)
            if event is None:
                return None
            return event.version, state.snapshot_json(event)
        finally:
            db.session.remove()


def _version_of(payload: str) -> int:
    # The snapshot starts with {"v":N, — read N without parsing the whole thing.
    head = payload[5:payload.index(",", 5)] if payload.startswith('{"v":') else "0"
    return int(head) if head.isdigit() else int(json.loads(payload)["v"])


def message(version: int, payload: str) -> str:
    now = int(time.time() * 1000)
    return f"id: {version}\nevent: state\ndata: {{\"now\":{now},\"state\":{payload}}}\n\n"


def stream(app: Flask, event_id: int) -> Iterator[str]:
    """The event's SSE stream (see the module's docstring)."""
    max_seconds = float(app.config.get("LIVE_STREAM_MAX_SECONDS", 600))
    heartbeat = float(app.config.get("LIVE_HEARTBEAT_SECONDS", 15))
    poll = float(app.config.get("LIVE_POLL_SECONDS", 0.2))
    started = time.monotonic()
    yield "retry: 1000\n\n"
    url = redis_url(app)
    pubsub = None
    if url:
        try:
            with app.app_context():
                client = _redis(url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_keys(app, event_id)[2])  # before reading the snapshot: no update falls between
        except Exception:  # noqa: BLE001
            log.warning("live stream falls back to polling: Redis unreachable", exc_info=True)
            pubsub = None
    try:
        first = current_payload(app, event_id)
        if first is None:
            return
        sent, payload = first
        yield message(sent, payload)
        if pubsub is not None:
            try:
                since = _answered_since(app, url, payload)
            except Exception:  # noqa: BLE001 - the next snapshot carries the list
                since = None
            if since:
                yield f"event: answered\ndata: {since}\n\n"
        last_beat = time.monotonic()
        while time.monotonic() - started < max_seconds:
            if pubsub is not None:
                msg = pubsub.get_message(timeout=min(heartbeat, max(0.05, max_seconds - (time.monotonic() - started))))
                if msg and msg.get("type") == "message":
                    text = msg["data"].decode()
                    if not text.startswith('{"v":'):  # who has answered: no id, the version stays
                        yield f"event: answered\ndata: {text}\n\n"
                        last_beat = time.monotonic()
                        continue
                    version = _version_of(text)
                    if version > sent:
                        sent = version
                        yield message(version, text)
                        last_beat = time.monotonic()
            else:
                time.sleep(poll)
                with app.app_context():
                    from quizapp.live.state import current_version

                    try:
                        version = current_version(event_id)
                    finally:
                        db.session.remove()
                if version is not None and version > sent:
                    latest = current_payload(app, event_id)
                    if latest is not None and latest[0] > sent:
                        sent, payload = latest
                        yield message(sent, payload)
                        last_beat = time.monotonic()
            if time.monotonic() - last_beat >= heartbeat:
                yield ": ping\n\n"
                last_beat = time.monotonic()
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # noqa: BLE001
                pass
