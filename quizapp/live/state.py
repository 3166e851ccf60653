"""The state of the hall as one small JSON snapshot, the same for every screen and device.

It holds what the projector shows and nothing more: before the reveal no option is marked right
(the key is added only in phase ``revealed`` or later), and the audience's distribution only
after the close.  Each snapshot carries the event's ``version``; a device that reconnects or
reloads gets the same snapshot again.  Times are epoch milliseconds by the server's clock; each
stream message adds the server's ``now`` so devices count down on the server's time.
"""
from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from quizapp.core.db import db
from quizapp.live import audience, results
from quizapp.live.models import (EventStatus, ItemStatus, LiveAnswer, LiveBuzz, LiveEvent, LiveItem, PartKind,
                                 Phase)

LETTERS = "ABCDEFGH"
AFTER_CLOSE = (Phase.CLOSED, Phase.REVEALED, Phase.SCOREBOARD, Phase.PODIUM)


def ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def _item_state(event: LiveEvent, item: LiveItem) -> dict:
    part = item.part
    numbered = [i for i in part.items if not i.is_reserve or i.status != ItemStatus.PENDING]
    numbered = [i for i in numbered if i.status != ItemStatus.SKIPPED or i.id == item.id]
    out: dict = {
        "id": item.id,
        "number": next((n for n, i in enumerate(numbered, start=1) if i.id == item.id), 1),
        "of": len([i for i in part.items if not i.is_reserve]),
        "reserve": item.is_reserve,
        "opened_at": ms(item.opened_at),
        "closes_at": ms(item.closes_at),
        "paused_remaining_ms": item.paused_remaining_ms,
    }
    if item.question is not None:
        q = item.question
        out["text"] = q.text
        out["multiple"] = False
        out["options"] = [{"id": o.id, "label": LETTERS[n] if n < len(LETTERS) else str(n + 1), "text": o.text}
                          for n, o in enumerate(q.options)]
    else:  # a poll: the audience votes for a team
        out["text"] = ""
        out["options"] = [{"id": t.id, "label": str(n), "text": t.name} for n, t in enumerate(event.teams, start=1)]
    rows = db.session.execute(sa.select(LiveAnswer.team_id, LiveAnswer.option_id)
                              .where(LiveAnswer.item_id == item.id)).all()
    out["answered"] = sorted(t for t, _ in rows if t is not None)
    revealed = item.revealed_at is not None and event.phase != Phase.OPEN
    closed = item.closed_at is not None and event.phase in AFTER_CLOSE
    if closed:
        counts = Counter(o for _, o in rows)
        out["distribution"] = {str(o["id"]): counts.get(o["id"], 0) for o in out["options"]}
        out["audience_count"] = sum(1 for t, _ in rows if t is None)
    if revealed and item.question is not None:
        out["key"] = sorted(item.question.correct_option_ids)
        out["explanation"] = item.question.explanation or ""
        out["source"] = item.question.source or ""
        out["right_teams"] = sorted(t for t, o in rows if t is not None and o in item.question.correct_option_ids)
        if audience.gives_prizes(part):
            # The audience prize's winners (their ticket numbers, in arrival order): only after the reveal.
            out["winners"] = [w.ticket for w in audience.winners(item)]
    if part.kind == PartKind.BUZZER:
        from quizapp.live import play

        buzzes = list(db.session.scalars(sa.select(LiveBuzz).where(LiveBuzz.item_id == item.id)
                                         .order_by(LiveBuzz.received_at, LiveBuzz.id)))
        out["buzz"] = {"order": [b.team_id for b in buzzes],
                       "right": [b.team_id for b in buzzes if b.verdict is True],
                       "wrong": [b.team_id for b in buzzes if b.verdict is False],
                       "holder": play.buzz_holder(item)}
    return out


def snapshot(event: LiveEvent) -> dict:
    parts = list(event.parts)
    part = next((p for p in parts if p.id == event.current_part_id), None)
    item = db.session.get(LiveItem, event.current_item_id) if event.current_item_id else None
    rows = results.standings(event)
    state: dict = {
        "v": event.version,
        "event": {"id": event.id, "title": event.title, "venue": event.venue or "", "code": event.audience_code},
        "status": event.status.value,
        "phase": event.phase.value,
        "teams": [{"id": r.team_id, "name": r.name, "score": r.total, "place": r.place, "tiebreak": r.tiebreak}
                  for r in rows],
        "parts": [{"id": p.id, "title": p.title, "kind": p.kind.value} for p in parts],
        "part": None,
        "item": None,
        "stage_team_id": event.stage_team_id,
    }
    if part is not None:
        state["part"] = {"id": part.id, "title": part.title, "kind": part.kind.value, "number": parts.index(part) + 1,
                         "of": len(parts), "seconds": part.seconds, "points": part.points,
                         "speed_bonus": part.speed_bonus, "wrong_penalty": part.wrong_penalty, "poll": part.poll,
                         "prizes": part.audience_prizes if audience.gives_prizes(part) else 0,
                         "rubric": part.rubric if part.kind == PartKind.JUDGED else []}
    if item is not None and item.part_id == (part.id if part else None) and event.phase not in (
            Phase.INTRO, Phase.JUDGING, Phase.LOBBY):
        state["item"] = _item_state(event, item)
    if event.status == EventStatus.FINISHED:
        state["podium"] = [r.team_id for r in rows if r.place <= 3]
    return state


def snapshot_json(event: LiveEvent) -> str:
    return json.dumps(snapshot(event), ensure_ascii=False, separators=(",", ":"))


def answered_json(item_id: int) -> str:
    """The light message sent when a team answers (instead of a whole snapshot to every phone): which
    teams have answered the question on screen.  The next snapshot carries the same list."""
    teams = sorted(t for t in db.session.scalars(sa.select(LiveAnswer.team_id).where(
        LiveAnswer.item_id == item_id, LiveAnswer.team_id.is_not(None))))
    return json.dumps({"item": item_id, "answered": teams}, separators=(",", ":"))


def current_version(event_id: int) -> int | None:
    return db.session.scalar(sa.select(LiveEvent.version).where(LiveEvent.id == event_id))
