"""What an MCP tool call costs next to the same operation over plain HTTP: req/s, one run.

    .venv/bin/python bench/mcp.py [--seconds 3] [--rounds 3] [--connections 16]

Starts the real server (``python main.py``, SQLite in a temporary folder) and drives it with
``wrk`` (``apt-get install -y wrk``): ``addTodo`` and ``getTodos`` (a page of 10) as
``POST``/``GET /todos/bench`` and as ``tools/call`` on ``/mcp``, alternating plain and MCP
for a few rounds and keeping each one's best rate, so a busy machine skews both alike. The
MCP path should cost no more than 1.5x the plain call (plain req/s / MCP req/s <= 1.5).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import LiveServer  # noqa: E402

REQUESTS = re.compile(r"Requests/sec:\s+([\d.]+)")


def lua(method: str, body: object | None) -> str:
    lines = [f'wrk.method = "{method}"', 'wrk.headers["Content-Type"] = "application/json"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    return "\n".join(lines) + "\n"


def tools_call(name: str, arguments: dict[str, object]) -> dict[str, object]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def wrk(url: str, script: str, seconds: int, connections: int, folder: Path) -> float:
    path = folder / "script.lua"
    path.write_text(script)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(path), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"non-2xx answers from {url}:\n{output}")
    found = REQUESTS.search(output)
    if found is None:
        raise SystemExit(f"wrk printed no rate:\n{output}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env = {"PLUGIN_DATABASE": str(folder / "bench.sqlite3")}
        with LiveServer(env, log_path=folder / "server.log") as server:
            for number in range(10):
                httpx.post(f"{server.url}/todos/bench", json={"todo": f"todo {number}"})
            plain_get = f"{server.url}/todos/bench?limit=10"
            runs = {
                "addTodo": (
                    (f"{server.url}/todos/bench", lua("POST", {"todo": "bench"})),
                    (
                        f"{server.url}/mcp",
                        lua("POST", tools_call("addTodo", {"username": "bench", "todo": "bench"})),
                    ),
                ),
                "getTodos": (
                    (plain_get, lua("GET", None)),
                    (
                        f"{server.url}/mcp",
                        lua("POST", tools_call("getTodos", {"username": "bench", "limit": 10})),
                    ),
                ),
            }
            load = f"wrk -t2 -c{args.connections} -d{args.seconds}s, best of {args.rounds}"
            print(f"$ {' '.join(sys.argv)}  ({load})")
            print(f"{'operation':<10} {'plain req/s':>12} {'MCP req/s':>10} {'cost':>6}")
            for operation, ((plain_url, plain), (mcp_url, mcp)) in runs.items():
                plain_rate = mcp_rate = 0.0
                for _ in range(args.rounds):
                    rate = wrk(plain_url, plain, args.seconds, args.connections, folder)
                    plain_rate = max(plain_rate, rate)
                    rate = wrk(mcp_url, mcp, args.seconds, args.connections, folder)
                    mcp_rate = max(mcp_rate, rate)
                cost = plain_rate / mcp_rate
                print(f"{operation:<10} {plain_rate:>12.0f} {mcp_rate:>10.0f} {cost:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
