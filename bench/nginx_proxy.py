"""Start nginx in front of a local gunicorn with the shipped proxy recipe (deploy/quizapp-*.conf).

Used by bench/storm.py (``--proxy nginx``, and always with ``--fault slow-clients``) and by
tests/test_nginx_proxy.py.  The generated nginx.conf only supplies what a production server's
main config would (pid, logs, temp paths, the upstream and the listen port) and includes the two
shipped files, so what is tested is what is deployed.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# What the storm and the tests give both nginx and the app (PROXY_SECRET); never a production value.
DEFAULT_PROXY_SECRET = "bench-proxy-secret-0123456789abcdef"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


class NginxProxy:
    def __init__(self, listen_port: int, upstream_ports: list[int], worker_connections: int = 4096,
                 proxy_secret: str = DEFAULT_PROXY_SECRET, server_name: str | None = None,
                 access_log: str | None = None, worker_priority: int = 0):
        # access_log: a file for one line per request (when nginx read it, how long it took, status, URI):
        # the storm matches refused answers to when nginx received them.  worker_priority: nginx's own
        # (deploy/nginx.conf sets -5, so busy app workers never starve the process that stamps arrivals).
        self.access_log = access_log
        self.worker_priority = worker_priority
        self.proxy_secret = proxy_secret  # the app's PROXY_SECRET (nginx.conf: /etc/nginx/quizapp-secret.conf)
        self.server_name = server_name  # with a name: a default_server drops every other Host, as deployed
        self.listen_port = listen_port
        self.upstream_ports = upstream_ports
        self.worker_connections = worker_connections
        self.dir = Path(tempfile.mkdtemp(prefix="quizapp-nginx-"))
        self.proc: subprocess.Popen | None = None

    def config(self) -> str:
        d = self.dir
        user = "user root;\n" if os.geteuid() == 0 else ""
        servers = "".join(f"        server 127.0.0.1:{p};\n" for p in self.upstream_ports)
        default = name = ""
        if self.server_name:
            # deploy/nginx.conf's catch-all: any other Host gets no answer at all
            default = (f"    server {{\n        listen 127.0.0.1:{self.listen_port} default_server;\n"
                       f"        server_name _;\n        return 444;\n    }}\n")
            name = f"        server_name {self.server_name};\n"
        log = (f"    log_format arrival '$msec $request_time $status $request_method $request_uri';\n"
               f"    access_log {self.access_log} arrival;\n") if self.access_log else "    access_log off;\n"
        return f"""{user}worker_processes 1;
worker_priority {self.worker_priority};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile {self.worker_connections * 2 + 64};
events {{ worker_connections {self.worker_connections}; }}
http {{
{log}    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream quizapp_app {{
{servers}    }}
{default}    server {{
        listen 127.0.0.1:{self.listen_port} backlog=4096;
{name}        include {DEPLOY / 'quizapp-server.conf'};
        set $quizapp_proxy_secret "{self.proxy_secret}";
        location / {{
            include {DEPLOY / 'quizapp-proxy.conf'};
        }}
    }}
}}
"""

    def __enter__(self) -> "NginxProxy":
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx; see the Makefile's proxy-deps)")
        conf = self.dir / "nginx.conf"
        conf.write_text(self.config())
        check = subprocess.run([binary, "-t", "-c", str(conf), "-p", str(self.dir)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr}")
        self.proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.listen_port)) == 0:
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'error.log').read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)
