"""PLUGIN_ALLOWED_NETWORKS: 403 in the envelope from elsewhere; presets, exemptions, proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app, load_settings
from plugin.config import ConfigError
from plugin.networks import parse_networks

CHATGPT_ADDRESS = "23.102.140.113"  # inside 23.102.140.112/28, a published egress range
ELSEWHERE = "198.51.100.7"


@asynccontextmanager
async def allowlisted(
    make_settings: Callable[..., Settings], **overrides: object
) -> AsyncIterator[QuartClient]:
    app = create_app(make_settings(**{"allowed_networks": ("chatgpt",), **overrides}))
    async with app.test_app():
        yield app.test_client()


def _from(address: str) -> dict[str, object]:
    return {"scope_base": {"client": (address, 40000)}}


def test_chatgpt_preset_expands_from_the_data_file() -> None:
    networks = parse_networks(["chatgpt", "10.0.0.0/8"])
    assert ipaddress.ip_network("23.102.140.112/28") in networks
    assert networks[-1] == ipaddress.ip_network("10.0.0.0/8")
    with pytest.raises(ValueError, match="not a CIDR"):
        parse_networks(["10.0.0.0/33"])


def test_bad_network_stops_start_up_naming_the_setting(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigError, match="PLUGIN_ALLOWED_NETWORKS"):
        make_settings(allowed_networks=("chatgpt", "nonsense"))


async def test_accepts_listed_refuses_others(make_settings: Callable[..., Settings]) -> None:
    async with allowlisted(make_settings) as client:  # the defaults: loopback is no exception
        assert (await client.get("/todos/ann", **_from(CHATGPT_ADDRESS))).status_code == 200
        refused = await client.get("/todos/ann", **_from(ELSEWHERE))
        assert refused.status_code == 403
        assert (await refused.get_json())["error"] == "forbidden_network"
        assert (await client.get("/todos/ann", **_from("127.0.0.1"))).status_code == 403
        # Health checks always answer; plugin files by default.
        assert (await client.get("/healthz", **_from(ELSEWHERE))).status_code == 200
        manifest = await client.get(
            "/.well-known/ai-plugin.json", headers={"Host": "localhost"}, **_from(ELSEWHERE)
        )
        assert manifest.status_code == 200


async def test_exemptions_can_be_switched(make_settings: Callable[..., Settings]) -> None:
    async with allowlisted(
        make_settings, allowlist_exempt_loopback=True, allowlist_exempt_plugin_files=False
    ) as client:
        for loopback in ("127.0.0.1", "127.0.0.2", "::1"):
            assert (await client.get("/todos/ann", **_from(loopback))).status_code == 200
        assert (await client.get("/todos/ann", **_from(ELSEWHERE))).status_code == 403
        manifest = await client.get(
            "/.well-known/ai-plugin.json", headers={"Host": "localhost"}, **_from(ELSEWHERE)
        )
        assert manifest.status_code == 403


async def test_client_address_after_trusted_hops(make_settings: Callable[..., Settings]) -> None:
    async with allowlisted(make_settings, trusted_proxy_hops=1) as client:
        proxy = _from("10.0.0.5")
        via = {"X-Forwarded-For": CHATGPT_ADDRESS}
        assert (await client.get("/todos/a", headers=via, **proxy)).status_code == 200
        # A client cannot prepend a listed address: only the entry our proxy added counts.
        forged = {"X-Forwarded-For": f"{CHATGPT_ADDRESS}, {ELSEWHERE}"}
        assert (await client.get("/todos/a", headers=forged, **proxy)).status_code == 403
        # Without the proxy's header there is no trusted client address.
        assert (await client.get("/todos/a", **_from(CHATGPT_ADDRESS))).status_code == 403


def test_loopback_passes_only_when_the_operator_says_so() -> None:
    assert Settings().allowlist_exempt_loopback is False
    environ = {"PLUGIN_ALLOWLIST_EXEMPT_LOOPBACK": "on"}
    assert load_settings(environ).allowlist_exempt_loopback is True


# What nginx, Caddy, Traefik and RFC 7239 proxies add to a request they pass on.
FORWARDED = [
    {"X-Forwarded-For": ELSEWHERE},
    {"X-Forwarded-For": CHATGPT_ADDRESS},  # believed by no one: it changes nothing
    {"Forwarded": f"for={ELSEWHERE};proto=https"},
    {"X-Real-IP": ELSEWHERE},
    {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "plugin.example.com"},
]


@pytest.mark.parametrize("headers", FORWARDED)
async def test_loopback_let_in_still_refuses_what_a_proxy_passed_on(
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    """No trusted hops, yet forwarded headers: a proxy on this host, where loopback is anyone."""
    async with allowlisted(make_settings, allowlist_exempt_loopback=True) as client:
        for _ in range(2):
            refused = await client.get("/todos/ann", headers=headers, **_from("127.0.0.1"))
            assert refused.status_code == 403
            assert (await refused.get_json())["error"] == "forbidden_network"
        assert (await client.get("/todos/ann", **_from("127.0.0.1"))).status_code == 200
        assert (
            await client.get("/healthz", headers=headers, **_from("127.0.0.1"))
        ).status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "plugin.allowlist"]
    assert len(warnings) == 1 and "PLUGIN_TRUSTED_PROXY_HOPS" in warnings[0]


async def test_loopback_let_in_behind_trusted_proxies(
    make_settings: Callable[..., Settings],
) -> None:
    async with allowlisted(
        make_settings,
        allowlist_exempt_loopback=True,
        trusted_proxy_hops=1,
        trusted_proxies=("10.0.0.5",),
    ) as client:
        proxy = _from("10.0.0.5")
        # A caller on the proxy's host, as the proxy tells it: loopback, let in.
        local = {"X-Forwarded-For": "127.0.0.1"}
        assert (await client.get("/todos/a", headers=local, **proxy)).status_code == 200
        outside = {"X-Forwarded-For": ELSEWHERE}
        assert (await client.get("/todos/a", headers=outside, **proxy)).status_code == 403
        # Straight from loopback, not through the proxy: its forwarded headers are nobody's.
        for headers in FORWARDED:
            direct = await client.get("/todos/a", headers=headers, **_from("127.0.0.1"))
            assert direct.status_code == 403
