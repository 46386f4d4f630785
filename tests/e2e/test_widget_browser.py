"""The getTodos widget in headless Chromium, hosted the way an MCP Apps host does it: the test
host page (tests/fixtures/widget_host/) runs the extension's own SDK (AppBridge, pinned in
conformance/package-lock.json) and the MCP client, reads the widget from the live server's
``resources/read``, renders it under the CSP its metadata declares and hands it a getTodos
result; clicks in the widget add and delete through tool calls the page forwards to ``/mcp``,
and the test sees them stored. No console error and no CSP violation anywhere; screenshots in
light and dark go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, Route, expect

from tests.servers import REPO, LiveServer

pytestmark = pytest.mark.slow

HOST_PAGE = REPO / "tests" / "fixtures" / "widget_host" / "index.html"
NODE_MODULES = REPO / "conformance" / "node_modules"
HOST = "http://widget-host.localhost"  # a secure context, like a real host's https page
USER = "widget-ann"
SEEDED = ["buy milk", "walk the dog", "<b>not bold</b> & co"]
LIGHT_BACKGROUND, DARK_BACKGROUND = "rgb(255, 255, 255)", "rgb(24, 24, 27)"


def serve_host(server: LiveServer) -> Callable[[Route], None]:
    """The host's side: its page, the SDK files, and ``/mcp`` passed on as its backend would
    (server to server, so without the page's Origin)."""

    def handle(route: Route) -> None:
        path = urlsplit(route.request.url).path
        if path == "/mcp":
            headers = {
                name: value
                for name, value in route.request.headers.items()
                if name not in ("origin", "referer")
            }
            route.fulfill(response=route.fetch(url=f"{server.url}/mcp", headers=headers))
        elif path == "/":
            route.fulfill(path=HOST_PAGE, content_type="text/html; charset=utf-8")
        elif path.startswith("/node_modules/"):
            file = (NODE_MODULES / path.removeprefix("/node_modules/")).resolve()
            if file.is_relative_to(NODE_MODULES) and file.is_file():
                route.fulfill(path=file, content_type="text/javascript; charset=utf-8")
            else:
                route.fulfill(status=404)
        else:
            route.fulfill(status=404)

    return handle


@pytest.fixture
def page(browser: Browser, open_server: LiveServer) -> Iterator[Page]:
    if not (NODE_MODULES / "@modelcontextprotocol" / "ext-apps").is_dir():
        pytest.fail("@modelcontextprotocol/ext-apps is not installed: run `make test`")
    context = browser.new_context(viewport={"width": 520, "height": 420})
    context.route(f"{HOST}/**", serve_host(open_server))
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield opened
    context.close()
    assert errors == []  # no script error and nothing the CSP blocked, in the page or the widget


def open_widget(page: Page, theme: str | None, system: str) -> FrameLocator:
    """The widget as the host shows it, with ``theme`` from the host and ``system`` as the
    browser's prefers-color-scheme."""
    page.emulate_media(color_scheme=system)  # type: ignore[arg-type]
    query = f"?username={USER}" + (f"&theme={theme}" if theme else "")
    page.goto(f"{HOST}/{query}")
    expect(page.locator("body")).to_have_attribute("data-state", "shown")
    widget = page.frame_locator("iframe")
    expect(widget.locator("li")).not_to_have_count(0)
    return widget


def background(widget: FrameLocator) -> str:
    color: str = widget.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
    return color


def stored(server: LiveServer) -> list[str]:
    todos: list[str] = httpx.get(f"{server.url}/todos/{USER}").json()["todos"]
    return todos


def test_widget_shows_adds_and_deletes_through_the_host_in_light_and_dark(
    page: Page, open_server: LiveServer, artifacts: Path
) -> None:
    for todo in SEEDED:
        httpx.post(f"{open_server.url}/todos/{USER}", json={"todo": todo}).raise_for_status()

    # The host's theme wins over the system's.
    widget = open_widget(page, "light", system="dark")
    policy = widget.locator('meta[http-equiv="Content-Security-Policy"]')
    expect(policy).to_have_attribute(
        "content", re.compile("^default-src 'none';.* connect-src 'self' ;")
    )
    items = widget.locator("li .text")
    expect(items).to_have_text(SEEDED)  # the markup in a todo stays text
    expect(widget.locator("li b")).to_have_count(0)
    expect(widget.locator("#count")).to_have_text("3 todos")
    assert background(widget) == LIGHT_BACKGROUND

    widget.get_by_role("button", name="Delete walk the dog").click()
    expect(items).to_have_text([SEEDED[0], SEEDED[2]])
    assert stored(open_server) == [SEEDED[0], SEEDED[2]]
    widget.get_by_label("New todo").fill("water the plants")
    widget.get_by_role("button", name="Add").click()
    expect(items).to_have_text([SEEDED[0], SEEDED[2], "water the plants"])
    expect(widget.get_by_label("New todo")).to_have_value("")
    assert stored(open_server) == [SEEDED[0], SEEDED[2], "water the plants"]
    page.screenshot(path=str(artifacts / "widget-light.png"))

    widget = open_widget(page, "dark", system="light")
    expect(items).to_have_count(3)
    assert background(widget) == DARK_BACKGROUND
    page.screenshot(path=str(artifacts / "widget-dark.png"))

    widget = open_widget(page, None, system="dark")  # no host theme: prefers-color-scheme
    assert background(widget) == DARK_BACKGROUND
