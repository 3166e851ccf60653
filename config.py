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
    # Failed logins: per (account, address) pair, tight; per account, loose and growing, and
    # not applied on an address the owner logged in from before; per address (offices share NAT).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "30 per 10 minutes;100 per day")
    LOGIN_IP_RATE_LIMIT = os.environ.get("LOGIN_IP_RATE_LIMIT", "60 per 5 minutes")
    # Registrations per address: generous, an office behind one address registers its staff.
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "300 per hour")
    # Practice hands out one key per answer: sets started per account and per address, answers per both.
    PRACTICE_START_RATE_LIMIT = os.environ.get("PRACTICE_START_RATE_LIMIT", "30 per hour")
    PRACTICE_START_ADDRESS_RATE_LIMIT = os.environ.get("PRACTICE_START_ADDRESS_RATE_LIMIT", "120 per hour")
    PRACTICE_ANSWER_RATE_LIMIT = os.environ.get("PRACTICE_ANSWER_RATE_LIMIT", "600 per hour")
    # Password recovery: requests per address (and per account for the code form).
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "10 per hour")
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))  # e-mailed link
    RESET_CODE_HOURS = int(os.environ.get("RESET_CODE_HOURS", "24"))  # code from a unit manager
    # Behind N reverse proxies that set X-Forwarded-For/-Proto/-Host, trust the last N
    # hops (Werkzeug ProxyFix); 0 (the default) trusts no header.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))

    # Outgoing e-mail (password reset links); nothing is sent without MAIL_SERVER.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")
    # Mails to one address (reset links, registration notices), whoever asks for them.
    MAIL_PER_RECIPIENT_LIMIT = os.environ.get("MAIL_PER_RECIPIENT_LIMIT", "3 per hour;10 per day")

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
    REQUEST_START_MAX_SKEW = float(os.environ.get("REQUEST_START_MAX_SKEW", "90"))
    # How often each process adds the questions its starts drew to questions.times_drawn
    # (which steers draws towards the least-used questions); 0 = after every start.
    DRAW_COUNT_FLUSH_SECONDS = float(os.environ.get("DRAW_COUNT_FLUSH_SECONDS", "1"))

    # Leaderboards: recomputed at most every FRESH seconds by one worker at a time
    # (single-flight through Redis when REDIS_URL is set); never older than MAX_STALE.
    LEADERBOARD_FRESH_SECONDS = float(os.environ.get("LEADERBOARD_FRESH_SECONDS", "1.5"))
    LEADERBOARD_MAX_STALE_SECONDS = float(os.environ.get("LEADERBOARD_MAX_STALE_SECONDS", "3.5"))
    LEADERBOARD_STATS_FRESH_SECONDS = float(os.environ.get("LEADERBOARD_STATS_FRESH_SECONDS", "30"))
    LEADERBOARD_CACHE_PREFIX = os.environ.get("LEADERBOARD_CACHE_PREFIX", "lb:")  # several deployments on one Redis
    # With Redis: a worker serves a value it checked this recently from its own memory (no round trip).
    LEADERBOARD_RECHECK_SECONDS = float(os.environ.get("LEADERBOARD_RECHECK_SECONDS", "0.25"))
    # Stale-while-revalidate: a stale ranking is recomputed by a job (Redis) or a thread, never in the request.
    LEADERBOARD_REFRESH_IN_BACKGROUND = os.environ.get("LEADERBOARD_REFRESH_IN_BACKGROUND", "1") != "0"

    # Background jobs (quizapp/jobs): Huey on Redis when REDIS_URL is set, else a SQLite file.
    JOBS_IMMEDIATE = os.environ.get("JOBS_IMMEDIATE") == "1"  # run every job in the caller (tests)
    JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "quizapp")
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or None
    JOBS_DIR = os.environ.get("JOBS_DIR") or str(INSTANCE_DIR / "jobs")  # shared storage with several machines
    JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH") or None  # the queue without Redis; default instance/
    JOBS_TTL_HOURS = float(os.environ.get("JOBS_TTL_HOURS", "24"))
    # Plans (quizapp/plans): evidence photos and PDFs of communication activities live here (shared storage
    # with several app nodes, like JOBS_DIR; default <JOBS_DIR>/evidence); reports are due on this day of the
    # period's last month; a unit report covering more units than this is built as a job.
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR") or None
    PLANS_REPORT_DUE_DAY = int(os.environ.get("PLANS_REPORT_DUE_DAY", "15"))
    PLANS_INLINE_REPORT_UNITS = int(os.environ.get("PLANS_INLINE_REPORT_UNITS", "200"))
    # Imports of a larger file run as a job with a progress bar (smaller ones in the request).
    IMPORT_JOB_THRESHOLD_BYTES = int(os.environ.get("IMPORT_JOB_THRESHOLD_BYTES", str(256 * 1024)))

    # /metrics (Prometheus): a bearer token, or addresses/networks allowed without one; neither = 404.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOW_FROM = os.environ.get("METRICS_ALLOW_FROM", "")

    # The public address every link that leaves the app is built from (mails, QR codes, verify
    # links, share cards, reports; quizapp/core/urls.py), never the request's Host header.
    # Required in production; development and tests use http://localhost:5000.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or None
    # Behind the proxy: the secret the nginx recipe sends in X-Proxy-Secret; X-Forwarded-* and
    # X-Request-Start are believed only on a request that carries it (quizapp/core/proxy.py).
    PROXY_SECRET = os.environ.get("PROXY_SECRET") or None
    # ProxyFix trusts X-Forwarded-Host only when this is set (the recipe passes Host itself).
    TRUSTED_PROXY_X_HOST = int(os.environ.get("TRUSTED_PROXY_X_HOST", "0"))

    # Campaign kit (quizapp/campaign): the key that signs certificate
    # verification codes (keep it when rotating SECRET_KEY, or printed certificates stop verifying);
    # the largest certificate ZIP / report (results read) built inside a request.
    CERTIFICATE_KEY = os.environ.get("CERTIFICATE_KEY") or None
    # /verify/<code> (campaign and live certificates) per address: a person checks a few codes; a
    # prize-hunter trying codes meets a 404 for each (40-bit signatures) and then this limit.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "60 per minute")
    CAMPAIGN_INLINE_CERTIFICATES = int(os.environ.get("CAMPAIGN_INLINE_CERTIFICATES", "300"))
    CAMPAIGN_INLINE_REPORT_ENTRANTS = int(os.environ.get("CAMPAIGN_INLINE_REPORT_ENTRANTS", "20000"))
    CAMPAIGN_INLINE_FINISHERS = int(os.environ.get("CAMPAIGN_INLINE_FINISHERS", "20000"))
    # Processes drawing a large certificate ZIP (default: one per core).
    CAMPAIGN_WORKERS = int(os.environ.get("CAMPAIGN_WORKERS", "0")) or None

    # The live contest (quizapp/live, docs/live.md): answers to a question count until its close (server
    # clock) plus this grace; the event stream (SSE) polls the database this often without Redis, sends a
    # comment line this often to keep proxies open, and ends after this long (the browser reconnects).
    # Redis pub/sub: LIVE_REDIS_URL, else REDIS_URL.  Joining by code and answering are rate-limited.
    LIVE_ANSWER_GRACE_SECONDS = float(os.environ.get("LIVE_ANSWER_GRACE_SECONDS", "0.5"))
    LIVE_REDIS_URL = os.environ.get("LIVE_REDIS_URL") or None
    LIVE_REDIS_PREFIX = os.environ.get("LIVE_REDIS_PREFIX", "live:")
    LIVE_REDIS_MAX_CONNECTIONS = int(os.environ.get("LIVE_REDIS_MAX_CONNECTIONS", "5000"))  # one per open stream
    LIVE_POLL_SECONDS = float(os.environ.get("LIVE_POLL_SECONDS", "0.2"))
    LIVE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "15"))
    LIVE_STREAM_MAX_SECONDS = float(os.environ.get("LIVE_STREAM_MAX_SECONDS", "600"))
    LIVE_JOIN_RATE_LIMIT = os.environ.get("LIVE_JOIN_RATE_LIMIT", "30 per minute")
    LIVE_AUDIENCE_JOIN_RATE_LIMIT = os.environ.get("LIVE_AUDIENCE_JOIN_RATE_LIMIT", "600 per minute")
    LIVE_DEVICE_RATE_LIMIT = os.environ.get("LIVE_DEVICE_RATE_LIMIT", "60 per minute")

    # Benchmark-only baseline endpoints (bench/): QUIZAPP_BENCH=1, never in production.
    BENCH_ENDPOINTS = os.environ.get("QUIZAPP_BENCH") == "1"


class DevelopmentConfig(Config):
    DEBUG = False  # the debugger is opt-in: FLASK_DEBUG=1
    PUBLIC_BASE_URL = Config.PUBLIC_BASE_URL or "http://localhost:5000"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashes in tests only
    DRAW_COUNT_FLUSH_SECONDS = 0.0  # counts current after every commit (tests of the interval set it)
    JOBS_IMMEDIATE = True  # jobs run synchronously when the starting transaction commits
    LEADERBOARD_REFRESH_IN_BACKGROUND = False  # every read sees the latest submission (tests of it switch it on)
    LEADERBOARD_RECHECK_SECONDS = 0.0
    JOBS_DIR = None  # the test app's instance folder (set per session by the fixtures)
    PUBLIC_BASE_URL = "http://localhost"  # the test client's address
    PROXY_SECRET = None
    LIVE_STREAM_MAX_SECONDS = 0.0  # a stream sends the current state and ends (tests that follow it set more)


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
        base = (os.environ.get("PUBLIC_BASE_URL") or cls.PUBLIC_BASE_URL or "").strip()
        if not base.startswith(("https://", "http://")) or len(base.split("://", 1)[1].strip("/")) == 0:
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production to the site's public address, e.g. "
                "https://thi.example.gov.vn: every link in mails, QR codes and certificates is built from it.")
        hops = int(os.environ.get("TRUSTED_PROXY_HOPS") or cls.TRUSTED_PROXY_HOPS or 0)
        secret = os.environ.get("PROXY_SECRET") or cls.PROXY_SECRET or ""
        if hops > 0 and len(secret) < 16:
            raise RuntimeError(
                "PROXY_SECRET must be set (at least 16 random characters, the value the nginx recipe sends in "
                "X-Proxy-Secret) when TRUSTED_PROXY_HOPS > 0: without it anyone who reaches the app could "
                "forge X-Forwarded-For and X-Request-Start.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
