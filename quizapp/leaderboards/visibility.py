"""Who may see a contest's results, and finding the round or contest a results page is about.

Owns: the one visibility rule (``results_access`` / ``results_visible`` /
``check_results_access``: organisers see everything; others published contests only, as
``Contest.results_visibility`` says), the results rule (``release``: a round with a
prediction question, or one whose organiser did not choose live results, publishes its
results when it is finalised; until then organisers see the live view marked confidential
and everyone else gets ``ResultsEmbargoed``, i.e. only his own result),
``LoginRequired``, loading the round (with its contest) or contest of a results page, and
the leaderboards' refusals (``service_error``).
Must not: rank, cache rankings or read standings; every results view (boards, unit
ranking, statistics, a manager's people page, one's own place) asks it, never decides itself.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import Role
from quizapp.contests.models import Contest, ContestStatus, PredictionMode, ResultsVisibility, Round
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.leaderboards.cache import cache_for


def service_error(code: str, message, status: int = 400, field_name: str | None = None) -> ServiceError:
    """A refusal with its (lazy) message as text."""
    return ServiceError(code, message_text(message), status, field_name)


class ResultsEmbargoed(ServiceError):
    """The results are published when the round is finalised: until then the viewer
    sees his own result only (the page says so)."""


LIVE, CONFIDENTIAL, EMBARGOED = "live", "confidential", "embargoed"


def round_embargoed(rnd: Round) -> bool:
    """Are this round's public results held back until it is finalised?

    A round with a prediction question always is: its scores (how many perfect papers,
    the 100 % band, the entrant count) are the figure entrants predict. A round without
    one is live unless its organiser chose otherwise (``Round.live_results``)."""
    if rnd.finalized_at is not None:
        return False
    return rnd.prediction_mode != PredictionMode.OFF or not rnd.live_results


def contest_embargoed(contest: Contest, now=None) -> bool:
    """A contest-wide result sums its rounds: it is held back while a round that has opened is."""
    now = now or utcnow()
    return any(round_embargoed(r) and r.opens_at <= now for r in contest.rounds)


def _is_organiser(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.ORGANISER))


def release(subject: Contest | Round, viewer) -> str:
    """The results rule, for every results view, export and API: ``LIVE`` (shown to whoever
    may see the contest's results), ``CONFIDENTIAL`` (not published yet: an organiser's live
    view, marked confidential) or ``EMBARGOED`` (not published yet: the viewer sees his own
    result and "results are published when the round ends")."""
    held = round_embargoed(subject) if isinstance(subject, Round) else contest_embargoed(subject)
    if not held:
        return LIVE
    return CONFIDENTIAL if _is_organiser(viewer) else EMBARGOED


def results_access(contest: Contest | None, user, subject: Contest | Round | None = None) -> str:
    """'ok', or 'login' (the viewer must log in first); raises 404/403 otherwise,
    and ``ResultsEmbargoed`` when the results are not published yet (``release``).

    ``user`` is the viewer (an anonymous user object or None for nobody).
    Organisers see every contest's results; others only published contests,
    as ``Contest.results_visibility`` says. ``subject``: the results about to be shown (a
    round's, or the contest-wide ones); None: only who may see the contest's results at all
    (e.g. the winners the organisers chose to publish).
    """
    access = _access(contest, user)
    if access == "ok" and subject is not None and release(subject, user) == EMBARGOED:
        raise ResultsEmbargoed("results_embargoed", message_text(
            _l("Results are published when the round ends.")), 200)
    return access


def _access(contest: Contest | None, user) -> str:
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    organiser = authenticated and user.has_role(Role.ORGANISER)
    if contest is None or (contest.status != ContestStatus.PUBLISHED and not organiser):
        raise service_error("results_not_found", _l("These results do not exist or are not published."), 404)
    if organiser or contest.results_visibility == ResultsVisibility.PUBLIC:
        return "ok"
    if not authenticated:
        return "login"
    if contest.results_visibility == ResultsVisibility.LOGGED_IN:
        return "ok"
    raise service_error("results_organisers_only", _l("The results of this contest are shown to the organisers only."), 403)


def results_visible(contest: Contest | None, viewer, subject: Contest | Round | None = None) -> bool:
    """The one rule for every view of results (leaderboards, unit rankings, statistics,
    a unit manager's people page): may this viewer see scores and ranks now?"""
    try:
        return results_access(contest, viewer, subject) == "ok"
    except ServiceError:
        return False


class LoginRequired(ServiceError):
    """The contest shows its results to logged-in users: the viewer must log in first."""


def check_results_access(contest: Contest | None, viewer, subject: Contest | Round | None = None) -> None:
    if results_access(contest, viewer, subject) == "login":
        raise LoginRequired("login_required", message_text(_l("Please log in to see these results.")), 401)


def viewer_id(viewer) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


def get_round(round_id: int, *, recent: bool = False) -> Round:
    """The round with its contest.

    ``recent``: for the public results pages, which need it on every view. A copy this process
    read less than ``LEADERBOARD_RECHECK_SECONDS`` (0.25 s) ago is attached to the session
    without a query (``merge(load=False)``), so an edit of the round or contest (its visibility
    included) reaches these pages at most that much later. Never for what changes or ranks.
    """
    cache = cache_for(current_app) if recent else None
    if cache is not None:
        held = cache.held(f"orm:round:{round_id}")
        if held is not None:
            return db.session.merge(held, load=False)
    rnd = db.session.get(Round, round_id, options=[sa.orm.joinedload(Round.contest)])
    if rnd is None:
        raise service_error("results_not_found", _l("These results do not exist or are not published."), 404)
    if cache is not None and cache.recheck_for:
        cache.hold(f"orm:round:{round_id}", _detached_copy(rnd))
    return rnd


def _detached_copy(obj):
    """A copy of a freshly loaded object (and what it has loaded) belonging to no session."""
    scratch = sa.orm.Session()
    try:
        copy = scratch.merge(obj, load=False)
        scratch.expunge_all()
        return copy
    finally:
        scratch.close()


def get_contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise service_error("results_not_found", _l("These results do not exist or are not published."), 404)
    return contest
