"""quizapp: online knowledge contests on administrative reform."""
from __future__ import annotations

import os

from flask import Flask

import config as config_module


def create_app(config: str | type | dict | None = None) -> Flask:
    """Application factory.

    ``config`` is a config name (``development``, ``testing``, ``production``),
    a config class, or a dict of overrides applied on top of the class chosen
    by ``QUIZAPP_CONFIG``.  The schema is never created here: run
    ``flask db upgrade`` before starting the app.
    """
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR), instance_relative_config=True)

    overrides: dict = {}
    if isinstance(config, dict):
        overrides = config
        config = None
    if config is None:
        config = os.environ.get("QUIZAPP_CONFIG", "development")
    cfg = config_module.CONFIGS[config] if isinstance(config, str) else config
    if hasattr(cfg, "validate"):
        cfg.validate()
    app.config.from_object(cfg)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if hasattr(cfg, "validate"):
        # Values set in the environment after config.py was imported (tests, wsgi wrappers).
        for key in ("PUBLIC_BASE_URL", "PROXY_SECRET"):
            if not app.config.get(key) and os.environ.get(key) and key not in overrides:
                app.config[key] = os.environ[key].strip().rstrip("/") if key == "PUBLIC_BASE_URL" else os.environ[key]
    from quizapp.core import proxy, urls

    # Behind a reverse proxy: the client address (rate limits) and scheme come from the last
    # ``hops`` X-Forwarded-* values, believed only with the proxy's secret; with 0 none is.
    proxy.wrap(app)
    urls.init_app(app)
    # JSON in UTF-8 rather than \uXXXX escapes: Vietnamese text is a third
    # smaller on the wire (phones on poor connections) and cheaper to encode.
    app.json.ensure_ascii = False

    from quizapp import extensions
    from quizapp.core import errors, i18n, inputs, pipeline, security

    _import_models()
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(config_module.BASE_DIR / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    from quizapp.ops import metrics

    metrics.init_app(app)  # before the pipeline: its after_request runs last, after the COMMIT
    pipeline.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)

    from quizapp.auth import views as auth_views

    auth_views.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    from quizapp import jobs

    jobs.init_app(app)
    return app


def _import_models() -> None:
    """Import every capability's models so the metadata (and Alembic) sees them all."""
    from quizapp.attempts import models as _attempts  # noqa: F401
    from quizapp.core import audit as _audit  # noqa: F401
    from quizapp.auth import models as _auth  # noqa: F401
    from quizapp.campaign import models as _campaign  # noqa: F401
    from quizapp.bank import models as _bank  # noqa: F401
    from quizapp.contests import models as _contests  # noqa: F401
    from quizapp.itemstats import models as _itemstats  # noqa: F401
    from quizapp.jobs import models as _jobs  # noqa: F401
    from quizapp.leaderboards import models as _leaderboards  # noqa: F401
    from quizapp.plans import models as _plans  # noqa: F401
    from quizapp.live import models as _live  # noqa: F401
    from quizapp.practice import models as _practice  # noqa: F401
    from quizapp.units import models as _units  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from quizapp.attempts.api import bp as api_v1_bp
    from quizapp.attempts.regrade_views import bp as regrade_bp
    from quizapp.attempts.views import bp as attempts_bp
    from quizapp.audit.views import bp as audit_bp
    from quizapp.auth.views import bp as auth_bp
    from quizapp.bank.views import bp as bank_bp
    from quizapp.campaign.views import bp as campaign_bp
    from quizapp.contests.views import bp as contests_bp
    from quizapp.itemstats.views import bp as itemstats_bp
    from quizapp.jobs.views import bp as jobs_bp
    from quizapp.leaderboards.views import bp as leaderboards_bp
    from quizapp.live.views import bp as live_bp
    from quizapp.main.views import bp as main_bp
    from quizapp.ops.views import bp as ops_bp
    from quizapp.plans.views import bp as plans_bp
    from quizapp.practice.views import bp as practice_bp
    from quizapp.units.views import bp as units_bp

    for bp in (main_bp, auth_bp, units_bp, bank_bp, contests_bp, attempts_bp, api_v1_bp, leaderboards_bp,
               audit_bp, practice_bp, itemstats_bp, jobs_bp, ops_bp, campaign_bp, plans_bp, live_bp, regrade_bp):
        app.register_blueprint(bp)
    if app.config.get("BENCH_ENDPOINTS"):
        # Benchmark baselines (bench/): never enabled in production.
        from quizapp.attempts.bench import bp as bench_bp

        app.register_blueprint(bench_bp)


def _register_cli(app: Flask) -> None:
    from quizapp.attempts.cli import rounds_cli
    from quizapp.auth.cli import access_matrix_command, users_cli
    from quizapp.bank.cli import bank_cli
    from quizapp.campaign.cli import campaign_cli
    from quizapp.demo.cli import demo_cli
    from quizapp.itemstats.cli import stats_cli
    from quizapp.jobs.cli import jobs_cli
    from quizapp.units.cli import units_cli

    for command in (users_cli, units_cli, bank_cli, rounds_cli, demo_cli, access_matrix_command, stats_cli, jobs_cli,
                    campaign_cli):
        app.cli.add_command(command)
