"""The OAuth authorization server through the app (fast), time frozen by an injected clock."""

from __future__ import annotations

import asyncio
import base64
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from plugin import create_app

from .conftest import World
from .support import (
    CHATGPT_URI,
    EXACT_URI,
    PASSWORD,
    authorize_params,
    csrf_token,
    s256,
    sign_in_form,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_code_token_api_refresh_revoke(oauth: World) -> None:
    tokens = await oauth.tokens()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == ""
    added = await oauth.client.post(
        "/todos/me", json={"todo": "milk"}, headers=bearer(tokens["access_token"])
    )
    assert added.status_code == 200
    listed = await oauth.client.get("/todos/ann", headers=bearer(tokens["access_token"]))
    assert (await listed.get_json())["todos"] == ["milk"]

    refreshed = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.headers["Cache-Control"] == "no-store"
    second = await refreshed.get_json()
    assert second["refresh_token"] != tokens["refresh_token"]
    assert second["access_token"] != tokens["access_token"]
    listed = await oauth.client.get("/todos/me", headers=bearer(second["access_token"]))
    assert (await listed.get_json())["todos"] == ["milk"]

    revoked = await oauth.revoke(second["refresh_token"])
    assert revoked.status_code == 200
    for token in (second["access_token"], tokens["access_token"]):
        refused = await oauth.client.get("/todos/me", headers=bearer(token))
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


async def test_token_request_as_form_and_with_basic_client_auth(oauth: World) -> None:
    code = await oauth.code()
    form = await oauth.client.post(
        "/oauth/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": EXACT_URI,
            "client_id": oauth.exact.client.client_id,
            "client_secret": oauth.exact.secret,
        },
    )
    assert form.status_code == 200, await form.get_data(as_text=True)
    code = await oauth.code()
    credentials = base64.b64encode(f"{oauth.exact.client.client_id}:{oauth.exact.secret}".encode())
    with_basic = await oauth.client.post(
        "/oauth/token",
        form={"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI},
        headers={"Authorization": "Basic " + credentials.decode()},
    )
    assert with_basic.status_code == 200
    assert (await with_basic.get_json())["token_type"] == "bearer"


@pytest.mark.parametrize(
    "redirect_uri",
    [CHATGPT_URI, "https://chat.openai.com/aip/plugin-1a2b3c/oauth/callback"],
)
async def test_chatgpt_callback_client(oauth: World, redirect_uri: str) -> None:
    tokens = await oauth.tokens(oauth.chatgpt, redirect_uri)
    assert (
        await oauth.client.get("/todos/me", headers=bearer(tokens["access_token"]))
    ).status_code == 200


async def test_pkce_s256_is_honoured(oauth: World) -> None:
    verifier = "v" * 20 + "-._~" + "0123456789abcdefghijklmn"
    code = await oauth.code(code_challenge=s256(verifier), code_challenge_method="S256")
    answer = await oauth.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": EXACT_URI,
            "code_verifier": verifier,
        }
    )
    assert answer.status_code == 200


async def test_state_comes_back_byte_for_byte(oauth: World) -> None:
    state = "a b&c=d/é%20+?#x"
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI, state=state)
    page = await oauth.client.get("/oauth/authorize", query_string=params)
    csrf = csrf_token(await page.get_data(as_text=True))
    answer = await oauth.client.post("/oauth/authorize", form=sign_in_form(params, csrf))
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["state"] == [state]


async def test_access_token_expires(oauth: World) -> None:
    tokens = await oauth.tokens()
    oauth.clock.advance(3599)
    assert (
        await oauth.client.get("/todos/me", headers=bearer(tokens["access_token"]))
    ).status_code == 200
    oauth.clock.advance(1)
    assert (
        await oauth.client.get("/todos/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    refreshed = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_consent_denied_goes_back_with_access_denied(oauth: World) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI, state="s-9")
    page = await oauth.client.get("/oauth/authorize", query_string=params)
    csrf = csrf_token(await page.get_data(as_text=True))
    answer = await oauth.client.post(
        "/oauth/authorize", form=sign_in_form(params, csrf, decision="deny")
    )
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s-9"]
    assert "code" not in query


async def test_page_is_unframeable_uncached_and_has_no_cors(oauth: World) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    page = await oauth.client.get(
        "/oauth/authorize", query_string=params, headers={"Origin": "https://chatgpt.com"}
    )
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in page.headers
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    html = await page.get_data(as_text=True)
    assert "<script" not in html and "http://" not in html.replace(EXACT_URI, "")
    token = await oauth.client.options(
        "/oauth/token",
        headers={"Origin": "https://chatgpt.com", "Access-Control-Request-Method": "POST"},
    )
    assert token.headers.get("Access-Control-Allow-Origin") == "https://chatgpt.com"


async def test_wrong_password_then_limit_per_account(oauth: World) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    page = await oauth.client.get("/oauth/authorize", query_string=params)
    csrf = csrf_token(await page.get_data(as_text=True))
    for _ in range(5):
        wrong = await oauth.client.post(
            "/oauth/authorize", form=sign_in_form(params, csrf, password="nope")
        )
        assert wrong.status_code == 401
        assert "Wrong user name or password" in await wrong.get_data(as_text=True)
    limited = await oauth.client.post(
        "/oauth/authorize", form=sign_in_form(params, csrf), headers={"Accept": "application/json"}
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 900
    assert (await limited.get_json())["error"] == "too_many_requests"
    as_page = await oauth.client.post("/oauth/authorize", form=sign_in_form(params, csrf))
    assert as_page.status_code == 429 and "Retry-After" in as_page.headers
    other = await oauth.client.post("/oauth/authorize", form=sign_in_form(params, csrf, user="bob"))
    assert other.status_code == 303  # the limit is per account; the address has room left
    oauth.clock.advance(901)
    again = await oauth.client.post("/oauth/authorize", form=sign_in_form(params, csrf))
    assert again.status_code == 303


async def test_limit_per_address_covers_unknown_accounts(make_settings, clock) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(auth="oauth", signin_failures_per_address=3), clock=clock)
    async with app.test_app():
        world_client = app.test_client()
        from plugin.accounts import add_client
        from plugin.state import app_state

        made = await add_client(app_state(app).open_store, [EXACT_URI], False)
        params = authorize_params(made.client.client_id, EXACT_URI)
        page = await world_client.get("/oauth/authorize", query_string=params)
        csrf = csrf_token(await page.get_data(as_text=True))
        statuses = [
            (
                await world_client.post(
                    "/oauth/authorize", form=sign_in_form(params, csrf, user=f"u{i}")
                )
            ).status_code
            for i in range(4)
        ]
        assert statuses == [401, 401, 401, 429]


async def test_twenty_concurrent_exchanges_give_one_token(oauth: World) -> None:
    code = await oauth.code()
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI}
    answers = await asyncio.gather(*(oauth.token(body) for _ in range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 19
    winner = next(answer for answer in answers if answer.status_code == 200)
    token = (await winner.get_json())["access_token"]
    # The losers replayed a used code, which revokes what it granted (RFC 6749 4.1.2).
    assert (await oauth.client.get("/todos/me", headers=bearer(token))).status_code == 401


async def test_metadata_and_manifest(oauth: World) -> None:
    metadata = await (await oauth.client.get("/.well-known/oauth-authorization-server")).get_json()
    assert metadata["issuer"] == "http://localhost"
    assert metadata["token_endpoint"] == "http://localhost/oauth/token"
    assert metadata["revocation_endpoint"] == "http://localhost/oauth/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",  # public clients registered by MCP clients (RFC 7591)
    }
    manifest = await (await oauth.client.get("/.well-known/ai-plugin.json")).get_json()
    assert manifest["auth"]["client_url"] == "http://localhost/oauth/authorize"
    assert manifest["auth"]["authorization_url"] == "http://localhost/oauth/token"
    assert manifest["auth"]["authorization_content_type"] == "application/json"


async def test_nothing_secret_is_logged(oauth: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = await oauth.code()
    answer = await oauth.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI}
    )
    tokens = await answer.get_json()
    await oauth.client.get("/todos/me", headers=bearer(tokens["access_token"]))
    logged = caplog.text
    for secret in (
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        oauth.exact.secret,
        PASSWORD,
    ):
        assert secret not in logged
