"""Attacks on the authorization server, modelled on authlib's OAuth 2 test suite.

Each case must be refused the right way: an error page (never a redirect) while the client or
its redirect URI is in doubt; a redirect with ``error`` and ``state`` afterwards; RFC 6749
section 5.2 errors from the token endpoint. A case that is accepted fails its test.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from quart.wrappers import Response

from ..todo_table import todo_texts
from .conftest import World
from .support import CHATGPT_URI, EXACT_URI, authorize_params, csrf_token, s256, sign_in_form

EXACT_VARIANTS = [
    EXACT_URI + "/",  # trailing slash
    EXACT_URI + "?x=1",  # extra query
    EXACT_URI + "#frag",
    "https://other.example/callback",  # other host
    "https://client.example.evil.tld/callback",
    "https://client.example@evil.tld/callback",  # userinfo
    "https://evil.tld@client.example/callback",
    "http://client.example/callback",  # http scheme
    "HTTPS://client.example/callback",
    "https://client.example/callback/../evil",  # path traversal
    "https://client.example/evil/../callback",
    "https://client.example:8443/callback",
    "https://client.example/Callback",
    " https://client.example/callback",
    "",
]
CHATGPT_VARIANTS = [
    "https://chatgpt.com.evil.tld/aip/g-1/oauth/callback",
    "https://chat.openai.com.evil.tld/aip/1/oauth/callback",
    "https://evil.tld/aip/g-1/oauth/callback",
    "https://evil.chatgpt.com/aip/g-1/oauth/callback",
    CHATGPT_URI + "/",
    CHATGPT_URI + "?x=1",
    CHATGPT_URI + "#x",
    "http://chatgpt.com/aip/g-1/oauth/callback",
    "https://attacker@chatgpt.com/aip/g-1/oauth/callback",
    "https://chatgpt.com@evil.tld/aip/g-1/oauth/callback",
    "https://chatgpt.com:8443/aip/g-1/oauth/callback",
    "https://chatgpt.com/aip/g-1/../../evil/oauth/callback",
    "https://chatgpt.com/aip/g-1%2F..%2F..%2Fevil/oauth/callback",
    "https://chatgpt.com/aip/g-../oauth/callback",
    "https://chatgpt.com/aip/1/oauth/callback",  # chatgpt.com ids start with g-
    "https://chatgpt.com/aip/g-1/x/oauth/callback",
    "https://chatgpt.com/aip/g-1/oauth/callback/evil",
    "https://evil.tld/?https://chatgpt.com/aip/g-1/oauth/callback",
    "https://chatgpt.com/aip/g-1/oauth/callback\nhttps://evil.tld",
]


def location_query(response: Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["Location"]).query)


async def assert_error_page(response: Response, status: int = 400) -> None:
    assert response.status_code == status
    assert "Location" not in response.headers
    assert response.content_type.startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("redirect_uri", EXACT_VARIANTS)
async def test_exact_client_refuses_redirect_variants(oauth: World, redirect_uri: str) -> None:
    params = authorize_params(oauth.exact.client.client_id, redirect_uri)
    await assert_error_page(await oauth.client.get("/oauth/authorize", query_string=params))


@pytest.mark.parametrize("redirect_uri", CHATGPT_VARIANTS + [EXACT_URI])
async def test_chatgpt_client_refuses_redirect_variants(oauth: World, redirect_uri: str) -> None:
    params = authorize_params(oauth.chatgpt.client.client_id, redirect_uri)
    await assert_error_page(await oauth.client.get("/oauth/authorize", query_string=params))


async def test_sign_in_post_rechecks_the_redirect_uri(oauth: World) -> None:
    good = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    page = await oauth.client.get("/oauth/authorize", query_string=good)
    csrf = csrf_token(await page.get_data(as_text=True))
    forged = {**good, "redirect_uri": "https://evil.tld/callback"}
    await assert_error_page(
        await oauth.client.post("/oauth/authorize", form=sign_in_form(forged, csrf))
    )


@pytest.mark.parametrize(
    "query",
    [
        {"response_type": "code", "redirect_uri": EXACT_URI},  # no client
        {"response_type": "code", "client_id": "nobody", "redirect_uri": EXACT_URI},
        {"response_type": "code", "client_id": "", "redirect_uri": EXACT_URI},
    ],
)
async def test_unknown_client_is_an_error_page(oauth: World, query: dict[str, str]) -> None:
    await assert_error_page(await oauth.client.get("/oauth/authorize", query_string=query))


async def test_missing_redirect_uri_is_an_error_page(oauth: World) -> None:
    query = {"response_type": "code", "client_id": oauth.exact.client.client_id}
    await assert_error_page(await oauth.client.get("/oauth/authorize", query_string=query))


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
async def test_repeated_identifying_parameters_are_an_error_page(oauth: World, name: str) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    query = "&".join(f"{k}={v}" for k, v in params.items()) + f"&{name}={params[name]}"
    await assert_error_page(await oauth.client.get(f"/oauth/authorize?{query}"))


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"code_challenge": s256("x" * 43), "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": s256("x" * 43)}, "invalid_request"),  # method defaults to plain
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
    ],
)
async def test_bad_requests_redirect_with_error_and_state(
    oauth: World, extra: dict[str, str], error: str
) -> None:
    params = {**authorize_params(oauth.exact.client.client_id, EXACT_URI, state="keep me"), **extra}
    answer = await oauth.client.get("/oauth/authorize", query_string=params)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(EXACT_URI + "?")
    query = location_query(answer)
    assert query["error"] == [error] and query["state"] == ["keep me"] and "code" not in query


@pytest.mark.parametrize("name", ["state", "scope", "response_type"])
async def test_repeated_parameters_redirect_invalid_request(oauth: World, name: str) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    query = "&".join(f"{k}={v}" for k, v in params.items()) + f"&{name}={params[name]}"
    answer = await oauth.client.get(f"/oauth/authorize?{query}")
    assert answer.status_code == 303
    assert location_query(answer)["error"] == ["invalid_request"]


@pytest.mark.parametrize("csrf", [None, "", "x" * 43])
async def test_sign_in_without_the_csrf_token_is_refused(oauth: World, csrf: str | None) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    await oauth.client.get("/oauth/authorize", query_string=params)  # sets the cookie
    form = sign_in_form(params, csrf or "")
    if csrf is None:
        del form["csrf_token"]
    await assert_error_page(await oauth.client.post("/oauth/authorize", form=form), 403)


async def test_sign_in_without_the_csrf_cookie_is_refused(oauth: World) -> None:
    params = authorize_params(oauth.exact.client.client_id, EXACT_URI)
    page = await oauth.client.get("/oauth/authorize", query_string=params)
    csrf = csrf_token(await page.get_data(as_text=True))
    fresh = oauth.app.test_client()  # another browser: no cookie
    await assert_error_page(
        await fresh.post("/oauth/authorize", form=sign_in_form(params, csrf)), 403
    )


# --- the token endpoint ---------------------------------------------------------------------


async def assert_token_error(response: Response, error: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, await response.get_data(as_text=True)
    body: dict[str, Any] = await response.get_json()
    assert body["error"] == error and body["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    return body


def code_body(code: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": EXACT_URI, **extra}


async def test_reused_code_is_refused_and_revokes_its_tokens(oauth: World) -> None:
    code = await oauth.code()
    first = await (await oauth.token(code_body(code))).get_json()
    await assert_token_error(await oauth.token(code_body(code)), "invalid_grant")
    api = await oauth.client.get(
        "/todos/me", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert api.status_code == 401
    refresh = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    await assert_token_error(refresh, "invalid_grant")


async def test_expired_code_is_refused(oauth: World) -> None:
    code = await oauth.code()
    oauth.clock.advance(60)
    await assert_token_error(await oauth.token(code_body(code)), "invalid_grant")


async def test_code_is_bound_to_its_client(oauth: World) -> None:
    code = await oauth.code()
    foreign = await oauth.token(code_body(code, redirect_uri=EXACT_URI), client=oauth.chatgpt)
    await assert_token_error(foreign, "invalid_grant")


@pytest.mark.parametrize("redirect_uri", [EXACT_URI + "/", "https://evil.tld/callback", ""])
async def test_code_is_bound_to_its_redirect_uri(oauth: World, redirect_uri: str) -> None:
    code = await oauth.code()
    answer = await oauth.token(code_body(code, redirect_uri=redirect_uri))
    await assert_token_error(answer, "invalid_request" if not redirect_uri else "invalid_grant")


@pytest.mark.parametrize("code", ["", "not-a-code", "A" * 43])
async def test_unknown_codes_are_refused(oauth: World, code: str) -> None:
    answer = await oauth.token(code_body(code))
    await assert_token_error(answer, "invalid_request" if not code else "invalid_grant")


async def test_wrong_client_secret_in_the_body(oauth: World) -> None:
    code = await oauth.code()
    answer = await oauth.client.post(
        "/oauth/token",
        json={
            **code_body(code),
            "client_id": oauth.exact.client.client_id,
            "client_secret": "wrong",
        },
    )
    await assert_token_error(answer, "invalid_client", 401)
    # The code survives a failed client authentication: the real client can still use it.
    assert (await oauth.token(code_body(code))).status_code == 200


async def test_wrong_client_secret_in_basic(oauth: World) -> None:
    code = await oauth.code()
    wrong = base64.b64encode(f"{oauth.exact.client.client_id}:wrong".encode()).decode()
    answer = await oauth.client.post(
        "/oauth/token", form=code_body(code), headers={"Authorization": f"Basic {wrong}"}
    )
    await assert_token_error(answer, "invalid_client", 401)
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "auth", [{}, {"client_id": "nobody", "client_secret": "x"}, {"client_id": "nobody"}]
)
async def test_unknown_or_missing_client(oauth: World, auth: dict[str, str]) -> None:
    code = await oauth.code()
    answer = await oauth.client.post("/oauth/token", json={**code_body(code), **auth})
    await assert_token_error(answer, "invalid_client", 401)


async def test_client_credentials_two_ways_at_once(oauth: World) -> None:
    code = await oauth.code()
    credentials = base64.b64encode(f"{oauth.exact.client.client_id}:{oauth.exact.secret}".encode())
    answer = await oauth.client.post(
        "/oauth/token",
        form={**code_body(code), "client_secret": oauth.exact.secret},
        headers={"Authorization": "Basic " + credentials.decode()},
    )
    await assert_token_error(answer, "invalid_request")


async def test_repeated_token_parameters(oauth: World) -> None:
    code = await oauth.code()
    body = (
        f"grant_type=authorization_code&code={code}&code=other&redirect_uri={EXACT_URI}"
        f"&client_id={oauth.exact.client.client_id}&client_secret={oauth.exact.secret}"
    )
    answer = await oauth.client.post(
        "/oauth/token", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    await assert_token_error(answer, "invalid_request")
    as_json = (
        f'{{"grant_type": "authorization_code", "code": "{code}", "code": "x", '
        f'"redirect_uri": "{EXACT_URI}", "client_id": "{oauth.exact.client.client_id}", '
        f'"client_secret": "{oauth.exact.secret}"}}'
    )
    answer = await oauth.client.post(
        "/oauth/token", data=as_json, headers={"Content-Type": "application/json"}
    )
    await assert_token_error(answer, "invalid_request")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"grant_type": "password", "username": "ann", "password": "x"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
    ],
)
async def test_unsupported_grant_types(oauth: World, body: dict[str, str], error: str) -> None:
    await assert_token_error(await oauth.token(body), error)


async def test_bad_bodies(oauth: World) -> None:
    auth = {"client_id": oauth.exact.client.client_id, "client_secret": oauth.exact.secret}
    for data, content_type in (
        ("{not json", "application/json"),
        ('["a"]', "application/json"),
        ('{"grant_type": 1}', "application/json"),
        ("grant_type=authorization_code", "text/plain"),
    ):
        answer = await oauth.client.post(
            "/oauth/token", data=data, headers={"Content-Type": content_type}
        )
        await assert_token_error(answer, "invalid_request")
    non_string = await oauth.client.post("/oauth/token", json={**auth, "grant_type": ["x"]})
    await assert_token_error(non_string, "invalid_request")


@pytest.mark.parametrize("verifier", [None, "w" * 43, "short"])
async def test_pkce_wrong_or_missing_verifier(oauth: World, verifier: str | None) -> None:
    code = await oauth.code(code_challenge=s256("v" * 43), code_challenge_method="S256")
    extra = {} if verifier is None else {"code_verifier": verifier}
    await assert_token_error(await oauth.token(code_body(code, **extra)), "invalid_grant")


async def test_verifier_without_challenge_is_refused(oauth: World) -> None:
    code = await oauth.code()
    await assert_token_error(
        await oauth.token(code_body(code, code_verifier="v" * 43)), "invalid_grant"
    )


# --- tokens ---------------------------------------------------------------------------------


async def api(oauth: World, token: str, path: str = "/todos/me") -> Response:
    return await oauth.client.get(path, headers={"Authorization": f"Bearer {token}"})


async def test_rotated_refresh_token_replayed_revokes_the_family(oauth: World) -> None:
    tokens = await oauth.tokens()
    refreshed = await (
        await oauth.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    ).get_json()
    replay = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    await assert_token_error(replay, "invalid_grant")
    assert (await api(oauth, refreshed["access_token"])).status_code == 401
    newer = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]}
    )
    await assert_token_error(newer, "invalid_grant")


async def test_expired_refresh_token(oauth: World) -> None:
    tokens = await oauth.tokens()
    oauth.clock.advance(30 * 24 * 3600)
    answer = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    await assert_token_error(answer, "invalid_grant")


async def test_refresh_token_is_bound_to_its_client(oauth: World) -> None:
    tokens = await oauth.tokens()
    answer = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        client=oauth.chatgpt,
    )
    await assert_token_error(answer, "invalid_grant")
    assert (
        await oauth.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    ).status_code == 200


async def test_refresh_cannot_widen_the_scope(oauth: World) -> None:
    tokens = await oauth.tokens()
    answer = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "admin"}
    )
    await assert_token_error(answer, "invalid_scope")


async def test_token_kinds_are_not_interchangeable(oauth: World) -> None:
    tokens = await oauth.tokens()
    assert (await api(oauth, tokens["refresh_token"])).status_code == 401
    answer = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["access_token"]}
    )
    await assert_token_error(answer, "invalid_grant")


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Bearer nope", "Basic bm9wZQ==", "Token abc"]
)
async def test_missing_or_unknown_access_tokens(oauth: World, header: str) -> None:
    answer = await oauth.client.get(
        "/todos/me", headers={"Authorization": header} if header else {}
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await answer.get_json())["error"] == "unauthorized"


async def test_revoked_access_token(oauth: World) -> None:
    tokens = await oauth.tokens()
    revoked = await oauth.revoke(tokens["access_token"], token_type_hint="access_token")
    assert revoked.status_code == 200
    assert (await api(oauth, tokens["access_token"])).status_code == 401
    # Revoking an access token leaves the refresh token usable.
    refreshed = await oauth.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_revocation_by_another_client_does_nothing(oauth: World) -> None:
    tokens = await oauth.tokens()
    answer = await oauth.revoke(tokens["refresh_token"], oauth.chatgpt)
    assert answer.status_code == 200
    assert (await api(oauth, tokens["access_token"])).status_code == 200


async def test_revocation_needs_client_authentication(oauth: World) -> None:
    tokens = await oauth.tokens()
    answer = await oauth.client.post("/oauth/revoke", json={"token": tokens["access_token"]})
    await assert_token_error(answer, "invalid_client", 401)
    assert (await api(oauth, tokens["access_token"])).status_code == 200


# --- isolation ------------------------------------------------------------------------------


async def test_cross_user_access_with_oauth(oauth: World) -> None:
    ann = (await oauth.tokens(user="ann"))["access_token"]
    bob = (await oauth.tokens(user="bob"))["access_token"]
    secret = await (
        await oauth.client.post(
            "/todos/me", json={"todo": "bob's secret"}, headers={"Authorization": f"Bearer {bob}"}
        )
    ).get_json()
    await assert_no_leak(oauth, ann, secret)


async def test_cross_user_access_with_user_keys(user_http: World) -> None:
    from plugin.accounts import create_key

    ann = (await create_key(user_http.store, "ann")).secret
    bob = (await create_key(user_http.store, "bob")).secret
    secret = await (
        await user_http.client.post(
            "/todos/me", json={"todo": "bob's secret"}, headers={"Authorization": f"Bearer {bob}"}
        )
    ).get_json()
    await assert_no_leak(user_http, ann, secret)


async def assert_no_leak(world: World, ann_token: str, bobs: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {ann_token}"}
    for response in (
        await world.client.get("/todos/bob", headers=auth),
        await world.client.post("/todos/bob", json={"todo": "planted"}, headers=auth),
        await world.client.delete("/todos/bob", json={"todo_idx": 0}, headers=auth),
        await world.client.delete(f"/todos/bob/{bobs['id']}", headers=auth),
        await world.client.delete(f"/todos/me/{bobs['id']}", headers=auth),
    ):
        assert response.status_code == 404
        assert "secret" not in await response.get_data(as_text=True)
    own = await (await world.client.get("/todos/me", headers=auth)).get_json()
    assert own["todos"] == []
    assert await todo_texts(world.store.database, "bob") == ["bob's secret"]
