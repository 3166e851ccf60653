"""Hostile import files against the upload budget: refused or imported in ≤ 5 s and ≤ 300 MB RSS.

    .venv/bin/python bench/bench_hostile_uploads.py            # every file, one fresh process each
    .venv/bin/python bench/bench_hostile_uploads.py NAME ...   # some of them

Each file is built by tests/hostile_files.py into a temporary file (deleted
afterwards), then imported through ``quizapp.bank.importing.import_file`` — the
web route's service — into a migrated SQLite bank, in a fresh process: the
figures are that process's wall and CPU time for the import alone and its peak
RSS (getrusage: Python, the app, the file's bytes and the import).  The budget
is checked on CPU time, because on the shared 2-core machine wall time mostly
measures the other processes; both are printed.  The baseline in the same run is the
same process importing the 3-question YAML sample (tests/data/bank_sample.yaml).
Exit status 1 if any file breaks the budget.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS, BUDGET_MB = 5.0, 300


def measure(name: str, path: str) -> dict:
    """In this process: import the file at ``path``, report time, outcome and peak RSS."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.bank import importing
    from quizapp.bank.models import Question
    from quizapp.core.db import db
    from quizapp.core.errors import ServiceError

    with tempfile.TemporaryDirectory(prefix="bench-hostile-db-") as tmp:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3"})
        with app.app_context(), app.test_request_context():
            upgrade()
            filename, content = Path(path).name, Path(path).read_bytes()
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                report = importing.import_file(content, filename)
                outcome = "imported" if report.ok else f"refused: {len(report.errors)} row errors"
                message = report.errors[0].message if report.errors else ""
            except ServiceError as exc:
                outcome, message = f"refused: {exc.code}", exc.message
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            db.session.rollback()
            left = db.session.scalar(sa.select(sa.func.count()).select_from(Question)) if name != "baseline" else 0
            db.engine.dispose()
    return {"name": name, "bytes": len(content), "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "outcome": outcome,
            "message": message[:120], "bank_rows_after": left,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_one(name: str) -> dict:
    """Build the file, import it in a fresh process, return that process's figures."""
    import hostile_files

    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        if name == "baseline":
            filename, content = "bank_sample.yaml", (ROOT / "tests/data/bank_sample.yaml").read_bytes()
        else:
            filename, content = hostile_files.ALL_REFUSED[name][0]()
        path = Path(tmp) / filename
        path.write_bytes(content)
        del content
        out = subprocess.run([sys.executable, __file__, "--one", name, str(path)], capture_output=True, text=True,
                             timeout=300, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    import hostile_files

    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--one":  # build it here, measure it in a fresh process
        r = run_one(sys.argv[2])
        print(json.dumps(r))
        return 0
    names = sys.argv[1:] or ["baseline"] + list(hostile_files.ALL_REFUSED)
    failed = False
    print(f"{'file':26} {'size MB':>8} {'wall s':>6} {'CPU s':>6} {'RSS MB':>7}  outcome")
    for name in names:
        try:
            r = run_one(name)
        except RuntimeError as exc:
            print(f"{name:26} crashed: {exc}")
            failed = True
            continue
        over = r["cpu_seconds"] > BUDGET_SECONDS or r["peak_rss_mb"] > BUDGET_MB or r["bank_rows_after"]
        failed |= bool(over)
        print(f"{name:26} {r['bytes'] / 2**20:8.2f} {r['seconds']:6.2f} {r['cpu_seconds']:6.2f} "
              f"{r['peak_rss_mb']:7d}  {r['outcome']}"
              f"{'  OVER BUDGET' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
