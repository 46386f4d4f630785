"""The server's life: restarts keep the data, SIGTERM drains requests, workers, hypercorn.

What differs between the servers (``PLUGIN_SERVER``) runs on each: start and stop, the drain,
the event loop and the access line, workers, a handler whose client went away."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from plugin.config import PROJECT_ROOT, SERVERS
from tests.conftest import SERVICE_TOKEN
from tests.servers import LiveServer

pytestmark = pytest.mark.slow


def test_data_survives_a_restart(live_server: Callable[..., LiveServer]) -> None:
    first = live_server()
    created = [
        httpx.post(f"{first.url}/todos/ann", json={"todo": f"keep {n}"}).json() for n in range(5)
    ]
    httpx.delete(f"{first.url}/todos/ann/{created[0]['id']}")
    assert first.stop(signal.SIGTERM) == 0
    second = live_server()
    listed = httpx.get(f"{second.url}/todos/ann").json()
    assert listed["items"] == created[1:]
    assert second.stop(signal.SIGINT) == 0  # Ctrl-C is as graceful as SIGTERM


@pytest.mark.parametrize("asgi_server", SERVERS)
async def test_sigterm_drains_requests_in_flight(
    live_server: Callable[..., LiveServer], asgi_server: str
) -> None:
    server = live_server({"PLUGIN_SERVER": asgi_server})
    assert server.process is not None
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as http:

        async def post(n: int) -> httpx.Response | Exception:
            try:
                return await http.post("/todos/ann", json={"todo": f"in flight {n}"})
            except httpx.HTTPError as error:
                return error

        tasks = [asyncio.create_task(post(n)) for n in range(300)]
        while sum(task.done() for task in tasks) < 30:
            await asyncio.sleep(0.005)
        server.process.send_signal(signal.SIGTERM)
        results = await asyncio.gather(*tasks)
    exit_code = await asyncio.to_thread(server.process.wait, 30)
    assert exit_code == 0, server.log()
    acknowledged = {
        result.json()["id"]: result.json()["todo"]
        for result in results
        if isinstance(result, httpx.Response) and result.status_code == 200
    }
    assert len(acknowledged) >= 30
    statuses = {result.status_code for result in results if isinstance(result, httpx.Response)}
    assert statuses <= {200, 503}, statuses
    assert "group commit: " in server.log()  # the app's lifespan ended: the batch is written
    restarted = live_server({"PLUGIN_SERVER": asgi_server})
    stored = httpx.get(f"{restarted.url}/todos/ann", params={"limit": 500}).json()["items"]
    assert acknowledged.items() <= {item["id"]: item["todo"] for item in stored}.items()


def spawned_workers(pid: int) -> list[int]:
    """Hypercorn's worker processes: children of ``pid`` started by multiprocessing's spawn."""
    workers = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # not a process, or it just ended
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == pid and b"spawn_main" in command:
            workers.append(int(entry.name))
    return workers


def connections_to(port: int) -> set[int]:
    """Socket inodes of the established TCP connections whose local port is ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[1].rpartition(":")[2], 16) == port:
            inodes.add(int(fields[9]))
    return inodes


def sockets_of(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def runs_uvloop(pid: int) -> bool:
    """Whether uvloop's compiled loop is in the process: it is imported only where chosen."""
    return "/uvloop/loop." in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(
    ("asgi_server", "event_loop"),
    [("hypercorn", "uvloop"), ("hypercorn", "asyncio"), ("uvicorn", "asyncio")],
)  # uvicorn on uvloop, the default: in the workers' test
def test_the_server_runs_on_the_configured_event_loop(
    live_server: Callable[..., LiveServer], asgi_server: str, event_loop: str
) -> None:
    env = {"PLUGIN_SERVER": asgi_server}
    if event_loop == "asyncio":  # uvloop is the default
        env["PLUGIN_EVENT_LOOP"] = "asyncio"
    server = live_server(env)
    assert server.process is not None
    assert httpx.post(f"{server.url}/todos/ann", json={"todo": "loop"}).status_code == 200
    assert httpx.get(f"{server.url}/todos/ann").json()["todos"] == ["loop"]
    assert runs_uvloop(server.process.pid) is (event_loop == "uvloop")
    assert f"(server {asgi_server}, auth none, event loop {event_loop})" in server.log()
    # One access line, ours: the server's own access log is off.
    log = server.log_once(" GET /todos/ann 200 ")
    assert "plugin.access: 127.0.0.1 POST /todos/ann 200 " in log
    assert log.count("/todos/ann") == 2


@pytest.mark.parametrize("asgi_server", SERVERS)
async def test_two_workers_serve_and_share_one_database(
    live_server: Callable[..., LiveServer], asgi_server: str
) -> None:
    server = live_server(args=["--workers", "2", "--server", asgi_server])
    assert server.process is not None
    workers = spawned_workers(server.process.pid)
    assert len(workers) == 2
    ids: set[int] = set()
    served: set[int] = set()
    for round_ in range(5):  # the kernel hands each new connection to either worker
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as http:
            responses = await asyncio.gather(
                *(http.post("/todos/ann", json={"todo": f"{round_}.{n}"}) for n in range(60))
            )
            assert [response.status_code for response in responses] == [200] * 60
            ids |= {response.json()["id"] for response in responses}
            open_now = connections_to(server.port)
            served |= {pid for pid in workers if sockets_of(pid) & open_now}
        if served == set(workers):
            break
    assert served == set(workers), "one worker never answered"
    assert all(runs_uvloop(pid) for pid in workers)  # the default loop, in each worker too
    assert len(ids) == 60 * (round_ + 1)
    server.log_once("plugin.access: 127.0.0.1 POST /todos/ann 200 ")  # workers log too
    assert server.stop() == 0
    assert spawned_workers(server.process.pid) == []
    single = live_server()
    stored = httpx.get(f"{single.url}/todos/ann", params={"limit": 500}).json()["items"]
    assert {item["id"] for item in stored} == ids


@pytest.mark.parametrize("asgi_server", SERVERS)
def test_a_handler_runs_to_its_end_when_its_client_goes_away(
    tmp_path: Path, live_server: Callable[..., LiveServer], asgi_server: str
) -> None:
    """On either server: a write whose client left is still done, and its line logged with 200
    (a cancelled handler would have logged no status)."""
    server = live_server({"PLUGIN_SERVER": asgi_server})
    lock = sqlite3.connect(tmp_path / "live.sqlite3", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the server's write now waits for this lock
    body = b'{"todo": "left behind"}'
    head = f"POST /todos/gone HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(head.encode() + b"Content-Type: application/json\r\n\r\n" + body)
        time.sleep(0.3)  # the handler is waiting for the lock (if not yet, the test still holds)
    time.sleep(0.3)  # the server has seen the connection close
    lock.execute("ROLLBACK")
    lock.close()
    server.log_once("plugin.access: 127.0.0.1 POST /todos/gone 200 ")
    assert httpx.get(f"{server.url}/todos/gone").json()["todos"] == ["left behind"]


def test_hypercorn_loads_the_factory_with_plugin_env(tmp_path: Path) -> None:
    hypercorn = Path(sys.executable).parent / "hypercorn"
    server = LiveServer(
        {
            "PLUGIN_DATABASE": str(tmp_path / "hypercorn.sqlite3"),
            "PLUGIN_AUTH": "service_http",
            "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN,
            "PYTHONPATH": str(PROJECT_ROOT),
        },
        command=[str(hypercorn), "--bind", "127.0.0.1:{port}", "plugin:create_app()"],
        log_path=tmp_path / "hypercorn.log",
    )
    with server:
        bearer = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        assert httpx.get(f"{server.url}/todos/ann").status_code == 401
        added = httpx.post(
            f"{server.url}/todos/ann", json={"todo": "via hypercorn"}, headers=bearer
        )
        assert added.status_code == 200
        assert httpx.get(f"{server.url}/todos/ann", headers=bearer).json()["todos"] == [
            "via hypercorn"
        ]
        manifest = httpx.get(f"http://localhost:{server.port}/.well-known/ai-plugin.json").json()
        assert manifest["auth"]["type"] == "service_http"
    assert (tmp_path / "hypercorn.sqlite3").exists()
    assert os.environ.get("PLUGIN_AUTH") is None  # the test's own process was not touched
