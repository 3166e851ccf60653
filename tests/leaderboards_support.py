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
