"""The leaderboard cache: fresh values served, one recomputation at a time, stale served meanwhile."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from quizapp.leaderboards.cache import Cache, JsonCodec, MemoryBackend, RedisBackend


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    return client


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    if request.param == "memory":
        yield MemoryBackend()
        return
    client = _redis()
    backend = RedisBackend(client)
    yield backend
    client.close()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make_cache(backend, clock=None):
    return Cache(backend, prefix=f"test:{uuid.uuid4().hex}:", clock=clock or time.time)


def test_a_fresh_value_is_served_without_recomputing(backend):
    clock = Clock()
    cache = make_cache(backend, clock)
    calls = []
    compute = lambda: calls.append(1) or {"n": len(calls)}  # noqa: E731
    assert cache.get_or_compute("k", compute, fresh_for=3) == {"n": 1}
    clock.now += 2.9
    assert cache.get_or_compute("k", compute, fresh_for=3) == {"n": 1}
    clock.now += 0.2  # older than 3 s: recomputed
    assert cache.get_or_compute("k", compute, fresh_for=3) == {"n": 2}
    assert len(calls) == 2


def test_concurrent_callers_with_nothing_cached_trigger_one_computation(backend):
    cache = make_cache(backend)
    calls = []
    start = threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return [1, 2, 3]

    results = []

    def worker():
        start.wait()
        results.append(cache.get_or_compute("board", compute, fresh_for=5))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [[1, 2, 3]] * 8


def test_when_stale_one_caller_recomputes_and_the_others_get_the_stale_value_at_once(backend):
    clock = Clock()
    cache = make_cache(backend, clock)
    cache.get_or_compute("board", lambda: "old", fresh_for=2)
    clock.now += 10
    release = threading.Event()
    entered = threading.Event()
    calls = []

    def slow():
        calls.append(1)
        entered.set()
        release.wait(5)
        return "new"

    holder = threading.Thread(target=lambda: cache.get_or_compute("board", slow, fresh_for=2))
    holder.start()
    assert entered.wait(5)
    began = time.perf_counter()
    others = [cache.get_or_compute("board", lambda: calls.append(1) or "dup", fresh_for=2) for _ in range(5)]
    assert others == ["old"] * 5 and time.perf_counter() - began < 1  # nobody waited
    release.set()
    holder.join()
    assert len(calls) == 1
    assert cache.get_or_compute("board", lambda: "again", fresh_for=2) == "new"


def test_a_lock_left_by_a_crashed_worker_does_not_block_forever(backend):
    cache = make_cache(backend)
    key = cache.prefix + "board"
    backend.add(key + ":lock", b"someone-else", 150)  # expires after 150 ms, no value stored
    began = time.perf_counter()
    assert cache.get_or_compute("board", lambda: "computed", fresh_for=2, lock_ms=150) == "computed"
    assert time.perf_counter() - began < 2


def test_a_large_value_is_decoded_once_per_recomputation():
    decoded = []

    class Counting(JsonCodec):
        @staticmethod
        def loads(data):
            decoded.append(1)
            return JsonCodec.loads(data)

    backend = MemoryBackend()
    writer, reader = make_cache(backend), None
    reader = Cache(backend, prefix=writer.prefix)  # another process: its own memo
    writer.get_or_compute("snap", lambda: list(range(1000)), fresh_for=60, codec=Counting)
    for _ in range(5):
        assert len(reader.get_or_compute("snap", lambda: [], fresh_for=60, codec=Counting)) == 1000
    assert len(decoded) == 1


def test_redis_down_means_computing_directly_not_failing():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    cache = Cache(RedisBackend(client))
    assert cache.get_or_compute("k", lambda: 42, fresh_for=2) == 42


def test_a_value_older_than_stale_for_is_not_served_callers_wait_for_the_new_one(backend):
    clock = Clock()
    cache = make_cache(backend, clock)
    cache.get_or_compute("board", lambda: "ancient", fresh_for=2, stale_for=5)
    clock.now += 60  # nobody looked for a minute
    key = cache.prefix + "board"
    backend.add(key + ":lock", b"another-worker", 5000)

    def other_worker_finishes(_seconds):
        # The lock holder stores the fresh value while we wait.
        from quizapp.leaderboards.cache import _STAMP

        packed = _STAMP.pack(clock.now)
        backend.set_many({key: packed + JsonCodec.dumps("fresh"), key + ":t": packed}, 60_000)

    cache.sleep = other_worker_finishes
    assert cache.get_or_compute("board", lambda: "should not run", fresh_for=2, stale_for=5) == "fresh"
    assert cache.computations == 1  # only the first fill
