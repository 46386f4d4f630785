"""Requests per second for GET and POST /todos: 1, 2 and 4 workers, SQLite and PostgreSQL, direct
and through nginx (TLS), in one run.

    make bench-production            # or: .venv/bin/python -m bench.production [--seconds 5]

The load comes from ``wrk`` (Debian's package) on the same machine, so the figures are for this
machine with client and server sharing its cores. Every POST is a durable write (SQLite: WAL,
synchronous=FULL, group commit; PostgreSQL: fsync on, synchronous_commit on). Rate limiting is
off; the access log is on, as by default.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.nginx import Nginx
from tests.postgres import PostgresCluster
from tests.servers import LiveServer
from tests.tls import make_certificate

WORKERS = (1, 2, 4)
CONNECTIONS = 32
POST_SCRIPT = """wrk.method = "POST"
wrk.body = '{"todo": "a benchmark todo"}'
wrk.headers["Content-Type"] = "application/json"
"""


def wrk(url: str, seconds: int, script: Path | None) -> float:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if found is None or errors is not None:
        raise RuntimeError(f"wrk failed or saw errors:\n{output}")
    return float(found.group(1))


@contextmanager
def server(folder: Path, database: str, workers: int) -> Iterator[LiveServer]:
    env = {"PLUGIN_DATABASE": database, "PLUGIN_WORKERS": str(workers), "PLUGIN_RATE_LIMIT": "off"}
    running = LiveServer(env, log_path=folder / f"server-{workers}.log").start(timeout=60)
    try:
        httpx.post(f"{running.url}/todos/bench", json={"todo": "seed"}).raise_for_status()
        yield running
    finally:
        running.stop()
        running.kill()


def measure(base_url: str, seconds: int, post_script: Path) -> tuple[float, float]:
    url = f"{base_url}/todos/bench"
    get = wrk(f"{url}?limit=10", seconds, None)
    post = wrk(url, seconds, post_script)
    return get, post


Row = tuple[str, int, str, float, float]


def record(rows: list[Row], row: Row) -> None:
    rows.append(row)
    name, workers, path, get, post = row
    print(f"{name:10} {workers} workers {path:9}: GET {get:8.0f}  POST {post:8.0f}", flush=True)


def through_nginx(
    folder: Path, port: int, tls: tuple[Path, Path], seconds: int
) -> tuple[float, float]:
    proxy = Nginx(folder / f"nginx-{port}", port, *tls).start()
    try:
        return measure(proxy.url, seconds, folder / "post.lua")
    finally:
        proxy.stop()


def bench_arguments(parser: argparse.ArgumentParser, module: str) -> argparse.Namespace:
    """The arguments, ``--seconds`` among them; exits if wrk is missing; prints the command."""
    parser.add_argument("--seconds", type=int, default=5, help="per measurement")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: make bench-production installs it")
    print("command:", shlex.join([sys.executable, "-m", module, *sys.argv[1:]]))
    return args


def main() -> int:
    args = bench_arguments(
        argparse.ArgumentParser(description=__doc__.splitlines()[0]), "bench.production"
    )
    print(
        f"wrk -t2 -c{CONNECTIONS} -d{args.seconds}s; GET /todos/bench?limit=10, POST /todos/bench"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        folder = Path(temp)
        script = folder / "post.lua"
        script.write_text(POST_SCRIPT)
        tls = make_certificate(folder)
        cluster = PostgresCluster(fsync=True).start()
        try:
            for name, make_database in (
                ("sqlite", lambda w: str(folder / f"bench-{w}.sqlite3")),
                ("postgresql", lambda w: cluster.new_database()),
            ):
                for workers in WORKERS:
                    with server(folder, make_database(workers), workers) as running:
                        get, post = measure(running.url, args.seconds, script)
                        record(rows, (name, workers, "direct", get, post))
                        if name == "sqlite":
                            get, post = through_nginx(folder, running.port, tls, args.seconds)
                            record(rows, (name, workers, "nginx+TLS", get, post))
        finally:
            cluster.stop()
    print()
    print("| database | workers | path | GET req/s | POST req/s |")
    print("|---|---|---|---|---|")
    for name, workers, path, get, post in rows:
        print(f"| {name} | {workers} | {path} | {get:.0f} | {post:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
