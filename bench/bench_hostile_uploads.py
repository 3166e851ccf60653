"""Hostile import files against the upload budget: refused or imported in ≤ 5 s and ≤ 300 MB RSS.

    .venv/bin/python bench/bench_hostile_uploads.py            # every file, one fresh process each
    .venv/bin/python bench/bench_hostile_uploads.py NAME ...   # some of them

Each file (built by tests/hostile_files.py, never stored) is imported through
``quizapp.bank.services.import_file`` — the web route's service — into a
migrated SQLite bank, in a fresh process: the figures are that process's wall
time for the import alone and its peak RSS (getrusage, so it includes Python,
the app and building the hostile file).  The baseline in the same run is the
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


def measure(name: str) -> dict:
    """In this process: build the file, import it, report time, outcome and peak RSS."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    import hostile_files
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.bank import services
    from quizapp.bank.models import Question
    from quizapp.core.db import db
    from quizapp.core.errors import ServiceError

    tmp = tempfile.mkdtemp(prefix="bench-hostile-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3"})
    with app.app_context(), app.test_request_context():
        upgrade()
        if name == "baseline":
            filename, content = "bank_sample.yaml", (ROOT / "tests/data/bank_sample.yaml").read_bytes()
        else:
            filename, content = hostile_files.ALL_REFUSED[name][0]()
        start = time.perf_counter()
        try:
            report = services.import_file(content, filename)
            outcome = "imported" if report.ok else f"refused: {len(report.errors)} row errors"
            message = report.errors[0].message if report.errors else ""
        except ServiceError as exc:
            outcome, message = f"refused: {exc.code}", exc.message
        seconds = time.perf_counter() - start
        db.session.rollback()
        left = db.session.scalar(sa.select(sa.func.count()).select_from(Question)) if name != "baseline" else 0
    return {"name": name, "bytes": len(content), "seconds": round(seconds, 3), "outcome": outcome,
            "message": message[:120], "bank_rows_after": left,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    import hostile_files

    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
        return 0
    names = sys.argv[1:] or ["baseline"] + list(hostile_files.ALL_REFUSED)
    failed = False
    print(f"{'file':26} {'size MB':>8} {'s':>6} {'RSS MB':>7}  outcome")
    for name in names:
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, timeout=300,
                             cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if out.returncode:
            print(f"{name:26} crashed: {out.stderr.strip().splitlines()[-1:]}")
            failed = True
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        over = r["seconds"] > BUDGET_SECONDS or r["peak_rss_mb"] > BUDGET_MB or r["bank_rows_after"]
        failed |= bool(over)
        print(f"{name:26} {r['bytes'] / 2**20:8.2f} {r['seconds']:6.2f} {r['peak_rss_mb']:7d}  {r['outcome']}"
              f"{'  OVER BUDGET' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
