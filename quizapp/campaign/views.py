"""Campaign pages: share cards and short links, posters, prizes and certificates, verify, the entrant's
certificates; the periodic reports' pages are in ``report_views`` (same blueprint)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from quizapp import jobs
from quizapp.auth.access import public, require_unit_scope, requires
from quizapp.auth.models import Role
from quizapp.campaign import cards, certificates, posters, print_settings, render, tasks, verification
from quizapp.campaign import awards as award_list
from quizapp.campaign import links as short_links
from quizapp.campaign import prizes as prize_rules
from quizapp.campaign.forms import FinishersForm, PrizesForm, PublishForm, RevokeForm, SettingsForm
from quizapp.campaign.models import ArrivalKind, AwardKind, CampaignSettings
from quizapp.contests import catalogue
from quizapp.contests import contests
from quizapp.contests.models import Contest, ContestStatus, Round
from quizapp.core.db import db, utcnow
from quizapp.core.downloads import download_response
from quizapp.core.errors import ServiceError
from quizapp.jobs.models import Job
from quizapp.core.urls import external_path, external_url, public_base_url
from quizapp.extensions import limiter
from quizapp.units import services as units
from quizapp.units.models import Unit

bp = Blueprint("campaign", __name__, template_folder="templates")

SESSION_TAG = "campaign_tag"
# Endpoints after which a tagged visitor's registration / attempt start is recorded.
REGISTER_ENDPOINT = "auth.register"
START_ENDPOINTS = ("attempts.start",)


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _base_url() -> str:
    return public_base_url()


def _visible_contest(slug: str) -> Contest:
    contest = contests.get_contest_by_slug(slug)
    if contest is None or not catalogue.can_view(contest, _viewer()):
        abort(404)
    return contest


# --- where visitors came from -------------------------------------------------------------------

@bp.before_app_request
def _remember_tag():
    """A visit to a contest page with ``?u=TAG`` remembers the tag for this browser session."""
    if request.method != "GET" or request.endpoint != "contests.public_detail" or "u" not in request.args:
        return None
    tag = short_links.clean_tag(request.args.get("u"))
    slug = (request.view_args or {}).get("slug")
    contest_id = db.session.scalar(sa.select(Contest.id).where(Contest.slug == slug)) if slug and tag else None
    if contest_id:
        session[SESSION_TAG] = [contest_id, tag]
    return None


@bp.after_app_request
def _record_arrival(response):
    """Record a registration or an attempt start that followed a tagged link, in a savepoint: the
    request pipeline commits it with the request's own work, and a failure here never undoes that."""
    remembered = session.get(SESSION_TAG)
    if not remembered or request.method != "POST" or response.status_code not in (302, 303):
        return response
    endpoint = request.endpoint
    if endpoint != REGISTER_ENDPOINT and endpoint not in START_ENDPOINTS:
        return response
    try:
        contest_id, tag = int(remembered[0]), short_links.clean_tag(str(remembered[1]))
        if tag is None:
            return response
        # Registering does not log in (the answer never says whether an account was created):
        # the register view leaves the new account's id in g.
        user_id = g.get("registered_user_id") if endpoint == REGISTER_ENDPOINT else (
            current_user.id if current_user.is_authenticated else None)
        if user_id is None:
            return response
        with db.session.begin_nested():
            if endpoint == REGISTER_ENDPOINT:
                short_links.record_arrival(contest_id, tag, ArrivalKind.REGISTRATION, user_id)
            else:
                round_id = (request.view_args or {}).get("round_id")
                rnd = db.session.get(Round, round_id) if round_id else None
                if rnd is None or rnd.contest_id != contest_id:
                    return response
                short_links.record_arrival(contest_id, tag, ArrivalKind.ATTEMPT, user_id, rnd.id)
    except sa.exc.IntegrityError:  # a concurrent request recorded this arrival first: once is enough
        pass
    except (sa.exc.SQLAlchemyError, ValueError, TypeError):  # pragma: no cover - a stored tag or the database
        # failing must not fail the visitor's request; anything else is a bug and surfaces
        current_app.logger.exception("campaign: could not record an arrival")
    return response


# --- share cards and short links ------------------------------------------------------------------

def _changed_at(contest: Contest):
    stamps = [contest.updated_at] + [r.updated_at for r in contest.rounds]
    found = db.session.get(CampaignSettings, contest.id)
    if found is not None:
        stamps.append(found.updated_at)
    return max(s for s in stamps if s is not None)


def _short_url(contest: Contest) -> str:
    return external_url("campaign.short_link", short=short_links.short_code(contest.id))


@bp.app_template_global()
def campaign_share(contest: Contest, rnd: Round | None = None) -> dict:
    """What the meta tags and the share block need (see _meta.html, _share.html)."""
    from quizapp.leaderboards.cache import cache_for

    page = external_url("contests.public_detail", slug=contest.slug)
    # Ranking pages are hot: the card's fingerprint (rounds, settings) is cached for 30 s per
    # contest version, so an edit of the contest itself shows at once, of a round within 30 s.
    version = cache_for(current_app).get_or_compute(
        f"campaign:card:{contest.id}:{contest.updated_at.timestamp()}",
        lambda: cards.fingerprint(cards.card_facts(contest, print_settings.settings_for(contest.id).organiser,
                                                   _short_url(contest)), _changed_at(contest)), fresh_for=30)
    card = external_url("campaign.card", slug=contest.slug, v=version)
    description = " ".join((contest.description or "").split())[:200] or _(
        "Online contest on administrative reform: take part from your phone.")
    title = f"{rnd.title} · {contest.title}" if rnd is not None else contest.title
    tagged = lambda tag: f"{page}?u={tag}"  # noqa: E731
    return {
        "title": title, "description": description, "canonical": external_path(request.path) if rnd is not None else page,
        "image": card, "short": _short_url(contest), "link": tagged("link"),
        "zalo": "https://zalo.me/share?url=" + quote(tagged("zalo"), safe=""),
        "facebook": "https://www.facebook.com/sharer/sharer.php?u=" + quote(tagged("facebook"), safe=""),
    }


@bp.route("/c/<short>")
@public
def short_link(short: str):
    contest_id = short_links.contest_id_from_code(short)
    contest = db.session.get(Contest, contest_id) if contest_id else None
    if contest is None or not catalogue.can_view(contest, _viewer()):
        abort(404)
    tag = short_links.clean_tag(request.args.get("u"))
    return redirect(url_for("contests.public_detail", slug=contest.slug, **({"u": tag} if tag else {})), 302)


@bp.route("/contests/<slug>/card.png")
@public
def card(slug: str):
    contest = _visible_contest(slug)
    path = cards.cached_card(contest, print_settings.settings_for(contest.id).organiser, _short_url(contest),
                             Path(current_app.instance_path) / "campaign" / "cards", _changed_at(contest))
    resp = send_file(path, mimetype="image/png", max_age=86400)
    return resp


# --- organisers' campaign page ------------------------------------------------------------------------

def _round_choices(contest: Contest, with_contest: bool = True) -> list[tuple[str, str]]:
    choices = [("", _("Whole contest (overall ranking)"))] if with_contest else []
    return choices + [(str(r.id), r.title) for r in contest.rounds]


def _tiers_of(awards) -> str:
    """The tiers text that gave ``awards`` (in force, one ranking), e.g. "Giải Nhất: 1\nGiải Nhì: 2"."""
    counts: dict[str, int] = {}
    for a in sorted(awards, key=lambda a: a.position):
        counts[a.prize] = counts.get(a.prize, 0) + 1
    return "\n".join(f"{prize}: {n}" for prize, n in counts.items())


def _prizes_form(contest: Contest, awards) -> PrizesForm:
    """The prize form as last used: the ranking and kind of the last marking (or of the query's
    ``round_id``/``kind``), its tiers as they were given, so marking again starts from them."""
    form = PrizesForm()
    in_force = [a for a in awards if a.revoked_at is None]
    round_arg, kind_arg = request.args.get("round_id"), request.args.get("kind")
    if round_arg is None and in_force:
        last = max(in_force, key=lambda a: (a.created_at, a.id))
        round_arg, kind_arg = str(last.round_id or ""), last.kind.value
    if round_arg is not None:
        form.round_id.data = round_arg
        form.kind.data = kind_arg if kind_arg in {k.value for k in (AwardKind.INDIVIDUAL, AwardKind.UNIT)} else "individual"
        scope = [a for a in in_force if str(a.round_id or "") == round_arg and a.kind.value == form.kind.data]
        if scope:
            form.tiers.data = _tiers_of(scope)
    return form


def _campaign_page(contest: Contest, status: int = 200, settings_form=None, prizes_form=None, finishers_form=None):
    from quizapp.units import confirmations

    settings = print_settings.settings_for(contest.id)
    if settings_form is None:
        settings_form = SettingsForm(obj=settings)
    awards = award_list.prize_awards(contest.id, with_revoked=True)
    prizes_form = prizes_form or _prizes_form(contest, awards)
    prizes_form.round_id.choices = _round_choices(contest)
    finishers_form = finishers_form or FinishersForm()
    finishers_form.round_id.choices = _round_choices(contest)
    titles = {r.id: r.title for r in contest.rounds}
    total_certificates = certificates.count_certificates(contest.id)
    return render_template(
        "campaign/manage.html", contest=contest, settings_form=settings_form, prizes_form=prizes_form,
        finishers_form=finishers_form, publish_form=PublishForm(), revoke_form=RevokeForm(), awards=awards,
        titles=titles, counts=prize_rules.award_counts(contest.id), channels=short_links.channel_report(contest.id),
        published=award_list.winners_published(contest.id), unit_choices=units.choice_labels(),
        total_certificates=total_certificates, certificates_inline=tasks.certificates_fit_inline(total_certificates),
        code=verification.verification_code, now=utcnow(),
        confirmation_flags=confirmations.flags_for(contest.rounds),  # shown before "Xét giải"
    ), status


@bp.route("/admin/contests/<int:contest_id>/campaign")
@requires(Role.ORGANISER)
def manage(contest_id: int):
    return _campaign_page(db.get_or_404(Contest, contest_id))


@bp.route("/admin/contests/<int:contest_id>/campaign/settings", methods=["POST"])
@requires(Role.ORGANISER)
def save_settings(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _campaign_page(contest, 422, settings_form=form)
    try:
        print_settings.save_settings(contest.id, form.data)
    except ServiceError as exc:
        getattr(form, exc.field).errors.append(exc.message)
        return _campaign_page(contest, exc.status, settings_form=form)
    flash(_("The print settings have been saved."), "success")
    return redirect(url_for("campaign.manage", contest_id=contest.id))


def _round_arg(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


def _award_post(contest_id: int, form_class, page_arg: str, mark, message, target):
    """The prize and finisher forms: validate, call the service, show a refusal beside its field;
    ``target(form)`` is where the page goes back to after a success."""
    contest = db.get_or_404(Contest, contest_id)
    form = form_class()
    form.round_id.choices = _round_choices(contest)
    if not form.validate_on_submit():
        return _campaign_page(contest, 422, **{page_arg: form})
    try:
        outcome = mark(contest, form)
    except ServiceError as exc:
        (getattr(form, exc.field or "", None) or form.round_id).errors.append(exc.message)
        return _campaign_page(contest, exc.status, **{page_arg: form})
    if not isinstance(outcome, (int, prize_rules.Marking)):  # the work went to a job: its page
        return outcome
    flash(message(outcome), "success")
    return redirect(target(contest, form))


@bp.route("/admin/contests/<int:contest_id>/campaign/prizes", methods=["POST"])
@requires(Role.ORGANISER)
def mark_prizes(contest_id: int):
    return _award_post(
        contest_id, PrizesForm, "prizes_form",
        lambda contest, form: prize_rules.mark_prizes(contest, _round_arg(form.round_id.data), AwardKind(form.kind.data),
                                                   form.tiers.data, current_user._get_current_object(),
                                                   form.reason.data or ""),
        lambda m: _("%(n)d prizes have been marked.", n=m.total) + (
            " " + _("%(added)d new certificates, %(kept)d kept as issued, %(revoked)d revoked.",
                    added=m.added, kept=m.kept, revoked=m.revoked) if m.kept or m.revoked else ""),
        lambda contest, form: url_for("campaign.manage", contest_id=contest.id, round_id=form.round_id.data or "",
                                      kind=form.kind.data) + "#prizes")


@bp.route("/admin/contests/<int:contest_id>/campaign/awards/<int:award_id>/revoke", methods=["POST"])
@requires(Role.ORGANISER)
def revoke(contest_id: int, award_id: int):
    """Take one certificate back, with a reason (it stays on record; /verify says it was revoked)."""
    contest = db.get_or_404(Contest, contest_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Write the reason for revoking the certificate."), "error")
        return redirect(url_for("campaign.manage", contest_id=contest.id) + "#prizes")
    try:
        award = prize_rules.revoke_award(contest, award_id, form.reason.data, current_user._get_current_object())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("campaign.manage", contest_id=contest.id) + "#prizes")
    flash(_("The certificate %(code)s has been revoked.", code=verification.verification_code(award.id)), "success")
    return redirect(url_for("campaign.manage", contest_id=contest.id) + "#prizes")


@bp.route("/admin/contests/<int:contest_id>/campaign/finishers", methods=["POST"])
@requires(Role.ORGANISER)
def give_finishers(contest_id: int):
    return _award_post(
        contest_id, FinishersForm, "finishers_form",
        lambda contest, form: _finishers(contest, _round_arg(form.round_id.data), form.prize.data),
        lambda n: _("%(n)d certificates of completion have been issued.", n=n),
        lambda contest, form: url_for("campaign.manage", contest_id=contest.id) + "#certificates")


def _finishers(contest: Contest, round_id: int | None, prize: str):
    """Certificates of completion while the organiser waits, or a job's page (``tasks.finishers_or_job``)."""
    outcome = tasks.finishers_or_job(contest, round_id, current_user.id, prize)
    if isinstance(outcome, Job):
        return redirect(url_for("jobs.show", job_id=outcome.id), 303)
    return outcome


@bp.route("/admin/contests/<int:contest_id>/campaign/publish", methods=["POST"])
@requires(Role.ORGANISER)
def publish(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    prize_rules.publish_winners(contest.id, current_user.id, form.publish.data == "1")
    flash(_("The winners list is published.") if form.publish.data == "1" else _("The winners list is hidden."),
          "success")
    return redirect(url_for("campaign.manage", contest_id=contest.id) + "#prizes")


@bp.route("/admin/contests/<int:contest_id>/certificates.zip")
@requires(Role.ORGANISER)
def certificates_zip(contest_id: int):
    """A small batch while the organiser waits; a large one is built by a job (``certificates_job``)."""
    contest = db.get_or_404(Contest, contest_id)
    round_id = request.args.get("round", type=int)
    outcome = tasks.certificates_zip_now(contest.id, round_id, _base_url(), current_user.id)
    if isinstance(outcome, jobs.JobNeeded):
        flash(_("%(n)d certificates are too many to build while you wait: build the ZIP in the background.",
                n=outcome.size), "error")
        return redirect(url_for("campaign.manage", contest_id=contest.id) + "#certificates")
    data, filename, _count = outcome
    return download_response(data, filename, "application/zip")


@bp.route("/admin/contests/<int:contest_id>/certificates/job", methods=["POST"])
@requires(Role.ORGANISER)
def certificates_job(contest_id: int):
    """Start the job that writes the ZIP of every certificate, and show its page."""
    contest = db.get_or_404(Contest, contest_id)
    round_id = request.form.get("round", type=int)
    if round_id is not None:
        prize_rules.round_of(contest, round_id)  # 404 for a round of another contest
    job = jobs.start_job(tasks.CERTIFICATES_JOB, current_user.id,
                         {"contest_id": contest.id, "round_id": round_id, "base_url": _base_url(),
                          "actor_id": current_user.id})
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/admin/awards/<int:award_id>/certificate.pdf")
@requires(Role.ORGANISER)
def award_certificate(award_id: int):
    award = award_list.get_award_for(award_id, current_user)
    return download_response(certificates.certificate_for(award, _base_url()), certificates.filename_for(award),
                     "application/pdf")


# --- posters ----------------------------------------------------------------------------------------

@bp.route("/admin/contests/<int:contest_id>/poster.pdf")
@requires(Role.UNIT_MANAGER)
def poster(contest_id: int):
    """A4 or A3; with ``unit`` the QR code carries that unit's tag (unit managers: their subtree)."""
    contest = db.get_or_404(Contest, contest_id)
    size = request.args.get("size", "A4").upper()
    if size not in posters.SIZES:
        abort(404)
    unit_id = request.args.get("unit", type=int)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    if unit is None and not current_user.has_role(Role.ORGANISER):
        unit = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None  # his own unit's
        if unit is None:
            abort(403)
    if unit is not None:
        require_unit_scope(unit.id)
    if contest.status != ContestStatus.PUBLISHED and not current_user.has_role(Role.ORGANISER):
        abort(404)
    tag = unit.code if unit is not None else "poster"
    opens, closes = print_settings.contest_period(contest)
    data = posters.poster_pdf(
        title=contest.title, dates=f"{render.date_text(opens)} – {render.date_text(closes)}" if opens else "",
        organiser=print_settings.settings_for(contest.id).organiser,
        url=external_url("contests.public_detail", slug=contest.slug, u=tag),
        short_url=_short_url(contest).split("://", 1)[-1], size=size, unit_name=unit.name if unit else "")
    return download_response(data, f"ap-phich-{contest.slug}-{tag.lower()}-{size}.pdf", "application/pdf")


# --- public: verify, winners ------------------------------------------------------------------------

def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT") or "60 per minute"


@bp.route("/verify/<vcode>")
@public
@limiter.limit(_verify_limit, scope="verify")
def verify(vcode: str):
    """Any certificate's code: a campaign award's, or a registered kind's (a live event's,
    ``verification``); anything else, forged or unknown, is the same 404 page."""
    found = verification.resolve(vcode[:40])
    if found is not None:
        return render_template(found.template, **found.context)
    award = verification.award_by_code(vcode[:40])
    if award is None:
        return render_template("campaign/verify.html", award=None, code=vcode[:40]), 404
    contest = db.session.get(Contest, award.contest_id)
    return render_template("campaign/verify.html", award=award, code=verification.verification_code(award.id),
                           achievement=award_list.achievement(award, contest.title, award_list.award_scope_title(award)))


@bp.route("/contests/<slug>/winners")
@public
def winners(slug: str):
    from quizapp.leaderboards import visibility

    contest = _visible_contest(slug)
    try:
        visibility.check_results_access(contest, _viewer())
    except visibility.LoginRequired:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    titles = {r.id: r.title for r in contest.rounds}
    published = award_list.winners_published(contest.id)
    return render_template("campaign/winners.html", contest=contest, published=published, titles=titles,
                           awards=award_list.prize_awards(contest.id) if published else [])


# --- entrants: their own certificates -------------------------------------------------------------

@bp.app_template_global()
def campaign_my_certificates(contest_id: int | None = None) -> list:
    if not current_user.is_authenticated:
        return []
    return award_list.my_awards(current_user.id, contest_id)


@bp.route("/my/certificates")
@requires(Role.PARTICIPANT)
def my_certificates():
    awards = award_list.my_awards(current_user.id)
    contests_by_id = {c.id: c for c in db.session.scalars(
        sa.select(Contest).where(Contest.id.in_({a.contest_id for a in awards})))} if awards else {}
    return render_template("campaign/my_certificates.html", awards=awards, contests=contests_by_id,
                           titles={r.id: r.title for c in contests_by_id.values() for r in c.rounds})


@bp.route("/my/certificates/<int:award_id>.pdf")
@requires(Role.PARTICIPANT)
def my_certificate(award_id: int):
    award = award_list.get_award_for(award_id, current_user)
    return download_response(certificates.certificate_for(award, _base_url()), certificates.filename_for(award),
                     "application/pdf")


# The periodic reports' pages live in their own module, on this blueprint (Flask's "larger
# applications" pattern: the module registers its routes on ``bp`` when imported here, last).
from quizapp.campaign import report_views  # noqa: E402,F401
