"""gunicorn for the live contest's event stream (``/live/stream/<code>``, Server-Sent Events):
``gunicorn -c deploy/gunicorn-stream.conf.py wsgi:app``, behind the ``location /live/stream/`` of
deploy/nginx.conf.  A sync worker would give a whole process to one open stream; the gevent worker
holds thousands (each waits on Redis pub/sub, no CPU while idle).  Set LIVE_REDIS_URL (or REDIS_URL)
so the streams of every process and node hear every change (docs/live.md)."""
import os

bind = os.environ.get("GUNICORN_STREAM_BIND", "127.0.0.1:8001")
worker_class = "gevent"  # pinned in requirements.txt
workers = int(os.environ.get("GUNICORN_STREAM_WORKERS", "1"))  # one per core left after the web workers
worker_connections = int(os.environ.get("GUNICORN_STREAM_CONNECTIONS", "4000"))  # open streams per process
timeout = 30  # the worker's own heartbeat; a stream may last LIVE_STREAM_MAX_SECONDS (600 s) and reconnects
graceful_timeout = 5  # streams do not finish by themselves: a restart ends them, the browsers reconnect
