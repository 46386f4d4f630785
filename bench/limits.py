"""What the rate limiter costs: GET /todos with it off, in memory, and shared in the database, on
SQLite and PostgreSQL, with 1 and 2 workers, in one run.

    .venv/bin/python -m bench.limits [--seconds 5] [--rounds 3]

Traffic as ChatGPT sends it to a ``service_http`` plugin: the service token on every call and
an ``openai-ephemeral-user-id`` drawn from 10,000 users, so each request reads and writes a
bucket of its own among many (one caller alone would make every shared check wait on one row).
``PLUGIN_RATE_LIMIT=1000000/second``: the budget is never spent, so every request pays the
whole check and is answered 200. Every server runs for the whole bench and the rounds are
interleaved (each configuration once per round), so a busy moment of this shared machine falls
on all of them. Besides req/s and latency it reads the CPU time the servers' processes (and
PostgreSQL's, for the PostgreSQL rows) spent per request, from /proc: the figure least disturbed
by what else the machine is doing. wrk runs on the same two cores, unpinned, as in
bench/production.py.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.production import bench_arguments
from bench.run import cpu_seconds
from tests.postgres import PostgresCluster
from tests.servers import LiveServer

TOKEN = "bench-service-token-0123456789"
CONNECTIONS = 32
USERS = 10_000
USERS_SCRIPT = f"""-- each request as one of {USERS} ChatGPT users
request = function()
  wrk.headers["openai-ephemeral-user-id"] = "user-" .. math.random({USERS})
  return wrk.format()
end
"""
LIMITERS = {
    "off": {"PLUGIN_RATE_LIMIT": "off"},
    "memory": {"PLUGIN_RATE_LIMIT_STORE": "memory"},
    "shared": {"PLUGIN_RATE_LIMIT_STORE": "database"},
}
LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Configuration:
    database: str  # sqlite or postgresql
    workers: int
    limiter: str
    server: LiveServer
    rows: list[tuple[float, float, float, float, float]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.database:10} {self.workers} worker{'s' if self.workers > 1 else ' '} " + (
            f"limiter {self.limiter}"
        )


def wrk(url: str, seconds: float, script: Path) -> tuple[float, float, float, int]:
    """req/s, p50 and p99 in ms, and how many answers were not 2xx."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency", "-s", str(script)]
    command += ["-H", f"Authorization: Bearer {TOKEN}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = {p: float(value) * UNITS[unit] for p, value, unit in LATENCY.findall(output)}
    if found is None or len(latency) != 2:
        raise RuntimeError(f"wrk failed:\n{output}")
    return (
        float(found.group(1)),
        latency["50"],
        latency["99"],
        int(errors.group(1) if errors else 0),
    )


def start(folder: Path, database: str, workers: int, limiter: str) -> LiveServer:
    env = {
        "PLUGIN_DATABASE": database,
        "PLUGIN_WORKERS": str(workers),
        "PLUGIN_AUTH": "service_http",
        "PLUGIN_SERVICE_TOKEN": TOKEN,
        "PLUGIN_RATE_LIMIT": "1000000/second",
        "PLUGIN_ACCESS_LOG": "off",  # the same in every row; without it the limiter shows more
        **LIMITERS[limiter],
    }
    log = folder / f"{Path(database).name}-{workers}-{limiter}.log"
    server = LiveServer(env, log_path=log).start(timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for text in ("buy milk", "walk the dog", "call the bank"):
        httpx.post(f"{server.url}/todos/bench", json={"todo": text}, headers=headers)
    return server


def measure(
    configuration: Configuration, seconds: float, script: Path, cluster: PostgresCluster
) -> None:
    assert configuration.server.process is not None
    pid = configuration.server.process.pid
    on_postgres = configuration.database == "postgresql"
    assert cluster.process is not None
    app_before, db_before = cpu_seconds(pid), cpu_seconds(cluster.process.pid)
    rps, p50, p99, errors = wrk(f"{configuration.server.url}/todos/bench?limit=10", seconds, script)
    if errors:
        raise RuntimeError(f"{configuration.name}: {errors} answers were not 2xx")
    requests = rps * seconds
    app_us = (cpu_seconds(pid) - app_before) * 1e6 / requests
    db_us = (cpu_seconds(cluster.process.pid) - db_before) * 1e6 / requests if on_postgres else 0.0
    configuration.rows.append((rps, p50, p99, app_us, db_us))
    print(
        f"  {configuration.name:38} {rps:6.0f} req/s  p50 {p50:5.2f} ms  p99 {p99:6.2f} ms  "
        f"cpu/req app {app_us:4.0f} us db {db_us:4.0f} us",
        flush=True,
    )


def table(configurations: list[Configuration]) -> list[str]:
    lines = [
        "| database | workers | limiter | req/s | vs off | p50 ms | p99 ms "
        "| CPU µs/req app | CPU µs/req PostgreSQL |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    baseline: dict[tuple[str, int], float] = {}
    for configuration in configurations:
        rps, p50, p99, app_us, db_us = (
            statistics.median(row[column] for row in configuration.rows) for column in range(5)
        )
        key = (configuration.database, configuration.workers)
        baseline.setdefault(key, rps)
        db = f"{db_us:.0f}" if configuration.database == "postgresql" else "-"
        lines.append(
            f"| {configuration.database} | {configuration.workers} | {configuration.limiter} "
            f"| {rps:.0f} | {rps / baseline[key]:.2f}x | {p50:.2f} | {p99:.2f} "
            f"| {app_us:.0f} | {db} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args = bench_arguments(parser, "bench.limits")
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as temp:
        folder = Path(temp)
        script = folder / "users.lua"
        script.write_text(USERS_SCRIPT)
        cluster = PostgresCluster(fsync=True).start()
        configurations: list[Configuration] = []
        try:
            for database in ("sqlite", "postgresql"):
                for workers in (1, 2):
                    for limiter in LIMITERS:
                        location = (
                            cluster.new_database()
                            if database == "postgresql"
                            else str(folder / f"{workers}-{limiter}.sqlite3")
                        )
                        server = start(folder, location, workers, limiter)
                        configurations.append(Configuration(database, workers, limiter, server))
            for configuration in configurations:  # warm-up
                wrk(f"{configuration.server.url}/todos/bench", 1, script)
            for number in range(1, args.rounds + 1):
                print(f"round {number}", flush=True)
                for configuration in configurations:
                    measure(configuration, args.seconds, script, cluster)
        finally:
            for configuration in configurations:
                configuration.server.stop()
                configuration.server.kill()
            cluster.stop()
    print(f"\nmedians of {args.rounds} rounds of {args.seconds:g} s, wrk -t2 -c{CONNECTIONS}:")
    print("\n".join(table(configurations)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
