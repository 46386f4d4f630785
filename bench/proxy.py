"""The proxy's overhead: requests per second to this server directly and through
``python main.py proxy`` in front of it, measured in the same run, rounds interleaved so a
busy machine slows both alike.

    .venv/bin/python bench/proxy.py [--seconds 10] [--rounds 3] [--connections 32]

Uses wrk (Debian package ``wrk``) when installed, else an httpx/asyncio load loop; the exact
load command is printed for each round. Results also go to bench/results/proxy-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers import LiveServer  # noqa: E402

PATH = "/todos/bench?limit=10"


def _wrk(url: str, seconds: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    print("  $", " ".join(command), flush=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed requests:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


async def _loop(url: str, seconds: int, connections: int) -> float:
    print(f"  $ httpx load loop: {connections} connections, {seconds} s, GET {url}", flush=True)
    done = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as http:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                response = await http.get(url)
                response.raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - started)


def measure(url: str, seconds: int, connections: int) -> float:
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections)
    return asyncio.run(_loop(url, seconds, connections))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # One wrk client is one caller: the default 60/minute would measure 429s.
        common = {
            "PLUGIN_ACCESS_LOG": "off",
            "PLUGIN_LOG_LEVEL": "WARNING",
            "PLUGIN_RATE_LIMIT": "off",
        }
        upstream_env = {**common, "PLUGIN_DATABASE": f"{folder}/upstream.sqlite3"}
        proxy_env = {**common, "PLUGIN_DATABASE": f"{folder}/proxy.sqlite3"}
        with LiveServer(upstream_env) as upstream:
            with LiveServer(proxy_env, ["proxy", upstream.url]) as proxy:
                for index in range(10):
                    httpx.post(f"{upstream.url}/todos/bench", json={"todo": f"todo {index}"})
                results: dict[str, list[float]] = {"direct": [], "proxy": []}
                for round_number in range(1, args.rounds + 1):
                    for name, server in (("direct", upstream), ("proxy", proxy)):
                        print(f"round {round_number}, {name}:", flush=True)
                        rate = measure(server.url + PATH, args.seconds, args.connections)
                        results[name].append(rate)
                        print(f"  {rate:,.0f} req/s", flush=True)
    direct, proxied = (statistics.median(results[name]) for name in ("direct", "proxy"))
    summary = {
        "path": PATH,
        "tool": "wrk" if shutil.which("wrk") else "httpx",
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": results,
        "median_direct": round(direct),
        "median_proxy": round(proxied),
        "proxy_share_of_direct": round(proxied / direct, 3),
    }
    print(
        f"median: direct {direct:,.0f} req/s, through the proxy {proxied:,.0f} req/s "
        f"({proxied / direct:.0%} of direct)"
    )
    out = REPO / "bench" / "results" / f"proxy-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"saved {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
