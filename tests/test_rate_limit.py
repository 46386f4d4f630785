"""Rate limits per caller: 429 in the envelope with Retry-After; plugin files and health free."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.rate_limit import RateLimiter
from plugin.rates import Rate, parse_rate

SERVICE_TOKEN = "test-service-token-0123456789"


def test_parse_rate() -> None:
    assert parse_rate("60/minute") == Rate(60, 60.0)
    assert parse_rate("5/seconds") == Rate(5, 1.0)
    assert parse_rate("off") is None
    for bad in ("60", "x/minute", "0/minute", "5/fortnight"):
        try:
            parse_rate(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_bucket_allows_burst_then_spaces_requests_and_recovers() -> None:
    now = [0.0]
    limiter = RateLimiter(Rate(60, 60.0), burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a") == 1.0  # one request a second after the burst
    assert limiter.allow("b") == 0.0  # another caller has its own bucket
    now[0] = 1.0
    assert limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0
    now[0] = 10.0  # a full bucket again after the window
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, 0.0]


@asynccontextmanager
async def limited_client(
    make_settings: Callable[..., Settings], **overrides: object
) -> AsyncIterator[QuartClient]:
    app = create_app(make_settings(**{"rate_limit": "2/minute", **overrides}))
    async with app.test_app():
        yield app.test_client()


async def test_over_the_limit_is_429_with_retry_after(
    make_settings: Callable[..., Settings],
) -> None:
    async with limited_client(make_settings) as client:
        for _ in range(2):
            assert (await client.get("/todos/ann")).status_code == 200
        refused = await client.get("/todos/ann")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == 30
        body = await refused.get_json()
        assert body["error"] == "rate_limited" and "retry" in body["error_description"]
        # The plugin files and the health checks are never limited.
        for path in ("/.well-known/ai-plugin.json", "/openapi.yaml", "/logo.png", "/healthz"):
            for _ in range(3):
                response = await client.get(path, headers={"Host": "localhost:5003"})
                assert response.status_code == 200, path


async def test_callers_are_told_apart_by_ephemeral_id_and_address(
    make_settings: Callable[..., Settings],
) -> None:
    async with limited_client(make_settings) as client:
        for user in ("u1", "u2"):
            headers = {"openai-ephemeral-user-id": user}
            statuses = [
                (await client.get("/todos/a", headers=headers)).status_code for _ in range(3)
            ]
            assert statuses == [200, 200, 429]
        for address in ("203.0.113.1", "203.0.113.2"):
            scope = {"client": (address, 40000)}
            statuses = [
                (await client.get("/todos/a", scope_base=scope)).status_code for _ in range(3)
            ]
            assert statuses == [200, 200, 429]


async def test_service_token_is_one_caller_and_bad_tokens_are_not_counted(
    make_settings: Callable[..., Settings],
) -> None:
    async with limited_client(
        make_settings, auth="service_http", service_token=SERVICE_TOKEN
    ) as client:
        good = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        bad = {"Authorization": "Bearer wrong-token-000000000000"}
        assert (await client.get("/todos/a", headers=bad)).status_code == 401
        statuses = []
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
            response = await client.get(
                "/todos/a", headers=good, scope_base={"client": (address, 1)}
            )
            statuses.append(response.status_code)
        assert statuses == [200, 200, 429]


async def test_off_switch(make_settings: Callable[..., Settings]) -> None:
    async with limited_client(make_settings, rate_limit="off") as client:
        statuses = {(await client.get("/todos/ann")).status_code for _ in range(20)}
    assert statuses == {200}
