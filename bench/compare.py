"""Two builds of our server side by side: this checkout against another git revision.

Run by hand, never by the test suite: ``python bench/compare.py --base HEAD~1 --path
/todos/reader``. A change worth a few percent is lost in the drift between two runs of
``run.py``, so both builds run at the same time, as ``run.py`` runs its three servers: pinned to
one core with wrk on the other, in rounds alternating between them (the order flips every
round), with the settings ``run.py`` gives ours. The base build is a ``git worktree`` of the
revision in a temporary folder, removed afterwards. Prints each round and the medians of CPU
time per request and req/s, and the ratios. ``--together`` loads both at once on the shared core
instead (bench/README.md says when that helps).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run import (
    ORIGIN,
    POST_BODY,
    REPO,
    SEEDED,
    Endpoint,
    Server,
    build_servers,
    ensure_wrk,
    measure,
    request,
    start,
    stop,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="git revision to compare this checkout with")
    parser.add_argument("--path", default="/todos/reader", help="what wrk asks for")
    parser.add_argument("--post", action="store_true", help=f"POST {POST_BODY} instead of GET")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--together",
        action="store_true",
        help="load both at once, sharing the core: each round's drift is then the same for both",
    )
    args = parser.parse_args()
    args.threads, args.load_cpu, args.warmup, args.loop = 1, "1", 1, "uvloop"
    args.fastmcp = Path(sys.prefix) / "fastmcp"
    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="plugin-compare-"))
    base_tree = tmp / "base-tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(base_tree), args.base],
        check=True,
    )
    servers: list[Server] = []
    try:
        for name, tree in (("this", REPO), ("base", base_tree)):
            folder = tmp / name
            folder.mkdir()
            ours = build_servers(args, folder)[0]
            ours.name, ours.cwd = name, tree
            servers.append(ours)
            start(ours, "0")
            for text in SEEDED:
                request(f"{ours.url}/todos/reader", json.dumps({"todo": text}))
        endpoint = Endpoint(args.path, args.path, POST_BODY if args.post else "")
        print(f"command: python bench/compare.py {shlex.join(sys.argv[1:])}")
        print(
            f"this checkout vs {args.base}; {'POST' if args.post else 'GET'} {args.path}; "
            f"origin {ORIGIN}; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        for server in servers:
            measure(args, wrk, server, endpoint, args.warmup)
        for number in range(1, args.rounds + 1):
            order = servers if number % 2 else servers[::-1]
            cells = []
            if args.together:
                with ThreadPoolExecutor(len(order)) as pool:
                    results = list(
                        pool.map(lambda s: measure(args, wrk, s, endpoint, args.duration), order)
                    )
            else:
                results = [measure(args, wrk, server, endpoint, args.duration) for server in order]
            for server, result in zip(order, results, strict=True):
                server.results.setdefault("run", []).append(result)
                errors = f" ({result.errors} errors)" if result.errors else ""
                cells.append(
                    f"{server.name} {result.rps:6.0f} req/s {result.cpu_us:4.0f} us cpu/req{errors}"
                )
            print(f"  round {number}  " + "  ".join(cells), flush=True)
    finally:
        for server in servers:
            stop(server)
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)], check=False
        )
    medians = {}
    for server in servers:
        runs = server.results["run"]
        medians[server.name] = (
            statistics.median(r.rps for r in runs),
            statistics.median(r.cpu_us for r in runs),
        )
        print(
            f"{server.name}: median {medians[server.name][0]:.0f} req/s, "
            f"{medians[server.name][1]:.1f} us cpu/req"
        )
    this, base = medians["this"], medians["base"]
    per_round = statistics.median(
        mine.rps / theirs.rps
        for mine, theirs in zip(servers[0].results["run"], servers[1].results["run"], strict=True)
    )
    print(
        f"this/base: {this[0] / base[0]:.3f}x req/s (per-round ratio {per_round:.3f}x), "
        f"{base[1] / this[1]:.3f}x CPU-time ratio"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
