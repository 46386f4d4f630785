"""Rate limits: the caller really calling, 429 in the envelope with Retry-After, bounded buckets.

The HTTP tests run on SQLite (buckets in memory) and on PostgreSQL (buckets in its table: the
``database`` fixture), so both stores answer every case.
"""

from __future__ import annotations

import time

import pytest
from quart.testing import QuartClient

from plugin import Settings
from plugin.config import ConfigError
from plugin.limits import MAX_CALLERS, Budget, MemoryBuckets
from plugin.rates import Rate, parse_rate

from .conftest import SERVICE_TOKEN, MakeClient

CHATGPT = ("23.102.140.113", "13.66.11.100")  # inside two of OpenAI's published egress ranges
GOOD = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


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


@pytest.mark.parametrize(
    "setting",
    ["rate_limit", "rate_limit_service", "rate_limit_oauth_client", "rate_limit_failed_auth"],
)
def test_every_budget_is_validated(setting: str) -> None:
    for bad in ("60", "ten/minute", "5/fortnight"):
        with pytest.raises(ConfigError, match=f"PLUGIN_{setting.upper()} "):
            Settings(**{setting: bad})
    assert getattr(Settings(**{setting: "off"}), setting) == "off"


def test_store_is_validated() -> None:
    with pytest.raises(ConfigError, match="PLUGIN_RATE_LIMIT_STORE must be one of"):
        Settings(rate_limit_store="redis")


def test_bucket_allows_burst_then_spaces_requests_and_recovers() -> None:
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    budget = Budget.of("caller", Rate(60, 60.0), burst=3)
    assert [buckets.take_now("a", budget) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take_now("a", budget) == 1.0  # one request a second after the burst
    assert buckets.take_now("b", budget) == 0.0  # another caller has its own bucket
    now[0] = 1.0
    assert buckets.take_now("a", budget) == 0.0
    assert buckets.take_now("a", budget) > 0
    now[0] = 10.0  # a full bucket again after the window
    assert [buckets.take_now("a", budget) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_buckets_are_bounded_and_keep_the_callers_still_calling() -> None:
    now = [0.0]
    buckets = MemoryBuckets(capacity=1000, clock=lambda: now[0])
    budget = Budget.of("caller", Rate(2, 86400.0))
    for caller in ("idle", "busy"):
        assert [buckets.take_now(caller, budget) for _ in range(3)][2] > 0
    for index in range(5000):
        buckets.take_now(f"flood {index}", budget)
        if index % 100 == 0:
            assert buckets.take_now("busy", budget) > 0  # refused, and still remembered
        assert len(buckets) <= 1000
    assert buckets.take_now("busy", budget) > 0
    assert buckets.take_now("idle", budget) == 0.0  # the least recently used went first


def _seconds_for(buckets: MemoryBuckets, budget: Budget, callers: list[str]) -> float:
    started = time.perf_counter()
    for caller in callers:
        buckets.take_now(caller, budget)
    return time.perf_counter() - started


def test_a_flood_of_callers_leaves_the_cost_of_a_request_unchanged() -> None:
    """100,000 distinct callers under 10/day, then more: nothing is ever old enough to drop,
    and a request costs what it cost before the flood (the old limiter swept the whole table
    for every new caller past 100,000: about a thousand times slower)."""
    buckets = MemoryBuckets()
    budget = Budget.of("caller", Rate(10, 86400.0))
    regulars = [f"regular {index % 50}" for index in range(5000)]
    newcomers = [f"newcomer {index}" for index in range(5000)]
    # Best of three, so a neighbour's burst on this shared machine does not decide.
    before = min(_seconds_for(buckets, budget, regulars) for _ in range(3))
    before_new = _seconds_for(buckets, budget, newcomers)
    _seconds_for(buckets, budget, [f"flood {index}" for index in range(MAX_CALLERS)])
    after = min(_seconds_for(buckets, budget, regulars) for _ in range(3))
    after_new = _seconds_for(buckets, budget, [f"late {index}" for index in range(5000)])
    assert len(buckets) == MAX_CALLERS
    assert after < 5 * before, (before, after)
    assert after_new < 5 * before_new, (before_new, after_new)


async def _statuses(
    client: QuartClient, count: int, address: str, path: str = "/todos/a", **headers: str
) -> list[int]:
    scope = {"client": (address, 40000)}
    return [
        (await client.get(path, headers=headers, scope_base=scope)).status_code
        for _ in range(count)
    ]


async def test_over_the_limit_is_429_with_retry_after(make_client: MakeClient) -> None:
    client = await make_client(rate_limit="2/minute")
    for _ in range(2):
        assert (await client.get("/todos/ann")).status_code == 200
    refused = await client.get("/todos/ann")
    assert refused.status_code == 429
    assert 29 <= int(refused.headers["Retry-After"]) <= 30
    body = await refused.get_json()
    assert body["error"] == "rate_limited" and "retry" in body["error_description"]
    # The plugin files and the health checks are never limited.
    for path in ("/.well-known/ai-plugin.json", "/openapi.yaml", "/logo.png", "/healthz"):
        for _ in range(3):
            response = await client.get(path, headers={"Host": "localhost:5003"})
            assert response.status_code == 200, path


async def test_none_mode_counts_the_address_whatever_the_header_says(
    make_client: MakeClient,
) -> None:
    client = await make_client(rate_limit="3/minute")
    rotating = [
        (
            await client.get(
                "/todos/a",
                headers={"openai-ephemeral-user-id": f"fresh-{index}"},
                scope_base={"client": ("203.0.113.7", 40000 + index)},
            )
        ).status_code
        for index in range(6)
    ]
    assert rotating == [200, 200, 200, 429, 429, 429]
    # The same address as an IPv4-mapped IPv6 peer, and another address of its /64 for IPv6.
    assert await _statuses(client, 1, "::ffff:203.0.113.7") == [429]
    assert await _statuses(client, 4, "2001:db8:1:2::1") == [200, 200, 200, 429]
    assert await _statuses(client, 1, "2001:db8:1:2:ffff::9") == [429]
    assert await _statuses(client, 3, "2001:db8:1:3::1") == [200, 200, 200]
    assert await _statuses(client, 3, "203.0.113.8") == [200, 200, 200]


async def test_inside_chatgpts_egress_ranges_the_chatgpt_user_is_the_caller(
    make_client: MakeClient,
) -> None:
    client = await make_client(rate_limit="3/minute")
    for index in range(20):
        address = CHATGPT[index % 2]
        user = {"openai-ephemeral-user-id": f"user-{index}"}
        assert await _statuses(client, 3, address, **user) == [200, 200, 200]
    # One user keeps one budget across egress addresses.
    assert await _statuses(client, 1, CHATGPT[1], **{"openai-ephemeral-user-id": "user-0"}) == [429]
    # Without the header the egress address itself is counted.
    assert await _statuses(client, 4, CHATGPT[0]) == [200, 200, 200, 429]


async def test_service_token_counts_each_chatgpt_user(make_client: MakeClient) -> None:
    client = await make_client(
        auth="service_http", service_token=SERVICE_TOKEN, rate_limit="2/minute"
    )
    for user in ("u1", "u2"):
        for address in ("203.0.113.1", "198.51.100.1"):  # the address does not matter here
            ephemeral = {"openai-ephemeral-user-id": user}
            assert await _statuses(client, 1, address, **GOOD, **ephemeral) == [200]
        assert await _statuses(client, 1, "203.0.113.1", **GOOD, **ephemeral) == [429]
    # Calls with the token but without the header are one caller together.
    assert await _statuses(client, 1, "203.0.113.3", **GOOD) == [200]
    assert await _statuses(client, 2, "203.0.113.4", **GOOD) == [200, 429]
    # The header without the token is a 401 and buys nothing.
    assert (
        await _statuses(client, 3, "203.0.113.5", **{"openai-ephemeral-user-id": "u3"}) == [401] * 3
    )


async def test_service_ceiling_counts_every_caller_together(make_client: MakeClient) -> None:
    client = await make_client(
        auth="service_http",
        service_token=SERVICE_TOKEN,
        rate_limit="2/minute",
        rate_limit_service="5/minute",
    )
    served = []
    for index in range(7):
        response = await client.get(
            "/todos/a", headers={**GOOD, "openai-ephemeral-user-id": f"user-{index}"}
        )
        served.append(response.status_code)
    assert served == [200] * 5 + [429] * 2
    assert "requests to this server" in (await response.get_json())["error_description"]


@pytest.mark.parametrize(
    "bad",
    [
        {"Authorization": "Bearer wrong-token-000000000000"},
        {"Authorization": "Basic d3Jvbmc6dG9rZW4="},
        {"Authorization": f"Bearer {SERVICE_TOKEN}x"},
    ],
    ids=["wrong", "basic", "longer"],
)
async def test_failed_service_tokens_are_limited_per_address(
    make_client: MakeClient, bad: dict[str, str]
) -> None:
    client = await make_client(
        auth="service_http", service_token=SERVICE_TOKEN, rate_limit_failed_auth="4/minute"
    )
    assert await _statuses(client, 30, "203.0.113.9", **GOOD) == [200] * 30  # never spent
    # No credential at all is not a guess: not counted.
    assert await _statuses(client, 6, "203.0.113.1") == [401] * 6
    assert await _statuses(client, 6, "203.0.113.1", **bad) == [401] * 4 + [429] * 2
    # Once past it, the right token is refused too: else it would show among the 429s.
    refused = await client.get("/todos/a", headers=GOOD, scope_base={"client": ("203.0.113.1", 1)})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "failed authentications" in (await refused.get_json())["error_description"]
    assert await _statuses(client, 1, "203.0.113.2", **GOOD) == [200]
    assert await _statuses(client, 1, "203.0.113.2", **bad) == [401]


async def test_failures_from_chatgpt_never_lock_out_the_right_token(
    make_client: MakeClient,
) -> None:
    """ChatGPT's egress addresses carry every GPT's calls: a GPT set up with a wrong token
    gets 429 past the budget, the others' right token goes on being served from there."""
    client = await make_client(
        auth="service_http", service_token=SERVICE_TOKEN, rate_limit_failed_auth="3/minute"
    )
    bad = {"Authorization": "Bearer wrong-token-000000000000"}
    assert await _statuses(client, 5, CHATGPT[0], **bad) == [401] * 3 + [429] * 2
    assert await _statuses(client, 2, CHATGPT[0], **GOOD) == [200, 200]
    # A ChatGPT user who keeps failing is the caller there, and is refused whatever it sends.
    guesser = {"openai-ephemeral-user-id": "guesser"}
    assert await _statuses(client, 4, CHATGPT[0], **bad, **guesser) == [401] * 3 + [429]
    assert await _statuses(client, 1, CHATGPT[1], **GOOD, **guesser) == [429]
    honest = {"openai-ephemeral-user-id": "honest"}
    assert await _statuses(client, 1, CHATGPT[0], **GOOD, **honest) == [200]


async def test_off_switch(make_client: MakeClient) -> None:
    client = await make_client(rate_limit="off")
    assert await _statuses(client, 20, "203.0.113.1") == [200] * 20
