"""Stale-while-revalidate: the recomputation of a ranking is off the request path."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from quizapp.core.db import utcnow
from quizapp.leaderboards.cache import cache_for
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture
from tests.test_leaderboards_cache import Clock, backend, make_cache  # noqa: F401 - fixture


def test_the_caller_that_finds_a_stale_value_starts_a_refresh_and_serves_the_stale_value(backend):  # noqa: F811
    clock = Clock()
    cache = make_cache(backend, clock)
    cache.get_or_compute("snap", lambda: "v1", fresh_for=1.5, stale_for=3.5)
    clock.now += 2  # stale, still usable
    started = []
    got = cache.get_or_compute("snap", lambda: pytest.fail("computed in the request"), fresh_for=1.5,
                               stale_for=3.5, refresh=started.append)
    assert got == "v1" and len(started) == 1
    # single flight: while that refresh runs, nobody else computes or starts another
    for _ in range(3):
        assert cache.get_or_compute("snap", lambda: pytest.fail("computed twice"), fresh_for=1.5, stale_for=3.5,
                                    refresh=started.append) == "v1"
    assert len(started) == 1
    # the background half stores the new value under the same lock, then releases it
    assert cache.refill("snap", started[0], lambda: "v2", fresh_for=1.5, stale_for=3.5)
    assert cache.get_or_compute("snap", lambda: "v3", fresh_for=1.5, stale_for=3.5, refresh=started.append) == "v2"
    assert not cache.refill("snap", "someone-else", lambda: "v4", fresh_for=1.5)  # fresh: nothing to do
    # a value older than max staleness is never shown: then the caller does wait for a new one
    clock.now += 10
    assert cache.get_or_compute("snap", lambda: "v5", fresh_for=1.5, stale_for=3.5, refresh=started.append) == "v5"
    assert len(started) == 1


def test_a_failed_refresh_start_falls_back_to_recomputing_in_the_request(backend):  # noqa: F811
    clock = Clock()
    cache = make_cache(backend, clock)
    cache.get_or_compute("snap", lambda: "v1", fresh_for=1.5, stale_for=3.5)
    clock.now += 2

    def broken(token):
        raise ConnectionError("queue down")

    assert cache.get_or_compute("snap", lambda: "v2", fresh_for=1.5, stale_for=3.5, refresh=broken) == "v2"


@pytest.fixture()
def board(make, db):
    for _ in range(4):
        make.question()
    from quizapp.contests.models import PredictionMode

    rnd = make.round(quotas=(("TC", 0, 4),), prediction_mode=PredictionMode.OFF)  # live results (issue 20.4)
    start = utcnow() - timedelta(hours=1)
    make.submission(rnd, make.user(full_name="Người Thứ Nhất"), 4, "1", start=start)
    return rnd


def test_a_page_request_never_recomputes_the_snapshot_while_a_usable_one_exists(app, client, make, board,
                                                                               monkeypatch):
    """The request path: the page is served from the snapshot it has; the recomputation is handed
    to the background (recorded here), and its result is what the next page shows."""
    from quizapp.leaderboards import refresh

    monkeypatch.setitem(app.config, "LEADERBOARD_REFRESH_IN_BACKGROUND", True)
    monkeypatch.setitem(app.config, "LEADERBOARD_MAX_STALE_SECONDS", 60)
    started = []
    monkeypatch.setitem(app.extensions, "leaderboards.refresh", lambda *a: started.append(a))
    cache = cache_for(app)
    url = f"/rounds/{board.id}/leaderboard"
    assert "1 người dự thi" in client.get(url).get_data(as_text=True)  # nothing cached: computed once
    make.submission(board, make.user(full_name="Người Thứ Hai"), 3, "1", start=utcnow() - timedelta(hours=1))
    before = cache.computations
    html = client.get(url).get_data(as_text=True)
    snapshots_computed = cache.computations - before
    assert "1 người dự thi" in html and "Người Thứ Hai" not in html  # the snapshot it had
    assert started and started[0][0] == "round_snapshot" and snapshots_computed == 0
    name, args, token = started[0]
    assert refresh.refresh_cached(name, args, token)  # what the job/thread does
    assert "Người Thứ Hai" in client.get(url).get_data(as_text=True)


def test_without_a_queue_the_refresh_runs_in_a_thread_of_the_process(app, client, make, board, monkeypatch):
    monkeypatch.setitem(app.config, "LEADERBOARD_REFRESH_IN_BACKGROUND", True)
    monkeypatch.setitem(app.config, "LEADERBOARD_MAX_STALE_SECONDS", 60)
    cache = cache_for(app)
    url = f"/rounds/{board.id}/leaderboard"
    client.get(url)
    make.submission(board, make.user(full_name="Người Thứ Hai"), 3, "1", start=utcnow() - timedelta(hours=1))
    refreshes = cache.background_refreshes
    assert "Người Thứ Hai" not in client.get(url).get_data(as_text=True)
    assert cache.background_refreshes == refreshes + 1
    deadline = time.monotonic() + 10
    while "Người Thứ Hai" not in client.get(url).get_data(as_text=True):
        assert time.monotonic() < deadline, "the background thread never stored the new snapshot"
        time.sleep(0.05)


def test_a_value_checked_a_moment_ago_is_served_without_asking_the_store(backend):  # noqa: F811
    """With a recheck window, a page costs no round trip to Redis; a new value shows within the window."""
    cache = make_cache(backend)
    cache.recheck_for = 0.3
    cache.get_or_compute("snap", lambda: "v1", fresh_for=60)
    reads = []
    original = backend.get
    backend.get = lambda key: reads.append(key) or original(key)
    try:
        assert cache.get_or_compute("snap", lambda: "x", fresh_for=60) == "v1" and reads == []
        other = make_cache(backend)
        other.prefix = cache.prefix
        other.get_or_compute("snap", lambda: "v2", fresh_for=0)  # another worker stores a newer value
        time.sleep(0.35)
        assert cache.get_or_compute("snap", lambda: "x", fresh_for=60) == "v2"
    finally:
        backend.get = original


def test_the_round_of_a_results_page_is_read_once_per_recheck_window(app, client, make, board, db, monkeypatch):
    """Public results pages need the round and its contest on every view: within the recheck
    window a copy is reattached without a query; an organiser's edit (here: results for
    organisers only) reaches the page once the window has passed, and the page keeps working
    across the request's own session being closed in between."""
    import sqlalchemy as sa

    from quizapp.contests.models import Contest, ResultsVisibility

    cache = cache_for(app)
    monkeypatch.setattr(cache, "recheck_for", 0.4)
    monkeypatch.setitem(app.config, "LEADERBOARD_FRESH_SECONDS", 60)  # the ranking itself is not re-read
    url, title, contest_id = f"/rounds/{board.id}/leaderboard", board.title, board.contest_id
    first = client.get(url)
    assert first.status_code == 200 and title in first.get_data(as_text=True)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        again = client.get(url)
        assert again.status_code == 200 and title in again.get_data(as_text=True)
        assert not [s for s in statements if "FROM rounds" in s], "the round was read again within the window"
        with app.app_context():
            contest = db.session.get(Contest, contest_id)
            contest.results_visibility = ResultsVisibility.ORGANISERS
            db.session.commit()
        time.sleep(0.45)
        hidden = client.get(url)  # the edit shows once the window has passed: log in first (as organiser)
        assert hidden.status_code == 302 and "/login" in hidden.headers["Location"]
        assert [s for s in statements if "FROM rounds" in s]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


def test_a_snapshot_stored_by_the_previous_release_still_reads():
    """Snapshots live in Redis across a deploy: the 8-byte layout of the previous release decodes."""
    import json
    import struct

    import numpy as np

    from quizapp.leaderboards.snapshots import Snapshot, SnapshotCodec

    snap = Snapshot(12.5, "3", True, np.array([7, 3, 9], dtype=np.int64), np.array([1, 2, 2], dtype=np.int64),
                    np.array([4, 0, 4], dtype=np.int64), np.array([0, 1, -1], dtype=np.int8))
    header = json.dumps({"at": 12.5, "truth": "3", "final": True, "n": 3}).encode()
    old = b"".join([struct.pack("!I", len(header)), header] + [a.astype("<i8").tobytes() for a in
                                                                (snap.user_ids, snap.ranks, snap.unit_ids)]
                   + [snap.categories.astype("i1").tobytes()])
    new = SnapshotCodec.dumps(snap)
    assert len(new) < len(old)
    for data in (old, new):
        back = SnapshotCodec.loads(data)
        assert back.user_ids.tolist() == [7, 3, 9] and back.ranks.tolist() == [1, 2, 2]
        assert back.unit_ids.tolist() == [4, 0, 4] and back.categories.tolist() == [0, 1, -1]
        assert back.position_of(9) == 2 and back.truth == "3" and back.final
