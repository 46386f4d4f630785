"""The OAuth flow against the real server over HTTP, accounts made with the real CLI.

authorize page -> sign in (form with CSRF) -> redirect with code and state -> token (JSON,
form, Basic) -> API call -> refresh -> old refresh token refused -> revoke -> API refused.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import EXACT_URI, PASSWORD, authorize_params, csrf_token, sign_in_form

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, live_server: Callable[..., LiveServer]) -> dict[str, Any]:
    database = tmp_path / "live.sqlite3"
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    client = cli_ok(database, "oauth", "add-client", "--redirect-uri", EXACT_URI)
    server = live_server({"PLUGIN_AUTH": "oauth"})
    return {"server": server, "client": client}


def sign_in(http: httpx.Client, client_id: str, state: str) -> str:
    params = authorize_params(client_id, EXACT_URI, state=state)
    page = http.get("/oauth/authorize", params=params)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    answer = http.post("/oauth/authorize", data=sign_in_form(params, csrf_token(page.text)))
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(EXACT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0]


def exchange_as_json(http: httpx.Client, code: str, client_id: str, secret: str) -> httpx.Response:
    """The token request as ChatGPT sends it with the manifest's default content type."""
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI}
    return http.post("/oauth/token", json={**body, "client_id": client_id, "client_secret": secret})


def test_whole_flow_over_http(world: dict[str, Any]) -> None:
    server: LiveServer = world["server"]
    client_id, secret = world["client"]["client_id"], world["client"]["client_secret"]
    secrets_seen: list[str] = [secret, PASSWORD]
    with httpx.Client(base_url=server.url, follow_redirects=False) as http:
        code = sign_in(http, client_id, "s/1 é")
        secrets_seen.append(code)
        as_json = exchange_as_json(http, code, client_id, secret)
        assert as_json.status_code == 200 and as_json.headers["cache-control"] == "no-store"
        tokens = as_json.json()
        assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600

        code = sign_in(http, client_id, "s2")
        as_form = http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": EXACT_URI,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert as_form.status_code == 200
        code = sign_in(http, client_id, "s3")
        with_basic = http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI},
            auth=(client_id, secret),
        )
        assert with_basic.status_code == 200
        secrets_seen += [as_form.json()["access_token"], with_basic.json()["refresh_token"]]

        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert http.post("/todos/me", json={"todo": "milk"}, headers=auth).status_code == 200
        assert http.get("/todos/ann", headers=auth).json()["todos"] == ["milk"]

        refreshed = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(client_id, secret),
        )
        assert refreshed.status_code == 200
        new = refreshed.json()
        secrets_seen += [tokens["access_token"], tokens["refresh_token"], new["access_token"]]
        new_auth = {"Authorization": f"Bearer {new['access_token']}"}
        assert http.get("/todos/me", headers=new_auth).json()["todos"] == ["milk"]

        replay = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(client_id, secret),
        )
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        # The replay revoked the family: the refreshed access token is gone too.
        assert http.get("/todos/me", headers=new_auth).status_code == 401

        code = sign_in(http, client_id, "s4")
        last = exchange_as_json(http, code, client_id, secret).json()
        last_auth = {"Authorization": f"Bearer {last['access_token']}"}
        assert http.get("/todos/me", headers=last_auth).status_code == 200
        revoked = http.post(
            "/oauth/revoke", data={"token": last["refresh_token"]}, auth=(client_id, secret)
        )
        assert revoked.status_code == 200
        refused = http.get("/todos/me", headers=last_auth)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"

        metadata = http.get("/.well-known/oauth-authorization-server").json()
        assert metadata["token_endpoint"] == f"{server.url}/oauth/token"
        manifest = http.get("/.well-known/ai-plugin.json").text
        spec = http.get("/openapi.yaml").text
    server.stop()
    log = server.log()
    assert "/oauth/token" in log  # the access log ran
    for value in secrets_seen:
        assert value not in log and value not in manifest and value not in spec


def test_twenty_concurrent_exchanges_over_http(world: dict[str, Any]) -> None:
    server: LiveServer = world["server"]
    client_id, secret = world["client"]["client_id"], world["client"]["client_secret"]
    with httpx.Client(base_url=server.url, follow_redirects=False) as http:
        code = sign_in(http, client_id, "race")
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI}
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def exchange(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            return http.post("/oauth/token", data=body, headers={"Authorization": f"Basic {basic}"})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(exchange, range(20)))
    assert sorted(answer.status_code for answer in answers) == [200] + [400] * 19
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)


def test_owner_signs_in_while_someone_guesses_from_elsewhere(
    tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    """Two workers behind one trusted proxy hop: the failures are counted in the database, for
    the address that made them, whichever worker answers (a new connection per attempt)."""
    database = tmp_path / "live.sqlite3"
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    client = cli_ok(database, "oauth", "add-client", "--redirect-uri", EXACT_URI)
    server = live_server(
        {"PLUGIN_AUTH": "oauth", "PLUGIN_TRUSTED_PROXY_HOPS": "1"}, ["--workers", "2"]
    )
    params = authorize_params(client["client_id"], EXACT_URI)

    def attempt(address: str, password: str) -> httpx.Response:
        headers = {"X-Forwarded-For": address}
        with httpx.Client(base_url=server.url, headers=headers) as browser:
            page = browser.get("/oauth/authorize", params=params)
            form = sign_in_form(params, csrf_token(page.text), password=password)
            return browser.post("/oauth/authorize", data=form)

    guesses = [attempt("203.0.113.9", f"guess {index}").status_code for index in range(8)]
    assert guesses == [401] * 5 + [429] * 3
    refused = attempt("203.0.113.9", PASSWORD)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 900
    owner = attempt("198.51.100.7", PASSWORD)
    assert owner.status_code == 303 and "code=" in owner.headers["location"]
