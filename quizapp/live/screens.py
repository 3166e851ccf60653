"""The presenter screen (projector), the MC console and the judges' console; results and export.

The presenter and the MC are organisers; a judge is any account the organiser named a judge of the
event.  Controls are JSON POSTs with the CSRF token in ``X-CSRFToken``; the answer key goes only to
the MC console (``/key``), never into the presenter page or the stream before the reveal.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from quizapp.audit import sentences
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.core.arrival import arrival_time
from quizapp.core.errors import ServiceError
from quizapp.live import audience, builder, certificates, play, results, state
from quizapp.live.forms import CorrectionForm
from quizapp.live.models import PartKind, ScoreKind
from quizapp.live.views import _event, bp, public_base, qr_data_uri

CONTROLS = {
    "next": lambda e, now, uid, body: play.next_step(e, now, uid),
    "reveal": lambda e, now, uid, body: play.reveal(e, now, uid),
    "scoreboard": lambda e, now, uid, body: play.show_scoreboard(e),
    "close": lambda e, now, uid, body: play.close(e, now, uid),
    "pause": lambda e, now, uid, body: play.pause(e, now, uid),
    "resume": lambda e, now, uid, body: play.resume(e, now, uid),
    "skip": lambda e, now, uid, body: play.skip_to_reserve(e, now, uid, body.get("reason") or ""),
    "tiebreak": lambda e, now, uid, body: play.open_tiebreak(e, now, uid),
    "finish": lambda e, now, uid, body: play.finish(e, uid),
    "stage": lambda e, now, uid, body: play.set_stage_team(e, _int(body.get("team_id"))),
}
KIND_LABELS = {
    ScoreKind.ANSWER: _l("Right answer"), ScoreKind.SPEED: _l("Speed bonus"), ScoreKind.BUZZER: _l("Buzzer mark"),
    ScoreKind.TIEBREAK: _l("Tie-break"), ScoreKind.CORRECTION: _l("Correction"),
}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


@bp.route("/live/events/<int:event_id>/presenter")
@requires(Role.ORGANISER)
def presenter(event_id: int):
    event = _event(event_id)
    audience_url = f"{public_base()}{url_for('live.audience', code=event.audience_code)}"
    return render_template("live/presenter.html", event=event, audience_url=audience_url,
                           audience_qr=qr_data_uri(audience_url, scale=8))


@bp.route("/live/events/<int:event_id>/mc")
@requires(Role.ORGANISER)
def mc(event_id: int):
    event = _event(event_id)
    form = CorrectionForm(prefix="fix")
    form.team_id.choices = [(t.id, t.name) for t in event.teams]
    form.item_id.choices = [(i.id, f"{p.title} – {_('question')} {n}")
                            for p in event.parts for n, i in enumerate(p.items, start=1) if i.opened_at]
    return render_template("live/mc.html", event=event, form=form)


@bp.route("/live/events/<int:event_id>/control", methods=["POST"])
@requires(Role.ORGANISER)
def control(event_id: int):
    """The presenter's keys and the MC's buttons: ``{"action": "next" | "reveal" | ...}``."""
    event = _event(event_id)
    body = _body()
    action = CONTROLS.get(str(body.get("action")))
    if action is None:
        raise ServiceError("action", _("Unknown action."), 400)
    action(event, arrival_time(), current_user.id, body)
    return jsonify({"ok": True})


@bp.route("/live/events/<int:event_id>/key")
@requires(Role.ORGANISER)
def key(event_id: int):
    """The right answer of the question on screen, for the MC console only."""
    event = _event(event_id)
    item = play._item(event)
    if item is None or item.question is None:
        return jsonify({"item_id": None, "key": []})
    return jsonify({"item_id": item.id, "key": sorted(item.question.correct_option_ids)})


@bp.route("/live/events/<int:event_id>/mark", methods=["POST"])
@requires(Role.ORGANISER)
def mark(event_id: int):
    event = _event(event_id)
    body = _body()
    play.mark_buzz(event, _int(body.get("team_id")), str(body.get("right")).lower() in ("1", "true", "yes"),
                   current_user.id)
    return jsonify({"ok": True})


@bp.route("/live/events/<int:event_id>/correct", methods=["POST"])
@requires(Role.ORGANISER)
def correct(event_id: int):
    event = _event(event_id)
    body = _body()
    prefix = "fix-" if "fix-team_id" in body else ""
    try:
        play.correct(event, _int(body.get(prefix + "team_id")), _int(body.get(prefix + "item_id")),
                     str(body.get(prefix + "points", "")).replace(",", "."), body.get(prefix + "reason") or "",
                     current_user.id)
    except ServiceError as exc:
        if request.is_json:
            raise
        flash(exc.message, "error")
        return redirect(url_for("live.mc", event_id=event.id) + "#fix")
    if request.is_json:
        return jsonify({"ok": True})
    flash(_("The correction is on the record."), "success")
    return redirect(url_for("live.mc", event_id=event.id) + "#fix")


@bp.route("/live/events/<int:event_id>/state")
@requires(Role.ORGANISER)
def state_json(event_id: int):
    event = _event(event_id)
    return current_app.response_class(state.snapshot_json(event), mimetype="application/json")


# --- judges ----------------------------------------------------------------------------------------

@bp.route("/live/events/<int:event_id>/judge", methods=["GET", "POST"])
@requires(Role.PARTICIPANT)
def judge(event_id: int):
    event = _event(event_id)
    me = builder.judge_for(event, current_user.id)
    if me is None:
        abort(403)
    parts = [p for p in event.parts if p.kind == PartKind.JUDGED]
    if request.method == "POST":
        part_id, team_id = _int(request.form.get("part_id")), _int(request.form.get("team_id"))
        part = next((p for p in parts if p.id == part_id), None)
        raw = [request.form.get(f"score_{n}", "") for n in range(1, len(part.rubric) + 1)] if part else []
        try:
            play.score_team(event, me, part_id, team_id, raw, current_user.id)
        except ServiceError as exc:
            flash(exc.message, "error")
            return render_template("live/judge.html", event=event, parts=parts, sheets=_my_sheets(me),
                                   posted=request.form, error_field=exc.field), 422
        flash(_("Your scores for %(team)s were saved.", team=next((t.name for t in event.teams if t.id == team_id), "")),
              "success")
        return redirect(url_for("live.judge", event_id=event.id, team=request.form.get("next_team") or team_id))
    return render_template("live/judge.html", event=event, parts=parts, sheets=_my_sheets(me), posted=None,
                           error_field=None)


def _my_sheets(me) -> dict:
    import sqlalchemy as sa

    from quizapp.core.db import db
    from quizapp.live.models import LiveJudgeScore

    return {(s.part_id, s.team_id): s for s in db.session.scalars(
        sa.select(LiveJudgeScore).where(LiveJudgeScore.judge_id == me.id))}


# --- results -------------------------------------------------------------------------------------

@bp.route("/live/events/<int:event_id>/results")
@requires(Role.ORGANISER)
def results_page(event_id: int):
    event = _event(event_id)
    rows = results.standings(event)
    log = results.audit_entries(event)
    return render_template("live/results.html", event=event, rows=rows, units=results.by_unit(event, rows),
                           sheets=results.judge_sheets(event), ledger=results.ledger(event),
                           teams={t.id: t.name for t in event.teams}, parts={p.id: p.title for p in event.parts},
                           kind_labels=KIND_LABELS, log=sentences.describe(log),
                           part_prizes=results.part_prizes(event, rows), audience_prizes=audience.records(event),
                           certificates=certificates.issued(event.id), certificate_code=certificates.code_of)


@bp.route("/live/events/<int:event_id>/results.xlsx")
@requires(Role.ORGANISER)
def results_xlsx(event_id: int):
    event = _event(event_id)
    labels = {
        "ranking": _("Ranking"), "units": _("Units"), "judges": _("Judges"), "ledger": _("Score record"),
        "place": _("Place"), "team": _("Team"), "members": _("Members"), "total": _("Total"), "unit": _("Unit"),
        "part": _("Part"), "judge": _("Judge"), "scores": _("Criteria"), "time": _("Time"), "kind": _("Kind"),
        "points": _("Points"), "reason": _("Reason"), "voided": _("Voided at"),
        "part_prizes": _("Prizes of the parts"), "prize": _("Prize"), "best": _("Points (votes in a poll)"),
        "no_winner": _("Not awarded (no team scored)"),
        "audience_prizes": _("Audience prizes"), "question_no": _("Question no."), "question": _("Question"),
        "prize_no": _("Prize no."), "ticket": _("Ticket no."), "seconds": _("Seconds after the opening"),
        "no_audience_winner": _("No audience phone answered right."),
        "kinds": {k: str(v) for k, v in KIND_LABELS.items()},
        "tz": ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]),
    }
    data = results.workbook(event, labels)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="hoi-thi-{event.id}.xlsx"'})


@bp.route("/live/events/<int:event_id>/certificates", methods=["POST"])
@requires(Role.ORGANISER)
def certificates_job(event_id: int):
    """Issue the certificates of the published results (kept as issued when unchanged), then start the
    job that draws every one in force, and show its page."""
    from quizapp import jobs
    from quizapp.live.tasks import CERTIFICATES_JOB

    event = _event(event_id)
    try:
        certificates.issue(event, current_user.id, request.form.get("reason", ""))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("live.results_page", event_id=event.id) + "#certificates")
    job = jobs.start_job(CERTIFICATES_JOB, current_user.id, {"event_id": event.id, "base_url": public_base()})
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/live/events/<int:event_id>/certificates/revoke", methods=["POST"])
@requires(Role.ORGANISER)
def certificate_revoke(event_id: int):
    """Take one certificate back, with a reason (it stays on record; /verify says it was revoked)."""
    event = _event(event_id)
    try:
        cert = certificates.revoke(event, _int(request.form.get("certificate_id")), request.form.get("reason", ""),
                                   current_user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("live.results_page", event_id=event.id) + "#certificates")
    flash(_("The certificate %(code)s has been revoked.", code=certificates.code_of(cert.id)), "success")
    return redirect(url_for("live.results_page", event_id=event.id) + "#certificates")


@bp.route("/live/events/<int:event_id>/publish", methods=["POST"])
@requires(Role.ORGANISER)
def publish(event_id: int):
    event = _event(event_id)
    builder.publish_results(event, request.form.get("publish") == "1", current_user.id)
    flash(_("Saved."), "success")
    return redirect(url_for("live.results_page", event_id=event.id))

