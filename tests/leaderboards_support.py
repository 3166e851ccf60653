"""Shared fixture of the leaderboard tests: every read sees the latest submission."""
from __future__ import annotations

import pytest

from quizapp.leaderboards.cache import cache_for


@pytest.fixture(autouse=True)
def live(app, monkeypatch):
    """No caching across calls, and nothing left over from another test (ids restart)."""
    monkeypatch.setitem(app.config, "LEADERBOARD_FRESH_SECONDS", 0)
    monkeypatch.setitem(app.config, "LEADERBOARD_STATS_FRESH_SECONDS", 0)
    cache_for(app).clear()
    yield
    cache_for(app).clear()


def export_via_job(client, path, **form):
    """Start an export job (immediate in tests) and download its file from the job's page."""
    from tests.conftest import csrf_token

    resp = client.post(path, data={"csrf_token": csrf_token(client), **form})
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"], resp.status_code
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "/download" in page
    return client.get(resp.headers["Location"] + "/download").data
