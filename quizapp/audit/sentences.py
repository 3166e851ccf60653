"""The audit log in sentences: "Nguyễn Văn A đã sáp nhập đơn vị Xã A vào Xã B", with links.

``describe(entries)`` turns a page of entries into safe HTML sentences.  Names are
looked up in one query per kind of object; an object that no longer exists is shown
by its number.  An action nobody taught this module yet still reads as a sentence
("… đã thực hiện thao tác contest.foo …"): add it to ``ACTIONS`` (one row: sentence and label).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from quizapp.core.audit import AuditEntry
from quizapp.core.db import db


class ActionText(NamedTuple):
    """What the log says about one action: the sentence, and the label of the filter list."""

    sentence: object  # lazy string; placeholders: actor, obj (the entry's object, linked)
    label: object     # and the ones ``_details`` derives from the entry's details


# One row per action: its sentence and its label together.
ACTIONS: dict[str, ActionText] = {
    "unit.create": ActionText(
        _l("%(actor)s created the unit %(obj)s."),
        _l("Unit created")),
    "unit.rename": ActionText(
        _l("%(actor)s renamed the unit %(obj)s."),
        _l("Unit renamed")),
    "unit.move": ActionText(
        _l("%(actor)s moved the unit %(obj)s under %(parent)s."),
        _l("Unit moved")),
    "unit.archive": ActionText(
        _l("%(actor)s archived the unit %(obj)s."),
        _l("Unit archived")),
    "unit.restore": ActionText(
        _l("%(actor)s restored the unit %(obj)s."),
        _l("Unit restored")),
    "unit.merge": ActionText(
        _l("%(actor)s merged the unit %(obj)s into %(into)s."),
        _l("Units merged")),
    "unit.merge_new": ActionText(
        _l("%(actor)s merged %(sources)s into the new unit %(obj)s."),
        _l("Units merged into a new unit")),
    "unit.dissolve_level": ActionText(
        _l("%(actor)s dissolved the level “%(kind)s”: %(units)s."),
        _l("Level dissolved")),
    "unit.import": ActionText(
        _l("%(actor)s imported the unit list: %(created)s created, %(updated)s updated."),
        _l("Unit list imported")),
    "user.update": ActionText(
        _l("%(actor)s changed %(fields)s of the account %(obj)s."),
        _l("Account changed")),
    "user.create_admin": ActionText(
        _l("%(actor)s created the administrator account %(obj)s."),
        _l("Administrator created")),
    "bank.import": ActionText(
        _l("%(actor)s imported the question file “%(filename)s”."),
        _l("Questions imported")),
    "bank.create": ActionText(
        _l("%(actor)s added the question %(obj)s."),
        _l("Question added")),
    "bank.edit": ActionText(
        _l("%(actor)s edited a question: the new version is %(obj)s."),
        _l("Question edited")),
    "bank.approve": ActionText(
        _l("%(actor)s approved the question %(obj)s."),
        _l("Question approved")),
    "bank.retire": ActionText(
        _l("%(actor)s retired the question %(obj)s."),
        _l("Question retired")),
    "bank.restore": ActionText(
        _l("%(actor)s restored the question %(obj)s."),
        _l("Question restored")),
    "bank.flag": ActionText(
        _l("%(actor)s flagged %(count)s questions citing “%(document)s”."),
        _l("Questions flagged")),
    "bank.unflag": ActionText(
        _l("%(actor)s cleared the flag on the question %(obj)s."),
        _l("Question flag cleared")),
    "contest.create": ActionText(
        _l("%(actor)s created the contest %(obj)s."),
        _l("Contest created")),
    "contest.update": ActionText(
        _l("%(actor)s changed %(fields)s of the contest %(obj)s."),
        _l("Contest changed")),
    "contest.publish": ActionText(
        _l("%(actor)s published the contest %(obj)s."),
        _l("Contest published")),
    "contest.unpublish": ActionText(
        _l("%(actor)s withdrew the contest %(obj)s from publication."),
        _l("Contest withdrawn")),
    "contest.archive": ActionText(
        _l("%(actor)s archived the contest %(obj)s."),
        _l("Contest archived")),
    "contest.delete": ActionText(
        _l("%(actor)s deleted the contest %(obj)s."),
        _l("Contest deleted")),
    "round.create": ActionText(
        _l("%(actor)s added the round %(obj)s to the contest %(contest)s."),
        _l("Round added")),
    "round.update": ActionText(
        _l("%(actor)s changed %(fields)s of the round %(obj)s."),
        _l("Round changed")),
    "round.delete": ActionText(
        _l("%(actor)s deleted the round %(obj)s of the contest %(contest)s."),
        _l("Round deleted")),
    "attempts.regrade": ActionText(
        _l("%(actor)s re-graded the round %(obj)s with a corrected key: %(count)s attempts changed."),
        _l("Round re-graded")),
    "attempts.regrade_void": ActionText(
        _l("%(actor)s voided a question of the round %(obj)s: %(count)s attempts changed."),
        _l("Question voided")),
    "practice.whole_bank": ActionText(
        _l("%(actor)s changed whether the whole question bank is published for practice."),
        _l("Practice: whole bank")),
    "practice.study_set": ActionText(
        _l("%(actor)s changed the practice study set (%(count)s questions)."),
        _l("Practice study set changed")),
    "grant.create": ActionText(
        _l("%(actor)s granted %(user)s %(extra)s in the round %(obj)s."),
        _l("Extra time or attempts granted")),
}
FALLBACK = _l("%(actor)s performed “%(action)s” on %(obj)s.")

FIELD_LABELS = {
    "title": _l("the title"), "description": _l("the description"), "rules": _l("the rules"),
    "open_to_all": _l("who may enter"), "eligible_categories": _l("the entrant categories"),
    "blocs": _l("the blocs"), "ranking_order": _l("the ranking order"), "aggregate": _l("the contest score"),
    "unit_ranking_order": _l("the unit ranking order"), "min_participation_rate": _l("the minimum participation"),
    "results_visibility": _l("who sees the results"), "units": _l("the units"),
    "opens_at": _l("the opening time"), "closes_at": _l("the closing time"), "quotas": _l("the questions per area"),
    "time_limit_seconds": _l("the time limit"), "attempts_allowed": _l("the attempts allowed"),
    "counted_attempt": _l("the attempt that counts"), "shuffle_questions": _l("the question order"),
    "shuffle_options": _l("the option order"), "one_page": _l("the layout"),
    "prediction_mode": _l("the prediction question"), "review_policy": _l("when answers are shown"),
    "live_results": _l("whether results are shown live"), "fresh_questions": _l("the per-round pool"),
    "full_name": _l("the full name"), "date_of_birth": _l("the date of birth"), "phone": _l("the phone number"),
    "email": _l("the e-mail"), "national_id": _l("the ID number"), "unit_id": _l("the unit"),
    "role": _l("the role"), "is_active_account": _l("the account status"),
}


@dataclass(frozen=True)
class Sentence:
    entry: AuditEntry
    html: Markup


def _link(endpoint: str | None, text: str, **args) -> Markup:
    if endpoint is None:
        return Markup("<strong>%s</strong>") % text
    return Markup('<a href="%s">%s</a>') % (url_for(endpoint, **args), text)


class _Names:
    """Names of the objects a page of entries mentions, one query per kind."""

    def __init__(self, entries: list[AuditEntry]):
        from quizapp.auth.models import User
        from quizapp.bank.models import Question
        from quizapp.contests.models import Contest, Round
        from quizapp.units.models import Unit

        ids: dict[str, set[int]] = {"unit": set(), "user": set(), "contest": set(), "round": set(), "question": set()}
        for e in entries:
            d = e.details or {}
            if e.object_type in ids and (e.object_id or "").isdigit():
                ids[e.object_type].add(int(e.object_id))
            for key, kind in (("into", "unit"), ("parent_id", "unit"), ("contest_id", "contest"), ("user_id", "user")):
                if isinstance(d.get(key), int):
                    ids[kind].add(d[key])
            for key in ("sources", "units"):
                ids["unit"].update(i for i in d.get(key) or [] if isinstance(i, int))

        def load(model, column, wanted):
            return dict(db.session.execute(sa.select(model.id, column).where(model.id.in_(wanted))).all()) if wanted else {}

        self.names = {
            "unit": load(Unit, Unit.name, ids["unit"]), "user": load(User, User.full_name, ids["user"]),
            "contest": load(Contest, Contest.title, ids["contest"]), "round": load(Round, Round.title, ids["round"]),
            "question": {i: f"#{i}" for i in ids["question"]},
        }
        self.round_contest = dict(db.session.execute(
            sa.select(Round.id, Round.contest_id).where(Round.id.in_(ids["round"]))).all()) if ids["round"] else {}

    def link(self, kind: str, obj_id) -> Markup:
        try:
            obj_id = int(obj_id)
        except (TypeError, ValueError):
            return Markup(escape(_("(none)")))
        name = self.names.get(kind, {}).get(obj_id)
        if name is None:  # deleted since, or a kind this module does not link
            return Markup("<strong>%s</strong>") % f"#{obj_id}"
        if kind == "unit":
            return _link("units.detail", name, unit_id=obj_id)
        if kind == "user":
            return _link("auth.admin_user_edit", name, user_id=obj_id)
        if kind == "contest":
            return _link("contests.manage", name, contest_id=obj_id)
        if kind == "round" and obj_id in self.round_contest:
            return _link("contests.round_edit", name, contest_id=self.round_contest[obj_id], round_id=obj_id)
        if kind == "question":
            return _link("bank.detail", name, question_id=obj_id)
        return _link(None, name)


def _fields(names) -> str:
    return ", ".join(str(FIELD_LABELS.get(n, n)) for n in names or [])


def _details(e: AuditEntry, names: _Names) -> dict[str, object]:
    d = e.details or {}
    out: dict[str, object] = {"fields": _fields(d.get("fields"))}
    if "into" in d:
        out["into"] = names.link("unit", d["into"])
    if "parent_id" in d:
        out["parent"] = names.link("unit", d["parent_id"]) if d["parent_id"] else _("the top level")
    if "contest_id" in d:
        out["contest"] = names.link("contest", d["contest_id"])
    if "user_id" in d:
        out["user"] = names.link("user", d["user_id"])
    for key in ("sources", "units"):
        if key in d:
            out[key] = Markup(", ").join(names.link("unit", i) for i in d[key] or [])
    if "kind" in d:
        from quizapp.units.models import UnitKind
        from quizapp.units.services import KIND_LABELS

        out["kind"] = KIND_LABELS.get(UnitKind(d["kind"]), d["kind"]) if d["kind"] in set(UnitKind) else d["kind"]
    extra = []
    if d.get("extra_minutes"):
        extra.append(_("%(n)s extra minutes", n=d["extra_minutes"]))
    if d.get("extra_attempts"):
        extra.append(_("%(n)s extra attempts", n=d["extra_attempts"]))
    out["extra"] = _(" and ").join(extra)
    for key in ("created", "updated", "count", "document", "filename"):
        if key in d:
            out[key] = d[key]
    return out


class _Safe(dict):
    """Formatting values: missing ones show as "?" instead of failing."""

    def __missing__(self, key):
        return "?"


def describe(entries: list[AuditEntry]) -> list[Sentence]:
    names = _Names(entries)
    out = []
    for e in entries:
        actor = e.actor.full_name if e.actor else _("The system")
        values = _Safe(_details(e, names))
        values["actor"] = Markup("<strong>%s</strong>") % actor
        values["obj"] = names.link(e.object_type, e.object_id) if e.object_id else Markup("")
        values["action"] = e.action
        text = ACTIONS.get(e.action)
        template = text.sentence if text else FALLBACK
        out.append(Sentence(e, Markup(str(template)) % values))
    return out


def action_label(action: str) -> str:
    text = ACTIONS.get(action)
    return str(text.label) if text else action
