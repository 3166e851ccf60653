"""Issue 11 item 15: slow clients must not freeze the sync workers.  The shipped nginx recipe
(deploy/quizapp-proxy.conf, deploy/quizapp-server.conf) is started in front of a real gunicorn
with ONE sync worker; slow clients that trickle their request (or never finish it) must not keep
an ordinary request from being answered.  Without the proxy the same slow client holds the worker.

Needs nginx (`make proxy-deps`: apt-get install nginx); skipped with a loud reason otherwise."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.nginx_proxy import DEFAULT_PROXY_SECRET, NginxProxy, nginx_binary

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="!! nginx is NOT installed: the slow-client proxy test is SKIPPED (run `make proxy-deps`) !!")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """gunicorn with ONE sync worker on an empty SQLite file (enough for /healthz)."""
    env = {**os.environ, "QUIZAPP_CONFIG": "production", "SECRET_KEY": "proxy-test-secret-key-0123456789abcdef",
           "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'p.sqlite3'}",
           "TRUSTED_PROXY_HOPS": "1", "PROXY_SECRET": DEFAULT_PROXY_SECRET,
           "PUBLIC_BASE_URL": "https://thi.example.gov.vn"}
    env.pop("REDIS_URL", None)
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--timeout", "120",
                             "--graceful-timeout", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:  # pragma: no cover
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=15)


HALF_REQUESTS = (
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1",  # headers never finished
    # a form whose body never arrives (the CSRF check reads the form: the worker waits for it)
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100000\r\n\r\nlogin=09",
)


def _slow_clients(port: int, n: int) -> list[socket.socket]:
    """Clients that send half a request and then nothing."""
    out = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(HALF_REQUESTS[i % len(HALF_REQUESTS)])
        out.append(s)
    return out


def _answered_within(port: int, seconds: float) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=seconds) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("kind", range(len(HALF_REQUESTS)))
def test_without_the_proxy_one_slow_client_holds_the_only_worker(one_worker, kind):
    s = socket.create_connection(("127.0.0.1", one_worker))
    s.sendall(HALF_REQUESTS[kind])
    slow = [s]
    try:
        time.sleep(0.3)
        assert not _answered_within(one_worker, 3)  # the failure the proxy exists to prevent
    finally:
        for s in slow:
            s.close()


def test_behind_the_shipped_nginx_recipe_slow_clients_hold_no_worker(one_worker):
    with NginxProxy(_free_port(), [one_worker]) as proxy:
        slow = _slow_clients(proxy.listen_port, 20)
        try:
            time.sleep(0.3)
            for _ in range(5):
                assert _answered_within(proxy.listen_port, 3)
        finally:
            for s in slow:
                s.close()


def test_the_recipe_buffers_both_ways_and_stamps_the_arrival_time():
    """X-Request-Start comes from nginx (proxy_set_header replaces a client's), which the app trusts
    with TRUSTED_PROXY_HOPS (tests/test_arrival.py)."""
    conf = (ROOT / "deploy" / "quizapp-proxy.conf").read_text()
    assert 'proxy_set_header X-Request-Start "t=${msec}";' in conf
    assert "proxy_request_buffering on;" in conf and "proxy_buffering on;" in conf


@pytest.fixture(scope="module")
def echo_upstream():
    """An upstream that answers with the headers nginx sent it (what the app would see)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _raw_get(port: int, host: str, extra: str = "") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode())
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_the_recipe_passes_only_its_own_host_secret_and_stamp(echo_upstream):
    """Issue 20 items 1 and 3: Host is the server name nginx matched, X-Forwarded-Host is cleared,
    X-Proxy-Secret and X-Request-Start are nginx's own (a client's are replaced), and a request for
    an unknown host gets no answer at all (the default_server)."""
    import json

    with NginxProxy(_free_port(), [echo_upstream], proxy_secret="the-real-secret-0123456789",
                    server_name="thi.example.gov.vn") as proxy:
        raw = _raw_get(proxy.listen_port, "thi.example.gov.vn",
                       "X-Forwarded-Host: evil.example\r\nX-Proxy-Secret: guessed\r\nX-Request-Start: t=1\r\n")
        seen = json.loads(raw.split(b"\r\n\r\n", 1)[1])
        assert seen["host"] == "thi.example.gov.vn"
        assert "x-forwarded-host" not in seen
        assert seen["x-proxy-secret"] == "the-real-secret-0123456789"
        assert seen["x-request-start"].startswith("t=") and float(seen["x-request-start"][2:]) > 1e9
        assert _raw_get(proxy.listen_port, "evil.example") == b""  # 444: connection closed, no answer
