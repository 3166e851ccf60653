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
    "user.confirm_membership": ActionText(
        _l("%(actor)s confirmed %(obj)s as a member of %(unit)s (from %(address)s)."),
        _l("Membership confirmed")),
    "user.reject_membership": ActionText(
        _l("%(actor)s refused %(obj)s as a member of %(unit)s (from %(address)s)."),
        _l("Membership refused")),
    "unit.accept_confirmations": ActionText(
        _l("%(actor)s reviewed and accepted %(count)s confirmations of %(obj)s."),
        _l("Confirmations accepted")),
    "unit.strike_confirmations": ActionText(
        _l("%(actor)s struck %(count)s confirmations of %(obj)s: those members no longer count."),
        _l("Confirmations struck")),
    "unit.report_settings": ActionText(
        _l("%(actor)s changed the report settings of %(obj)s."),
        _l("Unit report settings changed")),
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
    "plans.plan_create": ActionText(
        _l("%(actor)s created the province's communication plan for %(year)s."),
        _l("Communication plan created")),
    "plans.tasks_import": ActionText(
        _l("%(actor)s imported %(count)s tasks into the province's communication plan."),
        _l("Plan tasks imported")),
    "plans.unit_plan_save": ActionText(
        _l("%(actor)s saved the communication plan of %(obj)s for %(year)s."),
        _l("Unit communication plan saved")),
    "plans.report_submit": ActionText(
        _l("%(actor)s submitted the communication report of %(unit)s."),
        _l("Report submitted")),
    "plans.report_return": ActionText(
        _l("%(actor)s returned the communication report of %(unit)s for correction."),
        _l("Report returned")),
    "plans.change_after_submit": ActionText(
        _l("%(actor)s changed an activity of %(unit)s after its report was submitted."),
        _l("Change after a report")),
    # The live contest (quizapp/live): its Vietnamese sentences are in live/translations/vi.po.
    "live.create": ActionText(
        _l("%(actor)s created the live event %(obj)s."),
        _l("Live event created")),
    "live.start": ActionText(
        _l("%(actor)s started the live event %(obj)s."),
        _l("Live event started")),
    "live.finish": ActionText(
        _l("%(actor)s finished the live event %(obj)s."),
        _l("Live event finished")),
    "live.open": ActionText(
        _l("%(actor)s opened a question of “%(part)s” in the live event %(obj)s."),
        _l("Live question opened")),
    "live.mark_right": ActionText(
        _l("%(actor)s marked the buzzer answer of %(team)s right (%(points)s points) in %(obj)s."),
        _l("Buzzer answer marked right")),
    "live.mark_wrong": ActionText(
        _l("%(actor)s marked the buzzer answer of %(team)s wrong (%(points)s points) in %(obj)s."),
        _l("Buzzer answer marked wrong")),
    "live.correct": ActionText(
        _l("%(actor)s corrected the points of %(team)s from %(before)s to %(points)s in %(obj)s: "
          "“%(reason)s”."),
        _l("Live points corrected")),
    "live.skip": ActionText(
        _l("%(actor)s replaced the question on screen by a reserve question in %(obj)s: “%(reason)s”."),
        _l("Reserve question used")),
    "live.judge_score": ActionText(
        _l("%(actor)s scored %(team)s %(points)s in “%(part)s” of %(obj)s."),
        _l("Judge's score")),
    "live.judge_rescore": ActionText(
        _l("%(actor)s changed their score for %(team)s from %(before)s to %(points)s in "
          "“%(part)s” of %(obj)s."),
        _l("Judge's score changed")),
    "live.certificates": ActionText(
        _l("%(actor)s issued the certificates of the live event %(obj)s: %(added)s new, %(kept)s kept as issued, "
           "%(revoked)s revoked."),
        _l("Live certificates issued")),
    "live.certificate_revoke": ActionText(
        _l("%(actor)s revoked the certificate %(code)s of %(name)s (%(prize)s) in the live event %(obj)s: "
           "“%(reason)s”."),
        _l("Live certificate revoked")),
    "campaign.prizes": ActionText(
        _l("%(actor)s marked the %(award_kind)s prizes of %(scope)s in the contest %(obj)s: %(added)s new, "
           "%(kept)s kept as issued, %(revoked)s revoked."),
        _l("Prizes marked")),
    "campaign.publish_winners": ActionText(
        _l("%(actor)s published the winners list of the contest %(obj)s."),
        _l("Winners list published")),
    "campaign.hide_winners": ActionText(
        _l("%(actor)s hid the winners list of the contest %(obj)s."),
        _l("Winners list hidden")),
    "campaign.finishers": ActionText(
        _l("%(actor)s issued %(count)s certificates of completion for %(scope)s in the contest %(obj)s."),
        _l("Certificates of completion issued")),
    "campaign.revoke": ActionText(
        _l("%(actor)s revoked the certificate %(code)s (%(prize)s) in the contest %(obj)s."),
        _l("Certificate revoked")),
    "campaign.certificates_zip": ActionText(
        _l("%(actor)s downloaded %(count)s certificates of %(scope)s in the contest %(obj)s as a ZIP."),
        _l("Certificates downloaded (ZIP)")),
}
AWARD_KINDS = {"individual": _l("individual"), "unit": _l("unit"), "finisher": _l("completion")}
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
            for key, kind in (("into", "unit"), ("parent_id", "unit"), ("contest_id", "contest"), ("user_id", "user"),
                              ("unit_id", "unit"), ("round_id", "round"), ("unit", "unit")):
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
    if "unit_id" in d:
        out["unit"] = names.link("unit", d["unit_id"])
    if "unit" in d:
        out["unit"] = names.link("unit", d["unit"])
    out["address"] = d.get("address") or "?"
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
    if isinstance(d.get("users"), list) and "count" not in d:
        out["count"] = len(d["users"])
    if "round_id" in d:  # a prize or certificate decision: one round's ranking, or the whole contest's
        out["scope"] = names.link("round", d["round_id"]) if d["round_id"] else _("the whole contest")
    if "award_kind" in d:
        out["award_kind"] = AWARD_KINDS.get(d["award_kind"], d["award_kind"])
    for key in ("created", "updated", "count", "document", "filename", "year", "team", "part", "reason", "points",
                "before", "added", "kept", "revoked", "code", "prize", "name"):
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
