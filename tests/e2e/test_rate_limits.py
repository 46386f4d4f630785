"""Rate limits over real sockets, with the project's defaults unless a test names others.

Where a test needs callers at several addresses, the server believes one proxy hop
(``PLUGIN_TRUSTED_PROXY_HOPS=1``) and each request says its address in ``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SERVICE_TOKEN
from tests.e2e.test_oauth_flow import exchange_as_json, sign_in
from tests.postgres import PostgresCluster
from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import EXACT_URI, PASSWORD

pytestmark = pytest.mark.slow

BEARER = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
CHATGPT_EGRESS = "23.102.140.113"
PER_CALLER = 60  # the default PLUGIN_RATE_LIMIT, 60/minute, with its burst of 60


def _serve(folder: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    """A server with the defaults but ``env``: none of the tests' usual PLUGIN_RATE_LIMIT=off."""
    with LiveServer(
        {"PLUGIN_DATABASE": str(folder / "plugin.sqlite3"), **env}, log_path=folder / "server.log"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {
        "PLUGIN_AUTH": "service_http",
        "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN,
        "PLUGIN_TRUSTED_PROXY_HOPS": "1",
    }
    yield from _serve(tmp_path_factory.mktemp("service"), env)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _serve(tmp_path_factory.mktemp("open"), {"PLUGIN_TRUSTED_PROXY_HOPS": "1"})


async def _get_all(url: str, calls: list[dict[str, str]]) -> list[int]:
    """Each call (its headers) as a GET of ``url``, 32 at a time; the statuses in order."""
    statuses = [0] * len(calls)
    pending = iter(range(len(calls)))
    async with httpx.AsyncClient(timeout=30) as http:

        async def connection() -> None:  # 32 of these, not 1000 requests queued in httpx's pool
            for index in pending:
                statuses[index] = (await http.get(url, headers=calls[index])).status_code

        await asyncio.gather(*(connection() for _ in range(32)))
    return statuses


def _as(user: str, address: str = CHATGPT_EGRESS) -> dict[str, str]:
    return {"openai-ephemeral-user-id": user, "X-Forwarded-For": address}


def test_three_hundred_chatgpt_users_are_served_while_a_heavy_one_is_limited(
    service: LiveServer,
) -> None:
    calls: list[dict[str, str]] = []
    for index, user in enumerate([f"user-{index}" for index in range(300)] * 3):
        calls.append({**BEARER, **_as(user)})
        if index % 9 == 0:  # a hundred calls of the heavy user among the others'
            calls.append({**BEARER, **_as("heavy")})
    statuses = asyncio.run(_get_all(f"{service.url}/todos/ann", calls))
    by_caller = Counter(
        (call["openai-ephemeral-user-id"], status)
        for call, status in zip(calls, statuses, strict=True)
    )
    heavy_served = by_caller[("heavy", 200)]
    assert sum(count for (user, status), count in by_caller.items() if user != "heavy") == 900
    assert all(status == 200 for (user, status) in by_caller if user != "heavy"), by_caller
    assert PER_CALLER <= heavy_served < PER_CALLER + 10, by_caller  # the rate refills 1/s
    assert by_caller[("heavy", 429)] == 100 - heavy_served


def test_failed_authentications_are_limited_per_address(service: LiveServer) -> None:
    url = f"{service.url}/todos/ann"
    guesses = [
        {"Authorization": f"Bearer guess-{index:024d}", "X-Forwarded-For": "203.0.113.50"}
        for index in range(25)
    ]
    statuses = asyncio.run(_get_all(url, guesses))
    assert statuses.count(401) == 20 and statuses.count(429) == 5, statuses
    right_there = httpx.get(url, headers={**BEARER, "X-Forwarded-For": "203.0.113.50"})
    assert right_there.status_code == 429 and int(right_there.headers["Retry-After"]) >= 1
    elsewhere = httpx.get(url, headers={**BEARER, "X-Forwarded-For": "203.0.113.51"})
    assert elsewhere.status_code == 200


def test_none_mode_a_fresh_ephemeral_id_buys_no_budget(open_server: LiveServer) -> None:
    url = f"{open_server.url}/todos/ann"
    rotating = [_as(f"fresh-{index}", "203.0.113.7") for index in range(150)]
    statuses = asyncio.run(_get_all(url, rotating))
    assert PER_CALLER <= statuses.count(200) < PER_CALLER + 10, Counter(statuses)
    assert statuses.count(200) + statuses.count(429) == 150
    # From ChatGPT's egress the header is ChatGPT's: each of its users has a budget of its own.
    users = [_as(f"user-{index}") for index in range(100)] * 2
    assert asyncio.run(_get_all(url, users)) == [200] * 200


def test_a_hundred_refreshes_in_a_row_from_one_client(tmp_path: Path) -> None:
    database = tmp_path / "plugin.sqlite3"
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    client = cli_ok(database, "oauth", "add-client", "--redirect-uri", EXACT_URI)
    client_id, secret = client["client_id"], client["client_secret"]
    for server in _serve(tmp_path, {"PLUGIN_AUTH": "oauth"}):
        with httpx.Client(base_url=server.url, timeout=30) as http:
            tokens = exchange_as_json(http, sign_in(http, client_id, "s"), client_id, secret)
            refresh = tokens.json()["refresh_token"]
            statuses = []
            for _ in range(100):
                answer = http.post(
                    "/oauth/token",
                    data={"grant_type": "refresh_token", "refresh_token": refresh},
                    auth=(client_id, secret),
                )
                statuses.append(answer.status_code)
                if answer.status_code != 200:
                    break
                refresh = answer.json()["refresh_token"]
            assert statuses == [200] * 100, statuses
            access = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            assert http.get("/todos/me", headers=access).status_code == 200


def _served(urls: list[str], calls: int) -> int:
    """``calls`` GETs by one caller, each on a new connection, spread over ``urls``."""
    served = 0
    for index in range(calls):
        answer = httpx.get(f"{urls[index % len(urls)]}/todos/ann")
        assert answer.status_code in (200, 429), answer.text
        served += answer.status_code == 200
    return served


def test_two_workers_hold_one_budget(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"PLUGIN_WORKERS": "2", "PLUGIN_RATE_LIMIT": "10/hour"})
    assert _served([server.url], 40) == 10


def test_two_instances_on_one_postgresql_hold_one_budget(
    postgres: PostgresCluster, live_server: Callable[..., LiveServer]
) -> None:
    env = {"PLUGIN_DATABASE": postgres.new_database(), "PLUGIN_RATE_LIMIT": "10/hour"}
    first, second = live_server(env), live_server(env)
    assert _served([first.url, second.url], 40) == 10
