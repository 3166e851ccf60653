"""The event builder's pages (organisers).  The screens are in ``screens.py``, the team and
audience devices and the event stream in ``devices.py``; all three share this blueprint."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from quizapp.core.urls import public_base_url
from quizapp.auth.access import requires
from quizapp.auth.models import Role
from quizapp.bank import editor
from quizapp.core.errors import ServiceError
from quizapp.live import builder, play
from quizapp.live.forms import DrawForm, EventForm, JudgeForm, MembersForm, PartForm, PickForm, TeamForm
from quizapp.live.models import LiveEvent, PartKind
from quizapp.units import services as units

bp = Blueprint("live", __name__, template_folder="templates")


def _event(event_id: int) -> LiveEvent:
    try:
        return builder.get_event(event_id)
    except ServiceError:
        abort(404)


def _back(event: LiveEvent, anchor: str = ""):
    return redirect(url_for("live.manage", event_id=event.id) + (f"#{anchor}" if anchor else ""))


def _flash_error(exc: ServiceError) -> None:
    flash(exc.message, "error")


def public_base() -> str:
    """The address printed in QR codes: PUBLIC_BASE_URL (the request's host only on a dev machine without it)."""
    return public_base_url()


def qr_data_uri(url: str, scale: int = 6) -> str:
    import segno

    return segno.make(url, error="m", micro=False).svg_data_uri(scale=scale, border=2)


def _team_form() -> TeamForm:
    form = TeamForm(prefix="team")
    form.unit_id.choices = [(u.id, label) for u, label in units.choice_labels()]
    return form


def _draw_form(part_id: int) -> DrawForm:
    form = DrawForm(prefix=f"draw{part_id}")
    form.area_id.choices = [(0, _("All areas"))] + [(a.id, f"{a.code} – {a.name}") for a in editor.areas()]
    return form


@bp.route("/live/events", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def index():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = builder.create_event(builder.EventData(form.title.data, form.venue.data or ""), current_user.id)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            from quizapp.core.db import db

            db.session.flush()
            flash(_("The event was created. Add its teams, parts and judges."), "success")
            return redirect(url_for("live.manage", event_id=event.id))
    return render_template("live/index.html", events=builder.events(), form=form), 422 if form.errors else 200


@bp.route("/live/events/<int:event_id>", methods=["GET", "POST"])
@requires(Role.ORGANISER)
def manage(event_id: int):
    event = _event(event_id)
    form = EventForm(obj=event)
    if request.method == "POST" and form.validate_on_submit():
        try:
            builder.update_event(event, builder.EventData(form.title.data, form.venue.data or ""), current_user.id,
                                 publish_judges=form.publish_judges.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            flash(_("Saved."), "success")
            return _back(event)
    base = public_base()
    return render_template(
        "live/manage.html", event=event, form=form, team_form=_team_form(), part_form=PartForm(prefix="part"),
        judge_form=JudgeForm(prefix="judge"), draw_forms={p.id: _draw_form(p.id) for p in event.parts},
        pick_forms={p.id: PickForm(prefix=f"pick{p.id}") for p in event.parts},
        members_forms={t.id: MembersForm(prefix=f"m{t.id}", members="\n".join(t.members)) for t in event.teams},
        audience_url=f"{base}{url_for('live.audience', code=event.audience_code)}", PartKind=PartKind,
        kind_labels=builder.KIND_LABELS), 422 if form.errors else 200


@bp.route("/live/events/<int:event_id>/teams", methods=["POST"])
@requires(Role.ORGANISER)
def team_add(event_id: int):
    event = _event(event_id)
    form = _team_form()
    return _apply(event, "teams", lambda: builder.add_team(event, form.unit_id.data, form.members.data,
                                                           current_user.id, form.name.data),
                  _("The team was added."), form, _("Choose a unit and enter 1–5 members, one name a line."))


@bp.route("/live/events/<int:event_id>/teams/<int:team_id>", methods=["POST"])
@requires(Role.ORGANISER)
def team_update(event_id: int, team_id: int):
    event = _event(event_id)
    team = _or_404(lambda: builder.get_team(event, team_id))
    form = MembersForm(prefix=f"m{team.id}")
    return _apply(event, "teams", lambda: builder.update_team(team, form.members.data, current_user.id),
                  _("The members were saved."), form, _("Enter 1–5 members, one name a line."))


@bp.route("/live/events/<int:event_id>/teams/<int:team_id>/code", methods=["POST"])
@requires(Role.ORGANISER)
def team_code(event_id: int, team_id: int):
    event = _event(event_id)
    team = _or_404(lambda: builder.get_team(event, team_id))
    builder.new_team_code(team, current_user.id)
    flash(_("The team has a new code: devices that joined with the old one must join again."), "success")
    return _back(event, "teams")


@bp.route("/live/events/<int:event_id>/cards")
@requires(Role.ORGANISER)
def cards(event_id: int):
    """Printable team cards: the code and a QR code to the join page."""
    event = _event(event_id)
    base = public_base()
    join = f"{base}{url_for('live.team_join')}"
    cards = [{"team": t, "url": f"{join}?code={t.join_code}", "qr": qr_data_uri(f"{join}?code={t.join_code}")}
             for t in event.teams]
    return render_template("live/cards.html", event=event, cards=cards, join=join)


@bp.route("/live/events/<int:event_id>/parts", methods=["POST"])
@requires(Role.ORGANISER)
def part_add(event_id: int):
    event = _event(event_id)
    form = PartForm(prefix="part")
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return _back(event, "parts")
    try:
        builder.add_part(event, builder.PartData(
            kind=form.kind.data, title=form.title.data or "", seconds=form.seconds.data, points=form.points.data,
            speed_bonus=form.speed_bonus.data or 0, wrong_penalty=form.wrong_penalty.data or 0,
            pass_on=form.pass_on.data, judge_mode=form.judge_mode.data, rubric=form.rubric.data or "",
            poll=form.poll.data, prize_title=form.prize_title.data or "",
            audience_prizes=form.audience_prizes.data), current_user.id)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(_("The part was added."), "success")
    return _back(event, "parts")


@bp.route("/live/events/<int:event_id>/parts/<int:part_id>/move", methods=["POST"])
@requires(Role.ORGANISER)
def part_move(event_id: int, part_id: int):
    event = _event(event_id)
    part = _or_404(lambda: builder.get_part(event, part_id))
    builder.move_part(part, -1 if request.form.get("direction") == "up" else 1)
    return _back(event, "parts")


@bp.route("/live/events/<int:event_id>/parts/<int:part_id>/draw", methods=["POST"])
@requires(Role.ORGANISER)
def part_draw(event_id: int, part_id: int):
    event = _event(event_id)
    part = _or_404(lambda: builder.get_part(event, part_id))
    form = _draw_form(part.id)
    return _apply(event, f"part-{part.id}",
                  lambda: builder.draw_questions(part, form.area_id.data or None, form.difficulty.data or None,
                                                 form.count.data, form.reserve.data, current_user.id),
                  lambda items: _("%(n)s questions were drawn from the bank.", n=len(items)), form,
                  _("Number of questions: draw between 1 and 60 questions."))


@bp.route("/live/events/<int:event_id>/parts/<int:part_id>/pick", methods=["POST"])
@requires(Role.ORGANISER)
def part_pick(event_id: int, part_id: int):
    event = _event(event_id)
    part = _or_404(lambda: builder.get_part(event, part_id))
    form = PickForm(prefix=f"pick{part.id}")
    return _apply(event, f"part-{part.id}",
                  lambda: builder.pick_questions(part, form.question_ids.data, form.reserve.data, current_user.id),
                  lambda items: _("%(n)s questions were added.", n=len(items)), form,
                  _("Enter the question numbers, separated by spaces or commas."))


@bp.route("/live/events/<int:event_id>/parts/<int:part_id>/poll", methods=["POST"])
@requires(Role.ORGANISER)
def part_poll(event_id: int, part_id: int):
    event = _event(event_id)
    part = _or_404(lambda: builder.get_part(event, part_id))
    return _apply(event, f"part-{part.id}", lambda: builder.add_poll(part, current_user.id), _("A poll was added."))


@bp.route("/live/events/<int:event_id>/items/<int:item_id>/delete", methods=["POST"])
@requires(Role.ORGANISER)
def item_delete(event_id: int, item_id: int):
    event = _event(event_id)
    item = _or_404(lambda: builder.get_item(event, item_id))
    return _apply(event, "parts", lambda: builder.remove_item(item, current_user.id))


@bp.route("/live/events/<int:event_id>/judges", methods=["POST"])
@requires(Role.ORGANISER)
def judge_add(event_id: int):
    event = _event(event_id)
    form = JudgeForm(prefix="judge")
    return _apply(event, "judges", lambda: builder.add_judge(event, form.login.data, current_user.id),
                  _("The judge was added."), form, _("Enter the judge's phone number or e-mail."))


@bp.route("/live/events/<int:event_id>/judges/<int:judge_id>/delete", methods=["POST"])
@requires(Role.ORGANISER)
def judge_delete(event_id: int, judge_id: int):
    event = _event(event_id)
    try:
        builder.remove_judge(event, judge_id, current_user.id)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        _flash_error(exc)
    return _back(event, "judges")


@bp.route("/live/events/<int:event_id>/start", methods=["POST"])
@requires(Role.ORGANISER)
def start(event_id: int):
    event = _event(event_id)
    try:
        play.start(event, current_user.id)
    except ServiceError as exc:
        _flash_error(exc)
        return _back(event)
    return redirect(url_for("live.mc", event_id=event.id))


def _apply(event: LiveEvent, anchor: str, action, done=None, form=None, invalid: str | None = None):
    """The builder's POST handlers: a form that does not validate flashes ``invalid``; else the
    service ``action()`` runs, its refusal is flashed, or ``done`` (a message, or a function of the
    action's result giving one); back to ``anchor`` of the event's page in every case."""
    if form is not None and not form.validate_on_submit():
        flash(invalid, "error")
        return _back(event, anchor)
    try:
        result = action()
    except ServiceError as exc:
        _flash_error(exc)
    else:
        if done is not None:
            flash(done(result) if callable(done) else done, "success")
    return _back(event, anchor)


def _or_404(fetch):
    try:
        return fetch()
    except ServiceError:
        abort(404)


from quizapp.live import devices, screens  # noqa: E402,F401  (their routes join this blueprint)
