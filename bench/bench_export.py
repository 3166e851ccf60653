"""Jury export benchmark: all entrants of a round as xlsx, against xlsxwriter alone, and off the request path.

    .venv/bin/python bench/bench_export.py            # --entrants 200000 --runs 2

1. creates a throwaway PostgreSQL database, migrates it and bulk-loads a round in which ``--entrants``
   entrants each have one attempt and one standing (bench_leaderboards.seed), then VACUUM ANALYZE;
2. per run, two fresh processes (spawned, so each starts with only the app loaded), in turn:
   * baseline: the export's rows are read into memory first (not timed), then written with XlsxWriter
     (``constant_memory``) alone: ``write_row`` per row, a date format for the date-times, nothing else;
   * export: the job function ``exports.run_export`` (ranking query, rows streamed 5,000 at a time,
     typed cells with number formats, heading, frozen panes, autofilter) into a temporary folder;
   each reports its time and its peak RSS growth (VmHWM − RSS before the work);
3. the request that starts the export (``POST /rounds/<id>/export.xlsx`` with a real queue on Redis,
   nobody consuming it) is timed: it only records the job and queues it;
4. prints the figures as JSON; drops the database and its Redis queue.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_leaderboards import REDIS_URL, _vm, create_database, log, login, make_app, seed, vacuum  # noqa: E402


def _peak_growth(before_kb: int) -> int:
    return round((_vm("VmHWM") - before_kb) / 1024)


def baseline_child(db_url, prefix, round_id, queue):
    import xlsxwriter

    from quizapp.leaderboards import exports, visibility

    app = make_app(db_url, prefix, 1.5)
    with app.app_context():
        rows = list(exports._round_rows(visibility.get_round(round_id), False))  # noqa: SLF001 - the same rows
    before = _vm("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        wb = xlsxwriter.Workbook(os.path.join(tmp, "b.xlsx"), {"constant_memory": True, "tmpdir": tmp,
                                                               "default_date_format": "dd/mm/yyyy hh:mm:ss"})
        ws = wb.add_worksheet("Kết quả")
        for r, row in enumerate(rows, start=3):
            ws.write_row(r, 0, row)
        wb.close()
        seconds = time.perf_counter() - t
        size = os.path.getsize(os.path.join(tmp, "b.xlsx"))
    queue.put({"seconds": round(seconds, 2), "rows": len(rows), "bytes": size,
               "rss_growth_mb": _peak_growth(before)})


def export_child(db_url, prefix, round_id, queue):
    from quizapp.leaderboards import exports

    app = make_app(db_url, prefix, 1.5)
    with app.app_context():
        before = _vm("VmRSS")
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            out = exports.run_export({"what": "round", "round_id": round_id, "fmt": "xlsx"}, lambda d, n: None, tmp)
            seconds = time.perf_counter() - t
            size = os.path.getsize(out["path"])
    queue.put({"seconds": round(seconds, 2), "rows": out["rows"], "bytes": size, "rss_before_mb": round(before / 1024),
               "rss_growth_mb": _peak_growth(before)})


def in_child(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, queue))
    p.start()
    result = queue.get(timeout=1200)
    p.join()
    return result


def request_path(db_url, prefix, round_id) -> dict:
    """The organiser's request only queues the job: time it with a real (Redis) queue."""
    from quizapp.auth.models import Role, User
    from quizapp.extensions import db
    from quizapp.jobs import queue

    name = f"bench-export-{uuid.uuid4().hex[:8]}"
    app = make_app(db_url, prefix, 1.5)
    app.config.update(JOBS_IMMEDIATE=False, JOBS_QUEUE_NAME=name)
    queue.configure(app)
    with app.app_context():
        organiser = db.session.get(User, 1)
        organiser.role = Role.ORGANISER
        db.session.commit()
        client = app.test_client()
        login(client, 1)  # a live login session (bare ids in the cookie are refused since issue 11)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            resp = client.post(f"/rounds/{round_id}/export.xlsx")
            times.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == 303, resp.status_code
        depth = queue.queue_depth()
        queue.huey.flush()
    return {"start_request_ms_median": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
            "queued": depth}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entrants", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    began = time.time()
    results: dict = {"args": vars(args), "loadavg_start": os.getloadavg()}
    db_url, drop = create_database()
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    try:
        from flask_migrate import upgrade

        from quizapp.extensions import db

        app = make_app(db_url, prefix, 1.5)
        with app.app_context():
            upgrade()
            ids = seed(db, args.entrants, args.entrants)
            db.session.remove()
            db.engine.dispose()
        vacuum(db_url)
        big = ids["rounds"][args.entrants]
        log(f"loaded {args.entrants:,} entrants in {time.time() - began:.0f} s")
        runs = []
        for i in range(args.runs):
            base = in_child(baseline_child, db_url, prefix, big)
            log(f"run {i + 1} xlsxwriter alone: {base}")
            exp = in_child(export_child, db_url, prefix, big)
            log(f"run {i + 1} export job: {exp}")
            runs.append({"baseline": base, "export": exp, "ratio": round(exp["seconds"] / base["seconds"], 2),
                         "loadavg": os.getloadavg()})
        results["runs"] = runs
        results["request_path"] = request_path(db_url, prefix, big)
        log(f"request path: {results['request_path']}")
    finally:
        drop()
    results["loadavg_end"] = os.getloadavg()
    results["total_seconds"] = round(time.time() - began, 1)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
