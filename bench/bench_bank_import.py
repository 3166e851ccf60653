"""Question bank import speed: a 10,000-question .xlsx, compared with pandas.read_excel alone.

    /work/main/.venv/bin/python bench/bench_bank_import.py                 # SQLite (temporary file)
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        /work/main/.venv/bin/python bench/bench_bank_import.py             # PostgreSQL (throwaway database)

The baseline is ``pandas.read_excel(dtype=str)`` on the same file, measured in
the same run.  The import is the whole of ``quizapp.bank.importing.import_file``
(parse, validate, match, insert 10,000 questions and 40,000 options) plus the
commit, into an empty bank.  Each figure is the median of ``--runs`` runs.
Peak memory is measured in a separate import under tracemalloc (Python
allocations), and the process's peak RSS is reported from getrusage.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("cải cách hành chính thủ tục một cửa liên thông dịch vụ công trực tuyến chính phủ số công chức "
         "viên chức tổ chức bộ máy tài chính công ngân sách kiểm soát hồ sơ tiếp nhận trả kết quả nghị định "
         "quyết định thông tư ủy ban nhân dân tỉnh sở ban ngành cấp xã đánh giá chỉ số hài lòng").split()
AREAS = ("TC", "TTHC", "TCBM", "CV", "TCC", "CQS", "KH")


def make_rows(n: int) -> list[dict]:
    rnd = random.Random(42)

    def sentence(k):
        return " ".join(rnd.choice(WORDS) for _ in range(k))

    rows = []
    for i in range(n):
        correct = rnd.randrange(4)
        multiple = i % 10 == 0
        rows.append({
            "external_id": f"B-{i:05d}", "area": AREAS[i % len(AREAS)], "difficulty": 1 + i % 3,
            "multiple": multiple,
            "text": f"Câu {i}: theo quy định hiện hành, {sentence(rnd.randint(12, 30))}?",
            "options": [{"text": f"{'ABCD'[j]}. {sentence(rnd.randint(3, 10))} ({i}-{j})",
                         "correct": j == correct or (multiple and j == (correct + 1) % 4)} for j in range(4)],
            "explanation": sentence(20) if i % 2 else None,
            "source": f"Nghị định {i % 150}/20{10 + i % 15}/NĐ-CP",
            "reference_date": None,
        })
    return rows


def make_xlsx(n: int) -> bytes:
    from quizapp.bank.formats.xlsx_csv import to_frame
    from quizapp.core.spreadsheet import frame_to_xlsx

    return frame_to_xlsx(to_frame(make_rows(n)), sheet_name="Câu hỏi")


def database(base_url: str | None, tmp: Path):
    if not base_url:
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    url = sa.engine.make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)
                             if base_url.startswith("postgresql://") else base_url)
    name = f"quizapp_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    base_url = os.environ.pop("DATABASE_URL", "").strip() or None
    tmp = Path(tempfile.mkdtemp(prefix="bench-bank-"))
    url, drop = database(base_url, tmp)

    import config
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.bank import importing
    from quizapp.bank.models import ImportBatch, Option, Question
    from quizapp.core.db import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(url)})
    try:
        with app.app_context():
            upgrade()
            content = make_xlsx(args.questions)
            print(f"backend {db.engine.dialect.name}, {args.questions} questions, file {len(content) / 2**20:.2f} MB")

            def wipe():
                for model in (Option, Question, ImportBatch):
                    db.session.execute(sa.delete(model))
                db.session.commit()
                if db.engine.dialect.name == "postgresql":
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(sa.text("VACUUM ANALYZE questions"))
                        conn.execute(sa.text("VACUUM ANALYZE options"))

            def timed(fn):
                start = time.perf_counter()
                result = fn()
                return time.perf_counter() - start, result

            def do_import():
                report = importing.import_file(content, "bench.xlsx")
                db.session.commit()
                assert report.ok and report.created == args.questions, report.errors[:3]
                return report

            reads, imports, reimports = [], [], []
            for _ in range(args.runs):
                reads.append(timed(lambda: pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl"))[0])
                wipe()
                imports.append(timed(do_import)[0])
                t, report = timed(lambda: importing.import_file(content, "bench.xlsx"))
                db.session.commit()
                assert report.unchanged == args.questions
                reimports.append(t)

            wipe()
            tracemalloc.start()
            do_import()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

            read, imp, reimp = (statistics.median(x) for x in (reads, imports, reimports))
            print(f"pandas.read_excel alone        {read:7.2f} s   (baseline 1.00)")
            print(f"import into an empty bank      {imp:7.2f} s   ratio {imp / read:.2f}")
            print(f"same file again (all unchanged) {reimp:6.2f} s   ratio {reimp / read:.2f}")
            print(f"peak Python memory of the import (tracemalloc) {peak / 2**20:.0f} MB; process peak RSS {rss:.0f} MB")
            print("runs (read, import, re-import):", [f"{a:.2f}/{b:.2f}/{c:.2f}" for a, b, c in zip(reads, imports, reimports)])
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
