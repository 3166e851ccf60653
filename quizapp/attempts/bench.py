"""Benchmark-only baselines, registered only when ``BENCH_ENDPOINTS`` is true
(``QUIZAPP_BENCH=1``; ProductionConfig forces it off).

They run through the same app, middleware and pipeline as real requests, so
bench/bench_attempts.py can express the contest engine's figures as ratios to
them.  The ``bench_rows`` table is created by the benchmark in its own
throwaway database; it is not part of the schema.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from quizapp.auth.access import public
from quizapp.core.db import db, utcnow

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.route("/bare")
@public
def bare():
    return jsonify(ok=True)


@bp.route("/insert", methods=["POST"])
@public
def insert():
    # One INSERT; the request pipeline commits, as for every real request.
    db.session.execute(sa.text("INSERT INTO bench_rows (created_at) VALUES (:t)"), {"t": utcnow()})
    return jsonify(ok=True)
