"""The live operations view (organisers and admins) and ``/metrics`` for Prometheus."""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from quizapp.auth.access import public, requires
from quizapp.auth.models import Role
from quizapp.ops import metrics, services

bp = Blueprint("ops", __name__, template_folder="templates")


@bp.app_template_filter("ops_num")
def ops_num(value, digits: int = 1) -> str:
    """A figure as the page's language writes it: '1.234,5' in Vietnamese (ops.js does the same)."""
    from flask_babel import format_decimal

    return format_decimal(value, format="#,##0." + "#" * digits) if value is not None else "–"


@bp.route("/ops")
@requires(Role.ORGANISER)
def live():
    return render_template("ops/live.html", figures=services.live_figures())


@bp.route("/ops/figures")
@requires(Role.ORGANISER)
def figures():
    resp = jsonify(services.live_figures())
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _metrics_allowed() -> bool:
    """A bearer token (METRICS_TOKEN) or an address in METRICS_ALLOW_FROM (addresses or networks)."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    allow = [a.strip() for a in (current_app.config.get("METRICS_ALLOW_FROM") or "").split(",") if a.strip()]
    try:
        addr = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(a, strict=False) for a in allow)


class _LiveCollector:
    """Figures read at scrape time: the queue's depth and each running round's open attempts."""

    def collect(self):
        from quizapp.jobs import queue

        depth = GaugeMetricFamily("quizapp_job_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], queue.queue_depth())
        yield depth
        rounds = services.running_rounds()
        figures = services.round_figures([r.id for r in rounds])
        live = GaugeMetricFamily("quizapp_round_attempts_in_progress", "Entrants with an attempt in progress",
                                 labels=["round"])
        lag = GaugeMetricFamily("quizapp_round_finalize_lag_seconds",
                                "How long the oldest attempt past deadline + grace has stayed open", labels=["round"])
        for rid, f in figures.items():
            live.add_metric([str(rid)], f["in_progress"])
            lag.add_metric([str(rid)], f["finalize_lag_seconds"])
        yield live
        yield lag


@bp.route("/metrics")
@public  # protected by METRICS_TOKEN / METRICS_ALLOW_FROM, not by a login
def prometheus():
    if not _metrics_allowed():
        abort(404)
    extra = CollectorRegistry(auto_describe=False)
    extra.register(_LiveCollector())
    body = generate_latest(metrics.registry()) + generate_latest(extra)
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"})
