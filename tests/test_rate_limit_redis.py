"""Login throttling lives in Redis when REDIS_URL is set, so it holds across workers and instances."""
from __future__ import annotations

import socket
import uuid

import pytest

from tests.conftest import csrf_token


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_failed_login_counter_is_shared_through_redis(app, make):
    from quizapp import create_app
    from quizapp.extensions import limiter

    user = make.user()
    redis_config = dict(app.config)
    redis_config.update(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
                        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    try:
        first = create_app(redis_config)
        with first.app_context():
            client = first.test_client()
            token = csrf_token(client, "/login")
            codes = [client.post("/login", data={"login": user.phone, "password": "bad", "csrf_token": token}).status_code
                     for _ in range(10)]
        assert codes == [401] * 10
        # A second instance (its own process memory) sees the same counter.
        second = create_app(redis_config)
        with second.app_context():
            client = second.test_client()
            token = csrf_token(client, "/login")
            resp = client.post("/login", data={"login": user.phone, "password": "bad", "csrf_token": token})
        assert resp.status_code == 429
    finally:
        limiter.init_app(app)  # back to the suite's in-memory storage
