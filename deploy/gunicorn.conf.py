"""gunicorn settings for quizapp: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Prometheus multiprocess mode: every worker writes its request metrics to files in
PROMETHEUS_MULTIPROC_DIR (emptied when the master starts; a dead worker's live
gauges are dropped), and /metrics adds them up.
"""
import os
import shutil
import tempfile

# Loopback only: nginx in front is the one client (a worker reachable from outside would take
# forged X-Forwarded-*/X-Request-Start headers without PROXY_SECRET). GUNICORN_BIND overrides,
# e.g. unix:/run/quizapp/gunicorn.sock.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))  # one sync worker per core
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # long work runs as jobs, not in requests


def on_starting(server):
    folder = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                   os.path.join(tempfile.gettempdir(), f"quizapp-metrics-{os.getpid()}"))
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
