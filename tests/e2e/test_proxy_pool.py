"""Proxy mode's pooled upstream connections: a call after large answers and an idle pause
longer than PLUGIN_UPSTREAM_TIMEOUT is forwarded, and the timeout runs only while the
upstream owes an answer.

The large answers end with a burst the proxy reads at once, so the end of the answer is
parsed while reading is paused for backpressure: the path on which aiohttp's own
``sock_read`` timer was re-armed on a connection already back in the pool, and the next call
on it failed at once with 504 ``upstream_timeout``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.raw_http import Answer, Request, raw_server
from tests.servers import LiveServer, proxy_server

pytestmark = pytest.mark.slow

TIMEOUT = 1.0  # PLUGIN_UPSTREAM_TIMEOUT of the proxy
MIB = 1024 * 1024
TAIL = 700 * 1024  # past aiohttp's high-water mark (512 KiB) in one burst of reads
ANSWERS = [(size, chunked) for size in (1024, MIB, 6 * MIB) for chunked in (False, True)]


def _body(size: int) -> bytes:
    return hashlib.sha256(str(size).encode()).digest() * (size // 32)


def upstream(request: Request) -> Answer:
    query = parse_qs(urlsplit(request.path).query)
    if request.path == "/late":
        return Answer(200, b"too late", delay=2 * TIMEOUT)
    if "size" not in query:
        return Answer(200, request.body or b"small")
    size = int(query["size"][0])
    return Answer(
        200,
        _body(size),
        {"Content-Type": "application/octet-stream"},
        chunked=query["chunked"] == ["1"],
        tail=min(size, TAIL),
        tail_delay=0.2,
    )


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("proxy_pool")
    with (
        raw_server(upstream) as upstream_url,
        proxy_server(folder, upstream_url, TIMEOUT) as server,
    ):
        yield server


def _fetch(proxy: LiveServer, size: int, chunked: bool) -> bytes:
    answer = httpx.get(f"{proxy.url}/large?size={size}&chunked={int(chunked)}", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.content


def test_a_call_after_large_answers_and_an_idle_pause_is_forwarded(proxy: LiveServer) -> None:
    # At once, so each answer comes over a pooled connection of its own.
    with ThreadPoolExecutor(len(ANSWERS)) as pool:
        bodies = list(pool.map(lambda case: _fetch(proxy, *case), ANSWERS))
    assert [len(body) for body in bodies] == [len(_body(size)) for size, _ in ANSWERS]
    assert all(body == _body(size) for body, (size, _) in zip(bodies, ANSWERS, strict=True))
    time.sleep(TIMEOUT * 1.5)
    # The pool hands its connections out oldest first: twice round it reaches every one.
    with httpx.Client(base_url=proxy.url) as http:
        statuses = [http.get("/small").status_code for _ in range(2 * len(ANSWERS))]
    assert statuses == [200] * len(statuses), proxy.log()


def trickle() -> Iterator[bytes]:
    """A body that takes longer than the timeout to send."""
    for _ in range(3):
        yield b"part "
        time.sleep(TIMEOUT / 2)


def test_the_timeout_starts_once_the_request_is_sent(proxy: LiveServer) -> None:
    answer = httpx.put(f"{proxy.url}/upload", content=trickle(), timeout=30)
    assert answer.status_code == 200
    assert answer.content == b"part part part "
    # Once the body has gone, an upstream slower than the timeout is late, body or not.
    for body in (trickle(), None):
        late = httpx.put(f"{proxy.url}/late", content=body, timeout=30)
        assert late.status_code == 504 and late.json()["error"] == "upstream_timeout"
