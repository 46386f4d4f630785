"""The console in headless Chromium (Debian's package, driven by Playwright): load it, try an
operation, see the result and the call, break a file and see the finding; list the MCP tools and
call one; paste the admin token where recent calls ask for it; all under the page's CSP, which
blocks nothing the console needs and keeps it out of frames. The screenshots go to
test-artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.conftest import SERVICE_TOKEN
from tests.servers import LiveServer

pytestmark = pytest.mark.slow


ADMIN_TOKEN = "operator-token-0123456789"
CSP_VIOLATION = "Content Security Policy"  # in each message Chromium logs for one


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: errors.append(message.text) if CSP_VIOLATION in message.text else None,
    )
    yield opened
    context.close()
    assert errors == []  # no JavaScript error on the page, nothing the CSP blocked


def assert_protected(response: Response | None) -> None:
    """The page came with its CSP, so a test that sees no violation saw the CSP at work."""
    assert response is not None and response.ok
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_console_tries_an_operation_and_shows_a_broken_file(
    live_server: Callable[..., LiveServer], plugin_root: Path, page: Page, artifacts: Path
) -> None:
    server = live_server(env={"PLUGIN_ROOT": str(plugin_root)})
    assert_protected(page.goto(f"http://localhost:{server.port}/"))
    expect(page.locator("#name")).to_have_text("TODO List")
    expect(page.locator("#install-url")).to_have_text(f"http://localhost:{server.port}")
    expect(page.locator("#lint-summary")).to_have_text("all clear")
    expect(page.locator("#logo")).not_to_have_js_property("naturalWidth", 0)  # it loaded

    add = page.locator("[data-operation=addTodo]")
    add.locator("summary").click()
    add.locator("input[name=username]").fill("ann")
    add.locator("textarea").fill('{"todo": "buy milk from the console"}')
    add.get_by_role("button", name="Send").click()
    expect(add.locator(".result .status")).to_have_text("200")
    expect(add.locator(".response")).to_contain_text("buy milk from the console")

    listing = page.locator("[data-operation=getTodos]")
    listing.locator("summary").click()
    listing.locator("input[name=username]").fill("ann")
    listing.get_by_role("button", name="Send").click()
    expect(listing.locator(".response")).to_contain_text('"next_offset": null')
    # The developer on this machine reads recent calls with no token at all.
    expect(page.locator("#calls tr").first).to_contain_text("/todos/ann")
    expect(page.locator("#calls")).to_contain_text("POST")
    expect(page.locator("#admin-field")).to_be_hidden()
    page.screenshot(path=str(artifacts / "console.png"))

    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("  version: 1.0.0", "  version: [1.0.0"))
    later = time.time() + 2
    os.utime(spec, (later, later))
    expect(page.locator("#findings")).to_contain_text("openapi: line 6", timeout=10_000)
    expect(page.locator("#problems")).to_contain_text("openapi.yaml:6: invalid YAML")
    expect(page.locator("#lint-summary")).to_have_text("1 error, 0 warnings")
    page.screenshot(path=str(artifacts / "console-finding.png"))


def test_a_spec_broken_since_start_up_shows_why_where_the_operations_would_be(
    live_server: Callable[..., LiveServer], plugin_root: Path, page: Page, artifacts: Path
) -> None:
    spec = plugin_root / "openapi.yaml"
    good = spec.read_text()
    spec.write_text(good.replace("  version: 1.0.0", "  version: [1.0.0"))
    server = live_server(env={"PLUGIN_ROOT": str(plugin_root)})
    assert_protected(page.goto(f"http://localhost:{server.port}/"))
    reason = "openapi.yaml:6: invalid YAML"
    expect(page.locator("#operations")).to_contain_text(f"The spec cannot be read: {reason}")
    expect(page.locator("#tools")).to_contain_text(reason)
    expect(page.locator("#problems")).to_contain_text(f"Not served, no good version yet: {reason}")
    expect(page.locator("#operations")).not_to_contain_text("Loading")
    page.screenshot(path=str(artifacts / "console-spec-never-loaded.png"))

    spec.write_text(good)  # fixed: the page shows the operations at its next poll
    later = time.time() + 2
    os.utime(spec, (later, later))
    expect(page.locator("#operations [data-operation]")).to_have_count(4, timeout=10_000)
    expect(page.locator("#tools [data-tool]")).to_have_count(4)
    expect(page.locator("#operations")).not_to_contain_text(reason)
    expect(page.locator("#problems")).to_be_empty()


def test_console_lists_the_mcp_tools_and_calls_one_with_the_typed_credential(
    live_server: Callable[..., LiveServer], plugin_root: Path, page: Page, artifacts: Path
) -> None:
    """Behind a trusted proxy, where loopback proves nothing: recent calls take the admin token."""
    env = {
        "PLUGIN_AUTH": "service_http",
        "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN,
        "PLUGIN_TRUSTED_PROXY_HOPS": "1",
        "PLUGIN_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    server = live_server(env={"PLUGIN_ROOT": str(plugin_root), **env})
    assert_protected(page.goto(f"http://localhost:{server.port}/"))
    expect(page.locator("#calls-note")).to_contain_text("set PLUGIN_ADMIN_TOKEN")
    expect(page.locator("#admin-field")).to_be_visible()
    tools = page.locator("#tools [data-tool]")
    expect(tools).to_have_count(4)
    page.screenshot(path=str(artifacts / "console-admin-token.png"))
    expect(page.locator("#mcp-endpoint")).to_contain_text("POST /mcp")
    listing = page.locator("[data-tool=getTodos]")
    expect(listing.locator(".kind")).to_have_text("read-only")

    add = page.locator("[data-tool=addTodo]")
    add.locator("summary").first.click()
    expect(add.locator(".description")).to_have_text("Add a todo to the list.")
    add.locator("summary", has_text="Input schema").click()
    expect(add.locator(".schema pre").first).to_contain_text('"maxLength": 2000')
    arguments = add.locator("textarea[name=arguments]")
    expect(arguments).to_have_value('{\n  "username": "",\n  "todo": ""\n}')

    # Without the credential the call is refused, as the API would refuse it.
    arguments.fill('{"username": "ann", "todo": "milk, through MCP"}')
    add.get_by_role("button", name="Call tool").click()
    expect(add.locator(".result .status")).to_have_text("401")

    page.locator("#authorization").fill(f"Bearer {SERVICE_TOKEN}")
    add.get_by_role("button", name="Call tool").click()
    expect(add.locator(".result .status")).to_have_text("ok")
    expect(add.locator(".response")).to_contain_text('"todo": "milk, through MCP"')

    arguments.fill('{"username": "ann"}')  # the model forgot the todo: isError, not a crash
    add.get_by_role("button", name="Call tool").click()
    expect(add.locator(".result .status")).to_have_text("isError")
    expect(add.locator(".response")).to_contain_text("todo")
    arguments.fill('{"username": "ann", "todo": "milk, through MCP"')
    add.get_by_role("button", name="Call tool").click()
    expect(add.locator(".result .status")).to_have_text("not sent")

    stored = httpx.get(
        f"{server.url}/todos/ann", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    ).json()
    assert stored["todos"] == ["milk, through MCP"]
    arguments.fill('{"username": "ann", "todo": "milk, through MCP"}')
    add.get_by_role("button", name="Call tool").click()
    expect(add.locator(".result .status")).to_have_text("ok")
    page.evaluate("window.scrollTo(0, document.querySelector('#mcp-section').offsetTop - 130)")
    page.screenshot(path=str(artifacts / "console-mcp.png"))

    # The service token typed above opens the API, not recent calls: the admin token does.
    expect(page.locator("#calls tr")).to_have_count(0)
    expect(page.locator("#calls-note")).to_contain_text("set PLUGIN_ADMIN_TOKEN")
    page.locator("#admin-token").fill(ADMIN_TOKEN)
    page.locator("#admin-token").press("Enter")
    expect(page.locator("#calls tr").first).to_contain_text("/mcp")
    expect(page.locator("#calls-note")).to_have_text("")


def test_no_other_page_can_frame_the_console(
    live_server: Callable[..., LiveServer], browser: Browser
) -> None:
    server = live_server()
    framer = browser.new_page()
    refusals: list[str] = []
    framer.on("console", lambda message: refusals.append(message.text))
    framer.goto(f"http://127.0.0.1:{server.port}/.well-known/ai-plugin.json")  # another origin
    framer.evaluate(
        "url => new Promise(done => { const frame = document.createElement('iframe');"
        " frame.onload = done; frame.src = url; document.body.append(frame); })",
        f"http://localhost:{server.port}/",
    )
    framed = framer.frames[1]
    assert framed.locator("#name").count() == 0  # the console never rendered in the frame
    assert any("frame-ancestors" in text for text in refusals), refusals
    framer.close()
