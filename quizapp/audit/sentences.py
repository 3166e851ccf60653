"""The audit log in sentences: "Nguyễn Văn A đã sáp nhập đơn vị Xã A vào Xã B", with links.

``describe(entries)`` turns a page of entries into safe HTML sentences.  Names are
looked up in one query per kind of object; an object that no longer exists is shown
by its number.  An action nobody taught this module yet still reads as a sentence
("… đã thực hiện thao tác contest.foo …"): add it to ``SENTENCES`` (one line).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from quizapp.audit.models import AuditEntry
from quizapp.core.db import db

# action → the sentence; placeholders: actor, obj (the entry's object, linked) and
# the ones ``_details`` derives from the entry's details.
SENTENCES: dict[str, object] = {
    "unit.create": _l("%(actor)s created the unit %(obj)s."),
    "unit.rename": _l("%(actor)s renamed the unit %(obj)s."),
    "unit.move": _l("%(actor)s moved the unit %(obj)s under %(parent)s."),
    "unit.archive": _l("%(actor)s archived the unit %(obj)s."),
    "unit.restore": _l("%(actor)s restored the unit %(obj)s."),
    "unit.merge": _l("%(actor)s merged the unit %(obj)s into %(into)s."),
    "unit.merge_new": _l("%(actor)s merged %(sources)s into the new unit %(obj)s."),
    "unit.dissolve_level": _l("%(actor)s dissolved the level “%(kind)s”: %(units)s."),
    "unit.import": _l("%(actor)s imported the unit list: %(created)s created, %(updated)s updated."),
    "user.update": _l("%(actor)s changed %(fields)s of the account %(obj)s."),
    "user.create_admin": _l("%(actor)s created the administrator account %(obj)s."),
    "bank.import": _l("%(actor)s imported the question file “%(filename)s”."),
    "bank.create": _l("%(actor)s added the question %(obj)s."),
    "bank.edit": _l("%(actor)s edited a question: the new version is %(obj)s."),
    "bank.approve": _l("%(actor)s approved the question %(obj)s."),
    "bank.retire": _l("%(actor)s retired the question %(obj)s."),
    "bank.restore": _l("%(actor)s restored the question %(obj)s."),
    "bank.flag": _l("%(actor)s flagged %(count)s questions citing “%(document)s”."),
    "bank.unflag": _l("%(actor)s cleared the flag on the question %(obj)s."),
    "contest.create": _l("%(actor)s created the contest %(obj)s."),
    "contest.update": _l("%(actor)s changed %(fields)s of the contest %(obj)s."),
    "contest.publish": _l("%(actor)s published the contest %(obj)s."),
    "contest.unpublish": _l("%(actor)s withdrew the contest %(obj)s from publication."),
    "contest.archive": _l("%(actor)s archived the contest %(obj)s."),
    "contest.delete": _l("%(actor)s deleted the contest %(obj)s."),
    "round.create": _l("%(actor)s added the round %(obj)s to the contest %(contest)s."),
    "round.update": _l("%(actor)s changed %(fields)s of the round %(obj)s."),
    "round.delete": _l("%(actor)s deleted the round %(obj)s of the contest %(contest)s."),
    "grant.create": _l("%(actor)s granted %(user)s %(extra)s in the round %(obj)s."),
    # The live contest (quizapp/live): its Vietnamese sentences are in live/translations/vi.po.
    "live.create": _l("%(actor)s created the live event %(obj)s."),
    "live.start": _l("%(actor)s started the live event %(obj)s."),
    "live.finish": _l("%(actor)s finished the live event %(obj)s."),
    "live.open": _l("%(actor)s opened a question of “%(part)s” in the live event %(obj)s."),
    "live.mark_right": _l("%(actor)s marked the buzzer answer of %(team)s right (%(points)s points) in %(obj)s."),
    "live.mark_wrong": _l("%(actor)s marked the buzzer answer of %(team)s wrong (%(points)s points) in %(obj)s."),
    "live.correct": _l("%(actor)s corrected the points of %(team)s from %(before)s to %(points)s in %(obj)s: "
                       "“%(reason)s”."),
    "live.skip": _l("%(actor)s replaced the question on screen by a reserve question in %(obj)s: “%(reason)s”."),
    "live.judge_score": _l("%(actor)s scored %(team)s %(points)s in “%(part)s” of %(obj)s."),
    "live.judge_rescore": _l("%(actor)s changed their score for %(team)s from %(before)s to %(points)s in "
                             "“%(part)s” of %(obj)s."),
}
ACTION_LABELS = {
    "unit.create": _l("Unit created"), "unit.rename": _l("Unit renamed"), "unit.move": _l("Unit moved"),
    "unit.archive": _l("Unit archived"), "unit.restore": _l("Unit restored"), "unit.merge": _l("Units merged"),
    "unit.merge_new": _l("Units merged into a new unit"), "unit.dissolve_level": _l("Level dissolved"),
    "unit.import": _l("Unit list imported"), "user.update": _l("Account changed"),
    "user.create_admin": _l("Administrator created"), "bank.import": _l("Questions imported"),
    "bank.create": _l("Question added"), "bank.edit": _l("Question edited"), "bank.approve": _l("Question approved"),
    "bank.retire": _l("Question retired"), "bank.restore": _l("Question restored"),
    "bank.flag": _l("Questions flagged"), "bank.unflag": _l("Question flag cleared"),
    "contest.create": _l("Contest created"), "contest.update": _l("Contest changed"),
    "contest.publish": _l("Contest published"), "contest.unpublish": _l("Contest withdrawn"),
    "contest.archive": _l("Contest archived"), "contest.delete": _l("Contest deleted"),
    "round.create": _l("Round added"), "round.update": _l("Round changed"), "round.delete": _l("Round deleted"),
    "grant.create": _l("Extra time or attempts granted"),
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
    for key in ("created", "updated", "count", "document", "filename", "team", "part", "reason", "points", "before"):
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
        template = SENTENCES.get(e.action, FALLBACK)
        out.append(Sentence(e, Markup(str(template)) % values))
    return out


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
