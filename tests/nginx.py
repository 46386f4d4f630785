"""A real nginx (Debian's package) terminating TLS in front of the app, on loopback.

It runs in the foreground with a configuration written into a temporary folder, and connects
to the app from 127.0.0.2, so the app can tell its proxy (PLUGIN_TRUSTED_PROXIES) from a client
that connects directly from 127.0.0.1.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from .servers import free_port

PROXY_ADDRESS = "127.0.0.2"

CONFIG = """
daemon off;
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream plugin {{ server 127.0.0.1:{app_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {certfile};
        ssl_certificate_key {keyfile};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{
            proxy_pass http://plugin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_bind {proxy_address};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed: run `make test` (apt-get install nginx)")
    return found


class Nginx:
    def __init__(self, folder: Path, app_port: int, certfile: Path, keyfile: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"https://localhost:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "nginx.conf"
        self.config.write_text(
            CONFIG.format(
                folder=folder,
                port=self.port,
                app_port=app_port,
                certfile=certfile,
                keyfile=keyfile,
                proxy_address=PROXY_ADDRESS,
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> Nginx:
        self.process = subprocess.Popen(
            [nginx_binary(), "-c", str(self.config), "-p", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log()}")
            try:
                httpx.get(f"{self.url}/healthz", verify=False, timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.log()}")

    def log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
