"""Configuration classes, read from the environment.

Pick one with ``QUIZAPP_CONFIG`` (``development``, ``testing``, ``production``);
``create_app`` defaults to development.  Every secret comes from the
environment; production refuses to start without a real ``SECRET_KEY``.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Values that must never be used as a production secret.
INSECURE_SECRET_KEYS = {"", "dev", "changeme", "change-me", "secret", "insecure-dev-key"}


def _database_url(default_sqlite: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE_DIR / default_sqlite}"
    # Heroku-style URLs and plain postgresql:// go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # WAL and foreign keys are switched on per connection in quizapp.core.db.
        return {"connect_args": {"timeout": 30}}
    return {
        "pool_pre_ping": True,
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "10")),
        "pool_recycle": 1800,
    }


class Config:
    TESTING = False
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-dev-key")
    SQLALCHEMY_DATABASE_URI = _database_url("quizapp.sqlite3")
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    SQLALCHEMY_RECORD_QUERIES = False
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # Rate limits: in memory by default, Redis when REDIS_URL is set so
    # every gunicorn worker and every instance shares the counters.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes")  # per account
    LOGIN_IP_RATE_LIMIT = os.environ.get("LOGIN_IP_RATE_LIMIT", "60 per 5 minutes")  # per address (offices share NAT)

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
    # Forms (not file uploads): a URL-encoded body or a multipart text field over 1 MiB, or more
    # than 5,000 fields, is refused (413) before parsing; JSON nested deeper than 64 is a 400.
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    MAX_FORM_PARTS = 5000
    MAX_JSON_DEPTH = 64

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    # Contest timing: answers arriving after deadline + grace are refused.
    ANSWER_GRACE_SECONDS = int(os.environ.get("ANSWER_GRACE_SECONDS", "5"))
    # Behind a trusted proxy (TRUSTED_PROXY_HOPS > 0) that stamps X-Request-Start, answers are timed
    # when the proxy received them (quizapp/core/arrival.py), at most this many seconds early.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
    REQUEST_START_MAX_SKEW = float(os.environ.get("REQUEST_START_MAX_SKEW", "90"))
    # How often each process adds the questions its starts drew to questions.times_drawn
    # (which steers draws towards the least-used questions); 0 = after every start.
    DRAW_COUNT_FLUSH_SECONDS = float(os.environ.get("DRAW_COUNT_FLUSH_SECONDS", "1"))

    # Leaderboards: recomputed at most every FRESH seconds by one worker at a time
    # (single-flight through Redis when REDIS_URL is set); never older than MAX_STALE.
    LEADERBOARD_FRESH_SECONDS = float(os.environ.get("LEADERBOARD_FRESH_SECONDS", "1.5"))
    LEADERBOARD_MAX_STALE_SECONDS = float(os.environ.get("LEADERBOARD_MAX_STALE_SECONDS", "3.5"))
    LEADERBOARD_STATS_FRESH_SECONDS = float(os.environ.get("LEADERBOARD_STATS_FRESH_SECONDS", "30"))

    # Benchmark-only baseline endpoints (bench/): QUIZAPP_BENCH=1, never in production.
    BENCH_ENDPOINTS = os.environ.get("QUIZAPP_BENCH") == "1"


class DevelopmentConfig(Config):
    DEBUG = False  # the debugger is opt-in: FLASK_DEBUG=1


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashes in tests only
    DRAW_COUNT_FLUSH_SECONDS = 0.0  # counts current after every commit (tests of the interval set it)


class ProductionConfig(Config):
    BENCH_ENDPOINTS = False
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") != "0"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if key.strip().lower() in INSECURE_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
