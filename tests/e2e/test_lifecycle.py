"""The server's life: restarts keep the data, SIGTERM drains requests, workers, hypercorn."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from plugin.config import PROJECT_ROOT
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


async def test_sigterm_drains_requests_in_flight(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
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
    restarted = live_server()
    stored = httpx.get(f"{restarted.url}/todos/ann", params={"limit": 500}).json()["items"]
    assert acknowledged.items() <= {item["id"]: item["todo"] for item in stored}.items()


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                children.append(int(entry.name))
    return children


async def test_two_workers_share_one_database(live_server: Callable[..., LiveServer]) -> None:
    server = live_server(args=["--workers", "2"])
    assert server.process is not None
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as http:
        responses = await asyncio.gather(
            *(http.post("/todos/ann", json={"todo": f"worker {n}"}) for n in range(100))
        )
    assert [response.status_code for response in responses] == [200] * 100
    ids = {response.json()["id"] for response in responses}
    assert len(ids) == 100
    workers = [pid for pid in child_pids(server.process.pid) if b"python" in _cmdline(pid)]
    assert len(workers) >= 2, workers
    assert server.stop() == 0
    single = live_server()
    stored = httpx.get(f"{single.url}/todos/ann", params={"limit": 500}).json()["items"]
    assert {item["id"] for item in stored} == ids


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


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
