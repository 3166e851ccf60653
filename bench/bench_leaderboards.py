"""Leaderboards benchmark: a round of 1,000,000 attempts by 200,000 entrants in 100 units.

    /work/main/.venv/bin/python bench/bench_leaderboards.py [--entrants 200000] [--attempts 1000000]
                                                             [--seconds 8] [--rate 50]

What it does (PostgreSQL and Redis on 127.0.0.1, bounded in size and time):
1. creates a throwaway database ``quizapp_bench_lb_<random>``, migrates it (flask_migrate.upgrade) and
   bulk-loads it server-side (INSERT ... SELECT generate_series): 100 units, the entrants, and three rounds
   of one contest with 1 %, 10 % and 100 % of ``--attempts`` (each entrant 5 attempts, the best counted
   into ``standings`` exactly as the submit path keeps it), then VACUUM ANALYZE;
2. page timings through the Flask test client (same process, no HTTP): the top-50 page, the page of an
   entrant placed around the middle (own place), the unit ranking, each against a baseline endpoint that
   renders the same template with the same rows from memory (no database), measured in the same run at
   steady state (cache warm, Redis backend, ``LEADERBOARD_FRESH_SECONDS`` as configured);
3. the submit path's standing upsert (``record_standing``) at 10k, 100k and 1M attempts;
4. load: 2 reader processes on the top-50 page, idle and then while a writer process submits at ``--rate``
   per second; throughput ratio and the worst staleness seen (now - X-Data-As-Of);
   With ``--rate`` submissions a second streaming in through ``record_standing`` (a writer process) and a job
   consumer (``flask jobs worker``) recomputing the stale snapshots off the request path (unless ``--no-stream``),
   and other people viewing the top-50 and unit pages ``--other-viewers`` (4) times a second, so the rankings
   are kept fresh (and the consumer busy) during the baseline's blocks as during the page's;
   ``--pages-only`` stops after this step;
5. the xlsx export of every entrant of the big round (time, peak RSS of a fresh process);
6. prints Markdown, writes JSON to bench/results/, drops the database and the Redis keys.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import throwaway_db  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- database ------------------------------------------------------------------------------

def create_database() -> tuple[str, callable]:
    return throwaway_db.create_database("quizapp_bench_lb")


def make_app(db_url: str, prefix: str, fresh: float):
    import config
    from quizapp import create_app
    from quizapp.auth.access import public

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": db_url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(db_url),
        "REDIS_URL": REDIS_URL, "LEADERBOARD_CACHE_PREFIX": prefix, "LEADERBOARD_FRESH_SECONDS": fresh,
        "LEADERBOARD_MAX_STALE_SECONDS": float(os.environ.get("BENCH_MAX_STALE", "3.5")),
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "JOBS_QUEUE_NAME": prefix.rstrip(":"), "JOBS_DIR": os.path.join("/tmp", prefix.strip(":").replace(":", "-")),
    })
    # Baselines: the same templates rendered from rows held in memory (no database, no cache).
    app.config["BENCH_BASELINE"] = {}

    @public
    def baseline(name):
        from flask import make_response, render_template

        ctx = app.config["BENCH_BASELINE"][name]
        resp = make_response(render_template(ctx["template"], **ctx["context"]))
        resp.headers["X-Data-As-Of"] = "0"
        return resp

    app.add_url_rule("/_bench/baseline/<name>", "bench_baseline", baseline)
    return app


def seed(db, entrants: int, attempts: int, units: int = 100) -> dict:
    """Server-side bulk load; returns the ids of the three rounds."""
    x = db.session.execute
    now = datetime.now(timezone.utc)
    # Units: a province, 9 districts/departments, the rest communes spread under them.
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 VALUES (1, 'T', 'Tỉnh Hải Dương', 'province', NULL, 50, NULL, '/1/', true, :n, :n)"""), {"n": now})
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT g, 'D' || g, 'Huyện/Sở số ' || g, 'district', CASE WHEN g % 2 = 0 THEN 'Sở' ELSE 'Huyện' END,
                        40, 1, '/1/' || g || '/', true, :n, :n FROM generate_series(2, 10) g"""), {"n": now})
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT g, 'X' || g, 'Xã/Phòng số ' || g, 'commune', CASE WHEN g % 2 = 0 THEN 'Sở' ELSE 'Huyện' END,
                        0, 2 + (g % 9), '/1/' || (2 + (g % 9)) || '/' || g || '/', true, :n, :n
                 FROM generate_series(11, :u) g"""), {"n": now, "u": units})
    x(sa.text("SELECT setval(pg_get_serial_sequence('units', 'id'), :u)"), {"u": units})
    # Entrants: unequal units (unit = 1 + g mod a skewed number) so participation varies.
    x(sa.text("""INSERT INTO users (full_name, phone, unit_id, category, role, password_hash, is_active_account,
                                    date_of_birth, created_at, updated_at)
                 SELECT 'Thí sinh số ' || g, '09' || lpad(g::text, 8, '0'),
                        1 + floor(power(((g::bigint * 7919) % 10007) / 10007.0, 1.5) * :u)::int,
                        CASE WHEN g % 10 = 0 THEN 'citizen' ELSE 'civil_servant' END, 'participant', 'x', true,
                        DATE '1990-01-01', :n, :n
                 FROM generate_series(1, :e) g"""), {"n": now, "e": entrants, "u": units})
    # Headcount a bit above the entrants of the unit: participation 60–95 %.
    x(sa.text("""UPDATE units SET headcount = c.n * (105 + (units.id * 37) % 60) / 100
                 FROM (SELECT unit_id, count(*) n FROM users GROUP BY unit_id) c WHERE c.unit_id = units.id"""))
    x(sa.text("""INSERT INTO contests (slug, title, description, rules, status, open_to_all, eligible_categories, blocs,
                                       ranking_order, aggregate, unit_ranking_order, min_participation_rate,
                                       results_visibility, created_at, updated_at)
                 VALUES ('bench', 'Cuộc thi CCHC (benchmark)', '', '', 'published', true, '', 'Sở,Huyện',
                         'score,prediction,duration,submitted_at', 'sum', 'participation,average', 50, 'public', :n, :n)"""),
      {"n": now})
    contest_id = x(sa.text("SELECT id FROM contests")).scalar()
    rounds = {}
    # No prediction question: a round with one publishes its board only when finalised (issue 20 #4),
    # so the live board measured here, with submissions streaming, is a round without one.
    for number, share in ((1, 100), (2, 10), (3, 1)):
        n_attempts = attempts // share
        n_entrants = max(1, entrants // share)
        rid = x(sa.text("""INSERT INTO rounds (contest_id, number, title, opens_at, closes_at, time_limit_seconds,
                               attempts_allowed, counted_attempt, shuffle_questions, shuffle_options, one_page,
                               prediction_mode, review_policy, created_at, updated_at)
                           VALUES (:c, :num, :t, :o, :cl, 1200, 5, 'best', true, true, true, 'off',
                                   'after_close', :n, :n) RETURNING id"""),
                {"c": contest_id, "num": number, "t": f"Tuần {number}", "o": T0 - timedelta(days=1),
                 "cl": T0 + timedelta(days=60), "n": now}).scalar()
        started = time.perf_counter()
        x(sa.text("""INSERT INTO attempts (round_id, user_id, unit_id, category, number, status, started_at, deadline_at,
                                           submitted_at, finish_reason, score, max_score, duration_ms, prediction)
                     SELECT :r, u.id, u.unit_id, u.category, a.num, 'submitted', a.st, a.st + interval '20 minutes',
                            a.st + a.dur * interval '1 millisecond', 'submitted', a.score, 20, a.dur, a.pred
                     FROM (SELECT ((g - 1) % :e) + 1 AS uid, ((g - 1) / :e) + 1 AS num,
                                  :t0 + ((g::bigint * 104729) % 604800) * interval '1 second' AS st,
                                  greatest(0, 20 - floor(power(random(), 2) * 21))::int AS score,
                                  (30000 + floor(random() * 1170000))::bigint AS dur,
                                  floor(random() * 60000)::numeric AS pred
                           FROM generate_series(1, :a) g) a
                     JOIN users u ON u.id = a.uid"""),
          {"r": rid, "e": n_entrants, "a": n_attempts, "t0": T0})
        x(sa.text("""INSERT INTO standings (round_id, user_id, unit_id, category, attempt_id, attempts_count, score,
                                            max_score, duration_ms, prediction, submitted_at)
                     SELECT DISTINCT ON (user_id) round_id, user_id, unit_id, category, id,
                            count(*) OVER (PARTITION BY user_id), score, max_score, duration_ms, prediction, submitted_at
                     FROM attempts WHERE round_id = :r ORDER BY user_id, score DESC, duration_ms, id"""), {"r": rid})
        db.session.commit()
        log(f"round {number}: {n_attempts:,} attempts by {n_entrants:,} entrants loaded in "
            f"{time.perf_counter() - started:.1f} s")
        rounds[n_attempts] = rid
    return {"contest_id": contest_id, "rounds": rounds}


def vacuum(db_url):
    eng = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    eng.dispose()


# --- timing ----------------------------------------------------------------------------------

def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"median_ms": round(statistics.median(ms), 3), "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 3),
            "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 3), "mean_ms": round(statistics.fmean(ms), 3),
            "max_ms": round(ms[-1], 3), "n": len(ms)}


def compare(client, path, baseline_path, n=200, rounds=3):
    """Interleaved blocks of the page and its baseline; medians of the block medians."""
    def get(p):
        resp = client.get(p)
        assert resp.status_code == 200, (p, resp.status_code)

    for _ in range(20):
        get(path)
        get(baseline_path)
    page, base = [], []
    for _ in range(rounds):
        base += timed(lambda: get(baseline_path), n)
        page += timed(lambda: get(path), n)
    s_page, s_base = summary(page), summary(base)
    return {"page": s_page, "baseline": s_base, "ratio_median": round(s_page["median_ms"] / s_base["median_ms"], 2),
            "ratio_mean": round(s_page["mean_ms"] / s_base["mean_ms"], 2),
            "ratio_p99": round(s_page["p99_ms"] / s_base["p99_ms"], 2), "loadavg": os.getloadavg()}


def login(client, user_id):
    """A live login session (the session carries "<id>:<token>"; bare ids are refused)."""
    from quizapp.auth import sessions
    from quizapp.auth.models import User
    from quizapp.extensions import db

    with client.application.app_context():
        user = db.session.get(User, user_id)
        sessions.start_session(user)
        db.session.commit()
        user_id_cookie = user.get_id()
    with client.session_transaction() as s:
        s["_user_id"] = user_id_cookie
        s["_fresh"] = True


# --- the submit path's standing upsert ------------------------------------------------------------

def upsert_costs(app, rounds: dict, samples: int = 300) -> dict:
    from quizapp.attempts.models import Attempt, AttemptStatus
    from quizapp.attempts.sweep import record_standing
    from quizapp.extensions import db

    out = {}
    rng = random.Random(5)
    with app.app_context():
        for n_attempts, rid in sorted(rounds.items()):
            entrants = db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("standings"))
                                         .where(sa.text("round_id = :r")).params(r=rid))
            times = []
            for i in range(samples):
                # Half improve an existing standing, half are better-than-nothing new attempts of existing entrants.
                uid = rng.randint(1, entrants)
                unit_id = db.session.scalar(sa.text("SELECT unit_id FROM users WHERE id = :u"), {"u": uid})
                at = T0 + timedelta(days=1, seconds=i)
                attempt = Attempt(round_id=rid, user_id=uid, unit_id=unit_id, category="civil_servant", number=100 + i,
                                  status=AttemptStatus.SUBMITTED, started_at=at - timedelta(seconds=40),
                                  deadline_at=at + timedelta(minutes=20), submitted_at=at, score=rng.choice([19, 20]),
                                  max_score=20, duration_ms=40_000, prediction=1)
                db.session.add(attempt)
                db.session.flush()
                t = time.perf_counter()
                record_standing(attempt)
                times.append((time.perf_counter() - t) * 1000)
                db.session.rollback()
            out[n_attempts] = {"entrants": entrants, **summary(times)}
            log(f"upsert at {n_attempts:,} attempts: median {out[n_attempts]['median_ms']} ms")
    return out


# --- load --------------------------------------------------------------------------------------------

def reader(db_url, prefix, fresh, path, seconds, queue, barrier):
    app = make_app(db_url, prefix, fresh)
    client = app.test_client()
    client.get(path)  # connect, load templates (not timed)
    n, stale = 0, []
    barrier.wait()
    end = time.time() + seconds
    while time.time() < end:
        resp = client.get(path)
        assert resp.status_code == 200
        stale.append(time.time() - float(resp.headers["X-Data-As-Of"]))
        n += 1
    queue.put({"requests": n, "max_stale_s": max(stale), "p95_stale_s": sorted(stale)[int(len(stale) * .95) - 1]})


def writer(db_url, prefix, fresh, round_id, entrants, seconds, rate, queue, barrier):
    from quizapp.attempts.models import Attempt, AttemptStatus
    from quizapp.attempts.sweep import record_standing
    from quizapp.extensions import db

    app = make_app(db_url, prefix, fresh)
    rng = random.Random(11)
    done = 0
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        barrier.wait()
        end = time.time() + seconds
        next_at = time.time()
        while time.time() < end:
            uid = rng.randint(1, entrants)
            now = datetime.now(timezone.utc)
            number = 1000 + done
            attempt = Attempt(round_id=round_id, user_id=uid, unit_id=(uid % 100) + 1, category="civil_servant",
                              number=number, status=AttemptStatus.SUBMITTED, started_at=now - timedelta(seconds=90),
                              deadline_at=now + timedelta(minutes=18), submitted_at=now, score=rng.randint(15, 20),
                              max_score=20, duration_ms=90_000, prediction=rng.randint(0, 60000))
            db.session.add(attempt)
            db.session.flush()
            record_standing(attempt)
            db.session.commit()
            done += 1
            next_at += 1 / rate
            time.sleep(max(0.0, next_at - time.time()))
    queue.put({"submissions": done, "rate_per_s": round(done / seconds, 1)})


def load_phase(db_url, prefix, fresh, path, seconds, with_writer, round_id, entrants, rate):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    barrier = ctx.Barrier(3 if with_writer else 2)
    procs = [ctx.Process(target=reader, args=(db_url, prefix, fresh, path, seconds, queue, barrier))
             for _ in range(2)]
    if with_writer:
        procs.append(ctx.Process(target=writer, args=(db_url, prefix, fresh, round_id, entrants, seconds, rate,
                                                      queue, barrier)))
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    reads = [r for r in results if "requests" in r]
    out = {"requests_per_s": round(sum(r["requests"] for r in reads) / seconds, 1),
           "max_stale_s": round(max(r["max_stale_s"] for r in reads), 2),
           "p95_stale_s": round(max(r["p95_stale_s"] for r in reads), 2)}
    out.update(next((r for r in results if "submissions" in r), {}))
    return out


def export_child(db_url, prefix, fresh, round_id, queue):
    import tempfile

    from quizapp.leaderboards import exports

    app = make_app(db_url, prefix, fresh)
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        before = _vm("VmRSS")
        t = time.perf_counter()
        out = exports.run_export({"what": "round", "round_id": round_id, "fmt": "xlsx"}, lambda d, n: None, tmp)
        seconds = time.perf_counter() - t
        size = os.path.getsize(out["path"])
        after = max(_vm("VmHWM"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    queue.put({"seconds": round(seconds, 1), "bytes": size, "rss_before_mb": round(before / 1024),
               "rss_peak_mb": round(after / 1024), "rss_growth_mb": round((after - before) / 1024)})


def _vm(field: str) -> int:
    """A memory figure of this process from /proc, in kB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_export(db_url, prefix, fresh, round_id):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=export_child, args=(db_url, prefix, fresh, round_id, queue))
    p.start()
    result = queue.get(timeout=900)
    p.join()
    return result


# --- submissions streaming in, and the job consumer that recomputes the snapshots ---------------------

def other_viewers(db_url, prefix, fresh, paths, rate, stop):
    """Other people viewing the rankings ``rate`` times a second (round-robin over ``paths``), as on a
    live site: they keep the snapshots fresh, so the consumer recomputes during the baseline's blocks as
    much as during the page's (with one client alone it would recompute only while the page is measured,
    since only the page's requests find the snapshot stale)."""
    app = make_app(db_url, prefix, fresh)
    client = app.test_client()
    i = 0
    while not stop.is_set():
        client.get(paths[i % len(paths)])
        i += 1
        stop.wait(1 / rate)


def start_streaming(db_url, prefix, fresh, round_id, entrants, rate, viewers_rate=0.0):
    """A writer process submitting ``rate`` times a second, and ``flask jobs worker`` (the consumer that
    recomputes stale snapshots off the request path), until ``stop_streaming``."""
    import subprocess

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    # The barrier must outlive the child's start: a temporary one is collected before the child
    # unpickles it (FileNotFoundError in SemLock._rebuild) and the writer silently never runs.
    barrier = ctx.Barrier(1)
    writer_proc = ctx.Process(target=writer, args=(db_url, prefix, fresh, round_id, entrants, 3600, rate, queue,
                                                   barrier))
    writer_proc.start()
    env = dict(os.environ, FLASK_APP="wsgi.py", QUIZAPP_CONFIG="development", DATABASE_URL=db_url,
               REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=prefix.rstrip(":"), LEADERBOARD_CACHE_PREFIX=prefix,
               LEADERBOARD_FRESH_SECONDS=str(fresh),
               LEADERBOARD_MAX_STALE_SECONDS=os.environ.get("BENCH_MAX_STALE", "3.5"),
               SECRET_KEY="bench-secret-key-0123456789abcdef0123456789")
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "-w", "1", "--no-periodic"],
                                cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = ctx.Event()
    viewers = None
    if viewers_rate:
        paths = [f"/rounds/{round_id}/leaderboard", f"/rounds/{round_id}/units"]
        viewers = ctx.Process(target=other_viewers, args=(db_url, prefix, fresh, paths, viewers_rate, stop))
        viewers.start()
    time.sleep(3)  # all connected
    if not writer_proc.is_alive():
        raise RuntimeError("the writer process died: no submissions would stream in")
    return writer_proc, consumer, queue, barrier, viewers, stop


def stop_streaming(handles) -> None:
    writer_proc, consumer, _queue, _barrier, viewers, stop = handles
    stop.set()
    if viewers is not None:
        viewers.join(10)
    if not writer_proc.is_alive():
        raise RuntimeError("the writer process died during the page phase")
    writer_proc.terminate()
    writer_proc.join(10)
    consumer.terminate()
    consumer.wait(20)


# --- main -------------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entrants", type=int, default=200_000)
    ap.add_argument("--attempts", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--fresh", type=float, default=1.5)
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--pages-only", action="store_true", help="only the page ratios (with submissions streaming)")
    ap.add_argument("--no-stream", action="store_true", help="page ratios without submissions streaming in")
    ap.add_argument("--other-viewers", type=float, default=4.0,
                    help="other people's page views per second during the page phase (0: none)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the page phase; top functions printed, stats in bench/results/")
    args = ap.parse_args()
    began = time.time()
    db_url, drop = create_database()
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    results: dict = {"args": vars(args)}
    try:
        from flask_migrate import upgrade

        from quizapp.extensions import db
        from quizapp.leaderboards import boards, charts, places, snapshots, unit_ranking
        from quizapp.leaderboards.cache import cache_for

        app = make_app(db_url, prefix, args.fresh)
        with app.app_context():
            upgrade()
            log(f"migrated {db_url.rsplit('/', 1)[-1]}")
            ids = seed(db, args.entrants, args.attempts)
        vacuum(db_url)
        log("VACUUM ANALYZE done")
        big = ids["rounds"][args.attempts]
        results["load_seconds"] = round(time.time() - began, 1)

        with app.app_context():
            # Cost of one recomputation (what the cache saves on every other request).
            snap_ms = timed(lambda: snapshots.compute_round_snapshot(big), 3)
            units_ms = timed(lambda: unit_ranking.compute_unit_ranking(big), 3)
            results["recompute"] = {"round_snapshot": summary(snap_ms), "unit_ranking": summary(units_ms)}
            log(f"snapshot recompute {summary(snap_ms)['median_ms']} ms, unit ranking {summary(units_ms)['median_ms']} ms")

        client = app.test_client()
        # Capture the same rows once, then serve them from memory as the baselines.
        with app.test_request_context():
            board = boards.round_board(big)
            middle_pos = len(snapshots.round_snapshot(big)) // 2
            me_id = int(snapshots.round_snapshot(big).user_ids[middle_pos])
            me_row = places.place_in_round(big, me_id)
            rnd = SimpleNamespace(id=big, title=board.round.title, contest_id=board.contest.id,
                                  contest=SimpleNamespace(title=board.contest.title))
            contest = SimpleNamespace(id=board.contest.id, title=board.contest.title, aggregate=board.contest.aggregate)
            mem_board = boards.Board(board.title, contest, rnd, list(board.rows), board.total, board.entrants,
                                       board.page, board.pages, None, board.truth, board.final, board.computed_at)
            mem_me = boards.Board(**{**mem_board.__dict__, "me": me_row})
            choices = boards.unit_choices()
            from quizapp.leaderboards.views import CATEGORY_LABELS

            # The share meta tags (campaign kit) are computed once from the real contest: the baseline
            # renders from memory, so the template's campaign_share() is shadowed by a constant.
            from quizapp.campaign.views import campaign_share

            share = campaign_share(board.contest, board.round)
            common = {"unit_choices": choices, "categories": CATEGORY_LABELS,
                      "endpoint": "leaderboards.round_leaderboard", "endpoint_args": {"round_id": big},
                      "campaign_share": lambda *_a, **_k: share}
            ranking = unit_ranking.unit_ranking(big)
            shown = [r for r in ranking.rows if r.entrants][:30]
            top = max([r.average for r in shown if r.average is not None] + [0])
            unit_ctx = {"ranking": ranking, "round": rnd, "campaign_share": lambda *_a, **_k: share,
                        "rate_chart": charts.hbars([(r.name, float(r.rate or 0), r.rate_text) for r in shown], 100),
                        "avg_chart": charts.hbars([(r.name, float(r.average or 0), r.average_text) for r in shown],
                                                  float(top) or None)}
        app.config["BENCH_BASELINE"].update({
            "top": {"template": "leaderboards/board.html", "context": {"board": mem_board, **common}},
            "me": {"template": "leaderboards/board.html", "context": {"board": mem_me, **common}},
            "units": {"template": "leaderboards/units.html", "context": unit_ctx},
        })
        streaming = None if args.no_stream else start_streaming(db_url, prefix, args.fresh, big, args.entrants,
                                                                 args.rate, args.other_viewers)
        results["pages_other_viewers_per_s"] = 0 if args.no_stream else args.other_viewers
        results["pages_with_submissions_per_s"] = 0 if args.no_stream else args.rate
        refreshes_before = cache_for(app).background_refreshes
        in_request = {"round_snapshot": 0, "unit_ranking": 0}
        owners = {"round_snapshot": snapshots, "unit_ranking": unit_ranking}
        for name in in_request:  # count the recomputations this (the web) process does itself
            original = getattr(owners[name], f"compute_{name}")

            def counted(*a, _original=original, _name=name, **kw):
                in_request[_name] += 1
                return _original(*a, **kw)

            setattr(owners[name], f"compute_{name}", counted)
        def streamed() -> int:  # the writer's submissions (numbered from 1000) so far
            with app.app_context():
                return db.session.scalar(sa.text("SELECT count(*) FROM attempts WHERE round_id = :r AND number >= 1000"),
                                         {"r": big})

        phase_began, streamed_before = time.time(), streamed()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        try:
            pages_phase(app, client, big, me_id, me_row, results)
        finally:
            if profiler is not None:
                import pstats

                profiler.disable()
                out = ROOT / "bench" / "results" / f"leaderboards-pages-{time.strftime('%Y%m%d-%H%M%S')}.prof"
                out.parent.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(out))
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
                log(f"profile written to {out}")
            if streaming:
                stop_streaming(streaming)
        results["pages_submissions"] = {"made": streamed() - streamed_before,
                                        "per_s": round((streamed() - streamed_before) / (time.time() - phase_began), 1)}
        log(f"submissions streamed in during the page phase: {results['pages_submissions']}")
        results["pages_recomputations"] = {
            "handed_to_the_consumer": cache_for(app).background_refreshes - refreshes_before,
            "computed_in_a_request": in_request}
        log(f"recomputations during the page phase: {results['pages_recomputations']}")
        if args.pages_only:
            return 0
        results["upsert"] = upsert_costs(app, ids["rounds"])

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        path = f"/rounds/{big}/leaderboard"
        idle = load_phase(db_url, prefix, args.fresh, path, args.seconds, False, big, args.entrants, args.rate)
        log(f"idle: {idle}")
        loaded = load_phase(db_url, prefix, args.fresh, path, args.seconds, True, big, args.entrants, args.rate)
        log(f"under load: {loaded}")
        results["load"] = {"idle": idle, "with_submissions": loaded,
                           "throughput_ratio": round(loaded["requests_per_s"] / idle["requests_per_s"], 2)}
        if not args.skip_export:
            results["export"] = run_export(db_url, prefix, args.fresh, big)
            log(f"export: {results['export']}")
        with app.app_context():
            cache_for(app).clear()
    finally:
        drop()
        results["total_seconds"] = round(time.time() - began, 1)
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"leaderboards-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=2))
        print(json.dumps(results, indent=2))
    return 0


def pages_phase(app, client, big, me_id, me_row, results) -> None:
    results["pages"] = {"top50": compare(client, f"/rounds/{big}/leaderboard", "/_bench/baseline/top")}
    log(f"top-50: {results['pages']['top50']}")
    results["pages"]["units"] = compare(client, f"/rounds/{big}/units", "/_bench/baseline/units")
    log(f"units: {results['pages']['units']}")
    me_client = app.test_client()
    login(me_client, me_id)
    results["pages"]["own_place"] = compare(me_client, f"/rounds/{big}/leaderboard", "/_bench/baseline/me")
    results["pages"]["own_place"]["place"] = me_row.rank
    log(f"own place (rank {me_row.rank:,}): {results['pages']['own_place']}")


if __name__ == "__main__":
    sys.exit(main())
