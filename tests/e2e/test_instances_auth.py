"""Two instances on one PostgreSQL keep every credential rule of one server.

A code redeemed at one is refused at the other (and of two racing exchanges, one at each, exactly
one wins); a refresh token rotated at one is a replay at the other; a token revoked at one or a
key revoked by the CLI is refused by both at once. Nothing is cached per process.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.test_oauth_flow import exchange_as_json, sign_in
from tests.postgres import PostgresCluster
from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import EXACT_URI, PASSWORD

pytestmark = pytest.mark.slow


def _pair(live_server: Callable[..., LiveServer], database: str, auth: str) -> list[LiveServer]:
    env = {"PLUGIN_DATABASE": database, "PLUGIN_AUTH": auth}
    return [live_server(env), live_server(env)]


def test_oauth_codes_and_tokens_across_instances(
    postgres: PostgresCluster, live_server: Callable[..., LiveServer]
) -> None:
    database = postgres.new_database()
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")  # type: ignore[arg-type]
    client = cli_ok(database, "oauth", "add-client", "--redirect-uri", EXACT_URI)  # type: ignore[arg-type]
    client_id, secret = client["client_id"], client["client_secret"]
    first, second = _pair(live_server, database, "oauth")
    a = httpx.Client(base_url=first.url, timeout=30)
    b = httpx.Client(base_url=second.url, timeout=30)
    with a, b:
        code = sign_in(a, client_id, "one")
        tokens = exchange_as_json(b, code, client_id, secret)
        assert tokens.status_code == 200
        replay = exchange_as_json(a, code, client_id, secret)
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

        # Two exchanges of one code, one at each instance, at the same time: one wins.
        code = sign_in(b, client_id, "race")
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(lambda http: exchange_as_json(http, code, client_id, secret), (a, b))
            )
        assert sorted(answer.status_code for answer in answers) == [200, 400]
        winner = next(answer.json() for answer in answers if answer.status_code == 200)
        # The replay revoked what the code had issued (RFC 6749 4.1.2), at both instances.
        raced = {"Authorization": f"Bearer {winner['access_token']}"}
        assert a.get("/todos/me", headers=raced).status_code == 401
        assert b.get("/todos/me", headers=raced).status_code == 401

        fresh = exchange_as_json(b, sign_in(a, client_id, "fresh"), client_id, secret).json()
        auth = {"Authorization": f"Bearer {fresh['access_token']}"}
        assert a.post("/todos/me", json={"todo": "via a"}, headers=auth).status_code == 200
        assert b.get("/todos/me", headers=auth).json()["todos"] == ["via a"]

        refresh = {"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]}
        rotated = a.post("/oauth/token", data=refresh, auth=(client_id, secret))
        assert rotated.status_code == 200
        again = b.post("/oauth/token", data=refresh, auth=(client_id, secret))
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

        last = exchange_as_json(a, sign_in(a, client_id, "last"), client_id, secret).json()
        last_auth = {"Authorization": f"Bearer {last['access_token']}"}
        assert b.get("/todos/me", headers=last_auth).status_code == 200
        revoked = b.post(
            "/oauth/revoke", data={"token": last["access_token"]}, auth=(client_id, secret)
        )
        assert revoked.status_code == 200
        assert a.get("/todos/me", headers=last_auth).status_code == 401
        assert b.get("/todos/me", headers=last_auth).status_code == 401


def test_revoked_key_is_refused_by_both_at_once(
    postgres: PostgresCluster, live_server: Callable[..., LiveServer]
) -> None:
    database = postgres.new_database()
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")  # type: ignore[arg-type]
    key = cli_ok(database, "keys", "create", "ann")  # type: ignore[arg-type]
    servers = _pair(live_server, database, "user_http")
    auth = {"Authorization": f"Bearer {key['key']}"}
    assert [httpx.get(f"{s.url}/todos/me", headers=auth).status_code for s in servers] == [200, 200]
    cli_ok(database, "keys", "revoke", "ann", key["key_id"])  # type: ignore[arg-type]
    assert [httpx.get(f"{s.url}/todos/me", headers=auth).status_code for s in servers] == [401, 401]
