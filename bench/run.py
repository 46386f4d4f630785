"""Throughput and latency of our server beside the quickstart-shaped baseline and bare ASGI.

Run by hand (``make bench`` or ``python bench/run.py --help``), never by the test suite. The
machine is shared and noisy, so the three servers run at the same time and are measured in
interleaved rounds (ours, baseline, ceiling, ours, ...), each on the same Hypercorn with one
worker and the same event loop (``--loop``: uvloop, our default, or asyncio), pinned to one core
while wrk runs on the other; medians across rounds are compared.

1. ours: ``python main.py`` with ``PLUGIN_AUTH=service_http`` (its token sent), the access log
   on, a fresh SQLite database (WAL, ``synchronous=FULL``) in a temporary folder;
2. baseline: bench/baseline_app.py, the quickstart's shape (Quart, quart-cors, in-memory dict,
   files re-read per request);
3. ceiling: bench/ceiling_app.py, a fixed JSON body from a bare ASGI app.

After the rounds it checks that every POST acknowledged by our server is stored and reports how
many transactions the group commit needed for them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TOKEN = "bench-service-token-0123456789"
ORIGIN = "https://chat.openai.com"
SEEDED = ("buy milk", "walk the dog", "write the report", "call the bank", "water the plants")
POST_BODY = json.dumps({"todo": "a new todo from the benchmark"})
SERVERS = ("ours", "baseline", "ceiling")
RATE_LIMIT = "1000000/second"


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    body: str = ""


ENDPOINTS = (
    Endpoint("GET /todos/{user}", "/todos/reader"),
    Endpoint("POST /todos/{user}", "/todos/writer", POST_BODY),
    Endpoint("GET /.well-known/ai-plugin.json", "/.well-known/ai-plugin.json"),
    Endpoint("GET /openapi.yaml", "/openapi.yaml"),
)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    ok: int
    errors: int
    cpu_us: float  # server CPU time (all its threads and processes) per request


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (Hypercorn's CLI runs its worker as a child)."""
    found = [pid]
    for process in found:
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:
                continue
            found.extend(int(child) for child in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a server's processes, from /proc."""
    total = 0
    for process in descendants(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:  # it exited since it was listed (a PostgreSQL backend)
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    results: dict[str, list[Result]] = field(default_factory=dict)
    cwd: Path = REPO  # compare.py runs a second build from a worktree

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing; installing the Debian package", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed")
    return found


def pinned(cpu: str | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command] if cpu is not None else command


def request(url: str, body: str | None = None, token: bool = True) -> bytes:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {TOKEN}"
    data = body.encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=5) as answer:
        return bytes(answer.read())


def start(server: Server, cpu: str | None) -> None:
    server.port = free_port()
    command = [part.replace("{port}", str(server.port)) for part in server.command]
    with open(server.log, "ab") as log:
        server.process = subprocess.Popen(
            pinned(cpu, command), env=server.env, cwd=server.cwd, stdout=log, stderr=log
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"{server.name} exited: {server.log.read_text()}")
        try:
            request(f"{server.url}/openapi.yaml")
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{server.name} did not start: {server.log.read_text()}")


def stop(server: Server) -> None:
    if server.process is None or server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def wrk_command(args: argparse.Namespace, wrk: str, url: str, duration: float) -> list[str]:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--latency",
        "-s",
        str(BENCH / "report.lua"),
        "-H",
        f"Authorization: Bearer {TOKEN}",
        "-H",
        f"Origin: {ORIGIN}",
        url,
    ]
    return pinned(args.load_cpu, command)


def measure(
    args: argparse.Namespace, wrk: str, server: Server, endpoint: Endpoint, duration: float
) -> Result:
    env = {**os.environ, "WRK_BODY": endpoint.body}
    assert server.process is not None
    cpu_before = cpu_seconds(server.process.pid)
    completed = subprocess.run(
        wrk_command(args, wrk, server.url + endpoint.path, duration),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = cpu_seconds(server.process.pid) - cpu_before
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith("RESULT ")), None
    )
    if line is None:
        sys.exit(f"wrk gave no result:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line[len("RESULT ") :])
    errors = raw["non2xx"] + raw["socket_errors"]
    return Result(
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        ok=raw["requests"] - raw["non2xx"],
        errors=errors,
        cpu_us=cpu * 1e6 / max(raw["requests"], 1),
    )


def build_servers(args: argparse.Namespace, tmp: Path) -> list[Server]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_")}
    hypercorn = [sys.executable, "-m", "hypercorn", "--worker-class", args.loop]
    hypercorn += ["--bind", "127.0.0.1:{port}", "--workers"]
    ours_env = {
        **clean,
        "PLUGIN_AUTH": "service_http",
        "PLUGIN_SERVICE_TOKEN": TOKEN,
        "PLUGIN_VERIFICATION_TOKEN": "bench-verification-token",
        "PLUGIN_DATABASE": str(tmp / "bench.sqlite3"),
        # On, so its cost is measured, with a budget the load never exhausts (the default
        # 60/minute would answer nearly every request 429).
        "PLUGIN_RATE_LIMIT": RATE_LIMIT,
        "PLUGIN_EVENT_LOOP": args.loop,
    }
    bench_env = {**clean, "PYTHONPATH": str(BENCH)}
    return [
        Server("ours", [sys.executable, "main.py", "--port", "{port}"], ours_env, tmp / "ours.log"),
        Server("baseline", [*hypercorn, "1", "baseline_app:app"], bench_env, tmp / "baseline.log"),
        Server("ceiling", [*hypercorn, "1", "ceiling_app:app"], bench_env, tmp / "ceiling.log"),
    ]


def seed(servers: Sequence[Server]) -> None:
    for server in servers:
        if server.name == "ceiling":
            continue
        for text in SEEDED:
            request(f"{server.url}/todos/reader", json.dumps({"todo": text}))
    stored = json.loads(request(f"{servers[0].url}/todos/reader"))
    assert stored["todos"] == list(SEEDED), stored


def ms(value: float) -> str:
    return f"{value:.2f}"


def print_round(number: int, endpoint: Endpoint, row: dict[str, Result]) -> None:
    cells = "  ".join(
        f"{name} {result.rps:6.0f} req/s {result.cpu_us:4.0f} us cpu/req "
        f"p50 {ms(result.p50_ms)} p99 {ms(result.p99_ms)}"
        + (f" ({result.errors} errors)" if result.errors else "")
        for name, result in row.items()
    )
    print(f"  round {number} {endpoint.name:34} {cells}", flush=True)


def summarize(servers: Sequence[Server], endpoints: Sequence[Endpoint]) -> list[str]:
    """The comparison as Markdown, so it can go into the README as it is.

    Three views of "ours / baseline": the ratio of the median req/s; the median of the per-round
    ratios (each round's servers ran seconds apart, so it is the least disturbed by load drifting
    over the run); and the ratio of CPU time per request, which is what the req/s would be on a
    core of our own, whatever else the shared machine was doing.
    """
    lines = [
        "| endpoint | req/s ours / baseline / ceiling | ours/baseline req/s "
        "| per-round ratio | CPU-time ratio | ceiling/baseline | p50 ms ours / base / ceil "
        "| p99 ms ours / base / ceil |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    by_name = {server.name: server.results for server in servers}
    for endpoint in endpoints:
        runs = [by_name[name][endpoint.name] for name in SERVERS]

        def median(field: str, server: int, runs: list[list[Result]] = runs) -> float:
            return statistics.median(getattr(result, field) for result in runs[server])

        rps = [median("rps", i) for i in range(3)]
        per_round = statistics.median(o.rps / b.rps for o, b in zip(runs[0], runs[1], strict=True))
        cpu = median("cpu_us", 1) / median("cpu_us", 0)
        p50 = " / ".join(ms(median("p50_ms", i)) for i in range(3))
        p99 = " / ".join(ms(median("p99_ms", i)) for i in range(3))
        lines.append(
            f"| `{endpoint.name}` | {rps[0]:.0f} / {rps[1]:.0f} / {rps[2]:.0f} "
            f"| **{rps[0] / rps[1]:.2f}x** | {per_round:.2f}x | {cpu:.2f}x "
            f"| {rps[2] / rps[1]:.2f}x | {p50} | {p99} |"
        )
    return lines


def check_writes(ours: Server, database: Path, acknowledged: int) -> list[str]:
    """Every acknowledged POST is stored; how many transactions the group commit used."""
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT count(*) FROM todos WHERE owner = 'writer'").fetchone()[
            0
        ]
    log = ours.log.read_text(errors="replace")
    commits = re.findall(r"group commit: (\d+) writes in (\d+) transactions", log)
    access_lines = sum(1 for line in log.splitlines() if "plugin.access" in line)
    # wrk stops with requests in flight: the server may store a write wrk never saw answered.
    verdict = "every acknowledged write stored" if stored >= acknowledged else "WRITES LOST"
    lines = [
        f"POSTs acknowledged by ours: {acknowledged}; stored: {stored} ({verdict})",
        f"access log lines written by ours: {access_lines}",
    ]
    if commits:
        writes, transactions = (int(n) for n in commits[-1])
        lines.append(
            f"group commit: {writes} writes in {transactions} transactions "
            f"({writes / max(transactions, 1):.1f} writes per fsynced commit)"
        )
    else:
        lines.append("group commit: no summary line found in the server log")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of warm-up per pair")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--server-cpu", default="0", help="core for the servers ('' = any)")
    parser.add_argument("--load-cpu", default="1", help="core for wrk ('' = any)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="every server's event loop (default uvloop, our server's own default)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="measure only the endpoints whose name contains WORD (repeatable; e.g. POST, yaml)",
    )
    args = parser.parse_args(argv)
    if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        args.server_cpu = args.load_cpu = ""
    args.server_cpu = args.server_cpu or None
    args.load_cpu = args.load_cpu or None
    endpoints = [e for e in ENDPOINTS if not args.only or any(w in e.name for w in args.only)]
    if not endpoints:
        parser.error(f"no endpoint name contains any of {args.only}")
    wrk = ensure_wrk()
    command = "python bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    tmp = Path(tempfile.mkdtemp(prefix="plugin-bench-"))
    servers = build_servers(args, tmp)
    try:
        for server in servers:
            start(server, args.server_cpu)
        seed(servers)
        print(f"command: {command}")
        print(
            "wrk:     "
            + shlex.join(wrk_command(args, "wrk", "URL", args.duration))
            + "  (WRK_BODY set for POST)"
        )
        print(
            f"servers on cpu {args.server_cpu} ({args.loop} loop), wrk on cpu {args.load_cpu}; "
            f"load average {os.getloadavg()[0]:.2f}; temporary folder {tmp}",
            flush=True,
        )
        acknowledged = 0
        for endpoint in endpoints:
            for server in servers:
                result = measure(args, wrk, server, endpoint, args.warmup)
                if server.name == "ours" and endpoint.body:
                    acknowledged += result.ok
        for number in range(1, args.rounds + 1):
            for endpoint in endpoints:
                row: dict[str, Result] = {}
                for server in servers:
                    result = measure(args, wrk, server, endpoint, args.duration)
                    server.results.setdefault(endpoint.name, []).append(result)
                    row[server.name] = result
                    if server.name == "ours" and endpoint.body:
                        acknowledged += result.ok
                print_round(number, endpoint, row)
    finally:
        for server in servers:
            stop(server)
    print(f"\nmedians of {args.rounds} rounds, {args.duration:g} s each:")
    print("\n".join(summarize(servers, endpoints)))
    print("\n".join(check_writes(servers[0], tmp / "bench.sqlite3", acknowledged)))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
