"""PLUGIN_ALLOWED_NETWORKS: 403 in the envelope from elsewhere; presets, exemptions, proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app
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
    async with allowlisted(make_settings, allowlist_exempt_loopback=False) as client:
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
    async with allowlisted(make_settings, allowlist_exempt_plugin_files=False) as client:
        assert (await client.get("/todos/ann", **_from("127.0.0.1"))).status_code == 200
        manifest = await client.get(
            "/.well-known/ai-plugin.json", headers={"Host": "localhost"}, **_from(ELSEWHERE)
        )
        assert manifest.status_code == 403


async def test_client_address_after_trusted_hops(make_settings: Callable[..., Settings]) -> None:
    async with allowlisted(
        make_settings, trusted_proxy_hops=1, allowlist_exempt_loopback=False
    ) as client:
        proxy = _from("10.0.0.5")
        via = {"X-Forwarded-For": CHATGPT_ADDRESS}
        assert (await client.get("/todos/a", headers=via, **proxy)).status_code == 200
        # A client cannot prepend a listed address: only the entry our proxy added counts.
        forged = {"X-Forwarded-For": f"{CHATGPT_ADDRESS}, {ELSEWHERE}"}
        assert (await client.get("/todos/a", headers=forged, **proxy)).status_code == 403
        # Without the proxy's header there is no trusted client address.
        assert (await client.get("/todos/a", **_from(CHATGPT_ADDRESS))).status_code == 403
