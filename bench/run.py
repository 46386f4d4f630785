"""Throughput and latency of our server on each ASGI server, beside what users pick instead.

Run by hand (``make bench`` or ``python bench/run.py --help``), never by the test suite. The
machine is shared and noisy, so every server runs at the same time and they are measured in
interleaved rounds (each endpoint on each server in turn, then again), all on the same event
loop (``--loop``: uvloop, our default, or asyncio), pinned to one core while wrk runs on the
other; medians across rounds are compared.

1. ours on Hypercorn: ``python main.py`` with ``PLUGIN_AUTH=service_http`` (its token sent), the
   access log on, a fresh SQLite database (WAL, ``synchronous=FULL``) in a temporary folder;
2. ours on uvicorn (httptools) and on granian, the same settings, started by the servers' own
   commands with the factory our CLI's workers run (``plugin.cli:serving_app``) and our log
   handler (bench/logging.json), each with a database of its own;
3. fastapi-uvicorn: bench/fastapi_app.py, the same TODO contract in memory on uvicorn;
4. baseline: bench/baseline_app.py on Hypercorn, the quickstart's shape (Quart, quart-cors,
   in-memory dict, files re-read per request);
5. ceiling-*: bench/ceiling_app.py, a fixed JSON body from a bare ASGI app, on each server.

After the rounds it checks that every POST acknowledged by each of ours is stored and reports
how many transactions the group commit needed for them.
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
import urllib.error
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
RATE_LIMIT = "1000000/second"
OURS = ("ours-hypercorn", "ours-uvicorn", "ours-granian")
FAST = OURS[1:]
# What each target compares: (ours, against, endpoint word, target). The fast servers against
# FastAPI on uvicorn (issue 15); Hypercorn against the quickstart's shape (the foundation's).
TARGETS = (
    *((fast, "fastapi-uvicorn", word, 1.5) for fast in FAST for word in ("GET /todos", "POST")),
    ("ours-hypercorn", "baseline", "GET /todos", 1.0),
    ("ours-hypercorn", "baseline", "POST", 1.0),
    ("ours-hypercorn", "baseline", "ai-plugin", 2.0),
    ("ours-hypercorn", "baseline", "yaml", 2.0),
    # What validation from the spec costs: ours with it against ours without (at most 10%).
    ("ours-hypercorn", "ours-unvalidated", "GET /todos", 0.9),
    ("ours-hypercorn", "ours-unvalidated", "POST", 0.9),
)
FASTMCP = "fastmcp-uvicorn"
MCP_COST = 1.5  # a tools/call costs at most this many plain calls (plain req/s / MCP req/s)
MCP_OVER_FASTMCP = 8.0  # ours answers at least this many tools/call per FastMCP's


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    body: str = ""
    headers: tuple[str, ...] = ()  # more wrk -H arguments
    only: tuple[str, ...] = ()  # the servers that are loaded with it, if not every one
    writes: str = ""  # whose todos it adds, durably: each acknowledged one is checked after


def compact(value: object) -> str:
    """JSON as MCP clients send it (``JSON.stringify``, pydantic): no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def tools_call(name: str, arguments: dict[str, object]) -> str:
    params = {"name": name, "arguments": arguments}
    return compact({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})


MCP_HEADERS = ("Accept: application/json, text/event-stream",)
# Each MCP operation as a plain call and as a tools/call, on ours (and FastMCP in front of ours).
MCP_PAIRS = (
    (
        Endpoint("plain getTodos (page of 10)", "/todos/bench?limit=10", only=OURS),
        Endpoint(
            "MCP getTodos (page of 10)",
            "/mcp",
            tools_call("getTodos", {"username": "bench", "limit": 10}),
            MCP_HEADERS,
            (*OURS, FASTMCP),
        ),
    ),
    (
        Endpoint(
            "plain addTodo",
            "/todos/bench",
            compact({"todo": "bench"}),
            only=OURS,
            writes="bench",
        ),
        Endpoint(
            "MCP addTodo",
            "/mcp",
            tools_call("addTodo", {"username": "bench", "todo": "bench"}),
            MCP_HEADERS,
            (*OURS, FASTMCP),
            "bench",
        ),
    ),
)


ENDPOINTS = (
    Endpoint("GET /todos/{user}", "/todos/reader"),
    Endpoint("POST /todos/{user}", "/todos/writer", POST_BODY, writes="writer"),
    Endpoint("GET /.well-known/ai-plugin.json", "/.well-known/ai-plugin.json"),
    Endpoint("GET /openapi.yaml", "/openapi.yaml"),
    *(endpoint for pair in MCP_PAIRS for endpoint in pair),
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
    paths: tuple[str, ...] = ()  # the path prefixes it serves, if not all (FastAPI: /todos/)
    database: Path | None = None  # ours: checked for every acknowledged write
    ready_path: str = "/openapi.yaml"
    upstream: str = ""  # FastMCP: the server whose URL it is given (BENCH_UPSTREAM)

    def serves(self, endpoint: Endpoint) -> bool:
        """Whether this server is loaded with ``endpoint`` (each of ours is, with all)."""
        if endpoint.only and self.name not in endpoint.only:
            return False
        return not self.paths or endpoint.path.startswith(self.paths)

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
            request(server.url + server.ready_path)
            return
        except urllib.error.HTTPError:  # answering, if only with a refusal
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


def wrk_command(
    args: argparse.Namespace, wrk: str, url: str, duration: float, headers: Sequence[str] = ()
) -> list[str]:
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
        *(part for value in headers for part in ("-H", value)),
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
        wrk_command(args, wrk, server.url + endpoint.path, duration, endpoint.headers),
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
    """Every server of the comparison, ours first; ``args.loop`` is each one's event loop."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_")}
    python = sys.executable
    hypercorn = [python, "-m", "hypercorn", "--worker-class", args.loop]
    hypercorn += ["--bind", "127.0.0.1:{port}", "--workers", "1"]
    uvicorn = [python, "-m", "uvicorn", "--loop", args.loop, "--http", "httptools"]
    uvicorn += ["--no-access-log", "--host", "127.0.0.1", "--port", "{port}"]
    granian = [python, "-m", "granian", "--interface", "asgi", "--loop", args.loop]
    granian += ["--no-access-log", "--host", "127.0.0.1", "--port", "{port}"]
    # The factory the CLI's own workers run (gc frozen after start-up), our log handler.
    factory = ["--factory", "--log-config", str(BENCH / "logging.json"), "plugin.cli:serving_app"]

    def ours(name: str, command: list[str]) -> Server:
        database = tmp / f"{name}.sqlite3"
        env = {
            **clean,
            "PLUGIN_AUTH": "service_http",
            "PLUGIN_SERVICE_TOKEN": TOKEN,
            "PLUGIN_VERIFICATION_TOKEN": "bench-verification-token",
            "PLUGIN_DATABASE": str(database),
            # On, so its cost is measured, with a budget the load never exhausts (the default
            # 60/minute would answer nearly every request 429).
            "PLUGIN_RATE_LIMIT": RATE_LIMIT,
            "PLUGIN_EVENT_LOOP": args.loop,
        }
        return Server(name, command, env, tmp / f"{name}.log", database=database)

    bench_env = {**clean, "PYTHONPATH": str(BENCH), "BENCH_SERVICE_TOKEN": TOKEN}

    def other(
        name: str, command: list[str], paths: tuple[str, ...] = (), ready: str = ""
    ) -> Server:
        log = tmp / f"{name}.log"
        return Server(
            name, command, bench_env, log, paths=paths, ready_path=ready or "/openapi.yaml"
        )

    # FastMCP (requirements/bench-fastmcp.txt) lives in a folder of its own: its dependencies
    # are newer than ours allow.
    fastmcp = other(FASTMCP, [*uvicorn, "fastmcp_app:app"], ("/mcp",), "/mcp")
    fastmcp.env = {**bench_env, "PYTHONPATH": f"{args.fastmcp}:{BENCH}"}
    fastmcp.upstream = "ours-uvicorn"

    return [
        ours("ours-hypercorn", [python, "main.py", "--port", "{port}"]),
        ours("ours-unvalidated", [python, "-m", "bench.unvalidated", "--port", "{port}"]),
        ours("ours-uvicorn", [*uvicorn, *factory]),
        ours("ours-granian", [*granian, *factory]),
        other("fastapi-uvicorn", [*uvicorn, "fastapi_app:app"], ("/todos/",), "/todos/reader"),
        other("baseline", [*hypercorn, "baseline_app:app"]),
        other("ceiling-hypercorn", [*hypercorn, "ceiling_app:app"]),
        other("ceiling-uvicorn", [*uvicorn, "ceiling_app:app"]),
        other("ceiling-granian", [*granian, "ceiling_app:app"]),
        fastmcp,
    ]


def seed(server: Server) -> None:
    """Five todos for ``reader``; ten for ``bench`` on ours (the MCP operations' page)."""
    if server.name.startswith("ceiling") or server.name == FASTMCP:
        return
    for text in SEEDED:
        request(f"{server.url}/todos/reader", json.dumps({"todo": text}))
    stored = json.loads(request(f"{server.url}/todos/reader"))
    if server.name == "baseline":  # the quickstart's bare list
        stored = {"todos": stored}
    assert stored["todos"] == list(SEEDED), (server.name, stored)
    if server.name in OURS:
        for number in range(10):
            request(f"{server.url}/todos/bench", json.dumps({"todo": f"todo {number}"}))


def ms(value: float) -> str:
    return f"{value:.2f}"


def print_round(number: int, endpoint: Endpoint, row: dict[str, Result]) -> None:
    for name, result in row.items():
        print(
            f"  round {number} {endpoint.name:32} {name:18} {result.rps:6.0f} req/s "
            f"{result.cpu_us:4.0f} us cpu/req p50 {ms(result.p50_ms)} p99 {ms(result.p99_ms)}"
            + (f" ({result.errors} errors)" if result.errors else ""),
            flush=True,
        )


def _median(results: Sequence[Result], name: str) -> float:
    return statistics.median(getattr(result, name) for result in results)


def _per_round(mine: Sequence[Result], theirs: Sequence[Result]) -> float:
    """The median of each round's req/s ratio (a round in which one answered nothing: none)."""
    ratios = [m.rps / t.rps for m, t in zip(mine, theirs, strict=True) if m.rps and t.rps]
    return statistics.median(ratios) if ratios else float("nan")


def summarize(servers: Sequence[Server], endpoints: Sequence[Endpoint]) -> list[str]:
    """The medians of each server on each endpoint, as Markdown for the README."""
    lines = [
        "| endpoint | server | req/s | CPU µs/req | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for endpoint in endpoints:
        for server in servers:
            runs = server.results.get(endpoint.name)
            if runs:
                lines.append(
                    f"| `{endpoint.name}` | {server.name} | {_median(runs, 'rps'):.0f} "
                    f"| {_median(runs, 'cpu_us'):.0f} | {ms(_median(runs, 'p50_ms'))} "
                    f"| {ms(_median(runs, 'p99_ms'))} |"
                )
    return lines


def judge(servers: Sequence[Server], endpoints: Sequence[Endpoint]) -> list[str]:
    """Each target: ours against what it is compared with, three ways.

    The ratio of the median req/s; the median of the per-round ratios (each round's servers ran
    seconds apart, so it is the least disturbed by load drifting over the run); and the ratio
    of CPU time per request, which is what the req/s would be on a core of our own, whatever
    else the shared machine was doing. A target is met when the per-round ratio reaches it.
    """
    by_name = {server.name: server.results for server in servers}
    lines = [
        "| endpoint | ours / against | req/s ratio | per-round ratio | CPU-time ratio "
        "| target | met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for ours, against, word, target in TARGETS:
        for endpoint in endpoints:
            mine = by_name.get(ours, {}).get(endpoint.name)
            theirs = by_name.get(against, {}).get(endpoint.name)
            if word not in endpoint.name or not mine or not theirs:
                continue
            per_round = _per_round(mine, theirs)
            lines.append(
                f"| `{endpoint.name}` | {ours} / {against} "
                f"| {_median(mine, 'rps') / _median(theirs, 'rps'):.2f}x "
                f"| **{per_round:.2f}x** "
                f"| {_median(theirs, 'cpu_us') / max(_median(mine, 'cpu_us'), 1e-9):.2f}x "
                f"| {target:g}x | {'yes' if per_round >= target else 'NO'} |"
            )
    return lines


def judge_mcp(servers: Sequence[Server]) -> list[str]:
    """The MCP targets: a tools/call against the plain call on the same server, and ours
    against FastMCP in front of ours (req/s, median of the per-round ratios)."""
    by_name = {server.name: server.results for server in servers}
    lines = [
        "| operation | server | plain req/s | MCP req/s | MCP cost: plain/MCP per round "
        "| CPU µs/req plain / MCP | ours/FastMCP per round | met |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for plain, mcp in MCP_PAIRS:
        fastmcp = by_name.get(FASTMCP, {}).get(mcp.name)
        for name in OURS:
            mine, calls = by_name.get(name, {}).get(plain.name), by_name.get(name, {}).get(mcp.name)
            if not mine or not calls:
                continue
            cost = _per_round(mine, calls)
            met = cost <= MCP_COST
            over = "-"
            if fastmcp:
                ratio = statistics.median(
                    m.rps / f.rps for m, f in zip(calls, fastmcp, strict=True)
                )
                over = f"**{ratio:.1f}x**"
                # FastMCP runs on uvicorn: the 8x is judged against ours on the fast servers.
                met = met and (name not in FAST or ratio >= MCP_OVER_FASTMCP)
            lines.append(
                f"| {mcp.name.removeprefix('MCP ')} | {name} | {_median(mine, 'rps'):.0f} "
                f"| {_median(calls, 'rps'):.0f} | **{cost:.2f}x** "
                f"| {_median(mine, 'cpu_us'):.0f} / {_median(calls, 'cpu_us'):.0f} | {over} "
                f"| {'yes' if met else 'NO'} |"
            )
    return lines


def check_writes(ours: Server, acknowledged: dict[str, int]) -> list[str]:
    """Every acknowledged POST is stored (per owner); how many transactions the group commit
    used."""
    assert ours.database is not None
    with sqlite3.connect(ours.database) as connection:
        query = "SELECT owner, count(*) FROM todos GROUP BY owner"
        stored = dict(connection.execute(query).fetchall())
    log = ours.log.read_text(errors="replace")
    commits = re.findall(r"group commit: (\d+) writes in (\d+) transactions", log)
    access_lines = sum(1 for line in log.splitlines() if "plugin.access" in line)
    lines = [f"{ours.name}: access log lines {access_lines}"]
    for owner, count in acknowledged.items():
        # wrk stops with requests in flight: a write wrk never saw answered may be stored.
        verdict = "stored" if stored.get(owner, 0) >= count else "WRITES LOST"
        lines.append(
            f"  {owner}: POSTs acknowledged {count}, stored {stored.get(owner, 0)} ({verdict})"
        )
    if commits:
        writes, transactions = (int(n) for n in commits[-1])
        lines.append(
            f"  group commit: {writes} writes in {transactions} transactions "
            f"({writes / max(transactions, 1):.1f} writes per fsynced commit)"
        )
    else:
        # uvicorn re-raises SIGTERM once it has shut down: the last 0.1 s of lines is not written.
        lines.append("  group commit: no summary line in the log")
    return lines


def run_rounds(
    args: argparse.Namespace, wrk: str, servers: Sequence[Server], endpoints: Sequence[Endpoint]
) -> dict[str, dict[str, int]]:
    """A warm-up, then ``args.rounds`` interleaved rounds; the writes each server acknowledged,
    by owner."""
    acknowledged: dict[str, dict[str, int]] = {server.name: {} for server in servers}

    def run(server: Server, endpoint: Endpoint, seconds: float) -> Result:
        result = measure(args, wrk, server, endpoint, seconds)
        if endpoint.writes:
            counts = acknowledged[server.name]
            counts[endpoint.writes] = counts.get(endpoint.writes, 0) + result.ok
        return result

    for endpoint in endpoints:
        for server in servers:
            if server.serves(endpoint):
                run(server, endpoint, args.warmup)
    for number in range(1, args.rounds + 1):
        for endpoint in endpoints:
            row: dict[str, Result] = {}
            for server in servers:
                if server.serves(endpoint):
                    row[server.name] = run(server, endpoint, args.duration)
                    server.results.setdefault(endpoint.name, []).append(row[server.name])
            print_round(number, endpoint, row)
    return acknowledged


def add_load_flags(parser: argparse.ArgumentParser) -> None:
    """How the servers are loaded."""
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
        "--servers",
        metavar="NAME,...",
        help="only these servers, by name (default: all of them); FastMCP needs ours-uvicorn",
    )
    parser.add_argument(
        "--fastmcp",
        type=Path,
        default=Path(sys.prefix) / "fastmcp",
        help="where FastMCP is installed with pip --target (default: the venv's fastmcp folder)",
    )


def chosen(args: argparse.Namespace, parser: argparse.ArgumentParser, tmp: Path) -> list[Server]:
    """The servers ``--servers`` names, with the cores checked."""
    if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        args.server_cpu = args.load_cpu = ""
    args.server_cpu = args.server_cpu or None
    args.load_cpu = args.load_cpu or None
    servers = build_servers(args, tmp)
    if args.servers:
        names = args.servers.split(",")
        unknown = set(names) - {server.name for server in servers}
        if unknown:
            parser.error(f"unknown servers {sorted(unknown)}; known: {[s.name for s in servers]}")
        servers = [server for server in servers if server.name in names]
    if any(server.name == FASTMCP for server in servers):
        if not (args.fastmcp / "fastmcp").is_dir():
            parser.error(f"FastMCP is not in {args.fastmcp} (make bench installs it there)")
        if "ours-uvicorn" not in {server.name for server in servers}:
            parser.error(f"{FASTMCP} runs in front of ours-uvicorn: name both")
    return servers


def print_setup(args: argparse.Namespace, command: str, tmp: Path) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_load_flags(parser)
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="measure only the endpoints whose name contains WORD (repeatable; e.g. POST, yaml)",
    )
    args = parser.parse_args(argv)
    endpoints = [e for e in ENDPOINTS if not args.only or any(w in e.name for w in args.only)]
    if not endpoints:
        parser.error(f"no endpoint name contains any of {args.only}")
    wrk = ensure_wrk()
    command = "python bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    tmp = Path(tempfile.mkdtemp(prefix="plugin-bench-"))
    servers = chosen(args, parser, tmp)
    try:
        for server in servers:
            if server.upstream:
                upstream = next(s for s in servers if s.name == server.upstream)
                server.env["BENCH_UPSTREAM"] = upstream.url
            start(server, args.server_cpu)
            seed(server)
        print_setup(args, command, tmp)
        acknowledged = run_rounds(args, wrk, servers, endpoints)
    finally:
        for server in servers:
            stop(server)
    print(f"\nmedians of {args.rounds} rounds, {args.duration:g} s each:")
    print("\n".join(summarize(servers, endpoints)))
    print("\ntargets (per-round ratio decides):")
    print("\n".join(judge(servers, endpoints)))
    if any(server.name == FASTMCP for server in servers) or any("MCP" in e.name for e in endpoints):
        print(
            f"\nMCP targets: a tools/call at most {MCP_COST:g}x the plain call, "
            f"ours at least {MCP_OVER_FASTMCP:g}x FastMCP's calls:"
        )
        print("\n".join(judge_mcp(servers)))
    for server in servers:
        if server.database is not None:
            print("\n".join(check_writes(server, acknowledged[server.name])))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
